"""Type relations: how each operator's output type follows from its inputs.

The relation interface
----------------------
A type relation is registered on an op as its ``"FInferType"`` attribute
(``register_type_rel``) and is called by ``relay.transform.InferType`` as::

    out_type = rel(arg_types, attrs)

``arg_types``
    a Python ``list`` with one entry per call argument: a :class:`TensorType`,
    a :class:`TupleType` (for ops taking a tuple, e.g. ``concatenate``) or an
    :class:`IncompleteType` when the argument is a variable declared without a
    type (``relay.var("fc1_weight")``).
``attrs``
    the call's :class:`~tvm.relay.attrs.Attrs` (``None`` for attribute-less ops).

The relation returns the output type. When it can deduce an argument that is
still an :class:`IncompleteType` (a dense weight from ``units`` and the data's
last axis, a conv2d weight from ``channels``/``kernel_size``, the ``bias_add``
and ``batch_norm`` parameters from the data's channel axis...), it writes the
deduced type into ``arg_types[i]`` in place; the inferencer then binds the
variable to it, so later uses of that variable and ``var.checked_type`` see it.
A relation never overwrites an argument whose type is already known.

A relation reports a user error by raising :class:`RelationError` with a message
that names the shapes or dtypes involved; the inferencer prefixes the op name
and re-raises it as :class:`RelayTypeError`, e.g.
``nn.dense: input (1, 784) and weight (128, 100) disagree on the reduction axis``.

Dimensions are Python ints or :class:`~tvm.relay.ty.Any`; the helpers here do
arithmetic on both (anything combined with ``Any`` is ``Any``).
"""
import tvm.error
import tvm_ffi

from ..ty import Any, IncompleteType, TensorType, TupleType


# Registered so that it keeps its class when raised inside a pass (a pass runs
# under the base's C++ pass manager, which re-raises by registered name).
@tvm_ffi.register_error("RelayTypeError")
class RelayTypeError(tvm.error.DiagnosticError, ValueError):
    """A Relay program is ill-typed (raised by ``InferType``)."""


class RelationError(ValueError):
    """Raised by a type relation; the inferencer adds the op name."""


# ---------------------------------------------------------------------------
# dimension arithmetic


def is_any(dim):
    return isinstance(dim, Any)


def shape_str(shape):
    """``(1, 3, ?)`` the way Python prints tuples (single dims keep their comma)."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def dim_add(*dims):
    if any(is_any(d) for d in dims):
        return Any()
    return sum(dims)


def dim_mul(*dims):
    total = 1
    for dim in dims:
        if is_any(dim):
            return Any()
        total *= dim
    return total


def dim_conv_out(size, kernel, stride, pad_before, pad_after, dilation=1, ceil_mode=False):
    """Output size of a sliding window (convolution / pooling)."""
    if is_any(size) or is_any(kernel):
        return Any()
    span = (kernel - 1) * dilation + 1
    extent = size + pad_before + pad_after - span
    if ceil_mode:
        out = -(-extent // stride) + 1
        # the last window must start inside the (left-padded) input, as topi
        if (out - 1) * stride >= size + pad_before:
            out -= 1
        return out
    return extent // stride + 1


def dims_equal(a, b):
    """Equal, or at least one side unknown."""
    return is_any(a) or is_any(b) or a == b


def shapes_compatible(a, b):
    return len(a) == len(b) and all(dims_equal(x, y) for x, y in zip(a, b))


def normalize_axis(axis, ndim, what="axis"):
    if not -ndim <= axis < ndim:
        raise RelationError(f"{what} {axis} is out of range for a tensor of rank {ndim}")
    return axis + ndim if axis < 0 else axis


# ---------------------------------------------------------------------------
# argument access


def tensor_arg(arg_types, index, name="input"):
    """The :class:`TensorType` of argument ``index``; a clear error otherwise."""
    ty = arg_types[index]
    if isinstance(ty, TensorType):
        return ty
    if isinstance(ty, IncompleteType):
        raise RelationError(
            f"the type of argument {index} ({name}) is unknown and cannot be deduced "
            "from the other arguments; give the variable a type annotation"
        )
    raise RelationError(f"argument {index} ({name}) must be a tensor, got {ty}")


def tuple_arg(arg_types, index, name="input"):
    ty = arg_types[index]
    if isinstance(ty, TupleType):
        fields = []
        for i, field in enumerate(ty.fields):
            if not isinstance(field, TensorType):
                raise RelationError(f"field {i} of the tuple {name} must be a tensor, got {field}")
            fields.append(field)
        return fields
    if isinstance(ty, IncompleteType):
        raise RelationError(f"the type of the tuple argument {name} is unknown")
    raise RelationError(f"argument {index} ({name}) must be a tuple of tensors, got {ty}")


def fill_arg(arg_types, index, ty, name="argument"):
    """Deduce argument ``index`` as ``ty`` if unknown, else check it agrees."""
    current = arg_types[index]
    if isinstance(current, IncompleteType):
        arg_types[index] = ty
        return ty
    if not isinstance(current, TensorType):
        raise RelationError(f"{name} must be a tensor, got {current}")
    if not shapes_compatible(current.shape, ty.shape):
        raise RelationError(
            f"{name} has shape {shape_str(current.shape)}, expected {shape_str(ty.shape)}"
        )
    if current.dtype != ty.dtype:
        raise RelationError(f"{name} has dtype {current.dtype}, expected {ty.dtype}")
    return current


def check_same_dtype(types, names):
    first = types[0].dtype
    for ty, name in zip(types[1:], names[1:]):
        if ty.dtype != first:
            raise RelationError(
                f"dtype mismatch: {names[0]} is {first} but {name} is {ty.dtype}"
            )


# ---------------------------------------------------------------------------
# generic relations


def identity_rel(arg_types, attrs):
    """Output has the type of the first argument (elementwise unary ops)."""
    return tensor_arg(arg_types, 0, "data")


def broadcast_shape(lhs, rhs):
    """NumPy broadcasting of two shapes (``Any`` against ``n`` gives ``n``)."""
    ndim = max(len(lhs), len(rhs))
    lhs = (1,) * (ndim - len(lhs)) + tuple(lhs)
    rhs = (1,) * (ndim - len(rhs)) + tuple(rhs)
    out = []
    for a, b in zip(lhs, rhs):
        if not is_any(a) and a == 1:
            out.append(b)
        elif not is_any(b) and b == 1:
            out.append(a)
        elif is_any(a) and is_any(b):
            out.append(Any())
        elif is_any(a):
            out.append(b)
        elif is_any(b):
            out.append(a)
        elif a == b:
            out.append(a)
        else:
            return None
    return tuple(out)


def _broadcast(arg_types, out_dtype=None):
    lhs = tensor_arg(arg_types, 0, "lhs")
    rhs = tensor_arg(arg_types, 1, "rhs")
    if lhs.dtype != rhs.dtype:
        raise RelationError(
            f"dtype mismatch: lhs is {lhs.dtype} but rhs is {rhs.dtype}"
        )
    shape = broadcast_shape(lhs.shape, rhs.shape)
    if shape is None:
        raise RelationError(
            f"shapes {shape_str(lhs.shape)} and {shape_str(rhs.shape)} cannot be broadcast together"
        )
    return TensorType(shape, out_dtype or lhs.dtype)


def broadcast_rel(arg_types, attrs):
    """Binary ops with NumPy broadcasting; both sides share a dtype."""
    return _broadcast(arg_types)


def broadcast_bool_rel(arg_types, attrs):
    """Comparisons: broadcast shape, ``bool`` result."""
    return _broadcast(arg_types, "bool")


# ---------------------------------------------------------------------------
# layouts


def layout_axes(layout, expected, what="layout"):
    """Positions of the primal axes ``expected`` (e.g. ``"NCHW"``) in ``layout``.

    Only plain layouts are accepted (each primal axis once, no split ``16c``).
    """
    if len(layout) != len(expected) or sorted(layout) != sorted(expected):
        raise RelationError(
            f"{what} {layout!r} is not supported: expected a permutation of {expected!r}"
        )
    return {axis: layout.index(axis) for axis in expected}


def shape_from_layout(layout, sizes):
    """A shape in ``layout`` from ``{axis letter: size}``."""
    return tuple(sizes[axis] for axis in layout)


def parse_layout(layout):
    """``"NCHW16c"`` -> ``[("N", None), ("C", None), ("H", None), ("W", None), ("c", 16)]``.

    Upper-case letters are primal axes; a lower-case letter is a sub-axis of
    the primal axis of the same letter, of the size written before it.
    """
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


def to_primal(shape, layout, expected, what="layout"):
    """``{primal axis: size}`` of a tensor of ``shape`` in ``layout`` (split axes multiplied back).

    ``expected`` names the primal axes the layout must have (e.g. ``"NCHW"``).
    """
    axes = parse_layout(layout)
    primal = [letter for letter, _ in axes if letter.isupper()]
    subs = [letter for letter, _ in axes if letter.islower()]
    if sorted(primal) != sorted(expected) or any(s.upper() not in primal for s in subs):
        raise RelationError(
            f"{what} {layout!r} is not supported: expected a layout of the axes {expected!r}"
        )
    if len(axes) != len(shape):
        raise RelationError(
            f"{what} {layout!r} does not match the rank of "
            f"{shape_str(tuple(shape))}"
        )
    sizes = {}
    for (letter, _), dim in zip(axes, shape):
        if letter.isupper():
            sizes[letter] = dim
    for (letter, factor), dim in zip(axes, shape):
        if letter.islower():
            if not is_any(dim) and dim != factor:
                raise RelationError(
                    f"axis {letter!r} of {shape_str(tuple(shape))} in {layout!r} must be "
                    f"{factor}"
                )
            sizes[letter.upper()] = dim_mul(sizes[letter.upper()], factor)
    return sizes


def from_primal(sizes, layout, what="layout"):
    """The shape in ``layout`` of a tensor with primal axis sizes ``sizes``."""
    axes = parse_layout(layout)
    split = {}
    for letter, factor in axes:
        if letter.islower():
            split[letter.upper()] = split.get(letter.upper(), 1) * factor
    shape = []
    for letter, factor in axes:
        if letter.islower():
            shape.append(factor)
            continue
        if letter not in sizes:
            raise RelationError(
                f"{what} {layout!r} has an axis {letter!r} the tensor does not "
                "have"
            )
        dim, block = sizes[letter], split.get(letter, 1)
        if not is_any(dim) and dim % block:
            raise RelationError(
                f"axis {letter} of size {dim} is not divisible by {block} ({what} "
                f"{layout!r})"
            )
        shape.append(dim if is_any(dim) or block == 1 else dim // block)
    return tuple(shape)
