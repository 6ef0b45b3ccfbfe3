"""NumPy reference kernels of Relay's data-movement operators.

Reshapes, transposes, slicing, gathering, concatenation, layout transforms,
sorting and tensor creation, each written from the operator's semantics
(upstream TVM 0.8 names and attributes). Registered on import by
:mod:`.reference_ops`.
"""
import re

import numpy as np

from .reference_ops import acc_dtype, attr, contiguous, normalize_axes, register_kernel


# --------------------------------------------------------------------- reshape
def infer_reshape(in_shape, newshape):
    """The output shape of ``reshape(newshape)`` with Relay's special values.

    ``0`` copies the input dimension, ``-1`` is inferred, ``-2`` copies all
    remaining dimensions, ``-3`` merges two consecutive input dimensions and
    ``-4`` splits one input dimension into the next two values (one may be -1).
    """
    in_shape = [int(d) for d in in_shape]
    newshape = [int(d) for d in newshape]
    out = []
    src = 0
    infer_at = None
    i = 0
    while i < len(newshape):
        value = newshape[i]
        if value > 0:
            out.append(value)
            src += 1
        elif value == 0:
            if src >= len(in_shape):
                raise ValueError(f"reshape: 0 at position {i} has no input dimension to copy")
            out.append(in_shape[src])
            src += 1
        elif value == -1:
            if infer_at is not None:
                raise ValueError("reshape: at most one -1 is allowed in newshape")
            infer_at = len(out)
            out.append(1)
            src += 1
        elif value == -2:
            out.extend(in_shape[src:])
            src = len(in_shape)
        elif value == -3:
            if src + 1 >= len(in_shape):
                raise ValueError("reshape: -3 needs two input dimensions to merge")
            out.append(in_shape[src] * in_shape[src + 1])
            src += 2
        elif value == -4:
            if i + 2 >= len(newshape):
                raise ValueError("reshape: -4 must be followed by two values")
            dim = in_shape[src]
            first, second = newshape[i + 1], newshape[i + 2]
            if first == -1:
                first = dim // second
            elif second == -1:
                second = dim // first
            if first * second != dim:
                raise ValueError(f"reshape: -4 cannot split {dim} into {first} x {second}")
            out.extend([first, second])
            src += 1
            i += 2
        else:
            raise ValueError(f"reshape: invalid value {value} in newshape {newshape}")
        i += 1
    total = int(np.prod(in_shape))
    if infer_at is not None:
        known = int(np.prod([d for j, d in enumerate(out) if j != infer_at]))
        if known == 0 or total % known:
            raise ValueError(f"reshape: cannot infer -1 reshaping {tuple(in_shape)} to {newshape}")
        out[infer_at] = total // known
    if int(np.prod(out)) != total:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {tuple(in_shape)} to {tuple(out)}"
        )
    return tuple(out)


@register_kernel("reshape")
def _reshape(attrs, args):
    x = args[0]
    return x.reshape(infer_reshape(x.shape, attr(attrs, "newshape")))


@register_kernel("contrib_reverse_reshape")
def _reverse_reshape(attrs, args):
    x = args[0]
    shape = infer_reshape(x.shape[::-1], list(attr(attrs, "newshape"))[::-1])
    return x.reshape(shape[::-1])


@register_kernel("reshape_like")
def _reshape_like(attrs, args):
    x, like = args
    lhs_begin, lhs_end = attr(attrs, "lhs_begin", 0), attr(attrs, "lhs_end")
    rhs_begin, rhs_end = attr(attrs, "rhs_begin", 0), attr(attrs, "rhs_end")
    lhs_end = x.ndim if lhs_end is None else lhs_end % (x.ndim + 1) if lhs_end < 0 else lhs_end
    rhs_end = like.ndim if rhs_end is None else (
        rhs_end % (like.ndim + 1) if rhs_end < 0 else rhs_end
    )
    shape = x.shape[:lhs_begin] + like.shape[rhs_begin:rhs_end] + x.shape[lhs_end:]
    return x.reshape(shape)


@register_kernel("nn.batch_flatten")
def _batch_flatten(_attrs, args):
    x = args[0]
    return x.reshape(x.shape[0], -1)


@register_kernel("squeeze")
def _squeeze(attrs, args):
    x = args[0]
    axis = attr(attrs, "axis")
    if axis is None:
        return x.reshape([d for d in x.shape if d != 1])
    axes = normalize_axes(axis, x.ndim)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {x.shape} is not of size 1")
    return np.squeeze(x, axis=tuple(axes))


@register_kernel("expand_dims")
def _expand_dims(attrs, args):
    x = args[0]
    axis = int(attr(attrs, "axis"))
    count = int(attr(attrs, "num_newaxis", 1))
    if axis < 0:
        axis += x.ndim + 1
    return x.reshape(x.shape[:axis] + (1,) * count + x.shape[axis:])


@register_kernel("transpose")
def _transpose(attrs, args):
    x = args[0]
    axes = attr(attrs, "axes")
    if axes is None or len(axes) == 0:
        return contiguous(np.transpose(x))
    return contiguous(np.transpose(x, [int(a) % x.ndim for a in axes]))


@register_kernel("broadcast_to")
def _broadcast_to(attrs, args):
    return contiguous(np.broadcast_to(args[0], tuple(attr(attrs, "shape"))))


@register_kernel("broadcast_to_like")
def _broadcast_to_like(_attrs, args):
    return contiguous(np.broadcast_to(args[0], args[1].shape))


def _collapse_sum(x, shape):
    shape = tuple(shape)
    lead = x.ndim - len(shape)
    axes = list(range(lead)) + [lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1]
    total = np.sum(x.astype(acc_dtype(x.dtype)), axis=tuple(axes), keepdims=True)
    return total.reshape(shape).astype(x.dtype)


@register_kernel("collapse_sum_like")
def _collapse_sum_like(_attrs, args):
    return _collapse_sum(args[0], args[1].shape)


@register_kernel("collapse_sum_to")
def _collapse_sum_to(attrs, args):
    shape = attr(attrs, "shape")
    if shape is None and len(args) > 1:
        shape = [int(d) for d in args[1]]
    return _collapse_sum(args[0], shape)


# -------------------------------------------------------------- join and split
@register_kernel("concatenate")
def _concatenate(attrs, args):
    (inputs,) = args
    axis = int(attr(attrs, "axis", 0))
    return np.concatenate(inputs, axis=axis)


@register_kernel("stack")
def _stack(attrs, args):
    (inputs,) = args
    return np.stack(inputs, axis=int(attr(attrs, "axis", 0)))


@register_kernel("split")
def _split(attrs, args):
    x = args[0]
    axis = normalize_axes(attr(attrs, "axis", 0), x.ndim)[0]
    sections = attr(attrs, "indices_or_sections")
    if isinstance(sections, int | np.integer):
        if x.shape[axis] % int(sections):
            raise ValueError(
                f"split: axis {axis} of size {x.shape[axis]} is not divisible into "
                f"{sections} sections"
            )
        parts = np.split(x, int(sections), axis=axis)
    else:
        parts = np.split(x, [int(i) for i in sections], axis=axis)
    return tuple(contiguous(p) for p in parts)


@register_kernel("tile")
def _tile(attrs, args):
    return np.tile(args[0], tuple(int(r) for r in attr(attrs, "reps")))


@register_kernel("repeat")
def _repeat(attrs, args):
    return np.repeat(args[0], int(attr(attrs, "repeats")), axis=int(attr(attrs, "axis", 0)))


@register_kernel("reverse")
def _reverse(attrs, args):
    return contiguous(np.flip(args[0], axis=int(attr(attrs, "axis", 0))))


@register_kernel("reverse_sequence")
def _reverse_sequence(attrs, args):
    x, lengths = args
    seq_axis = int(attr(attrs, "seq_axis", 1)) % x.ndim
    batch_axis = int(attr(attrs, "batch_axis", 0)) % x.ndim
    out = x.copy()
    for b in range(x.shape[batch_axis]):
        length = min(max(int(lengths[b]), 1), x.shape[seq_axis])
        src = [slice(None)] * x.ndim
        src[batch_axis] = b
        src[seq_axis] = slice(0, length)
        out[tuple(src)] = np.flip(x[tuple(src)], axis=seq_axis - (seq_axis > batch_axis))
    return out


# --------------------------------------------------------------------- slicing
def _slice_bounds(dim, begin, end, stride):
    if stride == 0:
        raise ValueError("strided_slice: stride 0 is not allowed")
    # Python's slice semantics clamp exactly as TVM's canonicalisation does;
    # a resolved stop of -1 means "past index 0" and must not be re-read as dim-1.
    start, stop, step = slice(begin, end, stride).indices(dim)
    return slice(start, stop if stop >= 0 else None, step)


@register_kernel("strided_slice")
def _strided_slice(attrs, args):
    x = args[0]
    begin = [int(b) for b in attr(attrs, "begin")]
    end = attr(attrs, "end")
    end = [None if e is None else int(e) for e in end]
    strides = [int(s) for s in (attr(attrs, "strides", None) or [1])]
    axes = attr(attrs, "axes")
    mode = attr(attrs, "slice_mode", "end")
    axes = list(range(len(begin))) if axes is None else normalize_axes(axes, x.ndim)
    index = [slice(None)] * x.ndim
    for i, axis in enumerate(axes):
        dim = x.shape[axis]
        b = begin[i] if i < len(begin) else 0
        stride = strides[i] if i < len(strides) else (strides[0] if len(strides) == 1 else 1)
        e = end[i] if i < len(end) else None
        if mode == "size":
            stride = 1
            if b < 0:
                b += dim
            e = dim if e is None or e < 0 else b + e
        elif e is None:
            e = dim if stride > 0 else -dim - 1
        index[axis] = _slice_bounds(dim, b, e, stride)
    return contiguous(x[tuple(index)])


@register_kernel("slice_like")
def _slice_like(attrs, args):
    x, like = args
    axes = attr(attrs, "axes")
    axes = range(min(x.ndim, like.ndim)) if not axes else normalize_axes(axes, x.ndim)
    index = [slice(None)] * x.ndim
    for a in axes:
        index[a] = slice(0, like.shape[a])
    return contiguous(x[tuple(index)])


def _wrap_indices(indices, dim, mode):
    indices = indices.astype(np.int64)
    if mode == "wrap":
        return np.mod(indices, dim)
    if mode == "fast":
        if np.any((indices < -dim) | (indices >= dim)):
            raise IndexError(f"take: index out of range for an axis of size {dim}")
        return np.where(indices < 0, indices + dim, indices)
    return np.clip(indices, 0, dim - 1)  # "clip", the default


@register_kernel("take")
def _take(attrs, args):
    x, indices = args
    axis = attr(attrs, "axis")
    mode = attr(attrs, "mode", "clip")
    batch_dims = int(attr(attrs, "batch_dims", 0))
    if axis is None:
        flat = x.reshape(-1)
        return flat[_wrap_indices(indices, flat.size, mode)]
    axis = normalize_axes(axis, x.ndim)[0]
    idx = _wrap_indices(indices, x.shape[axis], mode)
    if batch_dims == 0:
        return np.take(x, idx, axis=axis)
    batch_dims %= indices.ndim + 1 if batch_dims < 0 else batch_dims + 1
    batch_shape = x.shape[:batch_dims]
    parts = []
    for b in np.ndindex(*batch_shape):
        parts.append(np.take(x[b], idx[b], axis=axis - batch_dims))
    out = np.stack(parts) if parts else np.zeros((0,))
    return out.reshape(batch_shape + parts[0].shape)


@register_kernel("gather")
def _gather(attrs, args):
    x, indices = args
    axis = normalize_axes(attr(attrs, "axis", 0), x.ndim)[0]
    return np.take_along_axis(x, indices.astype(np.int64), axis=axis)


@register_kernel("gather_nd")
def _gather_nd(attrs, args):
    x, indices = args
    batch_dims = int(attr(attrs, "batch_dims", 0))
    depth = indices.shape[0]
    out_shape = indices.shape[1:] + x.shape[batch_dims + depth :]
    idx = indices.astype(np.int64).reshape(depth, -1)
    rest = indices.shape[1:]
    results = []
    for j in range(idx.shape[1]):
        # The leading batch dimensions of indices are the batch index.
        batch = np.unravel_index(j, rest)[:batch_dims] if batch_dims else ()
        results.append(x[tuple(batch) + tuple(idx[:, j])])
    return np.array(results, dtype=x.dtype).reshape(out_shape)


@register_kernel("scatter", "scatter_elements")
def _scatter(attrs, args):
    x, indices, updates = args
    axis = normalize_axes(attr(attrs, "axis", 0), x.ndim)[0]
    reduction = attr(attrs, "reduction", "update")
    out = x.copy()
    for pos in np.ndindex(*indices.shape):
        target = list(pos)
        target[axis] = int(indices[pos]) % x.shape[axis]
        target = tuple(target)
        if reduction == "add":
            out[target] += updates[pos]
        elif reduction == "mul":
            out[target] *= updates[pos]
        else:
            out[target] = updates[pos]
    return out


@register_kernel("scatter_add")
def _scatter_add(attrs, args):
    axis = attr(attrs, "axis", 0)
    return _scatter(_Fields(axis=axis, reduction="add"), args)


class _Fields(dict):
    """A minimal attrs stand-in for kernels that call each other."""


@register_kernel("scatter_nd")
def _scatter_nd(attrs, args):
    x, indices, updates = args
    mode = attr(attrs, "mode", "update")
    out = x.copy()
    depth = indices.shape[0]
    idx = indices.astype(np.int64).reshape(depth, -1)
    upd = updates.reshape((idx.shape[1],) + x.shape[depth:])
    for j in range(idx.shape[1]):
        target = tuple(idx[:, j])
        if mode == "add":
            out[target] += upd[j]
        else:
            out[target] = upd[j]
    return out


# -------------------------------------------------------------------- creation
@register_kernel("zeros")
def _zeros(attrs, _args):
    return np.zeros(tuple(attr(attrs, "shape")), dtype=attr(attrs, "dtype", "float32"))


@register_kernel("ones")
def _ones(attrs, _args):
    return np.ones(tuple(attr(attrs, "shape")), dtype=attr(attrs, "dtype", "float32"))


@register_kernel("full")
def _full(attrs, args):
    dtype = attr(attrs, "dtype", "") or args[0].dtype
    return np.full(tuple(attr(attrs, "shape")), args[0].reshape(()), dtype=dtype)


@register_kernel("arange")
def _arange(attrs, args):
    start, stop, step = (float(a.reshape(())) for a in args)
    dtype = attr(attrs, "dtype", "float32")
    count = int(np.ceil((stop - start) / step))
    return (start + step * np.arange(max(count, 0))).astype(dtype)


@register_kernel("one_hot")
def _one_hot(attrs, args):
    indices, on_value, off_value = args
    depth = int(attr(attrs, "depth"))
    axis = int(attr(attrs, "axis", -1))
    dtype = attr(attrs, "dtype", "float32")
    hot = indices[..., None].astype(np.int64) == np.arange(depth)
    out = np.where(hot, on_value.reshape(()), off_value.reshape(())).astype(dtype)
    if axis != -1:
        out = np.moveaxis(out, -1, axis if axis >= 0 else axis + out.ndim)
    return contiguous(out)


@register_kernel("shape_of")
def _shape_of(attrs, args):
    return np.array(args[0].shape, dtype=attr(attrs, "dtype", "int32"))


@register_kernel("ndarray_size")
def _ndarray_size(attrs, args):
    return np.array(args[0].size, dtype=attr(attrs, "dtype", "int32"))


@register_kernel("sequence_mask")
def _sequence_mask(attrs, args):
    x, lengths = args
    axis = normalize_axes(attr(attrs, "axis", 0), x.ndim)[0]
    value = attr(attrs, "mask_value", 0.0)
    batch_axis = 1 - axis
    positions = np.arange(x.shape[axis])
    shape = [1] * x.ndim
    shape[axis] = -1
    length_shape = [1] * x.ndim
    length_shape[batch_axis] = -1
    keep = positions.reshape(shape) < lengths.reshape(length_shape)
    return np.where(keep, x, np.asarray(value, dtype=x.dtype)).astype(x.dtype)


@register_kernel("unravel_index")
def _unravel_index(_attrs, args):
    indices, shape = args
    return np.array(np.unravel_index(indices, tuple(int(d) for d in shape)), dtype=indices.dtype)


@register_kernel("einsum")
def _einsum(attrs, args):
    (inputs,) = args
    result = np.einsum(attr(attrs, "equation"), *[a.astype(acc_dtype(a.dtype)) for a in inputs])
    return np.asarray(result).astype(inputs[0].dtype)


def _make_cumulative(name, func, identity):
    def kernel(attrs, args):
        x = args[0]
        axis = attr(attrs, "axis")
        dtype = attr(attrs, "dtype") or x.dtype
        if axis is None:
            x, axis = x.reshape(-1), 0
        result = func(x.astype(acc_dtype(dtype)), axis=int(axis))
        if attr(attrs, "exclusive", False):
            result = np.concatenate(
                [np.full_like(np.take(result, [0], axis=int(axis)), identity),
                 np.delete(result, -1, axis=int(axis))],
                axis=int(axis),
            )
        return result.astype(dtype)

    register_kernel(name)(kernel)


_make_cumulative("cumsum", np.cumsum, 0)
_make_cumulative("cumprod", np.cumprod, 1)


# ----------------------------------------------------------------- sorting
def _sort_order(x, axis, ascending):
    # Stable: equal keys keep their original order in both directions.
    if ascending:
        return np.argsort(x, axis=axis, kind="stable")
    if np.issubdtype(x.dtype, np.unsignedinteger) or x.dtype == np.bool_:
        flipped = np.flip(x, axis=axis)
        order = np.argsort(flipped, axis=axis, kind="stable")
        order = np.flip(x.shape[axis] - 1 - order, axis=axis)
        return order
    return np.argsort(-x.astype(acc_dtype(x.dtype)), axis=axis, kind="stable")


@register_kernel("argsort")
def _argsort(attrs, args):
    x = args[0]
    axis = int(attr(attrs, "axis", -1))
    order = _sort_order(x, axis, bool(attr(attrs, "is_ascend", True)))
    return order.astype(attr(attrs, "dtype", "int32"))


@register_kernel("sort")
def _sort(attrs, args):
    x = args[0]
    axis = int(attr(attrs, "axis", -1))
    order = _sort_order(x, axis, bool(attr(attrs, "is_ascend", True)))
    return np.take_along_axis(x, order, axis=axis)


@register_kernel("topk")
def _topk(attrs, args):
    x = args[0]
    axis = int(attr(attrs, "axis", -1)) % x.ndim
    k = int(attr(attrs, "k", 1))
    if k < 1:
        k = x.shape[axis]
    order = _sort_order(x, axis, bool(attr(attrs, "is_ascend", False)))
    order = np.take(order, np.arange(min(k, x.shape[axis])), axis=axis)
    values = np.take_along_axis(x, order, axis=axis)
    indices = order.astype(attr(attrs, "dtype", "int32"))
    ret_type = attr(attrs, "ret_type", "both")
    if ret_type == "values":
        return values
    if ret_type == "indices":
        return indices
    return (values, indices)


# ------------------------------------------------------------ layout transform
_LAYOUT_TOKEN = re.compile(r"(\d*)([A-Za-z])")


def parse_layout(layout):
    """``"NCHW8c"`` -> ``[("N", None), ("C", None), ("H", None), ("W", None), ("c", 8)]``."""
    tokens = []
    pos = 0
    for match in _LAYOUT_TOKEN.finditer(layout):
        if match.start() != pos:
            raise ValueError(f"malformed layout {layout!r}")
        factor, axis = match.groups()
        if axis.islower() and not factor:
            factor = None
        tokens.append((axis, int(factor) if factor else None))
        pos = match.end()
    if pos != len(layout):
        raise ValueError(f"malformed layout {layout!r}")
    return tokens


def to_primal(x, layout):
    """Undo the sub-axis splits of ``layout``: ``NCHW8c`` data -> ``NCHW``; returns the primal layout."""
    tokens = parse_layout(layout)
    if x.ndim != len(tokens):
        raise ValueError(f"tensor of rank {x.ndim} does not have layout {layout!r}")
    primal = [axis for axis, _ in tokens if axis.isupper()]
    # Order: each primal axis followed by its sub-axis (if any), then merge.
    order, shape = [], []
    for axis in primal:
        outer = next(i for i, (a, _) in enumerate(tokens) if a == axis)
        inner = [i for i, (a, _) in enumerate(tokens) if a == axis.lower()]
        order.append(outer)
        size = x.shape[outer]
        for i in inner:
            order.append(i)
            size *= x.shape[i]
        shape.append(size)
    return np.transpose(x, order).reshape(shape), "".join(primal)


def from_primal(x, primal, layout):
    """Lay out primal-ordered data (axes ``primal``) as ``layout`` (with sub-axes)."""
    tokens = parse_layout(layout)
    factors = {a.upper(): f for a, f in tokens if a.islower()}
    # Split each primal axis into (outer, inner) when the target has a sub-axis.
    split_shape, names = [], []
    for i, axis in enumerate(primal):
        dim = x.shape[i]
        factor = factors.get(axis)
        if factor:
            if dim % factor:
                pad = [(0, 0)] * x.ndim
                pad[i] = (0, factor - dim % factor)
                x = np.pad(x, pad)
                dim = x.shape[i]
            split_shape += [dim // factor, factor]
            names += [axis, axis.lower()]
        else:
            split_shape.append(dim)
            names.append(axis)
    split = x.reshape(split_shape)
    wanted = [a for a, _ in tokens]
    if sorted(wanted) != sorted(names):
        raise ValueError(f"layout {layout!r} does not have the axes of {primal!r}")
    return contiguous(np.transpose(split, [names.index(a) for a in wanted]))


def convert_layout(x, src, dst):
    """Data in layout ``src`` rearranged to layout ``dst`` (same primal axes)."""
    if src == dst:
        return x
    primal_x, primal = to_primal(x, src)
    dst_primal = "".join(a for a, _ in parse_layout(dst) if a.isupper())
    if sorted(primal) != sorted(dst_primal):
        raise ValueError(f"cannot transform layout {src!r} to {dst!r}: different axes")
    reordered = np.transpose(primal_x, [primal.index(a) for a in dst_primal])
    return from_primal(reordered, dst_primal, dst)


@register_kernel("layout_transform")
def _layout_transform(attrs, args):
    return convert_layout(args[0], attr(attrs, "src_layout"), attr(attrs, "dst_layout"))
