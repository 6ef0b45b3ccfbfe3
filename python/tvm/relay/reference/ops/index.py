"""NumPy reference kernels of Relay's indexing, creation and sorting operators.

Gathers and scatters, one-hot, tensor creation, cumulative sums, sorting and
top-k, each written from the operator's semantics (upstream TVM 0.8 names and
attributes). Registered on import of :mod:`tvm.relay.reference.ops`.
"""
import numpy as np

from .common import acc_dtype, attr, contiguous, normalize_axes
from .registry import register_kernel


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
    if batch_dims < 0:
        batch_dims += indices.ndim
    if batch_dims == 0:
        return np.take(x, idx, axis=axis)
    if not 0 < batch_dims <= min(axis, indices.ndim):
        raise ValueError(
            f"take: batch_dims={batch_dims} needs 0 <= batch_dims <= axis ({axis}) and "
            f"<= the rank of indices ({indices.ndim})"
        )
    # Batch b: out[b, ...] = take(x[b], idx[b], axis - batch_dims).
    batch_shape = x.shape[:batch_dims]
    inner_shape = (
        x.shape[batch_dims:axis] + idx.shape[batch_dims:] + x.shape[axis + 1 :]
    )
    out = np.empty(batch_shape + inner_shape, dtype=x.dtype)
    for b in np.ndindex(*batch_shape):
        out[b] = np.take(x[b], idx[b], axis=axis - batch_dims)
    return out


@register_kernel("gather")
def _gather(attrs, args):
    x, indices = args
    axis = normalize_axes(attr(attrs, "axis", 0), x.ndim)[0]
    # out[p] = x[p with p[axis] replaced by indices[p]], p over the shape of indices, which
    # may be smaller than x on the other axes (ONNX GatherElements, torch.gather):
    # np.take_along_axis would broadcast indices to x instead
    idx = indices.astype(np.int64)
    dim = x.shape[axis]
    if np.any((idx < -dim) | (idx >= dim)):
        bad = int(idx[(idx < -dim) | (idx >= dim)].ravel()[0])
        raise IndexError(f"gather: index {bad} is out of bounds for axis {axis} with size {dim}")
    coords = list(np.indices(idx.shape, sparse=True))
    coords[axis] = np.where(idx < 0, idx + dim, idx)
    return x[tuple(coords)]


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
        index, dim = int(indices[pos]), x.shape[axis]
        if not -dim <= index < dim:  # as the compiled kernel: an error, not a wrapped index
            raise IndexError(f"scatter: index {index} is out of bounds for axis {axis} with "
                             f"size {dim}")
        target[axis] = index + dim if index < 0 else index
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
    # start/stop/step are inputs (upstream 0.8) or attributes (the static form).
    if args:
        start, stop, step = (float(a.reshape(())) for a in args)
    else:
        start, stop, step = (float(attr(attrs, k)) for k in ("start", "stop", "step"))
    if step == 0:
        raise ValueError("arange: step must not be 0")
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


@register_kernel("meshgrid")
def _meshgrid(attrs, args):
    (inputs,) = args
    grids = np.meshgrid(*inputs, indexing=attr(attrs, "indexing", "ij"))
    return tuple(contiguous(g) for g in grids)


@register_kernel("sparse_to_dense")
def _sparse_to_dense(attrs, args):
    indices, values, default = args
    shape = tuple(int(d) for d in attr(attrs, "output_shape"))
    out = np.full(shape, default.reshape(()), dtype=values.dtype)
    idx = indices.astype(np.int64)
    if idx.ndim < 2:
        idx = idx.reshape(-1, 1)  # a scalar or a vector indexes the first axis
    vals = np.broadcast_to(values, (idx.shape[0],))
    for row, value in zip(idx, vals):
        out[tuple(row)] = value
    return out


@register_kernel("invert_permutation")
def _invert_permutation(_attrs, args):
    perm = args[0]
    out = np.empty_like(perm)
    out[perm.astype(np.int64)] = np.arange(perm.size, dtype=perm.dtype)
    return out


@register_kernel("adv_index")
def _adv_index(_attrs, args):
    (inputs,) = args
    data, indices = inputs[0], inputs[1:]
    return contiguous(data[tuple(i.astype(np.int64) for i in indices)])


@register_kernel("searchsorted")
def _searchsorted(attrs, args):
    sorted_seq, values = args
    side = "right" if attr(attrs, "right", False) else "left"
    dtype = attr(attrs, "dtype", "int32")
    if sorted_seq.ndim == 1:
        return np.searchsorted(sorted_seq, values, side=side).astype(dtype)
    out = np.empty(values.shape, dtype=dtype)
    for row in np.ndindex(*values.shape[:-1]):
        out[row] = np.searchsorted(sorted_seq[row], values[row], side=side)
    return out
