"""NumPy reference kernels of Relay's image and vision operators.

Resizing (``image.resize1d/2d/3d``, ``nn.upsampling``, ``nn.upsampling3d``)
is separable: one 1-D interpolation per spatial axis, each with TVM's
coordinate transformation and rounding modes. The vision operators
(``multibox_prior``, ``multibox_transform_loc``, ``get_valid_counts``,
``non_max_suppression``) follow upstream TVM 0.8's semantics, written here as
plain loops over boxes. Registered on import by :mod:`.reference_ops`.
"""
import numpy as np

from .reference_ops import attr, contiguous, register_kernel
from .reference_ops_transform import parse_layout


# ---------------------------------------------------------------------- resize
def _source_coords(out_size, in_size, mode, roi_start=0.0, roi_end=1.0):
    """Input coordinate of every output index, per coordinate transformation mode."""
    x = np.arange(out_size, dtype=np.float64)
    scale = in_size / out_size
    if mode == "half_pixel":
        return (x + 0.5) * scale - 0.5
    if mode == "align_corners":
        return x * ((in_size - 1) / (out_size - 1)) if out_size > 1 else np.zeros_like(x)
    if mode == "asymmetric":
        return x * scale
    if mode == "pytorch_half_pixel":
        return (x + 0.5) * scale - 0.5 if out_size > 1 else np.zeros_like(x)
    if mode == "tf_half_pixel_for_nn":
        return (x + 0.5) * scale
    if mode == "tf_crop_and_resize":
        if out_size > 1:
            return roi_start * (in_size - 1) + x * (roi_end - roi_start) * (in_size - 1) / (
                out_size - 1
            )
        return np.full_like(x, 0.5 * (roi_start + roi_end) * (in_size - 1))
    raise ValueError(f"unknown coordinate_transformation_mode {mode!r}")


def _nearest_index(coord, rounding, mode):
    if rounding in ("", None):
        rounding = "round" if mode == "align_corners" else "floor"
    if rounding == "round":
        return np.round(coord)  # ties to even, as LLVM's nearbyint
    if rounding == "round_prefer_floor":
        return np.ceil(coord - 0.5)
    if rounding == "round_prefer_ceil":
        return np.floor(coord + 0.5)
    if rounding == "floor":
        # The epsilon keeps exact integers computed inexactly from flooring down.
        return np.floor(coord + 1e-5)
    if rounding == "ceil":
        return np.ceil(coord - 1e-5)
    raise ValueError(f"unknown rounding_method {rounding!r}")


def _cubic_weights(frac, alpha):
    """Weights of the 4 taps at offsets -1, 0, 1, 2 (Keys' cubic kernel)."""
    def kernel(t):
        t = np.abs(t)
        near = ((alpha + 2) * t - (alpha + 3)) * t * t + 1
        far = ((alpha * t - 5 * alpha) * t + 8 * alpha) * t - 4 * alpha
        return np.where(t <= 1, near, np.where(t < 2, far, 0.0))

    return np.stack([kernel(frac + 1), kernel(frac), kernel(1 - frac), kernel(2 - frac)], axis=-1)


def resize_axis(data, axis, out_size, method, mode, rounding="", alpha=-0.5, exclude=0,
                roi=(0.0, 1.0), extrapolation=0.0):
    """Resize ``data`` (float64) along one axis."""
    in_size = data.shape[axis]
    coord = _source_coords(out_size, in_size, mode, roi[0], roi[1])
    moved = np.moveaxis(data, axis, -1)
    if method == "nearest_neighbor":
        index = np.clip(_nearest_index(coord, rounding, mode).astype(np.int64), 0, in_size - 1)
        out = moved[..., index]
    elif method == "linear":
        base = np.floor(coord)
        frac = coord - base
        lo = np.clip(base.astype(np.int64), 0, in_size - 1)
        hi = np.clip(base.astype(np.int64) + 1, 0, in_size - 1)
        out = moved[..., lo] * (1 - frac) + moved[..., hi] * frac
    elif method == "cubic":
        base = np.floor(coord)
        weights = _cubic_weights(coord - base, alpha)
        taps = base.astype(np.int64)[:, None] + np.arange(-1, 3)[None, :]
        if exclude:
            inside = (taps >= 0) & (taps < in_size)
            weights = weights * inside
            weights = weights / np.sum(weights, axis=1, keepdims=True)
        taps = np.clip(taps, 0, in_size - 1)
        out = np.einsum("...ok,ok->...o", moved[..., taps], weights)
    else:
        raise ValueError(f"unknown resize method {method!r}")
    if mode == "tf_crop_and_resize":
        outside = (coord < 0) | (coord > in_size - 1)
        out = np.where(outside, extrapolation, out)
    return np.moveaxis(out, -1, axis)


def _method(name):
    # Upstream spells the same methods several ways across versions and ops.
    table = {
        "nearest": "nearest_neighbor",
        "nearest_neighbor": "nearest_neighbor",
        "linear": "linear",
        "bilinear": "linear",
        "trilinear": "linear",
        "cubic": "cubic",
        "bicubic": "cubic",
    }
    if name not in table:
        raise ValueError(f"unknown resize method {name!r}")
    return table[name]


def _spatial(layout, letters):
    names = [a for a, _ in parse_layout(layout)]
    return [names.index(a) for a in letters]


def _resize(attrs, x, letters, default_layout):
    layout = attr(attrs, "layout", default_layout)
    axes = _spatial(layout, letters)
    size = [int(s) for s in attr(attrs, "size")]
    roi = list(attr(attrs, "roi", None) or [0.0] * (2 * len(letters)))
    nsp = len(letters)
    method = _method(attr(attrs, "method", "linear"))
    mode = attr(attrs, "coordinate_transformation_mode", "half_pixel")
    data = x.astype(np.float64)
    for i, (axis, out) in enumerate(zip(axes, size)):
        # roi is (start_1, ..., start_n, end_1, ..., end_n) in D, H, W order.
        data = resize_axis(
            data, axis, out, method, mode,
            rounding=attr(attrs, "rounding_method", ""),
            alpha=float(attr(attrs, "cubic_alpha", -0.5)),
            exclude=int(attr(attrs, "cubic_exclude", 0)),
            roi=(float(roi[i]), float(roi[i + nsp])) if len(roi) == 2 * nsp else (0.0, 1.0),
            extrapolation=float(attr(attrs, "extrapolation_value", 0.0)),
        )
    dtype = attr(attrs, "out_dtype", "") or x.dtype
    if np.issubdtype(np.dtype(dtype), np.integer):
        data = np.round(data)
    return data.astype(dtype)


register_kernel("image.resize1d")(lambda attrs, args: _resize(attrs, args[0], "W", "NCW"))
register_kernel("image.resize2d", "image.resize")(
    lambda attrs, args: _resize(attrs, args[0], "HW", "NCHW")
)
register_kernel("image.resize3d")(lambda attrs, args: _resize(attrs, args[0], "DHW", "NCDHW"))


def _upsample(attrs, x, letters, default_layout, scales, mode):
    layout = attr(attrs, "layout", default_layout)
    axes = _spatial(layout, letters)
    method = _method(attr(attrs, "method", "nearest_neighbor"))
    data = x.astype(np.float64)
    for axis, scale in zip(axes, scales):
        # Output size rounds half to even, as the type relation's round().
        out = int(np.round(x.shape[axis] * float(scale)))
        data = resize_axis(data, axis, out, method, mode)
    return data.astype(x.dtype)


@register_kernel("nn.upsampling")
def _upsampling(attrs, args):
    mode = "align_corners" if attr(attrs, "align_corners", False) else "asymmetric"
    scales = (attr(attrs, "scale_h", 1.0), attr(attrs, "scale_w", 1.0))
    return _upsample(attrs, args[0], "HW", "NCHW", scales, mode)


@register_kernel("nn.upsampling3d")
def _upsampling3d(attrs, args):
    mode = attr(attrs, "coordinate_transformation_mode", "half_pixel")
    scales = (attr(attrs, "scale_d", 1.0), attr(attrs, "scale_h", 1.0), attr(attrs, "scale_w", 1.0))
    return _upsample(attrs, args[0], "DHW", "NCDHW", scales, mode)


# ------------------------------------------------------------- affine / sample
@register_kernel("image.affine_grid")
def _affine_grid(attrs, args):
    theta = args[0].astype(np.float64)  # (N, 2, 3)
    height, width = (int(s) for s in attr(attrs, "target_shape"))
    if attr(attrs, "align_corners", True):
        ys = -1 + 2 * np.arange(height) / max(height - 1, 1)
        xs = -1 + 2 * np.arange(width) / max(width - 1, 1)
    else:
        ys = (2 * np.arange(height) + 1) / height - 1
        xs = (2 * np.arange(width) + 1) / width - 1
    grid_y, grid_x = np.meshgrid(ys, xs, indexing="ij")
    # out[n, d] = theta[n, d, 0] * x + theta[n, d, 1] * y + theta[n, d, 2]
    out = (
        theta[:, :, 0, None, None] * grid_x
        + theta[:, :, 1, None, None] * grid_y
        + theta[:, :, 2, None, None]
    )
    return out.astype(args[0].dtype)


def _reflect(coord, low, high):
    span = high - low
    if span <= 0:
        return np.zeros_like(coord)
    rel = np.abs(coord - low)
    flips = np.floor(rel / span)
    extra = rel - flips * span
    return np.where(np.mod(flips, 2) == 0, low + extra, high - extra)


@register_kernel("image.grid_sample")
def _grid_sample(attrs, args):
    data, grid = args
    if attr(attrs, "layout", "NCHW") != "NCHW":
        raise ValueError("image.grid_sample: only the NCHW layout is supported")
    method = attr(attrs, "method", "bilinear")
    padding = attr(attrs, "padding_mode", "zeros")
    align = bool(attr(attrs, "align_corners", True))
    n, c, h, w = data.shape
    src = data.astype(np.float64)
    gx, gy = grid[:, 0].astype(np.float64), grid[:, 1].astype(np.float64)  # (N, OH, OW)
    if align:
        x, y = (gx + 1) * (w - 1) / 2, (gy + 1) * (h - 1) / 2
    else:
        x, y = ((gx + 1) * w - 1) / 2, ((gy + 1) * h - 1) / 2
    if padding == "border":
        x, y = np.clip(x, 0, w - 1), np.clip(y, 0, h - 1)
    elif padding == "reflection":
        if align:
            x, y = _reflect(x, 0, w - 1), _reflect(y, 0, h - 1)
        else:
            x, y = _reflect(x, -0.5, w - 0.5), _reflect(y, -0.5, h - 0.5)
        x, y = np.clip(x, 0, w - 1), np.clip(y, 0, h - 1)
    batch = np.arange(n)[:, None, None]

    def pixel(yi, xi):
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        values = src[batch, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]  # (N, OH, OW, C)
        return values * inside[..., None]

    if method == "nearest":
        out = pixel(np.round(y).astype(np.int64), np.round(x).astype(np.int64))
    elif method == "bilinear":
        y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
        fy, fx = (y - y0)[..., None], (x - x0)[..., None]
        out = (
            pixel(y0, x0) * (1 - fy) * (1 - fx)
            + pixel(y0, x0 + 1) * (1 - fy) * fx
            + pixel(y0 + 1, x0) * fy * (1 - fx)
            + pixel(y0 + 1, x0 + 1) * fy * fx
        )
    else:
        raise ValueError(f"image.grid_sample: method {method!r} is not supported")
    return contiguous(np.moveaxis(out, -1, 1)).astype(data.dtype)


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
