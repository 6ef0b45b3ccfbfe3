"""Converters: convolution, normalisation, pooling, resizing, embedding, dropout, padding.

Layouts are torch's: NCW / NCHW data, OIW / OIHW kernels (IOHW for transposed
convolutions, which is also Relay's ``conv2d_transpose`` kernel layout here).
"""
from ... import op as _op_registry  # noqa: F401
from ...op import nn as _nn
from ...op import reduce as _reduce
from ...op import tensor as _tensor
from ...op import transform as _transform
from ...op.image import image as _image
from ._helpers import dtype_of, int_list, shape_of, static_int, to_expr
from ._registry import Unavailable, register

__all__ = []


def _tuple(value, rank, what):
    values = int_list(value, what)
    if values is None or len(values) == 0:
        return None
    return tuple(values * rank if len(values) == 1 else values)


def convolution(ctx, data, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """Relay for ``aten::convolution``'s arguments (1-, 2- and 3-d, plain and transposed)."""
    rank = len(shape_of(data)) - 2
    if rank not in (1, 2, 3):
        raise ctx.unsupported(f"{rank}-d convolution")
    if isinstance(padding, str):
        raise ctx.unsupported(f"padding={padding!r} (trace or export resolves it to numbers)")
    stride, padding = _tuple(stride, rank, "stride"), _tuple(padding, rank, "padding")
    dilation = _tuple(dilation, rank, "dilation")
    groups = static_int(groups, "groups")
    kernel = shape_of(weight)
    spatial = "DHW"[3 - rank:]
    if transposed:
        output_padding = _tuple(output_padding, rank, "output_padding") or (0,) * rank
        fn = {1: _nn.conv1d_transpose, 2: _nn.conv2d_transpose, 3: _nn.conv3d_transpose}[rank]
        out = fn(data, weight, strides=stride, padding=padding, dilation=dilation, groups=groups,
                 channels=kernel[1] * groups, kernel_size=kernel[2:],
                 data_layout="NC" + spatial, kernel_layout="IO" + spatial,
                 output_padding=output_padding)
    else:
        fn = {1: _nn.conv1d, 2: _nn.conv2d, 3: _nn.conv3d}[rank]
        out = fn(data, weight, strides=stride, padding=padding, dilation=dilation, groups=groups,
                 channels=kernel[0], kernel_size=kernel[2:], data_layout="NC" + spatial,
                 kernel_layout="OI" + spatial)
    if bias is not None:
        out = _nn.bias_add(out, bias, axis=1)
    return out


@register("aten::_convolution", "aten::convolution")
def _convolution(ctx, inputs):
    return convolution(ctx, *inputs[:9])


@register("aten::conv1d", "aten::conv2d", "aten::conv3d")
def _conv(ctx, inputs):
    data, weight, bias, stride, padding, dilation, groups = inputs[:7]
    return convolution(ctx, data, weight, bias, stride, padding, dilation, False, None, groups)


@register("aten::conv_transpose1d", "aten::conv_transpose2d", "aten::conv_transpose3d")
def _conv_transpose(ctx, inputs):
    data, weight, bias, stride, padding, output_padding, groups, dilation = inputs[:8]
    return convolution(ctx, data, weight, bias, stride, padding, dilation, True, output_padding,
                       groups)


# -- normalisation -------------------------------------------------------------------------

def _ones_or(value, channels, dtype, fill):
    if value is not None:
        return value
    return to_expr([fill] * channels, dtype)


def _batch_norm(data, weight, bias, mean, var, eps):
    channels = shape_of(data)[1]
    dtype = dtype_of(data)
    weight = _ones_or(weight, channels, dtype, 1.0)
    bias = _ones_or(bias, channels, dtype, 0.0)
    return _nn.batch_norm(data, weight, bias, mean, var, axis=1, epsilon=float(eps))[0]


@register("aten::batch_norm")
def _batch_norm_op(ctx, inputs):
    data, weight, bias, mean, var, training, _momentum, eps = inputs[:8]
    if training or mean is None:
        raise ctx.unsupported("batch statistics (training mode); call model.eval() first")
    return _batch_norm(data, weight, bias, mean, var, eps)


@register("aten::_native_batch_norm_legit_no_training")
def _batch_norm_core(ctx, inputs):
    data, weight, bias, mean, var, _momentum, eps = inputs[:7]
    out = _batch_norm(data, weight, bias, mean, var, eps)
    # the saved mean / inverse std outputs are empty in inference mode
    empty = to_expr([], dtype_of(data))
    return out, empty, empty


def _layer_norm(ctx, data, normalized_shape, weight, bias, eps):
    shape = shape_of(data)
    normalized = int_list(normalized_shape, "normalized_shape")
    if tuple(shape[len(shape) - len(normalized):]) != tuple(normalized):
        raise ValueError(f"{ctx.op_name}: normalized_shape {normalized} does not end the input "
                         f"shape {shape}")
    dtype = dtype_of(data)
    if len(normalized) == 1:
        weight = _ones_or(weight, normalized[0], dtype, 1.0)
        bias = _ones_or(bias, normalized[0], dtype, 0.0)
        return _nn.layer_norm(data, weight, bias, axis=-1, epsilon=float(eps))
    axes = list(range(len(shape) - len(normalized), len(shape)))
    mean = _reduce.mean(data, axes, keepdims=True)
    centred = _tensor.subtract(data, mean)
    var = _reduce.mean(_tensor.multiply(centred, centred), axes, keepdims=True)
    out = _tensor.divide(centred, _tensor.sqrt(_tensor.add(var, to_expr(float(eps), dtype))))
    if weight is not None:
        out = _tensor.multiply(out, weight)
    if bias is not None:
        out = _tensor.add(out, bias)
    return out


@register("aten::layer_norm")
def _layer_norm_op(ctx, inputs):
    return _layer_norm(ctx, *inputs[:5])


@register("aten::native_layer_norm")
def _native_layer_norm(ctx, inputs):
    out = _layer_norm(ctx, *inputs[:5])
    if ctx.num_outputs == 1:
        return out
    # mean and rstd are only read by backward graphs; provide them for completeness
    data = inputs[0]
    shape = shape_of(data)
    axes = list(range(len(shape) - len(int_list(inputs[1])), len(shape)))
    mean = _reduce.mean(data, axes, keepdims=True)
    var = _reduce.variance(data, axes, keepdims=True)
    rstd = _tensor.rsqrt(_tensor.add(var, to_expr(float(inputs[4]), dtype_of(data))))
    return out, mean, rstd


@register("aten::instance_norm")
def _instance_norm(ctx, inputs):
    data, weight, bias, _mean, _var, use_input_stats, _momentum, eps = inputs[:8]
    if not use_input_stats:
        raise ctx.unsupported("running statistics (track_running_stats in eval mode)")
    channels = shape_of(data)[1]
    dtype = dtype_of(data)
    return _nn.instance_norm(data, _ones_or(weight, channels, dtype, 1.0),
                             _ones_or(bias, channels, dtype, 0.0), axis=1, epsilon=float(eps))


@register("aten::group_norm")
def _group_norm(ctx, inputs):
    data, groups, weight, bias, eps = inputs[:5]
    channels = shape_of(data)[1]
    dtype = dtype_of(data)
    return _nn.group_norm(data, _ones_or(weight, channels, dtype, 1.0),
                          _ones_or(bias, channels, dtype, 0.0), static_int(groups),
                          axis=1, epsilon=float(eps))


# -- pooling -------------------------------------------------------------------------------

def _pool_args(ctx, data, kernel, stride, padding):
    rank = len(shape_of(data)) - 2
    kernel = _tuple(kernel, rank, "kernel_size")
    stride = _tuple(stride, rank, "stride") or kernel
    padding = _tuple(padding, rank, "padding") or (0,) * rank
    return rank, kernel, stride, padding


@register("aten::max_pool1d", "aten::max_pool2d", "aten::max_pool3d",
          "aten::max_pool2d_with_indices")
def _max_pool(ctx, inputs):
    data, kernel, stride, padding, dilation, ceil_mode = inputs[:6]
    rank, kernel, stride, padding = _pool_args(ctx, data, kernel, stride, padding)
    dilation = _tuple(dilation, rank, "dilation")
    fn = {1: _nn.max_pool1d, 2: _nn.max_pool2d, 3: _nn.max_pool3d}[rank]
    out = fn(data, kernel, stride, dilation, padding, ceil_mode=bool(ceil_mode))
    if ctx.op_name.endswith("with_indices"):
        return out, Unavailable("the indices output of max_pool2d_with_indices")
    return out


@register("aten::avg_pool1d", "aten::avg_pool2d", "aten::avg_pool3d")
def _avg_pool(ctx, inputs):
    data, kernel, stride, padding, ceil_mode, count_include_pad = inputs[:6]
    divisor = inputs[6] if len(inputs) > 6 else None
    if divisor is not None:
        raise ctx.unsupported("divisor_override")
    rank, kernel, stride, padding = _pool_args(ctx, data, kernel, stride, padding)
    fn = {1: _nn.avg_pool1d, 2: _nn.avg_pool2d, 3: _nn.avg_pool3d}[rank]
    return fn(data, kernel, stride, (1,) * rank, padding, ceil_mode=bool(ceil_mode),
              count_include_pad=bool(count_include_pad))


@register("aten::adaptive_avg_pool1d", "aten::adaptive_avg_pool2d", "aten::adaptive_avg_pool3d",
          "aten::adaptive_max_pool1d", "aten::adaptive_max_pool2d", "aten::adaptive_max_pool3d")
def _adaptive_pool(ctx, inputs):
    data, size = inputs[0], inputs[1]
    rank = len(shape_of(data)) - 2
    size = _tuple(size, rank, "output_size")
    in_size = shape_of(data)[2:]
    size = tuple(s if s is not None else d for s, d in zip(size, in_size))
    kind = "max" if "max" in ctx.op_name else "avg"
    fn = getattr(_nn, f"adaptive_{kind}_pool{rank}d")
    out = fn(data, size)
    if kind == "max" and ctx.num_outputs > 1:
        return out, Unavailable(f"the indices output of {ctx.op_name}")
    return out


# -- resizing ------------------------------------------------------------------------------

def _resize_size(ctx, data, output_size, scales):
    in_size = shape_of(data)[2:]
    if output_size is not None:
        return tuple(int_list(output_size, "output_size"))
    if scales is None or any(s is None for s in scales):
        raise ctx.unsupported("a resize without output_size or scale factors")
    # torch computes floor(input * scale) for the output size
    return tuple(int(d * float(s)) for d, s in zip(in_size, scales))


def _resize(ctx, data, size, method, align_corners, scales):
    rank = len(shape_of(data)) - 2
    if method == "nearest_neighbor":
        mode, rounding = "asymmetric", "floor"
    else:
        mode, rounding = ("align_corners" if align_corners else "half_pixel"), ""
    # with explicit scale factors torch maps output pixels with the given scale, not the size
    # ratio; the two agree whenever input * scale is an integer (checked here)
    if scales is not None and not align_corners:
        for d, s, o in zip(shape_of(data)[2:], scales, size):
            if s is not None and abs(d * float(s) - o) > 1e-6:
                raise ctx.unsupported(f"scale factor {s} that does not give a whole output size")
    # torch's bicubic kernel uses a = -0.75 and samples outside the input clamped
    extra = {"cubic_alpha": -0.75, "cubic_exclude": 0} if method == "cubic" else {}
    options = dict(method=method, coordinate_transformation_mode=mode,
                   rounding_method=rounding, **extra)
    if rank == 2:
        return _image.resize2d(data, size, layout="NCHW", **options)
    if rank == 1:
        return _image.resize1d(data, size, layout="NCW", **options)
    if rank == 3 and method != "cubic":
        return _image.resize3d(data, size, layout="NCDHW", **options)
    raise ctx.unsupported(f"{rank}-d {method} resizing")


def _scales(ctx, inputs, first):
    """Scale factors from either schema: a list (``.vec``) or trailing per-axis floats."""
    rest = inputs[first:]
    if len(rest) == 1 and (rest[0] is None or isinstance(rest[0], list | tuple)):
        return rest[0]
    if all(r is None for r in rest):
        return None
    return list(rest)


@register("aten::upsample_nearest1d", "aten::upsample_nearest2d", "aten::upsample_nearest3d")
def _upsample_nearest(ctx, inputs):
    scales = _scales(ctx, inputs, 2)
    size = _resize_size(ctx, inputs[0], inputs[1], scales)
    return _resize(ctx, inputs[0], size, "nearest_neighbor", False, scales)


@register("aten::upsample_linear1d", "aten::upsample_bilinear2d", "aten::upsample_trilinear3d",
          "aten::upsample_bicubic2d")
def _upsample_linear(ctx, inputs):
    scales = _scales(ctx, inputs, 3)
    size = _resize_size(ctx, inputs[0], inputs[1], scales)
    method = "cubic" if ctx.op_name.endswith("bicubic2d") else "linear"
    return _resize(ctx, inputs[0], size, method, bool(inputs[2]), scales)


# -- others --------------------------------------------------------------------------------

@register(*("aten::dropout", "aten::dropout_", "aten::feature_dropout", "aten::alpha_dropout",
            "aten::detach", "aten::detach_", "aten::clone", "aten::contiguous", "aten::lift_fresh_copy",
            "aten::alias", "aten::_assert_tensor_metadata"))
def _identity(ctx, inputs):
    if ctx.op_name.endswith("dropout") and len(inputs) > 2 and inputs[2] is True:
        raise ctx.unsupported("dropout in training mode; call model.eval() first")
    return inputs[0]


@register("aten::embedding")
def _embedding(ctx, inputs):
    weight, indices = inputs[0], inputs[1]
    # out-of-range ids are clipped to the table (torch raises an IndexError)
    return _transform.take(weight, indices, axis=0, mode="clip")


def _pad_widths(ctx, rank, pad):
    # torch lists (before, after) pairs from the last axis backwards
    widths = [[0, 0] for _ in range(rank)]
    for i in range(len(pad) // 2):
        widths[rank - 1 - i] = [pad[2 * i], pad[2 * i + 1]]
    if any(w < 0 for pair in widths for w in pair):
        raise ctx.unsupported("negative padding")
    return widths


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": None}


@register("aten::constant_pad_nd", "aten::pad", "aten::reflection_pad1d",
          "aten::reflection_pad2d", "aten::reflection_pad3d", "aten::replication_pad1d",
          "aten::replication_pad2d", "aten::replication_pad3d")
def _pad(ctx, inputs):
    data, pad = inputs[0], int_list(inputs[1], "pad")
    if ctx.op_name == "aten::pad":
        mode, value = inputs[2], inputs[3]
    elif ctx.op_name == "aten::constant_pad_nd":
        mode, value = "constant", inputs[2]
    else:
        mode, value = ("reflect" if "reflection" in ctx.op_name else "replicate"), None
    if _PAD_MODES.get(mode) is None:
        raise ctx.unsupported(f"mode={mode!r}")
    widths = _pad_widths(ctx, len(shape_of(data)), pad)
    if mode == "reflect":
        return _nn.mirror_pad(data, widths, "REFLECT")
    if mode == "replicate":
        return _nn.pad(data, widths, pad_mode="edge")
    return _nn.pad(data, widths, 0.0 if value is None else float(value))


@register("aten::softplus")
def _softplus(ctx, inputs):
    data, beta, threshold = inputs[0], float(inputs[1]), float(inputs[2])
    dtype = dtype_of(data)
    scaled = _tensor.multiply(data, to_expr(beta, dtype))
    soft = _tensor.divide(_tensor.log(_tensor.add(_tensor.exp(scaled), to_expr(1.0, dtype))),
                          to_expr(beta, dtype))
    return _transform.where(_tensor.greater(scaled, to_expr(threshold, dtype)), data, soft)



_NLL_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


@register("aten::nll_loss", "aten::nll_loss_nd", "aten::nll_loss2d")
def _nll_loss(ctx, inputs):
    """``nll_loss(input, target, weight, reduction, ignore_index)``; ``input`` is
    ``(N, C)`` or ``(N, C, d1, ...)``; no ``weight`` weighs every class 1."""
    predictions, targets, weights = inputs[0], inputs[1], inputs[2]
    reduction, ignore_index = static_int(inputs[3], "reduction"), static_int(inputs[4], "ignore_index")
    if reduction not in _NLL_REDUCTIONS:
        raise ctx.unsupported(f"reduction={reduction}")
    if weights is None:
        weights = _tensor.ones((shape_of(predictions)[1],), dtype_of(predictions))
    return _nn.nll_loss(predictions, targets, weights, _NLL_REDUCTIONS[reduction], ignore_index)
