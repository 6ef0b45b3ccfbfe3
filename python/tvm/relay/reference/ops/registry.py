"""The registry of reference kernels and :func:`run_op`, which evaluates one operator call.

A kernel is ``kernel(attrs, args) -> value`` where ``attrs`` is the call's
:class:`~tvm.relay.attrs.Attrs` (or ``None``), ``args`` the list of argument
values (NumPy arrays, or tuples of them for tuple inputs) and the value is an
array or a tuple of arrays. Kernel modules register themselves with
:func:`register_kernel`; importing :mod:`tvm.relay.reference.ops` imports all
of them.
"""
import numpy as np

import tvm.error

_KERNELS = {}


class RuntimeCheckError(ValueError, tvm.error.TVMError):
    """A value failed a check at run time: an input of the wrong shape, operands that
    do not broadcast. A ``ValueError``, and the ``TVMError`` 0.8's runtime raised."""


def register_kernel(*names):
    """Decorator registering a kernel under one or more operator names."""

    def _register(func):
        for name in names:
            _KERNELS[name] = func
        return func

    return _register


def get_kernel(op_name):
    """The reference kernel of ``op_name``; raises ``OpNotImplemented`` naming the op."""
    kernel = _KERNELS.get(op_name)
    if kernel is None:
        raise tvm.error.OpNotImplemented(
            f"the reference interpreter has no NumPy kernel for operator {op_name!r}"
        )
    return kernel


def list_kernels():
    """Names of the operators the interpreter can evaluate."""
    return sorted(_KERNELS)


def run_op(op_name, attrs, args, call=None):
    """Evaluate one operator call; check the result against the call's inferred type."""
    kernel = get_kernel(op_name)
    for i, arg in enumerate(args):
        if not isinstance(arg, np.ndarray | tuple):
            raise TypeError(
                f"argument {i} of operator {op_name!r} is a {type(arg).__name__}, "
                "not a tensor or tuple"
            )
    with np.errstate(all="ignore"):
        try:
            result = _as_value(kernel(attrs, args))
        except (ValueError, TypeError, IndexError) as err:
            error_class = RuntimeCheckError if type(err) is ValueError else type(err)
            if op_name in str(err) and error_class is type(err):
                raise
            message = str(err) if op_name in str(err) else f"{op_name}: {err}"
            try:
                named = error_class(message)
            except Exception:  # pylint: disable=broad-except
                raise err from None
            raise named from err
    if call is not None:
        _check_result(op_name, result, call._checked_type_)  # pylint: disable=protected-access
    return result


def _as_value(result):
    """Kernel results as interpreter values: NumPy scalars become 0-d arrays."""
    if isinstance(result, tuple):
        return tuple(_as_value(r) for r in result)
    if isinstance(result, np.ndarray):
        return result
    return np.asarray(result)


def _check_result(op_name, value, expected):
    """Self-check: the value must have the type inference found (when it ran)."""
    from ... import ty as _ty  # pylint: disable=import-outside-toplevel

    if expected is None:
        return
    if isinstance(expected, _ty.TensorType) and isinstance(value, np.ndarray):
        if expected.is_dynamic():
            return
        if tuple(value.shape) != tuple(expected.shape) or str(value.dtype) != expected.dtype:
            raise ValueError(
                f"reference kernel of {op_name!r} produced shape {value.shape} dtype "
                f"{value.dtype}, but type inference says {tuple(expected.shape)} "
                f"{expected.dtype}"
            )
    elif isinstance(expected, _ty.TupleType) and isinstance(value, tuple):
        for field_value, field_type in zip(value, expected.fields):
            _check_result(op_name, field_value, field_type)
