"""Convolutions: type relations and TOPI computes of ``nn.conv1d``, ``nn.conv2d``,
``nn.conv3d`` and the packed-layout ``nn.contrib_*conv2d_NCHWc``.

Kernel conventions (as upstream):

* generic: the kernel's ``O`` axis is the output channels and ``I`` the input
  channels per group (``in_channels // groups``);
* depthwise (``groups == in_channels``) with a kernel layout ending in ``OI``
  (``HWOI``): ``O`` is the input channels and ``I`` the channel multiplier,
  the layout of ``topi.nn.depthwise_conv2d_nhwc``;
* depthwise in ``OIHW``: the grouped form ``(in_channels * m, 1, kh, kw)``, or
  0.8's form ``(in_channels, m, kh, kw)`` (the same array, see
  :func:`_is_depthwise_multiplier_v08`);

Transposed convolutions are in :mod:`._conv_transpose`.
"""
from tvm import te, tirx, topi

from ...ty import TensorType
from .._util import define
from ..op import OpPattern
from ..type_relations import (
    RelationError,
    dim_conv_out,
    dim_mul,
    dims_equal,
    is_any,
    from_primal,
    shape_str,
    tensor_arg,
    to_primal,
)

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _check_dtypes(data, weight):
    if data.dtype == weight.dtype:
        return
    ints = ("int", "uint")
    if data.dtype.startswith(ints) and weight.dtype.startswith(ints):
        return  # mixed integer inputs (quantised) are allowed, as upstream
    raise RelationError(f"dtype mismatch: data is {data.dtype} but weight is {weight.dtype}")


def _is_depthwise_oi(attrs, in_channels):
    return (
        attrs.groups > 1
        and not is_any(in_channels)
        and attrs.groups == in_channels
        and attrs.kernel_layout.endswith("OI")
    )


def _is_depthwise_multiplier_v08(attrs, in_channels, wsz, nd):
    """TVM 0.8's depthwise weight with a channel multiplier ``m`` in ``OIHW``:
    ``(in_channels, m, kh, kw)`` (0.8 took a convolution with ``groups ==
    in_channels == weight.shape[0]`` for depthwise and read the ``I`` axis as
    the multiplier). It is the same array as the grouped form ``(in_channels *
    m, 1, kh, kw)``: output channel ``c * m + j`` uses ``weight[c, j]``.
    Accepted for 2-d ``OIHW`` kernels, which the depthwise compute takes as
    they are."""
    weight_o, weight_i = wsz["O"], wsz["I"]
    return (
        nd == 2
        and attrs.kernel_layout == "OIHW"
        and attrs.groups > 1
        and not is_any(in_channels)
        and attrs.groups == in_channels
        and not is_any(weight_o)
        and not is_any(weight_i)
        and weight_o == in_channels
        and weight_i != 1
    )


def _conv_rel(nd, arg_types, attrs):
    """Shapes are reasoned about in primal axes (``N C [D] H W`` / ``O I [D] H W``),
    so packed layouts such as ``NCHW8c`` / ``OIHW8i8o`` work as plain ones."""
    spatial = _SPATIAL[nd]
    data = tensor_arg(arg_types, 0, "data")
    dsz = to_primal(data.shape, attrs.data_layout, "NC" + spatial, "data_layout")
    out_layout = attrs.out_layout or attrs.data_layout
    in_c = dsz["C"]
    groups = attrs.groups
    depthwise_oi = _is_depthwise_oi(attrs, in_c)
    weight = arg_types[1]
    if not isinstance(weight, TensorType):
        if attrs.channels is None or attrs.kernel_size is None:
            raise RelationError(
                "the weight's type is unknown: give channels and kernel_size, "
                "or annotate the weight variable"
            )
        sizes = dict(zip(spatial, attrs.kernel_size))
        if depthwise_oi:
            sizes["O"], sizes["I"] = in_c, _div(attrs.channels, in_c, "channels", "in_channels")
        else:
            sizes["O"], sizes["I"] = attrs.channels, _div(in_c, groups, "in_channels", "groups")
        weight = TensorType(from_primal(sizes, attrs.kernel_layout, "kernel_layout"), data.dtype)
        arg_types[1] = weight
    _check_dtypes(data, weight)
    wsz = to_primal(weight.shape, attrs.kernel_layout, "OI" + spatial, "kernel_layout")
    kernel = [wsz[a] for a in spatial]
    if depthwise_oi or _is_depthwise_multiplier_v08(attrs, in_c, wsz, nd):
        expected_in, out_c = wsz["O"], dim_mul(wsz["O"], wsz["I"])
    else:
        expected_in, out_c = dim_mul(wsz["I"], groups), wsz["O"]
    if not dims_equal(expected_in, in_c):
        raise RelationError(
            f"data {shape_str(data.shape)} ({attrs.data_layout}) has {in_c} input channels but "
            f"weight {shape_str(weight.shape)} ({attrs.kernel_layout}) with groups={groups} "
            f"expects {expected_in}"
        )
    if attrs.kernel_size is not None and not all(
        dims_equal(a, b) for a, b in zip(attrs.kernel_size, kernel)
    ):
        raise RelationError(
            f"kernel_size {tuple(attrs.kernel_size)} disagrees with weight {shape_str(weight.shape)}"
        )
    if attrs.channels is not None and not dims_equal(attrs.channels, out_c):
        raise RelationError(
            f"channels={attrs.channels} disagrees with weight {shape_str(weight.shape)} "
            f"({out_c} output channels)"
        )
    if not is_any(out_c) and out_c % groups:
        raise RelationError(f"{out_c} output channels cannot be split into groups={groups}")
    sizes = {"N": dsz["N"], "C": out_c}
    for i, axis in enumerate(spatial):
        sizes[axis] = dim_conv_out(
            dsz[axis], kernel[i], attrs.strides[i], attrs.padding[i],
            attrs.padding[i + nd], attrs.dilation[i],
        )
        if not is_any(sizes[axis]) and sizes[axis] <= 0:
            raise RelationError(
                f"the {kernel[i]}-wide kernel (dilation {attrs.dilation[i]}) does not fit axis "
                f"{axis} of data {shape_str(data.shape)} padded by {attrs.padding}"
            )
    out_shape = from_primal(sizes, out_layout, "out_layout")
    return TensorType(out_shape, attrs.out_dtype or data.dtype)


def _div(a, b, what_a, what_b):
    if is_any(a) or is_any(b):
        return a if is_any(a) else b
    if b == 0 or a % b:
        raise RelationError(f"{what_a}={a} is not divisible by {what_b}={b}")
    return a // b


def _to_out_layout(out, attrs):
    if attrs.out_layout and attrs.out_layout != attrs.data_layout:
        return topi.layout_transform(out, attrs.data_layout, attrs.out_layout)
    return out


def _conv2d_compute(attrs, inputs, out_type):
    data, kernel = inputs
    dl, kl = attrs.data_layout, attrs.kernel_layout
    strides, padding, dilation = list(attrs.strides), list(attrs.padding), list(attrs.dilation)
    dtype = out_type.dtype
    groups = attrs.groups
    in_c = data.shape[dl.index("C")]
    in_c = int(in_c) if hasattr(in_c, "value") else None
    if groups == 1:
        if dl == "NCHW" and kl == "OIHW":
            out = topi.nn.conv2d_nchw(data, kernel, strides, padding, dilation, dtype)
        elif dl == "NHWC" and kl == "HWIO":
            out = topi.nn.conv2d_nhwc(data, kernel, strides, padding, dilation, dtype)
        else:
            out = topi.nn.conv(data, kernel, strides, padding, dilation, 1, dl, kl, dtype)
    elif in_c == groups and dl == "NCHW" and kl == "OIHW":
        out_c, kh, kw = (int(x) for x in (kernel.shape[0], kernel.shape[2], kernel.shape[3]))
        if out_c != in_c:  # channel multiplier > 1: (C*m, 1, kh, kw) -> (C, m, kh, kw)
            kernel = topi.reshape(kernel, [in_c, out_c // in_c, kh, kw])
        out = topi.nn.depthwise_conv2d_nchw(data, kernel, strides, padding, dilation, dtype)
    elif in_c == groups and dl == "NHWC" and kl == "HWOI":
        out = topi.nn.depthwise_conv2d_nhwc(data, kernel, strides, padding, dilation, "HWOI", dtype)
    elif dl == "NCHW" and kl == "OIHW":
        out = topi.nn.group_conv2d_nchw(data, kernel, strides, padding, dilation, groups, dtype)
    elif dl == "NHWC" and kl == "HWIO":
        out = topi.nn.group_conv2d_nhwc(data, kernel, strides, padding, dilation, groups, dtype)
    else:
        if kl.endswith("OI") and in_c == groups:
            raise ValueError(f"nn.conv2d: no TOPI compute for depthwise {dl}/{kl}")
        out = topi.nn.conv(data, kernel, strides, padding, dilation, groups, dl, kl, dtype)
    return [_to_out_layout(out, attrs)]


def _conv3d_compute(attrs, inputs, out_type):
    data, kernel = inputs
    dl, kl = attrs.data_layout, attrs.kernel_layout
    args = (list(attrs.strides), list(attrs.padding), list(attrs.dilation), attrs.groups,
            out_type.dtype)
    if dl == "NCDHW" and kl == "OIDHW":
        out = topi.nn.conv3d_ncdhw(data, kernel, *args)
    elif dl == "NDHWC" and kl == "DHWIO":
        out = topi.nn.conv3d_ndhwc(data, kernel, *args)
    else:
        strides, padding, dilation, groups, dtype = args
        out = topi.nn.conv(data, kernel, strides, padding, dilation, groups, dl, kl, dtype)
    return [_to_out_layout(out, attrs)]


def _conv1d_compute(attrs, inputs, out_type):
    out = topi.nn.conv1d(inputs[0], inputs[1], list(attrs.strides), list(attrs.padding),
                         list(attrs.dilation), attrs.groups, attrs.data_layout, attrs.kernel_layout,
                         out_type.dtype)
    return [_to_out_layout(out, attrs)]


def _conv1d_rel(arg_types, attrs):
    return _conv_rel(1, arg_types, attrs)


def _conv2d_rel(arg_types, attrs):
    return _conv_rel(2, arg_types, attrs)


def _conv3d_rel(arg_types, attrs):
    return _conv_rel(3, arg_types, attrs)


def _conv2d_nchwc_rel(arg_types, attrs):
    """``nn.contrib_conv2d_NCHWc``'s relation. With ``channels`` and ``kernel_size`` set, 0.8's
    (``Conv2DWinogradRel``): the output shape comes from the data and the attributes and
    the weight's shape is not checked, since each target packs it its own way (a 6-d
    ``OIHW8i8o`` weight may come with the default ``kernel_layout="OIHW"``). Otherwise,
    or when the weight's type is unknown, the full convolution relation."""
    data = tensor_arg(arg_types, 0, "data")
    if (not isinstance(arg_types[1], TensorType) or attrs.channels is None
            or attrs.kernel_size is None):
        return _conv2d_rel(arg_types, attrs)
    dsz = to_primal(data.shape, attrs.data_layout, "NCHW", "data_layout")
    sizes = {"N": dsz["N"], "C": attrs.channels}
    for i, axis in enumerate("HW"):
        sizes[axis] = dim_conv_out(dsz[axis], attrs.kernel_size[i], attrs.strides[i],
                                   attrs.padding[i], attrs.padding[i + 2], attrs.dilation[i])
    out_shape = from_primal(sizes, attrs.out_layout or attrs.data_layout, "out_layout")
    return TensorType(out_shape, attrs.out_dtype or data.dtype)


def _conv2d_nchwc_compute(attrs, inputs, out_type):
    out_layout = attrs.out_layout or attrs.data_layout
    return [topi.nn.conv2d_NCHWc(inputs[0], inputs[1], list(attrs.strides), list(attrs.padding),
                                 list(attrs.dilation), attrs.data_layout, out_layout, out_type.dtype)]


def _depthwise_conv2d_nchwc_compute(attrs, inputs, out_type):
    """Written here: ``topi.nn.depthwise_conv2d_NCHWc`` is an unregistered generic in the base."""
    data, kernel = inputs  # (N, C/cb, H, W, cb), (O/ob, 1, kh, kw, 1, ob)
    batch, in_chunk, height, width, in_block = data.shape
    out_chunk, _, k_h, k_w, _, out_block = kernel.shape
    multiplier = tirx.floordiv(out_chunk * out_block, in_chunk * in_block)
    (s_h, s_w), (d_h, d_w) = attrs.strides, attrs.dilation
    top, left, bottom, right = attrs.padding
    padded = topi.nn.pad(data, [0, 0, top, left, 0], [0, 0, bottom, right, 0], name="PaddedInput")
    out_h = (height + top + bottom - (k_h - 1) * d_h - 1) // s_h + 1
    out_w = (width + left + right - (k_w - 1) * d_w - 1) // s_w + 1
    r_h = te.reduce_axis((0, k_h), name="kh")
    r_w = te.reduce_axis((0, k_w), name="kw")
    dtype = out_type.dtype

    def body(n, oc, oh, ow, ob):
        channel = tirx.floordiv(oc * out_block + ob, multiplier)
        value = padded[n, tirx.floordiv(channel, in_block), oh * s_h + r_h * d_h, ow * s_w + r_w * d_w,
                       tirx.floormod(channel, in_block)]
        return te.sum(value.astype(dtype) * kernel[oc, 0, r_h, r_w, 0, ob].astype(dtype), axis=[r_h, r_w])

    out = te.compute((batch, out_chunk, out_h, out_w, out_block), body,
                     name="DepthwiseConv2dNCHWc", tag="depthwise_conv2d_NCHWc")
    natural = f"NCHW{int(out_block)}c"  # the kernel's output block
    out_layout = attrs.out_layout or attrs.data_layout
    if out_layout != natural:
        out = topi.layout_transform(out, natural, out_layout)
    return [out]


_FUSABLE = OpPattern.OUT_ELEMWISE_FUSABLE
define("nn.conv1d", _conv1d_rel, _FUSABLE, _conv1d_compute, 2, "relay.attrs.Conv1DAttrs")
define("nn.conv2d", _conv2d_rel, _FUSABLE, _conv2d_compute, 2, "relay.attrs.Conv2DAttrs")
define("nn.conv3d", _conv3d_rel, _FUSABLE, _conv3d_compute, 2, "relay.attrs.Conv3DAttrs")
# Packed-layout variants (targets of a layout rewrite, as upstream's x86 path).
define("nn.contrib_conv2d_NCHWc", _conv2d_nchwc_rel, _FUSABLE, _conv2d_nchwc_compute, 2,
       "relay.attrs.Conv2DAttrs")
define("nn.contrib_depthwise_conv2d_NCHWc", _conv2d_rel, _FUSABLE, _depthwise_conv2d_nchwc_compute,
       2, "relay.attrs.Conv2DAttrs")
