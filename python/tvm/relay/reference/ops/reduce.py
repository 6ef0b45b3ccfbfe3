"""NumPy reference kernels of Relay's reductions.

``sum``, ``prod``, ``mean``, ``max``, ``min``, ``logsumexp``, ``all``, ``any``,
``argmax`` / ``argmin``, ``variance`` and ``std``, with the ``axis``,
``keepdims`` and ``exclude`` attributes; sums accumulate in float64 / int64.
"""
import numpy as np

from .common import acc_dtype, attr, normalize_axes
from .elementwise import trunc_div
from .registry import register_kernel


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
        return trunc_div(total, np.asarray(count, total.dtype))
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
