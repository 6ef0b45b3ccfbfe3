"""``nn.nll_loss`` and ``nn.deformable_conv2d`` (TVM 0.8 ops): constructors,
type relations and TOPI computes."""
from tvm import topi
from tvm.error import OpNotImplemented

from ...ty import TensorType
from .._util import define, int_tuple, make_call
from ..op import OpPattern
from ..type_relations import RelationError, dim_conv_out, dims_equal, shape_str, tensor_arg

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


def _deformable_conv2d_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    offset = tensor_arg(arg_types, 1, "offset")
    weight = tensor_arg(arg_types, 2, "weight")
    if attrs.data_layout != "NCHW" or attrs.kernel_layout != "OIHW":
        raise RelationError("only data_layout NCHW with kernel_layout OIHW is supported")
    n, c, h, w = data.shape
    out_c, in_per_group, kh, kw = weight.shape
    if not dims_equal(in_per_group * attrs.groups, c):
        raise RelationError(f"weight {shape_str(weight.shape)} does not fit {c} input channels "
                            f"in {attrs.groups} groups")
    pad = attrs.padding
    out_h = dim_conv_out(h, kh, attrs.strides[0], pad[0], pad[2], attrs.dilation[0])
    out_w = dim_conv_out(w, kw, attrs.strides[1], pad[1], pad[3], attrs.dilation[1])
    expected = (n, 2 * attrs.deformable_groups * kh * kw, out_h, out_w)
    if not all(dims_equal(a, b) for a, b in zip(offset.shape, expected)) or len(offset.shape) != 4:
        raise RelationError(f"offset must be {shape_str(expected)}, got {shape_str(offset.shape)}")
    return TensorType((n, out_c, out_h, out_w), attrs.out_dtype or data.dtype)


def _deformable_conv2d_compute(attrs, inputs, out_type):
    if attrs.groups != 1:
        raise OpNotImplemented(
            f"nn.deformable_conv2d: groups={attrs.groups} has no compute (the base's TOPI "
            "supports groups=1 only; deformable_groups may be larger)"
        )
    return [topi.nn.deformable_conv2d_nchw(
        inputs[0], inputs[1], inputs[2], list(attrs.strides), list(attrs.padding),
        list(attrs.dilation), attrs.deformable_groups, attrs.groups, out_type.dtype)]


define("nn.deformable_conv2d", _deformable_conv2d_rel, OpPattern.OUT_ELEMWISE_FUSABLE,
       _deformable_conv2d_compute, 3, "relay.attrs.DeformableConv2DAttrs")


def deformable_conv2d(data, offset, weight, strides=(1, 1), padding=(0, 0), dilation=(1, 1),
                      deformable_groups=1, groups=1, channels=None, kernel_size=None,
                      data_layout="NCHW", kernel_layout="OIHW", out_layout="", out_dtype=""):
    """Deformable convolution (Dai et al., 2017): each kernel tap reads the input
    at its position plus a learned offset, with bilinear interpolation.

    ``offset`` is ``(N, 2 * deformable_groups * KH * KW, OH, OW)`` (y then x per
    tap). Only ``NCHW`` / ``OIHW`` layouts are supported.
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
