"""Elementwise and broadcast operators (upstream ``relay.op.tensor``).

Unary ops take ``data``; binary ops take ``lhs``, ``rhs`` and broadcast as
NumPy does (both sides must share a dtype; comparisons give ``bool``).
Their type relations, fusion patterns and computes are in :mod:`._tensor`.
"""
from ..expr import RelayExpr, Tuple
from ._util import as_expr, known_dtype, make_call, static_values
from . import _tensor  # noqa: F401  (registers the ops)

_UNARY = [
    "log", "log2", "log10", "tan", "cos", "cosh", "sin", "sinh", "acos", "acosh",
    "asin", "asinh", "atan", "atanh", "exp", "erf", "sqrt", "rsqrt", "sigmoid",
    "floor", "ceil", "trunc", "round", "abs", "sign", "tanh", "negative",
    "logical_not", "bitwise_not", "isnan", "isfinite", "isinf", "fast_exp", "fast_tanh",
    "fast_erf",
]
_BINARY = [
    "add", "subtract", "multiply", "divide", "floor_divide", "trunc_divide", "power",
    "mod", "floor_mod", "trunc_mod", "maximum", "minimum", "right_shift", "left_shift",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    "atan2", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
]

__all__ = _UNARY + _BINARY + [
    "zeros", "zeros_like", "ones", "ones_like", "clip", "copy", "shape_of",
    "ndarray_size", "concatenate", "stack", "fixed_point_multiply",
]


def fixed_point_multiply(data, multiplier, shift):
    """Multiply int32 ``data`` by the fixed-point number ``multiplier * 2**(shift - 31)``
    (``multiplier`` a Q31 mantissa, as ``frexp`` gives), rounding to nearest with ties
    upward (TVM 0.8's ``relay.fixed_point_multiply``).

    Parameters
    ----------
    data : relay.Expr
        int32 tensor.
    multiplier : int
    shift : int
    """
    return make_call("fixed_point_multiply", [data], "relay.attrs.FixedPointMultiplyAttrs",
                     multiplier=int(multiplier), shift=int(shift))


def _make_unary(name):
    def unary(data):
        return make_call(name, [data])

    unary.__name__ = unary.__qualname__ = name
    unary.__doc__ = f"""Elementwise ``{name}``.

    Parameters
    ----------
    data : relay.Expr
        The input tensor.

    Returns
    -------
    result : relay.Expr
        A tensor of the input's shape.
    """
    return unary


def _make_binary(name):
    def binary(lhs, rhs):
        if not isinstance(lhs, RelayExpr) and isinstance(rhs, RelayExpr):
            lhs = as_expr(lhs, known_dtype(rhs))
        elif not isinstance(rhs, RelayExpr) and isinstance(lhs, RelayExpr):
            rhs = as_expr(rhs, known_dtype(lhs))
        return make_call(name, [lhs, rhs])

    binary.__name__ = binary.__qualname__ = name
    binary.__doc__ = f"""Elementwise ``{name}`` with NumPy broadcasting.

    Parameters
    ----------
    lhs : relay.Expr
        The left operand.
    rhs : relay.Expr
        The right operand (a Python number becomes a constant of the other side's dtype).

    Returns
    -------
    result : relay.Expr
        A tensor of the broadcast shape.
    """
    return binary


for _name in _UNARY:
    globals()[_name] = _make_unary(_name)
for _name in _BINARY:
    globals()[_name] = _make_binary(_name)


def zeros(shape, dtype):
    """A tensor of zeros.

    Parameters
    ----------
    shape : tuple of int
        The output shape.
    dtype : str
        The element type.
    """
    if _dyn_shape(shape):  # 0.8: a run-time shape gives dyn.zeros
        return _dyn_make().zeros(shape, dtype)
    return make_call("zeros", [], "relay.attrs.InitOpAttrs", shape=_shape_tuple(shape), dtype=dtype)


def ones(shape, dtype):
    """A tensor of ones (see :func:`zeros`)."""
    if _dyn_shape(shape):  # 0.8: a run-time shape gives dyn.ones
        return _dyn_make().ones(shape, dtype)
    return make_call("ones", [], "relay.attrs.InitOpAttrs", shape=_shape_tuple(shape), dtype=dtype)


def _dyn_make():
    from .dyn import _make  # pylint: disable=import-outside-toplevel

    return _make


def _dyn_shape(shape):
    return _dyn_make().is_dynamic(shape)


def _shape_tuple(shape):
    shape = static_values(shape, "zeros/ones shape")
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(s) for s in shape)


def zeros_like(data):
    """Zeros of the shape and dtype of ``data``."""
    return make_call("zeros_like", [data])


def ones_like(data):
    """Ones of the shape and dtype of ``data``."""
    return make_call("ones_like", [data])


def clip(a, a_min, a_max):
    """Clamp the elements of ``a`` to ``[a_min, a_max]``.

    Parameters
    ----------
    a : relay.Expr
    a_min, a_max : float
    """
    return make_call("clip", [a], "relay.attrs.ClipAttrs", a_min=float(a_min), a_max=float(a_max))


def copy(data):
    """A copy of ``data``."""
    return make_call("copy", [data])


def shape_of(data, dtype="int32"):
    """The shape of ``data`` as a 1-d tensor (``dtype`` int32 or int64)."""
    return make_call("shape_of", [data], "relay.attrs.ShapeOfAttrs", dtype=dtype)


def ndarray_size(data, dtype="int32"):
    """The number of elements of ``data`` as a scalar."""
    return make_call("ndarray_size", [data], "relay.attrs.NdarraySizeAttrs", dtype=dtype)


def _as_tuple(data, what):
    if isinstance(data, list | tuple):
        return Tuple(list(data))
    if isinstance(data, RelayExpr):
        return data
    raise TypeError(f"{what} takes a list of relay expressions or a tuple expression, got {data!r}")


def concatenate(data, axis):
    """Join tensors along an existing axis.

    Parameters
    ----------
    data : list of relay.Expr or relay.Tuple
    axis : int
    """
    data = _as_tuple(data, "concatenate")
    return make_call("concatenate", [data], "relay.attrs.ConcatenateAttrs", axis=int(axis))


def stack(data, axis):
    """Join tensors of one shape along a new axis.

    Parameters
    ----------
    data : list of relay.Expr or relay.Tuple
    axis : int
    """
    data = _as_tuple(data, "stack")
    return make_call("stack", [data], "relay.attrs.StackAttrs", axis=int(axis))
