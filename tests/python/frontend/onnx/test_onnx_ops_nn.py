"""ONNX convolution, pooling, normalisation, padding and resizing operators vs ONNX Runtime."""
import numpy as np
import pytest
from onnx import helper

from onnx_testing import check

RNG = np.random.default_rng(1)


def _rand(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, shape).astype("float32")


def _node(op_type, inputs, output="y", **attrs):
    return helper.make_node(op_type, inputs, [output], **attrs)


@pytest.mark.parametrize("attrs,w_shape,bias", [
    ({"pads": [1, 1, 1, 1]}, (8, 4, 3, 3), True),
    ({"strides": [2, 2], "pads": [0, 1, 2, 1]}, (8, 4, 3, 3), False),
    ({"dilations": [2, 2], "pads": [2, 2, 2, 2]}, (8, 4, 3, 3), True),
    ({"group": 2, "pads": [1, 1, 1, 1]}, (8, 2, 3, 3), True),
    ({"group": 4}, (4, 1, 3, 3), True),  # depthwise
    ({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, (6, 4, 4, 4), False),
    ({"auto_pad": "SAME_LOWER", "strides": [2, 2]}, (6, 4, 4, 4), False),
    ({"auto_pad": "VALID", "strides": [1, 2]}, (6, 4, 3, 2), True),
    ({"kernel_shape": [1, 1]}, (5, 4, 1, 1), True),
])
def test_conv2d(attrs, w_shape, bias):
    x = _rand(1, 4, 9, 10)
    inits = {"w": _rand(*w_shape)}
    inputs = ["x", "w"]
    if bias:
        inits["b"] = _rand(w_shape[0])
        inputs.append("b")
    check(_node("Conv", inputs, **attrs), {"x": x}, inits)


def test_conv1d_conv3d():
    check(_node("Conv", ["x", "w", "b"], pads=[1, 2], strides=[2]), {"x": _rand(2, 3, 11)},
          {"w": _rand(4, 3, 3), "b": _rand(4)})
    check(_node("Conv", ["x", "w"], pads=[1, 1, 1, 1, 1, 1], dilations=[1, 2, 1]),
          {"x": _rand(1, 2, 5, 6, 5)}, {"w": _rand(3, 2, 3, 3, 3)})


def test_conv_weight_as_input():
    check(_node("Conv", ["x", "w"], pads=[1, 1, 1, 1]), {"x": _rand(1, 3, 6, 6),
                                                        "w": _rand(4, 3, 3, 3)})


@pytest.mark.parametrize("attrs,w_shape", [
    ({"strides": [2, 2]}, (4, 3, 3, 3)),
    ({"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}, (4, 3, 3, 3)),
    ({"strides": [2, 1], "pads": [0, 1, 1, 0], "dilations": [2, 1]}, (4, 3, 3, 2)),
    ({"group": 2, "strides": [2, 2]}, (4, 2, 2, 2)),
    ({"strides": [2, 2], "output_shape": [10, 12]}, (4, 3, 3, 3)),
    ({"strides": [2, 2], "auto_pad": "SAME_UPPER"}, (4, 3, 3, 3)),
])
def test_conv_transpose2d(attrs, w_shape):
    check(_node("ConvTranspose", ["x", "w", "b"], **attrs), {"x": _rand(1, 4, 5, 6)},
          {"w": _rand(*w_shape), "b": _rand(w_shape[1] * attrs.get("group", 1))})


def test_conv_transpose1d():
    check(_node("ConvTranspose", ["x", "w"], strides=[3], pads=[1, 0]), {"x": _rand(2, 3, 7)},
          {"w": _rand(3, 5, 4)})


def test_conv_transpose3d():
    check(_node("ConvTranspose", ["x", "w", "b"], strides=[2, 1, 2], pads=[1, 0, 0, 1, 0, 1],
                output_padding=[1, 0, 0]), {"x": _rand(1, 2, 4, 3, 5)},
          {"w": _rand(2, 3, 3, 2, 3), "b": _rand(3)})


@pytest.mark.parametrize("attrs", [
    {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
    {"kernel_shape": [2, 3], "strides": [2, 1]},
    {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1},
    {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER", "strides": [2, 2]},
    {"kernel_shape": [3, 3], "auto_pad": "SAME_LOWER"},
])
def test_pools(attrs):
    x = _rand(1, 3, 9, 10)
    check(_node("MaxPool", ["x"], **attrs), {"x": x})
    check(_node("AveragePool", ["x"], **attrs), {"x": x})
    if "pads" in attrs:
        check(_node("AveragePool", ["x"], count_include_pad=1, **attrs), {"x": x})


def test_maxpool_dilation_and_1d_3d_pools():
    check(_node("MaxPool", ["x"], kernel_shape=[2, 2], dilations=[2, 2], pads=[1, 1, 1, 1]),
          {"x": _rand(1, 2, 7, 7)}, opset=12)
    check([_node("MaxPool", ["x"], "m", kernel_shape=[3], strides=[2], pads=[1, 1]),
           _node("AveragePool", ["x"], "a", kernel_shape=[2])], {"x": _rand(2, 3, 9)},
          outputs=["m", "a"])
    check([_node("MaxPool", ["x"], "m", kernel_shape=[2, 2, 2], strides=[2, 2, 2]),
           _node("AveragePool", ["x"], "a", kernel_shape=[3, 3, 3], pads=[1] * 6)],
          {"x": _rand(1, 2, 4, 6, 6)}, outputs=["m", "a"])


def test_global_pools():
    nodes = [_node("GlobalAveragePool", ["x"], "avg"), _node("GlobalMaxPool", ["x"], "max"),
             _node("GlobalAveragePool", ["x1"], "avg1"), _node("GlobalMaxPool", ["x3"], "max3")]
    check(nodes, {"x": _rand(2, 3, 5, 6), "x1": _rand(2, 3, 7), "x3": _rand(1, 2, 3, 4, 5)},
          outputs=["avg", "max", "avg1", "max3"])


def test_batch_and_instance_norm():
    c = 4
    stats = {"s": _rand(c, low=0.5, high=1.5), "b": _rand(c), "m": _rand(c),
             "v": _rand(c, low=0.5, high=1.5)}
    x = _rand(2, c, 5, 5)
    check(_node("BatchNormalization", ["x", "s", "b", "m", "v"], epsilon=1e-3), {"x": x}, stats)
    check(_node("BatchNormalization", ["x", "s", "b", "m", "v"]), {"x": _rand(3, c)}, stats,
          opset=15)
    check(_node("InstanceNormalization", ["x", "s", "b"], epsilon=1e-4), {"x": x},
          {"s": stats["s"], "b": stats["b"]})


def test_layer_norm():
    x = _rand(2, 5, 8, low=-3.0, high=3.0)
    nodes = [
        _node("LayerNormalization", ["x", "s", "b"], "last"),
        _node("LayerNormalization", ["x", "s"], "no_bias", epsilon=1e-3),
        _node("LayerNormalization", ["x", "s2", "b2"], "two_axes", axis=-2),
        helper.make_node("LayerNormalization", ["x", "s"], ["with_stats", "mean", "inv_std"],
                         axis=2),
    ]
    check(nodes, {"x": x}, {"s": _rand(8, low=0.5, high=1.5), "b": _rand(8),
                            "s2": _rand(5, 8, low=0.5, high=1.5), "b2": _rand(8)},
          outputs=["last", "no_bias", "two_axes", "with_stats", "mean", "inv_std"], opset=17)


def test_lrn():
    check(_node("LRN", ["x"], size=3, alpha=1e-2, beta=0.5, bias=2.0),
          {"x": _rand(1, 6, 4, 4, low=0.0, high=3.0)})


def test_dropout_inference():
    x = _rand(3, 4)
    check(helper.make_node("Dropout", ["x", "ratio"], ["y", "mask"]), {"x": x},
          {"ratio": np.array(0.4, "float32")}, outputs=["y", "mask"], opset=13)
    check(helper.make_node("Dropout", ["x"], ["y"], ratio=0.3), {"x": x}, opset=10)


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad(mode):
    x = _rand(2, 3, 4, 5)
    pads = np.array([0, 1, 2, 1, 0, 0, 1, 2], "int64")
    inputs = ["x", "pads"] + (["value"] if mode == "constant" else [])
    check(_node("Pad", inputs, mode=mode), {"x": x},
          {"pads": pads, "value": np.array(1.5, "float32")}, opset=13)


def test_pad_variants():
    x = _rand(3, 4, 5)
    check(_node("Pad", ["x"], pads=[1, 0, 2, 0, 1, 1], value=-1.0), {"x": x}, opset=2)
    # negative pads crop
    check(_node("Pad", ["x", "pads"]), {"x": x}, {"pads": np.array([1, -1, 0, 0, 2, -2], "int64")},
          opset=11)
    # opset 18: pads of the listed axes only
    check(_node("Pad", ["x", "pads", "", "axes"], mode="edge"), {"x": x},
          {"pads": np.array([1, 2, 3, 0], "int64"), "axes": np.array([-1, 0], "int64")}, opset=18)


@pytest.mark.parametrize("attrs,scales,sizes", [
    ({"mode": "nearest"}, [1, 1, 2, 2], None),
    ({"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
     [1, 1, 2, 3], None),
    ({"mode": "nearest", "nearest_mode": "round_prefer_ceil"}, None, [1, 2, 7, 9]),
    ({"mode": "linear"}, [1, 1, 2, 2], None),
    ({"mode": "linear", "coordinate_transformation_mode": "align_corners"}, None, [1, 2, 9, 7]),
    ({"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, None,
     [1, 2, 8, 1]),
    ({"mode": "linear", "coordinate_transformation_mode": "asymmetric"}, [1, 1, 0.5, 0.5], None),
    ({"mode": "cubic"}, [1, 1, 2, 2], None),
])
def test_resize(attrs, scales, sizes):
    x = _rand(1, 2, 4, 6)
    inits = {"roi": np.zeros(0, "float32")}
    if scales is not None:
        inits["scales"] = np.array(scales, "float32")
        inputs = ["x", "roi", "scales"]
    else:
        inits["sizes"] = np.array(sizes, "int64")
        inputs = ["x", "roi", "", "sizes"]
    check(_node("Resize", inputs, **attrs), {"x": x}, inits, opset=13)


def test_resize_old_opsets_and_1d():
    x = _rand(1, 2, 3, 4)
    scales = np.array([1, 1, 2, 2], "float32")
    check(_node("Resize", ["x", "scales"], mode="nearest"), {"x": x}, {"scales": scales},
          opset=10)
    check(_node("Upsample", ["x", "scales"], mode="linear"), {"x": x}, {"scales": scales},
          opset=9)
    check(_node("Upsample", ["x"], mode="nearest", scales=[1.0, 1.0, 3.0, 2.0]), {"x": x},
          opset=7)
    check(_node("Resize", ["x", "", "scales"], mode="linear"), {"x": _rand(2, 3, 5)},
          {"scales": np.array([1, 1, 3], "float32")}, opset=18)


def test_depth_space():
    x = _rand(1, 8, 3, 4)
    check([_node("DepthToSpace", ["x"], "dcr", blocksize=2),
           _node("DepthToSpace", ["x"], "crd", blocksize=2, mode="CRD"),
           _node("SpaceToDepth", ["dcr"], "back", blocksize=2)], {"x": x},
          outputs=["dcr", "crd", "back"])


@pytest.mark.parametrize("opset,per_group", [(18, True), (21, False)])
def test_group_norm(opset, per_group):
    c, groups = 6, 3
    size = groups if per_group else c
    check(_node("GroupNormalization", ["x", "s", "b"], num_groups=groups, epsilon=1e-4),
          {"x": _rand(2, c, 4, 3)}, {"s": _rand(size, low=0.5, high=1.5), "b": _rand(size)},
          opset=opset)


@pytest.mark.parametrize("attrs", [
    {"kernel_shape": [2, 2], "p": 2},
    {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "p": 3},
    {"kernel_shape": [2, 3], "p": 1},
])
def test_lp_pool(attrs):
    check(_node("LpPool", ["x"], **attrs), {"x": _rand(1, 3, 7, 8)}, rtol=1e-4, atol=1e-5)


def test_global_lp_pool_against_numpy():
    """ONNX Runtime has no GlobalLpPool kernel: NumPy is the reference."""
    from onnx_testing import make_model, run_tvm

    x = _rand(2, 3, 5, 4)
    for p in (1, 2, 3):
        model = make_model([_node("GlobalLpPool", ["x"], p=p)], {"x": x})
        (got,) = run_tvm(model, {"x": x})
        want = (np.abs(x) ** p).sum(axis=(2, 3), keepdims=True) ** (1.0 / p)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_max_unpool_inverts_max_pool():
    """MaxPool's values and Indices through MaxUnpool (with and without output_shape)."""
    from onnx_testing import make_model, run_ort, run_tvm

    x = _rand(1, 2, 6, 6)
    values, indices = run_ort(make_model(
        [helper.make_node("MaxPool", ["x"], ["v", "i"], kernel_shape=[2, 2], strides=[2, 2])],
        {"x": x}, outputs=("v", "i")), {"x": x})
    feeds = {"v": values, "i": indices}
    check(_node("MaxUnpool", ["v", "i"], kernel_shape=[2, 2], strides=[2, 2]), feeds)
    shape = {"shape": np.array([1, 2, 7, 7], "int64")}
    check(_node("MaxUnpool", ["v", "i", "shape"], kernel_shape=[2, 2], strides=[2, 2]), feeds,
          shape)
    (got,) = run_tvm(make_model([_node("MaxUnpool", ["v", "i"], kernel_shape=[2, 2],
                                       strides=[2, 2])], feeds), feeds)
    want = np.zeros(x.size, "float32")
    want[indices.ravel()] = values.ravel()
    np.testing.assert_array_equal(got, want.reshape(x.shape))
