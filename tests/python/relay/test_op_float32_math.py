"""float32 exp/erf/tanh/sigmoid/softmax: vectorising polynomial kernels, accurate to a few ulp.

The base lowers these to one libm call per element; the fork's float32
computes use TOPI's polynomial forms. Checked against float64 NumPy on a wide
range, and in the generated code (no libm call left in the kernel).
"""
import math

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor

_ERF = np.vectorize(math.erf)


def _build(expr_fn, shape, dtype):
    x = relay.var("x", shape=shape, dtype=dtype)
    mod = tvm.IRModule.from_expr(relay.Function([x], expr_fn(x)))
    with tvm.transform.PassContext(opt_level=3):
        return relay.build(mod, target="llvm")


def _run(lib, data):
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("x", data)
    module.run()
    return module.get_output(0).numpy()


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


CASES = {
    "exp": (relay.exp, lambda v: np.exp(v), 2e-7),
    "erf": (relay.erf, _ERF, 1e-6),
    "tanh": (relay.tanh, np.tanh, 1e-6),
    "sigmoid": (relay.sigmoid, lambda v: 1 / (1 + np.exp(-v)), 1e-6),
    "softmax": (relay.nn.softmax, _softmax, 2e-6),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_accuracy_against_float64(name, dtype):
    op, reference, tolerance = CASES[name]
    rng = np.random.default_rng(0)
    data = np.concatenate([np.linspace(-10, 10, 4096), rng.standard_normal(4096) * 3])
    data = data.reshape(64, 128).astype(dtype)
    got = _run(_build(op, data.shape, dtype), data)
    expected = reference(data.astype("float64"))
    rel = np.abs(got - expected) / np.maximum(np.abs(expected), np.abs(expected).max() * 1e-30)
    assert got.dtype == dtype
    assert rel.max() < (tolerance if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("name", ["exp", "erf", "tanh"])
def test_float32_kernel_calls_no_libm(name):
    """The float32 kernel is straight vector code: no call to expf/erff/tanhf."""
    op = CASES[name][0]
    lib = _build(op, (64, 128), "float32")
    asm = lib.get_lib().inspect_source("asm")
    assert f"{name}f" not in asm
    float64_asm = _build(op, (64, 128), "float64").get_lib().inspect_source("asm")
    assert name in float64_asm  # the float64 kernel keeps libm


def test_nested_functions_use_one_polynomial():
    """A polynomial reads its input about ten times; nested ones, inlined into one
    kernel, would grow exponentially. Only the innermost level is a polynomial."""
    from tvm import te
    from tvm.relay.op import _math_computes
    from tvm.topi.generic.schedule_utils import compute_ops

    x = te.placeholder((8, 8), "float32", name="x")
    y = x
    for fn in (_math_computes.tanh, _math_computes.exp, _math_computes.erf, _math_computes.sigmoid):
        y = fn(y)
    names = [op.name for op in compute_ops([y])]
    assert sum(name.startswith("T_fast_") or name == "sigmoid" for name in names) == 1

    data = np.linspace(-3, 3, 64 * 128).reshape(64, 128).astype("float32")
    nested = lambda v: relay.sigmoid(relay.erf(relay.exp(relay.tanh(v))))  # noqa: E731
    got = _run(_build(nested, data.shape, "float32"), data)
    d = data.astype("float64")
    expected = 1 / (1 + np.exp(-_ERF(np.exp(np.tanh(d)))))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
