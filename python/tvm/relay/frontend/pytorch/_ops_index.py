"""Converters: gathering and scattering, advanced indexing, sorting, scans, grids.

Index tensors of torch are int64; Relay's indexing ops take them as they are.
``take`` and advanced indexing wrap indices (so negative ones count from the end,
as in torch); out-of-range indices, which torch rejects, are not detected.
"""
import numpy as np

from ... import op as _op_registry  # noqa: F401
from ...op import algorithm as _algorithm
from ...op import nn as _nn
from ...op import tensor as _tensor
from ...op import transform as _transform
from ._helpers import dtype_of, int_list, is_expr, normalize_axis, relay_dtype, shape_of, \
    static_int, to_expr
from ._registry import register

__all__ = []


@register("aten::gather")
def _gather(ctx, inputs):
    data, dim, index = inputs[0], inputs[1], inputs[2]
    return _transform.gather(data, normalize_axis(dim, len(shape_of(data))), index)


@register("aten::take")
def _take(ctx, inputs):
    return _transform.take(_transform.reshape(inputs[0], (-1,)), inputs[1], mode="wrap")


@register("aten::scatter", "aten::scatter_")
def _scatter(ctx, inputs):
    data, dim, index, source = inputs[:4]
    reduce = inputs[4] if len(inputs) > 4 else None
    if reduce is not None:
        raise ctx.unsupported(f"reduce={reduce!r}")
    if not is_expr(source):  # scatter.value: a scalar written everywhere index points
        source = _transform.full(to_expr(source, dtype_of(data)), shape_of(index),
                                 dtype_of(data))
    return _transform.scatter(data, index, source, normalize_axis(dim, len(shape_of(data))))


@register("aten::index", "aten::_unsafe_index")
def _index(ctx, inputs):
    """``data[..., idx, ...]``: one index tensor (or several on consecutive axes, broadcast)."""
    data, indices = inputs[0], list(inputs[1])
    axes = [i for i, idx in enumerate(indices) if idx is not None]
    if not axes:
        return data
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise ctx.unsupported("index tensors on non-consecutive axes")
    tensors = [indices[a] for a in axes]
    if any(dtype_of(t) == "bool" for t in tensors):
        raise ctx.unsupported("boolean mask indexing (its output shape depends on data)")
    if len(tensors) == 1:
        return _transform.take(data, tensors[0], axis=axes[0], mode="wrap")
    shape = shape_of(data)
    # several index tensors: gather_nd on the indexed axes moved to the front
    broadcast = tuple(np.broadcast_shapes(*(shape_of(t) for t in tensors)))
    stacked = _tensor.stack([_transform.broadcast_to(t, broadcast) for t in tensors], 0)
    rest = [a for a in range(len(shape)) if a not in axes]
    moved = _transform.transpose(data, axes + rest)
    out = _transform.gather_nd(moved, stacked)
    if axes[0] == 0:
        return out
    # torch puts the indexed dimensions where the first indexed axis was
    lead = len(broadcast)
    order = list(range(lead, lead + axes[0])) + list(range(lead)) + list(
        range(lead + axes[0], lead + len(rest)))
    return _transform.transpose(out, order)


@register("aten::one_hot")
def _one_hot(ctx, inputs):
    indices, classes = inputs[0], static_int(inputs[1])
    if classes < 0:
        raise ctx.unsupported("num_classes=-1 (the class count would depend on data)")
    return _transform.one_hot(indices, to_expr(1, "int64"), to_expr(0, "int64"), classes, -1,
                              "int64")


@register("aten::topk")
def _topk(ctx, inputs):
    data, k, dim, largest = inputs[0], static_int(inputs[1]), inputs[2], bool(inputs[3])
    axis = normalize_axis(dim, len(shape_of(data)))
    values, indices = _algorithm.topk(data, k, axis, "both", not largest, "int64")
    return values, indices


@register("aten::sort")
def _sort(ctx, inputs):
    data, dim, descending = inputs[0], inputs[1], bool(inputs[2])
    if isinstance(dim, bool):  # sort.stable(self, *, stable, dim, descending)
        dim, descending = inputs[2], bool(inputs[3])
    axis = normalize_axis(dim, len(shape_of(data)))
    indices = _algorithm.argsort(data, axis, not descending, "int64")
    return _transform.gather(data, axis, indices), indices


@register("aten::argsort")
def _argsort(ctx, inputs):
    data, dim, descending = inputs[0], inputs[1], bool(inputs[2])
    if isinstance(dim, bool):  # argsort.stable(self, *, stable, dim, descending)
        dim, descending = inputs[2], bool(inputs[3])
    axis = normalize_axis(dim, len(shape_of(data)))
    return _algorithm.argsort(data, axis, not descending, "int64")


@register("aten::cumsum", "aten::cumprod")
def _cumulative(ctx, inputs):
    data, dim = inputs[0], inputs[1]
    dtype = relay_dtype(inputs[2]) if len(inputs) > 2 and inputs[2] is not None else None
    if dtype is None and dtype_of(data) in ("bool", "uint8", "int8", "int16", "int32"):
        dtype = "int64"  # torch accumulates small integers as int64
    if dtype is not None:
        data = _transform.cast(data, dtype)
    axis = normalize_axis(dim, len(shape_of(data)))
    fn = _transform.cumsum if ctx.op_name == "aten::cumsum" else _transform.cumprod
    return fn(data, axis)


@register("aten::roll")
def _roll(ctx, inputs):
    data, shifts, dims = inputs[0], int_list(inputs[1]), int_list(inputs[2]) or []
    if not dims:  # roll the flattened tensor
        shape = shape_of(data)
        return _transform.reshape(_roll(ctx, [_transform.reshape(data, (-1,)), shifts, [0]]),
                                  shape)
    for shift, dim in zip(shifts, dims):
        axis = normalize_axis(dim, len(shape_of(data)))
        size = shape_of(data)[axis]
        shift %= size
        if shift:
            head = _transform.strided_slice(data, [size - shift], [size], axes=[axis])
            tail = _transform.strided_slice(data, [0], [size - shift], axes=[axis])
            data = _tensor.concatenate([head, tail], axis)
    return data


@register("aten::repeat_interleave")
def _repeat_interleave(ctx, inputs):
    data, repeats, dim = inputs[0], inputs[1], inputs[2] if len(inputs) > 2 else None
    if is_expr(repeats) and len(shape_of(repeats)) > 0 and shape_of(repeats) != (1,):
        raise ctx.unsupported("per-element repeat counts")
    repeats = static_int(repeats)
    if dim is None:
        return _transform.repeat(_transform.reshape(data, (-1,)), repeats, 0)
    return _transform.repeat(data, repeats, normalize_axis(dim, len(shape_of(data))))


@register("aten::meshgrid")
def _meshgrid(ctx, inputs):
    tensors = [_transform.reshape(t, (-1,)) for t in inputs[0]]
    indexing = inputs[1] if len(inputs) > 1 and inputs[1] else "ij"
    sizes = [shape_of(t)[0] for t in tensors]
    if indexing == "xy" and len(tensors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for index, tensor in enumerate(tensors):
        position = index
        if indexing == "xy" and index < 2:
            position = 1 - index
        shape = [1] * len(tensors)
        shape[position] = sizes[position]
        grids.append(_transform.broadcast_to(_transform.reshape(tensor, tuple(shape)),
                                             tuple(sizes)))
    return grids


@register("aten::linspace")
def _linspace(ctx, inputs):
    start, end, steps = (static_int(v) if is_expr(v) else v for v in inputs[:3])
    dtype = relay_dtype(inputs[3], ctx.default_dtype)
    return to_expr(np.linspace(start, end, int(steps)).astype(dtype), dtype)


@register("aten::pixel_shuffle")
def _pixel_shuffle(ctx, inputs):
    return _nn.depth_to_space(inputs[0], static_int(inputs[1]), "NCHW", "CRD")


@register("aten::triu", "aten::tril")
def _triangle(ctx, inputs):
    data, diagonal = inputs[0], static_int(inputs[1] if len(inputs) > 1 else 0)
    rows, cols = shape_of(data)[-2:]
    fn = np.triu if ctx.op_name == "aten::triu" else np.tril
    keep = fn(np.ones((rows, cols), dtype=bool), diagonal)
    return _transform.where(to_expr(keep, "bool"), data, _tensor.zeros_like(data))


def _searchsorted(sorted_sequence, values, right, out_int32):
    """``torch.searchsorted``: a 0-d ``values`` is searched as a 1-element vector."""
    scalar = len(shape_of(values)) == 0
    if scalar:
        values = _transform.reshape(values, (1,))
    out = _algorithm.searchsorted(sorted_sequence, values, right=bool(right),
                                  dtype="int32" if out_int32 else "int64")
    return _transform.reshape(out, ()) if scalar else out


@register("aten::searchsorted")
def _searchsorted_op(ctx, inputs):
    # (sorted_sequence, self, out_int32, right, side, sorter): side="right" means right=True
    sorted_sequence, values, out_int32, right = inputs[0], inputs[1], inputs[2], inputs[3]
    side = inputs[4] if len(inputs) > 4 else None
    if len(inputs) > 5 and inputs[5] is not None:
        raise ctx.unsupported("a sorter argument")
    if not is_expr(values):
        values = to_expr(values, dtype_of(sorted_sequence))
    return _searchsorted(sorted_sequence, values, right or side == "right", out_int32)


@register("aten::bucketize")
def _bucketize(ctx, inputs):
    # (self, boundaries, out_int32, right)
    values, boundaries = inputs[0], inputs[1]
    if not is_expr(values):
        values = to_expr(values, dtype_of(boundaries))
    return _searchsorted(boundaries, values, inputs[3], inputs[2])
