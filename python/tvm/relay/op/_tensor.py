"""Registration of the elementwise, broadcast and init operators."""
import numpy as np
from tvm import topi

from ..ty import TensorType
from . import _math_computes
from ._util import define
from .op import OpPattern
from .type_relations import (
    RelationError,
    broadcast_bool_rel,
    broadcast_rel,
    identity_rel,
    tensor_arg,
)

_MATH = [
    "log", "log2", "log10", "tan", "cos", "cosh", "sin", "sinh", "acos", "acosh",
    "asin", "asinh", "atan", "atanh", "exp", "erf", "sqrt", "rsqrt", "sigmoid",
    "floor", "ceil", "trunc", "round", "abs", "sign", "tanh", "negative", "fast_exp",
    "fast_tanh", "fast_erf",
]
_PREDICATES = ["isnan", "isfinite", "isinf"]
_ARITH = {
    "add": topi.add,
    "subtract": topi.subtract,
    "multiply": topi.multiply,
    "divide": topi.divide,
    "floor_divide": topi.floor_divide,
    "power": _math_computes.power,  # integer powers too
    "atan2": topi.atan2,
    "mod": topi.mod,
    "floor_mod": topi.floor_mod,
    "maximum": topi.maximum,
    "minimum": topi.minimum,
    "right_shift": topi.right_shift,
    "left_shift": topi.left_shift,
    "logical_and": topi.logical_and,
    "logical_or": topi.logical_or,
    "logical_xor": topi.logical_xor,
    "bitwise_and": topi.bitwise_and,
    "bitwise_or": topi.bitwise_or,
    "bitwise_xor": topi.bitwise_xor,
    "trunc_divide": _math_computes.trunc_divide,  # no TOPI compute in the base
    "trunc_mod": _math_computes.trunc_mod,
}
_COMPARE = {
    "equal": topi.equal,
    "not_equal": topi.not_equal,
    "less": topi.less,
    "less_equal": topi.less_equal,
    "greater": topi.greater,
    "greater_equal": topi.greater_equal,
}


def _unary_compute(fn):
    return lambda attrs, inputs, out_type: [fn(inputs[0])]


def _binary_compute(fn):
    return lambda attrs, inputs, out_type: [fn(inputs[0], inputs[1])]


def _bool_rel(arg_types, attrs):
    return TensorType(tensor_arg(arg_types, 0, "data").shape, "bool")



# The base's LLVM codegen has no cosh/sinh intrinsics: computes from exp. exp,
# erf, tanh and sigmoid on float32 use the polynomial forms that vectorise.
_MATH_OVERRIDES = {"cosh": _math_computes.cosh, "sinh": _math_computes.sinh,
                   "exp": _math_computes.exp, "erf": _math_computes.erf,
                   "tanh": _math_computes.tanh, "sigmoid": _math_computes.sigmoid}
for _name in _MATH:
    _fn = _MATH_OVERRIDES.get(_name) or getattr(topi, _name)
    define(_name, identity_rel, OpPattern.ELEMWISE, _unary_compute(_fn), 1)
for _name in _PREDICATES:
    define(_name, _bool_rel, OpPattern.ELEMWISE, _unary_compute(getattr(topi, _name)), 1)
define("logical_not", identity_rel, OpPattern.ELEMWISE, _unary_compute(topi.logical_not), 1)
define("bitwise_not", identity_rel, OpPattern.ELEMWISE, _unary_compute(topi.bitwise_not), 1)
for _name, _fn in _ARITH.items():
    define(_name, broadcast_rel, OpPattern.BROADCAST, _fn and _binary_compute(_fn), 2)
for _name, _fn in _COMPARE.items():
    define(_name, broadcast_bool_rel, OpPattern.BROADCAST, _binary_compute(_fn), 2)


# -- init ops -----------------------------------------------------------------


def _init_rel(arg_types, attrs):
    return TensorType(attrs.shape, attrs.dtype)


def _full_compute(value):
    def compute(attrs, inputs, out_type):
        return [topi.full(attrs.shape, out_type.dtype, value)]

    return compute


def _full_like_compute(value):
    return lambda attrs, inputs, out_type: [topi.full_like(inputs[0], value)]


define("zeros", _init_rel, OpPattern.ELEMWISE, _full_compute(0), 0, "relay.attrs.InitOpAttrs")
define("ones", _init_rel, OpPattern.ELEMWISE, _full_compute(1), 0, "relay.attrs.InitOpAttrs")
define("zeros_like", identity_rel, OpPattern.ELEMWISE, _full_like_compute(0), 1)
define("ones_like", identity_rel, OpPattern.ELEMWISE, _full_like_compute(1), 1)


def _clip_compute(attrs, inputs, out_type):
    return [topi.clip(inputs[0], attrs.a_min, attrs.a_max)]


define("clip", identity_rel, OpPattern.ELEMWISE, _clip_compute, 1, "relay.attrs.ClipAttrs")


def _fixed_point_multiply_rel(arg_types, attrs):  # pylint: disable=unused-argument
    data = tensor_arg(arg_types, 0, "data")
    if data.dtype != "int32":
        raise RelationError(f"fixed_point_multiply takes int32 data, got {data.dtype}")
    return data


def _fixed_point_multiply_reference(attrs, args):
    """``round(x * multiplier * 2**(shift - 31))``, ties upward, in 64-bit integers (the
    arithmetic of TOPI's ``q_multiply_shift``)."""
    data = np.asarray(args[0]).astype("int64")
    shift = int(attrs["shift"])
    left, right = max(shift, 0), 31 - min(shift, 0)
    product = (data << left) * int(attrs["multiplier"])
    return ((product + (1 << (right - 1))) >> right).astype("int32")


define("fixed_point_multiply", _fixed_point_multiply_rel, OpPattern.ELEMWISE,
       lambda attrs, inputs, out: [topi.fixed_point_multiply(inputs[0], int(attrs.multiplier),
                                                              int(attrs.shift))],
       1, "relay.attrs.FixedPointMultiplyAttrs")


def _register_fixed_point_multiply_reference():
    from ..reference.ops.registry import register_kernel  # pylint: disable=import-outside-toplevel

    register_kernel("fixed_point_multiply")(_fixed_point_multiply_reference)


_register_fixed_point_multiply_reference()
define("copy", identity_rel, OpPattern.ELEMWISE, _unary_compute(topi.identity), 1)


def _shape_of_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    return TensorType((len(data.shape),), attrs.dtype)


def _shape_of_compute(attrs, inputs, out_type):
    return [topi.shape(inputs[0], attrs.dtype)]


define("shape_of", _shape_of_rel, OpPattern.OPAQUE, _shape_of_compute, 1, "relay.attrs.ShapeOfAttrs")


def _ndarray_size_rel(arg_types, attrs):
    tensor_arg(arg_types, 0, "data")
    return TensorType((), attrs.dtype)


def _ndarray_size_compute(attrs, inputs, out_type):
    return [topi.tensor_size(inputs[0], attrs.dtype)]


define(
    "ndarray_size", _ndarray_size_rel, OpPattern.OPAQUE, _ndarray_size_compute, 1,
    "relay.attrs.NdarraySizeAttrs",
)
