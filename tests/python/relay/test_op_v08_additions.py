"""Ops of TVM 0.8 added to the fork: compiled (TOPI) against NumPy and against
the reference interpreter (relay.reference)."""
import numpy as np
import pytest

import tvm
from tvm import relay

RNG = np.random.default_rng(7)


def _compiled_and_reference(expr, inputs):
    """Outputs of ``expr`` compiled for llvm and evaluated by the NumPy reference."""
    params = relay.analysis.free_vars(expr)
    mod = tvm.IRModule.from_expr(relay.Function(params, expr))
    args = [inputs[p.name_hint] for p in params]
    compiled = relay.create_executor("graph", mod=mod, target="llvm").evaluate()(*args)
    reference = relay.create_executor("debug", mod=mod).evaluate()(*args)
    return compiled.numpy(), reference.numpy()


def _check(expr, inputs, expected=None, rtol=1e-5, atol=1e-5):
    compiled, reference = _compiled_and_reference(expr, inputs)
    np.testing.assert_allclose(compiled, reference, rtol=rtol, atol=atol)
    if expected is not None:
        np.testing.assert_allclose(compiled, expected, rtol=rtol, atol=atol)
    return compiled


def test_collapse_sum_to():
    x = RNG.standard_normal((3, 4, 5)).astype("float32")
    expr = relay.collapse_sum_to(relay.var("x", shape=x.shape), (4, 1))
    _check(expr, {"x": x}, x.sum(axis=0).sum(axis=1, keepdims=True))
    with pytest.raises(Exception, match="does not broadcast"):
        relay.transform.InferType()(tvm.IRModule.from_expr(
            relay.collapse_sum_to(relay.var("y", shape=(3, 4)), (5,))))


@pytest.mark.parametrize("k,align", [(0, "RIGHT_LEFT"), (1, "RIGHT_LEFT"), ((-1, 1), "RIGHT_LEFT"),
                                     ((-2, 0), "LEFT_RIGHT")])
def test_matrix_set_diag(k, align):
    data = RNG.standard_normal((2, 4, 5)).astype("float32")
    k1, k2 = (k, k) if isinstance(k, int) else k
    max_len = max(min(4 + min(0, d), 5 - max(0, d)) for d in range(k1, k2 + 1))
    shape = (2, max_len) if k1 == k2 else (2, k2 - k1 + 1, max_len)
    diag = RNG.standard_normal(shape).astype("float32")
    expected = data.copy()
    for d in range(k1, k2 + 1):  # written from TensorFlow's documentation
        length = min(4 + min(0, d), 5 - max(0, d))
        right = align.split("_")[0 if d >= 0 else 1] == "RIGHT"
        values = diag if k1 == k2 else diag[:, k2 - d]
        values = values[:, max_len - length:] if right else values[:, :length]
        rows = np.arange(length) + max(0, -d)
        expected[:, rows, rows + d] = values
    expr = relay.matrix_set_diag(relay.var("x", shape=data.shape), relay.var("d", shape=diag.shape), k, align)
    _check(expr, {"x": data, "d": diag}, expected)


def test_strided_set():
    data = RNG.standard_normal((4, 6)).astype("float32")
    value = RNG.standard_normal((2, 2)).astype("float32")
    expected = data.copy()
    expected[1:4:2, 0:6:3] = value
    expr = relay.strided_set(relay.var("x", shape=data.shape), relay.var("v", shape=value.shape),
                             relay.const([1, 0], "int64"), relay.const([4, 6], "int64"),
                             relay.const([2, 3], "int64"))
    _check(expr, {"x": data, "v": value}, expected)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    pred = np.log(RNG.uniform(0.05, 1.0, (3, 4, 2))).astype("float32")
    targets = np.array([[0, 3], [2, -100], [1, 1]], "int32")
    weights = RNG.uniform(0.5, 2.0, (4,)).astype("float32")
    losses = np.zeros((3, 2))
    total_weight = 0.0
    for n in range(3):
        for d in range(2):
            t = targets[n, d]
            if t != -100:
                losses[n, d] = -pred[n, t, d] * weights[t]
                total_weight += weights[t]
    expected = {"none": losses, "sum": losses.sum(), "mean": losses.sum() / total_weight}[reduction]
    expr = relay.nn.nll_loss(relay.var("p", shape=pred.shape), relay.var("t", shape=targets.shape, dtype="int32"),
                             relay.var("w", shape=weights.shape), reduction, -100)
    _check(expr, {"p": pred, "t": targets, "w": weights}, expected)


def test_yolo_reorg_matches_darknet_definition():
    data = RNG.standard_normal((1, 8, 4, 6)).astype("float32")
    stride = 2
    flat = data.reshape(-1)
    out = np.zeros(data.size, "float32")
    count = 0
    batch, channels, height, width = data.shape
    out_c = channels // (stride * stride)
    for b in range(batch):  # Darknet's loop
        for k in range(channels):
            for j in range(height):
                for i in range(width):
                    c2, offset = k % out_c, k // out_c
                    w2, h2 = i * stride + offset % stride, j * stride + offset // stride
                    out[count] = flat[w2 + width * stride * (h2 + height * stride * (c2 + out_c * b))]
                    count += 1
    expected = out.reshape(1, 32, 2, 3)
    _check(relay.vision.yolo_reorg(relay.var("x", shape=data.shape), stride), {"x": data}, expected)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_dilation2d(layout):
    data = RNG.standard_normal((1, 3, 6, 7)).astype("float32")
    weight = RNG.standard_normal((3, 2, 3)).astype("float32")
    padded = np.pad(data, ((0, 0), (0, 0), (1, 1), (0, 0)))  # TVM pads with zeros
    expected = np.full((1, 3, 3, 3), -np.inf, "float32")
    for oy in range(3):
        for ox in range(3):
            for i in range(2):
                for j in range(3):
                    y, x = oy * 2 + i * 2, ox * 2 + j
                    expected[:, :, oy, ox] = np.maximum(expected[:, :, oy, ox], padded[:, :, y, x] + weight[:, i, j])
    if layout == "NHWC":
        data, weight, expected = data.transpose(0, 2, 3, 1), weight.transpose(1, 2, 0), expected.transpose(0, 2, 3, 1)
    expr = relay.image.dilation2d(relay.var("x", shape=data.shape), relay.var("w", shape=weight.shape),
                                  strides=(2, 2), padding=(1, 0, 1, 0), dilations=(2, 1),
                                  data_layout=layout, kernel_layout="IHW" if layout == "NCHW" else "HWI")
    _check(expr, {"x": data, "w": weight}, expected)


def test_crop_and_resize():
    data = RNG.standard_normal((2, 3, 8, 8)).astype("float32")
    boxes = np.array([[0.1, 0.2, 0.9, 0.7], [0.0, 0.0, 1.0, 1.0]], "float32")
    indices = np.array([1, 0], "int32")
    expr = relay.image.crop_and_resize(relay.var("x", shape=data.shape), relay.var("b", shape=boxes.shape),
                                       relay.var("i", shape=(2,), dtype="int32"), (5, 4), "NCHW")
    out = _check(expr, {"x": data, "b": boxes, "i": indices}, rtol=1e-4, atol=1e-4)
    # the whole-image box with crop size = image size at the corners is the image's corners
    np.testing.assert_allclose(out[1, :, 0, 0], data[0, :, 0, 0], rtol=1e-5)
    np.testing.assert_allclose(out[1, :, -1, -1], data[0, :, -1, -1], rtol=1e-5)


@pytest.mark.parametrize("mode", ["avg", "max"])
def test_roi_align_and_roi_pool(mode):
    data = RNG.standard_normal((2, 3, 10, 10)).astype("float32")
    rois = np.array([[0, 1.0, 1.0, 7.0, 6.0], [1, 0.0, 2.0, 9.0, 9.0]], "float32")
    x, r = relay.var("x", shape=data.shape), relay.var("r", shape=rois.shape)
    _check(relay.vision.roi_align(x, r, (3, 3), 1.0, 2, "NCHW", mode), {"x": data, "r": rois},
           rtol=1e-4, atol=1e-4)
    pooled = _check(relay.vision.roi_pool(x, r, (2, 2), 1.0), {"x": data, "r": rois})
    # roi 0 covers rows 1..6, columns 1..7: its first bin is rows 1..3, columns 1..4
    np.testing.assert_allclose(pooled[0, :, 0, 0], data[0, :, 1:4, 1:5].max(axis=(1, 2)))


def test_deformable_conv2d():
    data = RNG.standard_normal((1, 4, 6, 6)).astype("float32")
    weight = RNG.standard_normal((5, 4, 3, 3)).astype("float32")
    x, w = relay.var("x", shape=data.shape), relay.var("w", shape=weight.shape)
    o = relay.var("o", shape=(1, 2 * 2 * 9, 6, 6))
    expr = relay.nn.deformable_conv2d(x, o, w, padding=(1, 1), deformable_groups=2,
                                      channels=5, kernel_size=(3, 3))
    offsets = RNG.uniform(-1.5, 1.5, (1, 36, 6, 6)).astype("float32")
    _check(expr, {"x": data, "w": weight, "o": offsets}, rtol=1e-4, atol=1e-4)
    # zero offsets: a plain convolution
    padded = np.pad(data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((1, 5, 6, 6), "float32")
    for oy in range(6):
        for ox in range(6):
            expected[0, :, oy, ox] = np.tensordot(weight, padded[0, :, oy:oy + 3, ox:ox + 3], axes=3)
    _check(expr, {"x": data, "w": weight, "o": np.zeros_like(offsets)}, expected, rtol=1e-4, atol=1e-4)
    # groups > 1 (computed by the fork: the base's TOPI has groups=1 only)
    grouped = relay.nn.deformable_conv2d(x, o, relay.var("g", shape=(4, 2, 3, 3)), padding=(1, 1),
                                         deformable_groups=2, groups=2)
    g_weight = RNG.standard_normal((4, 2, 3, 3)).astype("float32")
    _check(grouped, {"x": data, "g": g_weight, "o": offsets}, rtol=1e-4, atol=1e-4)
    expected = np.zeros((1, 4, 6, 6), "float32")
    for oc in range(4):
        g = oc // 2
        for oy in range(6):
            for ox in range(6):
                expected[0, oc, oy, ox] = np.sum(padded[0, 2 * g:2 * g + 2, oy:oy + 3, ox:ox + 3] * g_weight[oc])
    _check(grouped, {"x": data, "g": g_weight, "o": np.zeros_like(offsets)}, expected, rtol=1e-4, atol=1e-4)


def test_ndarray_size_and_resize_v08_positional_order():
    x = relay.var("x", shape=(2, 3, 4, 4))
    assert relay.op.ndarray_size(x).op.name == "ndarray_size"
    data = RNG.standard_normal((2, 3, 4, 4)).astype("float32")
    _check(relay.op.ndarray_size(x, "int64"), {"x": data}, np.array(96))
    resized = relay.image.resize2d(x, (8, 8), "NCHW", "nearest_neighbor", "asymmetric")
    assert resized.attrs.layout == "NCHW" and resized.attrs.method == "nearest_neighbor"
    _check(resized, {"x": data}, data.repeat(2, axis=2).repeat(2, axis=3))


@pytest.mark.parametrize("mode", ["clip", "wrap", "fast"])
def test_take_with_int64_indices_fused_after_concatenate(mode):
    """TOPI's take compares int32 extents with the indices: int64 indices used to
    fail to lower (the fusion of upstream's test_fuse_take)."""
    data = np.arange(10, dtype="float32").reshape(10, 1)
    x = relay.var("x", shape=(10, 1))
    concat = relay.concatenate([x, x], axis=-1)
    values = [-3, 0, 5] if mode == "fast" else [-3, 0, 25]
    expr = relay.take(concat, relay.const(values, "int64"), axis=0, mode=mode)
    full = np.concatenate([data, data], axis=-1)
    index = np.clip(values, 0, 9) if mode == "clip" else np.mod(values, 10)
    _check(expr, {"x": data}, full[index])
    gathered = relay.gather_nd(concat, relay.const([[0, 1], [1, 0]], "int64"))
    _check(gathered, {"x": data}, full[[0, 1], [1, 0]])


def test_deformable_conv2d_nhwc_and_deduced_types():
    data = RNG.standard_normal((1, 6, 6, 4)).astype("float32")
    weight = RNG.standard_normal((3, 3, 4, 5)).astype("float32")
    offsets = RNG.uniform(-1.5, 1.5, (1, 6, 6, 36)).astype("float32")
    x, o, w = relay.var("x", shape=data.shape), relay.var("o"), relay.var("w")  # o, w deduced
    expr = relay.nn.deformable_conv2d(x, o, w, padding=(1, 1), deformable_groups=2, channels=5,
                                      kernel_size=(3, 3), data_layout="NHWC", kernel_layout="HWIO")
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x, o, w], expr)))
    assert [p.checked_type.shape for p in mod["main"].params[1:]] == [(1, 6, 6, 36), (3, 3, 4, 5)]
    out = _check(expr, {"x": data, "w": weight, "o": offsets}, rtol=1e-4, atol=1e-4)
    # the same in NCHW gives the transposed result
    nchw = relay.nn.deformable_conv2d(
        relay.var("x", shape=(1, 4, 6, 6)), relay.var("o", shape=(1, 36, 6, 6)), relay.var("w", shape=(5, 4, 3, 3)),
        padding=(1, 1), deformable_groups=2)
    ref = _check(nchw, {"x": data.transpose(0, 3, 1, 2), "o": offsets.transpose(0, 3, 1, 2),
                        "w": weight.transpose(3, 2, 0, 1)}, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out, ref.transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-4)
