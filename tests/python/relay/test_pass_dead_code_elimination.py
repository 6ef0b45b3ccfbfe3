"""DeadCodeElimination: unused let bindings go, used ones stay, values unchanged."""
import numpy as np

import tvm
from tvm import relay
from tvm.relay.reference import create_executor


def _run(mod, *inputs):
    return create_executor("debug", mod=mod).evaluate()(*inputs).numpy()


def _dce(func, inline_once=False):
    mod = tvm.IRModule.from_expr(func)
    return mod, relay.transform.DeadCodeElimination(inline_once)(mod)


def _let_vars(expr):
    names = []
    while isinstance(expr, relay.Let):
        names.append(expr.var.name_hint)
        expr = expr.body
    return names


def test_unused_lets_and_their_inputs_are_removed():
    x = relay.var("x", shape=(3,))
    a, b, c, d = (relay.var(n) for n in "abcd")
    # a is used only by b, and b is never used: both are dead; c and d live
    body = relay.Let(
        a,
        relay.exp(x),
        relay.Let(
            b,
            relay.add(a, a),
            relay.Let(c, relay.negative(x), relay.Let(d, relay.add(c, x), relay.multiply(d, c))),
        ),
    )
    mod, out = _dce(relay.Function([x], body))
    assert _let_vars(out["main"].body) == ["c", "d"]
    mod = relay.transform.InferType()(mod)
    out = relay.transform.InferType()(out)
    data = np.array([1.0, -2.0, 0.5], "float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data))
    np.testing.assert_allclose(_run(out, data), (-data + data) * -data)


def test_inline_once():
    x = relay.var("x", shape=(2,))
    a, b = relay.var("a"), relay.var("b")
    body = relay.Let(a, relay.exp(x), relay.Let(b, relay.add(a, x), relay.multiply(b, b)))
    mod, out = _dce(relay.Function([x], body), inline_once=True)
    new_body = out["main"].body
    # a is used once (inlined); b twice (kept)
    assert _let_vars(new_body) == ["b"]
    assert new_body.value.op.name == "add" and new_body.value.args[0].op.name == "exp"
    mod = relay.transform.InferType()(mod)
    out = relay.transform.InferType()(out)
    data = np.array([0.5, -1.0], "float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-6)


def test_nested_lets_in_values_and_closures():
    x = relay.var("x", shape=(2,))
    y, z, u = relay.var("y"), relay.var("z"), relay.var("u")
    p = relay.var("p", shape=(2,))
    inner = relay.Let(u, relay.exp(p), p)  # u unused inside the closure
    f = relay.var("f")
    body = relay.Let(f, relay.Function([p], inner), relay.Let(y, relay.Call(f, [x]), relay.Let(z, x, y)))
    _, out = _dce(relay.Function([x], body))
    new_body = out["main"].body
    assert _let_vars(new_body) == ["f", "y"]
    assert isinstance(new_body.value, relay.Function) and new_body.value.body is p


def test_to_graph_normal_form_shares_let_values():
    x = relay.var("x", shape=(3,))
    a, b = relay.var("a"), relay.var("b")
    body = relay.Let(a, relay.exp(x), relay.Let(b, relay.add(a, a), relay.multiply(b, a)))
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], body)))
    out = relay.transform.ToGraphNormalForm()(mod)
    new_body = out["main"].body
    assert isinstance(new_body, relay.Call) and new_body.op.name == "multiply"
    exp_node = new_body.args[1]
    assert exp_node.op.name == "exp" and new_body.args[0].args[0] is exp_node  # shared node
    out = relay.transform.InferType()(out)
    data = np.array([0.1, -0.2, 0.3], "float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-6)


def test_fold_constant_expr():
    expr = relay.add(relay.const(1.0), relay.const(2.0))
    folded = relay.transform.FoldConstantExpr(expr, tvm.IRModule())
    assert isinstance(folded, relay.Constant) and float(folded.numpy()) == 3.0


def test_uses_inside_references_and_match_keep_their_lets():
    # a binding used only inside ref_create / ref_read / ref_write or a match stays
    x = relay.var("x", shape=(2,))
    r, v, w, unused = relay.var("r"), relay.var("v"), relay.var("w"), relay.var("unused")
    body = relay.Let(r, relay.RefCreate(x),
                     relay.Let(v, relay.add(x, x),
                               relay.Let(unused, relay.multiply(x, x),
                                         relay.Let(w, relay.RefWrite(r, v),
                                                   relay.Tuple([w, relay.RefRead(r)])))))
    _, out = _dce(relay.Function([x], body))
    assert _let_vars(out["main"].body) == ["r", "v", "w"]
    data = np.array([1.0, -2.0], "float32")
    result = create_executor("debug", mod=out).evaluate()(data)
    np.testing.assert_allclose(result[1].numpy(), 2 * data)

    from tvm.relay.prelude import Prelude  # pylint: disable=import-outside-toplevel

    prelude_mod = tvm.IRModule()
    prelude = Prelude(prelude_mod)
    _, cons, nil = prelude.mod.get_type("List")
    n, h, t = relay.var("n", shape=(), dtype="int32"), relay.var("h"), relay.var("t")
    match = relay.Match(relay.Call(cons, [n, relay.Call(nil, [])]),
                        [relay.Clause(relay.PatternConstructor(cons, [relay.PatternVar(h),
                                                                      relay.PatternVar(t)]),
                                      relay.add(h, relay.var("k"))),
                         relay.Clause(relay.PatternWildcard(), n)])
    k = match.clauses[0].rhs.args[1]
    prelude_mod["main"] = relay.Function([n], relay.Let(k, relay.const(10), match))
    out = relay.transform.DeadCodeElimination()(prelude_mod)
    assert isinstance(out["main"].body, relay.Let) and out["main"].body.var.name_hint == "k"
    assert int(create_executor("debug", mod=out).evaluate()(np.int32(5)).numpy()) == 15
