"""ONNX converters: constants, shapes, layout and indexing operators.

Shapes are static, so every operator that only computes a shape (Shape, Size,
ConstantOfShape) gives a constant, and every operator whose shape-like input is
a constant (Reshape, Expand, Slice, Split, Squeeze, Unsqueeze, Tile) resolves it
here, producing relay ops with plain integer attributes.
"""
import numpy as np

from ..expr import Constant
from ..op import tensor as _tensor
from ..op import transform as _transform
from ._onnx_common import const, normalize_axis, onnx_dtype, register


@register("Identity")
def _identity(node, graph):  # pylint: disable=unused-argument
    return node.require(0, "input")


@register("Constant")
def _constant(node, graph):  # pylint: disable=unused-argument
    from onnx import numpy_helper  # pylint: disable=import-outside-toplevel

    attrs = node.proto.attribute
    if not attrs:
        raise node.error("has no value attribute")
    attr = attrs[0]
    if attr.name == "value":
        return Constant(numpy_helper.to_array(attr.t).copy())
    simple = {"value_float": "float32", "value_floats": "float32", "value_int": "int64",
              "value_ints": "int64", "value_string": None, "value_strings": None}
    if attr.name not in simple or simple[attr.name] is None:
        raise node.unsupported(f"a Constant with {attr.name}")
    return const(node.attr(attr.name), simple[attr.name])


@register("ConstantOfShape")
def _constant_of_shape(node, graph):
    from onnx import numpy_helper  # pylint: disable=import-outside-toplevel

    shape_expr = node.require(0, "input")
    value = node.attrs.get("value")
    fill = np.zeros((), "float32") if value is None else numpy_helper.to_array(value).reshape(())
    shape = graph.value(shape_expr)
    if shape is None:  # a shape computed at run time: dyn.full (the module runs on the VM)
        return _transform.full(Constant(fill), shape_expr, str(fill.dtype))
    return Constant(np.full(tuple(int(d) for d in shape.ravel()), fill, dtype=fill.dtype))


@register("Shape")
def _shape(node, graph):
    shape = graph.static_shape(node.require(0, "data"), node, "data")
    ndim = len(shape)
    start, end = node.attr("start", 0), node.attr("end", ndim)
    start = min(max(start + ndim if start < 0 else start, 0), ndim)
    end = min(max(end + ndim if end < 0 else end, 0), ndim)
    return Constant(np.array(shape[start:end], dtype="int64"))


@register("Size")
def _size(node, graph):
    shape = graph.static_shape(node.require(0, "data"), node, "data")
    return Constant(np.array(int(np.prod(shape)), dtype="int64"))


@register("Reshape")
def _reshape(node, graph):
    data = node.require(0, "data")
    in_shape = graph.static_shape(data, node, "data")
    target = [int(d) for d in graph.static(node.require(1, "shape"), node, "shape").ravel()]
    allowzero = node.attr("allowzero", 0)
    out = []
    for i, dim in enumerate(target):
        if dim == 0 and not allowzero:
            if i >= len(in_shape):
                raise node.error(f"shape {target} copies dimension {i} the input lacks")
            dim = in_shape[i]
        out.append(dim)
    if out.count(-1) > 1:
        raise node.error(f"shape {target} has more than one -1")
    total = int(np.prod(in_shape))
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1]))
        if known == 0 or total % known:
            raise node.error(f"cannot reshape {in_shape} into {target}")
        out[out.index(-1)] = total // known
    if int(np.prod(out)) != total:
        raise node.error(f"cannot reshape {in_shape} into {target}")
    if total == 0:  # an empty tensor holds no data (and relay reads 0 in newshape as "copy")
        return Constant(np.zeros(out, graph.dtype(data)))
    return _transform.reshape(data, tuple(out))


@register("Flatten")
def _flatten(node, graph):
    data = node.require(0, "input")
    shape = graph.static_shape(data, node, "input")
    axis = node.attr("axis", 1)
    axis = axis + len(shape) if axis < 0 else axis
    if not 0 <= axis <= len(shape):
        raise node.error(f"axis {node.attr('axis')} is out of range for rank {len(shape)}")
    return _transform.reshape(data, (int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))))


@register("Transpose")
def _transpose(node, graph):
    data = node.require(0, "data")
    perm = node.attr("perm")
    if perm is None:
        perm = tuple(reversed(range(len(graph.shape(data)))))
    return _transform.transpose(data, tuple(int(p) for p in perm))


@register("Concat")
def _concat(node, graph):
    args = [a for a in node.inputs if a is not None]
    ndim = len(graph.shape(args[0]))
    axis = normalize_axis(node.attr("axis", 0), ndim, node)
    # ONNX allows empty pieces (a zero-length axis) that relay would reject.
    args = [a for a in args if 0 not in graph.shape(a)] or args[:1]
    if len(args) == 1:
        return args[0]
    return _tensor.concatenate(args, axis)


@register("Split")
def _split(node, graph):
    data = node.require(0, "input")
    shape = graph.static_shape(data, node, "input")
    axis = normalize_axis(node.attr("axis", 0), len(shape), node)
    dim = shape[axis]
    if node.opset >= 13 and node.input(1) is not None:
        split = [int(s) for s in graph.static(node.input(1), node, "split").ravel()]
    else:
        split = node.attr("split")
    count = len(node.outputs)
    if split is None:
        parts = node.attr("num_outputs", count)
        chunk = -(-dim // parts)  # the last piece may be smaller (opset 18)
        split = [min(chunk, dim - i * chunk) for i in range(parts)]
    split = [int(s) for s in split]
    if sum(split) != dim:
        raise node.error(f"split {split} does not add up to dimension {dim} of axis {axis}")
    if len(split) == 1:
        return [data]
    indices = list(np.cumsum(split)[:-1])
    pieces = _transform.split(data, indices, axis)
    return [pieces[i] for i in range(len(split))]


def _slice_static(node, graph, data, starts, ends, axes, steps):
    shape = graph.static_shape(data, node, "data")
    ndim = len(shape)
    axes = list(range(len(starts))) if axes is None else \
        [normalize_axis(a, ndim, node, "axes") for a in axes]
    steps = [1] * len(starts) if steps is None else list(steps)
    begin, end, strides = [0] * ndim, list(shape), [1] * ndim
    flip = []
    for axis, start, stop, step in zip(axes, starts, ends, steps):
        if step == 0:
            raise node.error("steps must not be 0")
        dim = shape[axis]
        # slice.indices clamps exactly as ONNX specifies (INT_MAX ends included).
        start, stop, step = slice(int(start), int(stop), int(step)).indices(dim)
        if step < 0:
            # Reverse the axis, then slice forward: x[s:e:-k] == flip(x)[d-1-s:d-1-e:k].
            flip.append(axis)
            start, stop, step = dim - 1 - start, dim - 1 - stop, -step
        stop = max(stop, start)
        begin[axis], end[axis], strides[axis] = start, stop, step
    if flip:
        for axis in flip:
            data = _transform.reverse(data, axis)
    if begin == [0] * ndim and end == list(shape) and strides == [1] * ndim:
        return data
    return _transform.strided_slice(data, begin, end, strides)


@register("Slice")
def _slice(node, graph):
    data = node.require(0, "data")
    if node.opset < 10:
        starts, ends, axes = node.attr("starts"), node.attr("ends"), node.attr("axes")
        steps = None
    else:
        def values(index, what):
            expr = node.input(index)
            if expr is None:
                return None
            return [int(v) for v in graph.static(expr, node, what).ravel()]

        starts, ends = values(1, "starts"), values(2, "ends")
        axes, steps = values(3, "axes"), values(4, "steps")
    if starts is None or ends is None or len(starts) != len(ends):
        raise node.error("starts and ends must be given with equal lengths")
    return _slice_static(node, graph, data, starts, ends, axes, steps)


@register("Gather")
def _gather(node, graph):
    data, indices = node.require(0, "data"), node.require(1, "indices")
    shape = graph.shape(data)
    axis = normalize_axis(node.attr("axis", 0), len(shape), node)
    value = graph.value(indices)
    if value is not None:
        dim = shape[axis]
        if ((value < -dim) | (value >= dim)).any():
            raise node.error(f"indices {value.ravel().tolist()} are out of range for dimension "
                             f"{dim}")
        return _transform.take(data, Constant(np.where(value < 0, value + dim, value)), axis,
                               mode="clip")
    # ONNX: indices in [-dim, dim), negative ones counting from the end, others an error
    # (ONNX Runtime raises). take's "fast" mode is exactly that: the kernel checks the
    # indices and raises IndexError at run time ("wrap" would silently return other rows).
    return _transform.take(data, indices, axis, mode="fast")


@register("GatherElements")
def _gather_elements(node, graph):
    data, indices = node.require(0, "data"), node.require(1, "indices")
    shape = graph.static_shape(data, node, "data")
    axis = normalize_axis(node.attr("axis", 0), len(shape), node)
    # relay's gather takes [-dim, dim) and raises IndexError at run time for other indices
    return _transform.gather(data, axis, indices)


def _axes(node, graph, index):
    if node.opset >= 13:
        expr = node.input(index)
        if expr is None:
            return None
        return [int(a) for a in graph.static(expr, node, "axes").ravel()]
    axes = node.attr("axes")
    return None if axes is None else [int(a) for a in axes]


@register("Squeeze")
def _squeeze(node, graph):
    data = node.require(0, "data")
    shape = graph.static_shape(data, node, "data")
    axes = _axes(node, graph, 1)
    if axes is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    axes = sorted({normalize_axis(a, len(shape), node, "axes") for a in axes})
    for axis in axes:
        if shape[axis] != 1:
            raise node.error(f"cannot squeeze axis {axis} of size {shape[axis]}")
    return _transform.reshape(data, tuple(d for i, d in enumerate(shape) if i not in axes))


@register("Unsqueeze")
def _unsqueeze(node, graph):
    data = node.require(0, "data")
    shape = graph.static_shape(data, node, "data")
    axes = _axes(node, graph, 1)
    if axes is None:
        raise node.error("axes are required")
    out_rank = len(shape) + len(axes)
    axes = {normalize_axis(a, out_rank, node, "axes") for a in axes}
    if len(axes) != out_rank - len(shape):
        raise node.error("axes must not repeat")
    dims = iter(shape)
    return _transform.reshape(data, tuple(1 if i in axes else next(dims) for i in range(out_rank)))


@register("Expand")
def _expand(node, graph):
    data = node.require(0, "input")
    shape = graph.static_shape(data, node, "input")
    target = tuple(int(d) for d in graph.static(node.require(1, "shape"), node, "shape").ravel())
    try:
        out = tuple(np.broadcast_shapes(shape, target))
    except ValueError:
        raise node.error(f"cannot broadcast {shape} to {target}") from None
    if out == shape:
        return data
    return _transform.broadcast_to(data, out)


@register("Where")
def _where(node, graph):
    cond, x, y = node.require(0, "condition"), node.require(1, "X"), node.require(2, "Y")
    cond_rank = len(graph.shape(cond))
    if cond_rank and not graph.shape(x) and not graph.shape(y):
        # Work around the op library's where relation, which types where(c, 0-d, 0-d)
        # as 0-d whatever the rank of c: give x the rank of the condition.
        x = _transform.reshape(x, (1,) * cond_rank)
    return _transform.where(cond, x, y)


@register("Range")
def _range(node, graph):
    bounds = [node.require(i, name) for i, name in enumerate(("start", "limit", "delta"))]
    dtype = graph.dtype(bounds[0])
    if any(graph.value(b) is None for b in bounds):  # bounds known at run time: dyn.arange
        return _transform.arange(*bounds, dtype=dtype)
    start, limit, delta = (graph.value(b).reshape(()) for b in bounds)
    count = max(int(np.ceil((limit - start) / delta)), 0)
    # Half-precision ranges: from opset 27 stash_type=1 (the default) computes in float32.
    if dtype in ("float16", "bfloat16") and node.opset >= 27 and node.attr("stash_type", 1) == 1:
        start, delta = np.float32(start), np.float32(delta)
    return Constant((start + np.arange(count) * delta).astype(dtype))


@register("Tile")
def _tile(node, graph):
    data, repeats_expr = node.require(0, "input"), node.require(1, "repeats")
    repeats = graph.value(repeats_expr)
    if repeats is None:  # repeats known at run time: dyn.tile
        return _transform.tile(data, repeats_expr)
    return _transform.tile(data, tuple(int(r) for r in repeats.ravel()))


@register("NonZero", opsets=(9, None))
def _non_zero(node, graph):
    """``(ndim, n)`` int64 indices of the nonzero elements; ``n`` is known only at run
    time (``argwhere``: the model runs on the Relay VM)."""
    from ..op.dyn import argwhere  # pylint: disable=import-outside-toplevel

    data = node.require(0, "X")
    value = graph.value(data)
    if value is not None:  # a constant input folds to a constant
        return Constant(np.array(np.nonzero(value), dtype="int64").reshape(value.ndim, -1))
    return _transform.transpose(_transform.cast(argwhere(data), "int64"), (1, 0))


@register("EyeLike")
def _eye_like(node, graph):
    shape = graph.static_shape(node.require(0, "input"), node, "input")
    if len(shape) != 2:
        raise node.error("input must be 2-d")
    dtype = onnx_dtype(node.attr("dtype")) if node.attr("dtype") else \
        graph.dtype(node.require(0, "input"))
    return Constant(np.eye(shape[0], shape[1], k=node.attr("k", 0), dtype=dtype))


@register("GatherND")
def _gather_nd(node, graph):
    data, indices = node.require(0, "data"), node.require(1, "indices")
    shape = graph.static_shape(data, node, "data")
    ishape = graph.static_shape(indices, node, "indices")
    batch_dims = node.attr("batch_dims", 0)
    depth = ishape[-1]
    # relay's gather_nd reads coordinates along the first axis of indices.
    # negative indices: relay's gather_nd counts them from the end and raises IndexError at
    # run time for indices outside [-dim, dim)
    perm = (len(ishape) - 1,) + tuple(range(len(ishape) - 1))
    return _transform.gather_nd(data, _transform.transpose(indices, perm), batch_dims, depth)


@register("ScatterElements", "Scatter")
def _scatter_elements(node, graph):
    data = node.require(0, "data")
    indices, updates = node.require(1, "indices"), node.require(2, "updates")
    ndim = len(graph.static_shape(data, node, "data"))
    axis = normalize_axis(node.attr("axis", 0), ndim, node)
    reduction = node.attr("reduction", "none")
    # relay's scatter/scatter_add count negative indices from the end and raise IndexError
    # at run time for indices outside [-dim, dim), as ONNX Runtime rejects them.
    if reduction == "none":
        return _transform.scatter(data, indices, updates, axis)
    if reduction == "add":
        return _transform.scatter_add(data, indices, updates, axis)
    raise node.unsupported(f"reduction {reduction!r}")


@register("ScatterND")
def _scatter_nd(node, graph):
    data = node.require(0, "data")
    indices, updates = node.require(1, "indices"), node.require(2, "updates")
    ishape = graph.static_shape(indices, node, "indices")
    reduction = node.attr("reduction", "none")
    if reduction not in ("none", "add"):
        raise node.unsupported(f"reduction {reduction!r}")
    # relay's scatter_nd reads coordinates along the first axis of indices (and checks them
    # at run time, like gather_nd).
    perm = (len(ishape) - 1,) + tuple(range(len(ishape) - 1))
    return _transform.scatter_nd(data, _transform.transpose(indices, perm), updates,
                                 mode="update" if reduction == "none" else "add")


@register("OneHot")
def _one_hot(node, graph):
    indices, values, depth_expr = node.require(0, "indices"), node.require(2, "values"), node.require(1, "depth")
    ndim = len(graph.shape(indices)) + 1
    axis = normalize_axis(node.attr("axis", -1), ndim, node)
    dtype = graph.dtype(indices)
    depth_value = graph.value(depth_expr)
    if depth_value is None:  # depth known at run time: dyn.one_hot
        depth = _transform.reshape(_transform.cast(depth_expr, "int32"), ())
        offset = _transform.cast(depth, dtype)
    else:
        depth = int(depth_value.reshape(()))
        offset = const(depth, dtype)
    # Negative indices count from the end of the depth axis.
    indices = _transform.where(_tensor.less(indices, const(0, dtype)),
                               _tensor.add(indices, offset), indices)
    pieces = _transform.split(values, 2, 0)
    off, on = _transform.reshape(pieces[0], ()), _transform.reshape(pieces[1], ())
    return _transform.one_hot(indices, on, off, depth, axis, graph.dtype(values))


@register("Trilu")
def _trilu(node, graph):
    data = node.require(0, "input")
    shape = graph.static_shape(data, node, "input")
    if len(shape) < 2:
        raise node.error("input must have rank 2 or more")
    k = 0 if node.input(1) is None else int(graph.static(node.input(1), node, "k").reshape(()))
    rows, cols = shape[-2:]
    mask = np.triu(np.ones((rows, cols), bool), k) if node.attr("upper", 1) else \
        np.tril(np.ones((rows, cols), bool), k)
    return _transform.where(Constant(mask), data, const(0, graph.dtype(data)))


@register("ReverseSequence")
def _reverse_sequence(node, graph):
    data, lengths = node.require(0, "input"), node.require(1, "sequence_lens")
    ndim = len(graph.shape(data))
    time_axis = normalize_axis(node.attr("time_axis", 0), ndim, node, "time_axis")
    batch_axis = normalize_axis(node.attr("batch_axis", 1), ndim, node, "batch_axis")
    if {time_axis, batch_axis} != {0, 1}:
        raise node.error(f"time_axis and batch_axis must be 0 and 1, got {time_axis}, {batch_axis}")
    return _transform.reverse_sequence(data, lengths, seq_axis=time_axis, batch_axis=batch_axis)
