"""Type relations of the nn ops: shapes and dtypes per layout, untyped weights, errors."""
import pytest

from tvm import relay
from tvm.relay import Any, TensorType


def infer(expr):
    mod = relay.transform.InferType()(relay.IRModule.from_expr(expr))
    return mod["main"].body.checked_type


def v(shape, dtype="float32", name="x"):
    return relay.var(name, shape=shape, dtype=dtype)


# -- conv2d ---------------------------------------------------------------------------


def test_conv2d_attrs_follow_upstream():
    call = relay.nn.conv2d(v((1, 3, 8, 8)), relay.var("w"), channels=4, kernel_size=3, padding=(1, 2))
    assert call.op.name == "nn.conv2d"
    assert call.attrs.type_key == "relay.attrs.Conv2DAttrs"
    assert call.attrs.padding == (1, 2, 1, 2)
    assert call.attrs.kernel_size == (3, 3)
    assert call.attrs.strides == (1, 1) and call.attrs.dilation == (1, 1)
    assert call.attrs.data_layout == "NCHW" and call.attrs.kernel_layout == "OIHW"
    assert call.attrs.out_layout == "" and call.attrs.out_dtype == "" and call.attrs.groups == 1
    assert relay.nn.conv2d(v((1, 3, 8, 8)), relay.var("w"), padding=1).attrs.padding == (1, 1, 1, 1)
    assert relay.nn.conv2d(v((1, 3, 8, 8)), relay.var("w"), padding=(1, 2, 3, 4)).attrs.padding == (1, 2, 3, 4)


@pytest.mark.parametrize(
    "shape, layout, kshape, klayout, kwargs, expected",
    [
        ((1, 3, 224, 224), "NCHW", (64, 3, 7, 7), "OIHW", dict(strides=2, padding=3), (1, 64, 112, 112)),
        ((1, 224, 224, 3), "NHWC", (7, 7, 3, 64), "HWIO", dict(strides=2, padding=3), (1, 112, 112, 64)),
        ((2, 8, 10, 12), "NCHW", (16, 8, 3, 3), "OIHW", dict(dilation=2), (2, 16, 6, 8)),
        ((2, 8, 10, 12), "NCHW", (16, 8, 3, 3), "OIHW", dict(padding=(1, 0, 0, 2), strides=(2, 1)), (2, 16, 5, 12)),
        ((1, 8, 9, 9), "NCHW", (16, 2, 3, 3), "OIHW", dict(groups=4, padding=1), (1, 16, 9, 9)),
        ((1, 9, 9, 32), "NHWC", (3, 3, 32, 1), "HWOI", dict(groups=32, padding=1), (1, 9, 9, 32)),
        ((1, 32, 9, 9), "NCHW", (32, 1, 3, 3), "OIHW", dict(groups=32, strides=2, padding=1), (1, 32, 5, 5)),
        ((1, 3, 8, 8), "NCHW", (4, 3, 1, 1), "OIHW", dict(out_layout="NHWC"), (1, 8, 8, 4)),
        ((Any(), 3, 8, 8), "NCHW", (4, 3, 3, 3), "OIHW", {}, (Any(), 4, 6, 6)),
        ((1, 3, Any(), 8), "NCHW", (4, 3, 3, 3), "OIHW", {}, (1, 4, Any(), 6)),
    ],
)
def test_conv2d_shapes(shape, layout, kshape, klayout, kwargs, expected):
    out = infer(relay.nn.conv2d(v(shape), v(kshape, name="w"), data_layout=layout,
                                kernel_layout=klayout, **kwargs))
    assert out == TensorType(expected, "float32")


def test_conv2d_untyped_weight_is_deduced():
    w = relay.var("w")
    out = infer(relay.nn.conv2d(v((1, 3, 32, 32)), w, channels=16, kernel_size=(5, 3), padding=(2, 1)))
    assert out.shape == (1, 16, 32, 32)
    assert w.checked_type == TensorType((16, 3, 5, 3))
    w = relay.var("w")
    infer(relay.nn.conv2d(v((1, 32, 32, 3)), w, channels=8, kernel_size=3, data_layout="NHWC", kernel_layout="HWIO"))
    assert w.checked_type == TensorType((3, 3, 3, 8))
    w = relay.var("w")  # depthwise, HWOI: (kh, kw, in_channels, multiplier)
    infer(relay.nn.conv2d(v((1, 8, 8, 32)), w, channels=32, groups=32, kernel_size=3,
                          data_layout="NHWC", kernel_layout="HWOI"))
    assert w.checked_type == TensorType((3, 3, 32, 1))
    w = relay.var("w")  # grouped, OIHW: (out, in / groups, kh, kw)
    infer(relay.nn.conv2d(v((1, 8, 8, 8)), w, channels=16, groups=4, kernel_size=3))
    assert w.checked_type == TensorType((16, 2, 3, 3))


def test_conv2d_out_dtype_and_int8():
    out = infer(relay.nn.conv2d(v((1, 3, 8, 8), "int8"), v((4, 3, 3, 3), "int8", "w"), out_dtype="int32"))
    assert out == TensorType((1, 4, 6, 6), "int32")
    out = infer(relay.nn.conv2d(v((1, 3, 8, 8), "uint8"), v((4, 3, 3, 3), "int8", "w"), out_dtype="int32"))
    assert out.dtype == "int32"


def test_conv2d_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"nn\.conv2d: .*\(1, 3, 8, 8\).*3 input channels.*\(4, 5, 3, 3\).*expects 5"):
        infer(relay.nn.conv2d(v((1, 3, 8, 8)), v((4, 5, 3, 3), name="w")))
    with pytest.raises(ValueError, match=r"nn\.conv2d: dtype mismatch: data is float32 but weight is float16"):
        infer(relay.nn.conv2d(v((1, 3, 8, 8)), v((4, 3, 3, 3), "float16", "w")))
    with pytest.raises(ValueError, match=r"nn\.conv2d: .*weight's type is unknown.*channels and kernel_size"):
        infer(relay.nn.conv2d(v((1, 3, 8, 8)), relay.var("w")))
    with pytest.raises(ValueError, match=r"nn\.conv2d: channels=8 disagrees"):
        infer(relay.nn.conv2d(v((1, 3, 8, 8)), v((4, 3, 3, 3), name="w"), channels=8))
    with pytest.raises(ValueError, match=r"nn\.conv2d: .*does not fit"):
        infer(relay.nn.conv2d(v((1, 3, 2, 2)), v((4, 3, 3, 3), name="w")))
    with pytest.raises(ValueError, match=r"nn\.conv2d: data_layout 'NCWX' is not supported"):
        infer(relay.nn.conv2d(v((1, 3, 8, 8)), v((4, 3, 3, 3), name="w"), data_layout="NCWX"))


def test_conv3d_shapes_and_untyped_weight():
    w = relay.var("w")
    out = infer(relay.nn.conv3d(v((1, 3, 16, 112, 112)), w, channels=64, kernel_size=(3, 7, 7),
                                strides=(1, 2, 2), padding=(1, 3, 3)))
    assert out == TensorType((1, 64, 16, 56, 56))
    assert w.checked_type == TensorType((64, 3, 3, 7, 7))
    call = relay.nn.conv3d(v((1, 16, 112, 112, 3)), relay.var("w"), channels=8, kernel_size=3, padding=1,
                           data_layout="NDHWC", kernel_layout="DHWIO")
    assert call.attrs.padding == (1,) * 6
    assert infer(call) == TensorType((1, 16, 112, 112, 8))
    assert call.args[1].checked_type == TensorType((3, 3, 3, 3, 8))


def test_conv2d_transpose_shapes():
    w = relay.var("w")
    out = infer(relay.nn.conv2d_transpose(v((1, 512, 4, 4)), w, channels=256, kernel_size=(4, 4),
                                          strides=(2, 2), padding=(1, 1)))
    assert out == TensorType((1, 256, 8, 8))
    assert w.checked_type == TensorType((512, 256, 4, 4))  # 0.8: (in, out, kh, kw) with "OIHW"
    out = infer(relay.nn.conv2d_transpose(v((1, 4, 5, 5)), v((4, 8, 3, 3), name="w"), strides=2,
                                          padding=1, output_padding=1))
    assert out.shape == (1, 8, 10, 10)
    out = infer(relay.nn.conv2d_transpose(v((1, 4, 5, 5)), v((4, 2, 3, 3), name="w"), groups=2, dilation=2))
    assert out.shape == (1, 4, 9, 9)
    with pytest.raises(ValueError, match=r"nn\.conv2d_transpose: data \(1, 4, 5, 5\) has 4 input channels"):
        infer(relay.nn.conv2d_transpose(v((1, 4, 5, 5)), v((3, 8, 3, 3), name="w")))


# -- dense / matmul ----------------------------------------------------------------


def test_dense_shapes_and_untyped_weight():
    w = relay.var("fc1_weight")
    assert infer(relay.nn.dense(v((1, 784)), w, units=10)) == TensorType((1, 10))
    assert w.checked_type == TensorType((10, 784))
    assert infer(relay.nn.dense(v((2, 3, 8)), v((5, 8), name="w"))) == TensorType((2, 3, 5))
    assert infer(relay.nn.dense(v((Any(), 8)), v((5, 8), name="w"))).shape == (Any(), 5)
    out = infer(relay.nn.dense(v((2, 8), "int8"), v((5, 8), "int8", "w"), out_dtype="int32"))
    assert out == TensorType((2, 5), "int32")


def test_dense_errors():
    with pytest.raises(
        ValueError, match=r"nn\.dense: input \(1, 784\) and weight \(128, 100\) disagree on the reduction axis"
    ):
        infer(relay.nn.dense(v((1, 784)), v((128, 100), name="w")))
    with pytest.raises(ValueError, match=r"nn\.dense: dtype mismatch: input is float32 but weight is float16"):
        infer(relay.nn.dense(v((1, 8)), v((4, 8), "float16", "w")))
    with pytest.raises(ValueError, match=r"nn\.dense: the weight's type is unknown: give units"):
        infer(relay.nn.dense(v((1, 8)), relay.var("w")))
    with pytest.raises(ValueError, match=r"units=3 disagrees with weight \(4, 8\)"):
        infer(relay.nn.dense(v((1, 8)), v((4, 8), name="w"), units=3))


def test_matmul_and_batch_matmul():
    assert infer(relay.nn.matmul(v((8, 2)), v((5, 8), name="w"), transpose_a=True, transpose_b=True)).shape == (2, 5)
    assert infer(relay.nn.batch_matmul(v((4, 3, 8)), v((4, 5, 8), name="w"))) == TensorType((4, 3, 5))
    assert infer(relay.nn.batch_matmul(v((1, 3, 8)), v((4, 8, 5), name="w"), transpose_b=False)).shape == (4, 3, 5)
    assert infer(relay.nn.batch_matmul(v((4, 8, 3)), v((4, 5, 8), name="w"), transpose_a=True)).shape == (4, 3, 5)
    with pytest.raises(ValueError, match=r"nn\.batch_matmul: tensor_a \(4, 3, 8\) and tensor_b \(4, 5, 7\) disagree"):
        infer(relay.nn.batch_matmul(v((4, 3, 8)), v((4, 5, 7), name="w")))
    with pytest.raises(ValueError, match=r"batch sizes"):
        infer(relay.nn.batch_matmul(v((4, 3, 8)), v((3, 5, 8), name="w")))


# -- per-channel parameters ----------------------------------------------------------


def test_bias_add_batch_norm_layer_norm_fill_params():
    b = relay.var("b")
    assert infer(relay.nn.bias_add(v((1, 16, 4, 4)), b)) == TensorType((1, 16, 4, 4))
    assert b.checked_type == TensorType((16,))
    b = relay.var("b")
    infer(relay.nn.bias_add(v((1, 4, 4, 16)), b, axis=-1))
    assert b.checked_type == TensorType((16,))
    params = [relay.var(n) for n in ("gamma", "beta", "mean", "var")]
    bn = relay.nn.batch_norm(v((1, 4, 4, 8)), *params, axis=3)
    assert isinstance(bn, relay.TupleWrapper) and len(bn) == 3
    out = infer(bn.astuple())
    assert out == relay.TupleType([TensorType((1, 4, 4, 8)), TensorType((8,)), TensorType((8,))])
    assert all(p.checked_type == TensorType((8,)) for p in params)
    assert bn.astuple().attrs.type_key == "relay.attrs.BatchNormAttrs"
    assert bn.astuple().attrs.epsilon == 1e-5 and bn.astuple().attrs.center and bn.astuple().attrs.scale
    g, beta = relay.var("g"), relay.var("b")
    assert infer(relay.nn.layer_norm(v((2, 5, 7)), g, beta)) == TensorType((2, 5, 7))
    assert g.checked_type == TensorType((7,))
    with pytest.raises(ValueError, match=r"nn\.bias_add: bias .* has shape \(3,\), expected \(16,\)"):
        infer(relay.nn.bias_add(v((1, 16, 4, 4)), v((3,), name="b")))


def test_activations_softmax_dropout():
    assert infer(relay.nn.relu(v((2, 3), "float16"))) == TensorType((2, 3), "float16")
    call = relay.nn.leaky_relu(v((2, 3)))
    assert call.attrs.alpha == 0.01 and infer(call).shape == (2, 3)
    assert infer(relay.nn.prelu(v((2, 3, 4)), relay.var("a"))).shape == (2, 3, 4)
    assert infer(relay.nn.softmax(v((2, 3)))).shape == (2, 3)
    assert infer(relay.nn.log_softmax(v((2, 3)), axis=0)).shape == (2, 3)
    with pytest.raises(ValueError, match=r"nn\.softmax: axis 2 is out of range for a tensor of rank 2"):
        infer(relay.nn.softmax(v((2, 3)), axis=2))
    drop = relay.nn.dropout(v((2, 3)), rate=0.2)
    assert isinstance(drop, relay.TupleGetItem) and drop.index == 0
    assert infer(drop) == TensorType((2, 3))
    assert infer(relay.nn.dropout_raw(v((2, 3)))) == relay.TupleType([TensorType((2, 3))] * 2)


# -- pooling -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, shape, kwargs, expected",
    [
        (relay.nn.max_pool2d, (1, 64, 112, 112), dict(pool_size=3, strides=2, padding=1), (1, 64, 56, 56)),
        (relay.nn.max_pool2d, (1, 112, 112, 64), dict(pool_size=3, strides=2, padding=1, layout="NHWC"), (1, 56, 56, 64)),
        (relay.nn.avg_pool2d, (1, 3, 10, 10), dict(pool_size=3, strides=2, ceil_mode=True), (1, 3, 5, 5)),
        (relay.nn.avg_pool2d, (1, 3, 10, 10), dict(pool_size=3, strides=2), (1, 3, 4, 4)),
        (relay.nn.max_pool2d, (1, 3, 10, 10), dict(pool_size=3, dilation=2), (1, 3, 6, 6)),
        (relay.nn.max_pool3d, (1, 3, 8, 16, 16), dict(pool_size=(1, 3, 3), strides=(1, 2, 2), padding=(0, 1, 1)), (1, 3, 8, 8, 8)),
        (relay.nn.avg_pool3d, (1, 8, 16, 16, 3), dict(pool_size=2, strides=2, layout="NDHWC"), (1, 4, 8, 8, 3)),
        (relay.nn.max_pool1d, (1, 3, 9), dict(pool_size=3, strides=2, padding=1), (1, 3, 5)),
        (relay.nn.global_avg_pool2d, (1, 2048, 7, 7), {}, (1, 2048, 1, 1)),
        (relay.nn.global_max_pool2d, (1, 7, 7, 2048), dict(layout="NHWC"), (1, 1, 1, 2048)),
        (relay.nn.global_avg_pool3d, (1, 512, 2, 7, 7), {}, (1, 512, 1, 1, 1)),
        (relay.nn.adaptive_avg_pool2d, (1, 3, 9, 9), dict(output_size=(3, 2)), (1, 3, 3, 2)),
        (relay.nn.adaptive_max_pool2d, (1, 9, 9, 3), dict(output_size=4, layout="NHWC"), (1, 4, 4, 3)),
        (relay.nn.adaptive_avg_pool2d, (1, 3, 9, 9), {}, (1, 3, 9, 9)),
        (relay.nn.adaptive_avg_pool3d, (1, 3, 5, 9, 9), dict(output_size=(1, 2, 3)), (1, 3, 1, 2, 3)),
        (relay.nn.max_pool2d, (1, 2, 9, 9, 8), dict(pool_size=3, strides=2, layout="NCHW8c"), (1, 2, 4, 4, 8)),
        (relay.nn.max_pool2d, (Any(), 3, 9, 9), dict(pool_size=3), (Any(), 3, 7, 7)),
    ],
)
def test_pool_shapes(fn, shape, kwargs, expected):
    assert infer(fn(v(shape), **kwargs)) == TensorType(expected)


def test_pool_attrs_follow_upstream():
    call = relay.nn.avg_pool2d(v((1, 3, 8, 8)), pool_size=2, padding=1)
    assert call.attrs.type_key == "relay.attrs.AvgPool2DAttrs"
    assert call.attrs.pool_size == (2, 2) and call.attrs.padding == (1, 1, 1, 1)
    assert call.attrs.count_include_pad is False and call.attrs.ceil_mode is False
    assert relay.nn.global_avg_pool3d(v((1, 3, 2, 2, 2))).op.name == "nn.adaptive_avg_pool3d"


# -- shape ops -----------------------------------------------------------------------


def test_batch_flatten_pad_upsampling():
    assert infer(relay.nn.batch_flatten(v((2, 3, 4, 5)))) == TensorType((2, 60))
    assert infer(relay.nn.batch_flatten(v((Any(), 3, 4)))).shape == (Any(), 12)
    assert infer(relay.nn.pad(v((1, 3, 4, 4)), ((0, 0), (0, 0), (1, 2), (3, 0)))).shape == (1, 3, 7, 7)
    with pytest.raises(ValueError, match=r"nn\.pad: pad_width has 2 entries but data \(1, 3, 4, 4\) has rank 4"):
        infer(relay.nn.pad(v((1, 3, 4, 4)), ((0, 0), (1, 1))))
    assert infer(relay.nn.upsampling(v((1, 3, 4, 5)), 2, 3)).shape == (1, 3, 8, 15)
    assert infer(relay.nn.upsampling(v((1, 4, 5, 3)), 2, 2, layout="NHWC")).shape == (1, 8, 10, 3)
    assert infer(relay.nn.upsampling3d(v((1, 3, 2, 4, 5)), 2, 2, 2)).shape == (1, 3, 4, 8, 10)


def test_op_patterns_follow_upstream():
    pattern = relay.op.OpPattern
    expected = {
        "nn.conv2d": pattern.OUT_ELEMWISE_FUSABLE, "nn.dense": pattern.OUT_ELEMWISE_FUSABLE,
        "nn.batch_matmul": pattern.OUT_ELEMWISE_FUSABLE, "nn.conv3d": pattern.OUT_ELEMWISE_FUSABLE,
        "nn.conv2d_transpose": pattern.OUT_ELEMWISE_FUSABLE, "nn.max_pool2d": pattern.OUT_ELEMWISE_FUSABLE,
        "nn.global_avg_pool2d": pattern.OUT_ELEMWISE_FUSABLE, "nn.softmax": pattern.OUT_ELEMWISE_FUSABLE,
        "nn.batch_norm": pattern.OPAQUE, "nn.dropout": pattern.OPAQUE, "nn.relu": pattern.ELEMWISE,
        "nn.bias_add": pattern.BROADCAST, "nn.batch_flatten": pattern.INJECTIVE, "nn.pad": pattern.INJECTIVE,
        "add": pattern.BROADCAST, "exp": pattern.ELEMWISE, "reshape": pattern.INJECTIVE,
        "transpose": pattern.INJECTIVE, "sum": pattern.COMM_REDUCE, "argmax": pattern.COMM_REDUCE,
        "vision.non_max_suppression": pattern.OPAQUE, "image.resize2d": pattern.INJECTIVE,
    }
    for name, value in expected.items():
        assert relay.op.get(name).get_attr("TOpPattern") == value, name


def test_conv1d_shapes_and_untyped_weight():
    call = relay.nn.conv1d(v((1, 3, 20)), relay.var("w"), channels=8, kernel_size=3, strides=2, padding=1)
    assert call.attrs.type_key == "relay.attrs.Conv1DAttrs" and call.attrs.padding == (1, 1)
    assert infer(call) == TensorType((1, 8, 10))
    assert call.args[1].checked_type == TensorType((8, 3, 3))
    out = infer(relay.nn.conv1d(v((1, 20, 3)), v((3, 3, 8), name="w"), data_layout="NWC", kernel_layout="WIO"))
    assert out == TensorType((1, 18, 8))


def test_more_nn_ops():
    assert infer(relay.nn.l2_normalize(v((2, 3)), 1e-6, axis=[1])) == TensorType((2, 3))
    call = relay.nn.lrn(v((1, 8, 4, 4)))
    assert call.attrs.size == 5 and call.attrs.bias == 2.0 and infer(call).shape == (1, 8, 4, 4)
    assert infer(relay.nn.fast_softmax(v((2, 3)))).shape == (2, 3)
    assert infer(relay.nn.mirror_pad(v((1, 3, 4, 4)), ((0, 0), (0, 0), (1, 1), (2, 0)))).shape == (1, 3, 6, 6)
    assert infer(relay.nn.depth_to_space(v((1, 8, 4, 4)), 2)) == TensorType((1, 2, 8, 8))
    assert infer(relay.nn.space_to_depth(v((1, 4, 4, 2)), 2, layout="NHWC")) == TensorType((1, 2, 2, 8))
    with pytest.raises(ValueError, match=r"^nn\.depth_to_space: 6 channels are not divisible by block_size\*\*2=4"):
        infer(relay.nn.depth_to_space(v((1, 6, 4, 4)), 2))
    assert infer(relay.nn.adaptive_avg_pool1d(v((1, 3, 9)), 3)) == TensorType((1, 3, 3))
    assert infer(relay.nn.global_max_pool1d(v((1, 3, 9)))) == TensorType((1, 3, 1))
    assert infer(relay.nn.instance_norm(v((2, 3, 4, 4)), relay.var("g"), relay.var("b"))).shape == (2, 3, 4, 4)
    assert infer(relay.nn.group_norm(v((2, 4, 4, 4)), relay.var("g"), relay.var("b"), 2)).shape == (2, 4, 4, 4)


def test_packed_layouts_in_conv_relations():
    w = relay.var("w")
    out = infer(relay.nn.conv2d(v((1, 2, 8, 8, 8)), w, channels=32, kernel_size=3, padding=1,
                                data_layout="NCHW8c", kernel_layout="OIHW8i16o", out_layout="NCHW16c"))
    assert out == TensorType((1, 2, 8, 8, 16))
    assert w.checked_type == TensorType((2, 2, 3, 3, 8, 16))
    out = infer(relay.nn.contrib_depthwise_conv2d_nchwc(v((1, 2, 8, 8, 8)), v((2, 1, 3, 3, 1, 8), name="w"),
                                                        groups=16, padding=1, kernel_layout="OIHW1i8o"))
    assert out == TensorType((1, 2, 8, 8, 8))
    with pytest.raises(ValueError, match=r"^nn\.conv2d: axis I of size 12 is not divisible by 8 \(kernel_layout 'OIHW8i8o'\)"):
        infer(relay.nn.conv2d(v((1, 12, 8, 8)), relay.var("w"), channels=16, kernel_size=3,
                              kernel_layout="OIHW8i8o"))
