"""Peano natural numbers on the prelude (0.8's ``relay.testing.nat``).

``nat`` is the ADT ``zero | succ(nat)`` that ``IRModule.import_from_std("nat.rly")``
(or these helpers, on first use) adds to a prelude's module.
"""
from ..backend.interpreter import ConstructorValue

__all__ = ["get_type", "count", "make_nat_value", "make_nat_expr"]


def _ensure_nat(prelude):
    prelude.mod.import_from_std("nat.rly")


def get_type(prelude, name):
    """``(GlobalTypeVar, *constructors)`` of ``name`` in the prelude's module."""
    return prelude.mod.get_type(name)


def count(prelude, n):
    """The Python int of a ``nat`` value (a ``ConstructorValue``)."""
    _ensure_nat(prelude)
    _, zero, succ = get_type(prelude, "nat")
    total = 0
    while True:
        if not isinstance(n, ConstructorValue):
            raise TypeError(f"count: expected a nat value, got {type(n).__name__}")
        if n.tag == zero.tag and getattr(n.constructor, "name_hint", "zero") == zero.name_hint:
            return total
        if n.tag != succ.tag:
            raise ValueError(f"count: {n!r} is not a nat value")
        total += 1
        n = n.fields[0]


def make_nat_value(prelude, n):
    """The ``nat`` value of the Python int ``n`` (a ``ConstructorValue``)."""
    _ensure_nat(prelude)
    _, zero, succ = get_type(prelude, "nat")
    value = ConstructorValue(zero.tag, [], zero)
    for _ in range(n):
        value = ConstructorValue(succ.tag, [value], succ)
    return value


def make_nat_expr(prelude, n):
    """The Relay expression ``succ(...succ(zero())...)`` of the Python int ``n``."""
    _ensure_nat(prelude)
    _, zero, succ = get_type(prelude, "nat")
    expr = zero()
    for _ in range(n):
        expr = succ(expr)
    return expr
