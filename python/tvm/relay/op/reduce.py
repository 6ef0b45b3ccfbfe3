"""Reductions (upstream ``relay.op.reduce``) and their registration.

``axis`` is None (all axes), an int or a tuple; ``keepdims`` keeps reduced
axes with size 1; ``exclude`` reduces over every axis *not* in ``axis``.
"""
from tvm import topi

from ..ty import TensorType
from ._util import define, int_or_none_tuple, make_call
from .op import OpPattern
from .type_relations import RelationError, normalize_axis, shape_str, tensor_arg

__all__ = [
    "sum", "mean", "max", "min", "prod", "all", "any", "argmax", "argmin", "logsumexp",
    "variance", "std", "mean_variance", "mean_std",
]


def _reduce(name, data, axis, keepdims, exclude):
    return make_call(
        name, [data], "relay.attrs.ReduceAttrs",
        axis=int_or_none_tuple(axis), keepdims=bool(keepdims), exclude=bool(exclude),
    )


def _arg_reduce(name, data, axis, keepdims, exclude, select_last_index):
    return make_call(
        name, [data], "relay.attrs.ArgReduceAttrs",
        axis=int_or_none_tuple(axis), keepdims=bool(keepdims), exclude=bool(exclude),
        select_last_index=bool(select_last_index),
    )


def sum(data, axis=None, keepdims=False, exclude=False):  # pylint: disable=redefined-builtin
    """Sum over ``axis``.

    Parameters
    ----------
    data : relay.Expr
    axis : None, int or tuple of int
    keepdims : bool
    exclude : bool

    Returns
    -------
    result : relay.Expr
    """
    return _reduce("sum", data, axis, keepdims, exclude)


def mean(data, axis=None, keepdims=False, exclude=False):
    """Mean over ``axis`` (see :func:`sum`)."""
    return _reduce("mean", data, axis, keepdims, exclude)


def max(data, axis=None, keepdims=False, exclude=False):  # pylint: disable=redefined-builtin
    """Maximum over ``axis`` (see :func:`sum`)."""
    return _reduce("max", data, axis, keepdims, exclude)


def min(data, axis=None, keepdims=False, exclude=False):  # pylint: disable=redefined-builtin
    """Minimum over ``axis`` (see :func:`sum`)."""
    return _reduce("min", data, axis, keepdims, exclude)


def prod(data, axis=None, keepdims=False, exclude=False):
    """Product over ``axis`` (see :func:`sum`)."""
    return _reduce("prod", data, axis, keepdims, exclude)


def all(data, axis=None, keepdims=False, exclude=False):  # pylint: disable=redefined-builtin
    """Logical and over ``axis`` of a bool tensor (see :func:`sum`)."""
    return _reduce("all", data, axis, keepdims, exclude)


def any(data, axis=None, keepdims=False, exclude=False):  # pylint: disable=redefined-builtin
    """Logical or over ``axis`` of a bool tensor (see :func:`sum`)."""
    return _reduce("any", data, axis, keepdims, exclude)


def argmax(data, axis=None, keepdims=False, exclude=False, select_last_index=False):
    """Index of the maximum over ``axis`` (int32; see :func:`sum`)."""
    return _arg_reduce("argmax", data, axis, keepdims, exclude, select_last_index)


def argmin(data, axis=None, keepdims=False, exclude=False, select_last_index=False):
    """Index of the minimum over ``axis`` (int32; see :func:`sum`)."""
    return _arg_reduce("argmin", data, axis, keepdims, exclude, select_last_index)


def logsumexp(data, axis=None, keepdims=False):
    """``log(sum(exp(data)))`` over ``axis``, computed stably."""
    from . import tensor as _t  # pylint: disable=import-outside-toplevel

    peak = max(data, axis, keepdims=True)
    total = sum(_t.exp(_t.subtract(data, peak)), axis, keepdims)
    shift = peak if keepdims else _squeeze_axes(peak, axis)
    return _t.add(_t.log(total), shift)


def variance(data, axis=None, keepdims=False, exclude=False, unbiased=False):
    """Variance over ``axis`` (divisor ``n - 1`` if ``unbiased``; see :func:`sum`)."""
    centre = mean(data, axis, True, exclude)
    return make_call(
        "variance", [data, centre], "relay.attrs.VarianceAttrs",
        axis=int_or_none_tuple(axis), keepdims=bool(keepdims), exclude=bool(exclude),
        unbiased=bool(unbiased),
    )


def std(data, axis=None, keepdims=False, exclude=False, unbiased=False):
    """Standard deviation over ``axis`` (see :func:`variance`)."""
    from .tensor import sqrt  # pylint: disable=import-outside-toplevel

    return sqrt(variance(data, axis, keepdims, exclude, unbiased))


def mean_variance(data, axis=None, keepdims=False, exclude=False, unbiased=False):
    """``(mean, variance)`` over ``axis`` as a tuple."""
    from ..expr import Tuple  # pylint: disable=import-outside-toplevel

    return Tuple([mean(data, axis, keepdims, exclude),
                  variance(data, axis, keepdims, exclude, unbiased)])


def mean_std(data, axis=None, keepdims=False, exclude=False):
    """``(mean, std)`` over ``axis`` as a tuple."""
    from ..expr import Tuple  # pylint: disable=import-outside-toplevel

    return Tuple([mean(data, axis, keepdims, exclude), std(data, axis, keepdims, exclude)])


def _squeeze_axes(expr, axis):
    from .transform import squeeze  # pylint: disable=import-outside-toplevel

    return squeeze(expr, None if axis is None else int_or_none_tuple(axis))


# -- registration -------------------------------------------------------------


def reduce_axes(ndim, axis, exclude):
    """The sorted, non-negative axes a reduction covers."""
    if axis is None:
        axes = list(range(ndim))
    else:
        axes = sorted({normalize_axis(a, ndim) for a in axis})
        if len(axes) != len(axis):
            raise RelationError(f"axis {tuple(axis)} names an axis twice")
    if exclude:
        axes = [i for i in range(ndim) if i not in axes]
    return axes


def _reduce_shape(data, attrs):
    axes = reduce_axes(len(data.shape), attrs.axis, attrs.exclude)
    if attrs.keepdims:
        return [1 if i in axes else d for i, d in enumerate(data.shape)]
    return [d for i, d in enumerate(data.shape) if i not in axes]


def _reduce_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    return TensorType(_reduce_shape(data, attrs), data.dtype)


def _bool_reduce_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if data.dtype != "bool":
        raise RelationError(f"needs a bool tensor, got {data.dtype} {shape_str(data.shape)}")
    return TensorType(_reduce_shape(data, attrs), "bool")


def _arg_reduce_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    return TensorType(_reduce_shape(data, attrs), "int32")


def _reduce_compute(fn):
    def compute(attrs, inputs, out_type):
        data = inputs[0]
        axes = reduce_axes(len(data.shape), attrs.axis, attrs.exclude)
        if not axes:
            return [topi.identity(data)]
        return [fn(data, axes, attrs.keepdims)]

    return compute


def _mean_compute(attrs, inputs, out_type):
    data = inputs[0]
    axes = reduce_axes(len(data.shape), attrs.axis, attrs.exclude)
    if not axes:
        return [topi.identity(data)]
    count = 1
    for a in axes:
        count = count * data.shape[a]
    total = topi.sum(data, axes, attrs.keepdims)
    return [topi.divide(total, topi.cast(count, data.dtype))]


def _arg_compute(fn):
    def compute(attrs, inputs, out_type):
        data = inputs[0]
        axes = reduce_axes(len(data.shape), attrs.axis, attrs.exclude)
        if len(axes) != 1 and len(data.shape) > 1 and attrs.axis is not None:
            raise ValueError(f"{fn.__name__} reduces over one axis, got {axes}")
        axis = None if attrs.axis is None and not attrs.exclude else axes[0]
        out = fn(data, axis, attrs.keepdims, attrs.select_last_index)
        return [out if out.dtype == out_type.dtype else topi.cast(out, out_type.dtype)]

    return compute


def _bool_aware(fn, bool_fn):
    """``fn``, or ``bool_fn`` on a bool tensor (TOPI's min/max have no identity
    element for bool: the min of bools is ``all``, their max ``any``)."""

    def reduce(data, axis=None, keepdims=False):
        return (bool_fn if data.dtype == "bool" else fn)(data, axis, keepdims)

    reduce.__name__ = fn.__name__
    return reduce


for _name, _fn in (("sum", topi.sum), ("max", _bool_aware(topi.max, topi.any)),
                   ("min", _bool_aware(topi.min, topi.all)), ("prod", topi.prod)):
    define(_name, _reduce_rel, OpPattern.COMM_REDUCE, _reduce_compute(_fn), 1, "relay.attrs.ReduceAttrs")
define("mean", _reduce_rel, OpPattern.COMM_REDUCE, _mean_compute, 1, "relay.attrs.ReduceAttrs")
define("all", _bool_reduce_rel, OpPattern.COMM_REDUCE, _reduce_compute(topi.all), 1, "relay.attrs.ReduceAttrs")
define("any", _bool_reduce_rel, OpPattern.COMM_REDUCE, _reduce_compute(topi.any), 1, "relay.attrs.ReduceAttrs")
define("argmax", _arg_reduce_rel, OpPattern.COMM_REDUCE, _arg_compute(topi.argmax), 1,
       "relay.attrs.ArgReduceAttrs")
define("argmin", _arg_reduce_rel, OpPattern.COMM_REDUCE, _arg_compute(topi.argmin), 1,
       "relay.attrs.ArgReduceAttrs")


def _variance_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    centre = tensor_arg(arg_types, 1, "mean")
    if centre.dtype != data.dtype:
        raise RelationError(f"dtype mismatch: data is {data.dtype} but mean is {centre.dtype}")
    return TensorType(_reduce_shape(data, attrs), data.dtype)


def _variance_compute(attrs, inputs, out_type):
    data, centre = inputs
    axes = reduce_axes(len(data.shape), attrs.axis, attrs.exclude)
    count = 1
    for a in axes:
        count = count * data.shape[a]
    if attrs.unbiased:
        count = count - 1
    diff = topi.subtract(data, centre)
    total = topi.sum(topi.multiply(diff, diff), axes, attrs.keepdims)
    return [topi.divide(total, topi.cast(count, data.dtype))]


define("variance", _variance_rel, OpPattern.COMM_REDUCE, _variance_compute, 2,
       "relay.attrs.VarianceAttrs")
