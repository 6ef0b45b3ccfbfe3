"""Object-detection operators (upstream ``relay.vision``) with their registration.

All are OPAQUE (never fused). ``get_valid_counts`` and ``non_max_suppression``
use the base's ``topi.vision`` computes (built with the IR builder, so they do
not form a pure TE compute DAG). ``multibox_prior`` and
``multibox_transform_loc`` use the TE computes of :mod:`._multibox`: the base's
``topi.vision.multibox_transform_loc`` implements a different (TFLite-style)
contract with other outputs than Relay's SSD operator.
"""
from tvm import topi

from ...expr import Constant, TupleWrapper
from ...ty import TensorType, TupleType
from .._util import as_expr, define, make_call
from ..op import OpPattern
from . import _multibox
from ..type_relations import RelationError, dim_mul, dims_equal, shape_str, tensor_arg

__all__ = ["multibox_prior", "multibox_transform_loc", "get_valid_counts", "non_max_suppression"]


def multibox_prior(data, sizes=(1.0,), ratios=(1.0,), steps=(-1.0, -1.0), offsets=(0.5, 0.5),
                   clip=False):
    """SSD prior (anchor) boxes for each location of a feature map.

    Parameters
    ----------
    data : relay.Expr
        ``(batch, channels, height, width)`` feature map (only its shape is used).
    sizes, ratios : tuple of float
    steps : tuple of float
        ``-1``: ``1 / height`` and ``1 / width``.
    offsets : tuple of float
    clip : bool

    Returns
    -------
    result : relay.Expr
        ``(1, height * width * (len(sizes) + len(ratios) - 1), 4)`` boxes
        ``(left, top, right, bottom)``.
    """
    return make_call(
        "vision.multibox_prior", [data], "relay.attrs.MultiBoxPriorAttrs",
        sizes=tuple(float(s) for s in sizes), ratios=tuple(float(r) for r in ratios),
        steps=tuple(float(s) for s in steps), offsets=tuple(float(o) for o in offsets),
        clip=bool(clip),
    )


def multibox_transform_loc(cls_prob, loc_pred, anchor, clip=True, threshold=0.01,
                           variances=(0.1, 0.1, 0.2, 0.2)):
    """Decode SSD box predictions against anchors.

    Parameters
    ----------
    cls_prob : relay.Expr
        ``(batch, num_classes, num_anchors)`` class probabilities.
    loc_pred : relay.Expr
        ``(batch, num_anchors * 4)`` box offsets.
    anchor : relay.Expr
        ``(1, num_anchors, 4)`` anchors.
    clip : bool
    threshold : float
    variances : tuple of float

    Returns
    -------
    result : relay.TupleWrapper
        ``(boxes (batch, num_anchors, 6), valid_count (batch,) int32)``.
    """
    call = make_call(
        "vision.multibox_transform_loc", [cls_prob, loc_pred, anchor],
        "relay.attrs.MultiBoxTransformLocAttrs",
        clip=bool(clip), threshold=float(threshold), variances=tuple(float(v) for v in variances),
    )
    return TupleWrapper(call, 2)


def get_valid_counts(data, score_threshold, id_index=0, score_index=1):
    """Count boxes scoring above ``score_threshold`` and move them to the front.

    Parameters
    ----------
    data : relay.Expr
        ``(batch, num_anchors, elem_length)``.
    score_threshold : float or relay.Expr
    id_index, score_index : int

    Returns
    -------
    result : relay.TupleWrapper
        ``(valid_count (batch,) int32, out (like data), out_indices (batch, num_anchors) int32)``.
    """
    threshold = as_expr(score_threshold, "float32")
    # The threshold is also kept as a number when it is one: the base's TOPI
    # get_valid_counts mis-handles a tensor threshold (it compares scores with
    # the buffer itself), so the compute passes the constant instead.
    known = threshold.numpy() if isinstance(threshold, Constant) else None
    call = make_call(
        "vision.get_valid_counts", [data, threshold],
        "relay.attrs.GetValidCountsAttrs", id_index=int(id_index), score_index=int(score_index),
        score_threshold=None if known is None or known.ndim else float(known),
    )
    return TupleWrapper(call, 3)


def non_max_suppression(data, valid_count, indices, max_output_size=-1, iou_threshold=0.5,
                        force_suppress=False, top_k=-1, coord_start=2, score_index=1,
                        id_index=0, return_indices=True, invalid_to_bottom=False):
    """Non-maximum suppression.

    Parameters
    ----------
    data : relay.Expr
        ``(batch, num_anchors, elem_length)``.
    valid_count : relay.Expr
        ``(batch,)`` int32.
    indices : relay.Expr
        ``(batch, num_anchors)`` int32.
    max_output_size : int or relay.Expr
    iou_threshold : float or relay.Expr
    force_suppress : bool
    top_k, coord_start, score_index, id_index : int
    return_indices : bool
    invalid_to_bottom : bool

    Returns
    -------
    result : relay.Expr or relay.TupleWrapper
        With ``return_indices``: ``(box_indices (batch, num_anchors) int32,
        valid_box_count (batch, 1) int32)``; otherwise the suppressed data.
    """
    call = make_call(
        "vision.non_max_suppression",
        [data, valid_count, indices, as_expr(max_output_size, "int32"),
         as_expr(iou_threshold, "float32")],
        "relay.attrs.NonMaximumSuppressionAttrs",
        force_suppress=bool(force_suppress), top_k=int(top_k), coord_start=int(coord_start),
        score_index=int(score_index), id_index=int(id_index),
        return_indices=bool(return_indices), invalid_to_bottom=bool(invalid_to_bottom),
    )
    return TupleWrapper(call, 2) if return_indices else call


def _multibox_rel(arg_types, attrs):
    cls_prob = tensor_arg(arg_types, 0, "cls_prob")
    loc_pred = tensor_arg(arg_types, 1, "loc_pred")
    anchor = tensor_arg(arg_types, 2, "anchor")
    if len(cls_prob.shape) != 3 or len(loc_pred.shape) != 2 or len(anchor.shape) != 3:
        raise RelationError(
            f"expected cls_prob (batch, classes, anchors), loc_pred (batch, anchors*4) and anchor "
            f"(1, anchors, 4); got {shape_str(cls_prob.shape)}, {shape_str(loc_pred.shape)}, "
            f"{shape_str(anchor.shape)}"
        )
    batch, anchors = cls_prob.shape[0], cls_prob.shape[2]
    if not dims_equal(anchor.shape[1], anchors) or not dims_equal(loc_pred.shape[1], dim_mul(anchors, 4)):
        raise RelationError(
            f"cls_prob {shape_str(cls_prob.shape)}, loc_pred {shape_str(loc_pred.shape)} and anchor "
            f"{shape_str(anchor.shape)} disagree on the number of anchors"
        )
    return TupleType([TensorType((batch, anchors, 6), cls_prob.dtype), TensorType((batch,), "int32")])


def _multibox_prior_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(data.shape) != 4:
        raise RelationError(f"data {shape_str(data.shape)} must be 4-d NCHW")
    per_loc = len(attrs.sizes) + len(attrs.ratios) - 1
    return TensorType((1, dim_mul(data.shape[2], data.shape[3], per_loc), 4), data.dtype)


def _get_valid_counts_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(data.shape) != 3:
        raise RelationError(f"data {shape_str(data.shape)} must be (batch, anchors, elem_length)")
    batch, anchors = data.shape[0], data.shape[1]
    return TupleType([
        TensorType((batch,), "int32"), data, TensorType((batch, anchors), "int32"),
    ])


def _get_valid_counts_compute(attrs, inputs, out_type):
    threshold = attrs.get("score_threshold")
    if threshold is None:
        raise ValueError(
            "vision.get_valid_counts: the compute needs score_threshold as a constant number "
            "(the base TOPI compute does not support a tensor threshold)"
        )
    return list(topi.vision.get_valid_counts(inputs[0], threshold, attrs.id_index,
                                             attrs.score_index))


def _nms_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    valid_count = tensor_arg(arg_types, 1, "valid_count")
    tensor_arg(arg_types, 2, "indices")
    if len(data.shape) != 3 or len(valid_count.shape) != 1:
        raise RelationError(
            f"expected data (batch, anchors, elem_length) and valid_count (batch,), got "
            f"{shape_str(data.shape)} and {shape_str(valid_count.shape)}"
        )
    if attrs.return_indices:
        batch, anchors = data.shape[0], data.shape[1]
        return TupleType([TensorType((batch, anchors), "int32"), TensorType((batch, 1), "int32")])
    return data


def _nms_compute(attrs, inputs, out_type):
    data, valid_count, indices, max_output_size, iou_threshold = inputs
    out = topi.vision.non_max_suppression(
        data, valid_count, indices, max_output_size(), iou_threshold(), attrs.force_suppress,
        attrs.top_k, attrs.coord_start, attrs.score_index, attrs.id_index, attrs.return_indices,
        attrs.invalid_to_bottom,
    )
    return list(out) if attrs.return_indices else [out]


define("vision.multibox_prior", _multibox_prior_rel, OpPattern.OPAQUE,
       _multibox.multibox_prior_compute, 1, "relay.attrs.MultiBoxPriorAttrs")
define("vision.multibox_transform_loc", _multibox_rel, OpPattern.OPAQUE,
       _multibox.multibox_transform_loc_compute, 3, "relay.attrs.MultiBoxTransformLocAttrs")
define("vision.get_valid_counts", _get_valid_counts_rel, OpPattern.OPAQUE,
       _get_valid_counts_compute, 2, "relay.attrs.GetValidCountsAttrs")
define("vision.non_max_suppression", _nms_rel, OpPattern.OPAQUE, _nms_compute, 5,
       "relay.attrs.NonMaximumSuppressionAttrs")
