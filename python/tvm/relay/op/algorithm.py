"""Sorting operators (upstream ``relay.op.algorithm``) with their registration.

All are OPAQUE; their TOPI computes are extern (IR builder) kernels.
"""
from tvm import topi

from ..expr import TupleWrapper
from ..ty import TensorType, TupleType
from ._util import define, make_call
from .op import OpPattern
from .type_relations import RelationError, is_any, normalize_axis, tensor_arg

__all__ = ["topk", "argsort", "sort"]


def topk(data, k=1, axis=-1, ret_type="both", is_ascend=False, dtype="int32"):
    """The ``k`` largest (or smallest) elements along ``axis``.

    Parameters
    ----------
    data : relay.Expr
    k : int
        ``k < 1`` keeps the whole axis.
    axis : int
    ret_type : str
        ``"both"`` (values and indices), ``"values"`` or ``"indices"``.
    is_ascend : bool
    dtype : str
        The indices' dtype.

    Returns
    -------
    result : relay.Expr or relay.TupleWrapper
        A pair ``(values, indices)`` for ``ret_type="both"``.
    """
    if ret_type not in ("both", "values", "indices"):
        raise ValueError(f"topk ret_type must be both, values or indices, got {ret_type!r}")
    call = make_call("topk", [data], "relay.attrs.TopKAttrs", k=int(k), axis=int(axis),
                     ret_type=ret_type, is_ascend=bool(is_ascend), dtype=dtype)
    return TupleWrapper(call, 2) if ret_type == "both" else call


def argsort(data, axis=-1, is_ascend=1, dtype="int32"):
    """Indices that sort ``data`` along ``axis``."""
    return make_call("argsort", [data], "relay.attrs.ArgsortAttrs", axis=int(axis),
                     is_ascend=bool(is_ascend), dtype=dtype)


def sort(data, axis=-1, is_ascend=1):
    """``data`` sorted along ``axis``."""
    return make_call("sort", [data], "relay.attrs.ArgsortAttrs", axis=int(axis),
                     is_ascend=bool(is_ascend), dtype="")


def _topk_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    axis = normalize_axis(attrs.axis, len(data.shape))
    shape = list(data.shape)
    if attrs.k >= 1:
        if not is_any(shape[axis]) and attrs.k > shape[axis]:
            raise RelationError(f"k={attrs.k} exceeds the size {shape[axis]} of axis {axis}")
        shape[axis] = attrs.k
    values, indices = TensorType(shape, data.dtype), TensorType(shape, attrs.dtype)
    if attrs.ret_type == "both":
        return TupleType([values, indices])
    return values if attrs.ret_type == "values" else indices


def _topk_compute(attrs, inputs, out_type):
    out = topi.topk(inputs[0], attrs.k, attrs.axis, attrs.ret_type, attrs.is_ascend, attrs.dtype)
    return list(out) if attrs.ret_type == "both" else [out]


def _argsort_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    normalize_axis(attrs.axis, len(data.shape))
    return TensorType(data.shape, attrs.dtype or data.dtype)


define("topk", _topk_rel, OpPattern.OPAQUE, _topk_compute, 1, "relay.attrs.TopKAttrs")
define("argsort", _argsort_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.argsort(inputs[0], None, attrs.axis, attrs.is_ascend,
                                                attrs.dtype)],
       1, "relay.attrs.ArgsortAttrs")
define("sort", _argsort_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.sort(inputs[0], attrs.axis, attrs.is_ascend)],
       1, "relay.attrs.ArgsortAttrs")
