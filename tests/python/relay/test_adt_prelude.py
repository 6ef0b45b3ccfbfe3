"""Algebraic data types, pattern matching, polymorphism and references.

Programs over the prelude's lists, options and trees are evaluated with
create_executor("debug") and compared with the same computation in Python /
NumPy; inferred types are compared with the types written by hand.
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.backend.interpreter import ConstructorValue, RefValue
from tvm.relay.op.type_relations import RelayTypeError
from tvm.relay.prelude import Prelude
from tvm.relay.testing.nat import count, make_nat_expr, make_nat_value


@pytest.fixture(scope="module")
def prelude():
    p = Prelude(tvm.IRModule())
    p.mod.import_from_std("nat.rly")
    return p


def to_relay_list(p, values):
    expr = p.nil()
    for value in reversed(values):
        expr = p.cons(relay.const(value), expr)
    return expr


def from_value_list(value):
    out = []
    while value.constructor.name_hint == "Cons":
        out.append(value.fields[0])
        value = value.fields[1]
    assert value.constructor.name_hint == "Nil"
    return out


def run(p, expr):
    return relay.create_executor("debug", mod=p.mod).evaluate(expr)


def test_map_over_tensors_matches_numpy(prelude):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)).astype("float32") for _ in range(4)]
    x = relay.var("x", shape=(2, 3))
    f = relay.Function([x], relay.tanh(x) * relay.const(3.0))
    got = from_value_list(run(prelude, prelude.map(f, to_relay_list(prelude, arrays))))
    assert len(got) == 4
    for value, array in zip(got, arrays):
        np.testing.assert_allclose(value.numpy(), np.tanh(array) * 3.0, rtol=1e-5)


def test_folds_sum_length_rev(prelude):
    values = [5, 3, 9, 1]
    a, b = relay.var("a", "int32"), relay.var("b", "int32")
    minus = relay.Function([a, b], a - b)
    lst = to_relay_list(prelude, values)
    # foldl ((((0-5)-3)-9)-1); foldr (5-(3-(9-(1-0))))
    assert run(prelude, prelude.foldl(minus, relay.const(0), lst)).numpy() == 0 - 5 - 3 - 9 - 1
    assert run(prelude, prelude.foldr(minus, relay.const(0), lst)).numpy() == 5 - (3 - (9 - (1 - 0)))
    assert run(prelude, prelude.foldr1(minus, lst)).numpy() == 5 - (3 - (9 - 1))
    assert run(prelude, prelude.sum(lst)).numpy() == sum(values)
    assert run(prelude, prelude.length(lst)).numpy() == len(values)
    got = [v.numpy().item() for v in from_value_list(run(prelude, prelude.rev(lst)))]
    assert got == values[::-1]


def test_list_access_and_combinators(prelude):
    values = [4, 7, 2]
    lst = to_relay_list(prelude, values)
    assert run(prelude, prelude.hd(lst)).numpy() == 4
    assert run(prelude, prelude.nth(lst, relay.const(2))).numpy() == 2
    tail = [v.numpy().item() for v in from_value_list(run(prelude, prelude.tl(lst)))]
    assert tail == [7, 2]
    upd = prelude.update(lst, relay.const(1), relay.const(10))
    assert [v.numpy().item() for v in from_value_list(run(prelude, upd))] == [4, 10, 2]
    both = prelude.concat(lst, to_relay_list(prelude, [8]))
    assert [v.numpy().item() for v in from_value_list(run(prelude, both))] == [4, 7, 2, 8]
    x = relay.var("x", "int32")
    keep = relay.Function([x], relay.greater(x, relay.const(3)))
    kept = run(prelude, prelude.filter(keep, lst))
    assert [v.numpy().item() for v in from_value_list(kept)] == [4, 7]
    pairs = from_value_list(run(prelude, prelude.zip(lst, to_relay_list(prelude, [1.5, 2.5]))))
    assert [(a.numpy().item(), b.numpy().item()) for a, b in pairs] == [(4, 1.5), (7, 2.5)]


def test_map_accum_and_unfold(prelude):
    acc, x = relay.var("acc", "int32"), relay.var("x", "int32")
    # running sum: (acc + x, acc + x)
    step = relay.Function([acc, x], relay.Tuple([acc + x, acc + x]))
    lst = to_relay_list(prelude, [1, 2, 3])
    final, outs = run(prelude, prelude.map_accuml(step, relay.const(0), lst))
    assert final.numpy() == 6
    # 0.8's map_accuml conses onto its accumulator: the outputs come out last-first
    assert [v.numpy().item() for v in from_value_list(outs)] == [6, 3, 1]
    final, outs = run(prelude, prelude.map_accumr(step, relay.const(0), lst))
    assert final.numpy() == 6
    assert [v.numpy().item() for v in from_value_list(outs)] == [6, 5, 3]

    n = relay.var("n", "int32")
    # counts down from the seed: Some((n - 1, n)) while n > 0
    body = relay.If(
        relay.greater(n, relay.const(0)),
        prelude.some(relay.Tuple([n - relay.const(1), n])),
        prelude.none(),
    )
    gen = relay.Function([n], body)
    down = run(prelude, prelude.unfoldr(gen, relay.const(3)))
    assert [v.numpy().item() for v in from_value_list(down)] == [3, 2, 1]
    up = run(prelude, prelude.unfoldl(gen, relay.const(3)))
    assert [v.numpy().item() for v in from_value_list(up)] == [1, 2, 3]


def test_tree_and_higher_order(prelude):
    leaf = lambda v: prelude.rose(relay.const(v), prelude.nil())  # noqa: E731
    tree = prelude.rose(relay.const(1), prelude.cons(leaf(2), prelude.cons(leaf(3), prelude.nil())))
    assert run(prelude, prelude.size(tree)).numpy() == 3
    x = relay.var("x", "int32")
    doubled = run(prelude, prelude.tmap(relay.Function([x], x * relay.const(2)), tree))
    assert doubled.fields[0].numpy() == 2
    assert [t.fields[0].numpy().item() for t in from_value_list(doubled.fields[1])] == [4, 6]
    inc = relay.Function([x], x + relay.const(1))
    assert run(prelude, prelude.iterate(inc, relay.const(5))(relay.const(10))).numpy() == 15
    dbl = relay.Function([x], x * relay.const(2))
    assert run(prelude, prelude.compose(inc, dbl)(relay.const(7))).numpy() == 15
    assert run(prelude, prelude.id(relay.const(4))).numpy() == 4


def test_nat(prelude):
    double = prelude.mod.get_global_var("nat_double")
    add = prelude.mod.get_global_var("nat_add")
    assert count(prelude, run(prelude, double(make_nat_expr(prelude, 4)))) == 8
    assert count(prelude, run(prelude, add(make_nat_expr(prelude, 2), make_nat_expr(prelude, 5)))) == 7
    nat_t = prelude.mod.get_global_type_var("nat")
    v = relay.var("v", nat_t())
    mod = prelude.mod.copy()
    mod["main"] = relay.Function([v], double(v))
    out = relay.create_executor("debug", mod=mod).evaluate()(make_nat_value(prelude, 3))
    assert isinstance(out, ConstructorValue) and count(prelude, out) == 6


def test_inferred_types(prelude):
    mod = relay.transform.InferType()(prelude.mod)
    list_t = mod.get_global_type_var("List")
    a, b = relay.TypeVar("a"), relay.TypeVar("b")
    want = relay.FuncType([relay.FuncType([a], b), list_t(a)], list_t(b), [a, b])
    assert mod["map"].checked_type == want
    assert tvm.ir.structural_equal(mod["map"].checked_type, want)
    # a use instantiates the type parameters
    x = relay.var("x", shape=(3,), dtype="float16")
    f = relay.Function([x], relay.sum(x))
    call = prelude.map(f, prelude.nil())
    assert relay.transform.type_infer.infer_type(call, mod) == list_t(relay.scalar_type("float16"))


def test_type_errors_name_the_culprit(prelude):
    list_t = prelude.mod.get_global_type_var("List")
    with pytest.raises(RelayTypeError, match="Cons"):
        # the second field of Cons must be a list
        relay.transform.type_infer.infer_type(
            prelude.cons(relay.const(1), relay.const(2)), prelude.mod
        )
    xs = relay.var("xs", list_t(relay.scalar_type("int32")))
    y = relay.var("y")
    bad = relay.Match(xs, [relay.Clause(relay.PatternConstructor(prelude.some, [relay.PatternVar(y)]), y)])
    with pytest.raises(RelayTypeError, match="Some"):
        relay.transform.type_infer.infer_type(bad, prelude.mod)


def test_references_and_while_loop():
    r = relay.var("r")
    body = relay.Let(
        r, relay.RefCreate(relay.const(1.5)),
        relay.Let(relay.var("_"), relay.RefWrite(r, relay.RefRead(r) * relay.const(4.0)), relay.RefRead(r)),
    )
    assert relay.transform.type_infer.infer_type(body) == relay.scalar_type("float32")
    assert relay.create_executor("debug").evaluate(body).numpy() == 6.0
    cell = relay.create_executor("debug").evaluate(relay.RefCreate(relay.const(2)))
    assert isinstance(cell, RefValue)

    i = relay.var("i", "int32")
    acc = relay.var("acc", "float32")
    loop = relay.loops.while_loop(
        lambda i, acc: relay.less(i, relay.const(10)),
        [i, acc],
        lambda i, acc: [i + relay.const(1), acc * relay.const(1.5)],
    )
    func = relay.Function([i, acc], loop(i, acc))
    out = relay.create_executor("debug", mod=tvm.IRModule.from_expr(func)).evaluate()(0, 2.0)
    assert out[0].numpy() == 10
    np.testing.assert_allclose(out[1].numpy(), 2.0 * 1.5**10, rtol=1e-6)


def test_module_type_definitions_and_structural_equality():
    mod = tvm.IRModule()
    p = Prelude(mod)
    gtv, some, none = mod.get_type("Option")
    assert mod[gtv].constructors == (some, none)
    # tags of one type are consecutive, the same in every module, distinct across types
    assert none.tag == some.tag + 1 and some.tag >> 24 != 0
    assert mod.get_constructor(none.tag) is none
    list_tags = {c.tag for c in mod.get_type("List")[1:]}
    assert not list_tags & {some.tag, none.tag}
    assert Prelude(tvm.IRModule()).mod.get_type("Option")[1].tag == some.tag
    assert gtv in mod.type_definitions
    copied = mod.copy()
    assert tvm.ir.structural_equal(copied, mod)
    # two separately built preludes define the same functions
    other = Prelude(tvm.IRModule())
    assert tvm.ir.structural_equal(p.mod["map"], other.mod["map"])
    assert tvm.ir.structural_hash(p.mod["map"]) == tvm.ir.structural_hash(other.mod["map"])
    assert not tvm.ir.structural_equal(p.mod["foldl"], other.mod["foldr"])
    with pytest.raises(tvm.error.OpNotImplemented, match="tensor arrays"):
        p.get_type("tensor_t", "float32")


def test_text_round_trip_and_parse():
    p = Prelude(tvm.IRModule())
    p.mod.import_from_std("nat.rly")
    text = p.mod.astext()
    assert "type List[A] {" in text and "match? (" in text
    parsed = tvm.parser.parse(text)  # type-inferred, as 0.8's parser returned it
    typed = relay.transform.InferType()(p.mod)
    assert tvm.ir.structural_equal(parsed, typed)
    assert parsed["foldr"].checked_type == typed["foldr"].checked_type
    # hand-written text using the prelude of the module parsed into
    mod = tvm.parser.parse(
        """
        #[version = "0.0.5"]
        type Pair[A, B] { MkPair(A, B), }
        def @swap[A, B](%p: Pair[A, B]) -> Pair[B, A] {
          match (%p) { MkPair(%a, %b) => MkPair(%b, %a) }
        }
        def @main(%x: int32, %y: float32) {
          let %r = ref(%x);
          ref_write(%r, ref_read(%r) * 7);
          @swap(MkPair(ref_read(%r), %y))
        }
        """
    )
    out = relay.create_executor("debug", mod=mod).evaluate()(3, 0.5)
    assert out.constructor.name_hint == "MkPair"
    assert out.fields[0].numpy() == 0.5 and out.fields[1].numpy() == 21
    main_t = relay.transform.InferType()(mod)["main"].checked_type
    pair = mod.get_global_type_var("Pair")
    assert main_t == relay.FuncType(
        [relay.scalar_type("int32"), relay.scalar_type("float32")],
        pair(relay.scalar_type("float32"), relay.scalar_type("int32")),
    )
    ref = relay.RefCreate(relay.const(1.0))
    expr = relay.Let(relay.var("r"), ref, relay.RefRead(ref))
    assert tvm.ir.structural_equal(tvm.parser.parse_expr(expr.astext()), expr)


def test_imported_definitions_are_typed_on_import():
    # as 0.8 typed the standard files it parsed: the functions carry their types at once
    p = Prelude(tvm.IRModule())
    p.mod.import_from_std("nat.rly")
    nat = p.mod.get_type("nat")[0]
    assert p.mod[p.mod.get_global_var("nat_add")].checked_type == relay.FuncType([nat(), nat()], nat())
    a = p.mod[p.mod.get_global_var("map")].checked_type
    assert isinstance(a, relay.FuncType) and len(a.type_params) == 2
