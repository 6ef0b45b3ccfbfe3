"""``nn.nll_loss`` and ``nn.deformable_conv2d`` (TVM 0.8 ops): constructors,
type relations and TOPI computes."""
from tvm import te, tirx, topi

from ...ty import TensorType
from .._util import define, int_tuple, make_call
from ..op import OpPattern
from ..type_relations import RelationError, dim_conv_out, dims_equal, fill_arg, shape_str, tensor_arg

__all__ = ["nll_loss", "deformable_conv2d"]

_REDUCTIONS = ("mean", "sum", "none")


def _nll_loss_rel(arg_types, attrs):
    pred = tensor_arg(arg_types, 0, "predictions")
    targets = tensor_arg(arg_types, 1, "targets")
    weights = tensor_arg(arg_types, 2, "weights")
    if len(pred.shape) < 2 or tuple(targets.shape) != (pred.shape[0],) + tuple(pred.shape[2:]):
        raise RelationError(
            f"predictions {shape_str(pred.shape)} must be (N, C, d1, ...) and targets "
            f"(N, d1, ...), got targets {shape_str(targets.shape)}"
        )
    if len(weights.shape) != 1 or not dims_equal(weights.shape[0], pred.shape[1]):
        raise RelationError(f"weights must be (C,) = ({pred.shape[1]},), got {shape_str(weights.shape)}")
    if attrs.reduction == "none":
        return TensorType(targets.shape, pred.dtype)
    return TensorType((), pred.dtype)


define("nn.nll_loss", _nll_loss_rel, OpPattern.OUT_ELEMWISE_FUSABLE,
       lambda attrs, inputs, out: [topi.nn.nll_loss(*inputs, attrs.reduction, attrs.ignore_index)],
       3, "relay.attrs.NLLLossAttrs")


def nll_loss(predictions, targets, weights, reduction="mean", ignore_index=-100):
    """Negative log-likelihood loss (PyTorch's ``nll_loss``).

    Parameters
    ----------
    predictions : relay.Expr
        ``(N, C, d1, ...)`` log-probabilities.
    targets : relay.Expr
        ``(N, d1, ...)`` class indices.
    weights : relay.Expr
        ``(C,)`` class weights.
    reduction : str
        ``"mean"`` (weighted mean), ``"sum"`` or ``"none"``.
    ignore_index : int
        Targets equal to it contribute nothing.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"nll_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return make_call("nn.nll_loss", [predictions, targets, weights], "relay.attrs.NLLLossAttrs",
                     reduction=reduction, ignore_index=int(ignore_index))


# (data layout, kernel layout) pairs with a compute; the offset follows the data layout.
_DEFORMABLE_LAYOUTS = {("NCHW", "OIHW"), ("NHWC", "HWIO")}


def _deformable_conv2d_rel(arg_types, attrs):
    """Types of data, offset and weight; as 0.8, unknown offset and weight types
    are deduced (the weight's from ``channels`` and ``kernel_size``)."""
    if (attrs.data_layout, attrs.kernel_layout) not in _DEFORMABLE_LAYOUTS:
        raise RelationError(
            f"data_layout {attrs.data_layout!r} with kernel_layout {attrs.kernel_layout!r} is not "
            "supported (NCHW with OIHW, or NHWC with HWIO)"
        )
    nhwc = attrs.data_layout == "NHWC"
    data = tensor_arg(arg_types, 0, "data")
    if nhwc:
        n, h, w, c = data.shape
    else:
        n, c, h, w = data.shape
    weight = arg_types[2]
    if not isinstance(weight, TensorType):
        if attrs.channels is None or attrs.kernel_size is None:
            raise RelationError("the weight's type is unknown: give channels and kernel_size, "
                                "or annotate the weight variable")
        kh, kw = attrs.kernel_size
        in_per_group = c // attrs.groups
        shape = (kh, kw, in_per_group, attrs.channels) if nhwc else (attrs.channels, in_per_group, kh, kw)
        weight = fill_arg(arg_types, 2, TensorType(shape, data.dtype), "weight")
    if nhwc:
        kh, kw, in_per_group, out_c = weight.shape
    else:
        out_c, in_per_group, kh, kw = weight.shape
    if not dims_equal(in_per_group * attrs.groups, c):
        raise RelationError(f"weight {shape_str(weight.shape)} does not fit {c} input channels "
                            f"in {attrs.groups} groups")
    pad = attrs.padding
    out_h = dim_conv_out(h, kh, attrs.strides[0], pad[0], pad[2], attrs.dilation[0])
    out_w = dim_conv_out(w, kw, attrs.strides[1], pad[1], pad[3], attrs.dilation[1])
    taps = 2 * attrs.deformable_groups * kh * kw
    offset_shape = (n, out_h, out_w, taps) if nhwc else (n, taps, out_h, out_w)
    fill_arg(arg_types, 1, TensorType(offset_shape, data.dtype), "offset")
    out_shape = (n, out_h, out_w, out_c) if nhwc else (n, out_c, out_h, out_w)
    return TensorType(out_shape, attrs.out_dtype or data.dtype)


def _deformable_conv2d_compute(attrs, inputs, out_type):
    if attrs.groups == 1:
        compute = (topi.nn.deformable_conv2d_nhwc if attrs.data_layout == "NHWC"
                   else topi.nn.deformable_conv2d_nchw)
        return [compute(
            inputs[0], inputs[1], inputs[2], list(attrs.strides), list(attrs.padding),
            list(attrs.dilation), attrs.deformable_groups, attrs.groups, out_type.dtype)]
    # The base's TOPI supports groups=1 only: grouped convolutions are computed
    # here in NCHW (transposing NHWC operands), with TOPI's sampling rule.
    data, offset, kernel = inputs
    if attrs.data_layout == "NHWC":
        data = topi.transpose(data, (0, 3, 1, 2))
        offset = topi.transpose(offset, (0, 3, 1, 2))
        kernel = topi.transpose(kernel, (3, 2, 0, 1))
    out = _grouped_deformable_nchw(data, offset, kernel, attrs, out_type.dtype)
    return [topi.transpose(out, (0, 2, 3, 1)) if attrs.data_layout == "NHWC" else out]


def _grouped_deformable_nchw(data, offset, kernel, attrs, out_dtype):
    """Deformable convolution with ``groups`` > 1 (NCHW / OIHW). Sampling as TOPI's:
    zero outside the image, bilinear inside, neighbours past the last row or
    column contribute zero."""
    batch, channels, height, width = (int(d) for d in data.shape)
    out_c, in_per_group, kh, kw = (int(d) for d in kernel.shape)
    out_h, out_w = int(offset.shape[2]), int(offset.shape[3])
    (sh, sw), (dh, dw), (pt, pl) = attrs.strides, attrs.dilation, attrs.padding[:2]
    ch_per_dgroup = channels // attrs.deformable_groups
    out_per_group = out_c // attrs.groups
    zero = tirx.const(0.0, data.dtype)

    def sample(n, c, y, x):
        inside = tirx.all(y >= 0, x >= 0, y < height, x < width)
        y0, x0 = tirx.floor(y).astype("int32"), tirx.floor(x).astype("int32")
        fy, fx = y - y0.astype(offset.dtype), x - x0.astype(offset.dtype)
        total = zero
        for yy, wy in ((y0, 1 - fy), (y0 + 1, fy)):
            for xx, wx in ((x0, 1 - fx), (x0 + 1, fx)):
                ok = tirx.all(yy >= 0, xx >= 0, yy < height, xx < width)
                value = data[n, c, tirx.min(tirx.max(yy, 0), height - 1), tirx.min(tirx.max(xx, 0), width - 1)]
                total = total + tirx.if_then_else(ok, wy * wx * value, zero)
        return tirx.if_then_else(inside, total, zero)

    def tap(n, c, i, j, oy, ox):
        base = c // ch_per_dgroup * (kh * kw * 2) + (i * kw + j) * 2
        y = (oy * sh - pt + i * dh).astype(offset.dtype) + offset[n, base, oy, ox]
        x = (ox * sw - pl + j * dw).astype(offset.dtype) + offset[n, base + 1, oy, ox]
        return sample(n, c, y, x)

    columns = te.compute((batch, channels, kh, kw, out_h, out_w), tap, name="deform_columns")
    rc = te.reduce_axis((0, in_per_group), name="rc")
    ry = te.reduce_axis((0, kh), name="ry")
    rx = te.reduce_axis((0, kw), name="rx")
    return te.compute(
        (batch, out_c, out_h, out_w),
        lambda n, f, oy, ox: te.sum(
            columns[n, f // out_per_group * in_per_group + rc, ry, rx, oy, ox].astype(out_dtype)
            * kernel[f, rc, ry, rx].astype(out_dtype), axis=[rc, ry, rx]),
        name="deformable_conv2d_grouped",
    )


define("nn.deformable_conv2d", _deformable_conv2d_rel, OpPattern.OUT_ELEMWISE_FUSABLE,
       _deformable_conv2d_compute, 3, "relay.attrs.DeformableConv2DAttrs")


def deformable_conv2d(data, offset, weight, strides=(1, 1), padding=(0, 0), dilation=(1, 1),
                      deformable_groups=1, groups=1, channels=None, kernel_size=None,
                      data_layout="NCHW", kernel_layout="OIHW", out_layout="", out_dtype=""):
    """Deformable convolution (Dai et al., 2017): each kernel tap reads the input
    at its position plus a learned offset, with bilinear interpolation.

    ``offset`` is ``(N, 2 * deformable_groups * KH * KW, OH, OW)`` (y then x per
    tap; ``(N, OH, OW, 2 * ...)`` with ``NHWC``). Layouts: ``NCHW`` with ``OIHW``,
    ``NHWC`` with ``HWIO``.
    """
    pad = int_tuple(padding, 2, "padding") if len(tuple(padding if not isinstance(padding, int) else (padding,))) <= 2 \
        else tuple(padding)
    if len(pad) == 2:
        pad = (pad[0], pad[1], pad[0], pad[1])
    return make_call(
        "nn.deformable_conv2d", [data, offset, weight], "relay.attrs.DeformableConv2DAttrs",
        strides=int_tuple(strides, 2, "strides"), padding=tuple(int(p) for p in pad),
        dilation=int_tuple(dilation, 2, "dilation"), deformable_groups=int(deformable_groups),
        groups=int(groups), channels=channels, kernel_size=None if kernel_size is None else int_tuple(kernel_size, 2, "kernel_size"),
        data_layout=data_layout, kernel_layout=kernel_layout, out_layout=out_layout,
        out_dtype=out_dtype or "",
    )
