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
    """True if the base module ``mod`` holds at least one Relay function or
    Relay type definition (it then prints and compares as a Relay module)."""
    return bool(_type_table(mod)) or any(
        isinstance(f, RelayFunctionRef) for f in mod.stored_functions.values()
    )


def lookup(mod, key):
    """``mod[key]`` with Relay keys accepted and Relay functions unwrapped; a
    ``GlobalTypeVar`` gives its ``TypeData``."""
    from .ty import GlobalTypeVar  # pylint: disable=import-outside-toplevel

    if isinstance(key, GlobalTypeVar):
        return lookup_type_def(mod, key)
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


def from_expr(expr, functions=None, type_defs=None):
    """A module whose ``main`` is ``expr`` (wrapped in a function of its free
    variables when it is not a function), plus ``functions`` and ``type_defs``
    (``{GlobalTypeVar: TypeData}``)."""
    mod = IRModule()
    for key, data in (type_defs or {}).items():
        add_def(mod, key, data)
    for key, func in (functions or {}).items():
        mod[key] = func
    mod["main"] = expr
    return mod


# -- algebraic data types -------------------------------------------------------
#
# The base IRModule has no type definitions any more. They are kept in one of
# its ``global_infos`` entries: a small FFI node holding a Python dict
# ``{name: TypeData}``. ``IRModule.copy`` (``Module_Clone``, which every pass
# of the fork uses to make its output module) keeps global infos, so a module's
# type definitions follow it through the passes. The dict is never mutated once
# stored: ``add_def`` stores a new one, so a copy and its original stay apart.

_TYPE_DEFS_KEY = "relay_type_definitions"


@py_class("relay.TypeDefinitionTable")
class TypeDefinitionTable(tvm.ir.GlobalInfo):
    """The ADT definitions of a module, ``{name: TypeData}`` (a Python dict)."""

    boxed_defs: Any = field(structural_eq="ignore", default=None)


def _type_table(mod):
    infos = mod.global_infos
    if _TYPE_DEFS_KEY in infos:
        entries = infos[_TYPE_DEFS_KEY]
        if len(entries):
            return entries[0].boxed_defs.value
    return {}


def add_def(mod, var, data, update=False):
    """Add the definition ``data`` of the ADT ``var`` (0.8's ``IRModule.add_def``).

    Each constructor gets its ``tag`` (its index in the definition). Adding a
    second definition under the same name raises unless ``update``.
    """
    from .ty import GlobalTypeVar, TypeData  # pylint: disable=import-outside-toplevel

    if isinstance(var, str):
        var = GlobalTypeVar(var)
    if not isinstance(var, GlobalTypeVar) or not isinstance(data, TypeData):
        raise TypeError(
            f"add_def takes a GlobalTypeVar and a TypeData, got {var!r} and {type(data).__name__}"
        )
    if data.header != var:
        raise ValueError(
            f"the definition of {data.header.name_hint!r} cannot be added under {var.name_hint!r}"
        )
    table = dict(_type_table(mod))
    if var.name_hint in table and table[var.name_hint] is not data and not update:
        raise ValueError(f"the module already defines a type named {var.name_hint!r}")
    for index, ctor in enumerate(data.constructors):
        ctor.tag = constructor_tag(var.name_hint, index)
    table[var.name_hint] = data
    mod.update_global_info(_TYPE_DEFS_KEY, [TypeDefinitionTable(boxed_defs=_Box(table))])


def constructor_tag(type_name, index):
    """The tag of the ``index``-th constructor of the ADT ``type_name``: a
    non-zero byte derived from the name, then the index (as 0.8, tags of one
    type are consecutive, and the same definition gets the same tags in every
    module, so values move between modules)."""
    import zlib  # pylint: disable=import-outside-toplevel

    return ((zlib.crc32(type_name.encode()) % 127) + 1) << 24 | index


class _TypeDefinitions(dict):
    """``{GlobalTypeVar: TypeData}``; ``items()`` is a list, as 0.8's ``Map.items()``."""

    def items(self):
        return list(super().items())


def type_definitions(mod):
    """``{GlobalTypeVar: TypeData}`` of the module."""
    return _TypeDefinitions((data.header, data) for data in _type_table(mod).values())


def get_global_type_var(mod, name):
    """The ``GlobalTypeVar`` of the ADT ``name``."""
    table = _type_table(mod)
    if name not in table:
        raise ValueError(
            f"module has no type definition named {name!r}; it defines {sorted(table)}"
        )
    return table[name].header


def get_global_type_vars(mod):
    """All ADT names of the module, as ``GlobalTypeVar`` s."""
    return [data.header for data in _type_table(mod).values()]


def lookup_type_def(mod, var):
    """The ``TypeData`` of a ``GlobalTypeVar`` (or name)."""
    name = var if isinstance(var, str) else var.name_hint
    table = _type_table(mod)
    if name not in table:
        raise KeyError(f"module has no type definition named {name!r}; it defines {sorted(table)}")
    return table[name]


def get_constructor(mod, tag):
    """The constructor whose ``tag`` is ``tag`` (tags are unique per type only, so
    the first one found when two types share a tag: use ``get_type`` to choose)."""
    for data in _type_table(mod).values():
        for ctor in data.constructors:
            if ctor.tag == tag:
                return ctor
    raise ValueError(f"module has no constructor with tag {tag}")


def get_type(mod, name):
    """``(GlobalTypeVar, *constructors)`` of the ADT ``name`` (0.8's ``IRModule.get_type``)."""
    data = lookup_type_def(mod, name)
    return (data.header,) + tuple(data.constructors)


def import_from_std(mod, file_to_import):
    """Add the definitions of one of 0.8's standard Relay files (``"prelude.rly"``,
    ``"nat.rly"``) to the module. Importing a file twice is a no-op, as upstream."""
    from . import prelude  # pylint: disable=import-outside-toplevel

    prelude.import_std(mod, file_to_import)


def _install_module_methods():
    """0.8's ADT methods of ``IRModule`` (the base dropped them).

    Installed on the base class when Relay is imported, next to the Relay-aware
    methods of ``tvmfork.compat.irmodule_holds_relay``, which calls
    :func:`lookup` for ``mod[GlobalTypeVar]``."""
    cls = IRModule
    if getattr(cls._add, "_relay_adt_patched", False):
        return
    relay_add = cls._add

    def _add(self, var, val, update=True):
        from .ty import GlobalTypeVar, TypeData  # pylint: disable=import-outside-toplevel

        if isinstance(val, TypeData) or isinstance(var, GlobalTypeVar):
            # ``mod[gtv] = TypeData(...)`` (0.8)
            return add_def(self, var, val, update)
        return relay_add(self, var, val, update)

    _add.__doc__ = relay_add.__doc__
    _add._relay_adt_patched = True
    _add._tvmfork_patched = True
    cls._add = _add

    def _add_def(self, var, type_def, update=False):
        add_def(self, var, type_def, update)

    _add_def.__doc__ = add_def.__doc__
    cls.add_def = _add_def
    cls.type_definitions = property(type_definitions, doc=type_definitions.__doc__)
    cls.get_global_type_var = get_global_type_var
    cls.get_global_type_vars = get_global_type_vars
    cls.get_constructor = get_constructor
    cls.get_type = get_type

    def _import_from_std(self, file_to_import):
        from . import prelude  # pylint: disable=import-outside-toplevel

        prelude.import_std(self, file_to_import)

    _import_from_std.__doc__ = import_from_std.__doc__
    cls.import_from_std = _import_from_std


def structural_equal(lhs, rhs, map_free_vars=False):
    """Structural equality of two modules holding Relay functions: the same
    global names, each pair of functions structurally equal (Relay functions by
    :mod:`tvm.relay.structural`, others by the base)."""
    from . import structural  # pylint: disable=import-outside-toplevel

    left_defs, right_defs = _type_table(lhs), _type_table(rhs)
    if sorted(left_defs) != sorted(right_defs):
        return False
    if not all(
        structural.structural_equal(left_defs[n], right_defs[n], map_free_vars) for n in left_defs
    ):
        return False
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


_install_module_methods()

__all__ = ["IRModule", "RelayFunctionRef", "from_expr", "has_relay_functions"]
