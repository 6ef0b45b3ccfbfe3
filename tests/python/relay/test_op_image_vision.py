"""Type relations and computes of the image and vision ops."""
import numpy as np
import pytest

import tvm
from tvm import relay, te
from tvm.relay import TensorType, TupleType
from tvm.relay.op._util import compute_of_call


def typed(expr):
    mod = relay.transform.InferType()(relay.IRModule.from_expr(expr))
    return mod["main"].body


def infer(expr):
    return typed(expr).checked_type


def v(shape, dtype="float32", name="x"):
    return relay.var(name, shape=shape, dtype=dtype)


def test_resize2d():
    call = relay.image.resize2d(v((1, 3, 4, 4)), (8, 6))
    assert call.op.name == "image.resize2d" and call.attrs.type_key == "relay.attrs.Resize2DAttrs"
    assert call.attrs.method == "linear" and call.attrs.coordinate_transformation_mode == "half_pixel"
    assert call.attrs.roi == (0.0, 0.0, 0.0, 0.0) and call.attrs.cubic_alpha == -0.5
    assert infer(call) == TensorType((1, 3, 8, 6))
    assert infer(relay.image.resize2d(v((1, 4, 4, 3)), (8, 6), layout="NHWC")) == TensorType((1, 8, 6, 3))
    assert infer(relay.image.resize2d(v((1, 3, 4, 4)), (2, 2), out_dtype="float16")).dtype == "float16"


def test_affine_grid():
    assert infer(relay.image.affine_grid(v((2, 2, 3)), (16, 8))) == TensorType((2, 2, 16, 8))
    with pytest.raises(ValueError, match=r"^image\.affine_grid: data \(2, 3, 3\) must be \(batch, 2, 3\)"):
        infer(relay.image.affine_grid(v((2, 3, 3)), (16, 8)))


def test_multibox_transform_loc_types():
    out = relay.vision.multibox_transform_loc(v((1, 3, 10)), v((1, 40), name="l"), v((1, 10, 4), name="a"))
    assert isinstance(out, relay.TupleWrapper) and len(out) == 2
    assert out.astuple().attrs.variances == (0.1, 0.1, 0.2, 0.2) and out.astuple().attrs.clip is True
    assert infer(out.astuple()) == TupleType([TensorType((1, 10, 6)), TensorType((1,), "int32")])
    with pytest.raises(ValueError, match=r"disagree on the number of anchors"):
        infer(relay.vision.multibox_transform_loc(v((1, 3, 10)), v((1, 36), name="l"), v((1, 10, 4), name="a")).astuple())
    assert relay.op.get("vision.multibox_transform_loc").get_attr("TOpPattern") == relay.op.OpPattern.OPAQUE
    assert relay.op.get("vision.multibox_prior").get_attr("TOpPattern") == relay.op.OpPattern.OPAQUE


def run_extern(call, *arrays):
    inputs, outputs = compute_of_call(call)
    lib = tvm.compile(tvm.IRModule({"main": te.create_prim_func(inputs + outputs)}), target="llvm")
    bufs = [tvm.runtime.empty(tuple(int(d) for d in o.shape), o.dtype) for o in outputs]
    lib["main"](*[tvm.runtime.tensor(a) for a in arrays], *bufs)
    return [b.numpy() for b in bufs]


def test_get_valid_counts_types_and_values():
    data = np.array([[[0, 0.9, 0, 0, 1, 1], [1, 0.05, 0, 0, 1, 1], [-1, 0.8, 0, 0, 1, 1],
                      [2, 0.7, 0, 0, 1, 1]]], "float32")
    out = relay.vision.get_valid_counts(v(data.shape), 0.1)
    assert len(out) == 3
    call = typed(out.astuple())
    assert call.checked_type == TupleType(
        [TensorType((1,), "int32"), TensorType((1, 4, 6)), TensorType((1, 4), "int32")])
    count, boxes, indices = run_extern(call, data, np.array(0.1, "float32"))
    # box 1 scores below the threshold and box 2 has class id -1
    assert count.tolist() == [2]
    assert indices.tolist() == [[0, 3, -1, -1]]
    np.testing.assert_array_equal(boxes[0, :2], data[0, [0, 3]])


def test_non_max_suppression_types_and_values():
    data = np.array([[[0, 0.9, 0, 0, 10, 10], [0, 0.8, 1, 1, 11, 11], [0, 0.7, 20, 20, 30, 30]]], "float32")
    count = np.array([3], "int32")
    indices = np.array([[0, 1, 2]], "int32")
    out = relay.vision.non_max_suppression(
        v(data.shape), v((1,), "int32", "c"), v((1, 3), "int32", "i"), iou_threshold=0.5)
    call = typed(out.astuple())
    assert call.checked_type == TupleType([TensorType((1, 3), "int32"), TensorType((1, 1), "int32")])
    kept, num = run_extern(call, data, count, indices, np.array(-1, "int32"), np.array(0.5, "float32"))
    # box 1 overlaps box 0 (IoU ~0.68) and is suppressed
    assert num.tolist() == [[2]]
    assert kept[0, :2].tolist() == [0, 2]
    plain = relay.vision.non_max_suppression(
        v(data.shape), v((1,), "int32", "c"), v((1, 3), "int32", "i"), return_indices=False)
    assert infer(plain) == TensorType((1, 3, 6))


def test_resize1d_resize3d_grid_sample_types():
    assert infer(relay.image.resize1d(v((1, 3, 4)), 8)) == TensorType((1, 3, 8))
    call = relay.image.resize3d(v((1, 3, 2, 4, 4)), (4, 8, 8))
    assert call.attrs.roi == (0.0,) * 6
    assert infer(call) == TensorType((1, 3, 4, 8, 8))
    assert infer(relay.image.grid_sample(v((1, 3, 4, 4)), v((1, 2, 5, 6), name="g"))) == TensorType((1, 3, 5, 6))
    with pytest.raises(ValueError, match=r"^image\.grid_sample: data \(1, 3, 4, 4\) and grid \(1, 3, 5, 6\)"):
        infer(relay.image.grid_sample(v((1, 3, 4, 4)), v((1, 3, 5, 6), name="g")))


def prior_ref(height, width, sizes, ratios, clip):
    """Anchors per location: each size (square), then the first size with each further ratio."""
    shapes = [(s * height / width / 2, s / 2) for s in sizes]
    shapes += [(sizes[0] * height / width * np.sqrt(r) / 2, sizes[0] / np.sqrt(r) / 2) for r in ratios[1:]]
    boxes = []
    for i in range(height):
        for j in range(width):
            cy, cx = (i + 0.5) / height, (j + 0.5) / width
            boxes += [(cx - w, cy - h, cx + w, cy + h) for w, h in shapes]
    out = np.array(boxes).reshape(1, -1, 4)
    return np.clip(out, 0, 1) if clip else out


def test_multibox_prior_matches_numpy():
    call = typed(relay.vision.multibox_prior(v((1, 8, 3, 5)), sizes=(0.3, 0.6), ratios=(1.0, 2.0, 0.5),
                                             clip=True))
    assert call.checked_type == TensorType((1, 3 * 5 * 4, 4))
    (out,) = run_extern(call, np.zeros((1, 8, 3, 5), "float32"))
    np.testing.assert_allclose(out, prior_ref(3, 5, (0.3, 0.6), (1.0, 2.0, 0.5), True), rtol=1e-5, atol=1e-6)


def transform_loc_ref(cls_prob, loc, anchor, threshold, variances=(0.1, 0.1, 0.2, 0.2)):
    batch, _, num_anchors = cls_prob.shape
    out = -np.ones((batch, num_anchors, 6))
    count = np.zeros(batch, "int32")
    for b in range(batch):
        for j in range(num_anchors):
            cls = int(np.argmax(cls_prob[b, 1:, j]))
            score = cls_prob[b, 1 + cls, j]
            if score < threshold:
                continue
            l, t, r, btm = anchor[0, j]
            aw, ah, ax, ay = r - l, btm - t, (l + r) / 2, (t + btm) / 2
            px, py, pw, ph = loc[b, 4 * j:4 * j + 4]
            ox, oy = px * variances[0] * aw + ax, py * variances[1] * ah + ay
            ow, oh = np.exp(pw * variances[2]) * aw / 2, np.exp(ph * variances[3]) * ah / 2
            box = np.clip([ox - ow, oy - oh, ox + ow, oy + oh], 0, 1)
            out[b, count[b]] = [cls, score, *box]
            count[b] += 1
    return out, count


def test_multibox_transform_loc_matches_numpy():
    rng = np.random.default_rng(3)
    cls_prob = rng.random((2, 4, 20)).astype("float32")
    cls_prob /= cls_prob.sum(axis=1, keepdims=True)
    loc = (rng.standard_normal((2, 80)) * 0.5).astype("float32")
    corners = np.sort(rng.random((1, 20, 2, 2)).astype("float32"), axis=2)
    anchor = corners.transpose(0, 1, 3, 2).reshape(1, 20, 4)  # (left, top, right, bottom)
    out = relay.vision.multibox_transform_loc(v(cls_prob.shape, name="c"), v(loc.shape, name="l"),
                                              v(anchor.shape, name="a"), threshold=0.3)
    boxes, count = run_extern(typed(out.astuple()), cls_prob, loc, anchor)
    ref_boxes, ref_count = transform_loc_ref(cls_prob, loc, anchor, 0.3)
    assert 0 < ref_count.min() and ref_count.max() < 20  # some boxes dropped, some kept
    np.testing.assert_array_equal(count, ref_count)
    np.testing.assert_allclose(boxes, ref_boxes, rtol=1e-5, atol=1e-5)
