"""relay.transform.gradient (TVM 0.8's API) and the op library's gradients.

Each registered gradient is compared with central differences by
relay.testing.check_grad (float64 inputs of moderate size so the numerical
gradient is accurate); a few are compared with NumPy closed forms; the shape of
the result (value, (d1..dn)), the two modes and the errors for unsupported
programs are checked too.
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.testing import check_grad, run_infer_type
from tvm.relay.transform import gradient
from tvm.relay.transform.gradient import GradientNotSupported

F64 = "float64"
TD = [("llvm", tvm.cpu())]


def var(name, shape, dtype=F64):
    return relay.var(name, shape=shape, dtype=dtype)


def rnd(shape, low=-1.0, high=1.0, seed=0):
    return np.random.RandomState(seed).uniform(low, high, size=shape).astype(F64)


def check(body_fn, shapes, inputs=None, test=None, atol=1e-6, rtol=1e-4, eps=1e-5, **kw):
    """check_grad of fn(*vars) = body_fn(*vars) at ``inputs`` (default uniform(-1, 1))."""
    params = [var(f"x{i}", s) if isinstance(s, tuple) else var(f"x{i}", s[0], s[1])
              for i, s in enumerate(shapes)]
    func = relay.Function(params, body_fn(*params))
    if inputs is None:
        inputs = [rnd(s, seed=i) for i, s in enumerate(shapes)]
    check_grad(func, inputs=inputs, test_inputs=test(inputs) if test else None, eps=eps,
               atol=atol, rtol=rtol, target_devices=TD, **kw)


# ---------------------------------------------------------------- elementwise

UNARY_DOMAINS = {
    "log": (0.5, 2.0), "log2": (0.5, 2.0), "log10": (0.5, 2.0), "sqrt": (0.5, 2.0),
    "rsqrt": (0.5, 2.0), "acosh": (1.5, 3.0), "acos": (-0.8, 0.8), "asin": (-0.8, 0.8),
    "atanh": (-0.8, 0.8), "tan": (-1.0, 1.0),
}
UNARY = ["log", "log2", "log10", "tan", "cos", "cosh", "sin", "sinh", "acos", "acosh", "asin",
         "asinh", "atan", "atanh", "exp", "sqrt", "rsqrt", "sigmoid", "tanh", "abs", "erf",
         "negative", "copy"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    low, high = UNARY_DOMAINS.get(name, (-1.0, 1.0))
    check(lambda x: getattr(relay, name)(x), [(3, 4)], inputs=[rnd((3, 4), low, high)])


@pytest.mark.parametrize("name", ["nn.relu", "nn.leaky_relu"])
def test_relu(name):
    data = rnd((3, 5))
    data[np.abs(data) < 0.05] = 0.3  # keep away from the kink
    fn = relay.nn.relu if name == "nn.relu" else (lambda x: relay.nn.leaky_relu(x, 0.2))
    check(fn, [(3, 5)], inputs=[data])


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "maximum", "minimum"])
def test_binary_broadcast(name):
    lhs, rhs = rnd((2, 3, 4), 0.5, 2.0, 1), rnd((3, 1), 0.5, 2.0, 2)
    check(lambda x, y: getattr(relay, name)(x, y), [(2, 3, 4), (3, 1)], inputs=[lhs, rhs])


def test_power():
    check(relay.power, [(3, 4), (4,)], inputs=[rnd((3, 4), 0.5, 2.0), rnd((4,), -1, 2, 1)])


def test_clip_where_cast():
    data = rnd((4, 5))
    data[np.abs(np.abs(data) - 0.5) < 0.05] = 0.1
    check(lambda x: relay.clip(x, -0.5, 0.5), [(4, 5)], inputs=[data])
    check(lambda x, y: relay.where(relay.greater(x, y), x * y, x - y), [(4, 5), (5,)])
    check(lambda x: relay.cast(relay.cast(x, "float32"), F64) * x, [(3,)], atol=1e-5)


def test_other_ops():
    def body(x, on, fill):
        on_off = [relay.take(on, relay.const(i)) for i in range(2)]
        mask = relay.one_hot(relay.const(np.array([0, 2, 1], "int32")), *on_off, 3, -1, F64)
        out = relay.sum(mask * relay.exp(x))
        out = out + relay.sum(relay.full_like(x, relay.take(fill, relay.const(0))) * x)
        out = out + relay.sum(relay.full(relay.take(fill, relay.const(0)), (2, 2), F64) * relay.const(rnd((2, 2), seed=7)))
        out = out + relay.sum(relay.exp(relay.reshape_like(x, relay.zeros((9,), F64))))
        out = out + relay.sum(relay.exp(relay.broadcast_to_like(fill, x)))
        out = out + relay.sum(relay.exp(relay.collapse_sum_to(x, (3, 1))))
        out = out + relay.sum(relay.exp(relay.annotation.checkpoint(relay.cast_like(x, on))))
        idx = relay.const(np.array([[0, 2, 2], [1, 1, 0], [2, 0, 1]], "int32"))
        return out + relay.sum(relay.exp(relay.gather(x, 1, idx)))

    check(body, [(3, 3), (2,), (1,)])


def test_zero_gradient_ops():
    check(lambda x: relay.sign(x) * x + relay.floor(x) + relay.zeros_like(x) + relay.ones_like(x),
          [(3, 4)])


# ---------------------------------------------------------------- shapes, layouts, indexing

SHAPE_CASES = {
    "reshape": ([(2, 3, 4)], lambda x: relay.reshape(x, (4, -1)) * relay.const(np.arange(24.).reshape(4, 6))),
    "transpose": ([(2, 3, 4)], lambda x: relay.transpose(x, (2, 0, 1)) * relay.const(np.arange(24.).reshape(4, 2, 3))),
    "expand_dims": ([(3, 4)], lambda x: relay.exp(relay.expand_dims(x, 1, 2))),
    "squeeze": ([(3, 1, 4)], lambda x: relay.exp(relay.squeeze(x, [1]))),
    "batch_flatten": ([(2, 3, 4)], lambda x: relay.exp(relay.nn.batch_flatten(x))),
    "concatenate": ([(2, 3), (2, 5)], lambda x, y: relay.exp(relay.concatenate([x, y, x], 1))),
    "stack": ([(2, 3), (2, 3)], lambda x, y: relay.exp(relay.stack([x, y], 1))),
    "split": ([(6, 4)], lambda x: relay.sum(relay.exp(relay.split(x, (1, 4), 0)[2])) + relay.sum(relay.exp(relay.split(x, 3, 0)[0]))),
    "take": ([(5, 4)], lambda x: relay.exp(relay.take(x, relay.const(np.array([[0, 4], [4, 4]], "int32")), 0))),
    "take_flat_clip": ([(3, 4)], lambda x: relay.exp(relay.take(x, relay.const(np.array([1, 15, -3, 1], "int32"))))),
    "take_wrap": ([(5, 4)], lambda x: relay.exp(relay.take(x, relay.const(np.array([-1, 6], "int32")), 1, mode="wrap"))),
    "strided_slice": ([(6, 7)], lambda x: relay.exp(relay.strided_slice(x, [1, 0], [6, 7], [2, 3]))),
    "gather_nd": ([(3, 4)], lambda x: relay.exp(relay.gather_nd(x, relay.const(np.array([[0, 2, 2], [1, 3, 3]], "int32"))))),
    "repeat_tile": ([(2, 3)], lambda x: relay.exp(relay.repeat(relay.tile(x, (2, 1)), 2, 1))),
    "reverse": ([(3, 4)], lambda x: relay.reverse(x, 1) * relay.const(np.arange(12.).reshape(3, 4))),
    "pad": ([(2, 3)], lambda x: relay.exp(relay.nn.pad(x, ((1, 0), (2, 1)), 0.5))),
    "broadcast_to": ([(3, 1)], lambda x: relay.exp(relay.broadcast_to(x, (2, 3, 4)))),
    "collapse_sum_like": ([(2, 3, 4)], lambda x: relay.exp(relay.collapse_sum_like(x, relay.zeros((3, 1), F64)))),
    "layout_transform": ([(1, 4, 2, 2)], lambda x: relay.exp(relay.layout_transform(x, "NCHW", "NCHW2c"))),
}


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_shape_ops(case):
    shapes, fn = SHAPE_CASES[case]
    check(fn, shapes)


def test_take_gradient_closed_form():
    """Repeated indices add up: d sum(take(x, idx)) / dx = bincount(idx)."""
    x = var("x", (6,))
    idx = np.array([0, 3, 3, 5, 3], "int32")
    func = run_infer_type(gradient(run_infer_type(relay.Function([x], relay.take(x, relay.const(idx))))))
    _, (grad,) = relay.create_executor("debug").evaluate(func)(rnd((6,)))
    np.testing.assert_array_equal(grad.numpy(), np.bincount(idx, minlength=6))


# ---------------------------------------------------------------- reductions

@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "variance"])
@pytest.mark.parametrize("axis,keepdims,exclude", [(None, False, False), (1, False, False),
                                                   ((0, 2), True, False), (1, False, True)])
def test_reductions(name, axis, keepdims, exclude):
    fn = getattr(relay, name)
    low = 0.5 if name == "prod" else -1.0
    check(lambda x: relay.exp(fn(x, axis=axis, keepdims=keepdims, exclude=exclude)), [(2, 3, 4)],
          inputs=[rnd((2, 3, 4), low, 1.0)])


def test_variance_unbiased_with_mean_argument():
    check(lambda x: relay.variance(x, axis=1, unbiased=True), [(3, 5)])

    def with_mean(x, m):  # variance around a given (independent) mean
        proto = relay.variance(x, axis=1, keepdims=True)
        return relay.Call(proto.op, [x, m], proto.attrs)

    check(with_mean, [(3, 5), (3, 1)])


def test_sum_mean_closed_form():
    x = var("x", (3, 4))
    body = relay.Tuple([relay.sum(x, axis=1) * relay.mean(x)])
    func = run_infer_type(gradient(run_infer_type(relay.Function([x], body)), mode="first_order"))
    xv = rnd((3, 4))
    _, (grad,) = relay.create_executor("debug").evaluate(func)(xv)
    # d/dx_ij sum_k (s_k * m) = m + sum(s) / 12 with s = row sums, m = mean
    expected = np.full((3, 4), xv.mean() + xv.sum(axis=1).sum() / 12)
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-12)


# ---------------------------------------------------------------- nn

def test_dense_closed_form_and_numeric():
    x, w = var("x", (3, 4)), var("w", (5, 4))
    func = run_infer_type(gradient(run_infer_type(relay.Function([x, w], relay.nn.dense(x, w)))))
    xv, wv = rnd((3, 4)), rnd((5, 4), seed=1)
    out, (gx, gw) = relay.create_executor("debug").evaluate(func)(xv, wv)
    np.testing.assert_allclose(out.numpy(), xv @ wv.T, rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), np.ones((3, 5)) @ wv, rtol=1e-12)
    np.testing.assert_allclose(gw.numpy(), np.ones((3, 5)).T @ xv, rtol=1e-12)
    check(lambda a, b: relay.tanh(relay.nn.dense(a, b)), [(2, 3, 4), (5, 4)])


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmuls(ta, tb):
    sa = (4, 3) if ta else (3, 4)
    sb = (5, 4) if tb else (4, 5)
    check(lambda a, b: relay.tanh(relay.nn.matmul(a, b, transpose_a=ta, transpose_b=tb)), [sa, sb])
    ba = (2,) + sa
    bb = (1,) + sb  # the batch of one broadcasts
    check(lambda a, b: relay.tanh(relay.nn.batch_matmul(a, b, transpose_a=ta, transpose_b=tb)),
          [ba, bb])


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    ((1, 1), (0, 0), (1, 1), 1), ((2, 2), (1, 1), (1, 1), 1), ((2, 1), (1, 2), (2, 1), 1),
    ((1, 1), (1, 1), (1, 1), 2), ((2, 2), (1, 0), (1, 1), 4)])
def test_conv2d(stride, padding, dilation, groups):
    cin, cout = 4, 4
    check(lambda x, w: relay.nn.conv2d(x, w, strides=stride, padding=padding, dilation=dilation,
                                       groups=groups, channels=cout, kernel_size=(3, 3)),
          [(2, cin, 7, 6), (cout, cin // groups, 3, 3)])


@pytest.mark.parametrize("name", ["nn.softmax", "nn.log_softmax"])
def test_softmax(name):
    fn = relay.nn.softmax if name == "nn.softmax" else relay.nn.log_softmax
    weights = relay.const(rnd((3, 4), seed=5))
    check(lambda x: fn(x, axis=0) * weights, [(3, 4)])


def test_bias_add():
    check(lambda x, b: relay.exp(relay.nn.bias_add(x, b, axis=1)), [(2, 3, 4), (3,)])


@pytest.mark.parametrize("pool,stride,padding,ceil", [
    ((2, 2), (2, 2), (0, 0), False), ((3, 3), (2, 2), (1, 1), False), ((3, 2), (1, 2), (1, 0), True)])
def test_pools(pool, stride, padding, ceil):
    data = rnd((1, 2, 7, 6), seed=3)
    weights = relay.const(rnd((1, 2, 4, 4), seed=4))
    for include_pad in (True, False):
        check(lambda x: relay.nn.avg_pool2d(x, pool, stride, padding=padding, ceil_mode=ceil,
                                            count_include_pad=include_pad),
              [(1, 2, 7, 6)], inputs=[data.copy()])
    check(lambda x: relay.nn.max_pool2d(x, pool, stride, padding=padding, ceil_mode=ceil),
          [(1, 2, 7, 6)], inputs=[data.copy()])
    del weights


def test_max_pool_closed_form():
    """The adjoint of each window goes to its maximum."""
    x = var("x", (1, 1, 4, 4))
    func = run_infer_type(gradient(run_infer_type(
        relay.Function([x], relay.nn.max_pool2d(x, (2, 2), (2, 2))))))
    xv = rnd((1, 1, 4, 4), seed=9)
    _, (grad,) = relay.create_executor("debug").evaluate(func)(xv)
    blocks = xv.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4)
    expected = (blocks == blocks.max(-1, keepdims=True)).astype(F64)
    expected = expected.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(grad.numpy(), expected)


def test_global_pools():
    check(lambda x: relay.exp(relay.nn.global_avg_pool2d(x)), [(2, 3, 3, 4)])
    check(lambda x: relay.exp(relay.nn.global_max_pool2d(x)), [(2, 3, 3, 4)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    targets = np.array([0, 2, 4, 4], "int32")
    preds, weights = rnd((4, 5)), rnd((5,), 0.5, 1.5, 1)
    p, w = var("p", (4, 5)), var("w", (5,))
    t = relay.var("t", shape=(4,), dtype="int32")
    func = relay.Function([p, t, w], relay.nn.nll_loss(p, t, w, reduction=reduction, ignore_index=2))
    check_grad(func, inputs=[preds, targets, weights], test_inputs=[preds, weights], eps=1e-5,
               atol=1e-7, target_devices=TD)


# ---------------------------------------------------------------- the pass

def test_output_structure_and_values():
    x, y = var("x", (2, 3)), var("y", (3,))
    func = run_infer_type(relay.Function([x, y], relay.exp(x) * y))
    back = run_infer_type(gradient(func))
    t23, t3 = relay.TensorType((2, 3), F64), relay.TensorType((3,), F64)
    tvm.ir.assert_structural_equal(
        back.checked_type, relay.FuncType([t23, t3], relay.TupleType([t23, relay.TupleType([t23, t3])])))
    xv, yv = rnd((2, 3)), rnd((3,), seed=1)
    out, (gx, gy) = relay.create_executor("debug").evaluate(back)(xv, yv)
    np.testing.assert_allclose(out.numpy(), np.exp(xv) * yv, rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), np.exp(xv) * yv, rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), np.exp(xv).sum(0), rtol=1e-12)


@pytest.mark.parametrize("kind", ["graph", "vm"])
def test_compiled_executors(kind):
    """The gradient program builds and runs (its (value, (grads...)) result nested as 0.8's)."""
    check(lambda x, w: relay.nn.softmax(relay.nn.dense(relay.tanh(x), w)), [(2, 4), (3, 4)],
          executor_kind=kind)
    # float32 here: compiling a float64 conv2d for the graph executor is slow on this base
    idx = relay.const(np.array([0, 3, 3], "int32"))
    x, w = relay.var("x", shape=(1, 2, 8, 8)), relay.var("w", shape=(3, 2, 3, 3))
    net = relay.nn.max_pool2d(relay.nn.conv2d(x, w, padding=(1, 1)), (2, 2), (2, 2))
    inputs = [rnd((1, 2, 8, 8)).astype("float32"), rnd((3, 2, 3, 3), seed=1).astype("float32")]
    check_grad(relay.Function([x, w], net), inputs=inputs, eps=1e-2, atol=1e-3, rtol=1e-2,
               target_devices=TD, executor_kind=kind)
    check(lambda a: relay.take(relay.tanh(a), idx, axis=1), [(2, 4)], executor_kind=kind)
    x = var("x", (2, 4))
    back = run_infer_type(gradient(run_infer_type(relay.Function([x], relay.sum(x * x)))))
    xv = rnd((2, 4))
    value, grads = relay.create_executor(kind).evaluate(back)(xv)
    np.testing.assert_allclose(value.numpy(), (xv * xv).sum(), rtol=1e-12)
    np.testing.assert_allclose(grads[0].numpy(), 2 * xv, rtol=1e-12)


def test_modes_equal_and_tuple_outputs():
    x = var("x", (3, 4))
    y = relay.exp(x)
    single = run_infer_type(relay.Function([x], relay.sum(y * x, axis=0)))
    xv = rnd((3, 4))
    results = [relay.create_executor("debug").evaluate(run_infer_type(gradient(single, mode=m)))(xv)
               for m in ("first_order", "higher_order")]
    np.testing.assert_array_equal(results[0][1][0].numpy(), results[1][1][0].numpy())
    np.testing.assert_allclose(results[0][1][0].numpy(), np.exp(xv) * (xv + 1), rtol=1e-12)
    # a tuple result: first_order seeds every field, higher_order the first one (as 0.8)
    pair = run_infer_type(relay.Function([x], relay.Tuple([y, x + x])))
    first = relay.create_executor("debug").evaluate(run_infer_type(gradient(pair, mode="first_order")))(xv)
    higher = relay.create_executor("debug").evaluate(run_infer_type(gradient(pair)))(xv)
    np.testing.assert_allclose(first[1][0].numpy(), np.exp(xv) + 2, rtol=1e-12)
    np.testing.assert_allclose(higher[1][0].numpy(), np.exp(xv), rtol=1e-12)
    with pytest.raises(ValueError, match="mode"):
        gradient(single, mode="third_order")


def test_let_shared_and_inlined_functions():
    x = var("x", (4,))
    sb = relay.ScopeBuilder()
    a = sb.let("a", relay.exp(x))
    v = var("v", (4,))
    double = relay.Function([v], v + v)
    f = sb.let("f", double)
    sb.ret(relay.Call(f, [a * a]))
    func = run_infer_type(relay.Function([x], sb.get()))
    back = run_infer_type(gradient(func))
    xv = rnd((4,))
    out, (grad,) = relay.create_executor("debug").evaluate(back)(xv)
    np.testing.assert_allclose(out.numpy(), 2 * np.exp(2 * xv), rtol=1e-12)
    np.testing.assert_allclose(grad.numpy(), 4 * np.exp(2 * xv), rtol=1e-12)
    # second order: the gradient program is itself differentiable
    y = var("y", (4,))
    first = relay.Function([y], relay.TupleGetItem(relay.TupleGetItem(relay.Call(back, [y]), 1), 0))
    second = run_infer_type(gradient(run_infer_type(first)))
    _, (gg,) = relay.create_executor("debug").evaluate(second)(xv)
    np.testing.assert_allclose(gg.numpy(), 8 * np.exp(2 * xv), rtol=1e-12)


def test_global_function():
    mod = tvm.IRModule()
    x = var("x", (3,))
    sq = relay.GlobalVar("sq")
    mod[sq] = relay.Function([x], x * x)
    y = var("y", (3,))
    main = relay.GlobalVar("main")
    mod[main] = relay.Function([y], relay.Call(sq, [relay.Call(sq, [y])]))
    mod = relay.transform.InferType()(mod)
    back = run_infer_type(gradient(main, mod))
    yv = rnd((3,))
    _, (grad,) = relay.create_executor("debug").evaluate(back)(yv)
    np.testing.assert_allclose(grad.numpy(), 4 * yv ** 3, rtol=1e-12)


@pytest.mark.parametrize("kind", ["debug", "vm"])
def test_if(kind):
    """Each branch's gradient, selected by the condition; the branch not taken adds nothing
    (its sqrt of a negative number would give NaN)."""
    x, y = var("x", (3,)), var("y", (3,))
    c = relay.var("c", shape=(), dtype="bool")
    e = relay.exp(x)
    inner = relay.If(relay.greater(relay.sum(x), relay.const(0.0, F64)), e, x * x)
    body = relay.If(c, inner * y, relay.sqrt(y) + e) * x
    back = run_infer_type(gradient(run_infer_type(relay.Function([x, y, c], body))))
    run = relay.create_executor(kind).evaluate(back)
    for cv, xv, yv in [(True, rnd((3,), 0.1, 1.0), rnd((3,), -2.0, -1.0)),
                       (True, rnd((3,), -1.0, -0.1), rnd((3,), 0.5, 1.0)),
                       (False, rnd((3,), 0.1, 1.0), rnd((3,), 0.5, 1.0))]:
        result = run(xv, yv, np.array(cv))
        gx, gy = (result[1][0], result[1][1]) if len(result) == 2 else (result[-3], result[-2])
        if cv and xv.sum() > 0:
            want_x, want_y = np.exp(xv) * yv * (1 + xv), np.exp(xv) * xv
        elif cv:
            want_x, want_y = 3 * xv * xv * yv, xv ** 3
        else:
            want_x, want_y = np.sqrt(yv) + np.exp(xv) * (1 + xv), 0.5 / np.sqrt(yv) * xv
        np.testing.assert_allclose(gx.numpy(), want_x, rtol=1e-12)
        np.testing.assert_allclose(gy.numpy(), want_y, rtol=1e-12)
    xv, yv = rnd((3,), 0.1, 1.0), rnd((3,), 0.5, 1.0)
    check_grad(relay.Function([x, y, c], body), inputs=[xv, yv, np.array(False)],
               test_inputs=[xv, yv], eps=1e-5, atol=1e-6, rtol=1e-5, target_devices=TD,
               executor_kind=kind)


def test_unsupported_programs_raise_clearly():
    x = var("x", (3,))
    v = var("v", (3,))
    closure = relay.Function([v], v + x)
    with pytest.raises(GradientNotSupported, match="closure"):
        gradient(relay.Function([x], relay.Tuple([x, closure])))
    with pytest.raises(GradientNotSupported, match="argsort"):
        gradient(run_infer_type(relay.Function([x], relay.cast(relay.argsort(x), F64) * x)))
    mod = tvm.IRModule()
    rec = relay.GlobalVar("rec")
    z = var("z", (3,))
    mod[rec] = relay.Function([z], relay.Call(rec, [z]), relay.TensorType((3,), F64))
    with pytest.raises(GradientNotSupported, match="recursi"):
        gradient(rec, mod)
    with pytest.raises(TypeError, match="Function"):
        gradient(relay.exp(x))


def test_register_gradient_decorator():
    from tvm.relay.op.op import register_gradient  # pylint: disable=import-outside-toplevel
    from tvm.relay.testing import TempOpAttr  # pylint: disable=import-outside-toplevel

    with TempOpAttr("exp", "FPrimalGradient", None):
        @register_gradient("exp", level=30)
        def _twice(orig, grad):  # a deliberately wrong gradient to see it used
            return [grad * relay.const(2.0, F64)]

        x = var("x", (2,))
        back = run_infer_type(gradient(run_infer_type(relay.Function([x], relay.exp(x)))))
        _, (grad,) = relay.create_executor("debug").evaluate(back)(rnd((2,)))
        np.testing.assert_array_equal(grad.numpy(), [2.0, 2.0])
        # check_grad notices a wrong gradient
        with pytest.raises(AssertionError):
            check_grad(relay.Function([x], relay.exp(x)), inputs=[rnd((2,))], eps=1e-5,
                       target_devices=TD)
