"""ONNX converters: GridSample and NonMaxSuppression."""
import numpy as np

from ..op import image as _image
from ..op import tensor as _tensor
from ..op import transform as _transform
from ..op.vision import all_class_nms as _nms
from ._onnx_common import const, register

# ONNX opset 16 names and opset 20 names -> relay image.grid_sample methods
_GRID_METHODS = {"bilinear": "bilinear", "linear": "bilinear", "nearest": "nearest",
                 "bicubic": "bicubic", "cubic": "bicubic"}


@register("GridSample")
def _grid_sample(node, graph):
    """``image.grid_sample`` (TOPI's compute), whose grid is ``(N, 2, H_out, W_out)``: ONNX's
    ``(N, H_out, W_out, 2)`` grid is transposed to it."""
    data, grid = node.require(0, "X"), node.require(1, "grid")
    shape = graph.static_shape(data, node, "X")
    if len(shape) != 4:
        raise node.unsupported(f"GridSample of a rank-{len(shape)} input (only 4-d NCHW)")
    mode = node.attr("mode", "linear" if node.opset >= 20 else "bilinear")
    if mode not in _GRID_METHODS:
        raise node.error(f"unknown mode {mode!r}")
    padding = node.attr("padding_mode", "zeros")
    if padding not in ("zeros", "border", "reflection"):
        raise node.error(f"unknown padding_mode {padding!r}")
    grid = _transform.transpose(grid, (0, 3, 1, 2))
    return _image.grid_sample(data, grid, method=_GRID_METHODS[mode], layout="NCHW",
                              padding_mode=padding,
                              align_corners=bool(node.attr("align_corners", 0)))


def _scalar_input(node, graph, index, what, default):
    expr = node.input(index)
    if expr is None:
        return default
    value = graph.static(expr, node, what)
    if value.size != 1:
        raise node.error(f"{what} must hold one value, got shape {value.shape}")
    return value.reshape(()).item()


@register("NonMaxSuppression")
def _non_max_suppression(node, graph):
    """ONNX NonMaxSuppression with a static output shape.

    The output is ``(num_batches * num_classes * min(max_output_boxes_per_class,
    num_boxes), 3)`` int64: the selected ``(batch, class, box)`` rows in ONNX Runtime's
    order (by batch, then class, then decreasing score) come first, and the remaining
    rows are padding filled with ``-1``. The number of valid rows is the number of
    rows whose entries are not negative (``(out[:, 0] >= 0).sum()``). ONNX defines
    the output as the valid rows only, a shape known only at run time; the graph
    executor needs static shapes, hence the padding.

    ``max_output_boxes_per_class``, ``iou_threshold`` and ``score_threshold`` must be
    constants. A box is suppressed when its IoU with a selected box of the same
    class is greater than ``iou_threshold``; with a ``score_threshold``, only boxes
    scoring above it are candidates.
    """
    boxes, scores = node.require(0, "boxes"), node.require(1, "scores")
    bshape = graph.static_shape(boxes, node, "boxes")
    sshape = graph.static_shape(scores, node, "scores")
    if len(bshape) != 3 or bshape[2] != 4 or len(sshape) != 3 or \
            (sshape[0], sshape[2]) != (bshape[0], bshape[1]):
        raise node.error(f"boxes {bshape} and scores {sshape} must be (batch, boxes, 4) and "
                         "(batch, classes, boxes)")
    max_per_class = int(_scalar_input(node, graph, 2, "max_output_boxes_per_class", 0))
    iou_threshold = float(_scalar_input(node, graph, 3, "iou_threshold", 0.0))
    score_threshold = _scalar_input(node, graph, 4, "score_threshold", None)
    batch, num_classes, num_boxes = sshape
    rows = batch * num_classes * min(max(max_per_class, 0), num_boxes)
    if rows == 0:
        return const(np.zeros((0, 3)), "int64")
    center = node.attr("center_point_box", 0)
    if center not in (0, 1):
        raise node.error(f"center_point_box must be 0 or 1, got {center}")
    if center:  # (x_center, y_center, width, height) -> corners, as ONNX Runtime computes them
        parts = _transform.split(boxes, 4, axis=2)
        half_w = _tensor.divide(parts[2], const(2.0, "float32"))
        half_h = _tensor.divide(parts[3], const(2.0, "float32"))
        boxes = _tensor.concatenate([_tensor.subtract(parts[1], half_h),
                                     _tensor.subtract(parts[0], half_w),
                                     _tensor.add(parts[1], half_h),
                                     _tensor.add(parts[0], half_w)], axis=2)
    selected = _nms.all_class_non_max_suppression(
        _transform.cast(boxes, "float32"), _transform.cast(scores, "float32"), max_per_class,
        iou_threshold, float("-inf") if score_threshold is None else float(score_threshold))
    return _transform.strided_slice(selected[0], [0, 0], [rows, 3])
