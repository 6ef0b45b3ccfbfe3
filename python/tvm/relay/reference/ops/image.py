"""NumPy reference kernels of Relay's image operators (resizing, upsampling, grids).

Resizing (``image.resize1d/2d/3d``, ``nn.upsampling``, ``nn.upsampling3d``)
is separable: one 1-D interpolation per spatial axis, each with TVM's
coordinate transformation and rounding modes. ``image.affine_grid`` and
``image.grid_sample`` follow. Registered on import of :mod:`tvm.relay.reference.ops`.
"""
import numpy as np

from .common import attr, contiguous
from .layout import parse_layout
from .registry import register_kernel


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


@register_kernel("image.crop_and_resize")
def _crop_and_resize(attrs, args):
    data, boxes, box_indices = args
    layout = attr(attrs, "layout", "NCHW")
    axes = _spatial(layout, "HW")
    crop = [int(s) for s in attr(attrs, "crop_size")]
    method = _method(attr(attrs, "method", "bilinear"))
    extrapolation = float(attr(attrs, "extrapolation_value", 0.0))
    crops = []
    for box, index in zip(boxes.astype(np.float64), box_indices.reshape(-1)):
        # One image; boxes are (y1, x1, y2, x2) in normalised coordinates.
        image = data[int(index)].astype(np.float64)
        for axis, size, (start, end) in zip(axes, crop, ((box[0], box[2]), (box[1], box[3]))):
            image = resize_axis(
                image, axis - 1, size, method, "tf_crop_and_resize", rounding="round",
                roi=(start, end), extrapolation=extrapolation,
            )
        crops.append(image)
    dtype = attr(attrs, "out_dtype", "") or data.dtype
    return np.stack(crops).astype(dtype)


@register_kernel("image.dilation2d")
def _dilation2d(attrs, args):
    data, weight = args
    nhwc = attr(attrs, "data_layout", "NCHW") == "NHWC"
    if nhwc:  # to NCHW / IHW
        data, weight = data.transpose(0, 3, 1, 2), weight.transpose(2, 0, 1)
    sh, sw = attr(attrs, "strides")
    dh, dw = attr(attrs, "dilations")
    top, left, bottom, right = attr(attrs, "padding")
    # Zero padding, as TVM (0.8 and the base's TOPI) defines the op; TensorFlow
    # instead lets padded positions never win.
    padded = np.pad(data.astype(np.float64), ((0, 0), (0, 0), (top, bottom), (left, right)))
    _, kh, kw = weight.shape
    out_h = (padded.shape[2] - (kh - 1) * dh - 1) // sh + 1
    out_w = (padded.shape[3] - (kw - 1) * dw - 1) // sw + 1
    out = np.full(data.shape[:2] + (out_h, out_w), -np.inf)
    for i in range(kh):
        for j in range(kw):
            window = padded[:, :, i * dh:i * dh + (out_h - 1) * sh + 1:sh, j * dw:j * dw + (out_w - 1) * sw + 1:sw]
            out = np.maximum(out, window + weight[None, :, i, j, None, None])
    out = out.astype(attr(attrs, "out_dtype", "") or data.dtype)
    return contiguous(out.transpose(0, 2, 3, 1)) if nhwc else out
