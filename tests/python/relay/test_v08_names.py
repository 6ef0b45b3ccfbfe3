"""Names of TVM 0.8's public API that 0.8-era scripts use."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tvm
from tvm import relay


def test_scope_builder_let_if_else():
    x = relay.var("x", shape=(3,))
    cond = relay.var("c", shape=(), dtype="bool")
    sb = relay.ScopeBuilder()
    doubled = sb.let("doubled", relay.add(x, x))
    shifted = sb.let(("shifted", relay.TensorType((3,), "float32")), relay.add(doubled, relay.const(1.0)))
    with sb.if_scope(cond):
        sb.ret(shifted)
    with sb.else_scope():
        sb.ret(relay.negative(shifted))
    func = relay.Function([x, cond], sb.get())
    run = relay.create_executor("debug", mod=tvm.IRModule.from_expr(func)).evaluate()
    data = np.array([1.0, 2.0, 3.0], "float32")
    np.testing.assert_allclose(run(data, np.array(True)).numpy(), data * 2 + 1)
    np.testing.assert_allclose(run(data, np.array(False)).numpy(), -(data * 2 + 1))
    assert sb.type_of(relay.add(x, x)) == relay.TensorType((3,), "float32")
    bad = relay.ScopeBuilder()
    with pytest.raises(ValueError, match="no result"):
        bad.get()
    with pytest.raises(ValueError, match="without a preceding if_scope"):
        with bad.else_scope():
            pass


def test_relay_op_module_paths():
    x = relay.var("x", shape=(2, 3))
    expr = relay.op.concatenate([relay.op.log(relay.op.add(x, relay.op.zeros((2, 3), "float32"))), x], 0)
    expr = relay.op.take(relay.op.squeeze(relay.op.expand_dims(expr, 0), [0]), relay.const([0, 3]), axis=0)
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.Tuple([expr, relay.op.shape_of(x)])))
    data = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3)).astype("float32")
    out = relay.create_executor("graph", mod=mod, target="llvm").evaluate()(data)
    np.testing.assert_allclose(out[0].numpy(), np.concatenate([np.log(data), data])[[0, 3]], rtol=1e-5)
    np.testing.assert_array_equal(out[1].numpy(), [2, 3])
    assert relay.op.nn.conv2d is relay.nn.conv2d


def test_references_and_span_names():
    cell = relay.RefCreate(relay.const(1.0))
    assert isinstance(relay.RefRead(cell), relay.RefRead)  # run by the interpreter (test_adt_prelude)
    assert relay.Span is tvm.ir.Span


def test_ffi_and_contrib_utils():
    import tvm._ffi
    from tvm.contrib import utils

    @tvm._ffi.register_func("test_v08_names.scale", override=True)
    def scale(value, factor):
        return value * factor

    assert tvm._ffi.get_global_func("test_v08_names.scale")(3, 4) == 12
    assert tvm._ffi.get_global_func("test_v08_names.none", allow_missing=True) is None
    temp = utils.tempdir()
    path = temp.relpath("lib.so")
    x = relay.var("x", shape=(4,))
    lib = relay.build(tvm.IRModule.from_expr(relay.Function([x], relay.exp(x))), target="llvm")
    lib.export_library(path)
    assert temp.listdir() == ["lib.so"]
    loaded = tvm.runtime.load_module(path)
    from tvm.contrib import graph_executor

    module = graph_executor.GraphModule(loaded["default"](tvm.cpu()))
    module.run(x=np.zeros(4, "float32"))
    np.testing.assert_allclose(module.get_output(0).numpy(), np.ones(4))
    folder = temp.temp_dir
    temp.remove()
    assert not os.path.exists(folder)


def test_fork_packages_resolve_after_plain_import_tvm():
    code = ("import tvm; print(tvm.relay.__name__, tvm.parser.__name__, tvm._ffi.__name__, "
            "tvm.autotvm.__name__, tvm.auto_scheduler.__name__, tvm.contrib.utils.__name__, "
            "len(tvm.transform.PassInfo(1, 'p').required))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["tvm.relay", "tvm.parser", "tvm._ffi", "tvm.autotvm", "tvm.auto_scheduler",
                                  "tvm.contrib.utils", "0"]


def test_bare_dtype_names_mean_32_bits():
    assert relay.TensorType((2,), "int") == relay.TensorType((2,), "int32")
    assert relay.var("x", shape=(2,), dtype="float").type_annotation.dtype == "float32"
    x = relay.var("x", shape=(2,), dtype="int")
    out = relay.create_executor("debug", mod=tvm.IRModule.from_expr(relay.Function([x], relay.add(x, x)))).evaluate()(
        np.array([3, 4], "int32"))
    np.testing.assert_array_equal(out.numpy(), [6, 8])


def test_annotation_ops():
    x = relay.var("x", shape=(4,))
    body = relay.exp(relay.annotation.stop_fusion(relay.negative(x)))
    body = relay.annotation.checkpoint(relay.add(body, relay.const(1.0)))
    mod = tvm.IRModule.from_expr(relay.Function([x], body))
    with tvm.transform.PassContext(opt_level=3):
        fused = tvm.transform.Sequential([relay.transform.InferType(), relay.transform.FuseOps()])(mod)
    primitives = []
    relay.analysis.post_order_visit(
        fused["main"], lambda n: primitives.append(n) if isinstance(n, relay.Function) and n.is_primitive else None)
    assert len(primitives) >= 3  # negative | stop_fusion | exp+add...: nothing fused across stop_fusion
    data = np.linspace(-1, 1, 4).astype("float32")
    for kind in ("graph", "debug"):
        out = relay.create_executor(kind, mod=mod, target="llvm").evaluate()(data)
        np.testing.assert_allclose(out.numpy(), np.exp(-data) + 1, rtol=1e-6)
    ann = relay.annotation.on_device(x, tvm.cpu())
    assert ann.op.name == "on_device" and ann.args[0] is x and ann.attrs.device_type == 1


def test_calling_a_function_typed_variable_builds_a_call():
    f = relay.var("f", relay.FuncType([relay.TensorType((3,), "float32")], relay.TensorType((3,), "float32")))
    x = relay.var("x", shape=(3,))
    body = relay.Let(f, relay.Function([x], relay.exp(x)), f(relay.add(x, x)))
    func = relay.Function([x], body)
    assert isinstance(f(x), relay.Call) and f(x).op is f
    out = relay.create_executor("debug", mod=tvm.IRModule.from_expr(func)).evaluate()(np.ones(3, "float32"))
    np.testing.assert_allclose(out.numpy(), np.exp(np.full(3, 2.0)), rtol=1e-6)


def test_operator_declared_from_python_with_0_8_registration_calls():
    from tvm.relay.op import op as _op

    name = "test_v08_names.broadcast_add"
    try:
        _op.register(name, "add two tensors with broadcasting")
        op = _op.get(name)
        op.set_num_inputs(2)
        op.add_argument("lhs", "Tensor", "left")
        op.add_argument("rhs", "Tensor", "right")
        op.add_type_rel("Broadcast")
        op.set_support_level(1)
        _op.register_pattern(name, _op.OpPattern.BROADCAST)
        _op.register_stateful(name, False)
        x, y = relay.var("x", shape=(10, 4)), relay.var("y", shape=(5, 10, 1))
        mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x, y], relay.Call(op, [x, y]))))
        assert mod["main"].checked_type.ret_type == relay.TensorType((5, 10, 4), "float32")
        assert op.num_inputs == 2 and len(op.arguments) == 2 and op.get_attr("TOpIsStateful") is False
        with pytest.raises(ValueError, match="unknown standard type relation"):
            op.add_type_rel("NoSuchRelation")
    finally:
        _op._REGISTRY.pop(name, None)  # pylint: disable=protected-access


def test_contrib_nvcc_and_topi_cuda_helpers_are_pure_functions():
    from tvm.contrib import nvcc
    from tvm.topi.cuda.conv3d_winograd import _infer_tile_size

    assert nvcc.have_fp16("5.3") and nvcc.have_fp16("7.0") and not nvcc.have_fp16("5.2")
    assert nvcc.have_int8("6.1") and not nvcc.have_int8("6.0")
    assert nvcc.have_tensorcore("7.5") and not nvcc.have_tensorcore("6.1")
    with pytest.raises(RuntimeError, match="CPU only"):
        nvcc.compile_cuda("__global__ void k() {}")
    assert _infer_tile_size(np.zeros((1, 2, 4, 16, 16)), None) == 4
    assert _infer_tile_size(np.zeros((1, 2, 4, 12, 12)), None) == 2


def test_register_alter_op_layout_and_tuple_astuple():
    from tvm.relay.op import op as _op

    def alter(attrs, inputs, tinfos, out_type):  # pylint: disable=unused-argument
        return None

    name = "test_v08_names.alter_target"
    try:
        _op.register(name)
        assert relay.op.register_alter_op_layout(name, alter) is alter
        assert _op.get(name).get_attr("FTVMAlterOpLayout") is alter
    finally:
        _op._REGISTRY.pop(name, None)  # pylint: disable=protected-access
    t = relay.Tuple([relay.const(1.0), relay.const(2.0)])
    assert t.astuple() is t
    out = relay.create_executor("debug", mod=tvm.IRModule.from_expr(relay.Function([], t.astuple()))).evaluate()()
    assert [float(v.numpy()) for v in out] == [1.0, 2.0]
