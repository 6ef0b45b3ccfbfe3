"""``debug`` (0.8's ``relay.op.debug``): call a Python function on a value.

``debug(expr, debug_func)`` is ``expr``; evaluated by the reference interpreter
(``create_executor("debug")``, and the parts of a program the VM runs on it), it
first calls ``debug_func(value)`` with the value as a ``tvm.runtime.Tensor``
(a list of them for a tuple). As in 0.8 the function is registered as a global
function named ``debugger_func<N>``, which the call's ``DebugAttrs`` name. Compiled
code (``relay.build``) keeps the value and does not call the function.
"""
import itertools

import tvm
from tvm import topi

from ._util import define, make_call
from .op import OpPattern

__all__ = ["debug", "call_debug_func"]

_COUNTER = itertools.count()


def _debug_rel(arg_types, attrs):  # pylint: disable=unused-argument
    return arg_types[0]


define("debug", _debug_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.identity(t) for t in inputs], 1, "relay.attrs.DebugAttrs")


def debug(expr, debug_func=None):
    """``expr``, with ``debug_func(value)`` called when the interpreter evaluates it.

    Parameters
    ----------
    expr : relay.Expr
    debug_func : callable, optional
        Called with the value; without it the call only marks the value.

    Returns
    -------
    relay.Expr
    """
    name = ""
    if debug_func is not None:
        name = f"debugger_func{next(_COUNTER)}"
        tvm.register_func(name, debug_func)
    return make_call("debug", [expr], "relay.attrs.DebugAttrs", debug_func=name)


def call_debug_func(attrs, value):
    """Call the function a ``debug`` call names (if any) with ``value``
    (NumPy arrays are passed as runtime tensors); returns ``value``."""
    name = str(attrs["debug_func"]) if attrs is not None else ""
    if name:
        func = tvm.get_global_func(name)

        def as_runtime(item):
            if isinstance(item, list | tuple):
                return [as_runtime(v) for v in item]
            return tvm.runtime.tensor(item) if hasattr(item, "dtype") and not isinstance(
                item, tvm.runtime.Tensor) else item

        func(as_runtime(value))
    return value
