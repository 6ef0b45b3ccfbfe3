"""Children of every Relay node kind, by class name.

The analyses and structural passes of 0.8 walk whole programs, including the
node kinds of algebraic data types (``Match``, ``Constructor``) and references
(``RefCreate``, ``RefRead``, ``RefWrite``). Those classes live in modules that
may or may not be present (they are added separately from these analyses), so
the walks here dispatch on the class *name* and read the fields 0.8 gives each
node (``Match.data``/``clauses``, ``Clause.lhs``/``rhs``, ``RefWrite.ref``/
``value``, ...); nothing here imports them. The core kinds are the fork's
classes from :mod:`tvm.relay.expr` and :mod:`tvm.relay.function`.
"""
from ..expr import Call, Constant, GlobalVar, If, Let, Tuple, TupleGetItem, Var
from ..expr_functor import ExprMutator
from ..function import Function


def kind(node):
    """The node's kind: its class name (``"Call"``, ``"Match"``, ``"Op"``, ...)."""
    return type(node).__name__


def is_op(node):
    """True for a primitive operator (``relay.op.get("add")``)."""
    from ..op.op import Op  # pylint: disable=import-outside-toplevel

    return isinstance(node, Op)


def pattern_vars(pattern):
    """Variables a match pattern binds, left to right."""
    name = kind(pattern)
    if name == "PatternVar":
        return [pattern.var]
    if name in ("PatternConstructor", "PatternTuple"):
        out = []
        for sub in pattern.patterns:
            out.extend(pattern_vars(sub))
        return out
    return []


def children(node):
    """The sub-expressions of ``node`` in evaluation order, binding sites
    included (function parameters, the let variable), the operator of a call
    included; the body of a ``"Primitive"`` function is included too (the
    analyses see whole programs)."""
    if isinstance(node, Call):
        return (node.op,) + tuple(node.args)
    if isinstance(node, Tuple):
        return tuple(node.fields)
    if isinstance(node, TupleGetItem):
        return (node.tuple_value,)
    if isinstance(node, Let):
        return (node.var, node.value, node.body)
    if isinstance(node, If):
        return (node.cond, node.true_branch, node.false_branch)
    if isinstance(node, Function):
        return tuple(node.params) + (node.body,)
    name = kind(node)
    if name == "RefCreate":
        return (node.value,)
    if name == "RefRead":
        return (node.ref,)
    if name == "RefWrite":
        return (node.ref, node.value)
    if name == "Match":
        return (node.data,) + tuple(c.rhs for c in node.clauses)
    return ()


def post_order(expr):
    """Every node reachable from ``expr`` once (by identity), children before
    parents, in the order of a recursive depth-first walk (an explicit stack:
    graphs may be deep)."""
    order = []
    seen = set()
    stack = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for child in reversed(children(node)):
            if id(child) not in seen:
                stack.append((child, False))
    return order


class AnyNodeMutator(ExprMutator):
    """An ``ExprMutator`` that also rebuilds the reference and ``Match`` nodes
    (by class name, when the fork's visitor does not know them) and keeps
    constructors as they are."""

    def _dispatch(self, expr):
        name = kind(expr)
        if name in ("RefCreate", "RefRead", "RefWrite", "Match", "Constructor"):
            handler = getattr(self, "visit_" + _SNAKE[name], None)
            if handler is not None:
                return handler(expr)
        return super()._dispatch(expr)

    def visit_constructor(self, con):
        return con

    def visit_ref_create(self, ref):
        value = self.visit(ref.value)
        return ref if value is ref.value else type(ref)(value)

    def visit_ref_read(self, ref):
        cell = self.visit(ref.ref)
        return ref if cell is ref.ref else type(ref)(cell)

    def visit_ref_write(self, ref):
        cell, value = self.visit(ref.ref), self.visit(ref.value)
        if cell is ref.ref and value is ref.value:
            return ref
        return type(ref)(cell, value)

    def visit_match(self, match):
        data = self.visit(match.data)
        rhs = [self.visit(c.rhs) for c in match.clauses]
        if data is match.data and all(a is b.rhs for a, b in zip(rhs, match.clauses)):
            return match
        clauses = [type(c)(c.lhs, r) for c, r in zip(match.clauses, rhs)]
        return type(match)(data, clauses, getattr(match, "complete", True))


_SNAKE = {
    "RefCreate": "ref_create",
    "RefRead": "ref_read",
    "RefWrite": "ref_write",
    "Match": "match",
    "Constructor": "constructor",
}


class Substitute(AnyNodeMutator):
    """Replace variables by expressions (``{Var: Expr}``); bound variables are
    never in the map, so no capture can happen when the map's values are
    closed over the enclosing scope."""

    def __init__(self, binds):
        super().__init__()
        self.binds = binds

    def visit_var(self, var):
        return self.binds.get(var, var)


def substitute(expr, binds):
    """``expr`` with the variables of ``binds`` replaced."""
    if not binds:
        return expr
    return Substitute(binds).visit(expr)


__all__ = [
    "AnyNodeMutator",
    "Substitute",
    "children",
    "is_op",
    "kind",
    "pattern_vars",
    "post_order",
    "substitute",
    "Call",
    "Constant",
    "Function",
    "GlobalVar",
    "If",
    "Let",
    "Tuple",
    "TupleGetItem",
    "Var",
]
