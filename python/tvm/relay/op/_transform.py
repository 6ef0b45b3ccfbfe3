"""Registration of the transform operators: type relations, patterns, computes."""
from tvm import tirx, topi

from ..ty import Any, TensorType, TupleType
from ._util import define
from .op import OpPattern
from .type_relations import (
    RelationError,
    broadcast_shape,
    dim_mul,
    dims_equal,
    is_any,
    normalize_axis,
    shape_str,
    tensor_arg,
    tuple_arg,
)

_INJ = OpPattern.INJECTIVE


def _static_shape(out_type, what):
    if out_type.is_dynamic():
        raise ValueError(f"{what}: the compute needs a static output shape, got {out_type}")
    return list(out_type.shape)


# -- cast ---------------------------------------------------------------------


def _cast_rel(arg_types, attrs):
    return TensorType(tensor_arg(arg_types, 0, "data").shape, attrs.dtype)


def _cast_like_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    return TensorType(data.shape, tensor_arg(arg_types, 1, "dtype_like").dtype)


define("cast", _cast_rel, OpPattern.ELEMWISE,
       lambda attrs, inputs, out: [topi.cast(inputs[0], attrs.dtype)], 1, "relay.attrs.CastAttrs")
define("cast_like", _cast_like_rel, OpPattern.ELEMWISE,
       lambda attrs, inputs, out: [topi.cast(inputs[0], out.dtype)], 2)
define("reinterpret", _cast_rel, OpPattern.ELEMWISE,
       lambda attrs, inputs, out: [topi.reinterpret(inputs[0], attrs.dtype)], 1,
       "relay.attrs.CastAttrs")


# -- reshape ------------------------------------------------------------------


def infer_newshape(ishape, newshape, mul, div):
    """Apply reshape's special values (0, -1, -2, -3, -4) to ``ishape``.

    ``mul``/``div`` combine dimensions, so the same code serves the type
    relation (ints and ``Any``) and the compute (TIR expressions). As upstream,
    input dimensions copied by 0, -2 or -3 are left out of the size a -1
    stands for, so ``(?, 3, 4)`` reshaped by ``(0, -1)`` gives ``(?, 12)``.
    """
    out, src, infer_at, i = [], 0, -1, 0
    used_in, used_out = set(), set()
    newshape = list(newshape)

    def copy(axis):
        used_in.add(axis)
        used_out.add(len(out))
        out.append(ishape[axis])

    while i < len(newshape):
        value = newshape[i]
        if value > 0:
            out.append(value)
            src += 1
        elif value == 0:
            if src >= len(ishape):
                raise RelationError(f"newshape {tuple(newshape)}: 0 at position {i} has no input axis to copy")
            copy(src)
            src += 1
        elif value == -1:
            if infer_at >= 0:
                raise RelationError(f"newshape {tuple(newshape)} has more than one -1")
            infer_at = len(out)
            out.append(1)
            src += 1
        elif value == -2:
            while src < len(ishape):
                copy(src)
                src += 1
        elif value == -3:
            if src + 1 >= len(ishape):
                raise RelationError(f"newshape {tuple(newshape)}: -3 needs two input axes")
            used_in.update((src, src + 1))
            used_out.add(len(out))
            out.append(mul(ishape[src], ishape[src + 1]))
            src += 2
        elif value == -4:
            if i + 2 >= len(newshape):
                raise RelationError(f"newshape {tuple(newshape)}: -4 needs two values after it")
            first, second = newshape[i + 1], newshape[i + 2]
            dim = ishape[src]
            if first == -1:
                first = div(dim, second)
            if second == -1:
                second = div(dim, first)
            out.extend([first, second])
            src += 1
            i += 2
        else:
            raise RelationError(f"newshape {tuple(newshape)} has an invalid value {value}")
        i += 1
    if infer_at >= 0:
        total = 1
        for axis, dim in enumerate(ishape):
            if axis not in used_in:
                total = mul(total, dim)
        known = 1
        for axis, dim in enumerate(out):
            if axis != infer_at and axis not in used_out:
                known = mul(known, dim)
        out[infer_at] = div(total, known)
    return out


def _dim_div(a, b):
    if is_any(a) or is_any(b):
        return Any()
    if b == 0 or a % b:
        raise RelationError(f"{a} elements cannot be split into parts of {b}")
    return a // b


def _reshape_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    out = infer_newshape(data.shape, attrs.newshape, dim_mul, _dim_div)
    in_size, out_size = dim_mul(*data.shape), dim_mul(*out)
    if not is_any(in_size) and not is_any(out_size) and in_size != out_size:
        raise RelationError(
            f"cannot reshape {shape_str(data.shape)} ({in_size} elements) to newshape "
            f"{tuple(attrs.newshape)} ({shape_str(tuple(out))}, {out_size} elements)"
        )
    return TensorType(out, data.dtype)


def _reshape_compute(attrs, inputs, out_type):
    if not out_type.is_dynamic():
        return [topi.reshape(inputs[0], list(out_type.shape))]
    shape = infer_newshape(
        list(inputs[0].shape), attrs.newshape, lambda a, b: a * b, tirx.floordiv
    )
    return [topi.reshape(inputs[0], shape)]


define("reshape", _reshape_rel, _INJ, _reshape_compute, 1, "relay.attrs.ReshapeAttrs")


def _reshape_like_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    like = tensor_arg(arg_types, 1, "shape_like")
    lhs = data.shape[attrs.lhs_begin:attrs.lhs_end]
    rhs = like.shape[attrs.rhs_begin:attrs.rhs_end]
    out = data.shape[:attrs.lhs_begin] + rhs
    if attrs.lhs_end is not None:
        out += data.shape[attrs.lhs_end:]
    a, b = dim_mul(*lhs), dim_mul(*rhs)
    if not is_any(a) and not is_any(b) and a != b:
        raise RelationError(f"cannot reshape {shape_str(data.shape)} like {shape_str(like.shape)}")
    return TensorType(out, data.dtype)


define("reshape_like", _reshape_like_rel, _INJ,
       lambda attrs, inputs, out: [topi.reshape(inputs[0], _static_shape(out, "reshape_like"))], 2,
       "relay.attrs.ReshapeLikeAttrs")


# -- axes ---------------------------------------------------------------------


def _transpose_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    ndim = len(data.shape)
    axes = attrs.axes
    if axes is None or len(axes) == 0:
        axes = tuple(reversed(range(ndim)))
    if len(axes) != ndim:
        raise RelationError(f"axes {tuple(axes)} do not match the input rank {ndim} of {shape_str(data.shape)}")
    axes = [normalize_axis(a, ndim) for a in axes]
    if sorted(axes) != list(range(ndim)):
        raise RelationError(f"axes {tuple(attrs.axes)} are not a permutation of {ndim} axes")
    return TensorType([data.shape[a] for a in axes], data.dtype)


define("transpose", _transpose_rel, _INJ,
       lambda attrs, inputs, out: [topi.transpose(inputs[0], attrs.axes and list(attrs.axes))], 1,
       "relay.attrs.TransposeAttrs")


def _squeeze_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    ndim = len(data.shape)
    if attrs.axis is None:
        out = [d for d in data.shape if is_any(d) or d != 1]
    else:
        axes = {normalize_axis(a, ndim) for a in attrs.axis}
        for a in axes:
            if not dims_equal(data.shape[a], 1):
                raise RelationError(f"axis {a} of {shape_str(data.shape)} has size {data.shape[a]}, not 1")
        out = [d for i, d in enumerate(data.shape) if i not in axes]
    return TensorType(out, data.dtype)


def _squeeze_compute(attrs, inputs, out_type):
    axis = attrs.axis
    if axis is None:
        axis = [i for i, d in enumerate(inputs[0].shape) if isinstance(d, tirx.IntImm) and d.value == 1]
    return [topi.squeeze(inputs[0], list(axis))]


define("squeeze", _squeeze_rel, _INJ, _squeeze_compute, 1, "relay.attrs.SqueezeAttrs")


def _expand_dims_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    ndim = len(data.shape)
    axis = attrs.axis
    if not -ndim - 1 <= axis <= ndim:
        raise RelationError(f"axis {axis} is out of range for expanding a tensor of rank {ndim}")
    if axis < 0:
        axis += ndim + 1
    out = data.shape[:axis] + (1,) * attrs.num_newaxis + data.shape[axis:]
    return TensorType(out, data.dtype)


define("expand_dims", _expand_dims_rel, OpPattern.BROADCAST,
       lambda attrs, inputs, out: [topi.expand_dims(inputs[0], attrs.axis, attrs.num_newaxis)], 1,
       "relay.attrs.ExpandDimsAttrs")


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


define("take", _take_rel, _INJ,
       lambda attrs, inputs, out: [topi.take(inputs[0], inputs[1], attrs.axis, attrs.batch_dims, attrs.mode)],
       2, "relay.attrs.TakeAttrs")


def _gather_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    indices = tensor_arg(arg_types, 1, "indices")
    _check_int(indices, "indices")
    if len(data.shape) != len(indices.shape):
        raise RelationError(f"data {shape_str(data.shape)} and indices {shape_str(indices.shape)} differ in rank")
    normalize_axis(attrs.axis, len(data.shape))
    return TensorType(indices.shape, data.dtype)


define("gather", _gather_rel, _INJ,
       lambda attrs, inputs, out: [topi.gather(inputs[0], attrs.axis, inputs[1])], 2,
       "relay.attrs.GatherAttrs")


def _one_hot_rel(arg_types, attrs):
    indices = tensor_arg(arg_types, 0, "indices")
    _check_int(indices, "indices")
    ndim = len(indices.shape)
    axis = ndim if attrs.axis == -1 else normalize_axis(attrs.axis, ndim + 1)
    out = indices.shape[:axis] + (attrs.depth,) + indices.shape[axis:]
    return TensorType(out, attrs.dtype)


define("one_hot", _one_hot_rel, _INJ,
       lambda attrs, inputs, out: [topi.one_hot(inputs[0], inputs[1](), inputs[2](), attrs.depth,
                                                attrs.axis, attrs.dtype)],
       3, "relay.attrs.OneHotAttrs")


# -- init ---------------------------------------------------------------------


def _full_rel(arg_types, attrs):
    fill = tensor_arg(arg_types, 0, "fill_value")
    if fill.shape != ():
        raise RelationError(f"fill_value must be a scalar, got shape {shape_str(fill.shape)}")
    return TensorType(attrs.shape, attrs.dtype or fill.dtype)


def _full_like_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    fill = tensor_arg(arg_types, 1, "fill_value")
    if fill.shape != ():
        raise RelationError(f"fill_value must be a scalar, got shape {shape_str(fill.shape)}")
    return data


define("full", _full_rel, OpPattern.ELEMWISE,
       lambda attrs, inputs, out: [topi.full(list(out.shape), out.dtype, inputs[0]())], 1,
       "relay.attrs.InitOpAttrs")
define("full_like", _full_like_rel, OpPattern.ELEMWISE,
       lambda attrs, inputs, out: [topi.full_like(inputs[0], inputs[1]())], 2)


def _arange_len(attrs):
    import math  # pylint: disable=import-outside-toplevel

    if attrs.step == 0:
        raise RelationError("step must not be 0")
    return max(0, math.ceil((attrs.stop - attrs.start) / attrs.step))


define("arange", lambda arg_types, attrs: TensorType((_arange_len(attrs),), attrs.dtype), OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.arange(attrs.start, attrs.stop, attrs.step, attrs.dtype)], 0,
       "relay.attrs.ArangeAttrs")


# -- repeat / tile / reverse ----------------------------------------------------


def _repeat_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    axis = normalize_axis(attrs.axis, len(data.shape))
    out = list(data.shape)
    out[axis] = dim_mul(out[axis], attrs.repeats)
    return TensorType(out, data.dtype)


def _tile_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    reps = tuple(attrs.reps)
    shape = tuple(data.shape)
    ndim = max(len(reps), len(shape))
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - len(shape)) + shape
    return TensorType([dim_mul(d, r) for d, r in zip(shape, reps)], data.dtype)


def _reverse_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    normalize_axis(attrs.axis, len(data.shape))
    return data


define("repeat", _repeat_rel, OpPattern.BROADCAST,
       lambda attrs, inputs, out: [topi.repeat(inputs[0], attrs.repeats, attrs.axis)], 1,
       "relay.attrs.RepeatAttrs")
define("tile", _tile_rel, _INJ,
       lambda attrs, inputs, out: [topi.tile(inputs[0], list(attrs.reps))], 1, "relay.attrs.TileAttrs")
define("reverse", _reverse_rel, _INJ,
       lambda attrs, inputs, out: [topi.flip(inputs[0], attrs.axis)], 1, "relay.attrs.ReverseAttrs")


# -- broadcasting ---------------------------------------------------------------


def _where_rel(arg_types, attrs):
    cond = tensor_arg(arg_types, 0, "condition")
    x = tensor_arg(arg_types, 1, "x")
    y = tensor_arg(arg_types, 2, "y")
    if x.dtype != y.dtype:
        raise RelationError(f"dtype mismatch: x is {x.dtype} but y is {y.dtype}")
    shape = broadcast_shape(x.shape, y.shape)
    shape = shape and broadcast_shape(cond.shape, shape)
    if shape is None:
        raise RelationError(
            f"condition {shape_str(cond.shape)}, x {shape_str(x.shape)} and y "
            f"{shape_str(y.shape)} cannot be broadcast together"
        )
    return TensorType(shape, x.dtype)


define("where", _where_rel, OpPattern.BROADCAST,
       lambda attrs, inputs, out: [topi.where(inputs[0], inputs[1], inputs[2])], 3)


def _broadcast_to_shape(data, shape):
    out = broadcast_shape(data.shape, shape)
    if out is None or len(out) != len(shape) or not all(dims_equal(a, b) for a, b in zip(out, shape)):
        raise RelationError(f"cannot broadcast {shape_str(data.shape)} to {shape_str(tuple(shape))}")
    return TensorType(shape, data.dtype)


define("broadcast_to",
       lambda arg_types, attrs: _broadcast_to_shape(tensor_arg(arg_types, 0, "data"), tuple(attrs.shape)),
       OpPattern.BROADCAST,
       lambda attrs, inputs, out: [topi.broadcast_to(inputs[0], list(attrs.shape))], 1,
       "relay.attrs.InitOpAttrs")
define("broadcast_to_like",
       lambda arg_types, attrs: _broadcast_to_shape(
           tensor_arg(arg_types, 0, "data"), tensor_arg(arg_types, 1, "broadcast_type").shape),
       OpPattern.BROADCAST,
       lambda attrs, inputs, out: [topi.broadcast_to(inputs[0], list(inputs[1].shape))], 2)


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
            raise RelationError(f"dtype mismatch: input 0 is {first.dtype} but input {i} is {field.dtype}")
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
            raise RelationError(f"dtype mismatch: input 0 is {first.dtype} but input {i} is {field.dtype}")
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
            raise RelationError(f"axis {axis} of {shape_str(data.shape)} cannot be split into {spec} equal sections")
        sizes = [Any() if is_any(dim) else dim // spec] * spec
    else:
        bounds = [0] + list(spec) + [dim]
        sizes = []
        for begin, end in zip(bounds[:-1], bounds[1:]):
            if is_any(end):
                sizes.append(Any())
            else:
                if end < begin:
                    raise RelationError(f"split indices {tuple(spec)} are not increasing within {dim}")
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


def _strided_slice_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    ndim = len(data.shape)
    begin, end = list(attrs.begin), list(attrs.end)
    axes = list(attrs.axes) if attrs.axes is not None else list(range(len(begin)))
    if len(axes) > ndim or len(begin) != len(axes) or len(end) != len(axes):
        raise RelationError(
            f"begin {tuple(begin)} / end {tuple(end)} / axes {attrs.axes} do not fit the input {shape_str(data.shape)}"
        )
    strides = list(attrs.strides) if attrs.strides else [1]
    if len(strides) == 1:
        strides = strides * len(axes)
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
    return [topi.strided_slice(inputs[0], list(attrs.begin), list(attrs.end), list(attrs.strides),
                               attrs.axes and list(attrs.axes), attrs.slice_mode)]


define("strided_slice", _strided_slice_rel, _INJ, _strided_slice_compute, 1,
       "relay.attrs.StridedSliceAttrs")


# -- layout_transform -----------------------------------------------------------


def parse_layout(layout):
    """``"NCHW16c"`` -> ``[("N", None), ("C", None), ("H", None), ("W", None), ("c", 16)]``."""
    axes, i = [], 0
    while i < len(layout):
        j = i
        while j < len(layout) and layout[j].isdigit():
            j += 1
        if j >= len(layout) or not layout[j].isalpha():
            raise RelationError(f"malformed layout {layout!r}")
        factor = int(layout[i:j]) if j > i else None
        letter = layout[j]
        if letter.islower() and factor is None:
            raise RelationError(f"layout {layout!r}: sub-axis {letter!r} needs a size")
        axes.append((letter, factor))
        i = j + 1
    return axes


def _layout_transform_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    src, dst = parse_layout(attrs.src_layout), parse_layout(attrs.dst_layout)
    if len(src) != len(data.shape):
        raise RelationError(f"layout {attrs.src_layout!r} does not match the input rank of {shape_str(data.shape)}")
    primal = {}
    for (letter, _), dim in zip(src, data.shape):
        if letter.isupper():
            primal[letter] = dim
    for (letter, factor), dim in zip(src, data.shape):
        if letter.islower():
            primal[letter.upper()] = dim_mul(primal[letter.upper()], factor)
    out = []
    for letter, factor in dst:
        if letter.islower():
            out.append(factor)
            continue
        if letter not in primal:
            raise RelationError(f"{attrs.dst_layout!r} has an axis {letter!r} missing from {attrs.src_layout!r}")
        dim = primal[letter]
        for sub, sub_factor in dst:
            if sub == letter.lower():
                if not is_any(dim) and dim % sub_factor:
                    raise RelationError(f"axis {letter} of size {dim} is not divisible by {sub_factor}")
                dim = Any() if is_any(dim) else dim // sub_factor
        out.append(dim)
    return TensorType(out, data.dtype)


define("layout_transform", _layout_transform_rel, _INJ,
       lambda attrs, inputs, out: [topi.layout_transform(inputs[0], attrs.src_layout, attrs.dst_layout)],
       1, "relay.attrs.LayoutTransformAttrs")
