"""Image operators (upstream ``relay.image``) with their registration."""
import functools

import tvm
from tvm import topi

from ...expr import Constant
from ...ty import TensorType
from .._util import define, make_call
from ..op import OpPattern
from ..type_relations import RelationError, dims_equal, layout_axes, shape_str, tensor_arg

__all__ = ["resize1d", "resize2d", "resize3d", "affine_grid", "grid_sample"]


def _accept_v08_positional_order(func):
    """TVM 0.8's ``resize1d/2d/3d`` had no ``roi`` parameter: its third
    positional argument was ``layout``. A string there means 0.8's order,
    ``(data, size, layout, method, coordinate_transformation_mode,
    rounding_method, cubic_alpha, cubic_exclude, out_dtype)``."""
    v08_order = ("layout", "method", "coordinate_transformation_mode", "rounding_method",
                 "cubic_alpha", "cubic_exclude", "out_dtype")

    @functools.wraps(func)
    def wrapper(data, size, *args, **kwargs):
        if args and isinstance(args[0], str):
            if len(args) > len(v08_order):
                raise TypeError(f"{func.__name__}: too many positional arguments")
            for name, value in zip(v08_order, args):
                if name in kwargs:
                    raise TypeError(f"{func.__name__}: {name} given twice")
                kwargs[name] = value
            args = ()
        return func(data, size, *args, **kwargs)

    return wrapper


def _size_value(dim):
    """An output size: an int, or kept symbolic (a ``te.var``, as 0.8 allowed)."""
    if isinstance(dim, tvm.tirx.IntImm):
        return int(dim.value)
    if isinstance(dim, tvm.ir.Node):  # a symbolic size
        return dim
    return int(dim)


def _resize(nd, data, size, roi, layout, method, coordinate_transformation_mode, rounding_method,
            cubic_alpha, cubic_exclude, extrapolation_value, out_dtype):
    from ..dyn import _make as _dyn_make  # pylint: disable=import-outside-toplevel

    if isinstance(size, Constant):
        size = [int(s) for s in size.numpy().reshape(-1)]
    if nd == 2 and _dyn_make.is_dynamic(size):  # 0.8: a run-time size gives dyn.image.resize2d
        from ..dyn.image._make import resize2d  # pylint: disable=import-outside-toplevel

        return resize2d(data, size, roi, layout, method, coordinate_transformation_mode,
                        rounding_method, cubic_alpha, cubic_exclude, extrapolation_value,
                        out_dtype)
    if isinstance(size, int):
        size = (size,) * nd
    roi = (0.0,) * (2 * nd) if roi is None else tuple(float(r) for r in roi)
    return make_call(
        f"image.resize{nd}d", [data], f"relay.attrs.Resize{nd}DAttrs",
        roi=roi, size=tuple(_size_value(s) for s in size), layout=layout, method=method,
        coordinate_transformation_mode=coordinate_transformation_mode,
        rounding_method=rounding_method, cubic_alpha=float(cubic_alpha),
        cubic_exclude=int(cubic_exclude), extrapolation_value=float(extrapolation_value),
        out_dtype=out_dtype or "",
    )


@_accept_v08_positional_order
def resize1d(data, size, roi=None, layout="NCW", method="linear",
             coordinate_transformation_mode="half_pixel", rounding_method="", cubic_alpha=-0.5,
             cubic_exclude=0, extrapolation_value=0.0, out_dtype=None):
    """Resize the width of 3-d ``data`` to ``size`` (see :func:`resize2d`)."""
    return _resize(1, data, size, roi, layout, method, coordinate_transformation_mode,
                   rounding_method, cubic_alpha, cubic_exclude, extrapolation_value, out_dtype)


@_accept_v08_positional_order
def resize3d(data, size, roi=None, layout="NCDHW", method="linear",
             coordinate_transformation_mode="half_pixel", rounding_method="", cubic_alpha=-0.5,
             cubic_exclude=0, extrapolation_value=0.0, out_dtype=None):
    """Resize depth, height and width of 5-d ``data`` to ``size`` (see :func:`resize2d`)."""
    return _resize(3, data, size, roi, layout, method, coordinate_transformation_mode,
                   rounding_method, cubic_alpha, cubic_exclude, extrapolation_value, out_dtype)


@_accept_v08_positional_order
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
    return _resize(2, data, size, roi, layout, method, coordinate_transformation_mode,
                   rounding_method, cubic_alpha, cubic_exclude, extrapolation_value, out_dtype)


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


_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _resize_rel(nd):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        if len(data.shape) != nd + 2:
            raise RelationError(f"data {shape_str(data.shape)} must be {nd + 2}-d")
        axes = layout_axes(attrs.layout, "NC" + _SPATIAL[nd], "layout")
        if len(attrs.size) != nd:
            raise RelationError(f"size {tuple(attrs.size)} must have {nd} values")
        shape = list(data.shape)
        for axis, size in zip(_SPATIAL[nd], attrs.size):
            shape[axes[axis]] = size
        return TensorType(shape, attrs.out_dtype or data.dtype)

    return rel


def _resize_compute(nd):
    fn = {1: topi.image.resize1d, 2: topi.image.resize2d, 3: topi.image.resize3d}[nd]

    def compute(attrs, inputs, out_type):
        return [fn(
            inputs[0], list(attrs.roi), list(attrs.size), attrs.layout, attrs.method,
            attrs.coordinate_transformation_mode, attrs.rounding_method, attrs.cubic_alpha,
            attrs.cubic_exclude, attrs.extrapolation_value, out_type.dtype,
            None if out_type.is_dynamic() else list(out_type.shape),
        )]

    return compute


def grid_sample(data, grid, method="bilinear", layout="NCHW", padding_mode="zeros",
                align_corners=True):
    """Sample ``data`` at the normalised coordinates of ``grid``.

    Parameters
    ----------
    data : relay.Expr
        ``(N, C, H, W)`` (or ``(N, C, D, H, W)`` with ``layout="NCDHW"``).
    grid : relay.Expr
        ``(N, 2, out_H, out_W)`` (or ``(N, 3, out_D, out_H, out_W)``).
    method, padding_mode : str
    align_corners : bool
    """
    return make_call("image.grid_sample", [data, grid], "relay.attrs.GridSampleAttrs",
                     method=method, layout=layout, padding_mode=padding_mode,
                     align_corners=bool(align_corners))


def _grid_sample_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    grid = tensor_arg(arg_types, 1, "grid")
    nd = {"NCHW": 2, "NCDHW": 3}.get(attrs.layout)
    if nd is None:
        raise RelationError(f"layout must be NCHW or NCDHW, got {attrs.layout!r}")
    if len(data.shape) != nd + 2 or len(grid.shape) != nd + 2 or not dims_equal(grid.shape[1], nd):
        raise RelationError(
            f"data {shape_str(data.shape)} and grid {shape_str(grid.shape)} do not fit layout {attrs.layout}"
        )
    return TensorType(data.shape[:2] + grid.shape[2:], data.dtype)


def _affine_grid_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(data.shape) != 3 or data.shape[1:] != (2, 3):
        raise RelationError(f"data {shape_str(data.shape)} must be (batch, 2, 3)")
    return TensorType((data.shape[0], 2) + tuple(attrs.target_shape), data.dtype)


def _affine_grid_compute(attrs, inputs, out_type):
    return [topi.image.affine_grid(inputs[0], list(attrs.target_shape))]


for _nd in (1, 2, 3):
    define(f"image.resize{_nd}d", _resize_rel(_nd), OpPattern.INJECTIVE, _resize_compute(_nd), 1,
           f"relay.attrs.Resize{_nd}DAttrs")
define("image.grid_sample", _grid_sample_rel, OpPattern.INJECTIVE,
       lambda attrs, inputs, out: [topi.image.grid_sample(inputs[0], inputs[1], attrs.method,
                                                          attrs.layout, attrs.padding_mode,
                                                          attrs.align_corners)],
       2, "relay.attrs.GridSampleAttrs")
define("image.affine_grid", _affine_grid_rel, OpPattern.INJECTIVE, _affine_grid_compute, 1,
       "relay.attrs.AffineGridAttrs")
