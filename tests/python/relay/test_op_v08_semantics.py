"""Operators whose TVM 0.8 semantics the fork follows: N-d nn.matmul, space/batch
blocks, 0.8's depthwise weight form, checkpoint of a tuple, crop_and_resize at the
image border on an FMA host, symbolic sizes in type relations, support levels and
tvm.ir.register_op_attr on Relay ops. Results are checked against NumPy."""
import numpy as np
import pytest

import tvm
from tvm import relay, te
from tvm.relay.testing import run_infer_type
from tvm.relay.testing.temp_op_attr import TempOpAttr

RNG = np.random.default_rng(7)


def _evaluate(func, *inputs, kind="graph"):
    out = relay.create_executor(kind, target="llvm").evaluate(func)(*inputs)
    if isinstance(out, (list, tuple)):
        return [o.numpy() for o in out]
    return out.numpy()


@pytest.mark.parametrize("kind", ["graph", "debug"])
@pytest.mark.parametrize("a_shape,b_shape,ta,tb", [
    ((3, 4, 5), (6, 5), False, True),
    ((2, 3, 5, 4), (5, 6), True, False),
    ((5,), (5, 6), False, False),
])
def test_matmul_keeps_leading_axes_of_tensor_a(kind, a_shape, b_shape, ta, tb):
    a = RNG.standard_normal(a_shape).astype("float32")
    b = RNG.standard_normal(b_shape).astype("float32")
    x, w = relay.var("x", shape=a_shape), relay.var("w", shape=b_shape)
    func = relay.Function([x, w], relay.nn.matmul(x, w, transpose_a=ta, transpose_b=tb))
    expected = (np.swapaxes(a, -1, -2) if ta else a) @ (b.T if tb else b)
    np.testing.assert_allclose(_evaluate(func, a, b, kind=kind), expected, rtol=1e-5, atol=1e-5)


def test_matmul_type_with_symbolic_and_unknown_weight():
    n = te.size_var("n")
    x = relay.var("x", relay.TensorType((n, 3, 4, 2), "float32"))
    y = run_infer_type(relay.nn.matmul(x, relay.var("w", relay.IncompleteType()), units=7))
    assert y.checked_type == relay.TensorType((relay.Any(), 3, 4, 7), "float32")
    assert y.args[1].checked_type == relay.TensorType((2, 7), "float32")
    with pytest.raises(Exception, match="reduction axis"):
        run_infer_type(relay.nn.matmul(relay.var("a", shape=(2, 3)), relay.var("b", shape=(4, 5))))


def _space_to_batch(x, block, pads):
    """Element by element: out[(by * bw + bx) * batch + n, i, j, c] =
    padded[n, i * bh + by, j * bw + bx, c]."""
    padded = np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])
    n, h, w, c = padded.shape
    bh, bw = block
    out = np.zeros((n * bh * bw, h // bh, w // bw, c), x.dtype)
    for by in range(bh):
        for bx in range(bw):
            out[(by * bw + bx) * n:(by * bw + bx + 1) * n] = padded[:, by::bh, bx::bw]
    return out


@pytest.mark.parametrize("kind", ["graph", "debug"])
def test_space_to_batch_nd_and_back(kind):
    x = RNG.standard_normal((2, 3, 4, 2)).astype("float32")
    block, pads = (2, 2), ((1, 0), (0, 2))
    expected = _space_to_batch(x, block, pads)
    var = relay.var("x", shape=x.shape)
    s2b = relay.nn.space_to_batch_nd(var, block, pads)
    assert "block_shape=" in s2b.astext() and "paddings=" in s2b.astext()
    np.testing.assert_array_equal(_evaluate(relay.Function([var], s2b), x, kind=kind), expected)
    back = relay.var("y", shape=expected.shape)
    b2s = relay.nn.batch_to_space_nd(back, block, pads)
    assert run_infer_type(b2s).checked_type == relay.TensorType(x.shape, "float32")
    np.testing.assert_array_equal(_evaluate(relay.Function([back], b2s), expected, kind=kind), x)


def test_space_to_batch_nd_pads_with_pad_value():
    x = np.ones((1, 2, 2, 1), "float32")
    var = relay.var("x", shape=x.shape)
    out = _evaluate(relay.Function([var], relay.nn.space_to_batch_nd(
        var, (2, 2), ((1, 1), (0, 2)), pad_value=-3.0)), x)
    expected = _space_to_batch(np.pad(x, [(0, 0), (1, 1), (0, 2), (0, 0)],
                                      constant_values=-3.0), (2, 2), ((0, 0), (0, 0)))
    np.testing.assert_array_equal(out, expected)


def test_depthwise_weight_in_0_8_form():
    """(in_channels, multiplier, kh, kw) in OIHW with groups == in_channels: output
    channel c * m + j convolves input channel c with weight[c, j]."""
    data = RNG.standard_normal((2, 3, 6, 5)).astype("float32")
    weight = RNG.standard_normal((3, 2, 3, 3)).astype("float32")
    x, w = relay.var("x", shape=data.shape), relay.var("w", shape=weight.shape)
    call = relay.nn.conv2d(x, w, groups=3, channels=6, kernel_size=(3, 3))
    assert run_infer_type(call).checked_type == relay.TensorType((2, 6, 4, 3), "float32")
    expected = np.zeros((2, 6, 4, 3), "float32")
    for c in range(3):
        for j in range(2):
            for dy in range(3):
                for dx in range(3):
                    expected[:, c * 2 + j] += weight[c, j, dy, dx] * data[:, c, dy:dy + 4, dx:dx + 3]
    out = _evaluate(relay.Function([x, w], call), data, weight)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["graph", "debug"])
def test_checkpoint_of_a_tuple(kind):
    xs = [relay.var(f"x{i}", shape=(2, 3)) for i in range(3)]
    body = relay.annotation.checkpoint(relay.Tuple([relay.add(xs[0], xs[1]),
                                                   relay.multiply(xs[1], xs[2])]))
    func = relay.Function(xs, body)
    assert run_infer_type(func).ret_type == relay.TupleType(
        [relay.TensorType((2, 3), "float32")] * 2)
    data = [RNG.standard_normal((2, 3)).astype("float32") for _ in xs]
    first, second = _evaluate(func, *data, kind=kind)
    np.testing.assert_allclose(first, data[0] + data[1], rtol=1e-6)
    np.testing.assert_allclose(second, data[1] * data[2], rtol=1e-6)


def test_crop_and_resize_box_ending_on_the_border_extrapolates_on_fma_hosts():
    """y = 0.2 * 223 + 19 * (223 * 0.8 / 19) is just above 223 in float32 steps (0.8
    and TensorFlow extrapolate that row); a fused multiply-add would round it to
    223 and sample the image. The compiled op uses rounded float32 steps on any
    target, here the host CPU (with FMA) and generic x86-64."""
    image = RNG.uniform(size=(2, 224, 224, 3)).astype("float32")
    boxes = np.array([[0.1, 0.2, 0.8, 0.7], [0.2, 0.0, 1.0, 0.6]], "float32")
    indices = np.array([1, 0], "int32")
    img, bx, bi = (relay.var("img", shape=image.shape), relay.var("bx", shape=(2, 4)),
                   relay.var("bi", shape=(2,), dtype="int32"))
    for method in ("bilinear", "nearest_neighbor"):
        func = relay.Function([img, bx, bi], relay.image.crop_and_resize(
            img, bx, bi, (20, 30), "NHWC", method, extrapolation_value=-1.0))
        for target in ("llvm", {"kind": "llvm", "mcpu": "x86-64"}):
            out = relay.create_executor("graph", target=tvm.target.Target(target)).evaluate(
                func)(image, boxes, indices).numpy()
            np.testing.assert_array_equal(out[1, 19], -1.0)
            # box 0 lies inside the image: its last row samples rows 177..178
            y = np.float32(0.8) * np.float32(223)
            top = int(np.floor(y))
            lerp = y - top
            x = np.float32(0.2) * np.float32(223)
            left = int(np.floor(x))
            if method == "bilinear":
                col = image[1, :, left] + (image[1, :, left + 1] - image[1, :, left]) * (x - left)
                ref = col[top] + (col[top + 1] - col[top]) * lerp
            else:
                ref = image[1, int(np.round(y)), int(np.round(x))]
            np.testing.assert_allclose(out[0, 19, 0], ref, rtol=1e-4, atol=1e-5)


def test_symbolic_sizes_in_type_relations():
    n, c = te.size_var("n"), te.size_var("c")
    x = relay.var("x", relay.TensorType((n, c, 8, 8), "float32"))
    tw = te.var("tw")
    out = run_infer_type(relay.image.resize2d(x, (tw, 5)))
    assert out.checked_type.shape[3] == 5 and isinstance(out.checked_type.shape[2], relay.Any)
    reorg = run_infer_type(relay.vision.yolo_reorg(x, stride=2)).checked_type
    assert reorg.shape[2:] == (4, 4) and isinstance(reorg.shape[1], relay.Any)
    dil = relay.image.dilation2d(relay.var("d", shape=(1, 4, 10, 10)),
                                 relay.var("k", shape=(4, 3, 3)), strides=[1, 1, 1, 1],
                                 dilations=[2, 2, 1, 1], padding=[0, 0, 0, 0])
    assert run_infer_type(dil).checked_type == relay.TensorType((1, 4, 6, 6), "float32")


def test_support_levels_and_register_op_attr():
    for name, level in (("log", 1), ("tanh", 1), ("ceil", 3), ("negative", 3),
                        ("nn.conv2d", 2), ("sum", 4), ("image.resize2d", 5), ("argsort", 6)):
        assert relay.op.get(name).support_level == level, name
    assert relay.op.get("nn.contrib_dense_pack").support_level in (10, 2)

    @tvm.ir.register_op_attr("cos", "ftest_v08_semantics")
    def plus_one(value):
        return value + 1

    assert relay.op.get("cos").get_attr("ftest_v08_semantics")(1) == 2
    assert relay.op.get("sin").get_attr("ftest_v08_semantics") is None
    with TempOpAttr("cos", "ftest_v08_semantics", lambda value: value * 10):
        assert relay.op.get("cos").get_attr("ftest_v08_semantics")(2) == 20
    assert relay.op.get("cos").get_attr("ftest_v08_semantics")(2) == 3
    tvm.ir.register_op_attr("cos", "ftest_v08_semantics", lambda value: value, level=5)
    assert relay.op.get("cos").get_attr("ftest_v08_semantics")(2) == 3  # lower level loses
    relay.op.get("cos").reset_attr("ftest_v08_semantics")


def test_build_config_is_0_8_alias_of_pass_context():
    with relay.build_config(opt_level=1, disabled_pass=["FoldConstant"]):
        ctx = tvm.transform.PassContext.current()
        assert ctx.opt_level == 1 and "FoldConstant" in list(ctx.disabled_pass)


@pytest.mark.parametrize("kind", ["graph", "debug"])
def test_proposal_ranks_suppresses_and_repeats(kind):
    """One 16x16 anchor per cell of a 2x3 map (stride 16, scale 1, ratio 1 gives the
    anchor (0, 0, 15, 15)); with iou_loss the deltas are corner offsets. Cell (0, 1)
    is moved onto cell (0, 0) and, scoring lower, is suppressed; the 5 kept boxes
    fill the 8 output rows in score order, then again from the best."""
    scores = np.array([[0.9, 0.8, 0.3], [0.5, 0.7, 0.6]], "float32")
    cls_prob = np.stack([1 - scores, scores])[None]
    deltas = np.zeros((1, 4, 2, 3), "float32")
    deltas[0, [0, 2], 0, 1] = -14.0  # x1, x2 of cell (0, 1): 16..31 -> 2..17
    im_info = np.array([[32.0, 48.0, 1.0]], "float32")
    names = ("cls", "bbox", "info")
    args = [relay.var(n, shape=a.shape) for n, a in zip(names, (cls_prob, deltas, im_info))]
    call = relay.vision.proposal(*args, scales=(1.0,), ratios=(1.0,), feature_stride=16,
                                 threshold=0.5, rpn_pre_nms_top_n=6, rpn_post_nms_top_n=8,
                                 rpn_min_size=1, iou_loss=True)
    assert run_infer_type(call).checked_type == relay.TensorType((8, 5), "float32")
    out = _evaluate(relay.Function(args, call), cls_prob, deltas, im_info, kind=kind)
    cell = {(h, w): [16.0 * w, 16.0 * h, 16.0 * w + 15, 16.0 * h + 15]
            for h in range(2) for w in range(3)}
    order = [(0, 0), (1, 1), (1, 2), (1, 0), (0, 2)]  # by score, (0, 1) suppressed
    expected = [[0.0] + cell[c] for c in order + order[:3]]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
