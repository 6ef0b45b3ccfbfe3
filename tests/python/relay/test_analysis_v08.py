"""The 0.8 analyses of relay.analysis: variables and type variables, features,
well-formedness, basic block normal form, call graph, operator and kernel
extraction, MAC counts and calibration data (values checked against NumPy)."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay import analysis
from tvm.relay.analysis import Feature


def _names(variables):
    return [v.name_hint for v in variables]


def test_variables_in_the_order_met():
    x, y, z, w = (relay.var(n, shape=(2,)) for n in "xyzw")
    # z is used before y is bound; w is free inside the let value
    body = relay.Let(y, relay.add(z, w), relay.Tuple([y, x]))
    func = relay.Function([x], body)
    assert _names(analysis.free_vars(func)) == ["z", "w"]
    assert _names(analysis.bound_vars(func)) == ["x", "y"]
    assert _names(analysis.all_vars(func)) == ["x", "y", "z", "w"]
    # a shared subexpression is met once
    shared = relay.add(z, z)
    assert _names(analysis.free_vars(relay.Tuple([shared, shared]))) == ["z"]


def test_type_vars_free_bound_all():
    a, b, c = relay.TypeVar("a"), relay.TypeVar("b"), relay.TypeVar("c")
    fty = relay.FuncType([b], relay.TupleType([c, relay.TensorType((), "int32")]), [a])
    assert analysis.all_type_vars(fty) == [a, b, c]
    assert analysis.bound_type_vars(fty) == [a]
    assert analysis.free_type_vars(fty) == [b, c]
    x = relay.Var("x", a)
    func = relay.Function([x], x, a, [a])
    assert analysis.bound_type_vars(func) == [a]
    assert analysis.free_type_vars(func) == []
    assert analysis.free_type_vars(relay.Function([x], x)) == [a]


def test_all_dtypes_of_annotations_and_inferred_types():
    x = relay.var("x", shape=(3,), dtype="int8")
    y = relay.cast(x, "float32")
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], y)))
    assert analysis.all_dtypes(mod["main"]) == {"int8", "float32"}


def test_detect_feature_kinds_graph_and_letrec():
    x = relay.var("x", shape=(2,))
    shared = relay.add(x, x)
    tree = relay.Function([x], relay.multiply(x, relay.const(2.0)))
    graph = relay.Function([x], relay.multiply(shared, shared))
    assert analysis.detect_feature(tree) == {
        Feature.fVar, Feature.fConstant, Feature.fFunction, Feature.fOp, Feature.fCall,
    }
    assert Feature.fGraph in analysis.detect_feature(graph)
    # a let-bound function calling its own variable is a local fixpoint
    f = relay.var("f")
    i = relay.var("i", shape=(), dtype="int32")
    loop = relay.Function([i], relay.If(relay.less(i, relay.const(3)), f(i + relay.const(1)), i))
    prog = relay.Let(f, loop, f(relay.const(0)))
    feats = analysis.detect_feature(prog)
    assert {Feature.fLet, Feature.fLetRec, Feature.fIf} <= feats
    # module + expression
    mod = tvm.IRModule.from_expr(tree)
    assert analysis.detect_feature(relay.GlobalVar("main"), mod) >= {Feature.fGlobalVar, Feature.fCall}


def test_well_formed_and_check_constant():
    x = relay.var("x")
    one = relay.const(1.0)
    let = relay.Let(x, one, x)
    assert analysis.well_formed(let)
    assert analysis.well_formed(x)
    assert not analysis.well_formed(relay.Let(x, one, let))  # x bound twice
    assert not analysis.well_formed(relay.Tuple([let, relay.Let(x, one, x)]))
    f = relay.Function([x], x)
    assert analysis.well_formed(relay.Tuple([f, f]))  # one function reached twice
    assert analysis.check_constant(relay.Tuple([one, relay.Tuple([one])]))
    assert not analysis.check_constant(relay.Tuple([one, x]))


def test_basic_block_normal_form_check():
    c = relay.var("c", shape=(), dtype="bool")
    x = relay.var("x", shape=(2,))
    shared = relay.add(x, x)  # computed once, used in both branches
    bad = relay.Function([c, x], relay.If(c, shared, relay.multiply(shared, shared)))
    with pytest.raises(tvm.error.TVMError):
        analysis.check_basic_block_normal_form(bad)
    v = relay.var("v")
    good = relay.Function([c, x], relay.Let(v, shared, relay.If(c, v, relay.multiply(v, v))))
    assert analysis.check_basic_block_normal_form(good)


def _three_function_module():
    mod = tvm.IRModule()
    a, b = relay.var("a", shape=(2, 3)), relay.var("b", shape=(2, 3))
    g0 = relay.GlobalVar("g0")
    mod[g0] = relay.Function([a, b], a + b)
    c, d = relay.var("c", shape=(2, 3)), relay.var("d", shape=(2, 3))
    g1 = relay.GlobalVar("g1")
    mod[g1] = relay.Function([c, d], g0(c, d) * d)
    p, q = relay.var("p", shape=(2, 3)), relay.var("q", shape=(2, 3))
    mod["main"] = relay.Function([p, q], g1(p, q) - g0(q, p))
    return mod, g0, g1


def test_call_graph_counts_and_order():
    mod, g0, g1 = _three_function_module()
    graph = analysis.CallGraph(mod)
    assert graph.ref_count(g0) == 2 and graph.ref_count(g1) == 1 and graph.ref_count("main") == 0
    assert graph.global_call_count("main") == 2 and graph.global_call_count(g0) == 0
    assert not graph.is_recursive("main")
    order = [e.name_hint for e in graph.topological_order()]
    assert order.index("main") < order.index("g1") < order.index("g0")
    assert "#refs = 2" in graph.print_var("g0")
    assert "main" in str(graph)


def _conv_net():
    x = relay.var("x", shape=(1, 4, 8, 8))
    w1, w2 = relay.var("w1", shape=(4, 4, 3, 3)), relay.var("w2", shape=(4, 4, 3, 3))
    y = relay.nn.relu(relay.nn.conv2d(x, w1, kernel_size=(3, 3), padding=(1, 1), channels=4))
    z = relay.nn.conv2d(y, w2, kernel_size=(3, 3), padding=(1, 1), channels=4)
    return tvm.IRModule.from_expr(relay.Function([x, w1, w2], relay.add(z, y)))


def test_list_op_freqs_counts_inside_fused_functions():
    mod = _conv_net()
    expected = {"nn.conv2d": 2, "nn.relu": 1, "add": 1}
    assert analysis.list_op_freqs(mod) == expected
    fused = relay.transform.FuseOps(3)(relay.transform.InferType()(mod))
    assert analysis.list_op_freqs(fused) == expected


def test_extract_fused_functions_are_the_kernels():
    mod = _conv_net()
    funcs = analysis.extract_fused_functions(mod)
    assert all(f.is_primitive for f in funcs.values())
    # conv+relu and conv+add: two distinct kernels, keyed by their structural hash
    assert len(funcs) == 2
    for key, func in funcs.items():
        assert key.name_hint == str(relay.structural_hash(func))
    ops = sorted(sorted(analysis.list_op_freqs(tvm.IRModule.from_expr(f))) for f in funcs.values())
    assert ops == [["add", "nn.conv2d"], ["nn.conv2d", "nn.relu"]]


def _typed(body, params):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function(params, body)))
    return mod["main"]


def test_mac_numbers_from_shapes():
    x = relay.var("x", shape=(5, 7))
    w = relay.var("w", shape=(3, 7))
    assert analysis.get_total_mac_number(_typed(relay.nn.dense(x, w), [x, w])) == 5 * 7 * 3
    a = relay.var("a", shape=(2, 4, 6))
    b = relay.var("b", shape=(2, 5, 6))
    assert analysis.get_total_mac_number(_typed(relay.nn.batch_matmul(a, b), [a, b])) == 2 * 4 * 6 * 5
    d = relay.var("d", shape=(1, 8, 10, 10))
    k = relay.var("k", shape=(8, 2, 3, 3))
    conv = relay.nn.conv2d(d, k, kernel_size=(3, 3), groups=4, channels=8)
    out = np.prod((1, 8, 8, 8))
    assert analysis.get_total_mac_number(_typed(conv, [d, k])) == out * 9 * (8 // 4)
    # untyped calls count nothing
    assert analysis.get_total_mac_number(relay.nn.dense(x, w)) == 0


def test_calibration_data_against_numpy():
    mod = tvm.IRModule()
    a, b = relay.var("a", shape=(4, 4)), relay.var("b", shape=(4, 4))
    g0 = relay.GlobalVar("g0")
    mod[g0] = relay.Function([a, b], relay.Tuple([a * b, a - b])).with_attr("Compiler", "ext")
    c, d = relay.var("c", shape=(4, 4)), relay.var("d", shape=(4, 4))
    g1 = relay.GlobalVar("g1")
    mod[g1] = relay.Function([c, d], relay.exp(c) + d).with_attr("Compiler", "ext")
    x, y = relay.var("x", shape=(4, 4)), relay.var("y", shape=(4, 4))
    mod["main"] = relay.Function([x, y], g1(relay.TupleGetItem(g0(x, y), 1), y))
    mod = relay.transform.InferType()(mod)
    rng = np.random.default_rng(0)
    xv, yv = rng.random((4, 4), dtype="float32"), rng.random((4, 4), dtype="float32")
    data = analysis.get_calibration_data(mod, {"x": xv, "y": yv})
    assert set(data) == {g0, g1}
    np.testing.assert_allclose(data[g0]["inputs"][0].numpy(), xv)
    np.testing.assert_allclose(data[g0]["outputs"][0].numpy(), xv * yv, rtol=1e-6)
    np.testing.assert_allclose(data[g0]["outputs"][1].numpy(), xv - yv, rtol=1e-6)
    np.testing.assert_allclose(data[g1]["inputs"][0].numpy(), xv - yv, rtol=1e-6)
    np.testing.assert_allclose(data[g1]["outputs"][0].numpy(), np.exp(xv - yv) + yv, rtol=1e-5)


def test_check_kind_of_basic_types():
    kinds = getattr(relay, "TypeKind", None)
    if kinds is None:
        pytest.skip("relay.TypeKind is not defined")
    tensor = relay.TensorType((1, 2), "float32")
    assert analysis.check_kind(tensor) == kinds.Type
    assert analysis.check_kind(relay.TupleType([tensor, relay.FuncType([tensor], tensor)])) == kinds.Type
    shape_var = relay.TypeVar("s", kinds.ShapeVar)
    assert analysis.check_kind(shape_var) == kinds.ShapeVar
    with pytest.raises(tvm.error.TVMError):
        analysis.check_kind(relay.TupleType([shape_var]))


def test_match_variables_when_adts_exist():
    if not hasattr(relay, "Match"):
        pytest.skip("relay.Match is not defined")
    p = relay.prelude.Prelude(tvm.IRModule())
    _, cons, nil = p.mod.get_type("List")
    x, y, z = relay.var("x"), relay.var("y"), relay.var("z")
    match = relay.Match(nil(), [
        relay.Clause(relay.PatternConstructor(nil), z),
        relay.Clause(relay.PatternConstructor(cons, [relay.PatternVar(x), relay.PatternVar(y)]),
                     cons(x, y)),
    ])
    assert _names(analysis.bound_vars(match)) == ["x", "y"]
    assert _names(analysis.free_vars(match)) == ["z"]
    assert _names(analysis.all_vars(match)) == ["z", "x", "y"]
    assert {Feature.fMatch, Feature.fConstructor} <= analysis.detect_feature(match)


def test_count_layers_is_the_longest_chain():
    x = relay.var("x", shape=(1, 2, 6, 6))
    w = relay.var("w", shape=(2, 2, 1, 1))

    def conv(data):
        return relay.nn.conv2d(data, w, kernel_size=(1, 1), channels=2)

    first = conv(x)
    parallel = relay.add(conv(first), relay.nn.relu(first))  # conv || relu: still two convs deep
    deep = conv(conv(parallel))
    mod = tvm.IRModule.from_expr(relay.Function([x, w], relay.add(deep, parallel)))
    assert analysis.count_layers(mod, ["nn.conv2d"]) == 4
    assert analysis.count_layers(mod["main"], ["nn.relu"]) == 1
    assert analysis.count_layers(mod, ["nn.dense"]) == 0


def test_unmatched_cases_of_prelude_types():
    if not hasattr(relay, "Match"):
        pytest.skip("relay.Match is not defined")
    p = relay.prelude.Prelude(tvm.IRModule())
    _, cons, nil = p.mod.get_type("List")
    _, some, none = p.mod.get_type("Option")
    v = relay.var("v")
    wild = relay.PatternWildcard

    only_some = relay.Match(v, [relay.Clause(relay.PatternConstructor(some, [wild()]), v)])
    missed = analysis.unmatched_cases(only_some, p.mod)
    assert len(missed) == 1 and missed[0].constructor.name_hint == none.name_hint

    short_lists = relay.Match(v, [
        relay.Clause(relay.PatternConstructor(nil), v),
        relay.Clause(relay.PatternConstructor(cons, [wild(), relay.PatternConstructor(nil)]), v),
    ])
    missed = analysis.unmatched_cases(short_lists, p.mod)
    # what is left: lists of two or more elements, Cons(_, Cons(_, _))
    assert len(missed) == 1
    assert missed[0].constructor.name_hint == cons.name_hint
    assert missed[0].patterns[1].constructor.name_hint == cons.name_hint
    complete = relay.Match(v, [relay.Clause(relay.PatternConstructor(nil), v), relay.Clause(wild(), v)])
    assert analysis.unmatched_cases(complete, p.mod) == []
