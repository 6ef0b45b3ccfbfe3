"""NumPy reference kernels of Relay operators: the registry, elementwise ops, reductions.

Every kernel is written from the operator's documented semantics (upstream
TVM 0.8 names and attributes), in plain NumPy, independently of TOPI and of
the compiler. A kernel is ``kernel(attrs, args) -> value`` where ``attrs`` is
the call's :class:`~tvm.relay.attrs.Attrs` (or ``None``), ``args`` the list of
argument values (NumPy arrays, or tuples of them for tuple inputs) and the
value is an array or a tuple of arrays.

Numerical policy: reductions that accumulate (sums, means, matrix products,
convolutions) run in float64 for floating inputs and are rounded once to the
result dtype, so the reference is at least as accurate as any float32
implementation it checks.

The kernels are spread over this module (elementwise, broadcast, reductions),
:mod:`.reference_ops_transform`, :mod:`.reference_ops_index`,
:mod:`.reference_ops_nn`, :mod:`.reference_ops_pool`,
:mod:`.reference_ops_image` and :mod:`.reference_ops_vision` (layout strings
are handled by :mod:`.reference_ops_layout`); importing this module registers
all of them.
"""
import math

import numpy as np

import tvm.error

_KERNELS = {}


def register_kernel(*names):
    """Decorator registering a kernel under one or more operator names."""

    def _register(func):
        for name in names:
            _KERNELS[name] = func
        return func

    return _register


def get_kernel(op_name):
    """The reference kernel of ``op_name``; raises ``OpNotImplemented`` naming the op."""
    kernel = _KERNELS.get(op_name)
    if kernel is None:
        raise tvm.error.OpNotImplemented(
            f"the reference interpreter has no NumPy kernel for operator {op_name!r}"
        )
    return kernel


def list_kernels():
    """Names of the operators the interpreter can evaluate."""
    return sorted(_KERNELS)


def run_op(op_name, attrs, args, call=None):
    """Evaluate one operator call; check the result against the call's inferred type."""
    kernel = get_kernel(op_name)
    for i, arg in enumerate(args):
        if not isinstance(arg, np.ndarray | tuple):
            raise TypeError(
                f"argument {i} of operator {op_name!r} is a {type(arg).__name__}, "
                "not a tensor or tuple"
            )
    with np.errstate(all="ignore"):
        try:
            result = _as_value(kernel(attrs, args))
        except (ValueError, TypeError, IndexError) as err:
            if op_name in str(err):
                raise
            try:
                named = type(err)(f"{op_name}: {err}")
            except Exception:  # pylint: disable=broad-except
                raise err from None
            raise named from err
    if call is not None:
        _check_result(op_name, result, call._checked_type_)  # pylint: disable=protected-access
    return result


def _as_value(result):
    """Kernel results as interpreter values: NumPy scalars become 0-d arrays."""
    if isinstance(result, tuple):
        return tuple(_as_value(r) for r in result)
    if isinstance(result, np.ndarray):
        return result
    return np.asarray(result)


def _check_result(op_name, value, expected):
    """Self-check: the value must have the type inference found (when it ran)."""
    from ... import ty as _ty  # pylint: disable=import-outside-toplevel

    if expected is None:
        return
    if isinstance(expected, _ty.TensorType) and isinstance(value, np.ndarray):
        if expected.is_dynamic():
            return
        if tuple(value.shape) != tuple(expected.shape) or str(value.dtype) != expected.dtype:
            raise ValueError(
                f"reference kernel of {op_name!r} produced shape {value.shape} dtype "
                f"{value.dtype}, but type inference says {tuple(expected.shape)} "
                f"{expected.dtype}"
            )
    elif isinstance(expected, _ty.TupleType) and isinstance(value, tuple):
        for field_value, field_type in zip(value, expected.fields):
            _check_result(op_name, field_value, field_type)


# --------------------------------------------------------------------- helpers
def contiguous(array):
    """A C-contiguous array of the same shape (``np.ascontiguousarray`` makes 0-d arrays 1-d)."""
    array = np.asarray(array)
    return array if array.flags.c_contiguous else array.copy(order="C")


def attr(attrs, name, default=None):
    """``attrs.name`` or ``default`` when absent (or when ``attrs`` is None)."""
    if attrs is None:
        return default
    value = attrs.get(name, default)
    return default if value is None else value


def is_float(array):
    """True for a floating-point array."""
    return np.issubdtype(array.dtype, np.floating)


def acc_dtype(dtype):
    """Accumulation dtype: float64 for floats, int64 for integers."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.floating):
        return np.float64
    if np.issubdtype(dtype, np.unsignedinteger):
        return np.uint64
    if np.issubdtype(dtype, np.integer):
        return np.int64
    return dtype


def out_dtype(attrs, default):
    """The ``out_dtype`` attribute, or ``default`` when empty."""
    value = attr(attrs, "out_dtype", "")
    return np.dtype(value) if value not in ("", None) else np.dtype(default)


def normalize_axes(axis, ndim):
    """A list of non-negative axes; ``None`` means all."""
    if axis is None:
        return list(range(ndim))
    if isinstance(axis, int | np.integer):
        axis = [axis]
    result = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} out of range for a tensor of rank {ndim}")
        result.append(a % ndim if ndim else 0)
    return result


def int_tuple(value, count, name):
    """An attribute as ``count`` ints (a single value is repeated)."""
    if isinstance(value, int | np.integer):
        return (int(value),) * count
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * count
    if len(value) != count:
        raise ValueError(f"{name} must have {count} values, got {value}")
    return value


def pad_pairs(value, nspatial):
    """Padding as (before, after) lists: 1, n or 2n values, as Relay accepts them."""
    value = int_tuple(value, 1, "padding") if isinstance(value, int | np.integer) else tuple(
        int(v) for v in value
    )
    if len(value) == 1:
        return [value[0]] * nspatial, [value[0]] * nspatial
    if len(value) == nspatial:
        return list(value), list(value)
    if len(value) == 2 * nspatial:
        return list(value[:nspatial]), list(value[nspatial:])
    raise ValueError(f"padding must have 1, {nspatial} or {2 * nspatial} values, got {value}")


def sliding_windows(padded, kernel, strides, dilation):
    """View of all (strided, dilated) windows: ``(N, C, *out, *kernel)``, no copy."""
    nsp = len(kernel)
    span = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    view = np.lib.stride_tricks.sliding_window_view(padded, span, axis=tuple(range(2, 2 + nsp)))
    index = (slice(None), slice(None))
    index += tuple(slice(None, None, s) for s in strides)
    index += tuple(slice(None, None, d) for d in dilation)
    return view[index]


# ---------------------------------------------------------- elementwise binary
def _trunc_div(a, b):
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        quotient = np.floor_divide(a, b)
        remainder = a - quotient * b
        fix = (remainder != 0) & ((a < 0) != (b < 0))
        return (quotient + fix).astype(np.result_type(a, b))
    return np.true_divide(a, b).astype(np.result_type(a, b))


def _trunc_divide(a, b):
    """``trunc_divide``: integer division as ``divide``; floats give ``trunc(a / b)``."""
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        return _trunc_div(a, b)
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
        return (a - _trunc_div(a, b) * b).astype(np.result_type(a, b))
    return np.fmod(a, b)


def _floor_div(a, b):
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        return np.floor_divide(a, b)
    return np.floor(np.true_divide(a, b)).astype(np.result_type(a, b))


_BINARY = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": _trunc_div,  # integer division truncates, as in C (TVM's div)
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


# ------------------------------------------------------------------ reductions
def reduce_axes(attrs, ndim):
    """The reduced axes of a reduction call (``axis`` and ``exclude`` attributes)."""
    axes = normalize_axes(attr(attrs, "axis"), ndim)
    if attr(attrs, "exclude", False):
        axes = [a for a in range(ndim) if a not in axes]
    return tuple(sorted(set(axes)))


def _make_reduce(name, func, accumulate):
    def kernel(attrs, args):
        x = args[0]
        axes = reduce_axes(attrs, x.ndim)
        keepdims = bool(attr(attrs, "keepdims", False))
        data = x.astype(acc_dtype(x.dtype)) if accumulate else x
        result = func(data, axis=axes, keepdims=keepdims)
        return np.asarray(result).astype(x.dtype)

    register_kernel(name)(kernel)


def _mean(x, axis, keepdims):
    count = int(np.prod([x.shape[a] for a in axis])) if axis else 1
    total = np.sum(x, axis=axis, keepdims=keepdims)
    if np.issubdtype(x.dtype, np.integer):
        return _trunc_div(total, np.asarray(count, total.dtype))
    return total / count


def _logsumexp(x, axis, keepdims):
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axis)


_make_reduce("sum", np.sum, True)
_make_reduce("prod", np.prod, True)
_make_reduce("mean", _mean, True)
_make_reduce("max", np.max, False)
_make_reduce("min", np.min, False)
_make_reduce("logsumexp", _logsumexp, True)


@register_kernel("all")
def _all(attrs, args):
    x = args[0]
    return np.all(x, axis=reduce_axes(attrs, x.ndim), keepdims=bool(attr(attrs, "keepdims")))


@register_kernel("any")
def _any(attrs, args):
    x = args[0]
    return np.any(x, axis=reduce_axes(attrs, x.ndim), keepdims=bool(attr(attrs, "keepdims")))


def _arg_reduce(attrs, x, pick_max):
    axes = reduce_axes(attrs, x.ndim)
    keepdims = bool(attr(attrs, "keepdims", False))
    last = bool(attr(attrs, "select_last_index", False))
    kept = [a for a in range(x.ndim) if a not in axes]
    # Move reduced axes last and flatten them: the index is into that block.
    moved = np.transpose(x, kept + list(axes))
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
    if last:
        flat = flat[..., ::-1]
    index = np.argmax(flat, axis=-1) if pick_max else np.argmin(flat, axis=-1)
    if last:
        index = flat.shape[-1] - 1 - index
    if keepdims:
        shape = [1 if a in axes else x.shape[a] for a in range(x.ndim)]
        index = index.reshape(shape)
    return index.astype(np.int32)


@register_kernel("argmax")
def _argmax(attrs, args):
    return _arg_reduce(attrs, args[0], True)


@register_kernel("argmin")
def _argmin(attrs, args):
    return _arg_reduce(attrs, args[0], False)


def _variance_core(attrs, args):
    x = args[0]
    axes = reduce_axes(attrs, x.ndim)
    data = x.astype(acc_dtype(x.dtype))
    if len(args) > 1:
        mean = args[1].astype(data.dtype)
    else:
        mean = np.mean(data, axis=axes, keepdims=True)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    if attr(attrs, "unbiased", False):
        count -= 1
    sq = np.sum((data - mean) ** 2, axis=axes, keepdims=bool(attr(attrs, "keepdims", False)))
    return x, sq / count


@register_kernel("variance")
def _variance(attrs, args):
    x, var = _variance_core(attrs, args)
    return var.astype(x.dtype)


@register_kernel("std")
def _std(attrs, args):
    x, var = _variance_core(attrs, args)
    return np.sqrt(var).astype(x.dtype)


# Register the kernels of the other modules.
from . import transform  # noqa: E402,F401  pylint: disable=wrong-import-position
from . import index  # noqa: E402,F401  pylint: disable=wrong-import-position
from . import nn  # noqa: E402,F401  pylint: disable=wrong-import-position
from . import pool  # noqa: E402,F401  pylint: disable=wrong-import-position
from . import image  # noqa: E402,F401  pylint: disable=wrong-import-position
from . import vision  # noqa: E402,F401  pylint: disable=wrong-import-position
