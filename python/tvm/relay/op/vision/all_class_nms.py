"""``vision.all_class_non_max_suppression``: per-class NMS as ONNX defines it.

The kernel is written here rather than taken from the base's
``topi.vision.all_class_non_max_suppression``: that compute treats boxes with a
score of 0 or below as removed, suppresses at ``IoU >= threshold`` and sizes its
output with heuristics, while ONNX (and ONNX Runtime, the reference the
frontend is tested against) keeps any score above the threshold and suppresses
at ``IoU > threshold``. It is an extern (sequential TIR) kernel, OPAQUE, like
the other NMS operators; the boxes of each (batch, class) are visited in
decreasing score order by the base's ``topi.argsort`` (a stable sort, so ties
keep the lower box index first).

The NumPy reference kernel (used by ``FoldConstant`` and the tests) is
registered here as well.
"""
import numpy as np

from tvm import te, topi

from ...expr import Constant, TupleWrapper
from ...ty import TensorType, TupleType
from .._util import define, make_call
from ..op import OpPattern
from ..type_relations import RelationError, dim_mul, dims_equal, shape_str, tensor_arg

__all__ = ["all_class_non_max_suppression"]


def _number(value, what, kind):
    if isinstance(value, Constant):
        value = value.numpy()
        if value.size != 1:
            raise ValueError(f"all_class_non_max_suppression: {what} must be a scalar")
        value = value.reshape(()).item()
    if not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"all_class_non_max_suppression: {what} must be a number or a relay "
                        f"constant (run-time values are not supported), got {type(value).__name__}")
    return kind(value)


def all_class_non_max_suppression(boxes, scores, max_output_boxes_per_class=-1,
                                  iou_threshold=-1.0, score_threshold=-1.0,
                                  output_format="onnx"):
    """Non-maximum suppression of each class separately (ONNX ``NonMaxSuppression``).

    Parameters
    ----------
    boxes : relay.Expr
        ``(batch, num_boxes, 4)`` float32 corners ``(y1, x1, y2, x2)`` (either
        diagonal: each axis is ordered before use).
    scores : relay.Expr
        ``(batch, num_classes, num_boxes)`` float32.
    max_output_boxes_per_class : int
        At most this many boxes per (batch, class); negative: no limit.
    iou_threshold : float
        A box is suppressed when its IoU with an already selected box of the
        same class is greater than this.
    score_threshold : float
        Only boxes scoring above this are candidates (``-inf``: all boxes).
    output_format : str
        ``"onnx"`` (the only supported format).

    Returns
    -------
    result : relay.TupleWrapper
        ``(selected_indices, num_total_detections)``: ``(batch * num_classes *
        num_boxes, 3)`` int64 rows ``(batch, class, box)`` ordered by batch, then
        class, then decreasing score; only the first ``num_total_detections``
        (a ``(1,)`` int64 tensor) rows are valid, the others are ``-1``.

    Notes
    -----
    Upstream 0.8 also accepts relay expressions for the three limits; here
    they must be numbers or constants, since the shapes are static.
    """
    if output_format != "onnx":
        raise ValueError(f"all_class_non_max_suppression: output_format {output_format!r} is "
                         "not supported (only 'onnx')")
    call = make_call(
        "vision.all_class_non_max_suppression", [boxes, scores],
        "relay.attrs.AllClassNonMaximumSuppressionAttrs",
        max_output_boxes_per_class=_number(max_output_boxes_per_class,
                                           "max_output_boxes_per_class", int),
        iou_threshold=_number(iou_threshold, "iou_threshold", float),
        score_threshold=_number(score_threshold, "score_threshold", float),
        output_format=output_format,
    )
    return TupleWrapper(call, 2)


def _rel(arg_types, attrs):
    boxes = tensor_arg(arg_types, 0, "boxes")
    scores = tensor_arg(arg_types, 1, "scores")
    if len(boxes.shape) != 3 or len(scores.shape) != 3 or not dims_equal(boxes.shape[2], 4) \
            or not dims_equal(boxes.shape[0], scores.shape[0]) \
            or not dims_equal(boxes.shape[1], scores.shape[2]):
        raise RelationError(f"boxes {shape_str(boxes.shape)} and scores {shape_str(scores.shape)} "
                            "must be (batch, boxes, 4) and (batch, classes, boxes)")
    batch, classes, num = scores.shape
    return TupleType([TensorType((dim_mul(batch, classes, num), 3), "int64"),
                      TensorType((1,), "int64")])


def _nms_ir(boxes, scores, order, out, count, max_per_class, iou_threshold, score_threshold):
    """Sequential greedy NMS, one (batch, class) after the other, rows packed in order."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm.script.ir_builder import IRBuilder  # pylint: disable=import-outside-toplevel
    from tvm.script.ir_builder import tirx as T  # pylint: disable=import-outside-toplevel

    batch, classes, num = (int(d) for d in scores.shape)
    limit = num if max_per_class < 0 else min(max_per_class, num)
    fzero = tvm.tirx.const(0.0, "float32")

    def corners(box_buf, b, k):
        y1, x1, y2, x2 = (box_buf[b, k, i] for i in range(4))
        return (tvm.tirx.min(y1, y2), tvm.tirx.min(x1, x2), tvm.tirx.max(y1, y2),
                tvm.tirx.max(x1, x2))

    with IRBuilder() as ib:
        with T.seq_scope():
            boxes, scores, order = (T.buffer_proxy(t) for t in (boxes, scores, order))
            out, count = T.buffer_proxy(out), T.buffer_proxy(count)
            selected_buf = T.alloc_buffer((max(limit, 1),), "int32", scope="global")
            selected = T.buffer_proxy(selected_buf)
            total_buf = T.alloc_buffer((1,), "int64", scope="local")
            total = T.buffer_proxy(total_buf)
            kept_buf = T.alloc_buffer((1,), "int32", scope="local")
            kept = T.buffer_proxy(kept_buf)
            hit_buf = T.alloc_buffer((1,), "int32", scope="local")
            hit = T.buffer_proxy(hit_buf)
            with T.serial(0, batch * classes * num) as r:
                with T.serial(0, 3) as col:
                    out[r, col] = tvm.tirx.const(-1, "int64")
            total[0] = tvm.tirx.const(0, "int64")
            with T.serial(0, batch) as b:
                with T.serial(0, classes) as c:
                    kept[0] = tvm.tirx.const(0, "int32")
                    with T.serial(0, num) as j:
                        idx = order[b, c, j]
                        with T.If(tvm.tirx.all(scores[b, c, idx] > score_threshold,
                                               kept[0] < limit)):
                            with T.Then():
                                hit[0] = tvm.tirx.const(0, "int32")
                                ay1, ax1, ay2, ax2 = corners(boxes, b, idx)
                                area_a = (ay2 - ay1) * (ax2 - ax1)
                                with T.serial(0, limit) as m:
                                    with T.If(m < kept[0]):
                                        with T.Then():
                                            by1, bx1, by2, bx2 = corners(boxes, b, selected[m])
                                            area_b = (by2 - by1) * (bx2 - bx1)
                                            ih = tvm.tirx.min(ay2, by2) - tvm.tirx.max(ay1, by1)
                                            iw = tvm.tirx.min(ax2, bx2) - tvm.tirx.max(ax1, bx1)
                                            inter = ih * iw
                                            union = area_a + area_b - inter
                                            # ONNX Runtime's SuppressByIOU: empty overlaps and
                                            # degenerate boxes never suppress.
                                            overlap = tvm.tirx.all(
                                                ih > fzero, iw > fzero, area_a > fzero,
                                                area_b > fzero, union > fzero)
                                            iou = tvm.tirx.Select(
                                                overlap, inter / tvm.tirx.max(union, 1e-30),
                                                fzero)
                                            with T.If(tvm.tirx.all(overlap,
                                                                   iou > iou_threshold)):
                                                with T.Then():
                                                    hit[0] = tvm.tirx.const(1, "int32")
                                with T.If(hit[0] == 0):
                                    with T.Then():
                                        selected[kept[0]] = idx
                                        out[total[0], 0] = tvm.tirx.Cast("int64", b)
                                        out[total[0], 1] = tvm.tirx.Cast("int64", c)
                                        out[total[0], 2] = tvm.tirx.Cast("int64", idx)
                                        total[0] = total[0] + 1
                                        kept[0] = kept[0] + 1
            count[0] = total[0]
    return ib.get()


def _compute(attrs, inputs, out_type):
    import tvm  # pylint: disable=import-outside-toplevel

    boxes, scores = inputs
    order = topi.argsort(scores, axis=2, is_ascend=False, dtype="int32")
    batch, classes, num = (int(d) for d in scores.shape)
    threshold = attrs.score_threshold
    score_threshold = tvm.tirx.const(-3.4e38 if threshold == float("-inf") else threshold,
                                     "float32")
    iou_threshold = tvm.tirx.const(attrs.iou_threshold, "float32")
    selected, count = te.extern(
        [(batch * classes * num, 3), (1,)], [boxes, scores, order],
        lambda ins, outs: _nms_ir(ins[0], ins[1], ins[2], outs[0], outs[1],
                                  int(attrs.max_output_boxes_per_class), iou_threshold,
                                  score_threshold),
        dtype=["int64", "int64"], name="all_class_nms", tag="all_class_nms")
    return [selected, count]


def _reference_iou(a, b):
    ay1, ay2 = sorted((a[0], a[2]))
    ax1, ax2 = sorted((a[1], a[3]))
    by1, by2 = sorted((b[0], b[2]))
    bx1, bx2 = sorted((b[1], b[3]))
    ih = min(ay2, by2) - max(ay1, by1)
    iw = min(ax2, bx2) - max(ax1, bx1)
    area_a, area_b = (ay2 - ay1) * (ax2 - ax1), (by2 - by1) * (bx2 - bx1)
    inter = ih * iw
    union = area_a + area_b - inter
    if ih <= 0 or iw <= 0 or area_a <= 0 or area_b <= 0 or union <= 0:
        return None
    return inter / union


def reference_kernel(attrs, args):
    """NumPy all-class NMS with the semantics of the compiled kernel."""
    boxes = np.asarray(args[0], "float32")
    scores = np.asarray(args[1], "float32")
    batch, classes, num = scores.shape
    max_per_class = int(attrs["max_output_boxes_per_class"])
    limit = num if max_per_class < 0 else min(max_per_class, num)
    iou_threshold = np.float32(attrs["iou_threshold"])
    score_threshold = np.float32(attrs["score_threshold"])
    rows = []
    for b in range(batch):
        for c in range(classes):
            chosen = []
            for idx in np.argsort(-scores[b, c], kind="stable"):
                if len(chosen) >= limit or not scores[b, c, idx] > score_threshold:
                    continue
                ious = [_reference_iou(boxes[b, idx], boxes[b, k]) for k in chosen]
                if any(iou is not None and iou > iou_threshold for iou in ious):
                    continue
                chosen.append(idx)
                rows.append((b, c, idx))
    out = np.full((batch * classes * num, 3), -1, "int64")
    if rows:
        out[:len(rows)] = np.array(rows, "int64")
    return out, np.array([len(rows)], "int64")


define("vision.all_class_non_max_suppression", _rel, OpPattern.OPAQUE, _compute, 2,
       "relay.attrs.AllClassNonMaximumSuppressionAttrs")


def _register_reference():
    from ...reference.ops.registry import register_kernel  # pylint: disable=import-outside-toplevel

    register_kernel("vision.all_class_non_max_suppression")(reference_kernel)


_register_reference()
