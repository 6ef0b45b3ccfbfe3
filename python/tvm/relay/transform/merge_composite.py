"""MergeComposite: wrap the matches of a pattern table into composite functions.

Each ``(name, pattern[, check])`` entry of the table, in order (earlier
entries have priority), partitions every Relay function of the module with
:func:`tvm.relay.dataflow_pattern.partition`: each match whose ``check(pre)``
holds becomes a call of a function carrying the attributes
``"Composite": name`` and ``"PartitionedFromPattern"`` (the ops it holds).
Types are inferred again after each entry, so the next entry's ``check`` can
read ``checked_type`` on any node, including calls of the composite functions
made so far. External code generators (BYOC) map each composite function to
one external operator.
"""
from ..function import Function
from ._utils import TypedFunctionPass

__all__ = ["MergeComposite"]


def _table(pattern_table):
    from ..dataflow_pattern import DFPattern  # pylint: disable=import-outside-toplevel

    if isinstance(pattern_table, tuple) and pattern_table and isinstance(pattern_table[0], str):
        raise TypeError(
            "MergeComposite needs a list of (name, pattern[, check]) tuples, got a single tuple; "
            "wrap it in a list"
        )
    entries = []
    for i, entry in enumerate(pattern_table):
        if not isinstance(entry, tuple | list) or len(entry) not in (2, 3):
            raise ValueError(
                f"MergeComposite pattern table entry {i} must be (name, pattern) or "
                f"(name, pattern, check), got {entry!r}"
            )
        name, pattern = entry[0], entry[1]
        check = entry[2] if len(entry) == 3 else (lambda extract: True)
        if not isinstance(name, str):
            raise TypeError(f"MergeComposite entry {i}: the name must be a string, got {name!r}")
        if not isinstance(pattern, DFPattern):
            raise TypeError(
                f"MergeComposite entry {name!r}: the pattern must be a DFPattern, got {pattern!r}"
            )
        if not callable(check):
            raise TypeError(f"MergeComposite entry {name!r}: check must be callable, got {check!r}")
        entries.append((name, pattern, check))
    return entries


def merge_composite(func, entries, mod=None):
    """``func`` with the matches of each ``(name, pattern, check)`` entry of
    ``entries`` wrapped into composite functions, in order."""
    from ..dataflow_pattern import partition  # pylint: disable=import-outside-toplevel
    from .type_infer import infer_type  # pylint: disable=import-outside-toplevel

    merged = func
    for name, pattern, check in entries:
        merged = partition(pattern, merged, {"Composite": name}, check)
        if not isinstance(merged, Function):
            raise TypeError(f"MergeComposite: partitioning {name!r} did not return a function")
        infer_type(merged, mod)
    return merged


def MergeComposite(pattern_table):  # pylint: disable=invalid-name
    """Merge the operators matching each pattern into a composite function
    (upstream ``relay.transform.MergeComposite``, ``opt_level`` 0).

    Parameters
    ----------
    pattern_table : list of (str, DFPattern) or (str, DFPattern, callable)
        ``(name, pattern, check)`` tuples; the order gives the priority.
        ``check(extract) -> bool`` receives the root of a match and may refuse
        it; without one every match is merged.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    entries = _table(pattern_table)
    return TypedFunctionPass(
        0, "MergeComposite", lambda func, mod, _ctx: merge_composite(func, entries, mod)
    )
