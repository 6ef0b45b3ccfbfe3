"""Defunctionalization and LazyGradientInit (0.8's higher-order passes).

Programs are evaluated by the reference interpreter before and after the pass
and compared with NumPy; the defunctionalized programs are also checked to
have no call that passes or returns a function.
"""
import numpy as np

import tvm
from tvm import relay
from tvm.relay import transform
from tvm.relay.backend.interpreter import ConstructorValue
from tvm.relay.prelude import Prelude
from tvm.relay.testing import run_infer_type


def _has_func_type(ty):
    if isinstance(ty, relay.FuncType):
        return True
    if isinstance(ty, relay.TupleType):
        return any(_has_func_type(f) for f in ty.fields)
    if isinstance(ty, relay.TypeCall):
        return any(_has_func_type(a) for a in ty.args)
    return False


class _HigherOrderCalls(relay.ExprVisitor):
    def __init__(self, mod):
        super().__init__()
        self.mod = mod
        self.found = []
        self.seen = set()

    def visit_call(self, call):
        if _has_func_type(call.checked_type) or any(_has_func_type(a.checked_type) for a in call.args):
            self.found.append(call)
        super().visit_call(call)

    def visit_global_var(self, gvar):
        if gvar.name_hint not in self.seen:
            self.seen.add(gvar.name_hint)
            self.visit(self.mod[gvar])


def _defunctionalize(mod):
    mod = transform.InferType()(mod)
    orig = mod["main"]
    new_mod = tvm.IRModule()
    new_mod.update(mod)
    new_mod["main"] = transform.Defunctionalization(orig, new_mod)
    new_mod = transform.InferType()(new_mod)
    checker = _HigherOrderCalls(new_mod)
    checker.visit(new_mod["main"])
    assert not checker.found, [c.astext() for c in checker.found]
    return mod, new_mod


def _py_list(value):
    out = []
    while value.fields:
        out.append(value.fields[0].numpy())
        value = value.fields[1]
    return out


def test_map_with_a_capturing_lambda():
    mod = tvm.IRModule()
    p = Prelude(mod)
    _, cons, nil = p.mod.get_type("List")
    rmap = p.mod.get_global_var("map")
    k = relay.var("k", shape=(2,), dtype="float32")
    lst = relay.var("l", relay.TypeCall(p.mod.get_global_type_var("List"), [relay.TensorType((2,), "float32")]))
    x = relay.var("x", shape=(2,), dtype="float32")
    mod["main"] = relay.Function([k, lst], rmap(relay.Function([x], x * k + k), lst))
    mod, defunc = _defunctionalize(mod)
    assert any(g.name_hint.startswith("map_specialized") for g in defunc.get_global_vars())

    kv = np.array([2.0, -1.0], "float32")
    items = [np.array([1.0, 2.0], "float32"), np.array([3.0, 0.5], "float32")]
    value = relay.create_executor("debug", mod=defunc).evaluate(
        cons(relay.const(items[0]), cons(relay.const(items[1]), nil())))
    out = relay.create_executor("debug", mod=defunc).evaluate(defunc["main"])(kv, value)
    assert isinstance(out, ConstructorValue)
    got = _py_list(out)
    for g, item in zip(got, items):
        np.testing.assert_allclose(g, item * kv + kv)
    ref = relay.create_executor("debug", mod=mod).evaluate(mod["main"])(kv, value)
    for g, r in zip(got, _py_list(ref)):
        np.testing.assert_allclose(g, r)


def test_closures_capturing_functions_and_a_global_passed_as_value():
    # sum(f, xs) = match xs { Cons(x, rest) => sum(fn (n) { x + f(n) }, rest), Nil => f(0) }
    mod = tvm.IRModule()
    p = Prelude(mod)
    list_t = p.mod.get_global_type_var("List")
    _, cons, nil = p.mod.get_type("List")
    i32 = relay.TensorType((), "int32")
    fn_t = relay.FuncType([i32], i32)
    f = relay.Var("f", fn_t)
    xs = relay.Var("xs", relay.TypeCall(list_t, [i32]))
    x, rest, n = relay.Var("x", i32), relay.Var("rest", relay.TypeCall(list_t, [i32])), relay.Var("n", i32)
    gsum = relay.GlobalVar("sum_with")
    cons_case = relay.Clause(relay.PatternConstructor(cons, [relay.PatternVar(x), relay.PatternVar(rest)]),
                             gsum(relay.Function([n], x + f(n)), rest))
    nil_case = relay.Clause(relay.PatternConstructor(nil, []), f(relay.const(0)))
    mod[gsum] = relay.Function([f, xs], relay.Match(xs, [cons_case, nil_case]), i32)
    t = relay.TypeVar("t")
    a = relay.Var("a", t)
    gid = relay.GlobalVar("ident")
    mod[gid] = relay.Function([a], a, t, [t])
    lst = relay.Var("l", relay.TypeCall(list_t, [i32]))
    # a let-bound lambda, called directly and passed on
    twice = relay.Var("twice")
    y = relay.Var("y", i32)
    body = relay.Let(twice, relay.Function([y], y + y), twice(gsum(gid, lst)) + gsum(twice, lst))
    mod["main"] = relay.Function([lst], body)
    mod, defunc = _defunctionalize(mod)

    values = [5, 7, 11]
    expr = nil()
    for v in reversed(values):
        expr = cons(relay.const(v), expr)
    data = relay.create_executor("debug", mod=defunc).evaluate(expr)
    got = relay.create_executor("debug", mod=defunc).evaluate(defunc["main"])(data)
    # twice(sum(id)) + sum(twice) = 2 * 23 + (23 + 0)
    assert int(got.numpy()) == 2 * sum(values) + sum(values)
    ref = relay.create_executor("debug", mod=mod).evaluate(mod["main"])(data)
    assert int(ref.numpy()) == int(got.numpy())


def _lazy(func):
    mod = tvm.IRModule.from_expr(func)
    mod = transform.InferType()(mod)
    return transform.LazyGradientInit()(mod)


def test_lazy_gradient_init_keeps_values_and_signature():
    shape = (3, 4)
    t = relay.TensorType(shape, "float32")
    x = relay.var("x", t)
    y = relay.var("y", t)
    fwd = run_infer_type(relay.Function(
        [x, y], relay.exp(x) * y + relay.ones(shape, "float32") * x + relay.zeros_like(y)))
    grad = run_infer_type(transform.gradient(fwd))
    mod = _lazy(grad)
    assert tvm.ir.structural_equal(mod["main"].checked_type, grad.checked_type)
    text = mod.astext()
    assert "MultiplyGradCell" in text and "AddGradCell" in text and "One(" in text
    xs = np.random.RandomState(0).uniform(-1, 1, shape).astype("float32")
    ys = np.random.RandomState(1).uniform(-1, 1, shape).astype("float32")
    val, (dx, dy) = relay.create_executor("debug", mod=mod).evaluate(mod["main"])(xs, ys)
    np.testing.assert_allclose(val.numpy(), np.exp(xs) * ys + xs, rtol=1e-5)
    np.testing.assert_allclose(dx.numpy(), np.exp(xs) * ys + 1, rtol=1e-5)
    np.testing.assert_allclose(dy.numpy(), np.exp(xs), rtol=1e-5)

    # tuple input and output
    tt = relay.TupleType([t, t])
    p = relay.var("p", tt)
    func = relay.Function([p], relay.Tuple([relay.TupleGetItem(p, 0) - relay.TupleGetItem(p, 1),
                                            relay.ones_like(relay.TupleGetItem(p, 0))]))
    mod = _lazy(func)
    a, b = relay.create_executor("debug", mod=mod).evaluate(mod["main"])((xs, ys))
    np.testing.assert_allclose(a.numpy(), xs - ys)
    np.testing.assert_allclose(b.numpy(), np.ones(shape))


def test_grad_cell_shortcuts():
    # The helpers skip work: 0 + r is r's cell, 1 * r is r's cell, 0 * r is the zero.
    shape = (2,)
    t = relay.TensorType(shape, "float32")
    x = relay.var("x", t)
    mod = _lazy(relay.Function([x], x + x))
    add, mul = mod.get_global_var("AddGradCell"), mod.get_global_var("MultiplyGradCell")
    from_cell = mod.get_global_var("FromGradCell")
    cell = mod.get_global_type_var("GradCell")
    raw, one, zero = (next(c for c in mod[cell].constructors if c.name_hint == n) for n in ("Raw", "One", "Zero"))
    a, b = relay.var("a", t), relay.var("b", t)
    plus = relay.Function([a, b], a + b)
    times = relay.Function([a, b], a * b)
    data = np.array([3.0, -2.0], "float32")
    ones_thunk = relay.Function([], relay.ones(shape, "float32"))
    zeros_thunk = relay.Function([], relay.zeros(shape, "float32"))
    cases = {
        "zero_plus": (add(plus, zero(zeros_thunk), raw(relay.const(data))), "Raw", data),
        "one_times": (mul(times, one(ones_thunk), raw(relay.const(data))), "Raw", data),
        "zero_times": (mul(times, raw(relay.const(data)), zero(zeros_thunk)), "Zero", np.zeros(shape)),
        "raw_plus": (add(plus, raw(relay.const(data)), one(ones_thunk)), "Raw", data + 1),
    }
    for name, (expr, ctor, want) in cases.items():
        value = relay.create_executor("debug", mod=mod).evaluate(expr)
        assert value.constructor.name_hint == ctor, name
        tensor = relay.create_executor("debug", mod=mod).evaluate(from_cell(expr))
        np.testing.assert_allclose(tensor.numpy(), want, err_msg=name)
