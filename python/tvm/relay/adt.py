"""Algebraic data types and pattern matching (0.8's ``tvm.relay.adt``).

A type definition (:class:`~tvm.relay.ty.TypeData`) names a type
(:class:`~tvm.relay.ty.GlobalTypeVar`), its type parameters and its
:class:`Constructor` s; ``IRModule.add_def`` registers it, which gives each
constructor its ``tag``. A :class:`Match` takes a value apart with patterns:

* :class:`PatternWildcard` matches anything,
* :class:`PatternVar` matches anything and binds it to a variable,
* :class:`PatternConstructor` matches a value built by one constructor, and its
  fields against sub-patterns,
* :class:`PatternTuple` matches a tuple field by field.

Like the other IR nodes of the fork these are Python objects (see
:mod:`tvm.relay.expr`).
"""
from .expr import Call, RelayExpr, Var
from .ty import GlobalTypeVar, Type, TypeData  # noqa: F401  (0.8 exported TypeData here)

__all__ = [
    "Constructor",
    "TypeData",
    "Pattern",
    "PatternWildcard",
    "PatternVar",
    "PatternConstructor",
    "PatternTuple",
    "Clause",
    "Match",
]


class Constructor(RelayExpr):
    """A constructor of an algebraic data type; calling it builds a value.

    Parameters
    ----------
    name_hint : str
        The name (``"Cons"``).
    inputs : list of Type
        The types of its fields (may mention the ADT's type variables).
    belong_to : GlobalTypeVar
        The ADT it constructs.

    ``tag`` is the constructor's index in its type definition, set when the
    definition is added to a module (-1 before). Equality is identity.
    """

    __slots__ = ("name_hint", "inputs", "belong_to", "tag", "_type_data")

    def __init__(self, name_hint, inputs, belong_to):
        super().__init__()
        if not isinstance(belong_to, GlobalTypeVar):
            raise TypeError(
                f"constructor {name_hint!r}: belong_to must be a GlobalTypeVar, got {belong_to!r}"
            )
        self.name_hint = str(name_hint)
        self.inputs = tuple(inputs)
        for ty in self.inputs:
            if not isinstance(ty, Type):
                raise TypeError(f"constructor {name_hint!r}: field type {ty!r} is not a relay type")
        self.belong_to = belong_to
        self.tag = -1
        self._type_data = None

    def __call__(self, *args):
        return Call(self, args)


class Pattern:
    """Base class of patterns (the left-hand side of a :class:`Clause`)."""

    __slots__ = ("__weakref__",)

    def __str__(self):
        from .printer import pattern_to_str  # pylint: disable=import-outside-toplevel

        return pattern_to_str(self)

    __repr__ = __str__


class PatternWildcard(Pattern):
    """``_``: matches any value, binds nothing."""

    __slots__ = ()


class PatternVar(Pattern):
    """Matches any value and binds it to ``var``."""

    __slots__ = ("var",)

    def __init__(self, var):
        if not isinstance(var, Var):
            raise TypeError(f"PatternVar binds a relay Var, got {var!r}")
        self.var = var


class PatternConstructor(Pattern):
    """Matches a value built by ``constructor`` whose fields match ``patterns``."""

    __slots__ = ("constructor", "patterns")

    def __init__(self, constructor, patterns=None):
        if not isinstance(constructor, Constructor):
            raise TypeError(f"PatternConstructor needs a Constructor, got {constructor!r}")
        self.constructor = constructor
        self.patterns = tuple(patterns or ())
        for pat in self.patterns:
            if not isinstance(pat, Pattern):
                raise TypeError(f"sub-pattern of {constructor.name_hint!r} is not a pattern: {pat!r}")


class PatternTuple(Pattern):
    """Matches a tuple whose fields match ``patterns``."""

    __slots__ = ("patterns",)

    def __init__(self, patterns=None):
        self.patterns = tuple(patterns or ())
        for pat in self.patterns:
            if not isinstance(pat, Pattern):
                raise TypeError(f"tuple sub-pattern is not a pattern: {pat!r}")


class Clause:
    """One case of a :class:`Match`: a pattern and the expression evaluated when it matches."""

    __slots__ = ("lhs", "rhs", "__weakref__")

    def __init__(self, lhs, rhs):
        if not isinstance(lhs, Pattern):
            raise TypeError(f"clause left-hand side must be a pattern, got {lhs!r}")
        if not isinstance(rhs, RelayExpr):
            raise TypeError(f"clause right-hand side must be a relay expression, got {rhs!r}")
        self.lhs = lhs
        self.rhs = rhs


class Match(RelayExpr):
    """``match (data) { clauses }``: the first clause whose pattern matches is taken.

    ``complete`` (the default) says the clauses cover every value; with
    ``complete=False`` (``match?`` in text) no value-coverage is claimed.
    """

    __slots__ = ("data", "clauses", "complete")

    def __init__(self, data, clauses, complete=True):
        super().__init__()
        if not isinstance(data, RelayExpr):
            raise TypeError(f"match needs a relay expression, got {data!r}")
        self.data = data
        self.clauses = tuple(clauses)
        for clause in self.clauses:
            if not isinstance(clause, Clause):
                raise TypeError(f"match clauses must be Clause objects, got {clause!r}")
        self.complete = bool(complete)


def pattern_vars(pattern):
    """The variables a pattern binds, left to right."""
    if isinstance(pattern, PatternVar):
        return [pattern.var]
    if isinstance(pattern, PatternConstructor | PatternTuple):
        return [v for p in pattern.patterns for v in pattern_vars(p)]
    return []
