"""Helpers shared by the kernel modules: attributes, dtypes, axes, padding, windows.

Numerical policy: reductions that accumulate (sums, means, matrix products,
convolutions) run in float64 for floating inputs (:func:`acc_dtype`) and are
rounded once to the result dtype, so the reference is at least as accurate as
any float32 implementation it checks.
"""
import numpy as np


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
