"""NumPy reference kernels of Relay's vision operators.

``multibox_prior``, ``multibox_transform_loc``, ``get_valid_counts`` and
``non_max_suppression`` follow upstream TVM 0.8's semantics, written here as
plain loops over boxes (clarity over speed: these are references).
Registered on import of :mod:`tvm.relay.reference.ops`.
"""
import numpy as np

from .common import attr, contiguous
from .registry import register_kernel


# --------------------------------------------------------------------- vision
@register_kernel("vision.multibox_prior")
def _multibox_prior(attrs, args):
    data = args[0]
    sizes = [float(s) for s in attr(attrs, "sizes", (1.0,))]
    ratios = [float(r) for r in attr(attrs, "ratios", (1.0,))]
    steps = [float(s) for s in attr(attrs, "steps", (-1.0, -1.0))]
    offsets = [float(o) for o in attr(attrs, "offsets", (0.5, 0.5))]
    height, width = data.shape[2], data.shape[3]
    step_h = steps[0] if steps[0] > 0 else 1.0 / height
    step_w = steps[1] if steps[1] > 0 else 1.0 / width
    # Per location: every size with the first ratio, then the first size with
    # every further ratio; half-width is scaled by height / width.
    shapes = [(s * height / width / 2, s / 2) for s in sizes]
    shapes += [
        (sizes[0] * height / width * np.sqrt(r) / 2, sizes[0] / np.sqrt(r) / 2) for r in ratios[1:]
    ]
    boxes = []
    for i in range(height):
        cy = (i + offsets[0]) * step_h
        for j in range(width):
            cx = (j + offsets[1]) * step_w
            for half_w, half_h in shapes:
                boxes.append((cx - half_w, cy - half_h, cx + half_w, cy + half_h))
    out = np.array(boxes, dtype=np.float64).reshape(1, -1, 4)
    if attr(attrs, "clip", False):
        out = np.clip(out, 0, 1)
    return out.astype(data.dtype)


@register_kernel("vision.multibox_transform_loc")
def _multibox_transform_loc(attrs, args):
    cls_prob, loc_pred, anchor = args
    clip = bool(attr(attrs, "clip", True))
    threshold = float(attr(attrs, "threshold", 0.01))
    vx, vy, vw, vh = (float(v) for v in attr(attrs, "variances", (0.1, 0.1, 0.2, 0.2)))
    batch, num_classes, num_anchors = cls_prob.shape
    # Rows past valid_count are filled with -1 (the compiled op leaves them unset).
    out = np.full((batch, num_anchors, 6), -1.0)
    valid = np.zeros(batch, dtype=np.int32)
    for b in range(batch):
        for j in range(num_anchors):
            # Best non-background class; ties keep the lowest id.
            scores = cls_prob[b, 1:, j].astype(np.float64)
            if num_classes < 2:
                continue
            cls = int(np.argmax(scores)) + 1
            score = scores[cls - 1]
            if score < threshold:
                continue
            left, top, right, bottom = anchor[0, j].astype(np.float64)
            px, py, pw, ph = loc_pred[b, 4 * j : 4 * j + 4].astype(np.float64)
            aw, ah = right - left, bottom - top
            ax, ay = (left + right) / 2, (top + bottom) / 2
            ox, oy = px * vx * aw + ax, py * vy * ah + ay
            ow, oh = np.exp(pw * vw) * aw / 2, np.exp(ph * vh) * ah / 2
            box = np.array([ox - ow, oy - oh, ox + ow, oy + oh])
            if clip:
                box = np.clip(box, 0.0, 1.0)
            out[b, valid[b]] = [cls - 1, score, *box]
            valid[b] += 1
    return (out.astype(loc_pred.dtype), valid)


@register_kernel("vision.get_valid_counts")
def _get_valid_counts(attrs, args):
    data = args[0]
    threshold = float(args[1].reshape(())) if len(args) > 1 else float(
        attr(attrs, "score_threshold", 0.0)
    )
    id_index = int(attr(attrs, "id_index", 0))
    score_index = int(attr(attrs, "score_index", 1))
    batch, num, width = data.shape
    counts = np.zeros(batch, dtype=np.int32)
    out = np.full(data.shape, -1, dtype=data.dtype)
    indices = np.full((batch, num), -1, dtype=np.int32)
    for b in range(batch):
        for j in range(num):
            ok = data[b, j, score_index] > threshold
            if id_index >= 0:
                ok = ok and data[b, j, id_index] >= 0
            if ok:
                out[b, counts[b]] = data[b, j]
                indices[b, counts[b]] = j
                counts[b] += 1
    return (counts, out, indices)


def _iou(a, b):
    a_l, a_r = min(a[0], a[2]), max(a[0], a[2])
    a_t, a_b = min(a[1], a[3]), max(a[1], a[3])
    b_l, b_r = min(b[0], b[2]), max(b[0], b[2])
    b_t, b_b = min(b[1], b[3]), max(b[1], b[3])
    width = max(0.0, min(a_r, b_r) - max(a_l, b_l))
    height = max(0.0, min(a_b, b_b) - max(a_t, b_t))
    inter = width * height
    union = (a_r - a_l) * (a_b - a_t) + (b_r - b_l) * (b_b - b_t) - inter
    return 0.0 if union <= 0 else inter / union


@register_kernel("vision.non_max_suppression")
def _non_max_suppression(attrs, args):
    data, valid_count = args[0], args[1]
    batch, num, width = data.shape
    indices = args[2] if len(args) > 2 else np.tile(np.arange(num, dtype=np.int32), (batch, 1))
    max_output = int(args[3].reshape(())) if len(args) > 3 else int(
        attr(attrs, "max_output_size", -1)
    )
    iou_threshold = float(args[4].reshape(())) if len(args) > 4 else float(
        attr(attrs, "iou_threshold", 0.5)
    )
    force = bool(attr(attrs, "force_suppress", False))
    top_k = int(attr(attrs, "top_k", -1))
    coord = int(attr(attrs, "coord_start", 2))
    score_index = int(attr(attrs, "score_index", 1))
    id_index = int(attr(attrs, "id_index", 0))
    return_indices = bool(attr(attrs, "return_indices", True))
    to_bottom = bool(attr(attrs, "invalid_to_bottom", False))

    out = np.full(data.shape, -1.0)
    box_index = np.full((batch, num), -1, dtype=np.int32)
    for b in range(batch):
        count = int(valid_count.reshape(-1)[b])
        scores = data[b, :count, score_index].astype(np.float64)
        order = np.argsort(-scores, kind="stable")
        keep = count if not 0 < top_k < count else top_k
        rows = data[b, order[:keep]].astype(np.float64)
        ids = order[:keep].astype(np.int32)
        alive = rows[:, score_index] > 0
        kept = 0
        for j in range(keep):
            if not alive[j] or (max_output >= 0 and kept >= max_output):
                alive[j] = False
                continue
            kept += 1
            for k in range(j + 1, keep):
                if not alive[k]:
                    continue
                same = force or id_index < 0 or rows[j, id_index] == rows[k, id_index]
                if same and _iou(rows[j, coord : coord + 4], rows[k, coord : coord + 4]) >= (
                    iou_threshold
                ):
                    alive[k] = False
        out[b, :keep][alive] = rows[alive]
        box_index[b, :keep][alive] = ids[alive]
        if return_indices:
            survivors = [int(indices[b, i]) for i in box_index[b] if i >= 0]
            box_index[b] = -1
            box_index[b, : len(survivors)] = survivors
        elif to_bottom:
            rows_b = out[b][out[b, :, score_index] >= 0]
            out[b] = -1.0
            out[b, : len(rows_b)] = rows_b
    if return_indices:
        counts = np.sum(box_index >= 0, axis=1).astype(np.int32).reshape(batch, 1)
        return (box_index, counts)
    return out.astype(data.dtype)


def _bilinear_or_zero(plane, y, x):
    """Sample ``plane`` (C, H, W) at (y, x) as ROIAlign does: 0 far outside, clamped near."""
    height, width = plane.shape[1:]
    if y < -1.0 or x < -1.0 or y > height or x > width:
        return np.zeros(plane.shape[0])
    y = min(max(y, 0.0), height - 1)
    x = min(max(x, 0.0), width - 1)
    y0, x0 = int(np.floor(y)), int(np.floor(x))
    y1, x1 = min(y0 + 1, height - 1), min(x0 + 1, width - 1)
    fy, fx = y - y0, x - x0
    return (
        plane[:, y0, x0] * (1 - fy) * (1 - fx)
        + plane[:, y0, x1] * (1 - fy) * fx
        + plane[:, y1, x0] * fy * (1 - fx)
        + plane[:, y1, x1] * fy * fx
    )


def _nchw(data, layout):
    if layout == "NCHW":
        return data
    if layout == "NHWC":
        return data.transpose(0, 3, 1, 2)
    raise ValueError(f"unsupported layout {layout!r} (NCHW or NHWC)")


def _from_nchw(out, layout):
    return out if layout == "NCHW" else contiguous(out.transpose(0, 2, 3, 1))


@register_kernel("vision.roi_align")
def _roi_align(attrs, args):
    data, rois = args
    layout = attr(attrs, "layout", "NCHW")
    if attr(attrs, "aligned", False):
        raise ValueError("vision.roi_align: aligned=True is not supported by the reference")
    pooled_h, pooled_w = (int(p) for p in attr(attrs, "pooled_size"))
    scale = float(attr(attrs, "spatial_scale"))
    ratio = int(attr(attrs, "sample_ratio", -1))
    mode = attr(attrs, "mode", "avg")
    planes = _nchw(data, layout).astype(np.float64)
    out = np.zeros((rois.shape[0], planes.shape[1], pooled_h, pooled_w))
    # Sample coordinates in the rois' own dtype and in the usual order of
    # operations: a sample landing exactly on the image border is then
    # classified as float32 implementations classify it.
    real = rois.dtype.type if np.issubdtype(rois.dtype, np.floating) else np.float64
    one, half = real(1.0), real(0.5)
    for i, roi in enumerate(rois):
        plane = planes[int(roi[0])]
        x1, y1, x2, y2 = (real(v) * real(scale) for v in roi[1:5])
        roi_h, roi_w = max(y2 - y1, one), max(x2 - x1, one)
        bin_h, bin_w = roi_h / real(pooled_h), roi_w / real(pooled_w)
        grid_h = ratio if ratio > 0 else int(np.ceil(roi_h / pooled_h))
        grid_w = ratio if ratio > 0 else int(np.ceil(roi_w / pooled_w))
        for ph in range(pooled_h):
            for pw in range(pooled_w):
                samples = [
                    _bilinear_or_zero(
                        plane,
                        float(y1 + real(ph) * bin_h + (real(iy) + half) * bin_h / real(grid_h)),
                        float(x1 + real(pw) * bin_w + (real(ix) + half) * bin_w / real(grid_w)),
                    )
                    for iy in range(grid_h)
                    for ix in range(grid_w)
                ]
                if mode == "max":
                    out[i, :, ph, pw] = np.max(samples, axis=0)
                else:
                    out[i, :, ph, pw] = np.sum(samples, axis=0) / (grid_h * grid_w)
    return _from_nchw(out.astype(data.dtype), layout)


@register_kernel("vision.roi_pool")
def _roi_pool(attrs, args):
    data, rois = args
    layout = attr(attrs, "layout", "NCHW")
    pooled_h, pooled_w = (int(p) for p in attr(attrs, "pooled_size"))
    scale = float(attr(attrs, "spatial_scale"))
    planes = _nchw(data, layout)
    height, width = planes.shape[2:]
    out = np.zeros((rois.shape[0], planes.shape[1], pooled_h, pooled_w), dtype=data.dtype)
    for i, roi in enumerate(rois.astype(np.float64)):
        plane = planes[int(roi[0])]
        # Corners rounded to pixels (ties to even, as TVM's round).
        x1, y1, x2, y2 = (int(v) for v in np.round(roi[1:5] * scale))
        roi_h, roi_w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
        bin_h, bin_w = roi_h / pooled_h, roi_w / pooled_w
        for ph in range(pooled_h):
            h0 = min(max(int(np.floor(ph * bin_h)) + y1, 0), height)
            h1 = min(max(int(np.ceil((ph + 1) * bin_h)) + y1, 0), height)
            for pw in range(pooled_w):
                w0 = min(max(int(np.floor(pw * bin_w)) + x1, 0), width)
                w1 = min(max(int(np.ceil((pw + 1) * bin_w)) + x1, 0), width)
                if h1 > h0 and w1 > w0:
                    out[i, :, ph, pw] = plane[:, h0:h1, w0:w1].max(axis=(1, 2))
    return _from_nchw(out, layout)


@register_kernel("vision.yolo_reorg")
def _yolo_reorg(attrs, args):
    # Darknet's reorg (see tvm.relay.op.vision.rcnn): the input viewed as
    # (N, C/s^2, H*s, W*s) is read at [b, k % c2, j*s + (k//c2)//s, i*s + (k//c2)%s].
    data = args[0]
    s = int(attr(attrs, "stride"))
    n, c, h, w = data.shape
    c2 = c // (s * s)
    view = data.reshape(n, c2, h * s, w * s)
    k = np.arange(c)[:, None, None]
    j = np.arange(h)[None, :, None]
    i = np.arange(w)[None, None, :]
    offset = k // c2
    gathered = view[:, k % c2, j * s + offset // s, i * s + offset % s]
    return contiguous(gathered.reshape(n, c * s * s, h // s, w // s))
