"""SimplifyExpr's rules for tensors made from a shape (0.8's ConcretizeLike and
SimplifyFull): they let the identity rules of :mod:`.simplify_expr` see through
``zeros_like`` / ``ones`` / ``full`` operands.

* ``zeros_like``, ``ones_like``, ``full_like``, ``reshape_like``,
  ``collapse_sum_like``, ``broadcast_to_like`` and ``cast_like`` whose result
  type is static become ``zeros``, ``ones``, ``full``, ``reshape``,
  ``collapse_sum_to``, ``broadcast_to`` and ``cast`` with that shape / dtype
  (the ``like`` operand is then no longer read);
* in ``add``, ``subtract``, ``multiply``, ``divide``, an operand made by
  ``zeros`` / ``ones`` / ``full`` becomes a scalar when the other operand
  alone already has the result's type (the full tensor broadcasts nothing).
"""
import numpy as np

from ..expr import Call, Constant
from ._utils import op_name

_ELEMENTWISE = ("add", "subtract", "multiply", "divide")
_LIKE_OPS = ("zeros_like", "ones_like", "full_like", "reshape_like", "collapse_sum_like",
             "broadcast_to_like", "cast_like")


def _static(ty):
    if ty is None or not hasattr(ty, "shape") or ty.is_dynamic():
        return None
    return ty


def concretize_like(new, call):
    """The static form of a ``*_like`` call, or ``new`` unchanged."""
    from ..op import tensor as _tensor  # pylint: disable=import-outside-toplevel
    from ..op import transform as _transform  # pylint: disable=import-outside-toplevel

    out = _static(call._checked_type_)
    if out is None:
        return new
    name, shape, dtype = op_name(new), [int(d) for d in out.shape], out.dtype
    if name == "zeros_like":
        result = _tensor.zeros(shape, dtype)
    elif name == "ones_like":
        result = _tensor.ones(shape, dtype)
    elif name == "full_like":
        result = _transform.full(new.args[1], shape, dtype)
    elif name == "reshape_like":
        result = _transform.reshape(new.args[0], shape)
    elif name == "collapse_sum_like":
        result = _transform.collapse_sum_to(new.args[0], shape)
    elif name == "broadcast_to_like":
        result = _transform.broadcast_to(new.args[0], shape)
    elif name == "cast_like":
        source = call.args[0]._checked_type_
        if source is not None and getattr(source, "dtype", None) == dtype:
            return new.args[0]
        result = _transform.cast(new.args[0], dtype)
    else:
        return new
    result._checked_type_ = out
    return result


def _scalar_of_full(operand, dtype):
    """A scalar expression equal to every element of ``operand`` if it is made by
    ``zeros`` / ``ones`` / ``full`` (with a fill of ``dtype``), else None."""
    name = op_name(operand)
    if name in ("zeros", "ones"):
        return Constant(np.array(0 if name == "zeros" else 1, dtype=dtype))
    if name == "full":
        fill = operand.args[0]
        fill_type = fill._checked_type_
        if isinstance(fill, Constant) and fill.numpy().ndim == 0:
            return Constant(fill.numpy().astype(dtype))
        if fill_type is not None and getattr(fill_type, "shape", None) == () and fill_type.dtype == dtype:
            return fill
    return None


def scalarize_full_operands(new, call):
    """``new`` (an elementwise call) with full-tensor operands made scalars where
    the other operand alone has the result's type."""
    if op_name(new) not in _ELEMENTWISE:
        return new
    out = call._checked_type_
    if out is None:
        return new
    args = list(new.args)
    changed = False
    for index in (0, 1):
        other = call.args[1 - index]._checked_type_
        if other != out:
            continue  # the full operand sets (part of) the result's shape
        scalar = _scalar_of_full(args[index], out.dtype)
        if scalar is not None:
            args[index] = scalar
            changed = True
    if not changed:
        return new
    result = Call(new.op, args, new.attrs, new.type_args)
    result._checked_type_ = out
    return result


__all__ = ["concretize_like", "scalarize_full_operands"]
