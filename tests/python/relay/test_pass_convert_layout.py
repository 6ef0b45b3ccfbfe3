"""ConvertLayout: converted graphs compute what the original does (compiled with
relay.build, opt_level 3) and convert their activations only at the boundary."""
import logging

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay.transform._utils import post_order

NHWC = {"nn.conv2d": ["NHWC", "default"]}
_TRANSFORMS = ("layout_transform", "transpose")


def _rng(seed=0):
    return np.random.RandomState(seed)


def _const(rng, *shape, low=-1.0, high=1.0):
    return relay.const(rng.uniform(low, high, shape).astype("float32"))


def _typed(func):
    return relay.transform.InferType()(tvm.IRModule.from_expr(func))


def _convert(mod, layouts=None):
    with tvm.transform.PassContext(opt_level=3):
        return relay.transform.ConvertLayout(layouts or NHWC)(mod)


def _calls(mod):
    return [n for n in post_order(mod["main"].body)
            if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)]


def _folded(mod):
    return relay.transform.InferType()(relay.transform.FoldConstant()(mod))


def _transforms(mod):
    """Layout transforms of the body once constants are folded (the weights'
    transforms fold away, so what is left converts activations)."""
    return [c for c in _calls(_folded(mod)) if c.op.name in _TRANSFORMS]


def _op_calls(mod, name):
    return [c for c in _calls(mod) if c.op.name == name]


# relay.build may choose a layout by itself (ChooseLayout, itself built on
# ConvertLayout): off, so that the reference build runs the graph as written.
_BUILD = {"opt_level": 3, "disabled_pass": ["ChooseLayout"]}


def _run(mod, inputs):
    with tvm.transform.PassContext(**_BUILD):
        lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def _check(func, inputs, layouts=None, transforms=2, rtol=1e-5, atol=1e-5):
    """Convert, compare the compiled outputs with the original's, check the
    number of activation transforms; returns the converted module."""
    mod = _typed(func)
    converted = _convert(mod, layouts)
    expected = _run(mod, inputs)
    actual = _run(converted, inputs)
    assert len(expected) == len(actual)
    for want, got in zip(expected, actual):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    if transforms is not None:
        found = _transforms(converted)
        assert len(found) == transforms, converted
    assert converted["main"].checked_type == mod["main"].checked_type
    return converted


def _conv(x, rng, cin, cout, k=3, stride=1, groups=1, layout="NCHW"):
    kernel_layout = "OIHW" if layout == "NCHW" else "HWIO"
    shape = (cout, cin // groups, k, k) if layout == "NCHW" else (k, k, cin // groups, cout)
    return relay.nn.conv2d(x, _const(rng, *shape), strides=(stride, stride),
                           padding=(k // 2, k // 2), groups=groups, channels=cout,
                           kernel_size=(k, k), data_layout=layout, kernel_layout=kernel_layout)


def _bn(x, rng, c, axis=1):
    out = relay.nn.batch_norm(x, _const(rng, c, low=0.5, high=1.5), _const(rng, c),
                              _const(rng, c), _const(rng, c, low=0.5, high=1.5), axis=axis)
    return out[0]


def _input(shape=(1, 3, 8, 8), seed=1):
    return {"x": _rng(seed).uniform(-1, 1, shape).astype("float32")}


# -- convolutions -------------------------------------------------------------------


def test_conv_chain_converts_once_at_each_end():
    """conv-bn-relu-conv-pool-concat-conv: one transform in, one out, weights folded."""
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    a = relay.nn.relu(_bn(_conv(x, rng, 3, 8), rng, 8))
    b = _conv(a, rng, 8, 8)
    pooled = relay.nn.max_pool2d(b, pool_size=(2, 2), strides=(2, 2))
    other = relay.nn.avg_pool2d(a, pool_size=(2, 2), strides=(2, 2))
    cat = relay.concatenate([pooled, other], axis=1)
    out = _conv(cat, rng, 16, 4, k=1)
    converted = _check(relay.Function([x], out), _input())
    body = _folded(converted)
    convs = _op_calls(body, "nn.conv2d")
    assert len(convs) == 3
    for conv in convs:
        assert conv.attrs.data_layout == "NHWC" and conv.attrs.kernel_layout == "HWIO"
        assert isinstance(conv.args[1], relay.Constant)
    k = convs[0].args[1].data.numpy()
    assert k.shape == (3, 3, 3, 8)
    first, last = _transforms(converted)
    assert (first.attrs.src_layout, first.attrs.dst_layout) == ("NCHW", "NHWC")
    assert (last.attrs.src_layout, last.attrs.dst_layout) == ("NHWC", "NCHW")
    assert _op_calls(converted, "nn.batch_norm")[0].attrs.axis == 3
    assert _op_calls(converted, "concatenate")[0].attrs.axis == 3


def test_nhwc_graph_converts_to_nchw():
    rng = _rng()
    x = relay.var("x", shape=(1, 8, 8, 3))
    y = relay.nn.relu(_conv(x, rng, 3, 6, layout="NHWC"))
    y = relay.nn.bias_add(y, _const(rng, 6), axis=3)
    y = _conv(y, rng, 6, 4, layout="NHWC")
    converted = _check(relay.Function([x], y), _input((1, 8, 8, 3)),
                       {"nn.conv2d": ["NCHW", "default"]})
    for conv in _op_calls(converted, "nn.conv2d"):
        assert (conv.attrs.data_layout, conv.attrs.kernel_layout) == ("NCHW", "OIHW")
    # CanonicalizeOps runs first (as 0.8): the bias is a broadcast add, converted
    # like one ([6] -> [1, 1, 1, 6] -> [1, 6, 1, 1]).
    assert not _op_calls(converted, "nn.bias_add")
    (add,) = _op_calls(_folded(converted), "add")
    assert [int(d) for d in add.args[1].checked_type.shape] == [1, 6, 1, 1]


@pytest.mark.parametrize("groups,cout,kernel_layout", [(8, 8, "HWOI"), (2, 8, "HWIO"),
                                                       (8, 16, "HWIO")])
def test_grouped_and_depthwise_conv(groups, cout, kernel_layout):
    """Depthwise with multiplier 1 takes HWOI (upstream's default); grouped convs and a
    depthwise multiplier of 2 take HWIO."""
    rng = _rng()
    x = relay.var("x", shape=(1, 8, 7, 7))
    y = _conv(relay.nn.relu(_conv(x, rng, 8, 8, k=1)), rng, 8, cout, groups=groups)
    converted = _check(relay.Function([x], y), _input((1, 8, 7, 7)))
    assert _op_calls(converted, "nn.conv2d")[1].attrs.kernel_layout == kernel_layout


def test_explicit_kernel_layout():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    y = _conv(x, rng, 3, 4)
    converted = _check(relay.Function([x], y), _input((1, 3, 6, 6)),
                       {"nn.conv2d": ["NHWC", "HWIO"]})
    assert _op_calls(converted, "nn.conv2d")[0].attrs.kernel_layout == "HWIO"


def test_conv2d_transpose():
    rng = _rng()
    x = relay.var("x", shape=(1, 4, 5, 5))
    y = relay.nn.conv2d_transpose(x, _const(rng, 4, 3, 3, 3), strides=(2, 2), padding=(1, 1),
                                  output_padding=(1, 1), channels=3, kernel_size=(3, 3))
    y = relay.nn.relu(relay.nn.bias_add(y, _const(rng, 3)))
    y = _conv(y, rng, 3, 2)
    layouts = {"nn.conv2d": ["NHWC", "default"], "nn.conv2d_transpose": ["NHWC", "default"]}
    converted = _check(relay.Function([x], y), _input((1, 4, 5, 5)), layouts)
    (deconv,) = _op_calls(converted, "nn.conv2d_transpose")
    assert (deconv.attrs.data_layout, deconv.attrs.kernel_layout) == ("NHWC", "HWIO")


@pytest.mark.parametrize("source,layouts", [
    ("NCHW", ["NHWC", "IOHW"]),
    ("NHWC", ["NCHW", "IOHW"]),   # upstream's own example
    ("NHWC", ["NCHW", "default"]),
])
def test_conv2d_transpose_kernel_letters(source, layouts):
    """conv2d_transpose kernels: letters read literally (TVM v0.8.0: I = the data's
    channels); in != out channels so a wrong permutation cannot pass."""
    rng = _rng()
    shape = (1, 4, 5, 5) if source == "NCHW" else (1, 5, 5, 4)
    kernel = (4, 3, 3, 3) if source == "NCHW" else (3, 3, 4, 3)   # IOHW / HWIO
    x = relay.var("x", shape=shape)
    y = relay.nn.conv2d_transpose(x, _const(rng, *kernel), strides=(2, 2), padding=(1, 1),
                                  channels=3, kernel_size=(3, 3), data_layout=source,
                                  kernel_layout="IOHW" if source == "NCHW" else "HWIO")
    converted = _check(relay.Function([x], y), {"x": _rng(2).uniform(-1, 1, shape).astype("float32")},
                       {"nn.conv2d_transpose": layouts})
    (deconv,) = _op_calls(converted, "nn.conv2d_transpose")
    assert deconv.attrs.data_layout == layouts[0]


@pytest.mark.parametrize("source,layouts", [
    ("NCHW", ["NHWC", "HWOI"]),     # (C * m, 1) -> (C, m)
    ("NHWC", ["NCHW", "default"]),  # HWOI (C, m) -> OIHW (C * m, 1)
    ("NHWC", ["NHWC", "default"]),  # HWOI -> HWIO, computed as a grouped convolution
])
def test_depthwise_kernel_with_channel_multiplier_is_regrouped(source, layouts):
    """A depthwise kernel with a channel multiplier 2 is no permutation of the other
    form: it is reshaped (and still folds to a constant)."""
    rng = _rng()
    shape = (1, 4, 6, 6) if source == "NCHW" else (1, 6, 6, 4)
    x = relay.var("x", shape=shape)
    if source == "NCHW":
        y = _conv(x, rng, 4, 8, groups=4)
    else:
        y = relay.nn.conv2d(x, _const(rng, 3, 3, 4, 2), padding=(1, 1), groups=4, channels=8,
                            kernel_size=(3, 3), data_layout="NHWC", kernel_layout="HWOI")
    inputs = {"x": _rng(4).uniform(-1, 1, shape).astype("float32")}
    expect = 0 if layouts[0] == source else 2
    converted = _check(relay.Function([x], relay.nn.relu(y)), inputs, {"nn.conv2d": layouts},
                       transforms=expect)
    (conv,) = _op_calls(_folded(converted), "nn.conv2d")
    assert isinstance(conv.args[1], relay.Constant)


# -- layout-following ops -------------------------------------------------------------


_POOLS = {
    "max_pool2d": lambda y: relay.nn.max_pool2d(y, (3, 3), (2, 2), padding=(1, 1)),
    "avg_pool2d": lambda y: relay.nn.avg_pool2d(y, (2, 2), (1, 1), padding=(0, 0, 1, 1),
                                                count_include_pad=False),
    "global_avg_pool2d": relay.nn.global_avg_pool2d,
    "global_max_pool2d": relay.nn.global_max_pool2d,
    "adaptive_avg_pool2d": lambda y: relay.nn.adaptive_avg_pool2d(y, (3, 2)),
    "resize2d": lambda y: relay.image.resize2d(y, (11, 13), method="linear"),
    "upsampling": lambda y: relay.nn.upsampling(y, 2, 2),
}


@pytest.mark.parametrize("name", sorted(_POOLS))
def test_pools_and_resize_follow_the_layout(name):
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    y = _POOLS[name](relay.nn.relu(_conv(x, rng, 3, 4)))
    y = _conv(y, rng, 4, 2, k=1)
    converted = _check(relay.Function([x], y), _input())
    (op,) = [c for c in _calls(converted) if c.op.name.endswith(name)]
    assert op.attrs.layout == "NHWC"


def test_pool_layout_from_desired_layouts():
    """A pool named in desired_layouts is converted even without a conv before it."""
    x = relay.var("x", shape=(1, 3, 8, 8))
    y = relay.nn.max_pool2d(x, (2, 2), (2, 2))
    converted = _check(relay.Function([x], y), _input(), {"nn.max_pool2d": ["NHWC"]})
    assert _op_calls(converted, "nn.max_pool2d")[0].attrs.layout == "NHWC"


# -- element-wise, broadcast and axis ops ---------------------------------------------


def test_elementwise_and_broadcast_constants():
    """Per-channel constants of shape [C,1,1] / [1,C,1,1], scalars, unary ops, a
    residual add: no transform inside the body."""
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    a = _conv(x, rng, 3, 4)
    y = relay.multiply(a, _const(rng, 4, 1, 1))
    y = relay.add(y, _const(rng, 1, 4, 1, 1))
    y = relay.clip(relay.subtract(y, relay.const(0.25)), -0.8, 0.9)
    y = relay.sigmoid(relay.maximum(y, _const(rng, 8)))  # broadcasts along W
    y = relay.add(relay.nn.relu(y), a)
    y = relay.where(relay.greater(y, relay.const(0.5)), y, relay.negative(y))
    y = _conv(y, rng, 4, 4)
    _check(relay.Function([x], y), _input())


def test_full_rank_operand_without_layout_is_converted():
    """A second graph input meets converted activations: converted once (3 transforms:
    two inputs and the output)."""
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    skip = relay.var("skip", shape=(1, 4, 8, 8))
    y = _conv(relay.add(_conv(x, rng, 3, 4), skip), rng, 4, 4)
    inputs = _input()
    inputs["skip"] = _rng(3).uniform(-1, 1, (1, 4, 8, 8)).astype("float32")
    _check(relay.Function([x, skip], y), inputs, transforms=3)


def test_axis_ops_get_new_axes():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    y = _conv(x, rng, 3, 4)
    y = relay.nn.bias_add(y, _const(rng, 4))
    y = relay.nn.prelu(y, _const(rng, 4, low=0.1, high=0.3))
    y = _bn(y, rng, 4)
    y = relay.nn.softmax(y, axis=1)
    y = relay.nn.log_softmax(y, axis=-1)
    converted = _check(relay.Function([x], y), _input())
    # (bias_add is a broadcast add after CanonicalizeOps, which ConvertLayout runs first)
    folded = _folded(converted)
    axes = {c.op.name: c.attrs.axis for c in _calls(folded) if "axis" in (c.attrs or {})}
    assert axes == {"nn.prelu": 3, "nn.batch_norm": 3, "nn.softmax": 3, "nn.log_softmax": 2}
    assert not _op_calls(folded, "nn.bias_add") and _op_calls(folded, "add")


def test_concatenate_with_an_unconverted_branch():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    y = relay.concatenate([_conv(x, rng, 3, 4), x, relay.nn.relu(_conv(x, rng, 3, 2))], axis=1)
    converted = _check(relay.Function([x], _conv(y, rng, 9, 3)), _input())
    assert _op_calls(converted, "concatenate")[0].attrs.axis == 3


@pytest.mark.parametrize("make,transforms", [
    (lambda y: relay.mean(y, axis=(2, 3)), 1),                # [N, C]: no output transform
    (lambda y: relay.sum(y, axis=1, keepdims=True), 2),
    (lambda y: relay.max(y, axis=(1,), exclude=True), 1),      # over N, H, W -> [C]
    (lambda y: relay.argmax(y, axis=1), 1),                    # [N, H, W] in both layouts
    (lambda y: relay.min(y, axis=2), 2),                       # NCW vs NWC
    (lambda y: relay.variance(y, axis=(2, 3), keepdims=True), 2),
    (lambda y: relay.squeeze(relay.sum(y, axis=3, keepdims=True), axis=[3]), 2),
])
def test_reductions(make, transforms):
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 5))
    y = make(relay.nn.relu(_conv(x, rng, 3, 4)))
    _check(relay.Function([x], y), _input((1, 3, 6, 5)), transforms=transforms)


def test_squeeze_without_axes():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    y = relay.squeeze(relay.nn.global_avg_pool2d(_conv(x, rng, 3, 4)))  # [1, 4, 1, 1] -> [4]
    converted = _check(relay.Function([x], y), _input((1, 3, 6, 6)), transforms=1)
    assert _op_calls(converted, "squeeze")[0].attrs.axis == (0, 1, 2)


def test_transpose_absorbs_the_conversion():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 5))
    y = relay.transpose(relay.nn.relu(_conv(x, rng, 3, 4)), axes=(0, 2, 3, 1))
    # NCHW -> NHWC was what it did: as in 0.8 the call stays with identity axes
    # (counted among the transforms), and SimplifyExpr (which the build runs)
    # removes it, leaving the input's transform only.
    converted = _check(relay.Function([x], y), _input((1, 3, 6, 5)), transforms=2)
    (kept,) = _op_calls(converted, "transpose")
    assert tuple(kept.attrs.axes) == (0, 1, 2, 3)
    simplified = relay.transform.SimplifyExpr()(relay.transform.InferType()(converted))
    assert not _op_calls(simplified, "transpose")
    y = relay.transpose(relay.nn.relu(_conv(x, rng, 3, 4)), axes=(3, 1, 0, 2))
    converted = _check(relay.Function([x], y), _input((1, 3, 6, 5)), transforms=2)
    assert _op_calls(converted, "transpose")[0].attrs.axes == (2, 3, 0, 1)


@pytest.mark.parametrize("slicer", [
    lambda y: relay.strided_slice(y, begin=(0, 1), end=(1, 4)),                   # N and C
    lambda y: relay.strided_slice(y, begin=(1, 0, 1), end=(4, 5, 6), strides=(2, 1, 2)),
    lambda y: relay.strided_slice(y, begin=(3, 1), end=(1, 5), strides=(-1, 2), axes=(3, 1)),
])
def test_strided_slice_axes_follow(slicer):
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    y = slicer(_conv(x, rng, 3, 6))
    y = relay.nn.relu(y)
    _check(relay.Function([x], y), _input((1, 3, 6, 6)))


def test_split_fields_keep_the_layout():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    parts = relay.split(_conv(x, rng, 3, 6), 3, axis=1)
    y = relay.concatenate([parts[2], relay.nn.relu(parts[0])], axis=1)
    converted = _check(relay.Function([x], _conv(y, rng, 4, 2)), _input((1, 3, 6, 6)))
    assert _op_calls(converted, "split")[0].attrs.axis == 3


def test_pad_widths_are_permuted():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    y = relay.nn.pad(_conv(x, rng, 3, 4), ((0, 0), (1, 2), (0, 1), (2, 0)), pad_value=0.5)
    y = _conv(y, rng, 7, 2)
    converted = _check(relay.Function([x], y), _input((1, 3, 6, 6)))
    assert _op_calls(converted, "nn.pad")[0].attrs.pad_width == ((0, 0), (0, 1), (2, 0), (1, 2))


def test_layout_sensitive_op_gets_the_original_layout():
    """batch_flatten reads the layout: the activations go back to NCHW before it, and
    the output needs no transform."""
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 4, 4))
    y = relay.nn.batch_flatten(relay.nn.relu(_conv(x, rng, 3, 4)))
    y = relay.nn.dense(y, _const(rng, 5, 64))
    converted = _check(relay.Function([x], y), _input((1, 3, 4, 4)))
    second = _transforms(converted)[1]
    assert (second.attrs.src_layout, second.attrs.dst_layout) == ("NHWC", "NCHW")


def test_tuple_output_keeps_original_layouts():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    a = _conv(x, rng, 3, 4)
    out = relay.Tuple([a, relay.nn.relu(a)])
    _check(relay.Function([x], out), _input((1, 3, 6, 6)), transforms=3)


# -- the pass object and bad input ----------------------------------------------------


def test_pass_info_and_sequential():
    convert = relay.transform.ConvertLayout(NHWC)
    assert isinstance(convert, tvm.transform.Pass)
    assert convert.info.name == "ConvertLayout" and convert.info.opt_level == 3
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    mod = tvm.IRModule.from_expr(relay.Function([x], _conv(x, rng, 3, 4)))
    seq = tvm.transform.Sequential([relay.transform.InferType(), convert])
    with tvm.transform.PassContext(opt_level=3):
        assert _op_calls(seq(mod), "nn.conv2d")[0].attrs.data_layout == "NHWC"
    with tvm.transform.PassContext(opt_level=2):  # below its opt_level: skipped
        assert _op_calls(seq(mod), "nn.conv2d")[0].attrs.data_layout == "NCHW"


def test_layout_config_skips_listed_convolutions():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    y = _conv(relay.nn.relu(_conv(relay.nn.relu(_conv(x, rng, 3, 4)), rng, 4, 4)), rng, 4, 2)
    func = relay.Function([x], y)
    with relay.transform.LayoutConfig(skip_layers=[1]):
        converted = _check(func, _input((1, 3, 6, 6)), transforms=4)
    assert [c.attrs.data_layout for c in _op_calls(converted, "nn.conv2d")] == ["NHWC", "NCHW", "NHWC"]
    assert relay.transform.LayoutConfig.current is None


@pytest.mark.parametrize("layouts,error,match", [
    (["NHWC"], TypeError, "must map op names"),
    ({"nn.conv2d": "NHWC"}, TypeError, "must be a list"),
    ({"nn.dense": ["NC"]}, ValueError, "cannot set the layout of 'nn.dense'"),
    ({"nn.conv2d": ["default", "default"]}, ValueError, "cannot be 'default'"),
    ({"nn.conv2d": ["NHWC"]}, ValueError, "needs 2 layout"),
])
def test_malformed_desired_layouts(layouts, error, match):
    with pytest.raises(error, match=match):
        relay.transform.ConvertLayout(layouts)


def test_non_permutation_layout_is_refused():
    rng = _rng()
    x = relay.var("x", shape=(1, 16, 4, 4))
    mod = _typed(relay.Function([x], _conv(x, rng, 16, 16)))
    with pytest.raises(ValueError, match="NCHW16c"):
        _convert(mod, {"nn.conv2d": ["NCHW16c", "OIHW16i16o"]})
    with pytest.raises(ValueError, match="no default kernel layout"):
        _convert(mod, {"nn.conv2d": ["NWCH", "default"]})


def test_unregistered_op_names_are_ignored(caplog):
    """Upstream tvmc passes qnn.conv2d for every graph."""
    with caplog.at_level(logging.WARNING):
        relay.transform.ConvertLayout({"nn.conv2d": ["NHWC", "default"],
                                       "qnn.not_an_op": ["NHWC", "default"]})
    assert "qnn.not_an_op" in caplog.text


# -- a ResNet-like ONNX model against ONNX Runtime -------------------------------------


def _onnx_resnet(seed=0):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype="float32"), name))
        return name

    def conv_bn(name, x, cin, cout, k, stride, relu=True):
        w = init(f"{name}_w", rng.standard_normal((cout, cin, k, k)) * np.sqrt(2 / (cin * k * k)))
        nodes.append(helper.make_node("Conv", [x, w], [f"{name}_c"], kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[k // 2] * 4))
        bn = [init(f"{name}_{p}", v) for p, v in (
            ("g", rng.uniform(0.5, 1.5, cout)), ("b", rng.uniform(-0.5, 0.5, cout)),
            ("m", rng.uniform(-0.5, 0.5, cout)), ("v", rng.uniform(0.5, 1.5, cout)))]
        nodes.append(helper.make_node("BatchNormalization", [f"{name}_c"] + bn, [f"{name}_bn"]))
        if not relu:
            return f"{name}_bn"
        nodes.append(helper.make_node("Relu", [f"{name}_bn"], [f"{name}_r"]))
        return f"{name}_r"

    x = conv_bn("stem", "input", 3, 8, 3, 1)
    nodes.append(helper.make_node("MaxPool", [x], ["pool"], kernel_shape=[3, 3], strides=[2, 2],
                                  pads=[1, 1, 1, 1]))
    x, cin = "pool", 8
    for i, (cout, stride) in enumerate(((8, 1), (16, 2))):
        y = conv_bn(f"b{i}a", x, cin, cout, 3, stride)
        y = conv_bn(f"b{i}b", y, cout, cout, 3, 1, relu=False)
        short = x if cin == cout and stride == 1 else conv_bn(f"b{i}s", x, cin, cout, 1, stride,
                                                               relu=False)
        nodes.append(helper.make_node("Add", [y, short], [f"b{i}_add"]))
        nodes.append(helper.make_node("Relu", [f"b{i}_add"], [f"b{i}_out"]))
        x, cin = f"b{i}_out", cout
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"]))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], axis=1))
    w = init("fc_w", rng.standard_normal((10, cin)) * 0.1)
    b = init("fc_b", rng.standard_normal(10) * 0.1)
    nodes.append(helper.make_node("Gemm", ["flat", w, b], ["logits"], transB=1))
    graph = helper.make_graph(
        nodes, "resnet_like",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    return model


def test_onnx_resnet_like_to_nhwc_matches_onnxruntime():
    ort = pytest.importorskip("onnxruntime")
    model = _onnx_resnet()
    data = _rng(5).uniform(-1, 1, (1, 3, 16, 16)).astype("float32")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {"input": data})

    mod, params = relay.frontend.from_onnx(model, {"input": (1, 3, 16, 16)})
    converted = _convert(relay.transform.InferType()(mod))
    with tvm.transform.PassContext(**_BUILD):
        lib = relay.build(converted, target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("input", data)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-4, atol=1e-4)

    convs = _op_calls(converted, "nn.conv2d")
    assert len(convs) == 6 and all(c.attrs.data_layout == "NHWC" for c in convs)
    if params:  # weights as parameters: bind them so that their transforms fold
        converted = tvm.IRModule.from_expr(relay.build_module.bind_params_by_name(
            converted["main"], params))
        converted = relay.transform.InferType()(converted)
    transforms = _transforms(converted)
    # the input, and the global pool's [1, 1, 1, C] before Flatten: nothing else
    assert [(t.attrs.src_layout, t.attrs.dst_layout) for t in transforms] == [
        ("NCHW", "NHWC"), ("NHWC", "NCHW")]
    assert _op_calls(converted, "nn.global_avg_pool2d")[0].attrs.layout == "NHWC"


def test_relay_testing_mobilenet_depthwise_network():
    """relay.testing's MobileNet (depthwise + pointwise convs, batch_norm, relu, global
    pool, flatten, dense, softmax): one transform in, one before the flatten."""
    from tvm.relay import testing

    mod, params = testing.mobilenet.get_workload(batch_size=1, image_shape=(3, 32, 32))
    func = relay.build_module.bind_params_by_name(mod["main"], params)
    data = _rng(7).uniform(-1, 1, (1, 3, 32, 32)).astype("float32")
    converted = _check(func, {"data": data}, rtol=1e-4, atol=1e-6)
    layouts = {(c.attrs.kernel_layout, c.attrs.groups > 1) for c in _op_calls(converted, "nn.conv2d")}
    assert layouts == {("HWIO", False), ("HWOI", True)}


def test_quantized_graph():
    """qnn.conv2d (as upstream tvmc names it), requantize/dequantize axes, qnn.add,
    qnn.concatenate: integer results equal to the unconverted build's."""
    from tvm.relay import qnn

    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))

    def qconv(data, cin, cout, k, in_zp, in_scale):
        weight = relay.const(rng.randint(-20, 20, (cout, cin, k, k)).astype("int8"))
        acc = qnn.op.conv2d(data, weight, relay.const(in_zp), relay.const(0),
                            relay.const(in_scale), relay.const(0.01), kernel_size=(k, k),
                            channels=cout, padding=(k // 2, k // 2))
        return qnn.op.requantize(acc, relay.const(in_scale * 0.01), relay.const(0),
                                 relay.const(0.05), relay.const(-2), axis=1, out_dtype="int8")

    q = qnn.op.quantize(x, relay.const(0.02), relay.const(3), out_dtype="int8")
    a = qconv(q, 3, 4, 3, 3, 0.02)
    b = qconv(a, 4, 4, 1, -2, 0.05)
    s = qnn.op.add(a, b, relay.const(0.05), relay.const(-2), relay.const(0.05), relay.const(-2),
                   relay.const(0.08), relay.const(1))
    cat = qnn.op.concatenate([s, a], [relay.const(0.08), relay.const(0.05)],
                             [relay.const(1), relay.const(-2)], relay.const(0.1), relay.const(0),
                             axis=1)
    out = qnn.op.dequantize(cat, relay.const(0.1), relay.const(0))
    layouts = {"nn.conv2d": ["NHWC", "default"], "qnn.conv2d": ["NHWC", "default"]}
    converted = _check(relay.Function([x], out), _input(), layouts)
    assert all(c.attrs.data_layout == "NHWC" for c in _op_calls(converted, "qnn.conv2d"))
    assert {c.attrs.axis for c in _op_calls(converted, "qnn.requantize")} == {3}
    assert _op_calls(converted, "qnn.concatenate")[0].attrs.axis == 3


# -- 0.8 forms: partial slice bounds, slice_like, ROI pools, deformable conv, user rules --


def test_strided_slice_with_partial_bounds_becomes_full_rank():
    """begin/end/strides of different lengths (0.8 completes them to the rank):
    converted to full-rank lists in the new axis order, same values."""
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 6, 6))
    y = relay.strided_slice(_conv(x, rng, 3, 6), begin=[0, 1], end=[1, -1, 5],
                            strides=[1, 1, 2, 1])
    converted = _check(relay.Function([x], relay.nn.relu(y)), _input((1, 3, 6, 6)))
    (sliced,) = _op_calls(converted, "strided_slice")
    assert sliced.attrs.axes is None
    # NHWC order of the completed NCHW bounds (0, 1, 0, 0) / (1, -1, 5, 6) / (1, 1, 2, 1)
    assert tuple(sliced.attrs.begin) == (0, 0, 0, 1)
    assert tuple(sliced.attrs.end) == (1, 5, 6, -1)
    assert tuple(sliced.attrs.strides) == (1, 2, 1, 1)


def test_slice_like_axes_follow_when_both_inputs_are_converted():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    a = _conv(x, rng, 3, 4)
    y = relay.slice_like(a, relay.nn.relu(a), axes=[2, 3])
    converted = _check(relay.Function([x], y), _input())
    assert str(_op_calls(converted, "slice_like")[0].attrs.axes) == "[1, 2]"
    like = relay.var("like", shape=(1, 4, 8, 8))  # no layout known: stays NCHW
    y = relay.slice_like(_conv(x, rng, 3, 4), like, axes=[2, 3])
    mod = _convert(_typed(relay.Function([x, like], y)))
    assert tuple(_op_calls(mod, "slice_like")[0].attrs.axes) == (2, 3)


def test_roi_align_converts_only_when_asked():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 16, 16))
    rois = relay.const(np.array([[0, 1, 1, 9, 9], [0, 0, 2, 12, 14]], "float32"))
    y = relay.vision.roi_align(_conv(x, rng, 3, 4), rois, pooled_size=(4, 4),
                               spatial_scale=1.0, sample_ratio=2, layout="NCHW")
    func = relay.Function([x], y)
    asked = dict(NHWC, **{"vision.roi_align": ["NHWC", "default"]})
    converted = _check(func, _input((1, 3, 16, 16)), layouts=asked, rtol=1e-4, atol=1e-5)
    assert _op_calls(converted, "vision.roi_align")[0].attrs.layout == "NHWC"
    kept = _convert(_typed(func))
    assert _op_calls(kept, "vision.roi_align")[0].attrs.layout == "NCHW"


def test_deformable_conv2d_converts_data_offset_and_kernel():
    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    offset = relay.const(rng.uniform(-1, 1, (1, 18, 8, 8)).astype("float32"))
    y = relay.nn.deformable_conv2d(x, offset, _const(rng, 4, 3, 3, 3), padding=(1, 1),
                                   kernel_size=(3, 3), channels=4)
    converted = _check(relay.Function([x], relay.nn.relu(y)), _input(),
                       layouts={"nn.deformable_conv2d": ["NHWC", "default"]}, rtol=1e-4)
    (conv,) = _op_calls(converted, "nn.deformable_conv2d")
    assert (conv.attrs.data_layout, conv.attrs.kernel_layout) == ("NHWC", "HWIO")


def test_user_layout_rule_is_consulted_first():
    """register_infer_correct_layout (0.8's FInferCorrectLayout): the rule sees
    the original layouts, then the new ones, and its answer is applied."""
    from tvm.relay.op import op as reg
    from tvm.relay.testing.temp_op_attr import TempOpAttr
    from tvm.relay.transform.infer_layout_utils import InferCorrectLayoutOutput

    seen = []

    def keep_original(attrs, new_in_layouts, old_in_layouts, old_in_types):
        seen.append(([str(l.name) for l in new_in_layouts],
                     [str(l.name) if l is not None else "" for l in old_in_layouts]))
        # always wants its input in the original layout
        return InferCorrectLayoutOutput(old_in_layouts, old_in_layouts[:1], attrs)

    rng = _rng()
    x = relay.var("x", shape=(1, 3, 8, 8))
    y = relay.nn.relu(_conv(x, rng, 3, 4))
    y = _conv(relay.sigmoid(y), rng, 4, 2)
    assert reg.get("sigmoid").get_attr("FInferCorrectLayout") is None
    with TempOpAttr("sigmoid", "FInferCorrectLayout", keep_original):
        converted = _check(relay.Function([x], y), _input(), transforms=4)
    assert seen == [([], ["NCHW"]), (["NHWC"], ["NCHW"])]
    assert len(_op_calls(converted, "nn.conv2d")) == 2


def test_attribute_arrays_print_as_lists():
    call = relay.transpose(relay.var("x", shape=(1, 2, 3)), axes=(2, 0, 1))
    assert str(call.attrs.axes) == "[2, 0, 1]" and call.attrs.axes == (2, 0, 1)


def test_register_infer_correct_layout_and_tir_layout():
    """0.8's decorator form and ``tvm.tir.layout`` (the layouts a rule builds)."""
    from tvm.relay.op import op as reg
    from tvm.relay.transform.infer_layout_utils import InferCorrectLayoutOutput

    assert tvm.tir.layout("NCHW").name == "NCHW" and tvm.tir.layout("NHWC").index_of("C") == 3
    assert tvm.tir.layout("") is None
    assert tvm.tir.layout.TileLayout is not None  # the base module's contents stay

    def follow_first(attrs, new_in_layouts, old_in_layouts, old_in_types):
        ret = new_in_layouts[0] if new_in_layouts else old_in_layouts[0]
        return InferCorrectLayoutOutput([ret] * len(old_in_layouts), [ret], attrs)

    op = reg.get("nn.relu")
    saved = op._attr_map.get("FInferCorrectLayout")
    try:
        assert reg.register_infer_correct_layout("nn.relu", level=11)(follow_first) is follow_first
        assert op.get_attr("FInferCorrectLayout") is follow_first
        rng = _rng()
        x = relay.var("x", shape=(1, 3, 8, 8))
        y = _conv(relay.nn.relu(_conv(x, rng, 3, 4)), rng, 4, 2)
        _check(relay.Function([x], y), _input())  # relu follows: one transform each end
    finally:
        op.reset_attr("FInferCorrectLayout")
        if saved is not None:
            op.set_attr("FInferCorrectLayout", saved[1], saved[0])
