"""Upstream's module path of the Relay interpreter, kept for compatibility.

The interpreter is the NumPy reference interpreter of :mod:`tvm.relay.reference`;
this module only re-exports its public names (``relay.create_executor("debug")``
reaches it through here).
"""
from ..reference import (
    Closure,
    ConstructorValue,
    Executor,
    Interpreter,
    RefValue,
    create_executor,
    eval_expr,
    to_runtime,
)

__all__ = [
    "Closure",
    "ConstructorValue",
    "RefValue",
    "Executor",
    "Interpreter",
    "create_executor",
    "eval_expr",
    "to_runtime",
]
