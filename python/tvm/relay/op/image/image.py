"""Image operators (upstream ``relay.image``) with their registration."""
from tvm import topi

from ...ty import TensorType
from .._util import define, make_call
from ..op import OpPattern
from ..type_relations import RelationError, layout_axes, shape_str, tensor_arg

__all__ = ["resize2d", "affine_grid"]


def resize2d(data, size, roi=None, layout="NCHW", method="linear",
             coordinate_transformation_mode="half_pixel", rounding_method="", cubic_alpha=-0.5,
             cubic_exclude=0, extrapolation_value=0.0, out_dtype=None):
    """Resize the spatial axes of ``data`` to ``size``.

    Parameters
    ----------
    data : relay.Expr
        4-d tensor in ``layout`` (``NCHW`` or ``NHWC``).
    size : tuple of int
        The output ``(height, width)``.
    roi : tuple of float, optional
        Region of interest for ``coordinate_transformation_mode="tf_crop_and_resize"``.
    layout : str
    method : str
        ``"nearest_neighbor"``, ``"linear"`` or ``"cubic"``.
    coordinate_transformation_mode : str
        ``"half_pixel"``, ``"align_corners"``, ``"asymmetric"``...
    rounding_method : str
        For nearest neighbour: ``"round"``, ``"floor"``, ``"ceil"`` (``""``: the default).
    cubic_alpha : float
    cubic_exclude : int
    extrapolation_value : float
    out_dtype : str, optional
        Default: the input dtype.
    """
    if isinstance(size, int):
        size = (size, size)
    roi = (0.0, 0.0, 0.0, 0.0) if roi is None else tuple(float(r) for r in roi)
    return make_call(
        "image.resize2d", [data], "relay.attrs.Resize2DAttrs",
        roi=roi, size=tuple(int(s) for s in size), layout=layout, method=method,
        coordinate_transformation_mode=coordinate_transformation_mode,
        rounding_method=rounding_method, cubic_alpha=float(cubic_alpha),
        cubic_exclude=int(cubic_exclude), extrapolation_value=float(extrapolation_value),
        out_dtype=out_dtype or "",
    )


def affine_grid(data, target_shape=None):
    """The sampling grid of 2-d affine transforms.

    Parameters
    ----------
    data : relay.Expr
        ``(batch, 2, 3)`` affine matrices.
    target_shape : tuple of int
        The output ``(height, width)``.

    Returns
    -------
    result : relay.Expr
        ``(batch, 2, height, width)``.
    """
    if target_shape is None or len(target_shape) != 2:
        raise ValueError(f"affine_grid needs target_shape=(height, width), got {target_shape!r}")
    return make_call("image.affine_grid", [data], "relay.attrs.AffineGridAttrs",
                     target_shape=tuple(int(s) for s in target_shape))


def _resize2d_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(data.shape) != 4:
        raise RelationError(f"data {shape_str(data.shape)} must be 4-d")
    axes = layout_axes(attrs.layout, "NCHW", "layout")
    if len(attrs.size) != 2:
        raise RelationError(f"size {tuple(attrs.size)} must have 2 values")
    shape = list(data.shape)
    shape[axes["H"]], shape[axes["W"]] = attrs.size
    return TensorType(shape, attrs.out_dtype or data.dtype)


def _resize2d_compute(attrs, inputs, out_type):
    return [topi.image.resize2d(
        inputs[0], list(attrs.roi), list(attrs.size), attrs.layout, attrs.method,
        attrs.coordinate_transformation_mode, attrs.rounding_method, attrs.cubic_alpha,
        attrs.cubic_exclude, attrs.extrapolation_value, out_type.dtype,
        None if out_type.is_dynamic() else list(out_type.shape),
    )]


def _affine_grid_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(data.shape) != 3 or data.shape[1:] != (2, 3):
        raise RelationError(f"data {shape_str(data.shape)} must be (batch, 2, 3)")
    return TensorType((data.shape[0], 2) + tuple(attrs.target_shape), data.dtype)


def _affine_grid_compute(attrs, inputs, out_type):
    return [topi.image.affine_grid(inputs[0], list(attrs.target_shape))]


define("image.resize2d", _resize2d_rel, OpPattern.INJECTIVE, _resize2d_compute, 1,
       "relay.attrs.Resize2DAttrs")
define("image.affine_grid", _affine_grid_rel, OpPattern.INJECTIVE, _affine_grid_compute, 1,
       "relay.attrs.AffineGridAttrs")
