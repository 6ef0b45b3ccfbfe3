"""Upstream's module path of the interpreter; it lives in :mod:`tvm.relay.reference`."""
from ..reference.interpreter import Closure, Executor, Interpreter, create_executor, eval_expr

__all__ = ["Closure", "Executor", "Interpreter", "create_executor", "eval_expr"]
