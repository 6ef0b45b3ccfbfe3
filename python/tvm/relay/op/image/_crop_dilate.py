"""``image.crop_and_resize`` and ``image.dilation2d`` (TVM 0.8 ops):
constructors, type relations and TOPI computes."""
from tvm import topi

from ...ty import TensorType
from .._util import define, int_tuple, make_call
from ..op import OpPattern
from ..type_relations import RelationError, dim_conv_out, layout_axes, shape_str, tensor_arg

__all__ = ["crop_and_resize", "dilation2d"]


def _crop_and_resize_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    boxes = tensor_arg(arg_types, 1, "boxes")
    tensor_arg(arg_types, 2, "box_indices")
    axes = layout_axes(attrs.layout, "NCHW")
    if len(boxes.shape) != 2 or boxes.shape[1] != 4:
        raise RelationError(f"boxes must be (num_boxes, 4), got {shape_str(boxes.shape)}")
    out = [0] * 4
    out[axes["N"]] = boxes.shape[0]
    out[axes["C"]] = data.shape[axes["C"]]
    out[axes["H"]], out[axes["W"]] = attrs.crop_size
    return TensorType(out, attrs.out_dtype or data.dtype)


def _crop_and_resize_compute(attrs, inputs, out_type):
    return [topi.image.crop_and_resize(
        inputs[0], inputs[1], inputs[2], list(attrs.crop_size), attrs.layout, attrs.method,
        attrs.extrapolation_value, out_type.dtype)]


define("image.crop_and_resize", _crop_and_resize_rel, OpPattern.INJECTIVE,
       _crop_and_resize_compute, 3, "relay.attrs.CropAndResizeAttrs")


def crop_and_resize(data, boxes, box_indices, crop_size, layout, method="bilinear",
                    extrapolation_value=0, out_dtype=None):
    """Crop boxes out of images and resize each to ``crop_size`` (TensorFlow's op).

    Parameters
    ----------
    data : relay.Expr
        Images in ``layout`` (``NCHW`` or ``NHWC``).
    boxes : relay.Expr
        ``(num_boxes, 4)`` normalised ``[y1, x1, y2, x2]``.
    box_indices : relay.Expr
        ``(num_boxes,)`` image index of each box.
    crop_size : tuple of int
        ``(height, width)`` of each crop.
    method : str
        ``"bilinear"`` or ``"nearest_neighbor"``.
    extrapolation_value : float
        Value of samples outside the image.
    """
    if method not in ("bilinear", "nearest_neighbor"):
        raise ValueError(f"crop_and_resize: method must be bilinear or nearest_neighbor, got {method!r}")
    return make_call("image.crop_and_resize", [data, boxes, box_indices],
                     "relay.attrs.CropAndResizeAttrs", crop_size=int_tuple(crop_size, 2, "crop_size"),
                     layout=layout, method=method, extrapolation_value=float(extrapolation_value),
                     out_dtype=out_dtype or "")


_DILATION_LAYOUTS = {"NCHW": "IHW", "NHWC": "HWI"}


def _dilation2d_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    weight = tensor_arg(arg_types, 1, "weight")
    if _DILATION_LAYOUTS.get(attrs.data_layout) != attrs.kernel_layout:
        raise RelationError(
            f"data_layout {attrs.data_layout!r} with kernel_layout {attrs.kernel_layout!r} is not "
            "supported (NCHW with IHW, or NHWC with HWI)"
        )
    axes = layout_axes(attrs.data_layout, "NCHW")
    kaxes = {axis: attrs.kernel_layout.index(axis) for axis in "IHW"}
    if weight.shape[kaxes["I"]] != data.shape[axes["C"]]:
        raise RelationError(f"weight {shape_str(weight.shape)} does not match the {data.shape[axes['C']]} channels")
    pad = attrs.padding
    out = list(data.shape)
    out[axes["H"]] = dim_conv_out(data.shape[axes["H"]], weight.shape[kaxes["H"]], attrs.strides[0],
                                  pad[0], pad[2], attrs.dilations[0])
    out[axes["W"]] = dim_conv_out(data.shape[axes["W"]], weight.shape[kaxes["W"]], attrs.strides[1],
                                  pad[1], pad[3], attrs.dilations[1])
    return TensorType(out, attrs.out_dtype or data.dtype)


def _dilation2d_compute(attrs, inputs, out_type):
    fn = topi.image.dilation2d_nchw if attrs.data_layout == "NCHW" else topi.image.dilation2d_nhwc
    return [fn(inputs[0], inputs[1], list(attrs.strides), list(attrs.padding), list(attrs.dilations),
               out_type.dtype)]


define("image.dilation2d", _dilation2d_rel, OpPattern.OUT_ELEMWISE_FUSABLE, _dilation2d_compute, 2,
       "relay.attrs.Dilation2DAttrs")


def dilation2d(data, weight, strides=(1, 1), padding=(0, 0), dilations=(1, 1), data_layout="NCHW",
               kernel_layout="IHW", out_dtype=""):
    """Morphological (grey-scale) dilation: the maximum of ``data + weight`` over
    each window, per channel (TensorFlow's ``dilation2d``)."""
    pad = tuple(int(p) for p in ((padding,) * 4 if isinstance(padding, int) else padding))
    if len(pad) == 2:
        pad = (pad[0], pad[1], pad[0], pad[1])
    if len(pad) != 4:
        raise ValueError(f"dilation2d: padding must have 2 or 4 values, got {padding}")
    return make_call("image.dilation2d", [data, weight], "relay.attrs.Dilation2DAttrs",
                     strides=int_tuple(strides, 2, "strides"), padding=pad,
                     dilations=int_tuple(dilations, 2, "dilations"), data_layout=data_layout,
                     kernel_layout=kernel_layout, out_dtype=out_dtype or "")
