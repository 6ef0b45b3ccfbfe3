"""FoldConstant: constant subtrees are evaluated at compile time, values unchanged."""
import numpy as np

import tvm
from tvm import relay
from tvm.relay.reference import create_executor
from tvm.relay.transform._utils import post_order


def _run(mod, *inputs):
    return create_executor("debug", mod=mod).evaluate()(*inputs).numpy()


def _fold(func):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    out = relay.transform.FoldConstant()(mod)
    return mod, relay.transform.InferType()(out)


def _calls(mod):
    return [
        n.op.name
        for n in post_order(mod["main"].body)
        if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
    ]


def test_constant_subtree_becomes_one_constant():
    a = relay.const(np.arange(6, dtype="float32").reshape(2, 3))
    b = relay.const(2.0)
    x = relay.var("x", shape=(2, 3))
    c = relay.exp(relay.multiply(a, b))  # constant
    y = relay.add(x, c)
    mod, out = _fold(relay.Function([x], y))
    body = out["main"].body
    assert _calls(out) == ["add"]
    folded = body.args[1]
    assert isinstance(folded, relay.Constant)
    np.testing.assert_allclose(folded.numpy(), np.exp(np.arange(6).reshape(2, 3) * 2.0), rtol=1e-6)
    data = np.ones((2, 3), "float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-6)


def test_whole_function_folds_to_constant():
    y = relay.reshape(relay.add(relay.const([1.0, 2.0]), relay.const([3.0, 4.0])), (2, 1))
    _, out = _fold(relay.Function([], y))
    body = out["main"].body
    assert isinstance(body, relay.Constant)
    np.testing.assert_array_equal(body.numpy(), np.array([[4.0], [6.0]], "float32"))


def test_non_constant_parts_are_kept():
    x = relay.var("x", shape=(3,))
    y = relay.add(relay.exp(x), relay.const(1.0))
    _, out = _fold(relay.Function([x], y))
    assert _calls(out) == ["exp", "add"]


def test_shape_of_static_shape():
    x = relay.var("x", shape=(2, 5, 7))
    y = relay.shape_of(x)
    _, out = _fold(relay.Function([x], y))
    body = out["main"].body
    assert isinstance(body, relay.Constant)
    np.testing.assert_array_equal(body.numpy(), np.array([2, 5, 7], "int32"))


def test_let_bound_constant_is_substituted_and_tuple_access_folded():
    x = relay.var("x", shape=(2,))
    v = relay.var("v")
    tup = relay.Tuple([x, relay.const([5.0, 6.0])])
    body = relay.add(relay.TupleGetItem(tup, 0), v)
    y = relay.Let(v, relay.multiply(relay.const([1.0, 2.0]), relay.const(3.0)), body)
    mod, out = _fold(relay.Function([x], y))
    new_body = out["main"].body
    assert isinstance(new_body, relay.Call) and new_body.op.name == "add"
    assert new_body.args[0] is x
    np.testing.assert_array_equal(new_body.args[1].numpy(), np.array([3.0, 6.0], "float32"))
    data = np.array([1.0, -1.0], "float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data))


def test_batch_norm_arithmetic_of_bound_params_folds():
    """After binding params and SimplifyInference, each batch norm is one
    multiply and one add by constants."""
    from tvm.relay.build_module import bind_params_by_name

    rng = np.random.RandomState(0)
    x = relay.var("x", shape=(1, 3, 6, 6))
    w = relay.var("w", shape=(4, 3, 3, 3))
    names = ("gamma", "beta", "mean", "var")
    bn_vars = [relay.var(n, shape=(4,)) for n in names]
    y = relay.nn.conv2d(x, w, kernel_size=(3, 3), padding=(1, 1))
    y = relay.nn.relu(relay.nn.batch_norm(y, *bn_vars)[0])
    func = relay.Function([x, w] + bn_vars, y)
    params = {"w": rng.uniform(-1, 1, (4, 3, 3, 3)).astype("float32")}
    for n in names:
        params[n] = rng.uniform(0.5, 1.5, (4,)).astype("float32")
    mod = tvm.IRModule.from_expr(bind_params_by_name(func, params))
    reference = tvm.IRModule.from_expr(func)

    t = relay.transform
    out = t.Sequential([t.InferType(), t.SimplifyInference(), t.FoldConstant()])(mod)
    out = t.InferType()(out)
    assert _calls(out) == ["nn.conv2d", "multiply", "add", "nn.relu"]
    body = out["main"].body
    scale_shift = [body.args[0].args[1], body.args[0].args[0].args[1]]
    assert all(isinstance(c, relay.Constant) and c.numpy().shape == (4, 1, 1) for c in scale_shift)
    data = rng.uniform(-1, 1, (1, 3, 6, 6)).astype("float32")
    expected = create_executor("debug", mod=reference).evaluate()(data, **params).numpy()
    np.testing.assert_allclose(_run(out, data), expected, rtol=1e-5, atol=1e-5)


def test_primitive_functions_are_not_entered():
    p = relay.var("p", shape=(2,))
    prim = relay.Function([p], relay.add(p, relay.exp(relay.const([0.0, 1.0])))).with_attr(
        "Primitive", 1
    )
    x = relay.var("x", shape=(2,))
    _, out = _fold(relay.Function([x], relay.Call(prim, [x])))
    assert out["main"].body.op is prim


def test_if_on_a_constant_condition_folds_to_its_branch():
    x = relay.var("x", shape=(3,))
    for flag, want in ((True, np.exp), (False, np.negative)):
        body = relay.If(relay.const(flag), relay.exp(x), relay.negative(x))
        mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], body)))
        folded = relay.transform.FoldConstant()(mod)
        assert not isinstance(folded["main"].body, relay.If)
        data = np.array([0.5, -1.0, 2.0], "float32")
        got = relay.create_executor("debug", mod=folded).evaluate()(data).numpy()
        np.testing.assert_allclose(got, want(data), rtol=1e-6)
    cond = relay.var("c", shape=(), dtype="bool")  # not constant: the if stays
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(
        relay.Function([cond, x], relay.If(cond, relay.exp(x), x))))
    assert isinstance(relay.transform.FoldConstant()(mod)["main"].body, relay.If)
