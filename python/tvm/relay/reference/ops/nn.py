"""NumPy reference kernels of Relay's neural-network operators.

Convolutions of any rank, layout and grouping are reduced to one canonical
form: data in ``N C spatial...``, weight in ``O I spatial...`` (via the
helpers of :mod:`.layout`), computed by im2col and a float64 matrix product
(or, for depthwise convolutions, one multiply-add per kernel tap), then laid
out as requested. Dense layers, normalisations, softmax and pad follow; pools
are in :mod:`.pool`. Registered on import of :mod:`tvm.relay.reference.ops`.
"""
import numpy as np

from .common import (
    acc_dtype,
    attr,
    int_tuple,
    normalize_axes,
    out_dtype,
    pad_pairs,
    sliding_windows,
)
from .layout import convert_layout, parse_layout
from .registry import register_kernel


def _canonical(layout, lead):
    """The canonical order (``lead`` + spatial axes in D, H, W order) for ``layout``."""
    primal = [a for a, _ in parse_layout(layout) if a.isupper()]
    spatial = [a for a in "DHW" if a in primal]
    if sorted(primal) != sorted(list(lead) + spatial):
        raise ValueError(f"layout {layout!r} is not a {lead}+spatial layout")
    return lead + "".join(spatial)


def conv_nchw(data, weight, strides, pad_before, pad_after, dilation, groups, dtype):
    """Grouped convolution in canonical layouts: ``(N, C, *S)`` x ``(O, C/groups, *K)``."""
    n, channels = data.shape[:2]
    out_channels, in_per_group = weight.shape[:2]
    kernel = weight.shape[2:]
    nsp = len(kernel)
    if channels % groups or out_channels % groups or channels // groups != in_per_group:
        raise ValueError(
            f"conv: data has {channels} channels and weight shape {weight.shape} with "
            f"groups={groups}; the weight needs {channels // max(groups, 1)} input channels "
            "per group"
        )
    acc = acc_dtype(data.dtype)
    pad = [(0, 0), (0, 0)] + [(b, a) for b, a in zip(pad_before, pad_after)]
    padded = np.pad(data.astype(acc), pad)
    for i, (size, k, d) in enumerate(zip(padded.shape[2:], kernel, dilation)):
        if size < (k - 1) * d + 1:
            raise ValueError(
                f"conv: padded spatial axis {i} has size {size}, smaller than the dilated "
                f"kernel ({(k - 1) * d + 1})"
            )
    win = sliding_windows(padded, kernel, strides, dilation)  # (N, C, *O, *K)
    out_sp = win.shape[2 : 2 + nsp]
    w = weight.astype(acc)
    if in_per_group == 1 and groups == channels:
        # Depthwise: output channel o reads input channel o // multiplier.
        mult = out_channels // channels
        out = np.zeros((n, out_channels) + out_sp, acc)
        src = np.repeat(np.arange(channels), mult)
        for tap in np.ndindex(*kernel):
            plane = win[(Ellipsis,) + tap]  # (N, C, *O)
            if mult > 1:
                plane = plane[:, src]
            out += plane * w[(slice(None), 0) + tap].reshape((1, -1) + (1,) * nsp)
        return out.astype(dtype)
    og = out_channels // groups
    ksize = int(np.prod(kernel))
    wmat = w.reshape(groups, og, in_per_group * ksize).transpose(0, 2, 1)
    out = np.empty((groups, n) + out_sp + (og,), acc)
    # The im2col matrix is built a slab of output rows at a time (at most
    # ~4M elements), so large 3-d convolutions do not need gigabytes.
    row_size = n * groups * int(np.prod(out_sp[1:])) * in_per_group * ksize
    step = max(1, (1 << 22) // max(row_size, 1))
    perm = [1, 0] + list(range(3, 3 + nsp)) + [2] + list(range(3 + nsp, 3 + 2 * nsp))
    for start in range(0, out_sp[0], step):
        stop = min(start + step, out_sp[0])
        slab = win[:, :, start:stop]
        cols = slab.reshape((n, groups, in_per_group) + slab.shape[2:])
        # (G, N, *O, Cg, *K) -> (G, N*prod(O), Cg*prod(K)): the im2col copy.
        cols = np.transpose(cols, perm).reshape(groups, -1, in_per_group * ksize)
        part = np.matmul(cols, wmat)  # (G, N*rows*prod(O[1:]), Og)
        out[:, :, start:stop] = part.reshape((groups, n, stop - start) + out_sp[1:] + (og,))
    perm = [1, 0, 2 + nsp] + list(range(2, 2 + nsp))
    out = np.transpose(out, perm).reshape((n, out_channels) + out_sp)
    return out.astype(dtype)


def _conv(attrs, args, nspatial, default_data, default_kernel):
    data, weight = args
    data_layout = attr(attrs, "data_layout", default_data)
    kernel_layout = attr(attrs, "kernel_layout", default_kernel)
    out_layout = attr(attrs, "out_layout", "") or data_layout
    canon_data = _canonical(data_layout, "NC")
    canon_kernel = _canonical(kernel_layout, "OI")
    x = convert_layout(data, data_layout, canon_data)
    w = convert_layout(weight, kernel_layout, canon_kernel)
    groups = int(attr(attrs, "groups", 1))
    if (
        groups > 1
        and groups == x.shape[1]
        and kernel_layout.endswith("OI")
        and w.shape[0] == groups
        and w.shape[1] != 1
    ):
        # Depthwise with an ``...OI`` kernel (HWOI): O holds the input channels
        # and I the channel multiplier (TOPI's depthwise NHWC layout); output
        # channel c * multiplier + j is the flattened (c, j).
        w = w.reshape((w.shape[0] * w.shape[1], 1) + w.shape[2:])
    if w.ndim != nspatial + 2 or x.ndim != nspatial + 2:
        raise ValueError(
            f"conv{nspatial}d: data {data.shape} ({data_layout}) and weight {weight.shape} "
            f"({kernel_layout}) are not {nspatial}-d"
        )
    strides = int_tuple(attr(attrs, "strides", 1), nspatial, "strides")
    dilation = int_tuple(attr(attrs, "dilation", 1), nspatial, "dilation")
    before, after = pad_pairs(attr(attrs, "padding", 0), nspatial)
    dtype = out_dtype(attrs, data.dtype)
    out = conv_nchw(x, w, strides, before, after, dilation, groups, dtype)
    return convert_layout(out, canon_data, out_layout)


@register_kernel("nn.conv1d")
def _conv1d(attrs, args):
    return _conv(attrs, args, 1, "NCW", "OIW")


@register_kernel("nn.conv2d", "nn.contrib_conv2d_NCHWc", "nn.contrib_depthwise_conv2d_NCHWc")
def _conv2d(attrs, args):
    return _conv(attrs, args, 2, "NCHW", "OIHW")


@register_kernel("nn.conv3d")
def _conv3d(attrs, args):
    return _conv(attrs, args, 3, "NCDHW", "OIDHW")


def _conv_transpose(attrs, args, nspatial, default_data, default_kernel):
    """Transposed convolution as a convolution of the zero-stuffed input.

    Weight convention, as TVM v0.8.0 and the op library: the 2-d op reads its
    kernel layout literally (``I`` the input channels; default ``"IOHW"``); for
    the 1-d and 3-d ops the letter ``O`` denotes the *input* channels and ``I``
    the output channels per group (default ``"OIW"`` / ``"OIDHW"``), except for
    ``"IOW"`` and ``"IODHW"``, read literally. Every default weight is
    ``(in_channels, out_channels / groups, k...)``.
    """
    data, weight = args
    data_layout = attr(attrs, "data_layout", default_data)
    kernel_layout = attr(attrs, "kernel_layout", default_kernel)
    out_layout = attr(attrs, "out_layout", "") or data_layout
    canon_data = _canonical(data_layout, "NC")
    x = convert_layout(data, data_layout, canon_data)
    if nspatial == 2 or kernel_layout in ("IOW", "IODHW"):
        w = convert_layout(weight, kernel_layout, _canonical(kernel_layout, "IO"))
    else:
        w = convert_layout(weight, kernel_layout, _canonical(kernel_layout, "OI"))
    # w: (C_in, C_out / groups, *K)
    strides = int_tuple(attr(attrs, "strides", 1), nspatial, "strides")
    dilation = int_tuple(attr(attrs, "dilation", 1), nspatial, "dilation")
    before, after = pad_pairs(attr(attrs, "padding", 0), nspatial)
    out_pad = int_tuple(attr(attrs, "output_padding", 0), nspatial, "output_padding")
    groups = int(attr(attrs, "groups", 1))
    dtype = out_dtype(attrs, data.dtype)
    n, channels = x.shape[:2]
    if w.shape[0] != channels or channels % groups:
        raise ValueError(
            f"conv{nspatial}d_transpose: data has {channels} channels but the weight "
            f"{weight.shape} ({kernel_layout}) expects {w.shape[0]}"
        )
    kernel = w.shape[2:]
    og = w.shape[1]
    # Zero-stuff the input by the stride.
    stuffed_shape = (n, channels) + tuple((s - 1) * st + 1 for s, st in zip(x.shape[2:], strides))
    stuffed = np.zeros(stuffed_shape, x.dtype)
    stuffed[(slice(None), slice(None)) + tuple(slice(None, None, st) for st in strides)] = x
    # Equivalent forward convolution: pad by (dilated kernel - 1 - padding), crop if negative.
    pads_b, pads_a, crop = [], [], [slice(None), slice(None)]
    for i in range(nspatial):
        span = (kernel[i] - 1) * dilation[i]
        b = span - before[i]
        a = span - after[i] + out_pad[i]
        pads_b.append(max(b, 0))
        pads_a.append(max(a, 0))
        crop.append(slice(max(-b, 0), stuffed.shape[2 + i] - max(-a, 0)))
    stuffed = stuffed[tuple(crop)]
    # Forward weight: (G*Og, Cin/G, *K), spatially flipped.
    cg = channels // groups
    fw = w.reshape((groups, cg, og) + tuple(kernel)).swapaxes(1, 2)
    fw = fw.reshape((groups * og, cg) + tuple(kernel))
    fw = np.flip(fw, axis=tuple(range(2, 2 + nspatial)))
    out = conv_nchw(stuffed, fw, (1,) * nspatial, pads_b, pads_a, dilation, groups, dtype)
    return convert_layout(out, canon_data, out_layout)


@register_kernel("nn.conv1d_transpose")
def _conv1d_transpose(attrs, args):
    return _conv_transpose(attrs, args, 1, "NCW", "OIW")


@register_kernel("nn.conv2d_transpose")
def _conv2d_transpose(attrs, args):
    return _conv_transpose(attrs, args, 2, "NCHW", "IOHW")


@register_kernel("nn.conv3d_transpose")
def _conv3d_transpose(attrs, args):
    return _conv_transpose(attrs, args, 3, "NCDHW", "OIDHW")


# --------------------------------------------------------------- dense, matmul
@register_kernel("nn.dense")
def _dense(attrs, args):
    data, weight = args
    if data.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"nn.dense: data {data.shape} and weight {weight.shape} disagree on the "
            "reduction axis (weight is (units, in_features))"
        )
    acc = acc_dtype(data.dtype)
    out = np.matmul(data.astype(acc), weight.astype(acc).T)
    return out.astype(out_dtype(attrs, data.dtype))


@register_kernel("nn.matmul")
def _matmul(attrs, args):
    a, b = args
    acc = acc_dtype(a.dtype)
    a = a.astype(acc)
    b = b.astype(acc)
    if attr(attrs, "transpose_a", False):
        a = np.swapaxes(a, -1, -2)
    if attr(attrs, "transpose_b", False):
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b).astype(out_dtype(attrs, args[0].dtype))


@register_kernel("nn.batch_matmul")
def _batch_matmul(attrs, args):
    a, b = args
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"nn.batch_matmul needs 3-d operands, got {a.shape} and {b.shape}")
    acc = acc_dtype(a.dtype)
    x = a.astype(acc)
    y = b.astype(acc)
    if attr(attrs, "transpose_a", False):
        x = np.swapaxes(x, 1, 2)
    if attr(attrs, "transpose_b", True):
        y = np.swapaxes(y, 1, 2)
    if x.shape[2] != y.shape[1] or (x.shape[0] != y.shape[0] and 1 not in (x.shape[0], y.shape[0])):
        raise ValueError(f"nn.batch_matmul: incompatible operands {a.shape} and {b.shape}")
    return np.matmul(x, y).astype(out_dtype(attrs, a.dtype))


@register_kernel("nn.bias_add")
def _bias_add(attrs, args):
    data, bias = args
    axis = normalize_axes(attr(attrs, "axis", 1), data.ndim)[0]
    if bias.shape != (data.shape[axis],):
        raise ValueError(
            f"nn.bias_add: bias has shape {bias.shape}, expected ({data.shape[axis]},) "
            f"for axis {axis} of data {data.shape}"
        )
    shape = [1] * data.ndim
    shape[axis] = -1
    return (data + bias.reshape(shape)).astype(data.dtype)


# -------------------------------------------------------------- normalisations
def _channel_shape(ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return shape


@register_kernel("nn.batch_norm")
def _batch_norm(attrs, args):
    data, gamma, beta, mean, var = args
    axis = normalize_axes(attr(attrs, "axis", 1), data.ndim)[0]
    eps = float(attr(attrs, "epsilon", 1e-5))
    shape = _channel_shape(data.ndim, axis)
    x = data.astype(np.float64)
    out = (x - mean.astype(np.float64).reshape(shape)) / np.sqrt(
        var.astype(np.float64).reshape(shape) + eps
    )
    if attr(attrs, "scale", True):
        out = out * gamma.astype(np.float64).reshape(shape)
    if attr(attrs, "center", True):
        out = out + beta.astype(np.float64).reshape(shape)
    return (out.astype(data.dtype), mean, var)


def _normalize(x, axes, eps):
    x = x.astype(np.float64)
    mean = np.mean(x, axis=axes, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _scale_shift(out, attrs, gamma, beta, shape):
    if attr(attrs, "scale", True):
        out = out * gamma.astype(np.float64).reshape(shape)
    if attr(attrs, "center", True):
        out = out + beta.astype(np.float64).reshape(shape)
    return out


@register_kernel("nn.layer_norm")
def _layer_norm(attrs, args):
    data, gamma, beta = args
    axis = normalize_axes(attr(attrs, "axis", -1), data.ndim)[0]
    out = _normalize(data, (axis,), float(attr(attrs, "epsilon", 1e-5)))
    out = _scale_shift(out, attrs, gamma, beta, _channel_shape(data.ndim, axis))
    return out.astype(data.dtype)


@register_kernel("nn.instance_norm")
def _instance_norm(attrs, args):
    data, gamma, beta = args
    axis = normalize_axes(attr(attrs, "axis", 1), data.ndim)[0]
    axes = tuple(a for a in range(1, data.ndim) if a != axis)
    out = _normalize(data, axes, float(attr(attrs, "epsilon", 1e-5)))
    out = _scale_shift(out, attrs, gamma, beta, _channel_shape(data.ndim, axis))
    return out.astype(data.dtype)


@register_kernel("nn.group_norm")
def _group_norm(attrs, args):
    data, gamma, beta = args
    axis = normalize_axes(attr(attrs, "axis", 1), data.ndim)[0]
    groups = int(attr(attrs, "num_groups"))
    channels = data.shape[axis]
    if channels % groups:
        raise ValueError(f"nn.group_norm: {channels} channels are not divisible by {groups} groups")
    shape = data.shape[:axis] + (groups, channels // groups) + data.shape[axis + 1 :]
    grouped = data.reshape(shape)
    axes = tuple(a for a in range(1, grouped.ndim) if a != axis)
    out = _normalize(grouped, axes, float(attr(attrs, "epsilon", 1e-5))).reshape(data.shape)
    out = _scale_shift(out, attrs, gamma, beta, _channel_shape(data.ndim, axis))
    return out.astype(data.dtype)


@register_kernel("nn.l2_normalize")
def _l2_normalize(attrs, args):
    x = args[0]
    axes = tuple(normalize_axes(attr(attrs, "axis"), x.ndim))
    data = x.astype(np.float64)
    norm = np.sum(data * data, axis=axes, keepdims=True)
    return (data / np.sqrt(np.maximum(norm, float(attr(attrs, "eps", 0.0))))).astype(x.dtype)


@register_kernel("nn.lrn")
def _lrn(attrs, args):
    x = args[0]
    size = int(attr(attrs, "size", 5))
    axis = normalize_axes(attr(attrs, "axis", 1), x.ndim)[0]
    alpha = float(attr(attrs, "alpha", 1e-4))
    beta = float(attr(attrs, "beta", 0.75))
    bias = float(attr(attrs, "bias", 2.0))
    sq = x.astype(np.float64) ** 2
    half = size // 2
    pad = [(0, 0)] * x.ndim
    pad[axis] = (half, half)
    sq = np.pad(sq, pad)
    window = sum(
        np.take(sq, np.arange(i, i + x.shape[axis]), axis=axis) for i in range(size)
    )
    return (x / (bias + alpha / size * window) ** beta).astype(x.dtype)


def _softmax_f64(x, axis):
    data = x.astype(np.float64)
    shifted = data - np.max(data, axis=axis, keepdims=True)
    return shifted, np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@register_kernel("nn.softmax", "nn.fast_softmax")
def _softmax(attrs, args):
    x = args[0]
    shifted, log_sum = _softmax_f64(x, int(attr(attrs, "axis", -1)))
    return np.exp(shifted - log_sum).astype(x.dtype)


@register_kernel("nn.log_softmax")
def _log_softmax(attrs, args):
    x = args[0]
    shifted, log_sum = _softmax_f64(x, int(attr(attrs, "axis", -1)))
    return (shifted - log_sum).astype(x.dtype)


@register_kernel("nn.dropout")
def _dropout(_attrs, args):
    # Inference semantics: identity; the mask output is all ones.
    x = args[0]
    return (x, np.ones_like(x))


# ------------------------------------------------------------------------- pad
@register_kernel("nn.pad")
def _pad(attrs, args):
    x = args[0]
    width = [tuple(int(v) for v in pair) for pair in attr(attrs, "pad_width")]
    if len(width) != x.ndim:
        raise ValueError(f"nn.pad: pad_width has {len(width)} pairs for a tensor of rank {x.ndim}")
    mode = attr(attrs, "pad_mode", "constant")
    if mode not in ("constant", "edge", "reflect"):
        raise ValueError(f"nn.pad: unknown pad_mode {mode!r}")
    # negative widths crop (0.8's semantics, every mode): slice, then pad what is left
    crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, width))
    width = [(max(b, 0), max(a, 0)) for b, a in width]
    if mode == "constant":
        value = args[1].reshape(()) if len(args) > 1 else attr(attrs, "pad_value", 0.0)
        return np.pad(x[crop], width, mode="constant", constant_values=np.asarray(value, x.dtype))
    return np.pad(x[crop], width, mode=mode)


@register_kernel("nn.mirror_pad")
def _mirror_pad(attrs, args):
    x = args[0]
    width = [tuple(int(v) for v in pair) for pair in attr(attrs, "pad_width")]
    mode = attr(attrs, "mode", "SYMMETRIC")
    if mode not in ("SYMMETRIC", "REFLECT"):
        raise ValueError(f"nn.mirror_pad: unknown mode {mode!r}")
    return np.pad(x, width, mode="symmetric" if mode == "SYMMETRIC" else "reflect")


@register_kernel("nn.contrib_dense_pack")
def _dense_pack(attrs, args):
    data, packed = args
    # weight_layout "NC<n>n": packed[o // n, k, o % n] = weight[o, k].
    weight = packed.transpose(0, 2, 1).reshape(-1, packed.shape[1])
    return _dense(attrs, [data, weight])


@register_kernel("nn.cross_entropy")
def _cross_entropy(_attrs, args):
    x, y = args
    total = -np.sum(np.log(x.astype(np.float64)) * y)
    return np.asarray(total / x.shape[0]).astype(x.dtype)


@register_kernel("nn.cross_entropy_with_logits")
def _cross_entropy_with_logits(_attrs, args):
    x, y = args
    total = -np.sum(x.astype(np.float64) * y)
    return np.asarray(total / x.shape[0]).astype(x.dtype)


@register_kernel("nn.fifo_buffer")
def _fifo_buffer(attrs, args):
    data, buffer = args
    axis = normalize_axes(attr(attrs, "axis", 0), buffer.ndim)[0]
    joined = np.concatenate([buffer, data], axis=axis)
    keep = buffer.shape[axis]
    return np.take(joined, np.arange(joined.shape[axis] - keep, joined.shape[axis]), axis=axis)


@register_kernel("nn.dilate")
def _dilate(attrs, args):
    x = args[0]
    strides = int_tuple(attr(attrs, "strides", 1), x.ndim, "strides")
    value = attr(attrs, "dilation_value", 0.0)
    shape = tuple((d - 1) * s + 1 if d else 0 for d, s in zip(x.shape, strides))
    out = np.full(shape, np.asarray(value, x.dtype), dtype=x.dtype)
    out[tuple(slice(None, None, s) for s in strides)] = x
    return out


@register_kernel("nn.nll_loss")
def _nll_loss(attrs, args):
    predictions, targets, weights = args
    ignore = int(attr(attrs, "ignore_index", -100))
    reduction = attr(attrs, "reduction", "mean")
    targets = targets.astype(np.int64)
    valid = targets != ignore
    safe = np.where(valid, targets, 0)
    # predictions[n, t[n, d...], d...]: move the class axis last and pick.
    picked = np.take_along_axis(np.moveaxis(predictions, 1, -1), safe[..., None], axis=-1)[..., 0]
    weight = np.where(valid, weights[safe], 0).astype(np.float64)
    loss = -picked.astype(np.float64) * weight
    if reduction == "none":
        return loss.astype(predictions.dtype)
    if reduction == "sum":
        return np.array(loss.sum(), predictions.dtype)
    return np.array(loss.sum() / weight.sum(), predictions.dtype)


def _bilinear_zero_outside(plane, y, x):
    """Bilinear sample of ``plane`` (C, H, W) at (y, x), as TVM defines the
    deformable convolution: zero when (y, x) is outside ``[0, H) x [0, W)``;
    a neighbour past the last row or column contributes zero."""
    height, width = plane.shape[1:]
    if y < 0 or x < 0 or y >= height or x >= width:
        return np.zeros(plane.shape[0])
    y0, x0 = int(np.floor(y)), int(np.floor(x))
    dy, dx = y - y0, x - x0
    total = np.zeros(plane.shape[0])
    for yy, wy in ((y0, 1 - dy), (y0 + 1, dy)):
        for xx, wx in ((x0, 1 - dx), (x0 + 1, dx)):
            if yy < height and xx < width:
                total += wy * wx * plane[:, yy, xx]
    return total


@register_kernel("nn.deformable_conv2d")
def _deformable_conv2d(attrs, args):
    if attr(attrs, "data_layout", "NCHW") == "NHWC":  # computed in NCHW / OIHW
        data, offset, weight = args
        out = _deformable_conv2d_nchw(attrs, [data.transpose(0, 3, 1, 2), offset.transpose(0, 3, 1, 2),
                                              weight.transpose(3, 2, 0, 1)])
        return np.ascontiguousarray(out.transpose(0, 2, 3, 1))
    return _deformable_conv2d_nchw(attrs, args)


def _deformable_conv2d_nchw(attrs, args):
    data, offset, weight = (a.astype(np.float64) for a in args)
    strides, dilation = attr(attrs, "strides"), attr(attrs, "dilation")
    pad_top, pad_left = attr(attrs, "padding")[:2]
    groups, dgroups = int(attr(attrs, "groups", 1)), int(attr(attrs, "deformable_groups", 1))
    batch, channels, _, _ = data.shape
    out_c, in_per_group, kh, kw = weight.shape
    out_h, out_w = offset.shape[2:]
    ch_per_dgroup = channels // dgroups
    # Sampled input columns: (batch, channels, kh, kw, out_h, out_w).
    cols = np.zeros((batch, channels, kh, kw, out_h, out_w))
    for n in range(batch):
        for g in range(dgroups):
            plane = data[n, g * ch_per_dgroup:(g + 1) * ch_per_dgroup]
            for i in range(kh):
                for j in range(kw):
                    tap = 2 * (g * kh * kw + i * kw + j)
                    for oy in range(out_h):
                        for ox in range(out_w):
                            y = oy * strides[0] - pad_top + i * dilation[0] + offset[n, tap, oy, ox]
                            x = ox * strides[1] - pad_left + j * dilation[1] + offset[n, tap + 1, oy, ox]
                            cols[n, g * ch_per_dgroup:(g + 1) * ch_per_dgroup, i, j, oy, ox] = \
                                _bilinear_zero_outside(plane, y, x)
    out = np.zeros((batch, out_c, out_h, out_w))
    per_group = out_c // groups
    for g in range(groups):
        group_cols = cols[:, g * in_per_group:(g + 1) * in_per_group]
        out[:, g * per_group:(g + 1) * per_group] = np.einsum(
            "ncijyx,ocij->noyx", group_cols, weight[g * per_group:(g + 1) * per_group])
    return out.astype(attr(attrs, "out_dtype", "") or args[0].dtype)
