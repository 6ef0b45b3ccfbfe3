"""Indexed dataflow graphs of expressions and of patterns, with post-dominators.

A graph lists its nodes in post order (inputs before users, each node once),
records the inputs and users of each node, and builds the post-dominator tree:
the dominator parent of a node is the closest node through which every path
from it to the root passes. Dominator patterns and the grouping of matches
(which nodes of a match may be used outside it) read that tree.

Nodes are keyed by identity; the walk is iterative, so deep graphs (a ResNet
body is a chain of hundreds of calls) need no deep recursion.
"""
from ..expr import Call, Constant, GlobalVar, If, Let, Tuple, TupleGetItem, Var
from ..function import Function
from .pattern import pattern_children

__all__ = ["GraphNode", "IndexedGraph", "expr_graph", "pattern_graph", "expr_inputs"]


def expr_inputs(expr):
    """The sub-expressions of ``expr`` that feed it, in upstream's visiting order
    (the callee before the arguments, a let's value before its variable)."""
    if isinstance(expr, Call):
        return (expr.op,) + expr.args
    if isinstance(expr, Tuple):
        return expr.fields
    if isinstance(expr, TupleGetItem):
        return (expr.tuple_value,)
    if isinstance(expr, Function):
        return expr.params + (expr.body,)
    if isinstance(expr, Let):
        return (expr.value, expr.var, expr.body)
    if isinstance(expr, If):
        return (expr.cond, expr.true_branch, expr.false_branch)
    if isinstance(expr, Var | Constant | GlobalVar):
        return ()
    kind = type(expr).__name__
    if kind == "RefCreate":
        return (expr.value,)
    if kind == "RefRead":
        return (expr.ref,)
    if kind == "RefWrite":
        return (expr.ref, expr.value)
    if kind == "Match":
        return (expr.data,) + tuple(clause.rhs for clause in expr.clauses)
    return ()  # operators, constructors


class GraphNode:
    """One node of an :class:`IndexedGraph`."""

    __slots__ = (
        "ref",
        "index",
        "is_external",
        "inputs",
        "outputs",
        "depth",
        "dominator_parent",
        "dominator_children",
    )

    def __init__(self, ref, index):
        self.ref = ref
        self.index = index
        self.is_external = False
        self.inputs = []
        self.outputs = []
        self.depth = 0
        self.dominator_parent = None
        self.dominator_children = []

    def dominates(self, other):
        """True if ``other`` lies below this node in the post-dominator tree."""
        stack = [self]
        seen = set()
        while stack:
            current = stack.pop()
            for node in current.dominator_children:
                if id(node) in seen:
                    continue
                if node is other:
                    return True
                seen.add(id(node))
                stack.append(node)
        return False


class IndexedGraph:
    """Nodes in post order (``topological_order``) and by identity (:meth:`node`)."""

    def __init__(self, root, children):
        self.topological_order = []
        self._by_id = {}
        self._build(root, children)
        self._by_id[id(root)].is_external = True
        for node in self.topological_order:
            for child in children(node.ref):
                child_node = self._by_id[id(child)]
                child_node.outputs.append(node)
                node.inputs.append(child_node)
        self._post_dominators()

    def _build(self, root, children):
        stack = [(root, False)]
        by_id = self._by_id
        while stack:
            item, expanded = stack.pop()
            if expanded:
                if id(item) not in by_id:
                    node = GraphNode(item, len(self.topological_order))
                    by_id[id(item)] = node
                    self.topological_order.append(node)
                continue
            if id(item) in by_id:
                continue
            stack.append((item, True))
            for child in reversed(children(item)):
                if id(child) not in by_id:
                    stack.append((child, False))

    def node(self, ref):
        """The graph node of ``ref`` (``KeyError`` if it is not in the graph)."""
        return self._by_id[id(ref)]

    def __contains__(self, ref):
        return id(ref) in self._by_id

    def _post_dominators(self):
        for node in reversed(self.topological_order):
            if node.is_external or not node.outputs:
                node.depth = 1
                node.dominator_parent = None
                continue
            parent = node.outputs[0]
            for other in node.outputs[1:]:
                parent = _common_ancestor(parent, other)
            node.depth = parent.depth + 1 if parent is not None else 1
            node.dominator_parent = parent
            if parent is not None:
                parent.dominator_children.append(node)


def _common_ancestor(lhs, rhs):
    while lhs is not rhs:
        if lhs is None or rhs is None:
            return None
        if lhs.depth < rhs.depth:
            rhs = rhs.dominator_parent
        elif lhs.depth > rhs.depth:
            lhs = lhs.dominator_parent
        else:
            lhs = lhs.dominator_parent
            rhs = rhs.dominator_parent
    return lhs


def expr_graph(expr):
    """The :class:`IndexedGraph` of an expression (function bodies included)."""
    return IndexedGraph(expr, expr_inputs)


def pattern_graph(pattern):
    """The :class:`IndexedGraph` of a pattern."""
    return IndexedGraph(pattern, pattern_children)
