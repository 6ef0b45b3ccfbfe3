"""DeadCodeElimination: drop let bindings whose variable is never used.

Relay expressions here have no side effects (no references, no I/O), so a
binding that nothing reads can go, and removing it may make the bindings it
read dead as well. A chain of lets is handled in one backwards sweep: walking
from the innermost body outwards, a binding is kept only if its variable is
used by what has been kept so far, and then the variables its value uses become
live. With ``inline_once`` a binding used exactly once is substituted at its
use (upstream's option), which turns let-form code back into a dataflow graph.
"""
from ..expr import Let, Var
from ..expr_functor import ExprMutator
from ..function import Function
from ._utils import TypedFunctionPass, children, post_order


def _uses(expr):
    """``{Var: number of places using it}`` in ``expr`` (binding positions excluded)."""
    counts = {}
    if isinstance(expr, Var):
        counts[expr] = 1
    for node in post_order(expr):
        if isinstance(node, Let):
            kids = (node.value, node.body)
        elif isinstance(node, Function):
            kids = () if node.is_primitive else (node.body,)
        else:
            kids = children(node)
        for kid in kids:
            if isinstance(kid, Var):
                counts[kid] = counts.get(kid, 0) + 1
    return counts


class _Inliner(ExprMutator):
    def __init__(self, binds):
        super().__init__()
        self.binds = binds

    def visit_var(self, var):
        return self.binds.get(var, var)


class DeadCodeEliminator(ExprMutator):
    """The rewriting behind :func:`DeadCodeElimination`."""

    def __init__(self, inline_once=False):
        super().__init__()
        self.inline_once = inline_once

    def visit_let(self, let):
        bindings = []
        node = let
        while isinstance(node, Let):
            bindings.append((node.var, node.value))
            node = node.body
        body = self.visit(node)
        live = _uses(body)
        kept = []
        for var, value in reversed(bindings):
            count = live.get(var, 0)
            if count == 0:
                continue
            new_value = self.visit(value)
            kept.append((var, new_value, count))
            for used, n in _uses(new_value).items():
                live[used] = live.get(used, 0) + n
        # ``kept`` runs innermost first; rebuild outwards.
        result = body
        inline = {}
        for var, value, count in kept:
            if self.inline_once and count == 1 and not _refers_to(value, var):
                inline[var] = value
                continue
            result = Let(var, value, result)
        if inline:
            result = _substitute(result, inline)
        return result


def _refers_to(expr, var):
    return var in _uses(expr)


def _substitute(expr, binds):
    # Values inlined may themselves use variables inlined later: substitute
    # until no inlined variable is left (each round removes one nesting level).
    while True:
        expr = _Inliner(binds).visit(expr)
        remaining = _uses(expr)
        if not any(v in remaining for v in binds):
            return expr


def dead_code_elimination(expr, inline_once=False):
    """``expr`` without unused let bindings."""
    return DeadCodeEliminator(inline_once).visit(expr)


def DeadCodeElimination(inline_once=False):  # pylint: disable=invalid-name
    """Remove let bindings that are never used (upstream
    ``relay.transform.DeadCodeElimination``, ``opt_level`` 1).

    Parameters
    ----------
    inline_once : bool
        Also substitute bindings used exactly once at their single use.

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(
        1,
        "DeadCodeElimination",
        lambda func, _mod, _ctx: DeadCodeEliminator(inline_once).visit(func),
        typed=False,
    )


__all__ = ["DeadCodeElimination", "dead_code_elimination", "DeadCodeEliminator"]
