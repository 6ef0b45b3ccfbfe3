"""Registration of the indexing and joining ops: take, gather, gather_nd,
one_hot, strided_slice, slice_like, concatenate, stack, split, the scatters and
einsum."""
from tvm import te, tirx, topi
from tvm.ir.expr import StringImm

from ..ty import Any, TensorType, TupleType
from ._util import define
from .op import OpPattern
from .type_relations import (
    RelationError,
    dims_equal,
    is_any,
    normalize_axis,
    shape_str,
    tensor_arg,
    tuple_arg,
)

_INJ = OpPattern.INJECTIVE

# -- gather / take ------------------------------------------------------------


def _check_int(ty, what):
    if not ty.dtype.startswith(("int", "uint")):
        raise RelationError(f"{what} must have an integer dtype, got {ty.dtype}")


def _take_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    indices = tensor_arg(arg_types, 1, "indices")
    _check_int(indices, "indices")
    if attrs.axis is None:
        return TensorType(indices.shape, data.dtype)
    axis = normalize_axis(attrs.axis, len(data.shape))
    batch = attrs.batch_dims
    if batch < 0:
        batch += len(indices.shape)
    out = data.shape[:axis] + indices.shape[batch:] + data.shape[axis + 1:]
    return TensorType(out, data.dtype)


# -- out-of-range indices -----------------------------------------------------------------
#
# The index ops without a mode (gather, gather_nd, scatter, scatter_add, scatter_nd) and
# take in mode "fast" read an index i of an axis of size d as NumPy and ONNX do: -d <= i < 0
# counts from the end, and an index outside [-d, d) is an error. The compiled kernels check
# every index once, in a stage that writes the normalized indices, and raise IndexError at
# run time (an AssertStmt of the kernel: the graph executor reports it) instead of reading
# or writing outside the tensor; the reference interpreter raises IndexError too.
# take in mode "clip" (the default) clamps indices to [0, d - 1] and in mode "wrap" takes
# them modulo d (upstream TVM 0.8's documented modes): no index is an error there.


def _dim_text(dim):
    return str(int(dim)) if isinstance(dim, int | tirx.IntImm) else str(dim)


def checked_indices(indices, dims, op_name):
    """``indices`` with negative indices counted from the end, checked at run time.

    ``dims`` is the size of the indexed axis, or a list of sizes: then row ``k`` of
    ``indices`` (its first axis) indexes an axis of size ``dims[k]`` (gather_nd,
    scatter_nd). An index outside ``[-d, d)`` raises IndexError when the kernel runs.
    """
    many = isinstance(dims, list | tuple)
    sizes = list(dims) if many else [dims]
    what = (f"axes of sizes ({', '.join(_dim_text(d) for d in sizes)})" if many
            else f"an axis of size {_dim_text(sizes[0])}")
    message = f"{op_name}: an index is out of range for {what} (valid: -size <= index < size)"

    def body(ins, outs):
        src, dst = ins[0], outs[0]
        loop_vars = [tirx.Var(f"i{k}", "int32") for k in range(len(src.shape))]
        value = tirx.BufferLoad(src, loop_vars)
        dim = tirx.Cast(src.dtype, sizes[0])
        for k in range(1, len(sizes)):
            dim = tirx.Select(loop_vars[0] == k, tirx.Cast(src.dtype, sizes[k]), dim)
        if str(src.dtype).startswith("uint"):  # no negative index (and -dim would wrap)
            valid, normalized = value < dim, value
        else:
            valid, normalized = tirx.all(value >= -dim, value < dim), tirx.Select(
                value < 0, value + dim, value)
        stmt = tirx.SeqStmt([
            # (this wheel's AssertStmt wrapper hands its arguments on in the FFI's order:
            # condition, kind, message parts)
            tirx.AssertStmt(valid, StringImm("IndexError"), [StringImm(message)]),
            tirx.BufferStore(dst, normalized, loop_vars),
        ])
        for var, extent in reversed(list(zip(loop_vars, src.shape))):
            stmt = tirx.For(var, 0, extent, tirx.ForKind.SERIAL, stmt)
        return stmt

    return te.extern([indices.shape], [indices], body, dtype=[str(indices.dtype)],
                     name=f"{op_name}_checked_indices", tag="checked_indices")


def _axis_dim(data, axis):
    return data.shape[normalize_axis(axis, len(data.shape))]


def _take_compute(attrs, inputs, out_type):
    data, indices = inputs
    mode = attrs.mode
    if mode == "fast":
        if attrs.axis is None:
            dim = 1
            for d in data.shape:
                dim = dim * d
        else:
            dim = data.shape[normalize_axis(attrs.axis, len(data.shape))]
        # checked and normalized: clipping them changes nothing (and TOPI's "fast" warns)
        indices, mode = checked_indices(indices, dim, "take"), "clip"
    indices, mode = _int32_indices(data, indices, attrs.axis, mode)
    return [topi.take(data, indices, attrs.axis, attrs.batch_dims, mode)]


def _int32_indices(data, indices, axis, mode):
    """Indices of another integer dtype for TOPI's take, which compares them with
    the (int32) extent of the data and fails on a dtype mismatch. The clip or
    wrap is done in the indices' own dtype (exact for any value), then they are
    cast to int32 (now in range) and taken in ``clip`` mode."""
    if str(indices.dtype) == "int32":
        return indices, mode
    if axis is None:
        dims = list(data.shape)
    else:
        dims = [data.shape[normalize_axis(axis, len(data.shape))]]
    if not all(isinstance(d, tirx.IntImm | int) for d in dims):
        return indices, mode  # dynamic extent: leave it to TOPI
    size = 1
    for d in dims:
        size *= int(d)
    dtype = str(indices.dtype)
    if mode == "wrap":
        indices = topi.floor_mod(indices, tirx.const(size, dtype))
    else:
        indices = topi.clip(indices, 0, size - 1)
    return topi.cast(indices, "int32"), "clip"


define("take", _take_rel, _INJ, _take_compute, 2, "relay.attrs.TakeAttrs")


def _check_indices_fit(data, indices, axis, what):
    """Indices of gather/scatter may be smaller than data on the other axes, not larger."""
    axis = normalize_axis(axis, len(data.shape))
    for i, (d, n) in enumerate(zip(data.shape, indices.shape)):
        if i != axis and not is_any(d) and not is_any(n) and n > d:
            raise RelationError(
                f"indices {shape_str(indices.shape)} are larger than data "
                f"{shape_str(data.shape)} on axis {i}, which is not the {what} axis {axis}"
            )


def _gather_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    indices = tensor_arg(arg_types, 1, "indices")
    _check_int(indices, "indices")
    if len(data.shape) != len(indices.shape):
        raise RelationError(
            f"data {shape_str(data.shape)} and indices {shape_str(indices.shape)} differ "
            "in rank"
        )
    _check_indices_fit(data, indices, attrs.axis, "gather")  # else the kernel reads outside data
    return TensorType(indices.shape, data.dtype)


define("gather", _gather_rel, _INJ,
       lambda attrs, inputs, out: [topi.gather(
           inputs[0], attrs.axis, checked_indices(inputs[1], _axis_dim(inputs[0], attrs.axis),
                                                  "gather"))], 2,
       "relay.attrs.GatherAttrs")


def _one_hot_rel(arg_types, attrs):
    indices = tensor_arg(arg_types, 0, "indices")
    _check_int(indices, "indices")
    ndim = len(indices.shape)
    axis = ndim if attrs.axis == -1 else normalize_axis(attrs.axis, ndim + 1)
    out = indices.shape[:axis] + (attrs.depth,) + indices.shape[axis:]
    return TensorType(out, attrs.dtype)


define("one_hot", _one_hot_rel, OpPattern.OUT_ELEMWISE_FUSABLE,
       lambda attrs, inputs, out: [topi.one_hot(inputs[0], inputs[1](), inputs[2](), attrs.depth,
                                                attrs.axis, attrs.dtype)],
       3, "relay.attrs.OneHotAttrs")


# -- join / split ---------------------------------------------------------------


def _concatenate_rel(arg_types, attrs):
    fields = tuple_arg(arg_types, 0, "data")
    if not fields:
        raise RelationError("needs at least one tensor")
    first = fields[0]
    ndim = len(first.shape)
    axis = normalize_axis(attrs.axis, ndim)
    total = 0
    out = list(first.shape)
    for i, field in enumerate(fields):
        if field.dtype != first.dtype:
            raise RelationError(
                f"dtype mismatch: input 0 is {first.dtype} but input {i} is "
                f"{field.dtype}"
            )
        if len(field.shape) != ndim:
            raise RelationError(
                f"input 0 {shape_str(first.shape)} and input {i} {shape_str(field.shape)} differ in rank"
            )
        for j in range(ndim):
            if j == axis:
                continue
            if not dims_equal(field.shape[j], out[j]):
                raise RelationError(
                    f"input 0 {shape_str(first.shape)} and input {i} {shape_str(field.shape)} "
                    f"differ on axis {j}, which is not the concatenation axis {axis}"
                )
            if is_any(out[j]):
                out[j] = field.shape[j]
        dim = field.shape[axis]
        total = Any() if is_any(total) or is_any(dim) else total + dim
    out[axis] = total
    return TensorType(out, first.dtype)


define("concatenate", _concatenate_rel, _INJ,
       lambda attrs, inputs, out: [topi.concatenate(list(inputs), attrs.axis)], 1,
       "relay.attrs.ConcatenateAttrs")


def _stack_rel(arg_types, attrs):
    fields = tuple_arg(arg_types, 0, "data")
    if not fields:
        raise RelationError("needs at least one tensor")
    first = fields[0]
    for i, field in enumerate(fields):
        if field.dtype != first.dtype:
            raise RelationError(
                f"dtype mismatch: input 0 is {first.dtype} but input {i} is "
                f"{field.dtype}"
            )
        if len(field.shape) != len(first.shape) or not all(
            dims_equal(a, b) for a, b in zip(field.shape, first.shape)
        ):
            raise RelationError(
                f"input 0 {shape_str(first.shape)} and input {i} {shape_str(field.shape)} differ in shape"
            )
    ndim = len(first.shape)
    axis = attrs.axis
    if not -ndim - 1 <= axis <= ndim:
        raise RelationError(f"axis {axis} is out of range for stacking tensors of rank {ndim}")
    if axis < 0:
        axis += ndim + 1
    out = first.shape[:axis] + (len(fields),) + first.shape[axis:]
    return TensorType(out, first.dtype)


define("stack", _stack_rel, _INJ,
       lambda attrs, inputs, out: [topi.stack(list(inputs), attrs.axis)], 1, "relay.attrs.StackAttrs")


def _split_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    axis = normalize_axis(attrs.axis, len(data.shape))
    dim = data.shape[axis]
    spec = attrs.indices_or_sections
    if isinstance(spec, int):
        if spec <= 0:
            raise RelationError(f"indices_or_sections must be positive, got {spec}")
        if not is_any(dim) and dim % spec:
            raise RelationError(
                f"axis {axis} of {shape_str(data.shape)} cannot be split into {spec} equal "
                "sections"
            )
        sizes = [Any() if is_any(dim) else dim // spec] * spec
    else:
        bounds = [0] + list(spec) + [dim]
        sizes = []
        for begin, end in zip(bounds[:-1], bounds[1:]):
            if is_any(end):
                sizes.append(Any())
            else:
                if end < begin:
                    raise RelationError(
                        f"split indices {tuple(spec)} are not increasing within "
                        f"{dim}"
                    )
                sizes.append(end - begin)
    fields = []
    for size in sizes:
        shape = list(data.shape)
        shape[axis] = size
        fields.append(TensorType(shape, data.dtype))
    return TupleType(fields)


define("split", _split_rel, _INJ,
       lambda attrs, inputs, out: list(topi.split(inputs[0], attrs.indices_or_sections, attrs.axis)), 1,
       "relay.attrs.SplitAttrs")


# -- strided_slice --------------------------------------------------------------


def _slice_len(dim, begin, end, stride):
    if is_any(dim):
        return Any()
    return len(range(*slice(begin, end, stride).indices(dim)))


def _slice_spec(attrs, shape):
    """``(begin, end, strides, axes)`` of a slice, one entry per sliced axis.

    Without ``axes``, lists of different lengths are completed to the rank of
    the input as 0.8 read them: a missing stride is 1, a missing begin 0 (the
    last element for a negative stride), a missing end the whole axis."""
    begin, end = list(attrs.begin), list(attrs.end)
    strides = list(attrs.strides) if attrs.strides else [1]
    if attrs.axes is not None:
        if len(strides) == 1:
            strides = strides * len(begin)
        return begin, end, strides, [int(a) for a in attrs.axes]
    if len(strides) == 1 and len(begin) == len(end):
        strides = strides * len(begin)
    if len(begin) == len(end) == len(strides):
        return begin, end, strides, list(range(len(begin)))
    count = max(len(begin), len(end), len(strides))
    if count > len(shape):
        return begin, end, strides, list(range(count))  # rejected by the relation
    big = 2**63 - 1
    strides += [1] * (count - len(strides))
    begin += [0 if s > 0 else big for s in strides[len(begin):count]]
    end += [(dim if not is_any(dim) else big) if s > 0 else -big - 1
            for dim, s in zip(shape[len(end):count], strides[len(end):count])]
    return begin, end, strides, list(range(count))


def _strided_slice_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    ndim = len(data.shape)
    begin, end, strides, axes = _slice_spec(attrs, data.shape)
    if len(axes) > ndim or len(begin) != len(axes) or len(end) != len(axes):
        raise RelationError(
            f"begin {tuple(begin)} / end {tuple(end)} / axes {attrs.axes} do not fit the input {shape_str(data.shape)}"
        )
    if len(strides) != len(axes):
        raise RelationError(f"strides {tuple(attrs.strides)} do not match begin {tuple(begin)}")
    out = list(data.shape)
    for b, e, s, a in zip(begin, end, strides, axes):
        a = normalize_axis(a, ndim)
        if s == 0:
            raise RelationError("strides must not be 0")
        if attrs.slice_mode == "size":
            e = None if e < 0 else b + e
            s = 1
        out[a] = _slice_len(data.shape[a], b, e, s)
    return TensorType(out, data.dtype)


def _strided_slice_compute(attrs, inputs, out_type):
    begin, end, strides, axes = _slice_spec(attrs, [int(d) for d in inputs[0].shape])
    return [topi.strided_slice(inputs[0], begin, end, strides,
                               axes if attrs.axes is not None else None, attrs.slice_mode)]


define("strided_slice", _strided_slice_rel, _INJ, _strided_slice_compute, 1,
       "relay.attrs.StridedSliceAttrs")


def _gather_nd_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    indices = tensor_arg(arg_types, 1, "indices")
    _check_int(indices, "indices")
    if not indices.shape:
        raise RelationError("indices must have at least one axis")
    depth = attrs.index_rank if attrs.index_rank is not None else indices.shape[0]
    if is_any(depth):
        raise RelationError("the first axis of indices must be static (or give index_rank)")
    if attrs.batch_dims + depth > len(data.shape):
        raise RelationError(
            f"indices {shape_str(indices.shape)} index {depth} axes past batch_dims={attrs.batch_dims} "
            f"of data {shape_str(data.shape)}"
        )
    return TensorType(indices.shape[1:] + data.shape[attrs.batch_dims + depth:], data.dtype)


def _nd_checked(inputs, batch_dims, op_name):
    """The indices of gather_nd / scatter_nd: row k indexes axis batch_dims + k of data."""
    data, indices = inputs[0], inputs[1]
    depth = int(indices.shape[0])
    return checked_indices(indices, list(data.shape[batch_dims:batch_dims + depth]), op_name)


define("gather_nd", _gather_nd_rel, _INJ,
       lambda attrs, inputs, out: [topi.gather_nd(inputs[0], _nd_checked(inputs, attrs.batch_dims, "gather_nd"),
                                                  attrs.batch_dims)], 2,
       "relay.attrs.GatherNDAttrs")


def _slice_like_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    like = tensor_arg(arg_types, 1, "shape_like")
    if attrs.axes is None:
        axes = range(min(len(data.shape), len(like.shape)))
    else:
        axes = [normalize_axis(a, len(data.shape)) for a in attrs.axes]
    shape = list(data.shape)
    for axis in axes:
        if axis >= len(like.shape):
            raise RelationError(
                f"axis {axis} is out of range for shape_like "
                f"{shape_str(like.shape)}"
            )
        target = like.shape[axis]
        if not is_any(target) and not is_any(shape[axis]) and target > shape[axis]:
            raise RelationError(
                f"shape_like {shape_str(like.shape)} is larger than data {shape_str(data.shape)} on axis {axis}"
            )
        shape[axis] = target
    return TensorType(shape, data.dtype)


def _slice_like_compute(attrs, inputs, out_type):
    ends = list(out_type.shape)
    return [topi.strided_slice(inputs[0], [0] * len(ends), ends)]


define("slice_like", _slice_like_rel, _INJ, _slice_like_compute, 2, "relay.attrs.SliceLikeAttrs")


# -- scatter ---------------------------------------------------------------------------


def _scatter_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    indices = tensor_arg(arg_types, 1, "indices")
    updates = tensor_arg(arg_types, 2, "updates")
    _check_int(indices, "indices")
    if updates.dtype != data.dtype:
        raise RelationError(f"dtype mismatch: data is {data.dtype} but updates is {updates.dtype}")
    if len(indices.shape) != len(data.shape) or not all(
        dims_equal(a, b) for a, b in zip(indices.shape, updates.shape)
    ) or len(indices.shape) != len(updates.shape):
        raise RelationError(
            f"data {shape_str(data.shape)}, indices {shape_str(indices.shape)} and updates "
            f"{shape_str(updates.shape)} must have one rank, indices and updates one shape"
        )
    _check_indices_fit(data, indices, attrs.axis, "scatter")  # else the kernel writes outside data
    return data


def _scatter_compute(reduction):
    return lambda attrs, inputs, out: [topi.scatter_elements(
        inputs[0], checked_indices(inputs[1], _axis_dim(inputs[0], attrs.axis),
                                   "scatter_add" if reduction == "add" else "scatter"),
        inputs[2], attrs.axis, reduction)]


def _scatter_nd_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    indices = tensor_arg(arg_types, 1, "indices")
    updates = tensor_arg(arg_types, 2, "updates")
    _check_int(indices, "indices")
    if updates.dtype != data.dtype:
        raise RelationError(f"dtype mismatch: data is {data.dtype} but updates is {updates.dtype}")
    depth = indices.shape[0] if indices.shape else 0
    if not is_any(depth):
        expected = indices.shape[1:] + data.shape[depth:]
        if len(expected) != len(updates.shape) or not all(
            dims_equal(a, b) for a, b in zip(expected, updates.shape)
        ):
            raise RelationError(
                f"updates {shape_str(updates.shape)} should be {shape_str(expected)} for indices "
                f"{shape_str(indices.shape)} into data {shape_str(data.shape)}"
            )
    return data


_OPAQUE = OpPattern.OPAQUE
define("scatter", _scatter_rel, _OPAQUE, _scatter_compute("update"), 3, "relay.attrs.ScatterAttrs")
define("scatter_add", _scatter_rel, _OPAQUE, _scatter_compute("add"), 3, "relay.attrs.ScatterAttrs")
define("scatter_nd", _scatter_nd_rel, _OPAQUE,
       lambda attrs, inputs, out: [topi.scatter_nd(inputs[0], _nd_checked(inputs, 0, "scatter_nd"),
                                                   inputs[2], attrs.mode)],
       3, "relay.attrs.ScatterNDAttrs")


# -- einsum ------------------------------------------------------------------------------


def _einsum_rel(arg_types, attrs):
    fields = tuple_arg(arg_types, 0, "data")
    equation = attrs.equation.replace(" ", "")
    if "..." in equation:
        raise RelationError(f"equation {attrs.equation!r}: ellipsis is not supported")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(fields):
        raise RelationError(
            f"equation {attrs.equation!r} has {len(terms)} operands, got "
            f"{len(fields)}"
        )
    sizes = {}
    for term, field in zip(terms, fields):
        if len(term) != len(field.shape):
            raise RelationError(
                f"operand {term!r} does not match the rank of "
                f"{shape_str(field.shape)}"
            )
        for letter, dim in zip(term, field.shape):
            known = sizes.get(letter)
            if known is not None and not dims_equal(known, dim) and known != 1 and dim != 1:
                raise RelationError(f"index {letter!r} has sizes {known} and {dim}")
            if known is None or (not is_any(dim) and dim != 1):
                sizes[letter] = dim
        if field.dtype != fields[0].dtype:
            raise RelationError(f"dtype mismatch: {fields[0].dtype} and {field.dtype}")
    if not arrow:
        counts = {}
        for letter in "".join(terms):
            counts[letter] = counts.get(letter, 0) + 1
        rhs = "".join(sorted(letter for letter, n in counts.items() if n == 1))
    for letter in rhs:
        if letter not in sizes:
            raise RelationError(f"output index {letter!r} does not appear in the operands")
    return TensorType([sizes[letter] for letter in rhs], fields[0].dtype)


define("einsum", _einsum_rel, OpPattern.INJECTIVE,
       lambda attrs, inputs, out: [topi.einsum(attrs.equation, *inputs)], 1,
       "relay.attrs.EinsumAttrs")
