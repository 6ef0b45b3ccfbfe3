"""Shape-changing and data-movement operators (upstream ``relay.op.transform``).

Type relations, patterns and computes are in :mod:`._transform` and
:mod:`._index`.
"""
from ..expr import Constant, TupleWrapper
from ._util import as_expr, int_or_none_tuple, make_call, static_values
from . import _index, _transform  # noqa: F401  (register the ops)
from .dyn import _make as _dyn_make
# Sorting ops live in .algorithm as upstream; relay/__init__ star-imports this
# module, so listing them here makes relay.topk / relay.argsort / relay.sort work.
from .algorithm import argsort, searchsorted, sort, topk, unique

__all__ = [
    "cast", "cast_like", "reinterpret", "expand_dims", "transpose", "squeeze", "reshape",
    "reshape_like", "take", "full", "full_like", "repeat", "tile", "reverse", "where",
    "broadcast_to", "broadcast_to_like", "split", "strided_slice", "layout_transform",
    "one_hot", "gather", "arange", "gather_nd", "slice_like", "sequence_mask",
    "reverse_sequence", "cumsum", "cumprod", "topk", "argsort", "sort", "scatter", "scatter_add",
    "scatter_nd", "einsum", "collapse_sum_like", "reverse_reshape", "unravel_index",
    "searchsorted", "unique",
]


def cast(data, dtype):
    """Cast ``data`` to ``dtype``.

    Parameters
    ----------
    data : relay.Expr
    dtype : str
    """
    return make_call("cast", [data], "relay.attrs.CastAttrs", dtype=str(dtype))


def cast_like(data, dtype_like):
    """Cast ``data`` to the dtype of ``dtype_like``."""
    return make_call("cast_like", [data, dtype_like])


def reinterpret(data, dtype):
    """Reinterpret the bits of ``data`` as ``dtype`` (same bit width)."""
    return make_call("reinterpret", [data], "relay.attrs.CastAttrs", dtype=str(dtype))


def expand_dims(data, axis, num_newaxis=1):
    """Insert ``num_newaxis`` axes of size 1 at ``axis``.

    Parameters
    ----------
    data : relay.Expr
    axis : int
        Where to insert, in ``[-ndim - 1, ndim]``.
    num_newaxis : int
    """
    if isinstance(axis, Constant):
        axis = int(axis.numpy())
    if _dyn_make.is_dynamic(axis):  # 0.8: a run-time axis gives dyn.expand_dims
        return _dyn_make.expand_dims(data, axis, num_newaxis)
    return make_call(
        "expand_dims", [data], "relay.attrs.ExpandDimsAttrs",
        axis=int(axis), num_newaxis=int(num_newaxis),
    )


def transpose(data, axes=None):
    """Permute the axes of ``data`` (reverse them if ``axes`` is None)."""
    axes = None if axes is None else tuple(int(a) for a in axes)
    return make_call("transpose", [data], "relay.attrs.TransposeAttrs", axes=axes)


def squeeze(data, axis=None):
    """Remove axes of size 1 (all of them if ``axis`` is None)."""
    if isinstance(axis, Constant):
        axis = [int(a) for a in axis.numpy().reshape(-1)]
    if _dyn_make.is_dynamic(axis):  # 0.8: run-time axes give dyn.squeeze
        return _dyn_make.squeeze(data, axis)
    return make_call("squeeze", [data], "relay.attrs.SqueezeAttrs", axis=int_or_none_tuple(axis))


def reshape(data, newshape):
    """Reshape ``data``; ``newshape`` may use upstream's special values.

    ``0`` copies the input dimension, ``-1`` infers one dimension, ``-2`` copies
    all remaining input dimensions, ``-3`` merges two input dimensions and
    ``-4`` splits one into the next two values (one of which may be ``-1``).

    Parameters
    ----------
    data : relay.Expr
    newshape : int or tuple of int
    """
    if _dyn_make.is_dynamic(newshape):  # 0.8: a run-time shape gives dyn.reshape
        return _dyn_make.reshape(data, newshape)
    newshape = static_values(newshape, "reshape newshape")
    if isinstance(newshape, int):
        newshape = (newshape,)
    return make_call(
        "reshape", [data], "relay.attrs.ReshapeAttrs", newshape=tuple(int(s) for s in newshape)
    )


def reshape_like(data, shape_like, lhs_begin=0, lhs_end=None, rhs_begin=0, rhs_end=None):
    """Reshape ``data[lhs_begin:lhs_end]`` to the dims ``rhs_begin:rhs_end`` of ``shape_like``."""
    return make_call(
        "reshape_like", [data, shape_like], "relay.attrs.ReshapeLikeAttrs",
        lhs_begin=lhs_begin, lhs_end=lhs_end, rhs_begin=rhs_begin, rhs_end=rhs_end,
    )


def take(data, indices, axis=None, batch_dims=0, mode="clip"):
    """Gather elements of ``data`` at ``indices`` along ``axis`` (flattened if None).

    Parameters
    ----------
    data : relay.Expr
    indices : relay.Expr
        Integer tensor.
    axis : int, optional
    batch_dims : int
    mode : str
        What an index ``i`` of an axis of size ``d`` means (upstream TVM 0.8's modes):
        ``"clip"`` (default) clamps it to ``[0, d - 1]`` (negative indices give 0);
        ``"wrap"`` takes it modulo ``d`` (-1 is the last element); ``"fast"`` takes
        ``-d <= i < d``, negative indices counting from the end (NumPy, ONNX), and raises
        IndexError at run time for any other index (upstream read out of bounds).
        ``gather``, ``gather_nd`` and the scatters follow ``"fast"``.
    """
    return make_call(
        "take", [data, indices], "relay.attrs.TakeAttrs",
        batch_dims=int(batch_dims), axis=None if axis is None else int(axis), mode=mode,
    )


def full(fill_value, shape=(), dtype=""):
    """A tensor of ``shape`` filled with the scalar ``fill_value``.

    Parameters
    ----------
    fill_value : relay.Expr or number
        A scalar.
    shape : tuple of int
    dtype : str
        Defaults to the dtype of ``fill_value``.
    """
    if _dyn_make.is_dynamic(shape):  # 0.8: a run-time shape gives dyn.full
        return _dyn_make.full(fill_value, shape, dtype)
    shape = static_values(shape, "full shape")
    fill_value = as_expr(fill_value, dtype or None)
    shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    return make_call("full", [fill_value], "relay.attrs.InitOpAttrs", shape=shape, dtype=dtype)


def full_like(data, fill_value):
    """A tensor like ``data`` filled with the scalar ``fill_value``."""
    return make_call("full_like", [data, as_expr(fill_value)])


def arange(start, stop=None, step=None, dtype="float32"):
    """Evenly spaced values in ``[start, stop)`` (static form: numbers or relay constants)."""
    if _dyn_make.any_dynamic(start, stop, step):  # run-time bounds: dyn.arange
        return _dyn_make.arange(start, stop, step, dtype)
    start = static_values(start, "arange start")
    stop = static_values(stop, "arange stop")
    step = static_values(step, "arange step")
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    return make_call(
        "arange", [], "relay.attrs.ArangeAttrs",
        start=start, stop=stop, step=step, dtype=dtype,
    )


def repeat(data, repeats, axis):
    """Repeat each element ``repeats`` times along ``axis``."""
    return make_call("repeat", [data], "relay.attrs.RepeatAttrs", repeats=int(repeats), axis=int(axis))


def tile(data, reps):
    """Tile ``data`` ``reps`` times along each axis (NumPy ``tile``)."""
    if _dyn_make.is_dynamic(reps):  # 0.8: run-time repetitions give dyn.tile
        return _dyn_make.tile(data, reps)
    reps = static_values(reps, "tile reps")
    return make_call("tile", [data], "relay.attrs.TileAttrs", reps=tuple(int(r) for r in reps))


def reverse(data, axis):
    """Reverse ``data`` along ``axis``."""
    return make_call("reverse", [data], "relay.attrs.ReverseAttrs", axis=int(axis))


def where(condition, x, y):
    """Elements of ``x`` where ``condition`` holds, else of ``y`` (all three broadcast)."""
    return make_call("where", [condition, x, y])


def broadcast_to(data, shape):
    """Broadcast ``data`` to ``shape`` (NumPy rules)."""
    if _dyn_make.is_dynamic(shape):  # 0.8: a run-time shape gives dyn.broadcast_to
        return _dyn_make.broadcast_to(data, shape)
    shape = static_values(shape, "broadcast_to shape")
    shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    return make_call("broadcast_to", [data], "relay.attrs.InitOpAttrs", shape=shape, dtype="")


def broadcast_to_like(data, broadcast_type):
    """Broadcast ``data`` to the shape of ``broadcast_type``."""
    return make_call("broadcast_to_like", [data, broadcast_type])


def split(data, indices_or_sections, axis=0):
    """Split ``data`` along ``axis`` into equal sections or at indices.

    Parameters
    ----------
    data : relay.Expr
    indices_or_sections : int or tuple of int
        The number of equal sections, or the split points.
    axis : int

    Returns
    -------
    result : relay.TupleWrapper
        The pieces.
    """
    if isinstance(indices_or_sections, int):
        size = indices_or_sections
    else:
        indices_or_sections = tuple(int(i) for i in indices_or_sections)
        size = len(indices_or_sections) + 1
    call = make_call(
        "split", [data], "relay.attrs.SplitAttrs",
        indices_or_sections=indices_or_sections, axis=int(axis),
    )
    return TupleWrapper(call, size)


def strided_slice(data, begin, end, strides=None, axes=None, slice_mode="end"):
    """Slice ``data`` as ``data[begin:end:strides]`` per axis.

    Parameters
    ----------
    data : relay.Expr
    begin, end : tuple of int
        Missing trailing axes are taken whole. With ``slice_mode="size"``,
        ``end`` holds sizes (``-1``: to the end).
    strides : tuple of int, optional
        Default 1; a single value applies to every sliced axis.
    axes : tuple of int, optional
        The axes ``begin``/``end`` refer to (default: the leading ones).
    slice_mode : str
        ``"end"`` or ``"size"``.
    """
    if _dyn_make.any_dynamic(begin, end, strides):
        # 0.8: run-time bounds give dyn.strided_slice (no ``axes``); the other
        # bounds become constants
        if axes is not None:
            raise ValueError("strided_slice: axes are not supported with run-time begin/end/strides")
        return _dyn_make.strided_slice(data, begin, end, [1] if strides is None else strides,
                                       slice_mode)
    begin = static_values(begin, "strided_slice begin")
    end = static_values(end, "strided_slice end")
    strides = static_values(strides, "strided_slice strides")
    begin = tuple(int(b) for b in _seq(begin))
    end = tuple(int(e) for e in _seq(end))
    strides = (1,) if strides is None else tuple(int(s) for s in _seq(strides))
    axes = None if axes is None else tuple(int(a) for a in _seq(axes))
    return make_call(
        "strided_slice", [data], "relay.attrs.StridedSliceAttrs",
        begin=begin, end=end, strides=strides, axes=axes, slice_mode=slice_mode,
    )


def _seq(value):
    return (value,) if isinstance(value, int) else value


def layout_transform(data, src_layout, dst_layout):
    """Convert ``data`` from ``src_layout`` to ``dst_layout`` (e.g. ``NCHW`` -> ``NCHW16c``)."""
    return make_call(
        "layout_transform", [data], "relay.attrs.LayoutTransformAttrs",
        src_layout=src_layout, dst_layout=dst_layout,
    )


def one_hot(indices, on_value, off_value, depth, axis, dtype):
    """One-hot encoding of integer ``indices`` with a new axis of size ``depth``."""
    if isinstance(depth, Constant):
        depth = depth.numpy().item()
    if _dyn_make.is_dynamic(depth):  # 0.8: a run-time depth gives dyn.one_hot
        return _dyn_make.one_hot(indices, on_value, off_value, depth, axis, dtype)
    return make_call(
        "one_hot", [indices, as_expr(on_value, dtype), as_expr(off_value, dtype)],
        "relay.attrs.OneHotAttrs", depth=int(depth), axis=int(axis), dtype=dtype,
    )


def gather(data, axis, indices):
    """``out[i][j][k] = data[indices[i][j][k]][j][k]`` for ``axis=0`` (and so on)."""
    return make_call("gather", [data, indices], "relay.attrs.GatherAttrs", axis=int(axis))


def gather_nd(data, indices, batch_dims=0, index_rank=None):
    """Gather slices of ``data`` at the coordinates held along the first axis of ``indices``."""
    return make_call("gather_nd", [data, indices], "relay.attrs.GatherNDAttrs",
                     batch_dims=int(batch_dims),
                     index_rank=None if index_rank is None else int(index_rank))


def slice_like(data, shape_like, axes=None):
    """Slice ``data`` from the origin to the shape of ``shape_like`` on ``axes`` (all if None)."""
    return make_call("slice_like", [data, shape_like], "relay.attrs.SliceLikeAttrs",
                     axes=int_or_none_tuple(axes))


def sequence_mask(data, valid_length, mask_value=0, axis=0):
    """Replace the elements past each sequence's ``valid_length`` with ``mask_value``.

    ``axis`` (0 or 1) is the time axis; the other of the two is the batch axis.
    """
    return make_call("sequence_mask", [data, valid_length], "relay.attrs.SequenceMaskAttrs",
                     mask_value=float(mask_value), axis=int(axis))


def reverse_sequence(data, seq_lengths, seq_axis=1, batch_axis=0):
    """Reverse the first ``seq_lengths[b]`` elements along ``seq_axis`` for each batch ``b``."""
    return make_call("reverse_sequence", [data, seq_lengths], "relay.attrs.ReverseSequenceAttrs",
                     seq_axis=int(seq_axis), batch_axis=int(batch_axis))


def cumsum(data, axis=None, dtype=None, exclusive=None):
    """Cumulative sum along ``axis`` (over the flattened input if None)."""
    return make_call("cumsum", [data], "relay.attrs.ScanopAttrs",
                     axis=None if axis is None else int(axis), dtype=dtype or "",
                     exclusive=None if exclusive is None else bool(exclusive))


def cumprod(data, axis=None, dtype=None, exclusive=None):
    """Cumulative product along ``axis`` (see :func:`cumsum`)."""
    return make_call("cumprod", [data], "relay.attrs.ScanopAttrs",
                     axis=None if axis is None else int(axis), dtype=dtype or "",
                     exclusive=None if exclusive is None else bool(exclusive))


def scatter(data, indices, updates, axis):
    """``data`` with ``updates`` written at ``indices`` along ``axis`` (ONNX ScatterElements)."""
    return make_call("scatter", [data, indices, updates], "relay.attrs.ScatterAttrs", axis=int(axis))


def scatter_add(data, indices, updates, axis):
    """Like :func:`scatter`, adding ``updates`` to the elements instead."""
    return make_call("scatter_add", [data, indices, updates], "relay.attrs.ScatterAttrs",
                     axis=int(axis))


def scatter_nd(data, indices, updates, mode="update"):
    """Write (``mode="update"``) or add (``"add"``) ``updates`` at the coordinates of ``indices``."""
    return make_call("scatter_nd", [data, indices, updates], "relay.attrs.ScatterNDAttrs", mode=mode)


def einsum(data, equation):
    """Einstein summation of the tensors ``data`` by ``equation`` (no ellipsis)."""
    from .tensor import _as_tuple  # pylint: disable=import-outside-toplevel

    return make_call("einsum", [_as_tuple(data, "einsum")], "relay.attrs.EinsumAttrs",
                     equation=str(equation))


def collapse_sum_like(data, collapse_type):
    """Sum ``data`` over the axes along which ``collapse_type`` would broadcast to it."""
    return make_call("collapse_sum_like", [data, collapse_type])


def reverse_reshape(data, newshape):
    """:func:`reshape` with the special values read from right to left."""
    newshape = static_values(newshape, "reverse_reshape newshape")
    if isinstance(newshape, int):
        newshape = (newshape,)
    return make_call("contrib_reverse_reshape", [data], "relay.attrs.ReshapeAttrs",
                     newshape=tuple(int(s) for s in newshape))


def unravel_index(indices, shape):
    """The coordinates, in an array of ``shape``, of flat ``indices``."""
    return make_call("unravel_index", [indices, shape])


# TVM 0.8's collapse_sum_to, matrix_set_diag, strided_set (defined in their own module).
from ._tensor_sets import (  # noqa: E402
    adv_index, collapse_sum_to, matrix_set_diag, segment_sum, sparse_fill_empty_rows,
    sparse_reshape, sparse_to_dense, strided_set,
)

__all__ += ["collapse_sum_to", "matrix_set_diag", "strided_set", "sparse_to_dense", "sparse_reshape",
            "segment_sum", "adv_index", "sparse_fill_empty_rows"]

# TVM 0.8's meshgrid (composed of existing ops, in its own module).
from ._meshgrid import meshgrid  # noqa: E402

__all__ += ["meshgrid"]
