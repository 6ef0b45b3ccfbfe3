"""Sorting operators (upstream ``relay.op.algorithm``) with their registration.

All are OPAQUE; their TOPI computes are extern (IR builder) kernels.
``searchsorted`` and ``unique`` (TVM 0.8 ops) also register their NumPy
reference kernel here (as ``vision.all_class_non_max_suppression`` does).
"""
import numpy as np

from tvm import te, tirx, topi
from tvm.script.ir_builder import IRBuilder
from tvm.script.ir_builder import tirx as T

from ..expr import TupleWrapper
from ..ty import TensorType, TupleType
from ._util import define, make_call
from .op import OpPattern
from .type_relations import RelationError, dims_equal, is_any, normalize_axis, shape_str, tensor_arg

__all__ = ["topk", "argsort", "sort", "searchsorted", "unique"]


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
    from ..expr import Constant  # pylint: disable=import-outside-toplevel
    from .dyn import _make as _dyn_make  # pylint: disable=import-outside-toplevel

    if isinstance(k, Constant):
        k = k.numpy().item()
    if _dyn_make.is_dynamic(k):  # 0.8: a run-time k gives dyn.topk
        return _dyn_make.topk(data, k, axis, ret_type, is_ascend, dtype)
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


# -- searchsorted (TVM 0.8) ---------------------------------------------------------
def searchsorted(sorted_sequence, values, right=False, dtype="int32"):
    """Indices where ``values`` would be inserted into ``sorted_sequence`` to keep
    its innermost axis sorted (``np.searchsorted`` row by row).

    Parameters
    ----------
    sorted_sequence : relay.Expr
        1-D, or N-D increasing along its innermost axis.
    values : relay.Expr
        With a 1-D ``sorted_sequence`` any shape; otherwise the same rank, with the
        same outer N-1 axes.
    right : bool
        On a tie, the index after the last equal element (else before the first).
    dtype : str
        The indices' dtype.

    Returns
    -------
    indices : relay.Expr
        The shape of ``values``.
    """
    return make_call("searchsorted", [sorted_sequence, values], "relay.attrs.SearchSortedAttrs",
                     right=bool(right), dtype=str(dtype))


def _searchsorted_rel(arg_types, attrs):
    seq = tensor_arg(arg_types, 0, "sorted_sequence")
    values = tensor_arg(arg_types, 1, "values")
    if not values.shape:
        raise RelationError("values must have at least one axis")
    if not seq.shape:
        raise RelationError("sorted_sequence must have at least one axis")
    if seq.dtype != values.dtype:
        raise RelationError(f"dtype mismatch: sorted_sequence is {seq.dtype} but values is {values.dtype}")
    if len(seq.shape) > 1:
        if len(seq.shape) != len(values.shape) or not all(
                dims_equal(a, b) for a, b in zip(seq.shape[:-1], values.shape[:-1])):
            raise RelationError(
                f"sorted_sequence {shape_str(seq.shape)} and values {shape_str(values.shape)} must "
                "have one rank and the same outer axes when sorted_sequence is not 1-D")
    if not attrs.dtype.startswith(("int", "uint")):
        raise RelationError(f"dtype must be an integer type, got {attrs.dtype}")
    return TensorType(values.shape, attrs.dtype)


define("searchsorted", _searchsorted_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.searchsorted(inputs[0], inputs[1], attrs.right, attrs.dtype)],
       2, "relay.attrs.SearchSortedAttrs")


def _searchsorted_reference(attrs, args):
    seq, values = args
    side = "right" if attrs["right"] else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=side)
    else:
        rows_seq = seq.reshape(-1, seq.shape[-1])
        rows_val = values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(rows_seq, rows_val)])
        out = out.reshape(values.shape)
    return np.asarray(out).astype(attrs["dtype"])


# -- unique (TVM 0.8) ----------------------------------------------------------------
def unique(data, is_sorted=True, return_counts=False):
    """The unique elements of a 1-D tensor, with fixed-size outputs (as TVM 0.8).

    Every output but ``num_unique`` has the length ``n`` of ``data``; only its first
    ``num_unique[0]`` entries are meaningful. (0.8 left the rest undefined; here they
    are 0, so that results are reproducible.)

    Parameters
    ----------
    data : relay.Expr
        1-D.
    is_sorted : bool
        Unique elements in increasing order; else in the order of their first
        occurrence in ``data``.
    return_counts : bool
        Also return how often each unique element occurs.

    Returns
    -------
    (unique, indices, inverse_indices, num_unique[, counts]) : relay.TupleWrapper
        ``unique``: the unique elements (dtype of ``data``); ``indices``: the index in
        ``data`` of each one's first occurrence; ``inverse_indices``: for every element
        of ``data`` its position in ``unique``; ``num_unique``: shape ``(1,)``; ``counts``:
        the occurrences of each. All index outputs are int32.
    """
    call = make_call("unique", [data], "relay.attrs.UniqueAttrs", sorted=bool(is_sorted),
                     return_counts=bool(return_counts))
    return TupleWrapper(call, 5 if return_counts else 4)


def _unique_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(data.shape) != 1:
        raise RelationError(f"data must be 1-D, got {shape_str(data.shape)}")
    fields = [TensorType(data.shape, data.dtype), TensorType(data.shape, "int32"),
              TensorType(data.shape, "int32"), TensorType((1,), "int32")]
    if attrs.return_counts:
        fields.append(TensorType(data.shape, "int32"))
    return TupleType(fields)


def _unique_ir(data, order, outs, is_sorted):
    """Serial passes: over ``data`` in sorted order (``order`` is its argsort) to find
    the groups of equal elements, then over the groups. A group's first occurrence
    is the minimum of its indices, so the sort need not be stable."""
    n = data.shape[0]
    with IRBuilder() as ib, T.seq_scope():
        d, o = T.buffer_proxy(data), T.buffer_proxy(order)
        uniq, idx, inv, num = (T.buffer_proxy(b) for b in outs[:4])

        def scratch(size, scope="global"):
            return T.buffer_proxy(T.alloc_buffer([size], "int32", scope=scope))

        group, first, count, pos = scratch(n), scratch(n), scratch(n), scratch(n)
        g = scratch(1, "local")
        zero, one = tirx.const(0, "int32"), tirx.const(1, "int32")
        g[0] = tirx.const(-1, "int32")
        with T.serial(0, n) as i:
            count[i] = zero
            pos[i] = zero
            with T.If(tirx.any(i == 0, d[o[i]] != d[o[tirx.max(i - 1, 0)]])):
                with T.Then():
                    g[0] = g[0] + 1
                    first[g[0]] = o[i]
            first[g[0]] = tirx.min(first[g[0]], o[i])
            count[g[0]] = count[g[0]] + 1
            group[i] = g[0]
        num[0] = g[0] + 1
        if is_sorted:
            with T.serial(0, n) as k:
                pos[k] = k
        else:
            # a group's position is the rank of its first occurrence among the
            # first occurrences: mark them in ``idx`` (scratch here), prefix-sum
            with T.serial(0, n) as j:
                idx[j] = zero
            with T.serial(0, n) as k:
                with T.If(k < num[0]):
                    with T.Then():
                        idx[first[k]] = one
            g[0] = zero
            with T.serial(0, n) as j:
                g[0] = g[0] + idx[j]
                idx[j] = g[0] - 1
            with T.serial(0, n) as k:
                with T.If(k < num[0]):
                    with T.Then():
                        pos[k] = idx[first[k]]
        with T.serial(0, n) as i:
            inv[o[i]] = pos[group[i]]
            uniq[i] = tirx.const(0, data.dtype)
            idx[i] = zero
        with T.serial(0, n) as k:
            with T.If(k < num[0]):
                with T.Then():
                    uniq[pos[k]] = d[first[k]]
                    idx[pos[k]] = first[k]
        if len(outs) == 5:
            counts = T.buffer_proxy(outs[4])
            with T.serial(0, n) as i:
                counts[i] = zero
            with T.serial(0, n) as k:
                with T.If(k < num[0]):
                    with T.Then():
                        counts[pos[k]] = count[k]
    return ib.get()


def _unique_compute(attrs, inputs, out_type):
    data = inputs[0]
    order = topi.argsort(data, axis=0, is_ascend=True, dtype="int32")
    fields = out_type.fields
    shapes = [data.shape, data.shape, data.shape, (1,)] + [data.shape] * (len(fields) - 4)
    return list(te.extern(
        shapes, [data, order],
        lambda ins, outs: _unique_ir(ins[0], ins[1], outs, attrs.sorted),
        dtype=[f.dtype for f in fields], name="unique", tag="unique"))


define("unique", _unique_rel, OpPattern.OPAQUE, _unique_compute, 1, "relay.attrs.UniqueAttrs")


def _unique_reference(attrs, args):
    data = args[0]
    n = data.shape[0]
    values, first, inverse, counts = np.unique(data, return_index=True, return_inverse=True,
                                               return_counts=True)
    num = len(values)
    if not attrs["sorted"]:
        order = np.argsort(first, kind="stable")  # groups by first occurrence
        position = np.empty(num, np.int64)
        position[order] = np.arange(num)
        values, first, counts, inverse = values[order], first[order], counts[order], position[inverse]

    def padded(array, dtype):
        out = np.zeros(n, dtype)
        out[:num] = array
        return out

    outs = (padded(values, data.dtype), padded(first, "int32"),
            np.asarray(inverse, "int32").reshape(n), np.array([num], "int32"))
    return outs + ((padded(counts, "int32"),) if attrs["return_counts"] else ())


def _register_reference():
    from ..reference.ops.registry import register_kernel  # pylint: disable=import-outside-toplevel

    register_kernel("searchsorted")(_searchsorted_reference)
    register_kernel("unique")(_unique_reference)


_register_reference()
