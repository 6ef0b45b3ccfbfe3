"""relay.backend.te_compiler (0.8's module of the compile engine) and
tvm.target.override_native_generic_func."""
import numpy as np

import tvm
from tvm import relay, te
from tvm.relay.backend import te_compiler
from tvm.relay.op.strategy.generic import strategy_from_pattern
from tvm.relay.testing.temp_op_attr import TempOpAttr


def _add3(shape):
    x = relay.var("x", shape=shape)
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.add(relay.add(x, x), x)))
    return relay.transform.InferType()(mod)["main"]


def test_lower_caches_equal_functions_and_jit_computes():
    engine = te_compiler.get()
    engine.clear()
    first = engine.lower(_add3((10,)), "llvm")
    assert first.same_as(engine.lower(_add3((10,)), "llvm"))  # structurally equal: cached
    assert not first.same_as(engine.lower(_add3(()), "llvm"))
    func = engine.jit(_add3((10,)), "llvm")
    data = np.random.default_rng(0).standard_normal(10).astype("float32")
    out = tvm.runtime.empty((10,), "float32")
    func(tvm.runtime.tensor(data), out)
    np.testing.assert_allclose(out.numpy(), data * 3, rtol=1e-6)
    assert isinstance(te_compiler.CCacheKey(_add3((10,)), "llvm"), te_compiler.CCacheKey)


@tvm.target.override_native_generic_func("test_fork_sum_strategy")
def _sum_strategy(attrs, inputs, out_type, target):
    strategy = relay.op.OpStrategy()
    generic = strategy_from_pattern(relay.op.get("sum"), target)  # the reduction's own
    base = max(generic.implementations, key=lambda impl: impl.plevel)
    strategy.add_implementation(base.fcompute, base.fschedule, name="low", plevel=5)
    strategy.add_implementation(base.fcompute, base.fschedule, name="high", plevel=20)
    return strategy


@_sum_strategy.register("cpu")
def _sum_strategy_cpu(attrs, inputs, out_type, target):
    strategy = _sum_strategy.fdefault(attrs, inputs, out_type, target)
    strategy.add_implementation(strategy.implementations[0].fcompute,
                                strategy.implementations[0].fschedule, name="cpu_only", plevel=30)
    return strategy


def test_select_implementation_follows_plevel_and_target_keys():
    x = relay.var("x", shape=(4, 6))
    call = relay.transform.InferType()(tvm.IRModule.from_expr(relay.sum(x, axis=1)))["main"].body
    inputs = [te.placeholder((4, 6), name="x")]
    with TempOpAttr("sum", "FTVMStrategy", _sum_strategy):
        impls = te_compiler.get_valid_implementations(
            relay.op.get("sum"), call.attrs, inputs, call.checked_type, "llvm")
        assert [impl.name for impl in impls] == ["cpu_only", "high", "low"]
        impl, outs = te_compiler.select_implementation(
            relay.op.get("sum"), call.attrs, inputs, call.checked_type, tvm.target.Target("llvm"), True)
    assert impl.name == "cpu_only"
    # the chosen compute is the reduction: check it against NumPy
    func = tvm.compile(te.create_prim_func(inputs + list(outs)), target="llvm")
    data = np.random.default_rng(1).standard_normal((4, 6)).astype("float32")
    out = tvm.runtime.empty((4,), "float32")
    func(tvm.runtime.tensor(data), out)
    np.testing.assert_allclose(out.numpy(), data.sum(axis=1), rtol=1e-5)
    assert tvm.target.get_native_generic_func("test_fork_sum_strategy") is _sum_strategy
