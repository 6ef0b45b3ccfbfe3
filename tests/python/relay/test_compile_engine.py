"""The compile engine: cache keyed on alpha-equivalent functions, use counts, the
use_topi_schedule flag, jit, and errors for ops without an implementation."""
import contextlib

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.backend import compile_engine
from tvm.relay.backend.graph_runtime_codegen import GraphRuntimeCodegen
from tvm.relay.backend.lowering import LoweringMode
from tvm.relay.build_module import BuildModule


def _typed(func):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    return mod["main"]


def _dense_relu(name):
    x = relay.var(name, shape=(4, 16))
    w = relay.var(name + "_w", shape=(8, 16))
    func = relay.Function([x, w], relay.nn.relu(relay.nn.dense(x, w)))
    return _typed(func.with_attr("Primitive", 1))


def test_cache_key_is_alpha_equivalent_and_counts_uses():
    engine = compile_engine.CompileEngine()
    first = engine.lower(_dense_relu("a"), "llvm")
    second = engine.lower(_dense_relu("b"), "llvm")
    assert first is second
    items = engine.items()
    assert len(items) == 1
    assert items[0][1].use_count == 2
    assert first.func_name.startswith("fused_nn_dense_nn_relu")
    assert [tuple(t.shape) for t in first.inputs] == [(4, 16), (8, 16)]
    assert [tuple(t.shape) for t in first.outputs] == [(4, 8)]
    assert first.anchor_op == "nn.dense" and first.scheduled_by == "topi"
    assert first.has_complex_op
    engine.clear()
    assert engine.items() == []


def test_different_shapes_or_targets_are_different_entries():
    engine = compile_engine.CompileEngine()
    engine.lower(_dense_relu("a"), "llvm")
    x = relay.var("x", shape=(2, 16))
    w = relay.var("w", shape=(8, 16))
    other = _typed(relay.Function([x, w], relay.nn.relu(relay.nn.dense(x, w))).with_attr("Primitive", 1))
    engine.lower(other, "llvm")
    engine.lower(_dense_relu("c"), "llvm -mcpu=core-avx2")
    assert len(engine.items()) == 3
    assert sorted(v.use_count for _, v in engine.items()) == [1, 1, 1]


def test_cache_can_be_turned_off():
    engine = compile_engine.CompileEngine(use_cache=False)
    a = engine.lower(_dense_relu("a"), "llvm")
    b = engine.lower(_dense_relu("a"), "llvm")
    assert a is not b
    assert engine.items() == []


def test_jit_runs_the_kernel():
    engine = compile_engine.CompileEngine()
    func = engine.jit(_dense_relu("a"), "llvm")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 16)).astype("float32")
    w = rng.standard_normal((8, 16)).astype("float32")
    out = tvm.runtime.empty((4, 8), "float32", tvm.cpu())
    func(tvm.runtime.tensor(x), tvm.runtime.tensor(w), out)
    np.testing.assert_allclose(out.numpy(), np.maximum(x @ w.T, 0), rtol=1e-5, atol=1e-5)


class _SpyEngine(compile_engine.CompileEngine):
    def __init__(self):
        super().__init__()
        self.flags = []

    def lower(self, source_func, target=None, use_topi_schedule=True, mod_name="default"):
        self.flags.append(LoweringMode.resolve(use_topi_schedule).use_topi_schedule)
        return super().lower(source_func, target, use_topi_schedule, mod_name)


def _small_net():
    x = relay.var("x", shape=(1, 16))
    w = relay.var("w", shape=(8, 16))
    b = relay.var("b", shape=(8,))
    y = relay.nn.softmax(relay.nn.relu(relay.nn.bias_add(relay.nn.dense(x, w), b)))
    return tvm.IRModule.from_expr(relay.Function([x, w, b], y))


@pytest.mark.parametrize("flag", [True, False])
def test_use_topi_schedule_reaches_the_engine(flag):
    import tvm.auto_scheduler  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel

    spy = _SpyEngine()
    graph_json, lib, params = BuildModule(compile_engine=spy)._build(
        _small_net(), "llvm", None, None, use_topi_schedule=flag
    )
    assert spy.flags and set(spy.flags) == {flag}
    assert "tvm_op" in graph_json


def test_graph_codegen_passes_the_flag_explicitly():
    import tvm.auto_scheduler  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel

    spy = _SpyEngine()
    mod, _ = relay.optimize(_small_net(), "llvm")
    codegen = GraphRuntimeCodegen(None, "llvm", use_topi_schedule=False, compile_engine=spy)
    with tvm.target.Target("llvm"):
        codegen.codegen(mod["main"])
    assert spy.flags and set(spy.flags) == {False}


@contextlib.contextmanager
def _temporary_op(op_name, pattern, compute=None):
    """A one-input op typed like relu, removed from the registry afterwards."""
    from tvm.relay.op import op as op_registry  # pylint: disable=import-outside-toplevel

    op = relay.op.register_op(op_name, num_inputs=1)
    try:
        relay.op.register_pattern(op_name, pattern)
        relay.op.register_type_rel(op_name, relay.op.get("nn.relu").get_attr("FInferType"))
        if compute is not None:
            relay.op.register_compute(op_name, compute)
        yield op
    finally:
        # leave the registry as it was for the other tests
        del op_registry._REGISTRY[op_name]  # pylint: disable=protected-access


def test_op_without_implementation_names_op_and_target():
    with _temporary_op("test.no_strategy_op", relay.op.OpPattern.OPAQUE) as op:
        x = relay.var("x", shape=(2, 3))
        mod = tvm.IRModule.from_expr(relay.Function([x], relay.Call(op, [x])))
        with pytest.raises(tvm.error.OpNotImplemented, match=r"test\.no_strategy_op.*llvm"):
            relay.build(mod, target="llvm")


def test_lowering_error_names_the_function_and_the_op():
    def broken(attrs, inputs, out_type):
        raise ValueError("this compute is broken")

    with _temporary_op("test.lowering_error_op", relay.op.OpPattern.INJECTIVE, broken) as op:
        x = relay.var("x", shape=(2, 3))
        mod = tvm.IRModule.from_expr(relay.Function([x], relay.Call(op, [relay.exp(x)])))
        with pytest.raises(ValueError) as info:
            relay.build(mod, target="llvm")
    message = str(info.value)
    assert "this compute is broken" in message
    assert "in op test.lowering_error_op" in message
    assert "lowering fused function" in message and "exp(" in message


def _conv_relu(name, layout):
    data_shape, kernel_shape, kernel_layout = (
        ((1, 32, 14, 14), (32, 32, 3, 3), "OIHW") if layout == "NCHW"
        else ((1, 14, 14, 32), (3, 3, 32, 32), "HWIO"))
    x = relay.var(name, shape=data_shape)
    w = relay.var(name + "_w", shape=kernel_shape)
    conv = relay.nn.conv2d(x, w, padding=(1, 1), data_layout=layout, kernel_layout=kernel_layout)
    func = relay.Function([x, w], relay.nn.relu(conv))
    return _typed(func.with_attr("Primitive", 1)), data_shape, kernel_shape


def _reference_conv_relu(x, w, layout):
    if layout == "NHWC":
        x, w = x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1)
    pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((1, w.shape[0], x.shape[2], x.shape[3]), "float32")
    for ry in range(3):
        for rx in range(3):
            window = pad[:, :, ry:ry + x.shape[2], rx:rx + x.shape[3]]
            out += np.einsum("nchw,oc->nohw", window, w[:, :, ry, rx])
    out = np.maximum(out, 0)
    return out.transpose(0, 2, 3, 1) if layout == "NHWC" else out


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_topi_kernel_reads_the_weight_blocked_at_build_time(layout):
    """The x86 conv2d schedules block the kernel; the copy leaves the kernel.

    The engine records it as an input transform (the graph codegen applies it
    to constant weights once), and ``jit`` applies it at every call.
    """
    engine = compile_engine.CompileEngine()
    func, data_shape, kernel_shape = _conv_relu("c", layout)
    cached = engine.lower(func, "llvm")
    assert cached.scheduled_by == "topi"
    assert list(cached.input_transforms) == [1]
    transform = cached.input_transforms[1]
    assert transform.old_shape == kernel_shape
    assert len(transform.new_shape) == 5  # [O / tile, ..., tile]
    assert int(np.prod(transform.new_shape)) == int(np.prod(kernel_shape))
    # the kernel's weight parameter has the blocked shape
    assert [int(d) for d in cached.prim_func.params[1].shape] == list(transform.new_shape)

    rng = np.random.default_rng(1)
    x = rng.standard_normal(data_shape).astype("float32")
    w = rng.standard_normal(kernel_shape).astype("float32")
    out = tvm.runtime.empty(data_shape, "float32", tvm.cpu())
    engine.jit(func, "llvm")(tvm.runtime.tensor(x), tvm.runtime.tensor(w), out)
    np.testing.assert_allclose(out.numpy(), _reference_conv_relu(x, w, layout), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("bind_weight", [True, False])
def test_graph_codegen_pretransforms_constant_weights_only(bind_weight):
    """A constant weight becomes a param in the blocked layout (no transform kernel);
    a weight given at run time goes through a transform kernel in the graph."""
    x = relay.var("x", shape=(1, 32, 14, 14))
    w = relay.var("w", shape=(32, 32, 3, 3))
    func = relay.Function([x, w], relay.nn.relu(relay.nn.conv2d(x, w, padding=(1, 1))))
    rng = np.random.default_rng(2)
    w_np = rng.standard_normal((32, 32, 3, 3)).astype("float32")
    x_np = rng.standard_normal((1, 32, 14, 14)).astype("float32")
    params = {"w": w_np} if bind_weight else None
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(tvm.IRModule.from_expr(func), target="llvm", params=params)
    names = [node["name"] for node in __import__("json").loads(lib.get_graph_json())["nodes"]]
    # weight transform kernels are named after their convolution; the build's own
    # activation conversions at the model's boundary (ChooseLayout) are not counted
    transform_kernels = [n for n in names if "conv2d" in n and "layout_transform" in n]
    assert bool(transform_kernels) != bind_weight
    if bind_weight:
        # only the blocked weight is kept: the OIHW original is not read any more
        (shape,) = [tuple(v.shape) for v in lib.get_params().values()]
        assert len(shape) == 5 and int(np.prod(shape)) == 32 * 32 * 3 * 3
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("x", x_np)
    if not bind_weight:
        module.set_input("w", w_np)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), _reference_conv_relu(x_np, w_np, "NCHW"),
                               rtol=1e-4, atol=1e-4)
