"""relay.quantize (0.8's automatic quantization): the integer graph it makes and
how close its outputs stay to the float model's.

Tolerances. With global_scale=8 an int8 INPUT field has steps of 8/128 = 1/16,
so each quantized activation carries an error of at most 1/32 against values
of order 1, and int8 weights (power-of-two scale) carry at most 1/256 of their
range. Over a few layers these errors add up to a few percent of the output's
range: we ask for a maximum error below 10% of the float output's largest
magnitude and for the same top-1 class on at least 7 of 8 inputs. KL
calibration clips outliers on purpose, so its bound on the small network is
looser (25%); on resnet it is measured at ~2.4% and bounded by 10%.
"""
import collections

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay import testing
from tvm.relay.quantize import _find_scale_by_kl


def _small_net(shape=(1, 3, 16, 16)):
    data = relay.var("data", shape=shape)
    out = relay.nn.conv2d(data, relay.var("c1_weight"), kernel_size=(3, 3), padding=(1, 1), channels=8)
    out = relay.nn.batch_norm(out, relay.var("bn_gamma"), relay.var("bn_beta"), relay.var("bn_mean"),
                              relay.var("bn_var"))[0]
    out = relay.nn.relu(out)
    out = relay.nn.conv2d(out, relay.var("c2_weight"), kernel_size=(3, 3), padding=(1, 1), channels=8)
    out = relay.nn.relu(out)
    out = relay.nn.max_pool2d(out, pool_size=(2, 2), strides=(2, 2))
    out = relay.nn.batch_flatten(out)
    out = relay.nn.dense(out, relay.var("d_weight"), units=10)
    func = relay.Function(relay.analysis.free_vars(out), out)
    return testing.create_workload(func)


def _inputs(shape, count=8, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, size=shape).astype("float32") for _ in range(count)]


def _run(mod, inputs, params=None):
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    outs = []
    for x in inputs:
        module.set_input("data", x)
        module.run()
        outs.append(module.get_output(0).numpy())
    return np.concatenate(outs)


def _matmul_dtypes(mod):
    """Counter of (op, data dtype, weight dtype, result dtype) for conv2d/dense."""
    found = collections.Counter()

    def visit(node):
        if isinstance(node, relay.Call) and getattr(node.op, "name", None) in ("nn.conv2d", "nn.dense"):
            found[(node.op.name, node.args[0].checked_type.dtype, node.args[1].checked_type.dtype,
                   node.checked_type.dtype)] += 1

    relay.analysis.post_order_visit(mod["main"], visit)
    return found


def _check_close(ref, out, rel_bound, top1_min=7 / 8):
    rel = np.abs(ref - out).max() / np.abs(ref).max()
    agree = (ref.argmax(1) == out.argmax(1)).mean()
    assert rel < rel_bound, f"max error {rel:.3f} of the output range (bound {rel_bound})"
    assert agree >= top1_min, f"top-1 agrees on {agree:.2f} of the inputs"


def test_small_net_global_scale():
    mod, params = _small_net()
    with relay.quantize.qconfig(calibrate_mode="global_scale", global_scale=8.0, skip_conv_layers=[],
                                skip_dense_layer=False):
        qmod = relay.quantize.quantize(mod, params)
    dtypes = _matmul_dtypes(qmod)
    assert dtypes == {("nn.conv2d", "int8", "int8", "int32"): 2, ("nn.dense", "int8", "int8", "int32"): 1}
    xs = _inputs((1, 3, 16, 16))
    _check_close(_run(mod, xs, params), _run(qmod, xs), 0.10)


def test_small_net_kl_divergence():
    mod, params = _small_net()
    dataset = [{"data": x} for x in _inputs((1, 3, 16, 16), 3, seed=1)]
    with relay.quantize.qconfig(calibrate_mode="kl_divergence", weight_scale="max", skip_conv_layers=[],
                                skip_dense_layer=False):
        qmod = relay.quantize.quantize(mod, params, dataset)
    assert _matmul_dtypes(qmod)[("nn.conv2d", "int8", "int8", "int32")] == 2
    xs = _inputs((1, 3, 16, 16))
    _check_close(_run(mod, xs, params), _run(qmod, xs), 0.25)


def test_realized_matches_simulation():
    """The integer graph computes what do_simulation simulates in float (the
    only differences are the rounding of rescaling shifts: a step or two)."""
    mod, params = _small_net()
    cfg = dict(calibrate_mode="global_scale", global_scale=4.0, skip_conv_layers=[], skip_dense_layer=False)
    with relay.quantize.qconfig(do_simulation=True, **cfg):
        sim = relay.quantize.quantize(mod, params)
    with relay.quantize.qconfig(**cfg):
        real = relay.quantize.quantize(mod, params)
    xs = _inputs((1, 3, 16, 16), 2)
    sim_out, real_out = _run(sim, xs), _run(real, xs)
    assert np.abs(sim_out - real_out).max() <= 0.02 * np.abs(sim_out).max()


@pytest.mark.parametrize("mode", ["global_scale", "kl_divergence"])
def test_resnet18(mode):
    mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1, image_shape=(3, 32, 32),
                                              num_classes=10)
    xs = _inputs((1, 3, 32, 32))
    if mode == "global_scale":
        with relay.quantize.qconfig(calibrate_mode="global_scale", global_scale=8.0):
            qmod = relay.quantize.quantize(mod, params)
    else:
        with relay.quantize.qconfig(calibrate_mode="kl_divergence", weight_scale="max"):
            qmod = relay.quantize.quantize(mod, params, [{"data": x} for x in xs[:2]])
    dtypes = _matmul_dtypes(qmod)
    # skip_conv_layers=[0] and skip_dense_layer=True (the defaults) keep the stem and the classifier in float
    assert dtypes[("nn.conv2d", "int8", "int8", "int32")] == 20
    assert dtypes[("nn.conv2d", "float32", "float32", "float32")] == 1
    assert dtypes[("nn.dense", "float32", "float32", "float32")] == 1
    _check_close(_run(mod, xs, params), _run(qmod, xs), 0.10)


@pytest.mark.parametrize("skip, float_convs", [([0], [0]), ([1], [1]), ([], []), (None, []), ([0, 1], [0, 1])])
def test_skip_conv_layers(skip, float_convs):
    mod, params = _small_net()
    with relay.quantize.qconfig(skip_conv_layers=skip):
        qmod = relay.quantize.quantize(mod, params)
    convs = []
    relay.analysis.post_order_visit(
        qmod["main"],
        lambda n: convs.append(n.checked_type.dtype)
        if isinstance(n, relay.Call) and getattr(n.op, "name", None) == "nn.conv2d" else None)
    assert [i for i, dt in enumerate(convs) if dt == "float32"] == float_convs
    assert all(dt == "int32" for i, dt in enumerate(convs) if i not in float_convs)


def test_qconfig_scope_and_errors():
    assert relay.quantize.current_qconfig().global_scale == 8.0
    with relay.quantize.qconfig(global_scale=4.0):
        assert relay.quantize.current_qconfig().global_scale == 4.0
        with relay.quantize.qconfig(nbit_input=6):
            assert relay.quantize.current_qconfig().global_scale == 8.0
            assert relay.quantize.current_qconfig().nbit_input == 6
        assert relay.quantize.current_qconfig().global_scale == 4.0
    with pytest.raises(ValueError, match="calibrate_mode"):
        relay.quantize.qconfig(calibrate_mode="minmax")
    with pytest.raises(ValueError, match="weight_scale"):
        relay.quantize.qconfig(weight_scale="power3")
    with pytest.raises(ValueError, match="global_scale"):
        relay.quantize.qconfig(global_scale=-1.0)
    with pytest.raises(ValueError, match="dtype_input"):
        relay.quantize.qconfig(dtype_input="float16")
    with pytest.raises(ValueError, match="skip_conv_layers"):
        relay.quantize.qconfig(skip_conv_layers=0)
    with pytest.warns(UserWarning, match="paritition_conversions"):
        relay.quantize.qconfig(paritition_conversions="enabled")
    with pytest.raises(AttributeError):
        relay.quantize.current_qconfig().global_scale = 2.0
    mod, params = _small_net()
    with relay.quantize.qconfig(calibrate_mode="kl_divergence"):
        with pytest.raises(ValueError, match="needs a dataset"):
            relay.quantize.quantize(mod, params)


def test_kl_threshold():
    rng = np.random.default_rng(0)
    uniform = rng.uniform(-1, 1, 20000)
    # nothing to clip in a uniform distribution: the threshold is (near) its maximum
    assert _find_scale_by_kl(uniform) == pytest.approx(np.abs(uniform).max(), rel=0.02)
    normal = rng.normal(size=50000)
    threshold = _find_scale_by_kl(normal)
    # the far tail is clipped, the bulk is kept
    assert 2.5 < threshold < np.abs(normal).max()


def test_rescale_fixed_point():
    """A change of scale by a non-power-of-two factor rounds like NumPy (to within 1)."""
    from tvm.relay.quantize._realize import QRealizeIntExpr, rescale

    values = np.arange(-1000, 1000, 7, dtype="int32")
    x = relay.var("x", shape=values.shape, dtype="int32")
    for factor in (0.3, 2.7, 0.125, 4.0, 3.0):
        with relay.quantize.qconfig():
            body = rescale(QRealizeIntExpr(x, factor, "int32"), 1.0, "int32")
        mod = tvm.IRModule.from_expr(relay.Function([x], body))
        out = relay.create_executor("debug", mod=mod).evaluate()(values).numpy()
        assert np.abs(out - values * factor).max() <= 0.5 + 1e-6, factor


def test_partition_conversions():
    mod, params = _small_net()
    base = dict(skip_conv_layers=[], skip_dense_layer=False)
    with relay.quantize.qconfig(**base):
        plain = relay.quantize.quantize(mod, params)
    with relay.quantize.qconfig(partition_conversions="fully_integral", **base):
        split = relay.quantize.quantize(mod, params)
    names = sorted(g.name_hint for g in split.get_global_vars())
    assert names == ["dequantize_outputs", "main", "quantize_inputs", "quantized_main"]
    x = _inputs((1, 3, 16, 16), 1)[0]
    run_plain = relay.create_executor("debug", mod=plain).evaluate()(x).numpy()
    run_split = relay.create_executor("debug", mod=split).evaluate()(x).numpy()
    np.testing.assert_allclose(run_plain, run_split, rtol=1e-6, atol=1e-6)

    # nothing quantizable: fully_integral refuses, 'enabled' still splits
    data = relay.var("data", shape=(4, 4))
    add_mod = tvm.IRModule.from_expr(relay.Function([data], relay.add(data, data)))
    with relay.quantize.qconfig(partition_conversions="fully_integral", **base):
        with pytest.raises(AssertionError):
            relay.quantize.quantize(add_mod)
    with relay.quantize.qconfig(partition_conversions="enabled", **base):
        assert len(relay.quantize.quantize(add_mod).get_global_vars()) >= 2


def test_concatenate_and_generator_dataset():
    """Branches joined by concatenate stay integer; a generator dataset (0.8's
    tutorial passes one) is read once for all calibration runs."""
    data = relay.var("data", shape=(1, 4, 8, 8))
    stem = relay.nn.relu(relay.nn.conv2d(data, relay.var("a_weight"), kernel_size=(3, 3), padding=(1, 1),
                                         channels=4))
    left = relay.nn.conv2d(stem, relay.var("b_weight"), kernel_size=(3, 3), padding=(1, 1), channels=4)
    right = relay.nn.conv2d(stem, relay.var("c_weight"), kernel_size=(1, 1), channels=4)
    out = relay.nn.conv2d(relay.concatenate([left, right], axis=1), relay.var("d_weight"),
                          kernel_size=(1, 1), channels=4)
    mod, params = testing.create_workload(relay.Function(relay.analysis.free_vars(out), out))

    def samples():
        for x in _inputs((1, 4, 8, 8), 3, seed=2):
            yield {"data": x}

    with relay.quantize.qconfig(calibrate_mode="percentile", skip_conv_layers=[]):
        qmod = relay.quantize.quantize(mod, params, dataset=samples())
    concat = []
    relay.analysis.post_order_visit(
        qmod["main"],
        lambda n: concat.append(n.checked_type.dtype)
        if isinstance(n, relay.Call) and getattr(n.op, "name", None) == "concatenate" else None)
    assert concat == ["int32"]
    assert _matmul_dtypes(qmod)[("nn.conv2d", "int8", "int8", "int32")] == 4
    x = _inputs((1, 4, 8, 8), 1, seed=3)[0]
    ref = relay.create_executor("debug", mod=mod).evaluate()(x, **params).numpy()
    got = relay.create_executor("debug", mod=qmod).evaluate()(x).numpy()
    # percentile calibration on 3 samples clips the rare larger values of a new
    # input: the typical error stays small, the worst one is bounded more loosely
    err = np.abs(ref - got)
    assert err.mean() < 0.03 * np.abs(ref).max()
    assert err.max() < 0.20 * np.abs(ref).max()
