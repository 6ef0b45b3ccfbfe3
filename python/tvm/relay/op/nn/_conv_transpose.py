"""Transposed convolutions: ``nn.conv1d_transpose``, ``nn.conv2d_transpose``,
``nn.conv3d_transpose`` (type relations and TOPI computes).

Kernel convention (TVM v0.8.0): ``nn.conv2d_transpose`` reads its kernel
layout literally (``I`` the data's channels, ``O`` the output channels per
group; default ``IOHW``). The 1-d and 3-d ops keep the older convention of
v0.8.0: with their default layouts ``OIW`` / ``OIDHW`` the letter ``O`` names
the *input* channels, and ``IOW`` / ``IODHW`` give the same weight read
literally. Every default weight is ``(in_channels, channels // groups, k...)``.
The TOPI computes work in ``NC[D][H]W``; other data layouts are transposed in
and out.
"""
from tvm import topi

from ...ty import TensorType
from .._util import define
from ..op import OpPattern
from ..type_relations import (
    RelationError,
    dim_mul,
    dims_equal,
    is_any,
    layout_axes,
    shape_from_layout,
    shape_str,
    tensor_arg,
)

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _kernel_axes(kernel_layout, nd):
    """Positions of (in_channels, out_channels per group, spatial...) in the weight."""
    spatial = _SPATIAL[nd]
    kax = layout_axes(kernel_layout, "OI" + spatial, "kernel_layout")
    literal = nd == 2 or kernel_layout.startswith("IO")
    first, second = ("I", "O") if literal else ("O", "I")
    return [kax[first], kax[second]] + [kax[a] for a in spatial]


def _div(a, b, what):
    if is_any(a):
        return a
    if a % b:
        raise RelationError(f"{what}={a} is not divisible by groups={b}")
    return a // b


def _rel(nd):
    spatial = _SPATIAL[nd]

    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        if len(data.shape) != nd + 2:
            raise RelationError(f"data {shape_str(data.shape)} must have rank {nd + 2}")
        dax = layout_axes(attrs.data_layout, "NC" + spatial, "data_layout")
        out_layout = attrs.out_layout or attrs.data_layout
        layout_axes(out_layout, "NC" + spatial, "out_layout")
        axes = _kernel_axes(attrs.kernel_layout, nd)
        in_c = data.shape[dax["C"]]
        groups = attrs.groups
        weight = arg_types[1]
        if not isinstance(weight, TensorType):
            if attrs.channels is None or attrs.kernel_size is None:
                raise RelationError(
                    "the weight's type is unknown: give channels and kernel_size, "
                    "or annotate the weight variable"
                )
            shape = [0] * (nd + 2)
            for pos, size in zip(axes, [in_c, _div(attrs.channels, groups, "channels")]
                                 + list(attrs.kernel_size)):
                shape[pos] = size
            weight = TensorType(shape, data.dtype)
            arg_types[1] = weight
        if weight.dtype != data.dtype and not (
            weight.dtype.startswith(("int", "uint")) and data.dtype.startswith(("int", "uint"))
        ):
            raise RelationError(
                f"dtype mismatch: data is {data.dtype} but weight is "
                f"{weight.dtype}"
            )
        if len(weight.shape) != nd + 2:
            raise RelationError(f"weight {shape_str(weight.shape)} must have rank {nd + 2}")
        if not dims_equal(weight.shape[axes[0]], in_c):
            raise RelationError(
                f"data {shape_str(data.shape)} has {in_c} input channels but weight "
                f"{shape_str(weight.shape)} ({attrs.kernel_layout}) expects {weight.shape[axes[0]]}"
            )
        out_c = dim_mul(weight.shape[axes[1]], groups)
        if attrs.channels is not None and not dims_equal(attrs.channels, out_c):
            raise RelationError(
                f"channels={attrs.channels} disagrees with weight {shape_str(weight.shape)} "
                f"and groups={groups} ({out_c} output channels)"
            )
        sizes = {"N": data.shape[dax["N"]], "C": out_c}
        for i, axis in enumerate(spatial):
            size, kernel = data.shape[dax[axis]], weight.shape[axes[2 + i]]
            if is_any(size) or is_any(kernel):
                sizes[axis] = size if is_any(size) else kernel
                continue
            sizes[axis] = (
                (size - 1) * attrs.strides[i] - attrs.padding[i] - attrs.padding[i + nd]
                + attrs.dilation[i] * (kernel - 1) + 1 + attrs.output_padding[i]
            )
            if sizes[axis] <= 0:
                raise RelationError(f"the output axis {axis} would be empty ({sizes[axis]})")
        return TensorType(shape_from_layout(out_layout, sizes), attrs.out_dtype or data.dtype)

    return rel


def _compute(nd):
    spatial = _SPATIAL[nd]
    plain = "NC" + spatial

    def compute(attrs, inputs, out_type):
        data, kernel = inputs
        if attrs.data_layout != plain:
            data = topi.layout_transform(data, attrs.data_layout, plain)
        axes = _kernel_axes(attrs.kernel_layout, nd)
        if axes != list(range(nd + 2)):
            kernel = topi.transpose(kernel, axes)
        if any(d != 1 for d in attrs.dilation):
            kernel = topi.nn.dilate(kernel, [1, 1] + list(attrs.dilation))
        args = (list(attrs.strides), list(attrs.padding), out_type.dtype, list(attrs.output_padding))
        if nd == 2 and attrs.groups != 1:
            out = topi.nn.group_conv2d_transpose_nchw(data, kernel, *args, attrs.groups)
        elif attrs.groups != 1:
            raise ValueError(f"nn.conv{nd}d_transpose: TOPI has no grouped compute (groups={attrs.groups})")
        elif nd == 1:
            out = topi.nn.conv1d_transpose_ncw(data, kernel, *args)
        elif nd == 2:
            out = topi.nn.conv2d_transpose_nchw(data, kernel, *args)
        else:
            out = topi.nn.conv3d_transpose_ncdhw(data, kernel, *args)
        target = attrs.out_layout or attrs.data_layout
        if target != plain:
            out = topi.layout_transform(out, plain, target)
        return [out]

    return compute


for _nd in (1, 2, 3):
    define(f"nn.conv{_nd}d_transpose", _rel(_nd), OpPattern.OUT_ELEMWISE_FUSABLE, _compute(_nd), 2,
           f"relay.attrs.Conv{_nd}DTransposeAttrs")
