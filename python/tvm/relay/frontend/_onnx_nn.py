"""ONNX converters: convolution, pooling, normalisation, dropout, padding, resizing."""
import math

import numpy as np

from ..expr import TupleWrapper
from ..op import image as _image
from ..op import nn as _nn
from ..op import reduce as _reduce
from ..op import tensor as _tensor
from ..op import transform as _transform
from ._onnx_common import const, normalize_axis, register

_CONV = {1: _nn.conv1d, 2: _nn.conv2d, 3: _nn.conv3d}
_LAYOUTS = {1: ("NCW", "OIW"), 2: ("NCHW", "OIHW"), 3: ("NCDHW", "OIDHW")}


def _spatial_attrs(node, nd, kernel):
    strides = tuple(node.attr("strides", (1,) * nd))
    dilations = tuple(node.attr("dilations", (1,) * nd))
    if len(strides) != nd or len(dilations) != nd:
        raise node.error(f"strides {strides} and dilations {dilations} must have {nd} values")
    if len(kernel) != nd:
        raise node.error(f"kernel_shape {kernel} must have {nd} values")
    return strides, dilations


def _pads(node, in_sizes, kernel, strides, dilations):
    """``(begin..., end...)`` paddings, resolving ``auto_pad`` as ONNX defines it."""
    nd = len(kernel)
    auto_pad = node.attr("auto_pad", "NOTSET")
    if auto_pad == "NOTSET":
        pads = tuple(node.attr("pads", (0,) * (2 * nd)))
        if len(pads) != 2 * nd:
            raise node.error(f"pads {pads} must have {2 * nd} values")
        return pads
    if auto_pad == "VALID":
        return (0,) * (2 * nd)
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise node.error(f"unknown auto_pad {auto_pad!r}")
    begins, ends = [], []
    for size, k, s, d in zip(in_sizes, kernel, strides, dilations):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        small, big = total // 2, total - total // 2
        begins.append(small if auto_pad == "SAME_UPPER" else big)
        ends.append(big if auto_pad == "SAME_UPPER" else small)
    return tuple(begins + ends)


# Shared with the quantized convolutions of _onnx_quantized.
spatial_attrs = _spatial_attrs
conv_pads = _pads


@register("Conv")
def _conv(node, graph):
    from ._onnx_quantized import integer_conv  # pylint: disable=import-outside-toplevel

    integer = integer_conv(node, graph)  # QDQ: dequantized data and weight
    if integer is not None:
        return integer
    data, weight, bias = node.require(0, "X"), node.require(1, "W"), node.input(2)
    shape = graph.static_shape(data, node, "X")
    wshape = graph.static_shape(weight, node, "W")
    nd = len(shape) - 2
    if nd not in _CONV:
        raise node.unsupported(f"a {len(shape)}-d input")
    kernel = tuple(node.attr("kernel_shape", wshape[2:]))
    strides, dilations = _spatial_attrs(node, nd, kernel)
    pads = _pads(node, shape[2:], kernel, strides, dilations)
    data_layout, kernel_layout = _LAYOUTS[nd]
    out = _CONV[nd](data, weight, strides=strides, padding=pads, dilation=dilations,
                    groups=node.attr("group", 1), channels=wshape[0], kernel_size=kernel,
                    data_layout=data_layout, kernel_layout=kernel_layout)
    if bias is not None:
        out = _nn.bias_add(out, bias, axis=1)
    return out


@register("ConvTranspose")
def _conv_transpose(node, graph):
    data, weight, bias = node.require(0, "X"), node.require(1, "W"), node.input(2)
    shape = graph.static_shape(data, node, "X")
    wshape = graph.static_shape(weight, node, "W")
    nd = len(shape) - 2
    if nd not in (1, 2, 3):
        raise node.unsupported(f"ConvTranspose of a {len(shape)}-d input")
    kernel = tuple(node.attr("kernel_shape", wshape[2:]))
    strides, dilations = _spatial_attrs(node, nd, kernel)
    groups = node.attr("group", 1)
    output_padding = list(node.attr("output_padding", (0,) * nd))
    output_shape = node.attr("output_shape")
    auto_pad = node.attr("auto_pad", "NOTSET")
    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if output_shape is None:
            output_shape = [size * s for size, s in zip(shape[2:], strides)]
        output_shape = list(output_shape)[-nd:]
        begins, ends = [], []
        for i in range(nd):
            full = strides[i] * (shape[2 + i] - 1) + output_padding[i] + \
                (kernel[i] - 1) * dilations[i] + 1
            total = full - output_shape[i]
            if total < 0:  # the requested output is larger: extend it with output_padding
                output_padding[i] -= total
                total = 0
            small, big = total // 2, total - total // 2
            # As ONNX Runtime: the odd pixel is cropped at the end for SAME_UPPER,
            # at the start otherwise.
            begins.append(small if auto_pad == "SAME_UPPER" else big)
            ends.append(big if auto_pad == "SAME_UPPER" else small)
        pads = tuple(begins + ends)
    elif auto_pad == "VALID":
        pads = (0,) * (2 * nd)
    else:
        pads = tuple(node.attr("pads", (0,) * (2 * nd)))
    if nd == 1:  # as a 2-d transposed convolution over a height of one
        data = _transform.expand_dims(data, 2)
        weight = _transform.expand_dims(weight, 2)
        kernel, strides, dilations = (1,) + kernel, (1,) + strides, (1,) + dilations
        pads = (0, pads[0], 0, pads[1])
        output_padding = [0] + output_padding
    conv_transpose = _nn.conv3d_transpose if nd == 3 else _nn.conv2d_transpose
    out = conv_transpose(data, weight, strides=strides, padding=pads, dilation=dilations,
                         groups=groups, channels=wshape[1] * groups, kernel_size=kernel,
                         output_padding=tuple(output_padding))
    if nd == 1:
        out = _transform.squeeze(out, axis=(2,))
    if bias is not None:
        out = _nn.bias_add(out, bias, axis=1)
    return out


# -- pooling ----------------------------------------------------------------------

_POOLS = {
    ("MaxPool", 1): _nn.max_pool1d, ("MaxPool", 2): _nn.max_pool2d, ("MaxPool", 3): _nn.max_pool3d,
    ("AveragePool", 1): _nn.avg_pool1d, ("AveragePool", 2): _nn.avg_pool2d,
    ("AveragePool", 3): _nn.avg_pool3d,
}


@register("MaxPool", "AveragePool")
def _pool(node, graph):
    data = node.require(0, "X")
    shape = graph.static_shape(data, node, "X")
    nd = len(shape) - 2
    if (node.op_type, nd) not in _POOLS:
        raise node.unsupported(f"a {len(shape)}-d input")
    if node.output_used(1):
        raise node.unsupported("the Indices output of MaxPool")
    if node.attr("storage_order", 0):
        raise node.unsupported("storage_order=1")
    kernel = tuple(node.attr("kernel_shape", ()))
    if not kernel:
        raise node.error("kernel_shape is required")
    strides, dilations = _spatial_attrs(node, nd, kernel)
    pads = _pads(node, shape[2:], kernel, strides, dilations)
    kwargs = {"pool_size": kernel, "strides": strides, "dilation": dilations, "padding": pads,
              "layout": _LAYOUTS[nd][0], "ceil_mode": bool(node.attr("ceil_mode", 0))}
    if node.op_type == "AveragePool":
        kwargs["count_include_pad"] = bool(node.attr("count_include_pad", 0))
    return _POOLS[(node.op_type, nd)](data, **kwargs)


@register("LpPool")
def _lp_pool(node, graph):
    """(sum over the window of |x|^p)^(1/p): an average pool of |x|^p counting the
    zero padding, times the window size (the padded zeros add nothing)."""
    data = node.require(0, "X")
    shape = graph.static_shape(data, node, "X")
    nd = len(shape) - 2
    if ("AveragePool", nd) not in _POOLS:
        raise node.unsupported(f"a {len(shape)}-d input")
    if node.attr("ceil_mode", 0):
        raise node.unsupported("ceil_mode=1")
    kernel = tuple(node.attr("kernel_shape", ()))
    if not kernel:
        raise node.error("kernel_shape is required")
    strides, dilations = _spatial_attrs(node, nd, kernel)
    pads = _pads(node, shape[2:], kernel, strides, dilations)
    dtype = graph.dtype(data)
    p = float(node.attr("p", 2))
    powered = _lp_power(data, p, dtype)
    pooled = _POOLS[("AveragePool", nd)](
        powered, pool_size=kernel, strides=strides, dilation=dilations, padding=pads,
        layout=_LAYOUTS[nd][0], count_include_pad=True)
    summed = _tensor.multiply(pooled, const(float(np.prod(kernel)), dtype))
    return _lp_root(summed, p, dtype)


@register("GlobalLpPool")
def _global_lp_pool(node, graph):
    data = node.require(0, "X")
    ndim = len(graph.shape(data))
    if ndim < 3:
        raise node.error(f"needs an (N, C, ...) input, got rank {ndim}")
    dtype = graph.dtype(data)
    p = float(node.attr("p", 2))
    summed = _reduce.sum(_lp_power(data, p, dtype), axis=tuple(range(2, ndim)), keepdims=True)
    return _lp_root(summed, p, dtype)


def _lp_power(data, p, dtype):
    magnitude = _tensor.abs(data)
    return magnitude if p == 1 else _tensor.power(magnitude, const(p, dtype))


def _lp_root(data, p, dtype):
    return data if p == 1 else _tensor.power(data, const(1.0 / p, dtype))


@register("MaxUnpool")
def _max_unpool(node, graph):
    """Scatter the values to the flat positions MaxPool's Indices name (over the
    whole N x C x spatial output) in a zero tensor of the output's shape."""
    data, indices = node.require(0, "X"), node.require(1, "I")
    shape = graph.static_shape(data, node, "X")
    nd = len(shape) - 2
    kernel = tuple(node.attr("kernel_shape", ()))
    if len(kernel) != nd:
        raise node.error(f"kernel_shape must have {nd} values, got {kernel}")
    strides = tuple(node.attr("strides", (1,) * nd))
    pads = tuple(node.attr("pads", (0,) * (2 * nd)))
    out_shape = [int(d) for d in shape[:2]] + [
        (int(shape[2 + i]) - 1) * strides[i] + kernel[i] - pads[i] - pads[nd + i]
        for i in range(nd)]
    if node.input(2) is not None:
        given = [int(d) for d in np.asarray(graph.static(node.input(2), node, "output_shape")).ravel()]
        if len(given) != len(shape):
            raise node.error(f"output_shape must have {len(shape)} values, got {given}")
        out_shape = given
    total = int(np.prod(out_shape))
    flat_values = _transform.reshape(data, (-1,))
    flat_indices = _transform.reshape(indices, (-1,))
    zeros = _tensor.zeros((total,), graph.dtype(data))
    return _transform.reshape(_transform.scatter(zeros, flat_indices, flat_values, 0), out_shape)


@register("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(node, graph):
    data = node.require(0, "X")
    ndim = len(graph.shape(data))
    if ndim == 4:
        func = _nn.global_avg_pool2d if node.op_type == "GlobalAveragePool" \
            else _nn.global_max_pool2d
        return func(data)
    if ndim < 3:
        raise node.error(f"needs an (N, C, ...) input, got rank {ndim}")
    func = _reduce.mean if node.op_type == "GlobalAveragePool" else _reduce.max
    return func(data, axis=tuple(range(2, ndim)), keepdims=True)


# -- normalisation -------------------------------------------------------------------


@register("BatchNormalization")
def _batch_norm(node, graph):  # pylint: disable=unused-argument
    if node.attr("training_mode", 0) or any(node.output_used(i) for i in (1, 2)):
        raise node.unsupported("training mode (running statistics outputs)")
    args = [node.require(i, name) for i, name in
            enumerate(("X", "scale", "B", "input_mean", "input_var"))]
    out = _nn.batch_norm(*args, axis=1, epsilon=node.attr("epsilon", 1e-5))
    return out[0] if isinstance(out, TupleWrapper) else out


@register("InstanceNormalization")
def _instance_norm(node, graph):  # pylint: disable=unused-argument
    return _nn.instance_norm(node.require(0, "input"), node.require(1, "scale"),
                             node.require(2, "B"), axis=1, epsilon=node.attr("epsilon", 1e-5))


@register("LayerNormalization")
def _layer_norm(node, graph):
    data, scale, bias = node.require(0, "X"), node.require(1, "Scale"), node.input(2)
    shape = graph.shape(data)
    dtype = graph.dtype(data)
    axis = normalize_axis(node.attr("axis", -1), len(shape), node)
    epsilon = node.attr("epsilon", 1e-5)
    if node.attr("stash_type", 1) != 1:
        raise node.unsupported("stash_type other than 1 (float32)")
    extra_outputs = node.output_used(1) or node.output_used(2)
    if (axis == len(shape) - 1 and not extra_outputs
            and graph.shape(scale) == (shape[-1],)
            and (bias is None or graph.shape(bias) == (shape[-1],))):
        beta = bias if bias is not None else const(np.zeros(shape[-1]), dtype)
        return _nn.layer_norm(data, scale, beta, axis=-1, epsilon=epsilon,
                              center=bias is not None)
    axes = tuple(range(axis, len(shape)))
    mean = _reduce.mean(data, axes, keepdims=True)
    centered = _tensor.subtract(data, mean)
    var = _reduce.mean(_tensor.multiply(centered, centered), axes, keepdims=True)
    inv_std = _tensor.rsqrt(_tensor.add(var, const(epsilon, dtype)))
    out = _tensor.multiply(_tensor.multiply(centered, inv_std), scale)
    if bias is not None:
        out = _tensor.add(out, bias)
    return [out, mean, inv_std]


@register("GroupNormalization")
def _group_norm(node, graph):
    data, scale, bias = node.require(0, "X"), node.require(1, "scale"), node.require(2, "bias")
    shape = graph.static_shape(data, node, "X")
    groups = node.attr("num_groups")
    if groups is None:
        raise node.error("attribute 'num_groups' is required")
    channels = shape[1]
    if graph.shape(scale) == (groups,) and groups != channels:
        # Opset 18 gives one scale/bias per group: repeat it per channel.
        scale = _transform.repeat(scale, channels // groups, 0)
        bias = _transform.repeat(bias, channels // groups, 0)
    return _nn.group_norm(data, scale, bias, groups, axis=1, epsilon=node.attr("epsilon", 1e-5))


@register("LRN")
def _lrn(node, graph):  # pylint: disable=unused-argument
    size = node.attr("size")
    if size is None:
        raise node.error("attribute 'size' is required")
    # Both ONNX and nn.lrn divide alpha by the window size.
    return _nn.lrn(node.require(0, "X"), size=size, axis=1, bias=node.attr("bias", 1.0),
                   alpha=node.attr("alpha", 1e-4), beta=node.attr("beta", 0.75))


@register("Dropout")
def _dropout(node, graph):
    data = node.require(0, "data")
    if node.attr("is_test", 1) == 0 and node.opset < 7:
        raise node.unsupported("training-mode Dropout")
    if node.input(2) is not None:
        training = graph.value(node.input(2))
        if training is None or bool(training.reshape(())):
            raise node.unsupported("training-mode Dropout")
    outputs = [data]
    if node.output_used(1):  # the mask keeps every element at inference
        outputs.append(const(np.ones(graph.static_shape(data, node), "bool"), "bool"))
    return outputs


# -- padding and resizing -----------------------------------------------------------


@register("Pad")
def _pad(node, graph):
    data = node.require(0, "data")
    shape = graph.static_shape(data, node, "data")
    ndim = len(shape)
    mode = node.attr("mode", "constant")
    dtype = graph.dtype(data)
    if node.opset < 11:
        pads = list(node.attr("pads", node.attr("paddings", ())))
        value = const(node.attr("value", 0.0), dtype)
    else:
        pads = [int(p) for p in graph.static(node.require(1, "pads"), node, "pads").ravel()]
        value_expr = node.input(2)
        value = const(0, dtype) if value_expr is None else _transform.reshape(value_expr, ())
        axes_expr = node.input(3)
        if axes_expr is not None:
            axes = [normalize_axis(a, ndim, node, "axes")
                    for a in graph.static(axes_expr, node, "axes").ravel()]
            full = [0] * (2 * ndim)
            for i, axis in enumerate(axes):
                full[axis], full[ndim + axis] = pads[i], pads[len(axes) + i]
            pads = full
    if len(pads) != 2 * ndim:
        raise node.error(f"pads {pads} must have {2 * ndim} values for a rank-{ndim} input")
    widths = [(max(pads[i], 0), max(pads[ndim + i], 0)) for i in range(ndim)]
    if mode not in ("constant", "reflect", "edge"):
        raise node.unsupported(f"mode {mode!r}")
    out = _nn.pad(data, widths, value, pad_mode=mode) if any(sum(w) for w in widths) else data
    if any(p < 0 for p in pads):  # negative pads crop
        begin = [-min(pads[i], 0) for i in range(ndim)]
        end = [widths[i][0] + shape[i] + widths[i][1] + min(pads[ndim + i], 0)
               for i in range(ndim)]
        out = _transform.strided_slice(out, begin, end)
    return out


_RESIZE = {3: _image.resize1d, 4: _image.resize2d, 5: _image.resize3d}
_RESIZE_METHODS = {"nearest": "nearest_neighbor", "linear": "linear", "cubic": "cubic"}


@register("Resize", "Upsample")
def _resize(node, graph):
    data = node.require(0, "X")
    shape = graph.static_shape(data, node, "X")
    ndim = len(shape)
    if ndim not in _RESIZE:
        raise node.unsupported(f"resizing a rank-{ndim} tensor")
    mode = node.attr("mode", "nearest")
    if mode not in _RESIZE_METHODS:
        raise node.error(f"unknown mode {mode!r}")
    roi = None
    sizes = scales = None
    if node.op_type == "Upsample" or node.opset < 11:
        scale_input = 1 if node.op_type == "Resize" or node.opset >= 9 else None
        if scale_input is None:
            scales = np.asarray(node.attr("scales"), "float32")
        else:
            scales = graph.static(node.require(scale_input, "scales"), node, "scales")
        coord_mode = "asymmetric"
        nearest_mode = "floor"
    else:
        coord_mode = node.attr("coordinate_transformation_mode", "half_pixel")
        nearest_mode = node.attr("nearest_mode", "round_prefer_floor")
        if node.input(3) is not None and graph.value(node.input(3)) is not None \
                and graph.value(node.input(3)).size:
            sizes = graph.static(node.input(3), node, "sizes")
        elif node.input(2) is not None:
            scales = graph.static(node.input(2), node, "scales")
        if scales is not None and scales.size == 0:
            scales = None
        if sizes is None and scales is None:
            raise node.error("needs scales or sizes")
        if node.input(1) is not None and coord_mode == "tf_crop_and_resize":
            roi = graph.static(node.input(1), node, "roi").ravel()
        if node.opset >= 18:
            if node.attr("axes") is not None:
                raise node.unsupported("the axes attribute")
            if node.attr("antialias", 0):
                raise node.unsupported("antialias=1")
            if node.attr("keep_aspect_ratio_policy", "stretch") != "stretch":
                raise node.unsupported("keep_aspect_ratio_policy other than 'stretch'")
    if sizes is not None:
        out_shape = [int(s) for s in sizes.ravel()]
    else:
        scales = [float(s) for s in np.asarray(scales).ravel()]
        out_shape = [int(math.floor(d * s)) for d, s in zip(shape, scales)]
        if coord_mode not in ("align_corners", "tf_crop_and_resize") and any(
            d * s != o for d, s, o in zip(shape, scales, out_shape)
        ):
            # TOPI maps coordinates with in/out size ratios, ONNX with the scales:
            # they agree only when the scaled sizes are whole.
            raise node.unsupported(f"scales {scales} that do not give whole output sizes")
    if len(out_shape) != ndim:
        raise node.error(f"scales/sizes must have {ndim} values, got {out_shape}")
    if tuple(out_shape[:2]) != tuple(shape[:2]):
        raise node.unsupported("resizing the batch or channel axis")
    if roi is not None:
        spatial = ndim - 2
        roi = tuple(float(r) for r in list(roi[2:ndim]) + list(roi[ndim + 2:]))
        if len(roi) != 2 * spatial:
            raise node.error("roi must have 2 * rank values")
    rounding = nearest_mode if mode == "nearest" else ""
    if coord_mode == "half_pixel_symmetric":
        raise node.unsupported("coordinate_transformation_mode 'half_pixel_symmetric'")
    layout = {3: "NCW", 4: "NCHW", 5: "NCDHW"}[ndim]
    return _RESIZE[ndim](
        data, tuple(out_shape[2:]), roi=roi, layout=layout, method=_RESIZE_METHODS[mode],
        coordinate_transformation_mode=coord_mode, rounding_method=rounding,
        cubic_alpha=node.attr("cubic_coeff_a", -0.75), cubic_exclude=node.attr("exclude_outside", 0),
        extrapolation_value=node.attr("extrapolation_value", 0.0))


def _space_to_depth_crd(node, graph, data, block):
    """SpaceToDepth in CRD order: output channel ``c * block^2 + dy * block + dx``."""
    n, c, h, w = graph.static_shape(data, node, "input")
    if h % block or w % block:
        raise node.error(f"spatial size {(h, w)} is not a multiple of blocksize {block}")
    tiles = _transform.reshape(data, (n, c, h // block, block, w // block, block))
    tiles = _transform.transpose(tiles, (0, 1, 3, 5, 2, 4))
    return _transform.reshape(tiles, (n, c * block * block, h // block, w // block))


@register("DepthToSpace", "SpaceToDepth")
def _depth_space(node, graph):  # pylint: disable=unused-argument
    data = node.require(0, "input")
    block = node.attr("blocksize")
    if block is None:
        raise node.error("attribute 'blocksize' is required")
    if node.op_type == "SpaceToDepth":
        mode = node.attr("mode", "DCR")  # an attribute from opset 28
        if mode == "CRD":
            return _space_to_depth_crd(node, graph, data, int(block))
        if mode != "DCR":
            raise node.error(f"mode must be DCR or CRD, got {mode!r}")
        return _nn.space_to_depth(data, block)
    return _nn.depth_to_space(data, block, mode=node.attr("mode", "DCR"))
