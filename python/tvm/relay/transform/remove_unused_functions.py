"""RemoveUnusedFunctions: keep only the globals the entry functions can reach (0.8's pass).

Starting from the entry functions (``["main"]`` by default), every global
variable met in a reachable function makes its function reachable, whether it
is called or passed as a value (``if (%p) { @g1 } else { @g2 }``); the other
global functions are deleted. Constructors and type definitions stay. A
non-Relay function (e.g. a ``PrimFunc``) is kept when some reachable function
names it.
"""
from ..analysis import _nodes
from ..expr import GlobalVar
from ..function import Function
from .pass_infra import Pass, PassInfo


def reachable_globals(mod, entry_functions):
    """Names of the globals reachable from ``entry_functions`` (they included)."""
    reached = set()
    work = [name for name in entry_functions if name in mod]
    missing = [name for name in entry_functions if name not in mod]
    if missing:
        raise ValueError(f"RemoveUnusedFunctions: the module has no entry function {missing}")
    reached.update(work)
    while work:
        func = mod[work.pop()]
        if not isinstance(func, Function):
            continue
        for node in _nodes.post_order(func):
            if isinstance(node, GlobalVar) and node.name_hint not in reached:
                reached.add(node.name_hint)
                if node.name_hint in mod:
                    work.append(node.name_hint)
    return reached


def RemoveUnusedFunctions(entry_functions=None):  # pylint: disable=invalid-name
    """Delete the global functions the entry functions never reach
    (0.8's ``relay.transform.RemoveUnusedFunctions``, opt_level 1).

    Parameters
    ----------
    entry_functions : list of str, optional
        Names of the entry functions; ``["main"]`` by default.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    entries = [str(e) for e in (entry_functions if entry_functions is not None else ["main"])]

    def transform(mod, _ctx):
        keep = reachable_globals(mod, entries)
        new_mod = mod.copy()
        for gvar, _func in mod.functions_items():
            if gvar.name_hint not in keep:
                del new_mod[gvar.name_hint]
        return new_mod

    return Pass(PassInfo(1, "RemoveUnusedFunctions", []), transform)


__all__ = ["RemoveUnusedFunctions", "reachable_globals"]
