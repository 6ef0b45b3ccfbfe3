"""``unmatched_cases``: the values a ``match`` does not cover (0.8's analysis).

The search starts from one candidate, the wildcard (any value). A candidate
is compared with the clauses in order:

* a clause whose pattern cannot match it (another constructor somewhere) is
  skipped;
* a clause that matches every value the candidate stands for covers it;
* a clause that matches only some of them (the candidate is a wildcard where
  the clause names a constructor or a tuple) splits the candidate: the
  wildcard is replaced, where the clause needs it, by every constructor of the
  ADT (with wildcard fields) or by a tuple of wildcards, and the resulting
  candidates (the cartesian product over fields) are searched in turn.

Candidates no clause takes are returned, as patterns: an empty list means the
match is exhaustive.
"""
from . import _nodes

_MATCH, _CLASH, _UNSPECIFIED = 0, 1, 2


def _same_constructor(lhs, rhs):
    if lhs is rhs:
        return True
    return (lhs.name_hint == rhs.name_hint
            and getattr(lhs.belong_to, "name_hint", None) == getattr(rhs.belong_to, "name_hint", None))


def _check(pattern, cand):
    kind = _nodes.kind(pattern)
    if kind in ("PatternWildcard", "PatternVar"):
        return _MATCH
    if kind == "PatternConstructor":
        if _nodes.kind(cand) != "PatternConstructor":
            return _UNSPECIFIED
        if not _same_constructor(pattern.constructor, cand.constructor):
            return _CLASH
    elif kind == "PatternTuple":
        if _nodes.kind(cand) != "PatternTuple":
            return _UNSPECIFIED
    else:
        raise TypeError(f"unmatched_cases: unknown pattern {kind}")
    if len(pattern.patterns) != len(cand.patterns):
        raise ValueError("unmatched_cases: a pattern and a candidate differ in arity")
    result = _MATCH
    for sub, sub_cand in zip(pattern.patterns, cand.patterns):
        found = _check(sub, sub_cand)
        if found == _CLASH:
            return _CLASH
        if found == _UNSPECIFIED:
            result = _UNSPECIFIED
    return result


def _product(fields):
    """All choices of one value per field (the last field varies slowest)."""
    combos = [[]]
    for values in fields:
        combos = [combo + [value] for value in values for combo in combos]
    return combos


def _expand(pattern, cand, mod, adt):
    kind = _nodes.kind(pattern)
    if kind == "PatternConstructor":
        if _nodes.kind(cand) == "PatternWildcard":
            from .. import module as _module  # pylint: disable=import-outside-toplevel

            data = _module.lookup_type_def(mod, pattern.constructor.belong_to)
            return [
                adt.PatternConstructor(ctor, [adt.PatternWildcard() for _ in ctor.inputs])
                for ctor in data.constructors
            ]
        fields = [_expand(p, c, mod, adt) for p, c in zip(pattern.patterns, cand.patterns)]
        return [adt.PatternConstructor(cand.constructor, combo) for combo in _product(fields)]
    if kind == "PatternTuple":
        if _nodes.kind(cand) == "PatternWildcard":
            return [adt.PatternTuple([adt.PatternWildcard() for _ in pattern.patterns])]
        fields = [_expand(p, c, mod, adt) for p, c in zip(pattern.patterns, cand.patterns)]
        return [adt.PatternTuple(combo) for combo in _product(fields)]
    return [cand]


def unmatched_cases(match, mod=None):
    """The cases ``match`` does not cover (empty when it is exhaustive).

    Parameters
    ----------
    match : tvm.relay.Match
    mod : tvm.IRModule, optional
        The module defining the ADTs the patterns use.

    Returns
    -------
    missed : list of tvm.relay.Pattern
    """
    from .. import adt  # pylint: disable=import-outside-toplevel
    import tvm  # pylint: disable=import-outside-toplevel

    if mod is None:
        mod = tvm.IRModule()
    stack = [adt.PatternWildcard()]
    missed = []
    while stack:
        cand = stack.pop()
        for clause in match.clauses:
            found = _check(clause.lhs, cand)
            if found == _CLASH:
                continue
            if found == _UNSPECIFIED:
                stack.extend(_expand(clause.lhs, cand, mod, adt))
            break
        else:
            missed.append(cand)
    return missed


__all__ = ["unmatched_cases"]
