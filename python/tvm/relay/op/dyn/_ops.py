"""Declaration of TVM 0.8's dynamic operators (``dyn.*``).

A dynamic operator is the form an operator takes when one of its shape
arguments (a new shape, repetitions, ``k``, a slice's bounds, a padding, a
scale...) is a Relay expression computed at run time instead of a number known
when the program is built. The argument becomes an input tensor of the call,
and the output dimensions it decides are ``Any`` in the inferred type.

Each dynamic operator is described by one :class:`DynOp`: its type relation
and a ``to_static(attrs, args, values)`` function that builds the static call
the dynamic one stands for, given the values of its shape arguments. That one
function serves twice:

* :func:`tvm.relay.transform.DynamicToStatic` calls it when the shape
  arguments have become constants;
* the NumPy reference interpreter (:mod:`.._reference`) calls it at run time
  with the arguments' values and evaluates the static call's kernel, so a
  dynamic operator computes exactly what its static form computes.

The compile path (TOPI computes, the graph executor) has no dynamic operator:
its programs are static after ``DynamicToStatic``; one that stays dynamic is run
by the interpreter (see ``create_executor``).
"""
import numpy as np

from ...ty import Any, TensorType, TupleType
from .._util import define
from ..op import OpPattern, register_gradient
from ..type_relations import RelationError, normalize_axis, parse_layout, tensor_arg

_DYN_OPS = {}


class DynOp:
    """What ``DynamicToStatic`` and the interpreter need to know of a dynamic op.

    Parameters
    ----------
    name : str
        ``"dyn.reshape"``...
    shape_args : tuple of int
        Indices of the arguments that become attributes of the static form (all must be
        constants for the call to become static).
    to_static : callable
        ``to_static(attrs, args, values) -> relay.Expr``: the static call. ``args`` are
        the call's argument expressions, ``values`` maps each index of ``shape_args`` to
        its value as a NumPy array.
    """

    __slots__ = ("name", "shape_args", "to_static")

    def __init__(self, name, shape_args, to_static):
        self.name = name
        self.shape_args = tuple(shape_args)
        self.to_static = to_static


def get_dyn_op(name):
    """The :class:`DynOp` of operator ``name``, or None for a static operator."""
    return _DYN_OPS.get(name)


def list_dyn_ops():
    """Names of the dynamic operators."""
    return sorted(_DYN_OPS)


def output_type(op_name, attrs, arg_types, values):
    """The static output type of a dynamic call, given its arguments' types and the
    values of its shape arguments: the role of 0.8's shape functions (an executor
    that allocates outputs before running a kernel needs it).

    Parameters
    ----------
    op_name : str
        ``"dyn.reshape"``...
    attrs : relay.Attrs
        The call's attributes.
    arg_types : list of relay.Type
        The (static) types of the call's arguments.
    values : dict of int to numpy.ndarray
        The values of the shape arguments (indices of ``get_dyn_op(op_name).shape_args``).

    Returns
    -------
    relay.Type
    """
    from ...expr import TupleWrapper, Var  # pylint: disable=import-outside-toplevel
    from ...function import Function  # pylint: disable=import-outside-toplevel
    from ...module import IRModule  # pylint: disable=import-outside-toplevel
    from ...transform.type_infer import InferType  # pylint: disable=import-outside-toplevel

    spec = _DYN_OPS[op_name]
    params = [Var(f"arg{i}", ty) for i, ty in enumerate(arg_types)]
    static = spec.to_static(attrs, params, values)
    if isinstance(static, TupleWrapper):
        static = static.astuple()
    mod = InferType()(IRModule.from_expr(Function(params, static)))
    return mod["main"].body.checked_type


def _declare(name, rel, pattern, num_inputs, attrs_type_key, shape_args, to_static, describe):
    define(name, rel, pattern, None, num_inputs, attrs_type_key, describe)
    _DYN_OPS[name] = DynOp(name, shape_args, to_static)


# -- helpers --------------------------------------------------------------------------


def _static_length(ty, what, ndim=1):
    """The static length of a 1-d shape argument (0.8: "must have static rank")."""
    if len(ty.shape) != ndim:
        raise RelationError(f"{what} must be a {ndim}-d tensor, got shape {tuple(ty.shape)}")
    length = ty.shape[0]
    if isinstance(length, Any):
        raise RelationError(
            f"{what} has a dynamic length, so the output rank is unknown (dynamic rank is "
            "not supported, as in TVM 0.8)"
        )
    return int(length)


def _ints(value):
    return [int(v) for v in np.asarray(value).reshape(-1)]


def _scalar(value):
    return np.asarray(value).reshape(-1)[0].item()


def _fields(attrs, *names):
    return {name: attrs.get(name) for name in names}


def _any_dims(n):
    return tuple(Any() for _ in range(n))


# -- dyn.reshape ----------------------------------------------------------------------


def _reshape_rel(arg_types, attrs):
    del attrs
    data = tensor_arg(arg_types, 0, "data")
    rank = _static_length(tensor_arg(arg_types, 1, "newshape"), "newshape")
    return TensorType(_any_dims(rank), data.dtype)


def _reshape_static(attrs, args, values):
    from ..transform import reshape  # pylint: disable=import-outside-toplevel

    del attrs
    return reshape(args[0], _ints(values[1]))


_declare("dyn.reshape", _reshape_rel, OpPattern.INJECTIVE, 2, "relay.attrs.ReshapeAttrs", (1,),
         _reshape_static, "reshape to a shape given as a 1-d tensor")


# -- dyn.squeeze / dyn.expand_dims ----------------------------------------------------


def _squeeze_rel(arg_types, attrs):
    del attrs
    data = tensor_arg(arg_types, 0, "data")
    count = _static_length(tensor_arg(arg_types, 1, "axis"), "axis")
    if count > len(data.shape):
        raise RelationError(f"cannot squeeze {count} axes of a rank-{len(data.shape)} tensor")
    return TensorType(_any_dims(len(data.shape) - count), data.dtype)


def _squeeze_static(attrs, args, values):
    from ..transform import squeeze  # pylint: disable=import-outside-toplevel

    del attrs
    return squeeze(args[0], _ints(values[1]))


_declare("dyn.squeeze", _squeeze_rel, OpPattern.INJECTIVE, 2, "relay.attrs.SqueezeAttrs", (1,),
         _squeeze_static, "squeeze the axes given as a 1-d tensor")


def _expand_dims_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    axis = tensor_arg(arg_types, 1, "axis")
    if len(axis.shape) != 0:
        raise RelationError(f"axis should be a scalar, got shape {tuple(axis.shape)}")
    return TensorType(_any_dims(len(data.shape) + int(attrs.num_newaxis)), data.dtype)


def _expand_dims_static(attrs, args, values):
    from ..transform import expand_dims  # pylint: disable=import-outside-toplevel

    return expand_dims(args[0], int(_scalar(values[1])), int(attrs.num_newaxis))


_declare("dyn.expand_dims", _expand_dims_rel, OpPattern.INJECTIVE, 2,
         "relay.attrs.ExpandDimsAttrs", (1,), _expand_dims_static,
         "insert axes at a position given as a scalar tensor")


# -- dyn.tile / dyn.broadcast_to ------------------------------------------------------


def _tile_rel(arg_types, attrs):
    del attrs
    data = tensor_arg(arg_types, 0, "data")
    rndim = _static_length(tensor_arg(arg_types, 1, "reps"), "reps")
    return TensorType(_any_dims(max(len(data.shape), rndim)), data.dtype)


def _tile_static(attrs, args, values):
    from ..transform import tile  # pylint: disable=import-outside-toplevel

    del attrs
    return tile(args[0], _ints(values[1]))


_declare("dyn.tile", _tile_rel, OpPattern.INJECTIVE, 2, "relay.attrs.TileAttrs", (1,),
         _tile_static, "tile by repetitions given as a 1-d tensor")


def _broadcast_to_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    rank = _static_length(tensor_arg(arg_types, 1, "shape"), "shape")
    dtype = (attrs.get("dtype") if attrs is not None else "") or data.dtype
    return TensorType(_any_dims(rank), dtype)


def _broadcast_to_static(attrs, args, values):
    from ..transform import broadcast_to  # pylint: disable=import-outside-toplevel

    del attrs
    return broadcast_to(args[0], _ints(values[1]))


_declare("dyn.broadcast_to", _broadcast_to_rel, OpPattern.BROADCAST, 2,
         "relay.attrs.InitOpAttrs", (1,), _broadcast_to_static,
         "broadcast to a shape given as a 1-d tensor")


# -- dyn.zeros / dyn.ones / dyn.full --------------------------------------------------


def _init_rel(arg_types, attrs):
    rank = _static_length(tensor_arg(arg_types, 0, "shape"), "shape")
    return TensorType(_any_dims(rank), attrs.dtype)


def _zeros_static(attrs, args, values):
    from ..tensor import zeros  # pylint: disable=import-outside-toplevel

    del args
    return zeros(_ints(values[0]), attrs.dtype)


def _ones_static(attrs, args, values):
    from ..tensor import ones  # pylint: disable=import-outside-toplevel

    del args
    return ones(_ints(values[0]), attrs.dtype)


_declare("dyn.zeros", _init_rel, OpPattern.ELEMWISE, 1, "relay.attrs.InitOpAttrs", (0,),
         _zeros_static, "zeros of a shape given as a 1-d tensor")
_declare("dyn.ones", _init_rel, OpPattern.ELEMWISE, 1, "relay.attrs.InitOpAttrs", (0,),
         _ones_static, "ones of a shape given as a 1-d tensor")


def _full_rel(arg_types, attrs):
    fill = tensor_arg(arg_types, 0, "fill_value")
    if len(fill.shape) != 0:
        raise RelationError(f"fill_value must be a scalar, got shape {tuple(fill.shape)}")
    rank = _static_length(tensor_arg(arg_types, 1, "shape"), "shape")
    return TensorType(_any_dims(rank), attrs.get("dtype") or fill.dtype)


def _full_static(attrs, args, values):
    from ..transform import full  # pylint: disable=import-outside-toplevel

    return full(args[0], _ints(values[1]), attrs.get("dtype") or "")


_declare("dyn.full", _full_rel, OpPattern.ELEMWISE, 2, "relay.attrs.InitOpAttrs", (1,),
         _full_static, "a scalar broadcast to a shape given as a 1-d tensor")


# -- dyn.one_hot ----------------------------------------------------------------------


def _one_hot_rel(arg_types, attrs):
    indices = tensor_arg(arg_types, 0, "indices")
    depth = tensor_arg(arg_types, 3, "depth")
    if len(depth.shape) > 1 or (len(depth.shape) == 1 and depth.shape[0] != 1):
        raise RelationError(f"depth must be a scalar, got shape {tuple(depth.shape)}")
    ndim = len(indices.shape) + 1
    axis = int(attrs.axis)
    axis = ndim - 1 if axis == -1 else normalize_axis(axis, ndim)
    shape = list(indices.shape)
    shape.insert(axis, Any())
    return TensorType(tuple(shape), attrs.dtype)


def _one_hot_static(attrs, args, values):
    from ..transform import one_hot  # pylint: disable=import-outside-toplevel

    return one_hot(args[0], args[1], args[2], int(_scalar(values[3])), int(attrs.axis),
                   attrs.dtype)


_declare("dyn.one_hot", _one_hot_rel, OpPattern.OUT_ELEMWISE_FUSABLE, 4,
         "relay.attrs.OneHotAttrs", (3,), _one_hot_static,
         "one-hot encoding with a depth given as a tensor")


# -- dyn.strided_slice ----------------------------------------------------------------


def _strided_slice_rel(arg_types, attrs):
    del attrs
    data = tensor_arg(arg_types, 0, "data")
    count = _static_length(tensor_arg(arg_types, 1, "begin"), "begin")
    for i, what in ((2, "end"), (3, "strides")):
        _static_length(tensor_arg(arg_types, i, what), what)
    if count > len(data.shape):
        raise RelationError(
            f"begin has {count} values for a tensor of rank {len(data.shape)}"
        )
    return TensorType(_any_dims(count) + tuple(data.shape[count:]), data.dtype)


def _strided_slice_static(attrs, args, values):
    from ..transform import strided_slice  # pylint: disable=import-outside-toplevel

    return strided_slice(args[0], _ints(values[1]), _ints(values[2]), _ints(values[3]),
                         slice_mode=attrs.get("slice_mode") or "end")


_declare("dyn.strided_slice", _strided_slice_rel, OpPattern.INJECTIVE, 4,
         "relay.attrs.StridedSliceAttrs", (1, 2, 3), _strided_slice_static,
         "strided slice with begin/end/strides given as 1-d tensors")


# -- dyn.sparse_to_dense --------------------------------------------------------------


def _sparse_to_dense_rel(arg_types, attrs):
    del attrs
    indices = tensor_arg(arg_types, 0, "sparse_indices")
    values = tensor_arg(arg_types, 1, "sparse_values")
    default = tensor_arg(arg_types, 2, "default_value")
    if not indices.dtype.startswith(("int", "uint")):
        raise RelationError(f"sparse_indices must be integers, got {indices.dtype}")
    if len(indices.shape) > 2:
        raise RelationError("sparse_indices must be a 0-d, 1-d or 2-d tensor")
    if len(values.shape) > 1:
        raise RelationError("sparse_values must be a 0-d or 1-d tensor")
    if len(default.shape) != 0:
        raise RelationError("default_value should be a scalar")
    rank = _static_length(tensor_arg(arg_types, 3, "output_shape"), "output_shape")
    return TensorType(_any_dims(rank), values.dtype)


def _sparse_to_dense_static(attrs, args, values):
    from .._tensor_sets import sparse_to_dense  # pylint: disable=import-outside-toplevel

    del attrs
    return sparse_to_dense(args[0], _ints(values[3]), args[1], args[2])


_declare("dyn.sparse_to_dense", _sparse_to_dense_rel, OpPattern.OPAQUE, 4, "", (3,),
         _sparse_to_dense_static, "sparse to dense with an output shape given as a 1-d tensor")


# -- dyn.topk -------------------------------------------------------------------------


def _topk_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    k = tensor_arg(arg_types, 1, "k")
    if len(k.shape) > 1 or (len(k.shape) == 1 and k.shape[0] != 1):
        raise RelationError(f"k must be a scalar or a tensor of shape (1,), got {tuple(k.shape)}")
    ndim = len(data.shape)
    axis = normalize_axis(int(attrs.axis), ndim)
    shape = tuple(Any() if i == axis else d for i, d in enumerate(data.shape))
    values_ty, indices_ty = TensorType(shape, data.dtype), TensorType(shape, attrs.dtype)
    if attrs.ret_type == "both":
        return TupleType([values_ty, indices_ty])
    if attrs.ret_type == "values":
        return values_ty
    if attrs.ret_type == "indices":
        return indices_ty
    raise RelationError(f"unsupported ret_type {attrs.ret_type!r}")


def _topk_static(attrs, args, values):
    from ..algorithm import topk  # pylint: disable=import-outside-toplevel

    out = topk(args[0], int(_scalar(values[1])), int(attrs.axis), attrs.ret_type,
               bool(attrs.is_ascend), attrs.dtype)
    return out.astuple() if hasattr(out, "astuple") else out


_declare("dyn.topk", _topk_rel, OpPattern.OPAQUE, 2, "relay.attrs.TopKAttrs", (1,),
         _topk_static, "top k with k given as a tensor")


# -- dyn.image.resize2d ---------------------------------------------------------------

_RESIZE_FIELDS = ("roi", "layout", "method", "coordinate_transformation_mode",
                  "rounding_method", "cubic_alpha", "cubic_exclude", "extrapolation_value",
                  "out_dtype")


def _spatial_any_rel(what, letters, arg_index_of_data=0):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, arg_index_of_data, "data")
        axes = [letter for letter, _ in parse_layout(attrs.layout)]
        shape = list(data.shape)
        for letter in letters:
            if letter not in axes:
                raise RelationError(f"{what}: layout {attrs.layout} has no {letter} axis")
            shape[axes.index(letter)] = Any()
        dtype = data.dtype
        if attrs.get("out_dtype"):
            dtype = attrs.out_dtype
        return TensorType(tuple(shape), dtype)

    return rel


def _resize2d_rel(arg_types, attrs):
    size = tensor_arg(arg_types, 1, "size")
    if _static_length(size, "size") != 2:
        raise RelationError(f"size must hold 2 values, got shape {tuple(size.shape)}")
    return _spatial_any_rel("dyn.image.resize2d", "HW")(arg_types, attrs)


def _resize2d_static(attrs, args, values):
    from ..image.image import resize2d  # pylint: disable=import-outside-toplevel

    fields = _fields(attrs, *_RESIZE_FIELDS)
    fields["out_dtype"] = fields["out_dtype"] or None
    return resize2d(args[0], _ints(values[1]), **fields)


_declare("dyn.image.resize2d", _resize2d_rel, OpPattern.INJECTIVE, 2,
         "relay.attrs.Resize2DAttrs", (1,), _resize2d_static,
         "resize2d to a size given as a 1-d tensor")


# -- dyn.nn.pad / dyn.nn.upsampling / dyn.nn.upsampling3d -----------------------------


def _pad_rel(arg_types, attrs):
    del attrs
    data = tensor_arg(arg_types, 0, "data")
    width = tensor_arg(arg_types, 1, "pad_width")
    tensor_arg(arg_types, 2, "pad_value")
    if len(width.shape) != 2:
        raise RelationError(f"pad_width must be 2-d, got shape {tuple(width.shape)}")
    return TensorType(_any_dims(len(data.shape)), data.dtype)


def _pad_static(attrs, args, values):
    from ..nn.nn import pad  # pylint: disable=import-outside-toplevel

    width = np.asarray(values[1]).reshape(-1, 2)
    return pad(args[0], [(int(b), int(a)) for b, a in width], args[2],
               attrs.get("pad_mode") or "constant")


_declare("dyn.nn.pad", _pad_rel, OpPattern.INJECTIVE, 3, "relay.attrs.PadAttrs", (1,),
         _pad_static, "pad by widths given as a 2-d tensor")


def _scalar_args_rel(op_name, first, count, letters):
    spatial = _spatial_any_rel(op_name, letters)

    def rel(arg_types, attrs):
        for i in range(first, first + count):
            scale = tensor_arg(arg_types, i, "scale")
            if len(scale.shape) != 0:
                raise RelationError(f"{op_name}: scales must be scalars, got {tuple(scale.shape)}")
        return spatial(arg_types, attrs)

    return rel


def _upsampling_static(attrs, args, values):
    from ..nn.nn import upsampling  # pylint: disable=import-outside-toplevel

    return upsampling(args[0], _scalar(values[1]), _scalar(values[2]), attrs.layout,
                      attrs.method, bool(attrs.align_corners))


def _upsampling3d_static(attrs, args, values):
    from ..nn.nn import upsampling3d  # pylint: disable=import-outside-toplevel

    return upsampling3d(args[0], _scalar(values[1]), _scalar(values[2]), _scalar(values[3]),
                        attrs.layout, attrs.method, attrs.coordinate_transformation_mode)


_declare("dyn.nn.upsampling", _scalar_args_rel("dyn.nn.upsampling", 1, 2, "HW"),
         OpPattern.INJECTIVE, 3, "relay.attrs.UpSamplingAttrs", (1, 2), _upsampling_static,
         "upsampling by scales given as scalar tensors")
_declare("dyn.nn.upsampling3d", _scalar_args_rel("dyn.nn.upsampling3d", 1, 3, "DHW"),
         OpPattern.INJECTIVE, 4, "relay.attrs.UpSampling3DAttrs", (1, 2, 3),
         _upsampling3d_static, "upsampling3d by scales given as scalar tensors")


# -- dyn.arange -----------------------------------------------------------------------


def _arange_rel(arg_types, attrs):
    for i, what in enumerate(("start", "stop", "step")):
        ty = tensor_arg(arg_types, i, what)
        if len(ty.shape) != 0:
            raise RelationError(f"{what} must be a scalar, got shape {tuple(ty.shape)}")
    return TensorType((Any(),), attrs.dtype)


def _arange_static(attrs, args, values):
    from ..transform import arange  # pylint: disable=import-outside-toplevel

    del args
    return arange(_scalar(values[0]), _scalar(values[1]), _scalar(values[2]), attrs.dtype)


_declare("dyn.arange", _arange_rel, OpPattern.OPAQUE, 3, "relay.attrs.ArangeAttrs", (0, 1, 2),
         _arange_static, "evenly spaced values between bounds given as scalar tensors")


# -- gradients ------------------------------------------------------------------------


def _dyn_reshape_grad(orig, grad):
    """0.8's gradient of ``dyn.reshape``: the gradient reshaped back to the data's shape,
    zeros for the shape argument."""
    from ..tensor import zeros_like  # pylint: disable=import-outside-toplevel
    from ..transform import reshape_like  # pylint: disable=import-outside-toplevel

    return [reshape_like(grad, orig.args[0]), zeros_like(orig.args[1])]


register_gradient("dyn.reshape", _dyn_reshape_grad)
