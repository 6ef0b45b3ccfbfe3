"""ToGraphNormalForm: turn let-bound code (A-normal form) into a dataflow graph.

Every ``let x = value; body`` is replaced by ``body`` with ``x`` standing for
``value`` itself, so a value used twice becomes a node shared by two users, as
frontends build graphs. Relay programs here have no side effects, so this keeps
their meaning. FuseOps does not fuse across ``let`` (a let is an evaluation
boundary), so code from a let-producing source should go through this pass
first. A recursive local function (``let f = fn ... f(...)``) keeps its let.
"""
from ..expr import Let
from ..expr_functor import ExprMutator
from ..function import Function
from ..analysis import free_vars
from ._utils import TypedFunctionPass


class GraphNormalizer(ExprMutator):
    """The rewriting behind :func:`ToGraphNormalForm`."""

    def __init__(self):
        super().__init__()
        self.values = {}

    def visit_var(self, var):
        return self.values.get(var, var)

    def visit_let(self, let):
        kept = []
        node = let
        while isinstance(node, Let):
            value = self.visit(node.value)
            if isinstance(node.value, Function) and node.var in free_vars(node.value):
                kept.append((node.var, value))
            else:
                self.values[node.var] = value
            node = node.body
        result = self.visit(node)
        for var, value in reversed(kept):
            result = Let(var, value, result)
        return result


def to_graph_normal_form(expr):
    """``expr`` without non-recursive let bindings."""
    return GraphNormalizer().visit(expr)


def ToGraphNormalForm():  # pylint: disable=invalid-name
    """Substitute let-bound values at their uses (upstream
    ``relay.transform.ToGraphNormalForm``, ``opt_level`` 1).

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(
        1, "ToGraphNormalForm", lambda func, _mod, _ctx: to_graph_normal_form(func), typed=False
    )


__all__ = ["ToGraphNormalForm", "to_graph_normal_form", "GraphNormalizer"]
