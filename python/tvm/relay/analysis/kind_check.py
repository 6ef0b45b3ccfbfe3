"""``check_kind``: the kind of a Relay type, with 0.8's well-kindedness rules.

Kinds are 0.8's ``TypeKind`` values: a tensor, tuple, function or reference
type is of kind ``Type``; a type variable has the kind it was declared with; a
type relation is a ``Constraint``; a global type variable names an ADT
(``AdtHandle``); applying it (``TypeCall``) gives a ``Type``. A type is ill
kinded when a part sits where a different kind is required (a tuple of shape
variables, a relation over constraints, a type call with the wrong number of
arguments); ``check_kind`` raises ``tvm.error.TVMError`` for it, as 0.8.

Nodes are recognised by class name, so the ADT and reference types are
handled when the IR defines them.
"""
import enum

import tvm

from . import _nodes


class _Kind(enum.IntEnum):
    """0.8's ``relay.TypeKind`` values (used when the IR does not define it)."""

    Type = 0
    ShapeVar = 1
    BaseType = 2
    Constraint = 4
    AdtHandle = 5
    TypeData = 6


def _kinds():
    from .. import ty as _ty  # pylint: disable=import-outside-toplevel

    return getattr(_ty, "TypeKind", _Kind)


def _as_kind(value):
    kinds = _kinds()
    try:
        return kinds(int(value))
    except (TypeError, ValueError):
        return value


def _ill_kinded(message, ty):
    raise tvm.error.TVMError(f"check_kind: {message}: {ty}")


def check_kind(t, mod=None):
    """The kind of type ``t``; raises ``tvm.error.TVMError`` if ``t`` is ill kinded.

    Parameters
    ----------
    t : tvm.relay.Type
        The type to check.
    mod : tvm.IRModule, optional
        The module whose type definitions a ``TypeCall`` refers to.

    Returns
    -------
    kind : TypeKind
    """
    kinds = _kinds()
    return _check(t, mod, kinds)


def _expect(sub, want, mod, kinds, where, whole):
    got = _check(sub, mod, kinds)
    if got != want:
        _ill_kinded(f"{where} must be of kind {kinds(want).name}, got {_as_kind(got)!s}", whole)


def _type_data(mod, gtv):
    """The ``TypeData`` a global type variable names in ``mod``."""
    from .. import module as _module  # pylint: disable=import-outside-toplevel

    lookup = getattr(_module, "lookup_type_def", None)
    if lookup is not None:
        try:
            return lookup(mod, gtv)
        except (KeyError, ValueError):
            pass
    defs = getattr(mod, "type_definitions", None)
    if defs is not None:
        items = defs.items() if hasattr(defs, "items") else []
        for key, data in items:
            if key is gtv or getattr(key, "name_hint", None) == gtv.name_hint:
                return data
    _ill_kinded(f"the module defines no type {gtv.name_hint}", gtv)
    return None


def _check(ty, mod, kinds):
    name = _nodes.kind(ty)
    if name in ("TensorType", "PrimType", "PointerType"):
        return kinds.Type
    if name in ("TypeVar", "GlobalTypeVar", "IncompleteType"):
        return _as_kind(getattr(ty, "kind", kinds.Type))
    if name == "TupleType":
        for field in ty.fields:
            _expect(field, kinds.Type, mod, kinds, "a tuple field", ty)
        return kinds.Type
    if name == "FuncType":
        for arg in ty.arg_types:
            _expect(arg, kinds.Type, mod, kinds, "a function argument type", ty)
        _expect(ty.ret_type, kinds.Type, mod, kinds, "a function return type", ty)
        for param in getattr(ty, "type_params", ()) or ():
            if _nodes.kind(param) != "TypeVar":
                _ill_kinded("a function type parameter must be a type variable", ty)
        for constraint in getattr(ty, "type_constraints", ()) or ():
            _expect(constraint, kinds.Constraint, mod, kinds, "a function type constraint", ty)
        return kinds.Type
    if name == "RefType":
        _expect(ty.value, kinds.Type, mod, kinds, "a reference's value type", ty)
        return kinds.Type
    if name == "TypeRelation":
        for arg in ty.args:
            _expect(arg, kinds.Type, mod, kinds, "a type relation argument", ty)
        return kinds.Constraint
    if name == "TypeCall":
        func = ty.func
        if _nodes.kind(func) != "GlobalTypeVar":
            _ill_kinded("a type call must call a global type variable", ty)
        if _check(func, mod, kinds) != kinds.AdtHandle:
            _ill_kinded("a type call must call an ADT handle", ty)
        if mod is None:
            _ill_kinded("a type call needs the module of its type definition", ty)
        data = _type_data(mod, func)
        if len(ty.args) != len(data.type_vars):
            _ill_kinded(
                f"{func.name_hint} takes {len(data.type_vars)} type arguments, got {len(ty.args)}", ty
            )
        for arg in ty.args:
            _expect(arg, kinds.Type, mod, kinds, "a type call argument", ty)
        return kinds.Type
    if name == "TypeData":
        for var in ty.type_vars:
            _expect(var, kinds.Type, mod, kinds, "a type data parameter", ty)
        return kinds.TypeData
    _ill_kinded(f"cannot check the kind of a {name}", ty)
    return None


__all__ = ["check_kind"]
