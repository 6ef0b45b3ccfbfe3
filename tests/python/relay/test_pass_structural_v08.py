"""The 0.8 structural passes: each keeps the program's outputs (checked against
the unoptimised module on the reference executor, or against NumPy after
relay.build) and has its structural effect."""
import numpy as np

import tvm
from tvm import relay
from tvm.relay import analysis, transform
from tvm.contrib import graph_executor

RNG = np.random.default_rng(7)


def _run(mod, *args):
    """``main(*args)`` on the reference executor, as a NumPy value (tuples as lists)."""
    result = relay.create_executor("debug", mod=mod).evaluate()(*args)
    if isinstance(result, list | tuple):
        return [r.numpy() for r in result]
    return result.numpy()


def _build_run(mod, inputs):
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return module.get_output(0).numpy()


def _globals(mod):
    return sorted(g.name_hint for g, _ in mod.functions_items())


def _rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _inline_module():
    mod = tvm.IRModule()
    a = relay.var("a", shape=(3, 4))
    leaf = relay.GlobalVar("leaf")
    mod[leaf] = relay.Function([a], relay.exp(a)).with_attr("Inline", 1)
    b, c = relay.var("b", shape=(3, 4)), relay.var("c", shape=(3, 4))
    mid = relay.GlobalVar("mid")
    mod[mid] = relay.Function([b, c], leaf(b) * c).with_attr("Inline", 1)
    d, e = relay.var("d", shape=(3, 4)), relay.var("e", shape=(3, 4))
    keep = relay.GlobalVar("keep")
    mod[keep] = relay.Function([d, e], d - e)
    x, y = relay.var("x", shape=(3, 4)), relay.var("y", shape=(3, 4))
    mod["main"] = relay.Function([x, y], keep(mid(x, y), leaf(y)))
    return mod


def test_inline_removes_inlined_globals_and_keeps_values():
    mod = _inline_module()
    inlined = transform.Inline()(mod)
    assert _globals(inlined) == ["keep", "main"]
    assert analysis.CallGraph(inlined).global_call_count("main") == 1
    xv, yv = _rand(3, 4), _rand(3, 4)
    expected = np.exp(xv) * yv - np.exp(yv)
    np.testing.assert_allclose(_run(mod, xv, yv), expected, rtol=1e-5)
    np.testing.assert_allclose(_run(inlined, xv, yv), expected, rtol=1e-5)


def test_inline_keeps_compiler_functions_as_literals():
    mod = tvm.IRModule()
    a = relay.var("a", shape=(2,))
    ext = relay.GlobalVar("ext")
    mod[ext] = relay.Function([a], a + a).with_attr("Inline", 1).with_attr("Compiler", "x")
    x = relay.var("x", shape=(2,))
    mod["main"] = relay.Function([x], ext(x))
    inlined = transform.Inline()(mod)
    assert _globals(inlined) == ["main"]
    call = inlined["main"].body
    assert isinstance(call.op, relay.Function) and call.op.attrs["Compiler"] == "x"


def test_remove_unused_functions():
    mod = _inline_module()
    unused = relay.var("u", shape=(1,))
    mod["dead"] = relay.Function([unused], unused)
    kept = transform.RemoveUnusedFunctions()(mod)
    assert _globals(kept) == ["keep", "leaf", "main", "mid"]
    assert _globals(transform.RemoveUnusedFunctions(["dead"])(mod)) == ["dead"]
    xv, yv = _rand(3, 4), _rand(3, 4)
    np.testing.assert_allclose(_run(kept, xv, yv), _run(mod, xv, yv), rtol=1e-6)


def test_lambda_lift_closure_and_recursion():
    x = relay.var("x", shape=(2,))
    y = relay.var("y", shape=(2,))
    add_y = relay.Function([x], x * y)  # captures y
    i = relay.var("i", shape=(), dtype="int32")
    s = relay.var("s", shape=(2,))
    loop = relay.var("loop")
    body = relay.If(
        relay.less(i, relay.const(3)), loop(i + relay.const(1), add_y(s)), s
    )  # captures y (through add_y) and calls itself
    prog = relay.Let(loop, relay.Function([i, s], body), loop(relay.const(0), y))
    mod = tvm.IRModule.from_expr(relay.Function([y], prog))
    mod = transform.InferType()(mod)
    lifted = transform.LambdaLift()(mod)
    names = _globals(lifted)
    assert len(names) == 3 and names[-1] == "main"
    closures = [f for g, f in lifted.functions_items() if g.name_hint != "main"]
    assert all(f.attrs.get("Closure") == 1 for f in closures)
    assert _no_function_literals(lifted["main"])
    yv = _rand(2)
    np.testing.assert_allclose(_run(mod, yv), yv ** 4, rtol=1e-5)
    np.testing.assert_allclose(_run(lifted, yv), yv ** 4, rtol=1e-5)


def _no_function_literals(func):
    """No function literal is left in ``func``'s body."""
    found = []
    analysis.post_order_visit(func.body, lambda n: found.append(n) if isinstance(n, relay.Function) else None)
    return not found


def test_eta_expand_global_var():
    mod = tvm.IRModule()
    a = relay.var("a", shape=(3,))
    aux = relay.GlobalVar("aux")
    mod[aux] = relay.Function([a], relay.sqrt(a))
    x = relay.var("x", shape=(3,))
    mod["main"] = relay.Function([x], relay.Call(relay.If(relay.const(True), aux, aux), [x]))
    expanded = transform.EtaExpand(expand_global_var=True)(mod)
    branch = expanded["main"].body.op.true_branch
    assert isinstance(branch, relay.Function) and isinstance(branch.body.op, relay.GlobalVar)
    xv = np.abs(_rand(3))
    np.testing.assert_allclose(_run(expanded, xv), np.sqrt(xv), rtol=1e-6)


def test_to_basic_block_normal_form_lifts_only_shared_values():
    c = relay.var("c", shape=(), dtype="bool")
    x = relay.var("x", shape=(4,))
    shared = relay.exp(x)
    local = relay.add(x, relay.const(1.0))  # used in one branch only
    func = relay.Function([c, x], relay.If(c, shared * local, shared - relay.const(2.0)))
    mod = tvm.IRModule.from_expr(func)
    with tvm.transform.PassContext(opt_level=3):
        bb = transform.ToBasicBlockNormalForm()(mod)
    body = bb["main"].body
    assert isinstance(body, relay.Let) and isinstance(body.body, relay.If)
    assert not isinstance(body.body.true_branch, relay.Let)  # `local` stays in place
    assert analysis.check_basic_block_normal_form(bb["main"])
    xv = _rand(4)
    for flag in (True, False):
        cv = np.array(flag)
        np.testing.assert_allclose(_run(bb, cv, xv), _run(mod, cv, xv), rtol=1e-6)
    expected = np.exp(xv) * (xv + 1)
    np.testing.assert_allclose(_run(bb, np.array(True), xv), expected, rtol=1e-5)


def test_defuse_ops_undoes_fuse_ops():
    x = relay.var("x", shape=(1, 3, 8, 8))
    w = relay.var("w", shape=(4, 3, 3, 3))
    y = relay.nn.relu(relay.nn.conv2d(x, w, kernel_size=(3, 3), padding=(1, 1), channels=4))
    func = relay.Function([x, w], relay.exp(relay.squeeze(relay.sum(y, axis=[2, 3]))))
    mod = transform.InferType()(tvm.IRModule.from_expr(func))
    fused = transform.FuseOps(2)(mod)
    defused = transform.DefuseOps()(fused)
    assert tvm.ir.structural_equal(defused["main"], mod["main"])
    xv, wv = _rand(1, 3, 8, 8), _rand(4, 3, 3, 3)
    np.testing.assert_allclose(
        _build_run(defused, {"x": xv, "w": wv}), _run(mod, xv, wv), rtol=1e-4, atol=1e-5
    )


def test_canonicalize_cast_duplicates_shared_upcast():
    x = relay.var("x", shape=(2, 8), dtype="int8")
    b1 = relay.var("b1", shape=(8,), dtype="int32")
    b2 = relay.var("b2", shape=(8,), dtype="int32")
    wide = relay.cast(x, "int32")
    func = relay.Function([x, b1, b2], relay.add(wide, b1) * relay.add(wide, b2))
    mod = transform.InferType()(tvm.IRModule.from_expr(func))
    with tvm.transform.PassContext(opt_level=3):
        out = transform.CanonicalizeCast()(mod)
    casts = []
    analysis.post_order_visit(
        out["main"], lambda n: casts.append(n) if isinstance(n, relay.Call) and n.op.name == "cast" else None
    )
    assert len(casts) == 2 and casts[0] is not casts[1]
    xv = RNG.integers(-128, 128, (2, 8)).astype("int8")
    b1v, b2v = RNG.integers(-50, 50, (2, 8)).astype("int32")
    expected = (xv.astype("int32") + b1v) * (xv.astype("int32") + b2v)
    np.testing.assert_array_equal(_build_run(out, {"x": xv, "b1": b1v, "b2": b2v}), expected)


def test_split_args_splits_long_concatenate():
    inputs = [relay.var(f"p{i}", shape=(1, 2)) for i in range(25)]
    func = relay.Function(inputs, relay.concatenate(inputs, axis=0))
    mod = transform.InferType()(tvm.IRModule.from_expr(func))
    split = transform.SplitArgs(10)(mod)  # 9 inputs + 1 output per kernel
    outer = split["main"].body
    assert outer.op.name == "concatenate" and len(outer.args[0].fields) == 3
    groups = [f.args[0] for f in outer.args[0].fields]
    assert all(g.op.name == "annotation.stop_fusion" for g in outer.args[0].fields)
    assert [len(g.args[0].fields) for g in groups] == [9, 9, 7]
    assert transform.SplitArgs(None)(mod)["main"] is mod["main"]
    values = {f"p{i}": _rand(1, 2) for i in range(25)}
    np.testing.assert_allclose(
        _build_run(split, values), np.concatenate([values[f"p{i}"] for i in range(25)]), rtol=0
    )


def test_eta_expand_constructor():
    if not hasattr(relay, "Match"):
        import pytest  # pylint: disable=import-outside-toplevel

        pytest.skip("relay ADTs are not defined")
    mod = tvm.IRModule()
    p = relay.prelude.Prelude(mod)
    _, cons, nil = p.mod.get_type("List")
    mod["main"] = relay.Function([], cons)
    expanded = transform.InferType()(transform.EtaExpand(expand_constructor=True)(mod))
    wrapper = expanded["main"].body
    assert isinstance(wrapper, relay.Function) and len(wrapper.params) == 2
    assert len(wrapper.type_params) == 1 and wrapper.body.op is cons
    x = relay.var("x", shape=(), dtype="int32")
    hd = p.mod.get_global_var("hd")
    main = expanded.get_global_var("main")
    expanded["first"] = relay.Function([x], hd(relay.Call(relay.Call(main, []), [x, nil()])))
    result = relay.create_executor("debug", mod=expanded).evaluate(expanded.get_global_var("first"))(np.int32(5))
    assert int(result.numpy()) == 5


def test_float_attributes_compare_within_0_8_tolerance():
    # 0.8's structural equality took floats equal within 1e-9 (a pattern's epsilon computed
    # in float64 matches the one a model stores)
    x = relay.var("x", shape=(1, 2, 3, 3))
    gamma, beta, mean, var = (relay.var(n, shape=(2,)) for n in ("g", "b", "m", "v"))
    a = relay.nn.batch_norm(x, gamma, beta, mean, var, epsilon=1e-5)[0]
    b = relay.nn.batch_norm(x, gamma, beta, mean, var, epsilon=1e-5 + 1e-12)[0]
    c = relay.nn.batch_norm(x, gamma, beta, mean, var, epsilon=2e-5)[0]
    assert tvm.ir.structural_equal(a, b) and tvm.ir.structural_hash(a) == tvm.ir.structural_hash(b)
    assert not tvm.ir.structural_equal(a, c)


def test_type_args_of_operator_calls_are_not_compared():
    # as 0.8: a rewritten call of a primitive op keeps the type_args InferType filled in
    # (ExprMutator copies them) and still equals the same call written by hand
    x = relay.var("x", shape=(2, 3))
    typed = relay.transform.InferType()(tvm.IRModule.from_expr(relay.add(x, relay.const(1.0))))
    call = typed["main"].body
    rebuilt = relay.Call(call.op, call.args, call.attrs, [relay.TensorType((2, 3)), relay.TensorType(())])
    by_hand = relay.add(x, relay.const(1.0))
    assert tvm.ir.structural_equal(rebuilt, by_hand, map_free_vars=True)
    assert tvm.ir.structural_hash(rebuilt, map_free_vars=True) == tvm.ir.structural_hash(by_hand, map_free_vars=True)
