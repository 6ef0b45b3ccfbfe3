"""Registration of the transform ops (cast, reshape, axes, init, broadcast,
layout_transform): type relations, patterns, computes. Indexing and joining
ops are in :mod:`._index`."""
from tvm import tirx, topi

from ..ty import Any, TensorType
from ._util import define
from .op import OpPattern
from .type_relations import (
    parse_layout,
    RelationError,
    broadcast_shape,
    dim_mul,
    dims_equal,
    is_any,
    normalize_axis,
    shape_str,
    tensor_arg,
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
                raise RelationError(
                    f"newshape {tuple(newshape)}: 0 at position {i} has no input axis to "
                    "copy"
                )
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
        raise RelationError(
            f"axes {tuple(axes)} do not match the input rank {ndim} of "
            f"{shape_str(data.shape)}"
        )
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
                raise RelationError(
                    f"axis {a} of {shape_str(data.shape)} has size {data.shape[a]}, not "
                    "1"
                )
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


define("repeat", _repeat_rel, _INJ,
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
    if shape is not None:  # () is a valid (0-d) shape
        shape = broadcast_shape(cond.shape, shape)
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
        raise RelationError(
            f"cannot broadcast {shape_str(data.shape)} to "
            f"{shape_str(tuple(shape))}"
        )
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


# -- layout_transform -----------------------------------------------------------


def _layout_transform_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    src, dst = parse_layout(attrs.src_layout), parse_layout(attrs.dst_layout)
    if len(src) != len(data.shape):
        raise RelationError(
            f"layout {attrs.src_layout!r} does not match the input rank of "
            f"{shape_str(data.shape)}"
        )
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
            raise RelationError(
                f"{attrs.dst_layout!r} has an axis {letter!r} missing from "
                f"{attrs.src_layout!r}"
            )
        dim = primal[letter]
        for sub, sub_factor in dst:
            if sub == letter.lower():
                if not is_any(dim) and dim % sub_factor:
                    raise RelationError(
                        f"axis {letter} of size {dim} is not divisible by "
                        f"{sub_factor}"
                    )
                dim = Any() if is_any(dim) else dim // sub_factor
        out.append(dim)
    return TensorType(out, data.dtype)


define("layout_transform", _layout_transform_rel, _INJ,
       lambda attrs, inputs, out: [topi.layout_transform(inputs[0], attrs.src_layout, attrs.dst_layout)],
       1, "relay.attrs.LayoutTransformAttrs")


# -- sequences and scans ---------------------------------------------------------


def _sequence_rel(length_name, batch_axis_of, integer_lengths=True):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        lengths = tensor_arg(arg_types, 1, length_name)
        if integer_lengths and not lengths.dtype.startswith(("int", "uint")):
            raise RelationError(f"{length_name} must have an integer dtype, got {lengths.dtype}")
        batch = data.shape[normalize_axis(batch_axis_of(attrs), len(data.shape))]
        if length_name == "seq_lengths" and len(lengths.shape) == 1 and \
                not dims_equal(lengths.shape[0], batch):
            # 0.8's wording (its spelling too), which scripts match on
            raise RelationError(
                "For reverse_sequnece seq_lengths size should match with dimension of batch "
                f"axis, but got dimension of batch_axis = {batch}, and seq_length size = "
                f"{lengths.shape[0]}"
            )
        if len(lengths.shape) != 1 or not dims_equal(lengths.shape[0], batch):
            raise RelationError(
                f"{length_name} {shape_str(lengths.shape)} must be 1-d of the batch size {batch} of "
                f"data {shape_str(data.shape)}"
            )
        return data

    return rel


# 0.8 let sequence_mask's lengths be of any dtype (positions are compared with them).
define("sequence_mask", _sequence_rel("valid_length", lambda attrs: 1 - attrs.axis, integer_lengths=False), _INJ,
       lambda attrs, inputs, out: [topi.sequence_mask(inputs[0], inputs[1], attrs.mask_value,
                                                      attrs.axis)],
       2, "relay.attrs.SequenceMaskAttrs")
define("reverse_sequence", _sequence_rel("seq_lengths", lambda attrs: attrs.batch_axis), _INJ,
       lambda attrs, inputs, out: [topi.reverse_sequence(inputs[0], inputs[1], attrs.seq_axis,
                                                         attrs.batch_axis)],
       2, "relay.attrs.ReverseSequenceAttrs")


def _scan_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    dtype = attrs.dtype or data.dtype
    if attrs.axis is None:
        return TensorType((dim_mul(1, *data.shape),), dtype)
    normalize_axis(attrs.axis, len(data.shape))
    return TensorType(data.shape, dtype)


def _scan_compute(fn):
    return lambda attrs, inputs, out: [fn(inputs[0], attrs.axis, out.dtype, attrs.exclusive)]


define("cumsum", _scan_rel, OpPattern.OPAQUE, _scan_compute(topi.cumsum), 1,
       "relay.attrs.ScanopAttrs")
define("cumprod", _scan_rel, OpPattern.OPAQUE, _scan_compute(topi.cumprod), 1,
       "relay.attrs.ScanopAttrs")


# -- collapse / reverse reshape / unravel ------------------------------------------


def _collapse_sum_like_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    target = tensor_arg(arg_types, 1, "collapse_type")
    out = broadcast_shape(data.shape, target.shape)
    if out is None or len(out) != len(data.shape) or not all(dims_equal(a, b) for a, b in zip(out, data.shape)):
        raise RelationError(
            f"{shape_str(target.shape)} does not broadcast to data "
            f"{shape_str(data.shape)}"
        )
    return TensorType(target.shape, data.dtype)


define("collapse_sum_like", _collapse_sum_like_rel, OpPattern.COMM_REDUCE,
       lambda attrs, inputs, out: [topi.collapse_sum(inputs[0], list(out.shape))], 2)


def _reverse_reshape_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    out = infer_newshape(tuple(reversed(data.shape)), tuple(reversed(attrs.newshape)), dim_mul, _dim_div)
    out = tuple(reversed(out))
    if not is_any(dim_mul(*out)) and not is_any(dim_mul(*data.shape)) and dim_mul(*out) != dim_mul(*data.shape):
        raise RelationError(
            f"cannot reshape {shape_str(data.shape)} to newshape "
            f"{tuple(attrs.newshape)}"
        )
    return TensorType(out, data.dtype)


define("contrib_reverse_reshape", _reverse_reshape_rel, _INJ,
       lambda attrs, inputs, out: [topi.reshape(inputs[0], _static_shape(out, "reverse_reshape"))], 1,
       "relay.attrs.ReshapeAttrs")


def _unravel_index_rel(arg_types, attrs):
    indices = tensor_arg(arg_types, 0, "indices")
    shape = tensor_arg(arg_types, 1, "shape")
    for ty, what in ((indices, "indices"), (shape, "shape")):
        if not ty.dtype.startswith(("int", "uint")):
            raise RelationError(f"{what} must have an integer dtype, got {ty.dtype}")
    if len(shape.shape) != 1 or len(indices.shape) > 1:
        raise RelationError(
            f"expected 0-d or 1-d indices and a 1-d shape, got {shape_str(indices.shape)} and "
            f"{shape_str(shape.shape)}"
        )
    return TensorType(shape.shape + indices.shape, indices.dtype)


define("unravel_index", _unravel_index_rel, _INJ,
       lambda attrs, inputs, out: [topi.unravel_index(inputs[0], inputs[1])], 2)
