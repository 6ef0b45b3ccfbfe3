"""NumPy reference kernels of Relay's data-movement operators.

Reshapes, transposes, broadcasts, slicing, concatenation, splitting, tiling,
reversal and layout transforms, each written from the operator's semantics
(upstream TVM 0.8 names and attributes); gathers and sorts are in
:mod:`.index`. Registered on import of :mod:`tvm.relay.reference.ops`.
"""
import numpy as np

from .common import acc_dtype, attr, contiguous, normalize_axes
from .layout import convert_layout
from .registry import register_kernel


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


# ------------------------------------------------------------ layout transform
@register_kernel("layout_transform")
def _layout_transform(attrs, args):
    return convert_layout(args[0], attr(attrs, "src_layout"), attr(attrs, "dst_layout"))


@register_kernel("matrix_set_diag")
def _matrix_set_diag(attrs, args):
    data, diagonal = args
    k1, k2 = int(attr(attrs, "k1", 0)), int(attr(attrs, "k2", 0))
    super_right = bool(attr(attrs, "super_diag_right_align", True))
    sub_right = bool(attr(attrs, "sub_diag_right_align", False))
    rows, cols = data.shape[-2:]
    out = data.copy()
    if k1 == k2:
        diagonal = diagonal[..., None, :]
    max_len = diagonal.shape[-1]
    for d in range(k1, k2 + 1):
        length = min(rows + min(0, d), cols - max(0, d))
        right = super_right if d >= 0 else sub_right
        shift = max_len - length if right else 0
        values = diagonal[..., k2 - d, :]
        for n in range(length):
            r = n + max(0, -d)
            out[..., r, r + d] = values[..., n + shift]
    return out


@register_kernel("strided_set")
def _strided_set(attrs, args):  # pylint: disable=unused-argument
    data, value, begin, end, strides = args
    out = data.copy()
    index = tuple(slice(int(b), int(e), int(s)) for b, e, s in zip(begin, end, strides))
    out[index] = value
    return out


@register_kernel("annotation.checkpoint", "annotation.stop_fusion")
def _annotation_identity(_attrs, args):
    return args[0]
