"""Relay passes are base ``tvm.transform`` passes; ``tvm.IRModule`` holds Relay functions."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay.op.type_relations import RelayTypeError


def _scaled_add():
    x = relay.var("x", shape=(2, 3))
    two = relay.add(relay.const(1.0), relay.const(1.0))  # foldable
    return relay.Function([x], relay.add(relay.multiply(x, two), relay.const(0.5)))


def _run(mod, x):
    lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("x", x)
    module.run()
    return module.get_output(0).numpy()


def _count_constants_adds(func):
    adds = []
    relay.analysis.post_order_visit(
        func, lambda n: adds.append(n) if isinstance(n, relay.Call) and n.op.name == "add" else None
    )
    return len(adds)


def test_relay_passes_are_base_passes():
    for p in (relay.transform.InferType(), relay.transform.FoldConstant(), relay.transform.FuseOps(),
              relay.transform.FoldScaleAxis(), relay.transform.SimplifyInference()):
        assert isinstance(p, tvm.transform.Pass)
        assert isinstance(p, tvm.transform.ModulePass)
    assert relay.transform.FoldConstant().info.opt_level == 2
    assert relay.transform.FoldConstant().info.name == "FoldConstant"


def test_sequential_honours_opt_level_disabled_and_required():
    mod = tvm.IRModule.from_expr(_scaled_add())
    seq = tvm.transform.Sequential([relay.transform.InferType(), relay.transform.FoldConstant()])
    with tvm.transform.PassContext(opt_level=1):
        unfolded = seq(mod)
    with tvm.transform.PassContext(opt_level=3):
        folded = seq(mod)
    with tvm.transform.PassContext(opt_level=3, disabled_pass=["FoldConstant"]):
        disabled = seq(mod)
    with tvm.transform.PassContext(opt_level=1, required_pass=["FoldConstant"]):
        required = seq(mod)
    assert _count_constants_adds(unfolded["main"]) == 2
    assert _count_constants_adds(folded["main"]) == 1
    assert _count_constants_adds(disabled["main"]) == 2
    assert _count_constants_adds(required["main"]) == 1
    x = np.arange(6, dtype="float32").reshape(2, 3)
    for m in (unfolded, folded):
        np.testing.assert_allclose(_run(m, x), x * 2 + 0.5, rtol=1e-6)


def test_instruments_see_relay_passes():
    seen = []

    @tvm.instrument.pass_instrument
    class Recorder:  # pylint: disable=too-few-public-methods
        def run_before_pass(self, mod, info):
            seen.append((str(info.name), isinstance(mod["main"], relay.Function)))

    mod = tvm.IRModule.from_expr(_scaled_add())
    seq = tvm.transform.Sequential([relay.transform.InferType(), relay.transform.FoldConstant()])
    with tvm.transform.PassContext(opt_level=3, instruments=[Recorder()]):
        seq(mod)
    names = [n for n, _ in seen]
    assert "InferType" in names and "FoldConstant" in names
    assert all(is_relay for _, is_relay in seen)


def test_function_and_module_pass_decorators():
    @relay.transform.function_pass(opt_level=1)
    def double_output(func, mod, ctx):  # pylint: disable=unused-argument
        return relay.Function(func.params, relay.multiply(func.body, relay.const(2.0)))

    @tvm.transform.module_pass(opt_level=1, required=["InferType"])
    class AddOne:  # pylint: disable=too-few-public-methods
        def __init__(self, value):
            self.value = value

        def transform_module(self, mod, ctx):  # pylint: disable=unused-argument
            func = mod["main"]
            mod = mod.copy()
            mod["main"] = relay.Function(func.params, relay.add(func.body, relay.const(self.value)))
            return mod

    assert isinstance(double_output, tvm.transform.Pass)
    mod = tvm.IRModule.from_expr(_scaled_add())
    with tvm.transform.PassContext(opt_level=3):
        out = tvm.transform.Sequential([double_output, AddOne(1.0)])(mod)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(_run(out, x), (x * 2 + 0.5) * 2 + 1.0, rtol=1e-6)
    # the original module is untouched
    np.testing.assert_allclose(_run(mod, x), x * 2 + 0.5, rtol=1e-6)


def test_errors_keep_their_class_through_the_pass_manager():
    x = relay.var("x", shape=(3,))
    y = relay.var("y", shape=(4,))
    mod = tvm.IRModule.from_expr(relay.Function([x, y], relay.add(x, y)))
    with pytest.raises(RelayTypeError):
        tvm.transform.Sequential([relay.transform.InferType()])(mod)


def test_base_irmodule_holds_relay_functions():
    func = _scaled_add()
    empty = tvm.IRModule()
    empty["main"] = func
    from_dict = tvm.IRModule({"main": func})
    from_gvar = tvm.IRModule({relay.GlobalVar("main"): func})
    updated = tvm.IRModule()
    updated.update({"main": func})
    updated2 = tvm.IRModule()
    updated2.update(from_dict)
    x = np.full((2, 3), 3.0, "float32")
    for mod in (empty, from_dict, from_gvar, updated, updated2, tvm.IRModule.from_expr(func)):
        assert isinstance(mod, tvm.IRModule) and mod["main"] is func
        assert "main" in mod and len(mod) == 1
        assert isinstance(mod.get_global_var("main"), relay.GlobalVar)
        np.testing.assert_allclose(_run(mod, x), x * 2 + 0.5, rtol=1e-6)
        typed = relay.transform.InferType()(mod)
        assert typed["main"].checked_type.ret_type == relay.TensorType((2, 3), "float32")
    assert relay.IRModule is tvm.IRModule
    assert "def @main" in empty.astext() and "multiply" in str(empty)


def test_module_structural_equality_and_globals():
    a, b = _scaled_add(), _scaled_add()
    assert tvm.ir.structural_equal(tvm.IRModule({"main": a}), tvm.IRModule({"main": b}))
    x = relay.var("x", shape=(2, 3))
    other = relay.Function([x], relay.subtract(x, relay.const(1.0)))
    assert not tvm.ir.structural_equal(tvm.IRModule({"main": a}), tvm.IRModule({"main": other}))
    # a global function called from main
    mod = tvm.IRModule()
    helper = relay.GlobalVar("helper")
    mod[helper] = other
    y = relay.var("x", shape=(2, 3))
    mod["main"] = relay.Function([y], relay.Call(helper, [y]))
    mod = relay.transform.InferType()(mod)
    assert sorted(g.name_hint for g in mod.get_global_vars()) == ["helper", "main"]
    result = relay.create_executor("debug", mod=mod).evaluate()(np.ones((2, 3), "float32"))
    np.testing.assert_allclose(result.numpy(), np.zeros((2, 3)), atol=0)
    del mod["helper"]
    assert "helper" not in mod


def test_annotate_spans_rereads_the_module_from_its_text():
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(_scaled_add()))
    reread = relay.transform.AnnotateSpans()(mod)
    assert tvm.ir.structural_equal(mod, reread)
    assert reread["main"] is not mod["main"]
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(_run(reread, x), x * 2 + 0.5, rtol=1e-6)


def test_print_ir_shows_relay_text(capfd):
    mod = tvm.IRModule({"main": _scaled_add()})
    seq = tvm.transform.Sequential([relay.transform.InferType(), tvm.transform.PrintIR("after typing"),
                                    relay.transform.FoldConstant()])
    with tvm.transform.PassContext(opt_level=3):
        out_mod = seq(mod)
    err = capfd.readouterr().err
    assert "PrintIR(after typing)" in err and "multiply(%x" in err
    np.testing.assert_allclose(_run(out_mod, np.ones((2, 3), "float32")), np.full((2, 3), 2.5), rtol=1e-6)
    # 0.8's show_meta_data: a large constant is printed in the metadata section
    big = tvm.IRModule.from_expr(relay.add(relay.var("x", shape=(16,)), relay.const(np.arange(16.0, dtype="float32"))))
    tvm.transform.PrintIR("meta", show_meta_data=True)(big)
    with_meta = capfd.readouterr().err
    tvm.transform.PrintIR("meta")(big)
    without_meta = capfd.readouterr().err
    assert "meta[relay.Constant][0]" in with_meta and "meta[relay.Constant][0]" in without_meta
    assert "#[metadata]" in with_meta and "#[metadata]" not in without_meta


def test_function_passes_keep_the_inferred_return_type():
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(_scaled_add()))
    assert mod["main"].ret_type == relay.TensorType((2, 3), "float32")  # set by InferType, as 0.8
    for p in (relay.transform.FoldConstant(), relay.transform.EliminateCommonSubexpr(),
              relay.transform.SimplifyExpr(), relay.transform.FuseOps()):
        with tvm.transform.PassContext(opt_level=3):
            out = p(mod)
        assert out["main"].ret_type == relay.TensorType((2, 3), "float32"), p.name
