"""The Relay pattern language: matching each pattern kind (and failing to),
rewriting checked numerically against the original expression, partitioning
checked against hand-built expected expressions, and the errors of bad input."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.dataflow_pattern import (
    AltPattern,
    AttrPattern,
    CallPattern,
    ConstantPattern,
    DFPattern,
    DFPatternCallback,
    DataTypePattern,
    DominatorPattern,
    ExprPattern,
    FunctionPattern,
    IfPattern,
    LetPattern,
    ShapePattern,
    TupleGetItemPattern,
    TuplePattern,
    TypePattern,
    VarPattern,
    WildcardPattern,
    dominates,
    has_attr,
    has_dtype,
    has_shape,
    has_type,
    is_constant,
    is_expr,
    is_if,
    is_let,
    is_op,
    is_tuple,
    is_tuple_get_item,
    is_var,
    match,
    partition,
    rewrite,
    wildcard,
)

ELEMWISE = 0
BROADCAST = 1


def _evaluate(expr, inputs):
    """Value of ``expr`` (a function of its free variables) on the reference interpreter."""
    func = expr if isinstance(expr, relay.Function) else relay.Function(relay.analysis.free_vars(expr), expr)
    mod = tvm.IRModule.from_expr(func)
    args = [inputs[p.name_hint] for p in mod["main"].params]
    return relay.create_executor("debug", mod=mod).evaluate()(*args).numpy()


def _rand(*shape, seed=0, low=-1.0, high=1.0):
    return np.random.RandomState(seed).uniform(low, high, shape).astype("float32")


# -- pattern nodes -----------------------------------------------------------------


def test_sugar_builds_the_pattern_classes_with_their_fields():
    x = relay.var("x", shape=(2,))
    assert isinstance(is_expr(x), ExprPattern) and is_expr(x).expr is x
    assert isinstance(is_var("x"), VarPattern) and is_var("x").name == "x" and is_var().name == ""
    assert isinstance(is_constant(), ConstantPattern)
    assert isinstance(wildcard(), WildcardPattern)
    a, b = wildcard(), wildcard()
    call = is_op("add")(a, b)
    assert isinstance(call, CallPattern) and call.args == (a, b)
    assert wildcard()(None).args is None
    fn = FunctionPattern([a], call)
    assert fn.params == (a,) and fn.body is call
    tup = is_tuple([a, b])
    assert isinstance(tup, TuplePattern) and len(tup) == 2 and tup[1] is b
    item = is_tuple_get_item(tup, 1)
    assert isinstance(item, TupleGetItemPattern) and item.tuple is tup and item.index == 1
    assert is_tuple_get_item(tup).index == -1
    assert isinstance(a | b, AltPattern)
    ttype = relay.TensorType((3, 4), "float32")
    assert isinstance(has_type(ttype), TypePattern) and has_type(ttype).type == ttype
    assert isinstance(has_dtype("int8"), DataTypePattern) and has_dtype("int8").dtype == "int8"
    assert isinstance(has_shape([3, 4]), ShapePattern) and has_shape([3, 4]).shape == (3, 4)
    attr = is_op("nn.relu").has_attr({"TOpPattern": ELEMWISE})
    assert isinstance(attr, AttrPattern) and attr.attrs["TOpPattern"] == ELEMWISE
    assert isinstance(has_attr({"Composite": "x"}), AttrPattern)
    cond = is_if(is_var("c"), a, b)
    assert isinstance(cond, IfPattern) and cond.true_branch is a
    let = is_let(is_var("v"), a, b)
    assert isinstance(let, LetPattern) and let.value is a
    dom = dominates(a, b, call)
    assert isinstance(dom, DominatorPattern) and (dom.parent, dom.path, dom.child) == (a, b, call)
    dom2 = call.dominates(a)
    assert dom2.child is call and isinstance(dom2.path, WildcardPattern)
    for op_name, pat in (("add", a + b), ("subtract", a - b), ("multiply", a * b), ("divide", a / b)):
        assert pat.op.expr is relay.op.op.get(op_name)
    assert "nn.conv2d" in repr(is_op("nn.conv2d")(wildcard(), wildcard()))


def test_bad_input_is_refused_with_a_clear_error():
    x = relay.var("x")
    with pytest.raises(tvm.error.OpNotImplemented, match="nn.conv_2d"):
        is_op("nn.conv_2d")
    with pytest.raises(TypeError, match="is_expr"):
        is_op("add")(x, wildcard())
    with pytest.raises(TypeError, match="DFPattern"):
        match(x, x)
    with pytest.raises(TypeError, match="relay expression"):
        match(wildcard(), 3)
    with pytest.raises(TypeError, match="DFPattern"):
        wildcard() | 1
    with pytest.raises(TypeError, match="relay type"):
        has_type("float32")
    with pytest.raises(TypeError, match="dict"):
        wildcard().has_attr(["TOpPattern"])

    class NoPattern(DFPatternCallback):
        def callback(self, pre, post, node_map):
            return post

    with pytest.raises(ValueError, match="NoPattern has no pattern"):
        rewrite(NoPattern(), x)

    class ReturnsNone(DFPatternCallback):
        def __init__(self):
            super().__init__()
            self.pattern = is_op("nn.relu")(wildcard())

        def callback(self, pre, post, node_map):
            return None

    with pytest.raises(TypeError, match="ReturnsNone.callback returned NoneType"):
        rewrite(ReturnsNone(), relay.nn.relu(x))
    with pytest.raises(TypeError, match="check must be callable"):
        partition(wildcard(), x, check=1)


# -- matching: each pattern kind, positive and negative ---------------------------


def test_expr_var_constant_wildcard():
    x, y = relay.var("x"), relay.var("y")
    assert is_expr(x).match(x)
    assert not is_expr(x).match(y)
    assert is_expr(relay.const(2.0)).match(relay.const(2.0))
    assert not is_expr(relay.const(2.0)).match(relay.const(3.0))
    assert not is_expr(relay.const(2.0)).match(relay.const(2, "int32"))
    assert is_var().match(x) and is_var("x").match(x)
    assert not is_var("x").match(y) and not is_var().match(relay.const(1.0))
    assert is_constant().match(relay.const(np.ones((2, 2), "float32")))
    assert not is_constant().match(x)
    assert wildcard().match(x) and wildcard().match(relay.nn.relu(x))


def test_op_and_call():
    x, y = relay.var("x"), relay.var("y")
    assert is_op("add").match(relay.op.op.get("add"))
    assert not is_op("add").match(relay.op.op.get("subtract"))
    assert is_op("add")(is_var("x"), is_var("y")).match(x + y)
    assert not is_op("add")(is_var("x"), is_var("y")).match(x - y)
    assert not is_op("add")(wildcard()).match(x + y)  # wrong arity
    assert wildcard()(None).match(relay.nn.relu(x)) and wildcard()(None).match(x + y)
    assert not wildcard()(None).match(x)


def test_commutative_add_and_multiply_only():
    x, y = relay.var("x"), relay.var("y")
    for op_name, swapped in (("add", y + x), ("multiply", y * x)):
        assert is_op(op_name)(is_var("x"), is_var("y")).match(swapped)
    for op_name, swapped in (("subtract", y - x), ("divide", y / x)):
        assert not is_op(op_name)(is_var("x"), is_var("y")).match(swapped)


def test_associative_multiply_divide():
    a, b, c = relay.var("a"), relay.var("b"), relay.var("c")
    pa, pb, pc = is_var("a"), is_var("b"), is_var("c")
    assert ((pa * pb) / pc).match(a * (b / c))
    assert ((pa * pb) / pc).match(b * (a / c))
    assert (pa * (pb / pc)).match((a * b) / c)
    assert not ((pa * pb) / pc).match(a * (b - c))


def test_a_pattern_used_twice_must_meet_the_same_node():
    x, y = relay.var("x"), relay.var("y")
    p = wildcard()
    q = wildcard()
    pat = (p + q) * (p - q)
    assert pat.match((x + y) * (x - y))
    assert not pat.match((x + y) * (y - x))


def test_function_pattern():
    x, y = relay.var("x"), relay.var("y")
    a, b = wildcard(), wildcard()
    assert FunctionPattern([a, b], a + b).match(relay.Function([x, y], x + y))
    assert not FunctionPattern([a, b], a + b).match(relay.Function([x, y], x * y))
    assert not FunctionPattern([wildcard()], wildcard()).match(relay.Function([x, y], x))
    assert FunctionPattern(None, wildcard()).match(relay.Function([x, y], x))
    assert not FunctionPattern(None, wildcard()).match(x)


def test_if_and_let_patterns():
    x, y = relay.var("x"), relay.var("y")
    pat = is_if(is_op("less")(is_var("x"), is_var("y")), is_var("x"), is_var("y"))
    assert pat.match(relay.If(relay.less(x, y), x, y))
    assert not pat.match(relay.If(relay.greater(x, y), x, y))
    assert not pat.match(relay.If(relay.less(x, y), y, x))
    v = relay.var("v")
    let_pat = is_let(is_var("v"), wildcard() + wildcard(), is_var("v"))
    assert let_pat.match(relay.Let(v, x + y, v))
    assert not let_pat.match(relay.Let(v, x * y, v))
    assert not let_pat.match(relay.Let(v, x + y, v * x))


def test_tuple_and_tuple_get_item():
    x, y = relay.var("x"), relay.var("y")
    tup = relay.Tuple([x, y])
    assert is_tuple([is_var("x"), wildcard()]).match(tup)
    assert not is_tuple([is_var("y"), wildcard()]).match(tup)
    assert not is_tuple([wildcard()]).match(tup)
    assert is_tuple(None).match(tup) and not is_tuple(None).match(x)
    assert is_tuple_get_item(wildcard(), 1).match(relay.TupleGetItem(tup, 1))
    assert not is_tuple_get_item(wildcard(), 0).match(relay.TupleGetItem(tup, 1))
    assert is_tuple_get_item(wildcard()).match(relay.TupleGetItem(tup, 0))
    concat = is_op("concatenate")(is_tuple(None))
    assert concat.match(relay.concatenate([x, y], axis=0))


def test_alt_and_optional():
    x, w, b = relay.var("x"), relay.var("w"), relay.var("b")
    conv = is_op("nn.conv2d")(wildcard(), wildcard())
    pat = is_op("nn.relu")(conv.optional(lambda c: is_op("nn.bias_add")(c, wildcard())))
    assert pat.match(relay.nn.relu(relay.nn.conv2d(x, w)))
    assert pat.match(relay.nn.relu(relay.nn.bias_add(relay.nn.conv2d(x, w), b)))
    assert not pat.match(relay.nn.relu(relay.nn.bias_add(relay.nn.dense(x, w), b)))
    assert not pat.match(relay.tanh(relay.nn.conv2d(x, w)))
    either = is_op("add") | is_op("subtract")
    assert either.match(relay.op.op.get("subtract")) and not either.match(relay.op.op.get("multiply"))


def test_type_dtype_shape_patterns():
    x = relay.var("x", shape=(3, 4), dtype="float32")
    i = relay.var("i", shape=(3, 4), dtype="int8")
    assert has_type(relay.TensorType((3, 4), "float32")).match(x)
    assert not has_type(relay.TensorType((3, 4), "float32")).match(i)
    assert has_dtype("int8").match(i) and not has_dtype("int8").match(x)
    assert has_shape((3, 4)).match(x) and not has_shape((4, 3)).match(x)
    assert has_shape([tvm.tir.IntImm("int64", 3), 4]).match(x)
    # the type of an untyped sub-expression is inferred when needed
    assert is_op("transpose")(wildcard()).has_shape([4, 3]).match(relay.transpose(x))
    # an expression whose type cannot be inferred does not match
    assert not has_dtype("float32").match(relay.var("untyped"))


def test_attr_patterns_on_ops_calls_and_functions():
    x, y = relay.var("x"), relay.var("y")
    assert is_op("add").has_attr({"TOpPattern": BROADCAST})(wildcard(), wildcard()).match(x + y)
    assert not is_op("nn.dense").has_attr({"TOpPattern": ELEMWISE})(wildcard(), wildcard()).match(
        relay.nn.dense(x, y)
    )
    conv = relay.nn.conv2d(x, y, kernel_size=(3, 3))
    base = is_op("nn.conv2d")(wildcard(), wildcard())
    assert base.has_attr({"data_layout": "NCHW", "kernel_size": [3, 3]}).match(conv)
    assert not base.has_attr({"data_layout": "NHWC"}).match(conv)
    assert not base.has_attr({"kernel_size": [1, 1]}).match(conv)
    assert not base.has_attr({"no_such_attr": 1}).match(conv)
    assert is_op("cast")(wildcard()).has_attr({"dtype": "float16"}).match(relay.cast(x, "float16"))
    assert not wildcard()(wildcard()).has_attr({"k": "v"}).match(relay.Call(x, [y]))
    assert wildcard()(wildcard()).has_attr({}).match(relay.Call(x, [y]))
    call_attrs = relay.attrs.DictAttrs({"k": "v"})
    assert wildcard()(wildcard()).has_attr({"k": "v"}).match(relay.Call(x, [y], attrs=call_attrs))
    func = relay.Function([x, y], x + y).with_attr("Composite", "add")
    assert wildcard().has_attr({"Composite": "add"}).match(func)
    assert not wildcard().has_attr({"Composite": "mul"}).match(func)
    assert not wildcard().has_attr({"Composite": "add"}).match(relay.Function([x, y], x + y))


def _diamond(inp, weight):
    conv = relay.nn.conv2d(inp, weight)
    left = relay.nn.relu(relay.nn.relu(conv))
    right = relay.nn.leaky_relu(conv, alpha=0.1)
    return left + right


def test_dominator_pattern():
    elemwise = wildcard().has_attr({"TOpPattern": ELEMWISE})(wildcard())
    diamond = dominates(is_op("nn.conv2d")(wildcard(), wildcard()), elemwise, is_op("add")(wildcard(), wildcard()))
    x, w = relay.var("x"), relay.var("w")
    assert diamond.match(_diamond(x, w))
    # two different convolutions: the add dominates neither alone
    fake = relay.nn.relu(relay.nn.conv2d(x, w)) + relay.nn.leaky_relu(relay.nn.conv2d(w, x), alpha=0.1)
    assert not diamond.match(fake)
    # a broadcast add on the path is not elementwise
    conv = relay.nn.conv2d(x, w)
    relu = relay.nn.relu(conv)
    assert not diamond.match((relu + relu) + relay.nn.leaky_relu(conv, alpha=0.1))
    # the path starts at the input instead of the conv
    conv = relay.nn.conv2d(x, w)
    assert not diamond.match(relay.nn.relu(x) + relay.nn.leaky_relu(conv, alpha=0.1))
    # single branch: relu(relu(conv)) + tanh(relu(relu(conv))) is still dominated by the add
    inner = relay.nn.relu(relay.nn.relu(relay.nn.conv2d(x, w)))
    assert diamond.match(inner + relay.tanh(inner))
    typed = dominates(
        is_op("nn.conv2d")(wildcard(), wildcard()),
        elemwise.has_dtype("float32"),
        is_op("add")(wildcard(), wildcard()).has_shape([1, 4, 6, 6]),
    )
    xt = relay.var("x", shape=(1, 3, 8, 8))
    wt = relay.var("w", shape=(4, 3, 3, 3))
    assert typed.match(_diamond(xt, wt))
    assert not typed.match(_diamond(relay.var("x", shape=(1, 3, 9, 9)), wt))


# -- rewriting -------------------------------------------------------------------


class _FoldBatchNorm(DFPatternCallback):
    """gamma * (x - mean) / sqrt(var + eps) + beta  ->  nn.batch_norm(...)[0]."""

    def __init__(self):
        super().__init__()
        self.x, self.mean, self.var = wildcard(), wildcard(), wildcard()
        self.gamma, self.beta, self.eps = wildcard(), wildcard(), is_constant()
        self.pattern = self.gamma * (self.x - self.mean) / is_op("sqrt")(self.var + self.eps) + self.beta

    def callback(self, pre, post, node_map):
        get = lambda p: node_map[p][0]  # noqa: E731
        eps = float(get(self.eps).data.numpy())
        return relay.nn.batch_norm(
            get(self.x), get(self.gamma), get(self.beta), get(self.mean), get(self.var), epsilon=eps
        )[0]


def _bn_vars(channels=4):
    # (N, C) data with (C,) parameters: the formula broadcasts along axis 1,
    # which is batch_norm's channel axis, so both forms compute the same values
    x = relay.var("x", shape=(5, channels))
    params = {n: relay.var(n, shape=(channels,)) for n in ("gamma", "mean", "var", "beta")}
    return x, params


def _bn_inputs(channels=4):
    data = {"x": _rand(5, channels, seed=1)}
    for i, name in enumerate(("gamma", "mean", "var", "beta")):
        data[name] = _rand(channels, seed=10 + i, low=0.5 if name == "var" else -1.0, high=2.0)
    return data


def test_rewrite_batchnorm_formula_numerically():
    x, p = _bn_vars()
    eps = relay.const(1e-3)
    formulas = [
        p["gamma"] * (x - p["mean"]) / relay.sqrt(p["var"] + eps) + p["beta"],
        p["beta"] + p["gamma"] * (x - p["mean"]) / relay.sqrt(p["var"] + eps),  # commuted add
        (p["gamma"] * (x - p["mean"])) / relay.sqrt(p["var"] + eps) + p["beta"],
        p["gamma"] * ((x - p["mean"]) / relay.sqrt(p["var"] + eps)) + p["beta"],  # re-associated
    ]
    inputs = _bn_inputs()
    g, m, v, b = (inputs[n] for n in ("gamma", "mean", "var", "beta"))
    reference = g * (inputs["x"] - m) / np.sqrt(v + 1e-3) + b
    for formula in formulas:
        out = rewrite(_FoldBatchNorm(), formula)
        assert is_tuple_get_item(is_op("nn.batch_norm")(None), 0).match(out)
        assert abs(out.tuple_value.attrs.epsilon - 1e-3) < 1e-9
        np.testing.assert_allclose(_evaluate(out, inputs), _evaluate(formula, inputs), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(_evaluate(out, inputs), reference, rtol=1e-5, atol=1e-5)
    # two stacked normalisations become two batch_norms
    first = formulas[0]
    second = p["gamma"] * (first - p["mean"]) / relay.sqrt(p["var"] + eps) + p["beta"]
    out = rewrite(_FoldBatchNorm(), second)
    bn = is_op("nn.batch_norm")(None)
    assert is_tuple_get_item(bn, 0).match(out) and is_tuple_get_item(bn, 0).match(out.tuple_value.args[0])
    np.testing.assert_allclose(_evaluate(out, inputs), _evaluate(second, inputs), rtol=1e-5, atol=1e-5)


def test_rewrite_leaves_a_near_miss_alone():
    x, p = _bn_vars()
    not_bn = p["gamma"] * (x - p["mean"]) / relay.sqrt(p["var"] + relay.const(1e-3)) - p["beta"]
    assert rewrite(_FoldBatchNorm(), not_bn) is not_bn


class _Identity(DFPatternCallback):
    """x + 0, x * 1 -> x (zero/one as int or float constants)."""

    def __init__(self):
        super().__init__()
        self.x = wildcard()
        zero = is_expr(relay.const(0.0)) | is_expr(relay.const(0))
        one = is_expr(relay.const(1.0)) | is_expr(relay.const(1))
        self.pattern = (self.x + zero) | (self.x * one)

    def callback(self, pre, post, node_map):
        return node_map[self.x][0]


def test_rewrite_reaches_a_fixed_point_and_keeps_values():
    x = relay.var("x", shape=(3,))
    y = relay.var("y", shape=(3,))
    expr = relay.exp(((x + relay.const(0.0)) * relay.const(1.0) + relay.const(0.0)) * y) * relay.const(1.0)
    out = rewrite(_Identity(), expr)
    assert tvm.ir.structural_equal(out, relay.exp(x * y))
    inputs = {"x": _rand(3, seed=2), "y": _rand(3, seed=3)}
    np.testing.assert_allclose(_evaluate(out, inputs), _evaluate(expr, inputs), rtol=1e-6)
    np.testing.assert_allclose(_evaluate(out, inputs), np.exp(inputs["x"] * inputs["y"]), rtol=1e-6)


def test_rewrite_once_and_callback_order():
    class DropLast(DFPatternCallback):
        def __init__(self, once):
            super().__init__(rewrite_once=once)
            self.pattern = is_op("concatenate")(None)

        def callback(self, pre, post, node_map):
            fields = post.args[0].fields[:-1]
            return relay.concatenate(list(fields), axis=0) if len(fields) > 1 else fields[0]

    x, y, z = (relay.var(n, shape=(2,)) for n in "xyz")
    cat = relay.concatenate([x, y, z], axis=0)
    assert rewrite(DropLast(False), cat) is x
    once = rewrite(DropLast(True), cat)
    assert tvm.ir.structural_equal(once, relay.concatenate([x, y], axis=0))
    inputs = {"x": _rand(2, seed=4), "y": _rand(2, seed=5)}
    np.testing.assert_allclose(_evaluate(once, inputs), np.concatenate([inputs["x"], inputs["y"]]))


def test_rewrite_node_map_holds_rewritten_nodes_and_require_type():
    seen = {}

    class ReluToClip(DFPatternCallback):
        def __init__(self):
            super().__init__(require_type=True)
            self.inner = wildcard()
            self.pattern = is_op("nn.relu")(self.inner)

        def callback(self, pre, post, node_map):
            seen["shape"] = tuple(pre.checked_type.shape)
            assert node_map[self.inner][0] is post.args[0]
            return relay.clip(post.args[0], 0.0, 6.0)

    x = relay.var("x", shape=(2, 5))
    expr = relay.nn.relu(relay.nn.relu(x) * relay.const(4.0))
    out = rewrite(ReluToClip(), expr)
    assert seen["shape"] == (2, 5)
    assert not is_op("nn.relu")(wildcard()).match(out) and is_op("clip")(wildcard()).match(out)
    data = {"x": _rand(2, 5, seed=6, low=-3, high=3)}
    np.testing.assert_allclose(_evaluate(out, data), np.clip(np.clip(data["x"], 0, 6) * 4, 0, 6), rtol=1e-6)


def test_rewrite_inside_functions_and_of_function_calls():
    x, y = relay.var("x", shape=(4,)), relay.var("y", shape=(4,))
    a, b = relay.var("a", shape=(4,)), relay.var("b", shape=(4,))
    composite = relay.Function([a, b], a * b).with_attr("Composite", "mul")
    expr = relay.abs(relay.Call(composite, [x, y]))

    class Inline(DFPatternCallback):
        def __init__(self):
            super().__init__()
            self.pattern = wildcard().has_attr({"Composite": "mul"})(None)

        def callback(self, pre, post, node_map):
            return relay.bind(post.op.body, dict(zip(post.op.params, post.args)))

    out = rewrite(Inline(), expr)
    assert is_op("abs")(is_op("multiply")(is_var("x"), is_var("y"))).match(out)
    data = {"x": _rand(4, seed=7), "y": _rand(4, seed=8)}
    np.testing.assert_allclose(_evaluate(out, data), np.abs(data["x"] * data["y"]), rtol=1e-6)


def test_rewrite_dominator_diamonds():
    class DiamondToConv(DFPatternCallback):
        def __init__(self):
            super().__init__()
            self.inp, self.weight = wildcard(), wildcard()
            path = wildcard().has_attr({"TOpPattern": ELEMWISE})(wildcard())
            self.pattern = dominates(
                is_op("nn.conv2d")(self.inp, self.weight), path, is_op("add")(wildcard(), wildcard())
            )

        def callback(self, pre, post, node_map):
            return relay.nn.conv2d(node_map[self.inp][0], node_map[self.weight][0], padding=(1, 1))

    x = relay.var("x", shape=(1, 2, 5, 5))
    w = relay.var("w", shape=(2, 2, 3, 3))
    out = rewrite(DiamondToConv(), _diamond(_diamond(x, w), w))
    expected = relay.nn.conv2d(relay.nn.conv2d(x, w, padding=(1, 1)), w, padding=(1, 1))
    assert tvm.ir.structural_equal(out, expected)


# -- partitioning ------------------------------------------------------------------


def _conv_bias_relu(x, w, b):
    return relay.nn.relu(relay.nn.bias_add(relay.nn.conv2d(x, w, padding=(1, 1)), b))


def test_partition_structure_names_and_attrs():
    pattern = is_op("nn.relu")(is_op("nn.bias_add")(is_op("nn.conv2d")(wildcard(), wildcard()), wildcard()))
    x, w, b = relay.var("x"), relay.var("w"), relay.var("b")
    out = pattern.partition(_conv_bias_relu(x, w, b), {"Composite": "cbr"})
    xf, wf, bf = relay.var("xf"), relay.var("wf"), relay.var("bf")
    func = relay.Function([xf, wf, bf], _conv_bias_relu(xf, wf, bf)).with_attr(
        {"PartitionedFromPattern": "nn.conv2d_nn.bias_add_nn.relu_", "Composite": "cbr"}
    )
    assert tvm.ir.structural_equal(out, func(x, w, b))
    assert [p.name_hint for p in out.op.params] == ["FunctionVar_0_0", "FunctionVar_0_1", "FunctionVar_0_2"]


def test_partition_chain_check_and_numbers():
    pattern = is_op("nn.relu")(is_op("nn.bias_add")(is_op("nn.conv2d")(wildcard(), wildcard()), wildcard()))
    x = relay.var("x", shape=(1, 2, 6, 6))
    w1, w2 = relay.var("w1", shape=(3, 2, 3, 3)), relay.var("w2", shape=(3, 3, 3, 3))
    b1, b2 = relay.var("b1", shape=(3,)), relay.var("b2", shape=(3,))
    expr = _conv_bias_relu(_conv_bias_relu(x, w1, b1), w2, b2)
    out = partition(pattern, expr)
    assert isinstance(out.op, relay.Function) and isinstance(out.args[0].op, relay.Function)
    assert out.args[0].args[0] is x
    data = {
        "x": _rand(1, 2, 6, 6, seed=1),
        "w1": _rand(3, 2, 3, 3, seed=2),
        "w2": _rand(3, 3, 3, 3, seed=3),
        "b1": _rand(3, seed=4),
        "b2": _rand(3, seed=5),
    }
    np.testing.assert_allclose(_evaluate(out, data), _evaluate(expr, data), rtol=1e-5, atol=1e-6)
    # check refuses the outer match only
    only_inner = partition(pattern, expr, check=lambda pre: pre.args[0].args[1] is not b2)
    assert is_op("nn.relu")(None).match(only_inner)
    assert isinstance(only_inner.args[0].args[0].args[0].op, relay.Function)


def test_partition_refuses_overlaps_and_outside_uses():
    x, w = relay.var("x"), relay.var("w")
    conv = relay.nn.conv2d(x, w)
    pattern = is_op("nn.relu")(is_op("nn.conv2d")(wildcard(), wildcard()))
    used_outside = relay.nn.relu(conv) + conv
    assert pattern.partition(used_outside) is used_outside
    bn = relay.nn.batch_norm(x, w, w, w, w)
    twice = bn[0] + bn[0]
    assert TupleGetItemPattern(is_op("nn.batch_norm")(None), 0).partition(twice) is twice


def test_partition_constants_embedded_or_lifted():
    x, b = relay.var("x"), relay.var("b")
    wc = relay.const(np.ones((2, 2, 1, 1), "float32"))
    expr = relay.nn.relu(relay.nn.conv2d(x, wc) + b)
    embed = is_op("nn.relu")(is_op("nn.conv2d")(wildcard(), is_constant()) + wildcard())
    out = embed.partition(expr)
    assert len(out.args) == 2 and out.args[0] is x and out.args[1] is b
    lift = is_op("nn.relu")(is_op("nn.conv2d")(wildcard(), wildcard()) + wildcard())
    out = lift.partition(expr)
    assert len(out.args) == 3 and out.args[1] is wc
    assert not is_op("nn.relu")(is_op("nn.conv2d")(wildcard(), is_var()) + wildcard()).match(expr)


def test_partition_fuzzy_tuple_and_function_pattern_warning():
    x, y = relay.var("x"), relay.var("y")
    cat = relay.concatenate([x, y, x + y], axis=0)
    out = is_op("concatenate")(is_tuple(None)).partition(cat)
    assert out.op.attrs["PartitionedFromPattern"] == "Tuple_concatenate_"
    assert len(out.args) == 3 and out.args[0] is x
    func_pattern = FunctionPattern(None, wildcard())
    f = relay.Function([x], x)
    assert func_pattern.partition(f) is f


def test_repartition_skips_partitioned_functions():
    x, y = relay.var("x"), relay.var("y")
    pattern = is_op("add")(wildcard(), wildcard())
    once = pattern.partition(relay.exp(x + y))
    twice = pattern.partition(once)
    assert tvm.ir.structural_equal(once, twice)


def test_patterns_are_dfpatterns():
    for pat in (wildcard(), is_var(), is_constant(), is_op("add"), is_tuple(None)):
        assert isinstance(pat, DFPattern)
