"""NumPy reference kernels of Relay's elementwise operators.

Binary arithmetic and comparisons (with broadcasting), unary math and
predicates, ``clip``, activations with parameters (``leaky_relu``, ``prelu``),
casts, ``*_like`` fills, ``where``, identity-like ops and ``add_n``.
"""
import math

import numpy as np

from .common import acc_dtype, attr, contiguous, is_float, normalize_axes
from .registry import register_kernel


# ---------------------------------------------------------- elementwise binary
def trunc_div(a, b):
    """``divide`` of Relay: integers truncate toward zero (as C and TVM's div), floats divide."""
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        quotient = np.floor_divide(a, b)
        remainder = a - quotient * b
        fix = (remainder != 0) & ((a < 0) != (b < 0))
        return (quotient + fix).astype(np.result_type(a, b))
    return np.true_divide(a, b).astype(np.result_type(a, b))


def _trunc_divide(a, b):
    """``trunc_divide``: integer division as ``divide``; floats give ``trunc(a / b)``."""
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        return trunc_div(a, b)
    return np.trunc(np.true_divide(a, b)).astype(np.result_type(a, b))


def _power(a, b):
    """``np.power``, defined for negative integer exponents too.

    NumPy refuses them; the compiled op gives the truncated ``1 / a**-b``:
    1 for ``a == 1``, +-1 for ``a == -1``, 0 otherwise (also for ``a == 0``).
    """
    if not (np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
        return np.power(a, b)
    a, b = np.broadcast_arrays(a, b)
    negative = b < 0
    with np.errstate(over="ignore"):
        out = np.power(a, np.where(negative, 0, b))
    if negative.any():
        inverse = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0))
        out = np.where(negative, inverse, out)
    return out.astype(np.result_type(a, b))


def _trunc_mod(a, b):
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        return (a - trunc_div(a, b) * b).astype(np.result_type(a, b))
    return np.fmod(a, b)


def _floor_div(a, b):
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        return np.floor_divide(a, b)
    return np.floor(np.true_divide(a, b)).astype(np.result_type(a, b))


_BINARY = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": trunc_div,  # integer division truncates, as in C (TVM's div)
    "floor_divide": _floor_div,
    "trunc_divide": _trunc_divide,
    "mod": _trunc_mod,
    "trunc_mod": _trunc_mod,
    "floor_mod": np.mod,
    "power": _power,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "equal": np.equal,
    "not_equal": np.not_equal,
    "less": np.less,
    "less_equal": np.less_equal,
    "greater": np.greater,
    "greater_equal": np.greater_equal,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
    "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
    "left_shift": np.left_shift,
    "right_shift": np.right_shift,
    "atan2": np.arctan2,
}

_COMPARISONS = {
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
}


def _make_binary(name, func):
    def kernel(_attrs, args):
        lhs, rhs = _two(name, args)
        try:
            np.broadcast_shapes(lhs.shape, rhs.shape)
        except ValueError:
            raise ValueError(
                f"{name}: operand shapes {lhs.shape} and {rhs.shape} do not broadcast"
            ) from None
        result = func(lhs, rhs)
        if name in _COMPARISONS:
            return np.asarray(result, dtype=bool)
        # Relay ops keep the operand dtype; NumPy would promote mixed scalars.
        return np.asarray(result).astype(lhs.dtype, copy=False)

    return kernel


def _two(name, args):
    if len(args) != 2:
        raise TypeError(f"{name} takes 2 arguments, got {len(args)}")
    return args[0], args[1]


for _name, _func in _BINARY.items():
    register_kernel(_name)(_make_binary(_name, _func))


# ----------------------------------------------------------- elementwise unary
def _sigmoid(x):
    # exp(-log(1 + exp(-x))) without overflow for large |x|.
    return np.exp(-np.logaddexp(0, -x))


def _rsqrt(x):
    return 1 / np.sqrt(x)


def _erf(x):
    try:
        from scipy.special import erf  # pylint: disable=import-outside-toplevel

        return erf(x)
    except ImportError:
        return np.vectorize(math.erf, otypes=[np.float64])(x)


def _round_half_even(x):
    # TVM lowers round to LLVM's nearbyint: ties go to the even integer.
    return np.round(x)


_UNARY = {
    "exp": np.exp,
    "fast_exp": np.exp,
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "rsqrt": _rsqrt,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "fast_tanh": np.tanh,
    "erf": _erf,
    "fast_erf": _erf,
    "negative": np.negative,
    "abs": np.abs,
    "floor": np.floor,
    "ceil": np.ceil,
    "round": _round_half_even,
    "trunc": np.trunc,
    "sign": np.sign,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "bitwise_not": np.invert,
    "copy": np.copy,
    "nn.relu": lambda x: np.maximum(x, np.zeros((), x.dtype)),
}

_PREDICATES = {
    "isnan": np.isnan,
    "isinf": np.isinf,
    "isfinite": np.isfinite,
    "logical_not": np.logical_not,
}


def _make_unary(name, func, predicate=False):
    def kernel(_attrs, args):
        if len(args) != 1:
            raise TypeError(f"{name} takes 1 argument, got {len(args)}")
        (x,) = args
        if predicate:
            return np.asarray(func(x), dtype=bool)
        if is_float(x) and x.dtype != np.float64 and name not in ("copy", "nn.relu"):
            # Transcendentals in float64, rounded once to the input dtype.
            return np.asarray(func(x.astype(np.float64))).astype(x.dtype)
        return np.asarray(func(x)).astype(x.dtype, copy=False)

    return kernel


for _name, _func in _UNARY.items():
    register_kernel(_name)(_make_unary(_name, _func))
for _name, _func in _PREDICATES.items():
    register_kernel(_name)(_make_unary(_name, _func, predicate=True))


@register_kernel("clip")
def _clip(attrs, args):
    (x,) = args
    low = np.asarray(attr(attrs, "a_min"), dtype=np.float64)
    high = np.asarray(attr(attrs, "a_max"), dtype=np.float64)
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        low, high = np.clip(low, info.min, info.max), np.clip(high, info.min, info.max)
    return np.minimum(np.maximum(x, low.astype(x.dtype)), high.astype(x.dtype))


@register_kernel("nn.leaky_relu")
def _leaky_relu(attrs, args):
    (x,) = args
    alpha = np.asarray(attr(attrs, "alpha", 0.01), dtype=x.dtype)
    return np.where(x > 0, x, x * alpha).astype(x.dtype)


@register_kernel("nn.prelu")
def _prelu(attrs, args):
    x, alpha = args
    axis = normalize_axes(attr(attrs, "axis", 1), x.ndim)[0]
    if alpha.shape != (x.shape[axis],):
        raise ValueError(
            f"nn.prelu: alpha has shape {alpha.shape}, expected ({x.shape[axis]},) "
            f"(the size of axis {axis} of data {x.shape})"
        )
    shape = [1] * x.ndim
    shape[axis] = -1
    return np.where(x > 0, x, x * alpha.reshape(shape)).astype(x.dtype)


@register_kernel("cast")
def _cast(attrs, args):
    (x,) = args
    return x.astype(attr(attrs, "dtype"))


@register_kernel("cast_like")
def _cast_like(_attrs, args):
    x, like = args
    return x.astype(like.dtype)


@register_kernel("reinterpret")
def _reinterpret(attrs, args):
    (x,) = args
    return contiguous(x).view(attr(attrs, "dtype"))


@register_kernel("zeros_like")
def _zeros_like(_attrs, args):
    return np.zeros_like(args[0])


@register_kernel("ones_like")
def _ones_like(_attrs, args):
    return np.ones_like(args[0])


@register_kernel("full_like")
def _full_like(_attrs, args):
    x, fill = args
    return np.full(x.shape, fill.reshape(()), dtype=x.dtype)


@register_kernel("where")
def _where(_attrs, args):
    cond, lhs, rhs = args
    return np.where(cond.astype(bool), lhs, rhs).astype(lhs.dtype)


@register_kernel(
    "annotation.stop_fusion",
    "annotation.checkpoint",
    "annotation.force_cast",
    "annotation.compiler_begin",
    "annotation.compiler_end",
    "debug",  # the interpreter calls its function before (see reference.interpreter)
    "device_copy",
    "on_device",
    "stop_gradient",
)
def _identity(_attrs, args):
    return args[0]


@register_kernel("add_n")
def _add_n(_attrs, args):
    (inputs,) = args
    total = np.zeros(np.broadcast_shapes(*[x.shape for x in inputs]), acc_dtype(inputs[0].dtype))
    for x in inputs:
        total = total + x
    return total.astype(inputs[0].dtype)
