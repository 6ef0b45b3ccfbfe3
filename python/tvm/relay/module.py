"""The Relay IRModule: the base's ``tvm.IRModule``, holding Relay functions.

Design choice
-------------
TVM 0.8 scripts build modules with ``tvm.IRModule()``, ``tvm.IRModule({...})``,
``IRModule.from_expr``, ``mod[...] = f`` and ``mod.update(...)``, then hand them
to ``relay.build``, ``InferType``, ``tvm.transform.Sequential`` and so on. Two
designs were weighed:

* a separate Relay module class, converted at every Relay API entry. The entries
  are many (every pass, ``relay.build``, executors, task extraction, frontends)
  and owned by several people, and a module passed through the base's
  ``Sequential`` (C++) must be a base ``IRModule`` anyway, so the conversion
  would have to happen in both directions around every pass;
* one module type: the base ``IRModule`` stores each Relay function in a small
  FFI node, :class:`RelayFunctionRef` (a ``BaseFunc`` defined with
  ``tvm_ffi.dataclasses.py_class`` that holds the Python function object).
  Modules then travel through the base's C++ pass infrastructure unchanged,
  ``isinstance(mod, tvm.IRModule)`` holds, and no Relay entry converts anything.

The second is what this module implements: ``relay.IRModule`` *is*
``tvm.IRModule``. The Relay-aware behaviour of its methods (wrapping a Relay
function on the way in, unwrapping it on the way out, taking Relay
``GlobalVar`` s as keys, printing Relay text) is installed on the base class by
the named patch ``irmodule_holds_relay`` of :mod:`tvmfork.compat`, which calls
the functions below. Modules without Relay functions behave exactly as the
base's.

Relay ``GlobalVar`` s are Python nodes that compare by name; the module keys
are the base's ``GlobalVar`` of the same name, and each stored Relay function
keeps the Relay ``GlobalVar`` it was added under.
"""
from typing import Any

import tvm
from tvm.ir import _ffi_api as _ir_api
from tvm_ffi.dataclasses import field, py_class

from .expr import GlobalVar, RelayExpr
from .function import Function

_EMPTY_ATTRS = tvm.ir.make_node("ir.DictAttrs")

#: The module class of Relay: the base's (see the module docstring).
IRModule = tvm.ir.IRModule


class _Box:
    """Holds a Python object in an FFI field as an opaque object: FFI would
    turn a callable (a Relay function is callable) into an ``ffi.Function``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


@py_class("relay.RelayFunctionRef")
class RelayFunctionRef(tvm.ir.BaseFunc):
    """A Relay function stored in a base ``IRModule``.

    Attributes
    ----------
    func : relay.Function
        The Relay function (a Python object).
    gvar : relay.GlobalVar
        The Relay global variable it was added under.
    """

    boxed_func: Any = field(structural_eq="ignore", default=None)
    boxed_gvar: Any = field(structural_eq="ignore", default=None)

    @property
    def func(self):
        """The Relay function."""
        return self.boxed_func.value

    @property
    def gvar(self):
        """The Relay ``GlobalVar``."""
        return self.boxed_gvar.value


def _name_of(key):
    if isinstance(key, str):
        return key
    if isinstance(key, GlobalVar | tvm.ir.GlobalVar):
        return key.name_hint
    raise TypeError(f"module key must be a name or a GlobalVar, got {key!r}")


def is_relay_value(value):
    """True for a Relay expression (what :func:`store` wraps)."""
    return isinstance(value, RelayExpr)


def store(key, value):
    """The base key and the stored value for ``mod[key] = value``.

    A Relay expression that is not a function becomes a function of its free
    variables, as 0.8's ``IRModule.__setitem__`` did.
    """
    if not isinstance(value, Function):
        from .analysis import free_vars  # pylint: disable=import-outside-toplevel

        value = Function(free_vars(value), value)
    name = _name_of(key)
    gvar = key if isinstance(key, GlobalVar) else GlobalVar(name)
    return name, RelayFunctionRef(_EMPTY_ATTRS, boxed_func=_Box(value), boxed_gvar=_Box(gvar))


def load(value):
    """The Relay function behind a stored value (other values unchanged)."""
    if isinstance(value, RelayFunctionRef):
        return value.func
    return value


def has_relay_functions(mod):
    """True if the base module ``mod`` holds at least one Relay function."""
    return any(isinstance(f, RelayFunctionRef) for f in mod.stored_functions.values())


def lookup(mod, key):
    """``mod[key]`` with Relay keys accepted and Relay functions unwrapped."""
    name = _name_of(key)
    if not _ir_api.Module_ContainGlobalVar(mod, name):
        names = sorted(g.name_hint for g in _ir_api.Module_GetGlobalVars(mod))
        raise KeyError(f"module has no global function {name!r}; it has {names}")
    return load(_ir_api.Module_Lookup_str(mod, name))


def items(mod):
    """``[(GlobalVar, function)]`` sorted by name: Relay ``GlobalVar`` s and
    functions for the Relay entries, the base's for the others."""
    result = []
    for gvar, func in mod.stored_functions.items():
        if isinstance(func, RelayFunctionRef):
            result.append((func.gvar, func.func))
        else:
            result.append((gvar, func))
    result.sort(key=lambda item: str(item[0].name_hint))
    return result


def global_var(mod, name):
    """The Relay ``GlobalVar`` of a Relay function, else the base's."""
    value = _ir_api.Module_Lookup_str(mod, name) if _ir_api.Module_ContainGlobalVar(mod, name) else None
    if isinstance(value, RelayFunctionRef):
        return value.gvar
    return _ir_api.Module_GetGlobalVar(mod, name)


def from_expr(expr, functions=None, type_defs=None):  # pylint: disable=unused-argument
    """A module whose ``main`` is ``expr`` (wrapped in a function of its free
    variables when it is not a function), plus ``functions``."""
    mod = IRModule()
    for key, func in (functions or {}).items():
        mod[key] = func
    mod["main"] = expr
    return mod


def structural_equal(lhs, rhs, map_free_vars=False):
    """Structural equality of two modules holding Relay functions: the same
    global names, each pair of functions structurally equal (Relay functions by
    :mod:`tvm.relay.structural`, others by the base)."""
    from . import structural  # pylint: disable=import-outside-toplevel

    left, right = dict(items(lhs)), dict(items(rhs))
    if sorted(g.name_hint for g in left) != sorted(g.name_hint for g in right):
        return False
    by_name = {g.name_hint: f for g, f in right.items()}
    for gvar, func in left.items():
        other = by_name[gvar.name_hint]
        if isinstance(func, Function) != isinstance(other, Function):
            return False
        if isinstance(func, Function):
            if not structural.structural_equal(func, other, map_free_vars):
                return False
        elif not tvm.ir.structural_equal(func, other, map_free_vars):
            return False
    return True


def assert_structural_equal(lhs, rhs, map_free_vars=False):
    """Raise ``ValueError`` showing both modules if they differ structurally."""
    if not structural_equal(lhs, rhs, map_free_vars):
        raise ValueError(f"modules are not structurally equal:\n--- lhs ---\n{lhs}\n--- rhs ---\n{rhs}")


def structural_hash(mod, map_free_vars=False):
    """A hash that agrees with :func:`structural_equal`."""
    from . import structural  # pylint: disable=import-outside-toplevel

    parts = []
    for gvar, func in items(mod):
        if isinstance(func, Function):
            parts.append((gvar.name_hint, structural.structural_hash(func, map_free_vars)))
        else:
            parts.append((gvar.name_hint, tvm.ir.structural_hash(func, map_free_vars)))
    return hash(tuple(parts))


def astext(mod, show_meta_data=False):
    """Relay text of a module holding Relay functions."""
    from .printer import astext as _astext  # pylint: disable=import-outside-toplevel

    return _astext(mod, show_meta_data)


__all__ = ["IRModule", "RelayFunctionRef", "from_expr", "has_relay_functions"]
