"""PartialEvaluate and continuation-passing style (0.8's higher-order passes).

Each program is evaluated by the reference interpreter before and after the
transformation (NumPy comparison); where the statically known part determines
the result, the residual program is compared with the expected IR.
"""
import numpy as np

import tvm
from tvm import relay
from tvm.relay import transform
from tvm.relay.analysis import Feature, detect_feature
from tvm.relay.prelude import Prelude
from tvm.relay.testing import make_nat_expr


def _evaluate(func, *args, mod=None):
    return relay.create_executor("debug", mod=mod).evaluate(func)(*args)


def _pe(expr, mod=None, dce=True):
    """PartialEvaluate + InferType (+ DeadCodeElimination(inline_once) + InferType) on ``main``.

    DeadCodeElimination drops unused bindings without asking whether they have
    effects (as 0.8's), so programs whose residual code writes references are
    checked without it.
    """
    if mod is None:
        mod = tvm.IRModule.from_expr(expr)
    else:
        mod["main"] = expr
    passes = [transform.InferType(), transform.PartialEvaluate(), transform.InferType()]
    if dce:
        passes += [transform.DeadCodeElimination(inline_once=True), transform.InferType()]
    return tvm.transform.Sequential(passes)(mod)


def _typed(func):
    return transform.InferType()(tvm.IRModule.from_expr(func))["main"]


def test_known_calls_fold_to_a_constant():
    x = relay.var("x", shape=(), dtype="float32")
    square = relay.Function([x], x * x + relay.const(1.0))
    y = relay.var("y", shape=(), dtype="float32")
    # the argument is known: the call becomes 10.0 (3 * 3 + 1)
    main = relay.Function([y], y + square(relay.const(3.0)))
    out = _pe(main)["main"]
    expected = _typed(relay.Function([y], y + relay.const(10.0)))
    tvm.ir.assert_structural_equal(out, expected)
    np.testing.assert_allclose(_evaluate(out, np.float32(2.0)).numpy(), 12.0)


def test_references_on_known_cells_disappear():
    t = relay.TensorType((3,), "float32")
    d = relay.var("d", t)
    r = relay.Var("r")
    body = relay.Let(r, relay.RefCreate(d), relay.Let(
        relay.Var("u"), relay.RefWrite(r, relay.RefRead(r) + relay.RefRead(r)), relay.RefRead(r) * d
    ))
    func = relay.Function([d], body)
    out = _pe(func)["main"]
    assert Feature.fRefCreate not in detect_feature(out)
    tvm.ir.assert_structural_equal(out, _typed(relay.Function([d], (d + d) * d)))
    data = np.array([1.0, 2.0, -3.0], "float32")
    np.testing.assert_allclose(_evaluate(out, data).numpy(), _evaluate(func, data).numpy())
    np.testing.assert_allclose(_evaluate(out, data).numpy(), (data + data) * data)


def test_dynamic_if_keeps_the_effects_of_both_branches():
    # r := 1; if c { r := r * 3 } else { r := r + 5 }; !r + 2  -- the store after a
    # dynamic if is unknown, so the final read stays.
    c = relay.var("c", shape=(), dtype="bool")
    r = relay.Var("r")
    one = relay.const(1.0)
    ite = relay.If(c, relay.RefWrite(r, relay.RefRead(r) * relay.const(3.0)),
                   relay.RefWrite(r, relay.RefRead(r) + relay.const(5.0)))
    body = relay.Let(r, relay.RefCreate(one), relay.Let(relay.Var("u"), ite,
                                                          relay.RefRead(r) + relay.const(2.0)))
    func = relay.Function([c], body)
    out = _pe(func, dce=False)["main"]
    assert Feature.fRefCreate in detect_feature(out)
    for cond, want in ((True, 5.0), (False, 8.0)):
        np.testing.assert_allclose(_evaluate(out, np.array(cond)).numpy(), want)
        np.testing.assert_allclose(_evaluate(func, np.array(cond)).numpy(), want)


def test_closure_reading_a_reference_after_an_unknown_call():
    # A function that reads a cell, passed through a dynamic if (so it is no longer
    # known where it is called), must read the cell at run time.
    c = relay.var("c", shape=(), dtype="bool")
    r = relay.Var("r")
    fetch = relay.Var("fetch")
    obscured = relay.Var("obscured")
    body = relay.If(c, obscured(), obscured())
    body = relay.Let(relay.Var("u"), relay.RefWrite(r, relay.const(7)), body)
    body = relay.Let(obscured, relay.If(c, fetch, fetch), body)
    body = relay.Let(fetch, relay.Function([], relay.RefRead(r)), body)
    func = relay.Function([c], relay.Let(r, relay.RefCreate(relay.const(0)), body))
    out = _pe(func, dce=False)["main"]
    for cond in (True, False):
        assert int(_evaluate(out, np.array(cond)).numpy()) == 7


def test_recursion_on_known_data_is_unrolled():
    mod = tvm.IRModule()
    p = Prelude(mod)
    p.mod.import_from_std("nat.rly")
    double = p.mod.get_global_var("nat_double")
    out = _pe(relay.Function([], double(make_nat_expr(p, 4))), mod)
    tvm.ir.assert_structural_equal(out["main"].body, make_nat_expr(p, 8))


def test_known_list_map_and_sum():
    mod = tvm.IRModule()
    p = Prelude(mod)
    _, cons, nil = p.mod.get_type("List")
    rmap = p.mod.get_global_var("map")
    x = relay.var("x", shape=(), dtype="int32")
    k = relay.var("k", shape=(), dtype="int32")
    # map (fn x => x * k) [1, 2, 3]: the list is known, k is not
    lst = cons(relay.const(1), cons(relay.const(2), cons(relay.const(3), nil())))
    func = relay.Function([k], rmap(relay.Function([x], x * k), lst))
    out = _pe(func, mod)
    expected_mod = tvm.IRModule()
    ep = Prelude(expected_mod)
    _, econs, enil = ep.mod.get_type("List")
    k2 = relay.var("k", shape=(), dtype="int32")
    expected = relay.Function([k2], econs(relay.const(1) * k2, econs(
        relay.const(2) * k2, econs(relay.const(3) * k2, enil()))))
    expected_mod["main"] = expected
    expected_mod = transform.InferType()(expected_mod)
    tvm.ir.assert_structural_equal(out["main"].body, expected_mod["main"].body, map_free_vars=True)
    value = _evaluate(out["main"], np.int32(5), mod=out)
    got = []
    while value.fields:
        got.append(int(value.fields[0].numpy()))
        value = value.fields[1]
    assert got == [5, 10, 15]


def test_nonterminating_loop_on_a_known_argument_stays_a_call():
    mod = tvm.IRModule()
    t = relay.TypeVar("t")
    x = relay.Var("x", t)
    loop = relay.GlobalVar("loop")
    mod[loop] = relay.Function([x], loop(x), t, [t])
    out = _pe(relay.Function([], loop(relay.const(1))), mod)
    body = out["main"].body
    assert isinstance(body, relay.Call) and body.op == loop
    assert int(body.args[0].numpy()) == 1


def test_recursion_on_unknown_data_is_residual_and_correct():
    # sum of 0..n with n unknown: the function is emitted once, recursive.
    n = relay.var("n", shape=(), dtype="int32")
    i = relay.var("i", shape=(), dtype="int32")
    f = relay.Var("f", relay.FuncType([relay.TensorType((), "int32")], relay.TensorType((), "int32")))
    body = relay.If(relay.equal(i, relay.const(0)), relay.const(0), i + f(i - relay.const(1)))
    func = relay.Function([n], relay.Let(f, relay.Function([i], body), f(n)))
    out = _pe(func)["main"]
    for value in (0, 1, 6, 10):
        assert int(_evaluate(out, np.int32(value)).numpy()) == value * (value + 1) // 2
    # and with the argument known, the whole sum is computed now
    known = _pe(relay.Function([], relay.Let(f, relay.Function([i], body), f(relay.const(10)))))
    tvm.ir.assert_structural_equal(known["main"].body, relay.const(55))


def test_match_on_known_tuple_and_gradient_program():
    a, b = relay.Var("a"), relay.Var("b")
    clause = relay.Clause(relay.PatternTuple([relay.PatternVar(a), relay.PatternVar(b)]), a * b)
    match = relay.Match(relay.Tuple([relay.const(3), relay.const(4)]), [clause])
    out = _pe(relay.Function([], match))
    tvm.ir.assert_structural_equal(out["main"].body, relay.const(12))

    # PE of a gradient program computes the same values
    x = relay.var("x", shape=(4,), dtype="float32")
    y = relay.var("y", shape=(4,), dtype="float32")
    fwd = _typed(relay.Function([x, y], relay.exp(x) * y + x))
    grad = _typed(transform.gradient(fwd))
    out = _pe(grad)["main"]
    xs = np.array([0.1, -0.5, 1.0, 2.0], "float32")
    ys = np.array([1.0, 2.0, 3.0, -1.0], "float32")
    ref_val, (ref_dx, ref_dy) = _evaluate(grad, xs, ys)
    val, (dx, dy) = _evaluate(out, xs, ys)
    np.testing.assert_allclose(val.numpy(), np.exp(xs) * ys + xs, rtol=1e-5)
    np.testing.assert_allclose(dx.numpy(), ref_dx.numpy(), rtol=1e-5)
    np.testing.assert_allclose(dx.numpy(), np.exp(xs) * ys + 1, rtol=1e-5)
    np.testing.assert_allclose(dy.numpy(), ref_dy.numpy(), rtol=1e-5)


# ------------------------------------------------------------------ CPS
def _cps_roundtrip(func, mod=None):
    mod = mod if mod is not None else tvm.IRModule()
    mod["main"] = func
    mod = transform.InferType()(mod)
    cps = transform.to_cps(mod["main"], mod=mod)
    mod["main"] = cps
    mod = transform.InferType()(mod)
    cps_typed = mod["main"]
    mod["main"] = transform.un_cps(cps_typed)
    mod = transform.InferType()(mod)
    return cps_typed, mod


def test_cps_type_and_roundtrip_of_control_flow():
    c = relay.var("c", shape=(), dtype="bool")
    x = relay.var("x", shape=(2,), dtype="float32")
    g = relay.Var("g")
    body = relay.Let(g, relay.Function([], x * relay.const(2.0)),
                     relay.If(c, g() + x, relay.Tuple([g(), x])[0] - x))
    func = relay.Function([c, x], body)
    cps, mod = _cps_roundtrip(func)
    # fn[answer](c, x, k: fn(T) -> answer) -> answer
    assert len(cps.params) == 3 and len(cps.type_params) == 1
    answer = cps.type_params[0]
    assert tvm.ir.structural_equal(
        cps.checked_type,
        relay.FuncType([relay.TensorType((), "bool"), relay.TensorType((2,), "float32"),
                        relay.FuncType([relay.TensorType((2,), "float32")], answer)],
                       answer, [answer]),
    )
    xs = np.array([1.5, -2.0], "float32")
    for cond, want in ((True, 3 * xs), (False, xs)):
        np.testing.assert_allclose(_evaluate(mod["main"], np.array(cond), xs, mod=mod).numpy(), want)


def test_cps_of_global_recursion_and_match():
    mod = tvm.IRModule()
    p = Prelude(mod)
    p.mod.import_from_std("nat.rly")
    nat_iterate = p.mod.get_global_var("nat_iterate")
    x = relay.var("x", shape=(3,), dtype="float32")
    i = relay.var("i", shape=(3,), dtype="float32")
    func = relay.Function([i], nat_iterate(relay.Function([x], x + x), make_nat_expr(p, 3))(i))
    _, mod = _cps_roundtrip(func, mod)
    assert "nat_iterate_cps" in [gv.name_hint for gv in mod.get_global_vars()]
    data = np.array([1.0, 2.0, -0.5], "float32")
    np.testing.assert_allclose(_evaluate(mod["main"], data, mod=mod).numpy(), 8 * data)


def test_cps_then_partial_eval_removes_references():
    # f := (fn () => 1 or fn () => 2 depending on c); !f ()  -- after CPS the
    # continuation is specialised in each branch, and the cell disappears.
    f_ref = relay.Var("f_ref")
    c = relay.var("c", shape=(), dtype="bool")
    one, two = relay.const(1.0), relay.const(2.0)
    write = relay.If(c, relay.RefWrite(f_ref, relay.Function([], one)),
                     relay.RefWrite(f_ref, relay.Function([], two)))
    body = relay.Let(f_ref, relay.RefCreate(relay.Function([], relay.const(0.0))),
                     relay.Let(relay.Var("u"), write, relay.Call(relay.RefRead(f_ref), [])))
    func = _typed(relay.Function([c], body))
    cps = _typed(transform.to_cps(func))
    mod = _pe(cps)
    assert Feature.fRefCreate not in detect_feature(mod["main"])
    mod["main"] = transform.un_cps(mod["main"])
    mod = transform.InferType()(mod)
    for cond, want in ((True, 1.0), (False, 2.0)):
        np.testing.assert_allclose(_evaluate(mod["main"], np.array(cond), mod=mod).numpy(), want)
