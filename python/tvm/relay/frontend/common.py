"""Helpers shared by the frontends (upstream ``relay.frontend.common``).

A frontend builds a Relay graph one source operator at a time and often needs
the shape or the value of what it has built so far (a Reshape whose target shape
is computed by a Shape -> Gather -> Concat chain, a Resize whose size depends on
its input's shape). The helpers here answer those questions without
re-inferring the whole graph each time: :func:`infer_type` stops at
sub-expressions whose type is already known, so converting a graph of ``n``
operators costs ``O(n)`` inference work rather than ``O(n^2)``.
"""
import numpy as np

from .. import expr as _expr
from .. import transform as _transform
from ..expr import Call, Constant, Tuple, TupleGetItem, Var
from ..ty import Any, TensorType, TupleType

__all__ = [
    "infer_type",
    "infer_shape",
    "infer_dtype",
    "infer_value",
    "fold_constant",
    "new_var",
    "get_relay_op",
    "is_static_shape",
]


def _shadow(expr, memo):
    """A copy of ``expr`` in which every already-typed proper sub-expression is a typed Var."""
    found = memo.get(id(expr))
    if found is not None:
        return found[1]
    if isinstance(expr, Var | Constant):
        new = expr
    elif expr._checked_type_ is not None:
        new = Var("typed", expr._checked_type_)
    elif isinstance(expr, Call):
        new = Call(expr.op, [_shadow(a, memo) for a in expr.args], expr.attrs, expr.type_args)
    elif isinstance(expr, Tuple):
        new = Tuple([_shadow(f, memo) for f in expr.fields])
    elif isinstance(expr, TupleGetItem):
        new = TupleGetItem(_shadow(expr.tuple_value, memo), expr.index)
    else:
        new = expr
    memo[id(expr)] = (expr, new)
    return new


def infer_type(node, mod=None):
    """Infer the type of ``node`` and record it as ``node.checked_type``.

    Sub-expressions whose type is already known are not visited again.

    Parameters
    ----------
    node : relay.Expr
        The expression.
    mod : IRModule, optional
        Module for global functions the expression calls.

    Returns
    -------
    node : relay.Expr
        The same expression, now with ``checked_type`` set.
    """
    if node._checked_type_ is None:
        memo = {}
        if isinstance(node, Var | Constant):
            shadow = node
        elif isinstance(node, Call):
            shadow = Call(node.op, [_shadow(a, memo) for a in node.args], node.attrs,
                          node.type_args)
        elif isinstance(node, Tuple):
            shadow = Tuple([_shadow(f, memo) for f in node.fields])
        elif isinstance(node, TupleGetItem):
            shadow = TupleGetItem(_shadow(node.tuple_value, memo), node.index)
        else:
            shadow = node
        node._checked_type_ = _transform.infer_type(shadow, mod)
    return node


def infer_shape(inputs, mod=None):
    """The static shape of a tensor expression as a tuple of ints.

    Dimensions that are not known statically are returned as ``relay.Any``.
    """
    ty = infer_type(inputs, mod).checked_type
    if not isinstance(ty, TensorType):
        raise TypeError(f"expected a tensor, got a value of type {ty}")
    return tuple(d if isinstance(d, Any) else int(d) for d in ty.shape)


def infer_dtype(inputs, mod=None):
    """The dtype string of a tensor expression."""
    ty = infer_type(inputs, mod).checked_type
    if isinstance(ty, TupleType):
        raise TypeError("expected a tensor, got a tuple")
    return str(ty.dtype)


def is_static_shape(shape):
    """Whether every dimension of ``shape`` is a known integer."""
    return not any(isinstance(d, Any) for d in shape)


def fold_constant(node, mod=None):
    """Evaluate the constant sub-expressions of ``node`` (relay ``FoldConstant``)."""
    return _transform.fold_constant(node, mod)


def _free_vars(expr):
    from ..analysis import free_vars  # pylint: disable=import-outside-toplevel

    return free_vars(expr)


def infer_value(input_val, params, mod=None):
    """Evaluate ``input_val`` to a NumPy array.

    Its free variables must all be named in ``params`` (name -> array).

    Raises
    ------
    ValueError
        If a free variable has no value in ``params``.
    """
    binds = {}
    for var in _free_vars(input_val):
        if var.name_hint not in params:
            raise ValueError(
                f"cannot evaluate the expression statically: input {var.name_hint!r} has no value"
            )
        value = params[var.name_hint]
        binds[var] = Constant(value.numpy() if hasattr(value, "numpy") else np.asarray(value))
    folded = fold_constant(_expr.bind(input_val, binds) if binds else input_val, mod)
    if not isinstance(folded, Constant):
        raise ValueError("cannot evaluate the expression statically")
    return folded.numpy()


def new_var(name_hint, type_annotation=None, shape=None, dtype="float32"):
    """A new relay variable (``relay.var``)."""
    return _expr.var(name_hint, type_annotation, shape, dtype)


def get_relay_op(op_name):
    """The relay operator function named ``op_name`` (``"nn.conv2d"``, ``"add"``...).

    Raises
    ------
    tvm.error.OpNotImplemented
        If there is no such operator.
    """
    import tvm  # pylint: disable=import-outside-toplevel
    import tvm.relay as _relay  # pylint: disable=import-outside-toplevel

    func = _relay
    for part in op_name.split("."):
        func = getattr(func, part, None)
        if func is None:
            break
    if func is None or not callable(func):
        raise tvm.error.OpNotImplemented(f"relay has no operator {op_name!r}")
    return func
