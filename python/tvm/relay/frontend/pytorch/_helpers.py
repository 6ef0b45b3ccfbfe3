"""Small helpers the converters share: dtypes, shapes, Python values as Relay values.

Nothing here imports torch: a TorchScript graph gives a dtype as the integer
code of ``c10::ScalarType`` and an FX graph gives a ``torch.dtype``; both are
read by :func:`relay_dtype` without the torch module.
"""
import numpy as np

from ... import expr as _expr
from ... import op as _op_registry  # noqa: F401  (the op library must be loaded)
from ...op import transform as _transform
from .. import common

__all__ = ["SCALAR_TYPE_CODES", "relay_dtype", "is_expr", "to_expr", "shape_of", "dtype_of",
           "normalize_axis", "int_list", "static_int", "promote"]

#: c10::ScalarType code -> Relay dtype (the codes TorchScript constants use)
SCALAR_TYPE_CODES = {
    0: "uint8", 1: "int8", 2: "int16", 3: "int32", 4: "int64", 5: "float16", 6: "float32",
    7: "float64", 11: "bool", 15: "bfloat16",
}

_NAMES = {
    "double": "float64", "float": "float32", "half": "float16", "long": "int64", "int": "int32",
    "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool",
}


def relay_dtype(value, default=None):
    """The Relay dtype of a torch dtype given as a ScalarType code, a ``torch.dtype`` or a name.

    ``None`` gives ``default``. Raises TypeError for a dtype Relay has no name for.
    """
    if value is None:
        return default
    if isinstance(value, bool):
        raise TypeError(f"not a dtype: {value!r}")
    if isinstance(value, int):
        if value not in SCALAR_TYPE_CODES:
            raise TypeError(f"torch scalar type code {value} has no Relay dtype")
        return SCALAR_TYPE_CODES[value]
    name = str(value).lower()
    if name.startswith("torch."):
        name = name[len("torch."):]
    name = _NAMES.get(name, name)
    if name not in set(SCALAR_TYPE_CODES.values()):
        raise TypeError(f"torch dtype {value!r} has no Relay dtype")
    return name


def is_expr(value):
    return isinstance(value, _expr.RelayExpr)


def to_expr(value, dtype=None):
    """A Relay expression for a tensor input or a Python scalar/list (a constant of ``dtype``)."""
    if is_expr(value):
        return value
    if isinstance(value, list | tuple) and any(is_expr(v) for v in value):
        return _transform_stack([to_expr(v, dtype) for v in value])
    array = np.asarray(value)
    if dtype is None:
        dtype = "bool" if array.dtype == np.bool_ else (
            "int64" if np.issubdtype(array.dtype, np.integer) else "float32")
    return _expr.const(array.astype(dtype), dtype)


def _transform_stack(items):
    from ...op import tensor as _tensor  # pylint: disable=import-outside-toplevel

    return _tensor.stack([_transform.reshape(i, ()) if shape_of(i) != () else i for i in items], 0)


def shape_of(expr):
    """The static shape of a Relay expression (a tuple of ints)."""
    return common.infer_shape(expr)


def dtype_of(value, default="float32"):
    """The dtype of a Relay expression, or of a Python scalar as torch would type it."""
    if is_expr(value):
        return common.infer_dtype(value)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    return default


def normalize_axis(axis, ndim):
    """A non-negative axis for a tensor of rank ``ndim``; ValueError if out of range."""
    axis = int(axis)
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"dimension {axis} is out of range for a tensor of rank {ndim}")
    return axis % max(ndim, 1)


def static_int(value, what="value"):
    """A Python int for a value that must be known at conversion time."""
    if is_expr(value):
        if isinstance(value, _expr.Constant):
            return int(value.data.numpy())
        try:
            return int(common.infer_value(value, {}))
        except ValueError as err:
            raise ValueError(f"{what} must be known at conversion time") from err
    return int(value)


def int_list(value, what="list"):
    """A list of Python ints from a list/tuple (items may be constant Relay scalars) or an int."""
    if value is None:
        return None
    if isinstance(value, int):
        return [value]
    if is_expr(value):
        return [int(v) for v in np.asarray(common.infer_value(value, {})).reshape(-1)]
    return [static_int(v, what) for v in value]


_RANK = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64"]


def promote(lhs, rhs, default="float32"):
    """Both operands as Relay expressions of one dtype, following torch's promotion.

    A Python scalar takes the tensor's dtype unless it is a float and the tensor
    is integral (then both become ``default``), as torch does for "wrapped" numbers.
    """
    if is_expr(lhs) and is_expr(rhs):
        ldt, rdt = dtype_of(lhs), dtype_of(rhs)
        if ldt == rdt:
            return lhs, rhs
        lrank, rrank = len(shape_of(lhs)), len(shape_of(rhs))
        # a 0-d tensor does not decide the dtype against a dimensioned one of the same kind
        if lrank == 0 and rrank > 0 and _kind(ldt) == _kind(rdt):
            return _transform.cast(lhs, rdt), rhs
        if rrank == 0 and lrank > 0 and _kind(ldt) == _kind(rdt):
            return lhs, _transform.cast(rhs, ldt)
        out = max(ldt, rdt, key=_RANK.index)
        return (lhs if ldt == out else _transform.cast(lhs, out),
                rhs if rdt == out else _transform.cast(rhs, out))
    if is_expr(lhs):
        dt = dtype_of(lhs)
        if isinstance(rhs, float) and _kind(dt) != "float":
            return _transform.cast(lhs, default), to_expr(rhs, default)
        return lhs, to_expr(rhs, dt)
    dt = dtype_of(rhs)
    if isinstance(lhs, float) and _kind(dt) != "float":
        return to_expr(lhs, default), _transform.cast(rhs, default)
    return to_expr(lhs, dt), rhs


def _kind(dtype):
    if dtype == "bool":
        return "bool"
    return "float" if dtype.startswith(("float", "bfloat")) else "int"
