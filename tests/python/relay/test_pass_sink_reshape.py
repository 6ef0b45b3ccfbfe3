"""SinkReshape: reshapes move below elementwise ops so epilogues fuse into the dense."""
import json

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay.op.op import Op
from tvm.relay.reference import create_executor
from tvm.relay.transform._utils import post_order


def _run(mod, *inputs):
    return create_executor("debug", mod=mod).evaluate()(*inputs).numpy()


def _sink(func):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    out = tvm.transform.Sequential([relay.transform.SinkReshape(), relay.transform.SimplifyExpr(),
                                    relay.transform.InferType()])(mod)
    return mod, out


def _producer_of(mod, op):
    """Op names on the path from each ``op`` call to its first non-elementwise producer."""
    calls = [n for n in post_order(mod["main"].body)
             if isinstance(n, relay.Call) and isinstance(n.op, Op) and n.op.name == op]
    return [c.args[0].op.name for c in calls if isinstance(c.args[0], relay.Call)]


def _gelu(y):
    half = relay.multiply(y, relay.const(0.5))
    return relay.multiply(half, relay.add(relay.erf(relay.divide(y, relay.const(1.4142135))), relay.const(1.0)))


def _onnx_like_matmul(x, w, b, out_shape):
    """What from_onnx makes of MatMul(3-d x, W) + Add(b): reshape, dense, reshape, add."""
    flat = relay.reshape(x, (-1, int(x.type_annotation.shape[-1])))
    return relay.add(relay.reshape(relay.nn.dense(flat, w), out_shape), b)


def test_bias_and_gelu_move_next_to_the_dense_and_fuse_into_it():
    x = relay.var("x", shape=(2, 6, 16))
    w = relay.var("w", shape=(32, 16))
    b = relay.var("b", shape=(32,))
    y = _gelu(_onnx_like_matmul(x, w, b, (2, 6, 32)))
    y = relay.reshape(y, (12, 32))  # flattened again for the next dense
    w2 = relay.var("w2", shape=(8, 32))
    mod, sunk = _sink(relay.Function([x, w, b, w2], relay.nn.dense(y, w2)))
    assert _producer_of(sunk, "add")[0] == "nn.dense"
    assert "reshape" not in _producer_of(sunk, "erf") + _producer_of(sunk, "multiply")
    assert _producer_of(sunk, "nn.dense")[-1] == "multiply"  # no reshape pair left before the 2nd dense
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype("float32") for s in [(2, 6, 16), (32, 16), (32,), (8, 32)]]
    np.testing.assert_allclose(_run(sunk, *args), _run(mod, *args), rtol=1e-5, atol=1e-5)

    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, "llvm")
    names = {n["attrs"]["func_name"] for n in json.loads(lib.get_graph_json())["nodes"] if n["op"] == "tvm_op"}
    assert any("dense_add" in n and "erf" in n for n in names), names
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.run(x=args[0], w=args[1], b=args[2], w2=args[3])
    np.testing.assert_allclose(module.get_output(0).numpy(), _run(mod, *args), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "case", ["row_vector", "last_axis_changes", "axis_attr", "two_sources", "shape_attr", "scalar"])
def test_only_value_preserving_cases_are_rewritten(case):
    x = relay.var("x", shape=(12, 8))
    r = relay.reshape(x, (3, 4, 8))
    expect_sunk = False
    inputs = [np.random.default_rng(1).standard_normal((12, 8)).astype("float32")]
    params = [x]
    if case == "row_vector":  # broadcasts along axis 1, not the last axis
        c = relay.var("c", shape=(4, 1))
        params.append(c)
        inputs.append(np.arange(4, dtype="float32").reshape(4, 1))
        y = relay.add(r, c)
    elif case == "last_axis_changes":
        y = relay.add(relay.reshape(x, (12, 2, 4)), relay.const(np.ones(4, "float32")))
    elif case == "axis_attr":
        y = relay.nn.bias_add(r, relay.const(np.ones(4, "float32")), axis=1)
    elif case == "two_sources":
        z = relay.var("z", shape=(6, 16))
        params.append(z)
        inputs.append(np.ones((6, 16), "float32"))
        y = relay.add(r, relay.reshape(z, (3, 4, 8)))
    elif case == "shape_attr":  # broadcast_to fixes its output's shape
        y = relay.broadcast_to(r, (3, 4, 8))
    else:
        y = relay.nn.relu(relay.multiply(r, relay.const(2.0)))
        expect_sunk = True
    mod, sunk = _sink(relay.Function(params, y))
    body = sunk["main"].body
    assert (isinstance(body, relay.Call) and body.op.name == "reshape") == expect_sunk
    np.testing.assert_allclose(_run(sunk, *inputs), _run(mod, *inputs), rtol=1e-6)
