"""TVM 0.8 ops: ``collapse_sum_to``, ``matrix_set_diag``, ``strided_set`` and the
sparse and segment ops ``sparse_to_dense``, ``sparse_reshape``,
``sparse_fill_empty_rows``, ``segment_sum``, ``adv_index``: constructors, type relations and computes.

The sparse and segment ops also register their NumPy reference kernel here (as
``vision.all_class_non_max_suppression`` does), written from the semantics and
independent of the computes.
"""
import numpy as np

from tvm import te, tirx, topi
from tvm.script.ir_builder import IRBuilder
from tvm.script.ir_builder import tirx as T

from ..expr import RelayExpr, Tuple, TupleWrapper, const
from ..ty import Any, TensorType, TupleType
from ._util import as_expr, define, make_call, static_values
from .op import OpPattern
from .type_relations import (
    RelationError,
    broadcast_shape,
    dims_equal,
    is_any,
    shape_str,
    tensor_arg,
    tuple_arg,
)

__all__ = ["collapse_sum_to", "matrix_set_diag", "strided_set", "sparse_to_dense",
           "sparse_reshape", "segment_sum", "adv_index", "sparse_fill_empty_rows"]


# -- collapse_sum_to ------------------------------------------------------------
def _collapse_sum_to_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    target = tuple(attrs.shape)
    out = broadcast_shape(data.shape, target)
    if out is None or len(out) != len(data.shape) or not all(dims_equal(a, b) for a, b in zip(out, data.shape)):
        raise RelationError(f"shape {shape_str(target)} does not broadcast to data {shape_str(data.shape)}")
    return TensorType(target, data.dtype)


define("collapse_sum_to", _collapse_sum_to_rel, OpPattern.COMM_REDUCE,
       lambda attrs, inputs, out: [topi.collapse_sum(inputs[0], list(attrs.shape))], 1,
       "relay.attrs.InitOpAttrs")


def collapse_sum_to(data, shape):
    """Sum ``data`` over the axes along which ``shape`` broadcasts to it.

    Parameters
    ----------
    data : relay.Expr
    shape : tuple of int
        The result's shape (it must broadcast to ``data``'s).
    """
    if hasattr(shape, "numpy"):
        shape = shape.numpy().tolist()
    return make_call("collapse_sum_to", [data], "relay.attrs.InitOpAttrs",
                     shape=tuple(int(s) for s in shape), dtype="")


# -- matrix_set_diag ----------------------------------------------------------------
def _matrix_set_diag_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    diagonal = tensor_arg(arg_types, 1, "diagonal")
    if len(data.shape) < 2:
        raise RelationError(f"data must have at least 2 dimensions, got {shape_str(data.shape)}")
    expected = len(data.shape) - (1 if attrs.k1 == attrs.k2 else 0)
    if len(diagonal.shape) != expected:
        raise RelationError(
            f"diagonal must have {expected} dimensions for k=({attrs.k1}, {attrs.k2}), "
            f"got {shape_str(diagonal.shape)}"
        )
    return TensorType(data.shape, data.dtype)


def _matrix_set_diag_compute(attrs, inputs, out_type):
    align = ("RIGHT" if attrs.super_diag_right_align else "LEFT") + "_" + (
        "RIGHT" if attrs.sub_diag_right_align else "LEFT")
    return [topi.matrix_set_diag(inputs[0], inputs[1], (attrs.k1, attrs.k2), align)]


define("matrix_set_diag", _matrix_set_diag_rel, OpPattern.INJECTIVE, _matrix_set_diag_compute, 2,
       "relay.attrs.MatrixSetDiagAttrs")

_ALIGNS = ("LEFT_RIGHT", "LEFT_LEFT", "RIGHT_LEFT", "RIGHT_RIGHT")


def matrix_set_diag(data, diagonal, k=0, align="RIGHT_LEFT"):
    """Replace diagonals of the innermost matrices of ``data`` (TensorFlow's
    ``matrix_set_diag``).

    Parameters
    ----------
    data : relay.Expr
        ``[..., M, N]``.
    diagonal : relay.Expr
        ``[..., L]`` for one diagonal, ``[..., k2 - k1 + 1, L]`` for a band.
    k : int or tuple of two ints
        The diagonal (0: main, > 0: above) or the band ``(k1, k2)``.
    align : str
        How shorter diagonals sit in ``diagonal``: ``"RIGHT_LEFT"`` (default:
        super-diagonals right-aligned, sub-diagonals left-aligned), ``"LEFT_RIGHT"``,
        ``"LEFT_LEFT"``, ``"RIGHT_RIGHT"``.
    """
    k1, k2 = (k, k) if isinstance(k, int) else (int(k[0]), int(k[1]))
    if k1 > k2:
        raise ValueError(f"matrix_set_diag: k=({k1}, {k2}) needs k1 <= k2")
    if align not in _ALIGNS:
        raise ValueError(f"matrix_set_diag: align must be one of {_ALIGNS}, got {align!r}")
    return make_call("matrix_set_diag", [data, diagonal], "relay.attrs.MatrixSetDiagAttrs",
                     k1=k1, k2=k2, super_diag_right_align=align.startswith("RIGHT"),
                     sub_diag_right_align=align.endswith("RIGHT"))


# -- strided_set ----------------------------------------------------------------------
def _strided_set_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    value = tensor_arg(arg_types, 1, "v")
    if value.dtype != data.dtype:
        raise RelationError(f"v has dtype {value.dtype} but data has {data.dtype}")
    for index, name in ((2, "begin"), (3, "end"), (4, "strides")):
        arg = tensor_arg(arg_types, index, name)
        if len(arg.shape) != 1 or "int" not in arg.dtype:
            raise RelationError(f"{name} must be a 1-d integer tensor, got {shape_str(arg.shape)} {arg.dtype}")
    return TensorType(data.shape, data.dtype)


def _strided_set_compute(attrs, inputs, out_type):
    # TOPI's strided_set reads its bounds as int32.
    bounds = [b if b.dtype == "int32" else topi.cast(b, "int32") for b in inputs[2:]]
    return [topi.strided_set(inputs[0], inputs[1], *bounds)]


define("strided_set", _strided_set_rel, OpPattern.INJECTIVE, _strided_set_compute, 5)


def strided_set(data, v, begin, end, strides=None):
    """``data`` with the strided slice ``[begin:end:strides]`` replaced by ``v``.

    ``begin``, ``end`` and ``strides`` are 1-d integer tensors or lists (one
    value per leading axis; ``strides`` defaults to ones).
    """
    begin = as_expr(begin, "int64") if not isinstance(begin, list | tuple) else as_expr(list(begin), "int64")
    end = as_expr(end, "int64") if not isinstance(end, list | tuple) else as_expr(list(end), "int64")
    if strides is None:
        from ..expr import const  # pylint: disable=import-outside-toplevel

        strides = const([1] * _length(begin), "int64")
    elif isinstance(strides, list | tuple):
        strides = as_expr(list(strides), "int64")
    return make_call("strided_set", [data, v, begin, end, strides])


def _length(expr):
    try:
        return int(expr.numpy().shape[0])
    except AttributeError:
        raise ValueError("strided_set: give strides when begin is not a constant") from None


def _fill_loops(buf, shape, value, loop_vars=()):
    """Nested serial loops storing ``value`` into every element of ``buf``."""
    if len(loop_vars) == len(shape):
        buf[tuple(loop_vars)] = value
        return
    with T.serial(0, shape[len(loop_vars)]) as i:
        _fill_loops(buf, shape, value, loop_vars + (i,))


# -- sparse_to_dense (TVM 0.8) ----------------------------------------------------------
def _sparse_to_dense_rel(arg_types, attrs):
    indices = tensor_arg(arg_types, 0, "sparse_indices")
    values = tensor_arg(arg_types, 1, "sparse_values")
    default = tensor_arg(arg_types, 2, "default_value")
    out_shape = tuple(attrs.output_shape)
    if not indices.dtype.startswith(("int", "uint")):
        raise RelationError(f"sparse_indices must have an integer dtype, got {indices.dtype}")
    if len(indices.shape) > 2 or len(values.shape) > 1 or default.shape:
        raise RelationError(
            f"sparse_indices must be 0-D, 1-D or 2-D, sparse_values 0-D or 1-D and default_value "
            f"a scalar, got {shape_str(indices.shape)}, {shape_str(values.shape)}, "
            f"{shape_str(default.shape)}")
    rank = indices.shape[1] if len(indices.shape) == 2 else 1
    if not is_any(rank) and rank != len(out_shape):
        raise RelationError(f"sparse_indices {shape_str(indices.shape)} index {rank} axes, but "
                            f"output_shape {shape_str(out_shape)} has {len(out_shape)}")
    count = indices.shape[0] if indices.shape else 1
    if values.shape and not dims_equal(values.shape[0], count):
        raise RelationError(f"sparse_values {shape_str(values.shape)} do not match the {count} "
                            f"sparse_indices {shape_str(indices.shape)}")
    return TensorType(out_shape, values.dtype)


def _sparse_to_dense_compute(attrs, inputs, out_type):
    """``default_value`` everywhere, then each value at its index in order (the last
    of repeated indices wins); indices outside ``output_shape`` are skipped, as
    TOPI's kernel in TVM 0.8 did."""
    indices, values, default = inputs
    shape = [int(d) for d in attrs.output_shape]
    count = indices.shape[0] if indices.shape else 1
    rank = len(shape)

    def body(ins, outs):
        with IRBuilder() as ib, T.seq_scope():
            ind, val, dflt = (T.buffer_proxy(b) for b in ins)
            out = T.buffer_proxy(outs[0])
            fill = tirx.Cast(outs[0].dtype, dflt[()])
            _fill_loops(out, shape, fill)
            with T.serial(0, count) as j:
                if not ins[0].shape:
                    coords = [ind[()]]
                elif len(ins[0].shape) == 1:
                    coords = [ind[j]]
                else:
                    coords = [ind[j, k] for k in range(rank)]
                inside = tirx.all(*[tirx.all(c >= 0, c < dim) for c, dim in zip(coords, shape)])
                with T.If(inside):
                    with T.Then():
                        out[tuple(coords)] = val[()] if not ins[1].shape else val[j]
        return ib.get()

    return [te.extern([shape], [indices, values, default], body, dtype=[out_type.dtype],
                      name="sparse_to_dense", tag="sparse_to_dense")]


define("sparse_to_dense", _sparse_to_dense_rel, OpPattern.OPAQUE, _sparse_to_dense_compute, 3,
       "relay.attrs.SparseToDenseAttrs")


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0):
    """A dense tensor of ``output_shape`` from a sparse representation.

    ``sparse_to_dense([[0, 0], [1, 1]], [2, 2], [3, 3], 0) = [[3, 0], [0, 3]]``

    Parameters
    ----------
    sparse_indices : relay.Expr
        Integer locations: a scalar or ``(N,)`` for a 1-D output, else ``(N, ndim)``.
    output_shape : list of int or relay.Constant
        The dense shape (0.8's dynamic form, a non-constant expression, is refused).
    sparse_values : relay.Expr
        A scalar (the same value everywhere) or ``(N,)``.
    default_value : relay.Expr or number
        The scalar at all other locations, cast to the dtype of ``sparse_values``.

    Entries outside ``output_shape`` are skipped; of repeated indices the last
    value wins (TVM 0.8's kernel did the same).
    """
    if not isinstance(default_value, RelayExpr):
        default_value = const(default_value)
    from .dyn import _make as _dyn_make  # pylint: disable=import-outside-toplevel

    if _dyn_make.is_dynamic(output_shape):  # 0.8: a run-time shape gives dyn.sparse_to_dense
        return _dyn_make.sparse_to_dense(sparse_indices, output_shape, sparse_values,
                                         default_value)
    output_shape = static_values(output_shape, "sparse_to_dense: output_shape")
    if isinstance(output_shape, int):
        output_shape = [output_shape]
    return make_call("sparse_to_dense", [sparse_indices, sparse_values, default_value],
                     "relay.attrs.SparseToDenseAttrs",
                     output_shape=tuple(int(s) for s in output_shape))


# -- sparse_reshape (TVM 0.8) -----------------------------------------------------------
def _check_int_arg(ty, name, rank):
    if not ty.dtype.startswith(("int", "uint")):
        raise RelationError(f"{name} must have an integer dtype, got {ty.dtype}")
    if len(ty.shape) != rank:
        raise RelationError(f"{name} must be {rank}-D, got {shape_str(ty.shape)}")


def _sparse_reshape_rel(arg_types, attrs):
    indices = tensor_arg(arg_types, 0, "sparse_indices")
    prev_shape = tensor_arg(arg_types, 1, "prev_shape")
    new_shape = tensor_arg(arg_types, 2, "new_shape")
    _check_int_arg(indices, "sparse_indices", 2)
    _check_int_arg(prev_shape, "prev_shape", 1)
    _check_int_arg(new_shape, "new_shape", 1)
    if not dims_equal(indices.shape[1], prev_shape.shape[0]):
        raise RelationError(f"sparse_indices {shape_str(indices.shape)} index {indices.shape[1]} axes "
                            f"but prev_shape has {prev_shape.shape[0]}")
    return TupleType([TensorType((indices.shape[0], new_shape.shape[0]), indices.dtype),
                      TensorType(new_shape.shape, new_shape.dtype)])


def _sparse_reshape_ir(ins, outs):
    """Each index is flattened in ``prev_shape`` (Horner's rule) and unflattened in the
    new shape, whose ``-1`` (at most one) is the remaining size; computed in int64.
    When the new shape equals the old one the indices are copied unchanged (as 0.8,
    which also copied indices that lie outside the shape)."""
    indices, prev_shape, new_shape = ins
    out_indices, out_shape = outs
    count, old_rank = indices.shape
    new_rank = new_shape.shape[0]
    i64 = "int64"
    with IRBuilder() as ib, T.seq_scope():
        ind, prev, new = (T.buffer_proxy(b) for b in ins)
        out_ind, shape = T.buffer_proxy(out_indices), T.buffer_proxy(out_shape)
        acc = T.buffer_proxy(T.alloc_buffer([4], i64, scope="local"))  # total, known, flat, same
        acc[0] = tirx.const(1, i64)
        with T.serial(0, old_rank) as k:
            acc[0] = acc[0] * tirx.Cast(i64, prev[k])
        acc[1] = tirx.const(1, i64)
        with T.serial(0, new_rank) as k:
            with T.If(new[k] != -1):
                with T.Then():
                    acc[1] = acc[1] * tirx.Cast(i64, new[k])
        with T.serial(0, new_rank) as k:
            with T.If(new[k] == -1):
                with T.Then():
                    shape[k] = tirx.Cast(out_shape.dtype, tirx.floordiv(acc[0], tirx.max(acc[1], 1)))
                with T.Else():
                    shape[k] = tirx.Cast(out_shape.dtype, new[k])
        acc[3] = tirx.Cast(i64, old_rank == new_rank)
        with T.serial(0, tirx.min(old_rank, new_rank)) as k:
            with T.If(tirx.Cast(i64, shape[k]) != tirx.Cast(i64, prev[k])):
                with T.Then():
                    acc[3] = tirx.const(0, i64)
        with T.serial(0, count) as r:
            with T.If(acc[3] == 1):
                with T.Then():
                    with T.serial(0, tirx.min(old_rank, new_rank)) as k:
                        out_ind[r, k] = ind[r, k]
                with T.Else():
                    acc[2] = tirx.const(0, i64)
                    with T.serial(0, old_rank) as k:
                        acc[2] = acc[2] * tirx.Cast(i64, prev[k]) + tirx.Cast(i64, ind[r, k])
                    with T.serial(0, new_rank) as k:
                        dim = tirx.max(tirx.Cast(i64, shape[new_rank - 1 - k]), 1)
                        out_ind[r, new_rank - 1 - k] = tirx.Cast(out_indices.dtype,
                                                                 tirx.floormod(acc[2], dim))
                        acc[2] = tirx.floordiv(acc[2], dim)
    return ib.get()


def _sparse_reshape_compute(attrs, inputs, out_type):
    indices, _, new_shape = inputs
    return list(te.extern(
        [(indices.shape[0], new_shape.shape[0]), new_shape.shape], list(inputs), _sparse_reshape_ir,
        dtype=[indices.dtype, new_shape.dtype], name="sparse_reshape", tag="sparse_reshape"))


define("sparse_reshape", _sparse_reshape_rel, OpPattern.OPAQUE, _sparse_reshape_compute, 3)


def sparse_reshape(sparse_indices, prev_shape, new_shape):
    """Reshape a sparse tensor in COO format: the indices of its values in the new shape.

    Parameters
    ----------
    sparse_indices : relay.Expr
        ``(N, ndim)`` integer indices of the values.
    prev_shape : relay.Expr
        ``(ndim,)`` the dense shape.
    new_shape : relay.Expr
        ``(new_ndim,)`` the new dense shape; one entry may be -1 (inferred).

    Returns
    -------
    (new_sparse_indices, new_shape) : relay.TupleWrapper
        ``(N, new_ndim)`` indices (dtype of ``sparse_indices``) and the new shape with
        -1 resolved (dtype of ``new_shape``).
    """
    return TupleWrapper(make_call("sparse_reshape", [sparse_indices, prev_shape, new_shape]), 2)


# -- segment_sum (TVM 0.8) --------------------------------------------------------------
def _segment_sum_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    ids = tensor_arg(arg_types, 1, "segment_ids")
    _check_int_arg(ids, "segment_ids", 1)
    if not data.shape:
        raise RelationError("data must have at least one axis")
    if not is_any(ids.shape[0]) and not is_any(data.shape[0]) and ids.shape[0] > data.shape[0]:
        raise RelationError(f"segment_ids {shape_str(ids.shape)} has more entries than data "
                            f"{shape_str(data.shape)} has rows")
    rows = Any() if attrs.num_segments is None else attrs.num_segments
    return TensorType((rows,) + tuple(data.shape[1:]), data.dtype)


def _segment_sum_compute(attrs, inputs, out_type):
    """A scatter-add of the rows of ``data`` into zeros, as 0.8's composition of
    ``scatter_add``, with ``scatter_add``'s index rule: ``-num_segments <= id < 0``
    counts from the end, ids outside ``[-num_segments, num_segments)`` raise IndexError."""
    from ._index import checked_indices  # pylint: disable=import-outside-toplevel

    if attrs.num_segments is None:
        raise ValueError("segment_sum without num_segments has a data-dependent output shape; "
                         "give num_segments to compile it")
    data, ids = inputs
    rest = list(data.shape[1:])
    count = ids.shape[0]
    ids = checked_indices(ids, attrs.num_segments, "segment_sum")
    index = te.compute([count] + rest, lambda i, *_: ids[i], name="segment_ids_expanded")
    updates = te.compute([count] + rest, lambda *i: data[i], name="segment_rows")
    zeros = te.compute([attrs.num_segments] + rest, lambda *_: tirx.const(0, data.dtype),
                       name="segment_zeros")
    return [topi.scatter_elements(zeros, index, updates, 0, "add")]


define("segment_sum", _segment_sum_rel, OpPattern.OPAQUE, _segment_sum_compute, 2,
       "relay.attrs.SegmentSumAttrs")


def segment_sum(data, segment_ids, num_segments=None):
    """Sum the rows of ``data`` by segment: ``result[segment_ids[i], ...] += data[i, ...]``
    (TensorFlow's ``unsorted_segment_sum``).

    Parameters
    ----------
    data : relay.Expr
        Any rank >= 1; rows past ``len(segment_ids)`` contribute nothing (as 0.8).
    segment_ids : relay.Expr
        1-D integer segment of each row, in ``[0, num_segments)``, in any order
        (negative ids count from the end and ids out of range raise IndexError,
        as for ``scatter_add``, of which 0.8 composed this op).
    num_segments : int, optional
        The number of output rows. Without it, ``max(segment_ids) + 1``: a size known
        only at run time, which ``relay.build`` cannot compile (``create_executor("vm")``
        and ``"debug"`` evaluate it).

    TVM 0.8 composed this op of ``scatter_add`` and dynamic-shape ops (``dyn.zeros``,
    ``dyn.tile``) that the fork does not have: here it is one op with the same result.
    """
    if isinstance(num_segments, RelayExpr):
        value = static_values(num_segments, "segment_sum: num_segments")
        num_segments = int(np.asarray(value).reshape(-1)[0])
    return make_call("segment_sum", [data, segment_ids], "relay.attrs.SegmentSumAttrs",
                     num_segments=None if num_segments is None else int(num_segments))


# -- adv_index (TVM 0.8) ------------------------------------------------------------------
def _adv_index_rel(arg_types, attrs):
    fields = tuple_arg(arg_types, 0, "inputs")
    if len(fields) < 2:
        raise RelationError("adv_index needs the data and at least one index tensor")
    data, indices = fields[0], fields[1:]
    if len(indices) > len(data.shape):
        raise RelationError(f"{len(indices)} index tensors for data {shape_str(data.shape)}")
    shape = tuple(indices[0].shape)
    for i, index in enumerate(indices):
        if not index.dtype.startswith(("int", "uint")):
            raise RelationError(f"index {i} must have an integer dtype, got {index.dtype}")
        joined = broadcast_shape(shape, tuple(index.shape))
        if joined is None:
            raise RelationError(f"index shapes {shape_str(shape)} and {shape_str(index.shape)} "
                                "do not broadcast")
        shape = tuple(joined)
    return TensorType(shape + tuple(data.shape[len(indices):]), data.dtype)


def _adv_index_compute(attrs, inputs, out_type):
    """TOPI's ``adv_index`` on indices checked as ``take``'s: negative ones count
    from the end, out-of-range ones raise IndexError."""
    from ._index import checked_indices  # pylint: disable=import-outside-toplevel

    data, indices = inputs[0], inputs[1:]
    checked = [checked_indices(index, data.shape[axis], "adv_index")
               for axis, index in enumerate(indices)]
    return [topi.adv_index(data, checked)]


define("adv_index", _adv_index_rel, OpPattern.INJECTIVE, _adv_index_compute, 1)


def adv_index(inputs):
    """NumPy-style advanced indexing: ``inputs[0][inputs[1], inputs[2], ...]``.

    Parameters
    ----------
    inputs : list or tuple of relay.Expr
        The data, then one integer index tensor per leading axis indexed; the
        index tensors broadcast together.
    """
    return make_call("adv_index", [Tuple(list(inputs))])


# -- sparse_fill_empty_rows (TVM 0.8) -----------------------------------------------------
def _sparse_fill_empty_rows_rel(arg_types, attrs):
    indices = tensor_arg(arg_types, 0, "sparse_indices")
    values = tensor_arg(arg_types, 1, "sparse_values")
    dense_shape = tensor_arg(arg_types, 2, "dense_shape")
    default = tensor_arg(arg_types, 3, "default_value")
    _check_int_arg(indices, "sparse_indices", 2)
    _check_int_arg(dense_shape, "dense_shape", 1)
    if len(values.shape) != 1 or not dims_equal(values.shape[0], indices.shape[0]):
        raise RelationError(f"sparse_values must be 1-D with one value per index, got "
                            f"{shape_str(values.shape)} for indices {shape_str(indices.shape)}")
    if len(default.shape) > 1:
        raise RelationError(f"default_value must be a scalar or (1,), got {shape_str(default.shape)}")
    # the number of empty rows is known only at run time
    return TupleType([TensorType((Any(), indices.shape[1]), indices.dtype),
                      TensorType((Any(),), values.dtype), TensorType((Any(),), "int64")])


# No compute: the output sizes depend on the values (the reference interpreter,
# create_executor("debug") and "vm", evaluates it; relay.build refuses dynamic shapes).
define("sparse_fill_empty_rows", _sparse_fill_empty_rows_rel, OpPattern.OPAQUE, None, 4)


def sparse_fill_empty_rows(sparse_indices, sparse_values, dense_shape, default_value):
    """Fill the empty rows of a sparse tensor in COO format (TensorFlow's
    ``sparse.fill_empty_rows``): each row of the dense shape without a value gets
    one, ``default_value``, in its first column.

    Parameters
    ----------
    sparse_indices : relay.Expr
        ``(N, ndims)`` integer indices, sorted by row (their first column).
    sparse_values : relay.Expr
        ``(N,)`` the values.
    dense_shape : relay.Expr
        ``(ndims,)`` the dense shape.
    default_value : relay.Expr
        ``(1,)`` (or a scalar) the value for the empty rows.

    Returns
    -------
    (new_sparse_indices, new_sparse_values, empty_row_indicator) : relay.Tuple
        The indices and values with one entry added per empty row (in row order),
        and for every dense row whether it was empty (bool). Their sizes are known
        only at run time, so ``relay.build`` cannot compile this op (as the graph
        executor of 0.8 could not); ``create_executor("vm")`` and ``"debug"`` run it.
    """
    from .transform import cast, cast_like  # pylint: disable=import-outside-toplevel

    call = make_call("sparse_fill_empty_rows", [sparse_indices, sparse_values, dense_shape,
                                                default_value])
    new_indices, new_values, empty = TupleWrapper(call, 3)
    return Tuple([cast_like(new_indices, sparse_indices), cast_like(new_values, sparse_values),
                  cast(empty, "bool")])


# -- reference kernels ------------------------------------------------------------------------
def _sparse_to_dense_reference(attrs, args):
    indices, values, default = args
    shape = tuple(int(d) for d in attrs["output_shape"])
    out = np.full(shape, default, dtype=values.dtype)
    coords = np.asarray(indices, np.int64).reshape(-1, len(shape) if indices.ndim == 2 else 1)
    values = np.broadcast_to(values, (coords.shape[0],))
    for row, value in zip(coords, values):
        if all(0 <= c < d for c, d in zip(row, shape)):
            out[tuple(row)] = value
    return out


def _sparse_reshape_reference(attrs, args):
    indices, prev_shape, new_shape = args
    prev = prev_shape.astype(np.int64)
    shape = new_shape.astype(np.int64)
    known = int(np.prod(shape[shape != -1]))
    shape[shape == -1] = int(np.prod(prev)) // max(known, 1)
    if np.array_equal(shape, prev):
        return indices.copy(), shape.astype(new_shape.dtype)
    flat = np.zeros(indices.shape[0], np.int64)
    for k, dim in enumerate(prev):  # arithmetic as 0.8: indices outside prev_shape are not checked
        flat = flat * dim + indices[:, k].astype(np.int64)
    new = np.zeros((indices.shape[0], len(shape)), np.int64)
    for k in reversed(range(len(shape))):
        dim = max(int(shape[k]), 1)
        new[:, k], flat = flat % dim, flat // dim
    return new.astype(indices.dtype), shape.astype(new_shape.dtype)


def _segment_sum_reference(attrs, args):
    data, ids = args
    ids = ids.astype(np.int64)
    count = attrs["num_segments"]
    if count is None:
        count = int(ids.max()) + 1 if ids.size else 0
    if ids.size and (ids.min() < -count or ids.max() >= count):
        raise IndexError(f"segment_sum: a segment id is outside [-{count}, {count})")
    ids = np.where(ids < 0, ids + count, ids)
    acc = np.float64 if np.issubdtype(data.dtype, np.floating) else data.dtype
    out = np.zeros((count,) + data.shape[1:], acc)
    np.add.at(out, ids, data[:len(ids)].astype(acc))
    return out.astype(data.dtype)


def _adv_index_reference(attrs, args):
    data, *indices = args[0]
    return np.asarray(data[tuple(np.asarray(i, np.int64) for i in indices)])


def _sparse_fill_empty_rows_reference(attrs, args):
    indices, values, dense_shape, default = args
    rows = int(dense_shape[0])
    filled = np.zeros(rows, bool)
    filled[indices[:, 0][(indices[:, 0] >= 0) & (indices[:, 0] < rows)].astype(np.int64)] = True
    empty = np.flatnonzero(~filled)
    added = np.zeros((len(empty), indices.shape[1]), indices.dtype)
    added[:, 0] = empty
    # existing entries keep their order; an empty row's entry goes before the first
    # entry of a later row (a stable merge on the row number)
    order = np.argsort(np.concatenate([indices[:, 0].astype(np.int64), empty]), kind="stable")
    new_indices = np.concatenate([indices, added])[order]
    fill = np.asarray(default).reshape(-1)[:1].astype(values.dtype)
    new_values = np.concatenate([values, np.repeat(fill, len(empty))])[order]
    return new_indices, new_values, (~filled).astype(np.int64)


def _register_reference():
    from ..reference.ops.registry import register_kernel  # pylint: disable=import-outside-toplevel

    register_kernel("sparse_fill_empty_rows")(_sparse_fill_empty_rows_reference)
    register_kernel("sparse_to_dense")(_sparse_to_dense_reference)
    register_kernel("sparse_reshape")(_sparse_reshape_reference)
    register_kernel("segment_sum")(_segment_sum_reference)
    register_kernel("adv_index")(_adv_index_reference)


_register_reference()
