"""``vision.roi_align``, ``vision.roi_pool`` and ``vision.yolo_reorg`` (TVM 0.8
ops): constructors, type relations and computes."""
from tvm import te, topi

from ...ty import TensorType
from .._util import define, int_tuple, make_call
from ..op import OpPattern
from ..type_relations import RelationError, dim_mul, is_any, layout_axes, shape_str, tensor_arg

__all__ = ["roi_align", "roi_pool", "yolo_reorg"]


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
