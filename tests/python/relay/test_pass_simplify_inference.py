"""SimplifyInference: normalisation ops become arithmetic with the same values."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.reference import create_executor
from tvm.relay.transform._utils import post_order


def _run(mod, *inputs):
    return create_executor("debug", mod=mod).evaluate()(*inputs).numpy()


def _simplify(func):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    out = relay.transform.SimplifyInference()(mod)
    out = relay.transform.InferType()(out)
    return mod, out


def _op_names(mod):
    return {
        n.op.name
        for n in post_order(mod["main"].body)
        if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
    }


def _rand(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype("float32")


def _batch_norm_reference(x, gamma, beta, mean, var, axis, eps, scale, center):
    shape = [1] * x.ndim
    shape[axis] = -1
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if scale:
        out = out * gamma.reshape(shape)
    if center:
        out = out + beta.reshape(shape)
    return out


@pytest.mark.parametrize(
    "shape,axis,scale,center",
    [
        ((2, 4, 3, 3), 1, True, True),  # NCHW
        ((2, 3, 3, 4), 3, True, True),  # NHWC
        ((2, 3, 3, 4), -1, False, True),
        ((5, 4), 1, True, False),
    ],
)
def test_batch_norm(shape, axis, scale, center):
    rng = np.random.RandomState(0)
    channels = shape[axis]
    x = relay.var("x", shape=shape)
    params = [relay.var(n, shape=(channels,)) for n in ("gamma", "beta", "mean", "var")]
    y = relay.nn.batch_norm(x, *params, axis=axis, epsilon=1e-3, scale=scale, center=center)[0]
    mod, out = _simplify(relay.Function([x] + params, y))
    assert "nn.batch_norm" not in _op_names(out)
    # data, gamma, beta, moving mean, then a positive moving variance
    inputs = [_rand(rng, shape)] + [_rand(rng, (channels,)) for _ in range(3)]
    inputs.append(_rand(rng, (channels,), 0.5, 2.0))
    expected = _batch_norm_reference(*inputs, axis % len(shape), 1e-3, scale, center)
    np.testing.assert_allclose(_run(out, *inputs), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_run(mod, *inputs), expected, rtol=1e-5, atol=1e-5)


def test_dropout_is_identity():
    x = relay.var("x", shape=(3, 4))
    y = relay.exp(relay.nn.dropout(x, rate=0.5))
    _, out = _simplify(relay.Function([x], y))
    assert _op_names(out) == {"exp"}
    data = _rand(np.random.RandomState(1), (3, 4))
    np.testing.assert_allclose(_run(out, data), np.exp(data), rtol=1e-6)


def test_layer_norm():
    rng = np.random.RandomState(2)
    x = relay.var("x", shape=(2, 3, 8))
    gamma = relay.var("gamma", shape=(8,))
    beta = relay.var("beta", shape=(8,))
    y = relay.nn.layer_norm(x, gamma, beta, axis=-1, epsilon=1e-5)
    mod, out = _simplify(relay.Function([x, gamma, beta], y))
    assert "nn.layer_norm" not in _op_names(out)
    data, g, b = _rand(rng, (2, 3, 8)), _rand(rng, (8,)), _rand(rng, (8,))
    mean = data.mean(axis=-1, keepdims=True)
    var = data.var(axis=-1, keepdims=True)
    expected = (data - mean) / np.sqrt(var + 1e-5) * g + b
    np.testing.assert_allclose(_run(out, data, g, b), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_run(mod, data, g, b), expected, rtol=1e-4, atol=1e-5)


def test_keep_leaves_layer_norm_and_build_runs_it_as_one_kernel():
    x = relay.var("x", shape=(2, 5, 48))
    gamma = relay.var("gamma", shape=(48,))
    beta = relay.var("beta", shape=(48,))
    y = relay.nn.batch_norm(relay.nn.layer_norm(x, gamma, beta, epsilon=1e-5), gamma, beta, gamma, gamma + relay.const(2.0), axis=2)[0]
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x, gamma, beta], y)))
    kept = relay.transform.SimplifyInference(keep=("nn.layer_norm",))(mod)
    assert "nn.layer_norm" in _op_names(kept) and "nn.batch_norm" not in _op_names(kept)
    with pytest.raises(ValueError, match="nn.conv2d"):
        relay.transform.SimplifyInference(keep=("nn.conv2d",))

    rng = np.random.RandomState(4)
    data, g, b = _rand(rng, (2, 5, 48)), _rand(rng, (48,), 0.5, 1.5), _rand(rng, (48,))
    expected = _run(mod, data, g, b)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, "llvm")
    assert "nn_layer_norm" in lib.get_graph_json()
    from tvm.contrib import graph_executor

    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.run(x=data, gamma=g, beta=b)
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_instance_norm_and_group_norm():
    rng = np.random.RandomState(3)
    shape = (2, 4, 3, 3)
    x = relay.var("x", shape=shape)
    gamma = relay.var("gamma", shape=(4,))
    beta = relay.var("beta", shape=(4,))
    data, g, b = _rand(rng, shape), _rand(rng, (4,)), _rand(rng, (4,))

    y = relay.nn.instance_norm(x, gamma, beta, axis=1, epsilon=1e-5)
    _, out = _simplify(relay.Function([x, gamma, beta], y))
    assert "nn.instance_norm" not in _op_names(out)
    mean = data.mean(axis=(2, 3), keepdims=True)
    var = data.var(axis=(2, 3), keepdims=True)
    expected = (data - mean) / np.sqrt(var + 1e-5) * g.reshape(4, 1, 1) + b.reshape(4, 1, 1)
    np.testing.assert_allclose(_run(out, data, g, b), expected, rtol=1e-4, atol=1e-5)

    y = relay.nn.group_norm(x, gamma, beta, num_groups=2, axis=1, epsilon=1e-5)
    _, out = _simplify(relay.Function([x, gamma, beta], y))
    assert "nn.group_norm" not in _op_names(out)
    grouped = data.reshape(2, 2, 2, 3, 3)
    mean = grouped.mean(axis=(2, 3, 4), keepdims=True)
    var = grouped.var(axis=(2, 3, 4), keepdims=True)
    norm = ((grouped - mean) / np.sqrt(var + 1e-5)).reshape(shape)
    expected = norm * g.reshape(4, 1, 1) + b.reshape(4, 1, 1)
    np.testing.assert_allclose(_run(out, data, g, b), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(
    not hasattr(relay.nn, "l2_normalize"), reason="nn.l2_normalize is not in the op library"
)
def test_l2_normalize():
    x = relay.var("x", shape=(3, 5))
    y = relay.nn.l2_normalize(x, eps=1e-6, axis=[1])
    _, out = _simplify(relay.Function([x], y))
    assert "nn.l2_normalize" not in _op_names(out)
    data = _rand(np.random.RandomState(4), (3, 5))
    expected = data / np.sqrt(np.maximum((data * data).sum(axis=1, keepdims=True), 1e-6))
    np.testing.assert_allclose(_run(out, data), expected, rtol=1e-5)


def test_other_batch_norm_outputs_are_kept():
    x = relay.var("x", shape=(2, 3))
    params = [relay.var(n, shape=(3,)) for n in ("gamma", "beta", "mean", "var")]
    bn = relay.nn.batch_norm(x, *params)
    y = relay.Tuple([bn[0], bn[1]])
    _, out = _simplify(relay.Function([x] + params, y))
    # index 0 is rewritten, index 1 still reads the batch_norm call
    assert "nn.batch_norm" in _op_names(out)
    assert "multiply" in _op_names(out)
