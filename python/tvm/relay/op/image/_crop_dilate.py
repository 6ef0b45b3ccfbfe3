"""``image.crop_and_resize`` and ``image.dilation2d`` (TVM 0.8 ops):
constructors, type relations and TOPI computes."""
import tvm
from tvm import te, topi

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


def _f32(expr):
    return expr.astype("float32")


def _f64(expr):
    return expr.astype("float64")


def _box_coord(lo, hi, index, size, target):
    """The source coordinate of output row/column ``index`` of a crop from ``lo``
    to ``hi`` (normalised) of an axis of ``size`` pixels, in 0.8's float32 steps:
    ``lo * (size - 1) + index * ((size - 1) * (hi - lo) / (target - 1))``.

    Each product, quotient and sum is computed in float64 and rounded to
    float32, which is the correctly rounded float32 result, so the value does
    not depend on the target: with FMA (the host CPU), LLVM would fuse the
    product into the final sum and round once, and a box ending exactly at the
    image border (``hi = 1``) would land inside the image where 0.8 (and
    TensorFlow) land just outside and extrapolate. A crop of one pixel samples
    the box centre, as TensorFlow does (0.8 divided by zero there)."""
    lo, hi = _f32(lo), _f32(hi)
    if target == 1:
        return _f32(_f64(_f32(_f64(lo) + _f64(hi))) * (0.5 * (size - 1)))
    span = _f32(_f64(_f32(_f64(hi) - _f64(lo))) * float(size - 1))
    scale = _f32(_f64(span) / float(target - 1))
    start = _f32(_f64(lo) * float(size - 1))
    step = _f32(_f64(scale) * _f64(index))
    return _f32(_f64(start) + _f64(step))


def _crop_and_resize_compute(attrs, inputs, out_type):
    data, boxes, box_indices = inputs
    nhwc = attrs.layout == "NHWC"
    height, width = (data.shape[1], data.shape[2]) if nhwc else (data.shape[2], data.shape[3])
    height, width = int(height), int(width)
    crop_h, crop_w = (int(s) for s in attrs.crop_size)
    extrapolation = tvm.tirx.const(float(attrs.extrapolation_value), "float32")
    dtype = out_type.dtype

    def pixel(image, y, x, channel):
        return _f32(data[image, y, x, channel] if nhwc else data[image, channel, y, x])

    def element(*idx):
        box, y, x, channel = (idx[0], idx[1], idx[2], idx[3]) if nhwc else \
            (idx[0], idx[2], idx[3], idx[1])
        image = box_indices[box]
        in_y = _box_coord(boxes[box, 0], boxes[box, 2], y, height, crop_h)
        in_x = _box_coord(boxes[box, 1], boxes[box, 3], x, width, crop_w)
        outside = tvm.tirx.any(in_y < 0.0, in_y > float(height - 1), in_x < 0.0,
                               in_x > float(width - 1))
        if attrs.method == "nearest_neighbor":
            yi = tvm.tirx.max(tvm.tirx.min(tvm.tirx.nearbyint(in_y).astype("int32"), height - 1), 0)
            xi = tvm.tirx.max(tvm.tirx.min(tvm.tirx.nearbyint(in_x).astype("int32"), width - 1), 0)
            value = pixel(image, yi, xi, channel)
        else:
            top_f, left_f = tvm.tirx.floor(in_y), tvm.tirx.floor(in_x)
            y_lerp, x_lerp = in_y - top_f, in_x - left_f
            top = tvm.tirx.max(tvm.tirx.min(top_f.astype("int32"), height - 1), 0)
            left = tvm.tirx.max(tvm.tirx.min(left_f.astype("int32"), width - 1), 0)
            bottom = tvm.tirx.min(top + 1, height - 1)
            right = tvm.tirx.min(left + 1, width - 1)
            upper = pixel(image, top, left, channel) + \
                (pixel(image, top, right, channel) - pixel(image, top, left, channel)) * x_lerp
            lower = pixel(image, bottom, left, channel) + \
                (pixel(image, bottom, right, channel) - pixel(image, bottom, left, channel)) * x_lerp
            value = upper + (lower - upper) * y_lerp
        return tvm.tirx.Select(outside, extrapolation, value).astype(dtype)

    return [te.compute(tuple(out_type.shape), element, name="crop_and_resize",
                       tag="injective")]


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


def _first_two(value, what):
    """``(h, w)`` of a stride or dilation. 0.8 stored any list and its type
    relation read only the first two values, so a 4-value list (as 0.8's tests
    pass, ``[1, 1, 1, 1]``) is accepted and its first two values are used."""
    if isinstance(value, (list, tuple)) and len(value) == 4:
        value = tuple(value[:2])
    return int_tuple(value, 2, what)


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
                     strides=_first_two(strides, "strides"), padding=pad,
                     dilations=_first_two(dilations, "dilations"), data_layout=data_layout,
                     kernel_layout=kernel_layout, out_dtype=out_dtype or "")
