"""Converters: shapes, layouts, indexing, joining and splitting, tensor creation.

Shapes are static: ``aten::size`` answers with Python ints, and every target
shape (``view``, ``expand``, ``zeros``) must be known at conversion time, which
is always so for traced and exported graphs with static input shapes.
"""
import numpy as np

from ... import op as _op_registry  # noqa: F401
from ...op import tensor as _tensor
from ...op import transform as _transform
from ._helpers import (dtype_of, int_list, is_expr, normalize_axis, relay_dtype, shape_of,
                       static_int, to_expr)
from ._registry import register

__all__ = []


def _resolve_shape(ctx, shape, numel):
    """A target shape with its ``-1`` resolved (ValueError if it cannot hold ``numel``)."""
    shape = int_list(shape, "shape")
    known = int(np.prod([d for d in shape if d != -1])) if shape else 1
    if shape.count(-1) > 1:
        raise ValueError(f"{ctx.op_name}: more than one -1 in shape {shape}")
    if -1 in shape:
        if known == 0 or numel % known:
            raise ValueError(f"{ctx.op_name}: shape {shape} is invalid for {numel} elements")
        shape[shape.index(-1)] = numel // known
    if int(np.prod(shape)) != numel:
        raise ValueError(f"{ctx.op_name}: shape {shape} is invalid for {numel} elements")
    return tuple(shape)


def _numel(data):
    return int(np.prod(shape_of(data)))


@register("aten::view", "aten::reshape", "aten::_unsafe_view", "aten::_reshape_alias")
def _reshape(ctx, inputs):
    data = inputs[0]
    return _transform.reshape(data, _resolve_shape(ctx, inputs[1], _numel(data)))


@register("aten::view_as", "aten::reshape_as")
def _reshape_as(ctx, inputs):
    return _transform.reshape(inputs[0], shape_of(inputs[1]))


@register("aten::flatten")
def _flatten(ctx, inputs):
    data = inputs[0]
    shape = shape_of(data)
    if not shape:
        return _transform.reshape(data, (1,))
    start = normalize_axis(inputs[1], len(shape))
    end = normalize_axis(inputs[2], len(shape))
    new = shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]
    return _transform.reshape(data, new)


@register("aten::unflatten")
def _unflatten(ctx, inputs):
    data, dim, sizes = inputs[0], inputs[1], int_list(inputs[2])
    shape = shape_of(data)
    dim = normalize_axis(dim, len(shape))
    sizes = list(_resolve_shape(ctx, sizes, shape[dim]))
    return _transform.reshape(data, shape[:dim] + tuple(sizes) + shape[dim + 1:])


@register("aten::permute")
def _permute(ctx, inputs):
    data = inputs[0]
    rank = len(shape_of(data))
    return _transform.transpose(data, [normalize_axis(a, rank) for a in int_list(inputs[1])])


@register("aten::transpose", "aten::swapaxes")
def _transpose(ctx, inputs):
    data = inputs[0]
    rank = len(shape_of(data))
    axes = list(range(rank))
    a, b = normalize_axis(inputs[1], rank), normalize_axis(inputs[2], rank)
    axes[a], axes[b] = axes[b], axes[a]
    return _transform.transpose(data, axes)


@register("aten::t", "aten::numpy_T")
def _t(ctx, inputs):
    data = inputs[0]
    rank = len(shape_of(data))
    return data if rank < 2 else _transform.transpose(data, list(range(rank))[::-1])


@register("aten::unsqueeze", "aten::unsqueeze_")
def _unsqueeze(ctx, inputs):
    data = inputs[0]
    axis = normalize_axis(inputs[1], len(shape_of(data)) + 1)
    return _transform.expand_dims(data, axis)


@register("aten::squeeze", "aten::squeeze_")
def _squeeze(ctx, inputs):
    data = inputs[0]
    shape = shape_of(data)
    if len(inputs) < 2 or inputs[1] is None:
        return _transform.squeeze(data)
    dims = [inputs[1]] if isinstance(inputs[1], int) else int_list(inputs[1])
    dims = [normalize_axis(d, len(shape)) for d in dims]
    # torch leaves a dimension that is not 1 in place
    dims = [d for d in dims if shape[d] == 1]
    return _transform.squeeze(data, dims) if dims else data


@register("aten::cat", "aten::concat", "aten::concatenate")
def _cat(ctx, inputs):
    tensors = [to_expr(t) for t in inputs[0]]
    dtypes = {dtype_of(t) for t in tensors}
    if len(dtypes) > 1:
        from ._helpers import _RANK  # pylint: disable=import-outside-toplevel

        target = max(dtypes, key=_RANK.index)
        tensors = [t if dtype_of(t) == target else _transform.cast(t, target) for t in tensors]
    # torch lets empty 1-d tensors join anything
    tensors = [t for t in tensors if shape_of(t) != (0,)] or tensors[:1]
    axis = normalize_axis(inputs[1], len(shape_of(tensors[0])))
    return tensors[0] if len(tensors) == 1 else _tensor.concatenate(tensors, axis)


@register("aten::stack")
def _stack(ctx, inputs):
    tensors = [to_expr(t) for t in inputs[0]]
    axis = normalize_axis(inputs[1], len(shape_of(tensors[0])) + 1)
    return _tensor.stack(tensors, axis)


@register("aten::select")
def _select(ctx, inputs):
    data = inputs[0]
    if not is_expr(data):  # select.t: an item of a Python list
        return data[static_int(inputs[1])]
    shape = shape_of(data)
    axis = normalize_axis(inputs[1], len(shape))
    index = static_int(inputs[2], "index")
    if not -shape[axis] <= index < shape[axis]:
        raise ValueError(f"aten::select: index {index} is out of range for dimension {axis} of "
                         f"size {shape[axis]}")
    index %= shape[axis]
    sliced = _transform.strided_slice(data, [index], [index + 1], axes=[axis])
    return _transform.squeeze(sliced, [axis])


def _clamp_index(value, size, default):
    if value is None:
        return default
    value = static_int(value, "slice bound")
    if value < 0:
        value += size
    return min(max(value, 0), size)


@register("aten::slice")
def _slice(ctx, inputs):
    data = inputs[0]
    if not is_expr(data):  # slice.t: a Python list
        return data[inputs[1]:inputs[2]:inputs[3]]
    shape = shape_of(data)
    axis = normalize_axis(inputs[1], len(shape))
    size = shape[axis]
    begin = _clamp_index(inputs[2], size, 0)
    end = max(_clamp_index(inputs[3], size, size), begin)
    step = static_int(inputs[4], "step") if inputs[4] is not None else 1
    if begin == 0 and end == size and step == 1:
        return data
    return _transform.strided_slice(data, [begin], [end], [step], axes=[axis])


@register("aten::narrow")
def _narrow(ctx, inputs):
    data, dim, start, length = inputs
    shape = shape_of(data)
    axis = normalize_axis(dim, len(shape))
    begin = _clamp_index(start, shape[axis], 0)
    return _transform.strided_slice(data, [begin], [begin + static_int(length)], axes=[axis])


def _split_points(sizes):
    points, total = [], 0
    for s in sizes[:-1]:
        total += s
        points.append(total)
    return points


def _split(data, sizes, axis):
    if len(sizes) == 1:
        return [data]
    parts = _transform.split(data, _split_points(sizes), axis)
    return [parts[i] for i in range(len(sizes))]


@register("aten::split", "aten::split_with_sizes", "aten::unsafe_split", "aten::unsafe_split_with_sizes")
def _split_op(ctx, inputs):
    data = inputs[0]
    shape = shape_of(data)
    axis = normalize_axis(inputs[2], len(shape))
    size = shape[axis]
    if isinstance(inputs[1], int):
        step = inputs[1]
        sizes = [min(step, size - i) for i in range(0, size, step)]
    else:
        sizes = int_list(inputs[1])
    return _split(data, sizes, axis)


@register("aten::chunk", "aten::unsafe_chunk")
def _chunk(ctx, inputs):
    data, chunks = inputs[0], static_int(inputs[1])
    shape = shape_of(data)
    axis = normalize_axis(inputs[2], len(shape))
    step = -(-shape[axis] // chunks)
    sizes = [min(step, shape[axis] - i) for i in range(0, shape[axis], step)]
    return _split(data, sizes, axis)


@register("aten::unbind")
def _unbind(ctx, inputs):
    data = inputs[0]
    shape = shape_of(data)
    axis = normalize_axis(inputs[1], len(shape))
    return [_transform.squeeze(p, [axis]) for p in _split(data, [1] * shape[axis], axis)]


@register("aten::expand")
def _expand(ctx, inputs):
    data = inputs[0]
    shape = shape_of(data)
    sizes = int_list(inputs[1])
    offset = len(sizes) - len(shape)
    target = [shape[i - offset] if s == -1 else s for i, s in enumerate(sizes)]
    if tuple(target) == shape:
        return data
    return _transform.broadcast_to(data, tuple(target))


@register("aten::expand_as")
def _expand_as(ctx, inputs):
    return _transform.broadcast_to(inputs[0], shape_of(inputs[1]))


@register("aten::repeat")
def _repeat(ctx, inputs):
    return _transform.tile(inputs[0], tuple(int_list(inputs[1])))


@register("aten::flip")
def _flip(ctx, inputs):
    data = inputs[0]
    for axis in int_list(inputs[1]):
        data = _transform.reverse(data, normalize_axis(axis, len(shape_of(data))))
    return data


@register("aten::index_select")
def _index_select(ctx, inputs):
    data, dim, index = inputs
    return _transform.take(data, index, axis=normalize_axis(dim, len(shape_of(data))),
                           mode="clip")


@register("aten::size", "aten::sym_size")
def _size(ctx, inputs):
    shape = shape_of(inputs[0])
    if len(inputs) > 1 and inputs[1] is not None:
        return shape[normalize_axis(inputs[1], len(shape))]
    return list(shape)


@register("aten::numel")
def _numel_op(ctx, inputs):
    return _numel(inputs[0])


@register("aten::is_floating_point")
def _is_floating_point(ctx, inputs):
    return dtype_of(inputs[0]).startswith(("float", "bfloat"))


@register("aten::dim")
def _dim(ctx, inputs):
    return len(shape_of(inputs[0]))


# -- dtype conversion ------------------------------------------------------------------------

def _cast(data, dtype):
    return data if dtype is None or dtype_of(data) == dtype else _transform.cast(data, dtype)


@register("aten::to", "aten::_to_copy", "aten::type_as")
def _to(ctx, inputs):
    data = inputs[0]
    if ctx.op_name == "aten::type_as":
        return _cast(data, dtype_of(inputs[1]))
    if not is_expr(data):
        return data
    # overloads: to(dtype, ...), to(device, dtype, ...), to(other, ...), _to_copy(dtype=...);
    # a device argument reads as a string that is not a dtype name
    for arg in inputs[1:3]:
        if is_expr(arg):
            return _cast(data, dtype_of(arg))
        if isinstance(arg, bool) or arg is None:
            continue
        try:
            return _cast(data, relay_dtype(arg))
        except TypeError:
            continue
    return data


@register("aten::float", "aten::long", "aten::int", "aten::bool")
def _cast_named(ctx, inputs):
    target = {"aten::float": "float32", "aten::long": "int64", "aten::int": "int32",
              "aten::bool": "bool"}[ctx.op_name]
    return _cast(to_expr(inputs[0]), target)


# -- creation --------------------------------------------------------------------------------

def _creation_dtype(value, default):
    return relay_dtype(value, default)


@register("aten::arange")
def _arange(ctx, inputs):
    # arange(end, dtype, ...), arange(start, end, dtype, ...), arange(start, end, step, dtype, ...)
    count = {5: 1, 6: 2, 7: 3}.get(len(inputs))
    if count is None:
        raise ctx.unsupported(f"the overload with {len(inputs)} arguments")
    bounds = [static_int(v) if is_expr(v) else v for v in inputs[:count]]
    dtype = inputs[count]
    if dtype is None:
        dtype = ctx.default_dtype if any(isinstance(b, float) for b in bounds) else "int64"
    values = np.arange(*bounds).astype(_creation_dtype(dtype, "int64"))
    return to_expr(values, values.dtype.name)


def _full(shape, value, dtype):
    return to_expr(np.full(tuple(shape), value, dtype=dtype), dtype)


def _value_dtype(value, default):
    if isinstance(value, bool):
        return "bool"
    return "int64" if isinstance(value, int) else default


@register("aten::zeros", "aten::ones")
def _zeros_ones(ctx, inputs):
    dtype = _creation_dtype(inputs[1], ctx.default_dtype)
    return _full(int_list(inputs[0]), 0 if ctx.op_name == "aten::zeros" else 1, dtype)


@register("aten::full")
def _full_op(ctx, inputs):
    value = inputs[1]
    dtype = _creation_dtype(inputs[2], _value_dtype(value, ctx.default_dtype))
    return _full(int_list(inputs[0]), value, dtype)


@register("aten::zeros_like", "aten::ones_like", "aten::full_like")
def _like(ctx, inputs):
    data = inputs[0]
    if ctx.op_name == "aten::full_like":
        value, dtype = inputs[1], inputs[2]
    else:
        value, dtype = (0 if ctx.op_name == "aten::zeros_like" else 1), inputs[1]
    return _full(shape_of(data), value, _creation_dtype(dtype, dtype_of(data)))


@register("aten::new_zeros", "aten::new_ones")
def _new(ctx, inputs):
    dtype = _creation_dtype(inputs[2], dtype_of(inputs[0]))
    return _full(int_list(inputs[1]), 0 if ctx.op_name == "aten::new_zeros" else 1, dtype)


@register("aten::tensor", "aten::scalar_tensor")
def _tensor_op(ctx, inputs):
    value = inputs[0]
    dtype = _creation_dtype(inputs[1], _value_dtype(value, ctx.default_dtype))
    return to_expr(np.asarray(value), dtype)
