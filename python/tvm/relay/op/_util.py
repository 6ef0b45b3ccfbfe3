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


def te_placeholders(ty, name="input"):
    """TE placeholders for a (typed) argument: one per tensor, tuples flattened.

    ``relay.Any()`` dimensions become ``te.var`` sizes.
    """
    from tvm import te  # pylint: disable=import-outside-toplevel

    from ..ty import Any, TensorType, TupleType  # pylint: disable=import-outside-toplevel

    if isinstance(ty, TupleType):
        out = []
        for i, field in enumerate(ty.fields):
            out.extend(te_placeholders(field, f"{name}_{i}"))
        return out
    if not isinstance(ty, TensorType):
        raise TypeError(f"cannot make a TE placeholder for {ty}")
    shape = [te.var(f"{name}_dim{i}") if isinstance(d, Any) else d for i, d in enumerate(ty.shape)]
    return [te.placeholder(shape, ty.dtype, name)]


def compute_of_call(call):
    """Apply the op's ``FTVMCompute`` to placeholders of a type-checked call.

    Returns
    -------
    inputs, outputs : list of te.Tensor
    """
    op = call.op
    fcompute = op.get_attr("FTVMCompute")
    if fcompute is None:
        raise ValueError(f"operator {op.name} has no FTVMCompute")
    inputs = []
    for i, arg in enumerate(call.args):
        inputs.extend(te_placeholders(arg.checked_type, f"arg{i}"))
    return inputs, list(fcompute(call.attrs, inputs, call.checked_type))


def known_dtype(expr):
    """The dtype of ``expr`` if already known (inferred, annotated or constant), else None."""
    from ..expr import Var  # pylint: disable=import-outside-toplevel

    ty = expr._checked_type_
    if ty is None and isinstance(expr, Var):
        ty = expr.type_annotation
    return getattr(ty, "dtype", None)


def static_values(value, what):
    """``value`` as Python numbers: a relay constant is read, another relay
    expression (upstream's dynamic form of the op) is refused with a clear error."""
    from ..expr import Constant  # pylint: disable=import-outside-toplevel

    if isinstance(value, Constant):
        return value.numpy().tolist()
    if isinstance(value, RelayExpr):
        raise TypeError(
            f"{what} given as a non-constant relay expression (the dynamic form of the op) is "
            "not supported; pass Python ints or a relay constant"
        )
    return value
