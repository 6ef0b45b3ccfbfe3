"""``vision.roi_align``, ``vision.roi_pool``, ``vision.yolo_reorg`` and
``vision.proposal`` (TVM 0.8 ops): constructors, type relations and computes
(and the NumPy reference kernel of ``vision.proposal``, registered here as
:mod:`.all_class_nms` does)."""
import math

import numpy as np

from tvm import te, tirx, topi

from ...ty import TensorType
from .._util import define, int_tuple, make_call
from ..op import OpPattern
from ..type_relations import RelationError, dim_mul, is_any, layout_axes, shape_str, tensor_arg

__all__ = ["roi_align", "roi_pool", "yolo_reorg", "proposal"]


def _roi_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    rois = tensor_arg(arg_types, 1, "rois")
    if len(rois.shape) != 2 or rois.shape[1] != 5:
        raise RelationError(f"rois must be (num_roi, 5) [batch, x1, y1, x2, y2], got {shape_str(rois.shape)}")
    axes = layout_axes(attrs.layout, "NCHW")
    out = [0] * 4
    out[axes["N"]] = rois.shape[0]
    out[axes["C"]] = data.shape[axes["C"]]
    out[axes["H"]], out[axes["W"]] = attrs.pooled_size
    return TensorType(out, data.dtype)


def _roi_align_compute(attrs, inputs, out_type):
    fn = topi.vision.roi_align_nchw if attrs.layout == "NCHW" else topi.vision.roi_align_nhwc
    return [fn(inputs[0], inputs[1], list(attrs.pooled_size), attrs.spatial_scale, attrs.mode,
               attrs.sample_ratio)]


def _roi_pool_compute(attrs, inputs, out_type):
    if attrs.layout != "NCHW":
        raise ValueError("vision.roi_pool: only the NCHW layout has a compute")
    return [topi.vision.roi_pool_nchw(inputs[0], inputs[1], list(attrs.pooled_size), attrs.spatial_scale)]


define("vision.roi_align", _roi_rel, OpPattern.OUT_ELEMWISE_FUSABLE, _roi_align_compute, 2,
       "relay.attrs.ROIAlignAttrs")
define("vision.roi_pool", _roi_rel, OpPattern.OUT_ELEMWISE_FUSABLE, _roi_pool_compute, 2,
       "relay.attrs.ROIPoolAttrs")


def roi_align(data, rois, pooled_size, spatial_scale, sample_ratio=-1, layout="NCHW", mode="avg"):
    """Region-of-interest align (Mask R-CNN): bilinear samples averaged (or the
    maximum, ``mode="max"``) over each bin of each ROI.

    Parameters
    ----------
    data : relay.Expr
        Feature map in ``layout`` (``NCHW`` or ``NHWC``).
    rois : relay.Expr
        ``(num_roi, 5)``: batch index, then x1, y1, x2, y2 in input coordinates.
    pooled_size : int or tuple of int
    spatial_scale : float
        Scale from input coordinates to the feature map.
    sample_ratio : int
        Samples per bin side; ``-1``: adaptive (``ceil(roi_size / pooled_size)``).
    """
    if mode not in ("avg", "max"):
        raise ValueError(f"roi_align: mode must be avg or max, got {mode!r}")
    return make_call("vision.roi_align", [data, rois], "relay.attrs.ROIAlignAttrs",
                     pooled_size=int_tuple(pooled_size, 2, "pooled_size"),
                     spatial_scale=float(spatial_scale), sample_ratio=int(sample_ratio),
                     layout=layout, mode=mode)


def roi_pool(data, rois, pooled_size, spatial_scale, layout="NCHW"):
    """Region-of-interest max pooling (Fast R-CNN) over ``pooled_size`` bins."""
    return make_call("vision.roi_pool", [data, rois], "relay.attrs.ROIPoolAttrs",
                     pooled_size=int_tuple(pooled_size, 2, "pooled_size"),
                     spatial_scale=float(spatial_scale), layout=layout)


def _yolo_reorg_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(data.shape) != 4:
        raise RelationError(f"data must be NCHW, got {shape_str(data.shape)}")
    n, c, h, w = data.shape
    s = attrs.stride
    known = [d for d in (h, w) if not is_any(d)]
    if any(d % s for d in known) or (not is_any(c) and c % (s * s)):
        raise RelationError(
            f"channels {c} must be a multiple of stride^2 and height {h}, width {w} of stride {s}"
        )

    def div(dim):
        return dim if is_any(dim) else dim // s

    # 0.8's output: (n, c * s^2, h / s, w / s); unknown sizes stay unknown
    return TensorType((n, dim_mul(c, s * s), div(h), div(w)), data.dtype)


def _yolo_reorg_compute(attrs, inputs, out_type):
    """Darknet's reorg, exactly as Darknet (and TVM 0.8) computes it: the input,
    viewed as ``(N, C / s^2, H * s, W * s)``, is read at
    ``[b, k % (C/s^2), j*s + (k // (C/s^2)) // s, i*s + (k // (C/s^2)) % s]`` for
    every ``(b, k, j, i)`` of the input's shape, and the result is reshaped to
    ``(N, C * s^2, H / s, W / s)``. The base's TOPI has no reorg."""
    data = inputs[0]
    s = attrs.stride
    n, c, h, w = (int(d) for d in data.shape)
    out_c = c // (s * s)
    view = topi.reshape(data, (n, out_c, h * s, w * s))

    def read(b, k, j, i):
        offset = k // out_c
        return view[b, k % out_c, j * s + offset // s, i * s + offset % s]

    gathered = te.compute((n, c, h, w), read, name="yolo_reorg_gather", tag="injective")
    return [topi.reshape(gathered, [int(d) for d in out_type.shape])]


define("vision.yolo_reorg", _yolo_reorg_rel, OpPattern.INJECTIVE, _yolo_reorg_compute, 1,
       "relay.attrs.YoloReorgAttrs")


def yolo_reorg(data, stride):
    """YOLOv2's reorg layer: move ``stride x stride`` blocks of pixels into channels."""
    if int(stride) < 1:
        raise ValueError(f"yolo_reorg: stride must be positive, got {stride}")
    return make_call("vision.yolo_reorg", [data], "relay.attrs.YoloReorgAttrs", stride=int(stride))


# -- vision.proposal (Faster R-CNN's region proposal layer, 0.8 semantics) -------------


def _anchor(ratio, scale, base_size):
    """The ``(x1, y1, x2, y2)`` anchor of ``ratio`` and ``scale`` around a cell of
    ``base_size`` pixels (0.8's and py-faster-rcnn's rounding)."""
    side = float(base_size)
    center = 0.5 * (side - 1.0)
    area_ratio = math.floor(side * side / ratio)
    width = math.floor(math.sqrt(area_ratio) + 0.5) * scale
    height = math.floor(width / scale * ratio + 0.5) * scale
    return (center - 0.5 * (width - 1.0), center - 0.5 * (height - 1.0),
            center + 0.5 * (width - 1.0), center + 0.5 * (height - 1.0))


def _anchors(attrs):
    """Anchor ``k`` takes ratio ``k // len(scales)`` and scale ``k % len(scales)``."""
    scales, ratios = list(attrs.scales), list(attrs.ratios)
    return [_anchor(ratios[k // len(scales)], scales[k % len(scales)], attrs.feature_stride)
            for k in range(len(scales) * len(ratios))]


def _proposal_rel(arg_types, attrs):
    cls_prob = tensor_arg(arg_types, 0, "cls_prob")
    bbox_pred = tensor_arg(arg_types, 1, "bbox_pred")
    im_info = tensor_arg(arg_types, 2, "im_info")
    if len(cls_prob.shape) != 4 or len(bbox_pred.shape) != 4:
        raise RelationError(f"cls_prob {shape_str(cls_prob.shape)} and bbox_pred "
                            f"{shape_str(bbox_pred.shape)} must be 4-d (NCHW)")
    if len(im_info.shape) != 2 or (not is_any(im_info.shape[1]) and im_info.shape[1] != 3):
        raise RelationError(f"im_info {shape_str(im_info.shape)} must be (batch, 3)")
    anchors = len(attrs.scales) * len(attrs.ratios)
    for name, ty, per in (("cls_prob", cls_prob, 2), ("bbox_pred", bbox_pred, 4)):
        if not is_any(ty.shape[1]) and ty.shape[1] != per * anchors:
            raise RelationError(f"{name} {shape_str(ty.shape)} needs {per} x {anchors} channels "
                                f"({len(attrs.scales)} scales x {len(attrs.ratios)} ratios)")
    return TensorType((dim_mul(cls_prob.shape[0], attrs.rpn_post_nms_top_n), 5), cls_prob.dtype)


def _predicted_boxes(attrs, cls_prob, bbox_pred, im_info):
    """``(batch, height * width * anchors, 5)``: the regressed, clipped box and its
    score per (cell, anchor), in 0.8's order (cell-major); boxes smaller than
    ``rpn_min_size`` (scaled by ``im_info[b, 2]``) and cells outside the image get
    score -1, the small ones also grow by ``min_size / 2`` on every side."""
    batch, _, height, width = (int(d) for d in cls_prob.shape)
    anchors = _anchors(attrs)
    count = len(anchors)
    stride = int(attrs.feature_stride)
    dtype = cls_prob.dtype

    def pick(k, column):
        value = tirx.const(anchors[-1][column], dtype)
        for i in range(count - 2, -1, -1):
            value = tirx.Select(k == i, tirx.const(anchors[i][column], dtype), value)
        return value

    def field(b, i, j):
        k = tirx.floormod(i, count)
        cell = tirx.floordiv(i, count)
        h, w = tirx.floordiv(cell, width), tirx.floormod(cell, width)
        x1 = pick(k, 0) + (w * stride).astype(dtype)
        y1 = pick(k, 1) + (h * stride).astype(dtype)
        x2 = pick(k, 2) + (w * stride).astype(dtype)
        y2 = pick(k, 3) + (h * stride).astype(dtype)
        delta = [bbox_pred[b, k * 4 + d, h, w] for d in range(4)]
        if attrs.iou_loss:
            box = [x1 + delta[0], y1 + delta[1], x2 + delta[2], y2 + delta[3]]
        else:
            one = tirx.const(1.0, dtype)
            half = tirx.const(0.5, dtype)
            bw, bh = x2 - x1 + one, y2 - y1 + one
            cx, cy = x1 + half * (bw - one), y1 + half * (bh - one)
            px, py = delta[0] * bw + cx, delta[1] * bh + cy
            pw, ph = te.exp(delta[2]) * bw, te.exp(delta[3]) * bh
            box = [px - half * (pw - one), py - half * (ph - one),
                   px + half * (pw - one), py + half * (ph - one)]
        im_h, im_w = im_info[b, 0], im_info[b, 1]
        zero = tirx.const(0.0, dtype)
        limits = [im_w, im_h, im_w, im_h]
        box = [tirx.max(tirx.min(v, lim - tirx.const(1.0, dtype)), zero)
               for v, lim in zip(box, limits)]
        min_size = im_info[b, 2] * tirx.const(float(attrs.rpn_min_size), dtype)
        small = tirx.any(box[2] - box[0] + tirx.const(1.0, dtype) < min_size,
                         box[3] - box[1] + tirx.const(1.0, dtype) < min_size)
        outside = tirx.any(h >= (im_h / tirx.const(float(stride), dtype)).astype("int32"),
                           w >= (im_w / tirx.const(float(stride), dtype)).astype("int32"))
        score = tirx.Select(tirx.any(small, outside), tirx.const(-1.0, dtype),
                            cls_prob[b, count + k, h, w])
        grow = min_size / tirx.const(2.0, dtype)
        grown = [tirx.Select(small, v - grow, v) for v in box[:2]] + \
            [tirx.Select(small, v + grow, v) for v in box[2:]]
        value = score
        for column in range(3, -1, -1):
            value = tirx.Select(j == column, grown[column], value)
        return value

    return te.compute((batch, height * width * count, 5), field, name="proposal_boxes",
                      tag="proposal_boxes")


def _proposal_nms_ir(boxes, out, threshold, post):
    """Greedy NMS over the score-sorted boxes of each image (IoU with 0.8's +1 pixel
    areas, ``> threshold`` suppresses), then the kept boxes fill ``post`` rows per
    image, repeated in order when fewer are kept (0.8's output; rows of an image
    with no kept box stay zero)."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm.script.ir_builder import IRBuilder  # pylint: disable=import-outside-toplevel
    from tvm.script.ir_builder import tirx as T  # pylint: disable=import-outside-toplevel

    batch, count, _ = (int(d) for d in boxes.shape)
    dtype = boxes.dtype
    one = tvm.tirx.const(1.0, dtype)
    zero = tvm.tirx.const(0.0, dtype)

    def iou(box, b, p, q):
        w = tvm.tirx.max(zero, tvm.tirx.min(box[b, p, 2], box[b, q, 2])
                         - tvm.tirx.max(box[b, p, 0], box[b, q, 0]) + one)
        h = tvm.tirx.max(zero, tvm.tirx.min(box[b, p, 3], box[b, q, 3])
                         - tvm.tirx.max(box[b, p, 1], box[b, q, 1]) + one)
        inter = w * h
        area_p = (box[b, p, 2] - box[b, p, 0] + one) * (box[b, p, 3] - box[b, p, 1] + one)
        area_q = (box[b, q, 2] - box[b, q, 0] + one) * (box[b, q, 3] - box[b, q, 1] + one)
        return inter / (area_p + area_q - inter)

    with IRBuilder() as ib:
        with T.seq_scope():
            box, res = T.buffer_proxy(boxes), T.buffer_proxy(out)
            removed = T.buffer_proxy(T.alloc_buffer((count,), "int32", scope="global"))
            kept = T.buffer_proxy(T.alloc_buffer((1,), "int32", scope="local"))
            filled = T.buffer_proxy(T.alloc_buffer((1,), "int32", scope="local"))
            with T.serial(0, batch) as b:
                with T.serial(0, count) as i:
                    removed[i] = tvm.tirx.const(0, "int32")
                with T.serial(0, count) as p:
                    with T.If(removed[p] == 0):
                        with T.Then():
                            with T.serial(0, count) as q:
                                with T.If(tvm.tirx.all(q > p, iou(box, b, p, q) > threshold)):
                                    with T.Then():
                                        removed[q] = tvm.tirx.const(1, "int32")
                kept[0] = tvm.tirx.const(0, "int32")
                with T.serial(0, count) as i:
                    with T.If(removed[i] == 0):
                        with T.Then():
                            kept[0] = kept[0] + 1
                with T.serial(0, post) as r:
                    with T.serial(0, 5) as col:
                        res[b * post + r, col] = zero
                filled[0] = tvm.tirx.const(0, "int32")
                with T.If(kept[0] > 0):
                    with T.Then():
                        with T.serial(0, post) as _rep:
                            with T.serial(0, count) as i:
                                with T.If(tvm.tirx.all(filled[0] < post, removed[i] == 0)):
                                    with T.Then():
                                        row = b * post + filled[0]
                                        res[row, 0] = b.astype(dtype)
                                        for col in range(4):
                                            res[row, col + 1] = box[b, i, col]
                                        filled[0] = filled[0] + 1
    return ib.get()


def _proposal_compute(attrs, inputs, out_type):
    cls_prob, bbox_pred, im_info = inputs
    boxes = _predicted_boxes(attrs, cls_prob, bbox_pred, im_info)
    batch, count = int(boxes.shape[0]), int(boxes.shape[1])
    pre = attrs.rpn_pre_nms_top_n
    pre = min(pre, count) if pre > 0 else count
    scores = te.compute((batch, count), lambda b, i: boxes[b, i, 4], name="proposal_scores")
    order = topi.argsort(scores, axis=1, is_ascend=False, dtype="int32")
    ranked = te.compute((batch, pre, 5), lambda b, i, j: boxes[b, order[b, i], j],
                        name="proposal_ranked")
    post = int(attrs.rpn_post_nms_top_n)
    threshold = tirx.const(float(attrs.threshold), boxes.dtype)
    out = te.extern([(batch * post, 5)], [ranked],
                    lambda ins, outs: _proposal_nms_ir(ins[0], outs[0], threshold, post),
                    dtype=[boxes.dtype], name="proposal", tag="proposal")
    return [out]


define("vision.proposal", _proposal_rel, OpPattern.OPAQUE, _proposal_compute, 3,
       "relay.attrs.ProposalAttrs")


def proposal(cls_prob, bbox_pred, im_info, scales, ratios, feature_stride, threshold,
             rpn_pre_nms_top_n, rpn_post_nms_top_n, rpn_min_size, iou_loss):
    """Faster R-CNN's region proposals (TVM 0.8's ``relay.vision.proposal``).

    Each cell of the ``(batch, 2 * anchors, h, w)`` score map and ``(batch, 4 *
    anchors, h, w)`` box deltas gives one box per anchor (``len(scales) *
    len(ratios)`` anchors of a ``feature_stride`` cell); the boxes are regressed
    (``iou_loss``: corner offsets, else centre/size deltas), clipped to the image
    of ``im_info = (height, width, scale)``, ranked by foreground score, the best
    ``rpn_pre_nms_top_n`` kept through NMS at ``threshold`` and the first
    ``rpn_post_nms_top_n`` returned per image as ``[batch_index, x1, y1, x2, y2]``
    rows (``(batch * rpn_post_nms_top_n, 5)``).
    """
    return make_call("vision.proposal", [cls_prob, bbox_pred, im_info],
                     "relay.attrs.ProposalAttrs", scales=tuple(float(s) for s in scales),
                     ratios=tuple(float(r) for r in ratios), feature_stride=int(feature_stride),
                     threshold=float(threshold), rpn_pre_nms_top_n=int(rpn_pre_nms_top_n),
                     rpn_post_nms_top_n=int(rpn_post_nms_top_n), rpn_min_size=int(rpn_min_size),
                     iou_loss=bool(iou_loss))


def proposal_reference(attrs, args):
    """NumPy ``vision.proposal`` with the steps of the compiled kernel (float32)."""
    cls_prob, bbox_pred, im_info = (np.asarray(a, "float32") for a in args)
    batch, _, height, width = cls_prob.shape
    anchors = np.array(_anchors(attrs), "float32")
    count = len(anchors)
    stride = int(attrs.feature_stride)
    f32 = np.float32
    hh, ww, kk = np.meshgrid(np.arange(height), np.arange(width), np.arange(count), indexing="ij")
    hh, ww, kk = hh.reshape(-1), ww.reshape(-1), kk.reshape(-1)  # cell-major, anchor minor
    pre = int(attrs.rpn_pre_nms_top_n)
    pre = min(pre, len(kk)) if pre > 0 else len(kk)
    post = int(attrs.rpn_post_nms_top_n)
    out = np.zeros((batch * post, 5), "float32")
    for b in range(batch):
        x1 = anchors[kk, 0] + (ww * stride).astype("float32")
        y1 = anchors[kk, 1] + (hh * stride).astype("float32")
        x2 = anchors[kk, 2] + (ww * stride).astype("float32")
        y2 = anchors[kk, 3] + (hh * stride).astype("float32")
        delta = [bbox_pred[b, kk * 4 + d, hh, ww] for d in range(4)]
        if attrs.iou_loss:
            box = [x1 + delta[0], y1 + delta[1], x2 + delta[2], y2 + delta[3]]
        else:
            bw, bh = x2 - x1 + f32(1), y2 - y1 + f32(1)
            cx, cy = x1 + f32(0.5) * (bw - f32(1)), y1 + f32(0.5) * (bh - f32(1))
            px, py = delta[0] * bw + cx, delta[1] * bh + cy
            pw, ph = np.exp(delta[2]) * bw, np.exp(delta[3]) * bh
            box = [px - f32(0.5) * (pw - f32(1)), py - f32(0.5) * (ph - f32(1)),
                   px + f32(0.5) * (pw - f32(1)), py + f32(0.5) * (ph - f32(1))]
        im_h, im_w, im_scale = im_info[b]
        limits = [im_w, im_h, im_w, im_h]
        box = [np.maximum(np.minimum(v, lim - f32(1)), f32(0)) for v, lim in zip(box, limits)]
        min_size = im_scale * f32(attrs.rpn_min_size)
        small = (box[2] - box[0] + f32(1) < min_size) | (box[3] - box[1] + f32(1) < min_size)
        outside = (hh >= int(im_h / f32(stride))) | (ww >= int(im_w / f32(stride)))
        score = np.where(small | outside, f32(-1), cls_prob[b, count + kk, hh, ww])
        grow = min_size / f32(2)
        rows = np.stack([np.where(small, box[0] - grow, box[0]),
                         np.where(small, box[1] - grow, box[1]),
                         np.where(small, box[2] + grow, box[2]),
                         np.where(small, box[3] + grow, box[3]), score], axis=1)
        rows = rows[np.argsort(-score, kind="stable")[:pre]]
        removed = np.zeros(pre, bool)
        for p in range(pre):
            if removed[p]:
                continue
            for q in range(p + 1, pre):
                w = max(f32(0), min(rows[p, 2], rows[q, 2]) - max(rows[p, 0], rows[q, 0]) + f32(1))
                h = max(f32(0), min(rows[p, 3], rows[q, 3]) - max(rows[p, 1], rows[q, 1]) + f32(1))
                inter = f32(w * h)
                area_p = (rows[p, 2] - rows[p, 0] + f32(1)) * (rows[p, 3] - rows[p, 1] + f32(1))
                area_q = (rows[q, 2] - rows[q, 0] + f32(1)) * (rows[q, 3] - rows[q, 1] + f32(1))
                if inter / (area_p + area_q - inter) > f32(attrs.threshold):
                    removed[q] = True
        kept = rows[~removed, :4]
        if len(kept):
            chosen = np.resize(kept, (post, 4))  # repeats the kept boxes in order
            out[b * post:(b + 1) * post, 0] = b
            out[b * post:(b + 1) * post, 1:] = chosen
    return out


def _register_reference():
    from ...reference.ops.registry import register_kernel  # pylint: disable=import-outside-toplevel

    register_kernel("vision.proposal")(proposal_reference)


_register_reference()
