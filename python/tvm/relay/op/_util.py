"""Helpers shared by the op-library modules: declare an op, build its calls."""
from ..attrs import Attrs
from ..expr import Call, RelayExpr, const
from . import op as _op


def define(name, rel, pattern, compute=None, num_inputs=-1, attrs_type_key="", describe=""):
    """Declare operator ``name`` with its type relation, fusion pattern and TOPI compute."""
    op = _op.register_op(name, num_inputs, attrs_type_key, describe)
    _op.register_type_rel(name, rel)
    _op.register_pattern(name, pattern)
    if compute is not None:
        _op.register_compute(name, compute)
    return op


def make_call(name, args, attrs_type_key=None, **fields):
    """``Call(op(name), args, Attrs(attrs_type_key, fields))``."""
    attrs = Attrs(attrs_type_key, fields) if attrs_type_key else None
    return Call(_op.get(name), args, attrs)


def as_expr(value, dtype=None):
    """A relay expression for ``value`` (Python numbers become constants)."""
    if isinstance(value, RelayExpr):
        return value
    return const(value, dtype)


def int_tuple(value, size, what):
    """``value`` as a tuple of ``size`` ints (an int is repeated)."""
    if isinstance(value, int):
        return (value,) * size
    value = tuple(value)
    if len(value) == 1 and size > 1:
        return value * size
    if len(value) != size:
        raise ValueError(f"{what} must have {size} values, got {value}")
    return value


def int_or_none_tuple(value):
    if value is None:
        return None
    if isinstance(value, int):
        return (value,)
    return tuple(value)
