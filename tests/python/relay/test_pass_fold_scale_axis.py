"""FoldScaleAxis: per-channel multiplies move into convolution weights, NCHW and NHWC."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.reference import create_executor
from tvm.relay.transform._utils import post_order

_LAYOUTS = {"NCHW": ("OIHW", 1), "NHWC": ("HWIO", 3)}


def _run(mod, *inputs):
    return create_executor("debug", mod=mod).evaluate()(*inputs).numpy()


def _fold(func, which="FoldScaleAxis"):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    with tvm.transform.PassContext(opt_level=3):
        out = getattr(relay.transform, which)()(mod)
    return mod, relay.transform.InferType()(out)


def _calls(mod):
    return [
        n.op.name
        for n in post_order(mod["main"].body)
        if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
    ]


def _channel_const(rng, channels, axis, ndim=4, low=0.5, high=2.0):
    shape = [1] * (ndim - 1)
    shape[axis - 1] = channels  # broadcast shape without the batch axis
    return rng.uniform(low, high, shape).astype("float32")


def _data_shape(layout, channels, size=5):
    return (1, channels, size, size) if layout == "NCHW" else (1, size, size, channels)


def _kernel_shape(kernel_layout, out_c, in_c, k=3):
    return (out_c, in_c, k, k) if kernel_layout == "OIHW" else (k, k, in_c, out_c)


def _conv(x, w, layout, channels):
    kernel_layout, _ = _LAYOUTS[layout]
    return relay.nn.conv2d(
        x, w, kernel_size=(3, 3), padding=(1, 1), channels=channels,
        data_layout=layout, kernel_layout=kernel_layout,
    )


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_backward_conv_bias_relu_times_scale(layout):
    rng = np.random.RandomState(0)
    kernel_layout, axis = _LAYOUTS[layout]
    x = relay.var("x", shape=_data_shape(layout, 3))
    w = relay.const(rng.uniform(-1, 1, _kernel_shape(kernel_layout, 4, 3)).astype("float32"))
    bias = relay.const(_channel_const(rng, 4, axis, low=-1, high=1))
    scale = relay.const(_channel_const(rng, 4, axis))
    y = relay.multiply(relay.nn.relu(relay.add(_conv(x, w, layout, 4), bias)), scale)
    mod, out = _fold(relay.Function([x], y))
    assert _calls(out) == ["nn.conv2d", "add", "nn.relu"]
    data = rng.uniform(-1, 1, _data_shape(layout, 3)).astype("float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_conv_batch_norm_folds_into_weights(layout):
    """conv2d -> batch_norm with bound params: only conv2d + add remain."""
    rng = np.random.RandomState(1)
    kernel_layout, axis = _LAYOUTS[layout]
    x = relay.var("x", shape=_data_shape(layout, 3))
    w = relay.const(rng.uniform(-1, 1, _kernel_shape(kernel_layout, 4, 3)).astype("float32"))
    bn = [relay.const(rng.uniform(0.5, 1.5, (4,)).astype("float32")) for _ in range(4)]
    y = relay.nn.batch_norm(_conv(x, w, layout, 4), *bn, axis=axis)[0]
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], y)))
    t = relay.transform
    with tvm.transform.PassContext(opt_level=3):
        out = t.Sequential([t.SimplifyInference(), t.FoldConstant(), t.FoldScaleAxis()])(mod)
    out = t.InferType()(out)
    assert _calls(out) == ["nn.conv2d", "add"]
    data = rng.uniform(-1, 1, _data_shape(layout, 3)).astype("float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_forward_scale_add_relu_into_two_convs(layout):
    rng = np.random.RandomState(2)
    kernel_layout, axis = _LAYOUTS[layout]
    x = relay.var("x", shape=_data_shape(layout, 3))
    scale = relay.const(_channel_const(rng, 3, axis))
    shift = relay.const(_channel_const(rng, 3, axis, low=-1, high=1))
    act = relay.nn.relu(relay.add(relay.multiply(x, scale), shift))
    w1 = relay.const(rng.uniform(-1, 1, _kernel_shape(kernel_layout, 4, 3)).astype("float32"))
    w2 = relay.const(rng.uniform(-1, 1, _kernel_shape(kernel_layout, 4, 3)).astype("float32"))
    y = relay.add(_conv(act, w1, layout, 4), _conv(act, w2, layout, 4))
    mod, out = _fold(relay.Function([x], y))
    assert "multiply" not in _calls(out)
    assert sorted(_calls(out)) == ["add", "add", "nn.conv2d", "nn.conv2d", "nn.relu"]
    data = rng.uniform(-1, 1, _data_shape(layout, 3)).astype("float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-5, atol=1e-5)


def test_negative_scale_does_not_cross_relu():
    rng = np.random.RandomState(3)
    x = relay.var("x", shape=(1, 3, 5, 5))
    w = relay.const(rng.uniform(-1, 1, (4, 3, 3, 3)).astype("float32"))
    scale = relay.const(np.array([1.0, -2.0, 0.5, 1.0], "float32").reshape(4, 1, 1))
    y = relay.multiply(relay.nn.relu(_conv(x, w, "NCHW", 4)), scale)
    mod, out = _fold(relay.Function([x], y))
    assert "multiply" in _calls(out)
    # without the relu a negative scale folds
    y = relay.multiply(_conv(x, w, "NCHW", 4), scale)
    mod, out = _fold(relay.Function([x], y))
    assert _calls(out) == ["nn.conv2d"]
    data = rng.uniform(-1, 1, (1, 3, 5, 5)).astype("float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-5, atol=1e-5)


def test_not_folded_when_conv_output_has_other_users():
    rng = np.random.RandomState(4)
    x = relay.var("x", shape=(1, 3, 5, 5))
    w = relay.const(rng.uniform(-1, 1, (4, 3, 3, 3)).astype("float32"))
    c = _conv(x, w, "NCHW", 4)
    scale = relay.const(_channel_const(rng, 4, 1))
    y = relay.add(relay.multiply(c, scale), c)
    mod, out = _fold(relay.Function([x], y))
    assert "multiply" in _calls(out)
    data = rng.uniform(-1, 1, (1, 3, 5, 5)).astype("float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-6)


def test_backward_dense_and_weights_as_variables():
    rng = np.random.RandomState(5)
    x = relay.var("x", shape=(2, 6))
    w = relay.var("w", shape=(4, 6))
    scale = relay.const(rng.uniform(0.5, 2, (4,)).astype("float32"))
    y = relay.multiply(relay.nn.dense(x, w), scale)
    mod, out = _fold(relay.Function([x, w], y), "BackwardFoldScaleAxis")
    # the dense weight is a variable: the scale moves onto it
    assert _calls(out) == ["multiply", "nn.dense"]
    assert out["main"].body.op.name == "nn.dense"
    inputs = [rng.uniform(-1, 1, (2, 6)).astype("float32"), rng.uniform(-1, 1, (4, 6)).astype("float32")]
    np.testing.assert_allclose(_run(out, *inputs), _run(mod, *inputs), rtol=1e-5)


def test_scale_varying_along_another_axis_is_not_folded():
    rng = np.random.RandomState(6)
    x = relay.var("x", shape=(1, 3, 5, 5))
    w = relay.const(rng.uniform(-1, 1, (4, 3, 3, 3)).astype("float32"))
    scale = relay.const(rng.uniform(0.5, 2, (1, 1, 5, 1)).astype("float32"))  # along H
    y = relay.multiply(_conv(x, w, "NCHW", 4), scale)
    _, out = _fold(relay.Function([x], y))
    assert "multiply" in _calls(out)


def test_fold_scale_axis_obeys_disabled_pass_and_opt_level():
    rng = np.random.RandomState(7)
    x = relay.var("x", shape=(1, 3, 5, 5))
    w = relay.const(rng.uniform(-1, 1, (4, 3, 3, 3)).astype("float32"))
    y = relay.multiply(_conv(x, w, "NCHW", 4), relay.const(_channel_const(rng, 4, 1)))
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], y)))
    seq = relay.transform.Sequential([relay.transform.FoldScaleAxis()])
    with tvm.transform.PassContext(opt_level=3, disabled_pass=["FoldScaleAxis"]):
        assert "multiply" in _calls(seq(mod))
    with tvm.transform.PassContext(opt_level=2):
        assert "multiply" in _calls(seq(mod))
    with tvm.transform.PassContext(opt_level=3):
        assert "multiply" not in _calls(seq(mod))


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_biases_and_weights_as_variables(layout):
    """Unbound parameters: the scale moves onto the variables as multiplies/divides."""
    rng = np.random.RandomState(8)
    kernel_layout, axis = _LAYOUTS[layout]
    bias_shape = _channel_const(rng, 3, axis).shape
    x = relay.var("x", shape=_data_shape(layout, 3))
    b_in = relay.var("b_in", shape=bias_shape)
    w = relay.var("w", shape=_kernel_shape(kernel_layout, 4, 3))
    b_out = relay.var("b_out", shape=(4,))
    scale_in = relay.const(_channel_const(rng, 3, axis))
    scale_out = relay.const(_channel_const(rng, 4, axis))
    act = relay.nn.relu(relay.add(relay.multiply(x, scale_in), b_in))
    y = relay.nn.bias_add(_conv(act, w, layout, 4), b_out, axis=axis)
    y = relay.multiply(relay.nn.relu(y), scale_out)
    mod, out = _fold(relay.Function([x, b_in, w, b_out], y))
    main = out["main"]
    assert main.body.op.name == "nn.relu"  # the trailing multiply is gone
    # the input multiply is gone too: relu's input is the add of x itself
    conv = main.body.args[0].args[0]
    assert conv.args[0].args[0].args[0] is main.params[0]
    inputs = [
        rng.uniform(-1, 1, _data_shape(layout, 3)).astype("float32"),
        rng.uniform(-1, 1, bias_shape).astype("float32"),
        rng.uniform(-1, 1, _kernel_shape(kernel_layout, 4, 3)).astype("float32"),
        rng.uniform(-1, 1, (4,)).astype("float32"),
    ]
    np.testing.assert_allclose(_run(out, *inputs), _run(mod, *inputs), rtol=1e-5, atol=1e-5)


def test_forward_not_folded_when_both_add_operands_are_scaled():
    rng = np.random.RandomState(9)
    x = relay.var("x", shape=(1, 3, 5, 5))
    m = relay.multiply(x, relay.const(_channel_const(rng, 3, 1)))
    y = relay.add(relay.nn.relu(m), relay.nn.leaky_relu(m, alpha=0.1))
    w = relay.const(rng.uniform(-1, 1, (4, 3, 3, 3)).astype("float32"))
    mod, out = _fold(relay.Function([x], _conv(y, w, "NCHW", 4)))
    assert "multiply" in _calls(out)
    data = rng.uniform(-1, 1, (1, 3, 5, 5)).astype("float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-5, atol=1e-5)


def test_full_tensor_operand_is_not_a_bias():
    # conv(relu(x * s) + x): x varies along every axis, so moving the scale
    # past the add would only put a divide on x; upstream leaves it, so do we.
    rng = np.random.RandomState(10)
    x = relay.var("x", shape=(1, 3, 5, 5))
    m = relay.multiply(x, relay.const(_channel_const(rng, 3, 1)))
    w = relay.const(rng.uniform(-1, 1, (4, 3, 3, 3)).astype("float32"))
    mod, out = _fold(relay.Function([x], _conv(relay.add(relay.nn.relu(m), x), w, "NCHW", 4)))
    assert sorted(_calls(out)) == ["add", "multiply", "nn.conv2d", "nn.relu"]
    # same backwards: (conv(x) + y) * s with a full tensor y stays
    y = relay.var("y", shape=(1, 4, 5, 5))
    scale = relay.const(_channel_const(rng, 4, 1))
    z = relay.multiply(relay.add(_conv(x, w, "NCHW", 4), y), scale)
    _, out = _fold(relay.Function([x, y], z))
    assert "multiply" in _calls(out)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_backward_into_both_branches_of_an_add(layout):
    # (conv_a(x) + conv_b(x)) * s: both kernels take the scale (a projection
    # shortcut followed by the next batch norm)
    rng = np.random.RandomState(11)
    kernel_layout, axis = _LAYOUTS[layout]
    x = relay.var("x", shape=_data_shape(layout, 3))
    wa = relay.const(rng.uniform(-1, 1, _kernel_shape(kernel_layout, 4, 3)).astype("float32"))
    wb = relay.const(rng.uniform(-1, 1, _kernel_shape(kernel_layout, 4, 3)).astype("float32"))
    shift = relay.const(_channel_const(rng, 4, axis, low=-1, high=1))
    branch_a = relay.add(_conv(x, wa, layout, 4), shift)
    y = relay.multiply(relay.add(branch_a, _conv(x, wb, layout, 4)), relay.const(_channel_const(rng, 4, axis)))
    mod, out = _fold(relay.Function([x], y))
    assert sorted(_calls(out)) == ["add", "add", "nn.conv2d", "nn.conv2d"]
    data = rng.uniform(-1, 1, _data_shape(layout, 3)).astype("float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-5, atol=1e-5)
