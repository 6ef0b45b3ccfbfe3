"""Scopes of a Relay program and basic block normal form (0.8's contract).

A program has nested *scopes*: each function body, each let body, each branch
of an ``if`` and each clause of a ``match`` opens one inside the scope of the
node that owns it. An expression shared by several users belongs to the
innermost scope enclosing all its uses (their lowest common ancestor). The
program is in *basic block normal form* when no expression has to be placed
above the scope of the user that reaches it first, i.e. every value computed
in one branch and used in another (or outside the branch) is let-bound where
both can see it.

:class:`DependencyGraph` records, for every node, its users (in the order the
walk meets the edges) and the scope-opening pseudo-nodes; :func:`calc_scope`
gives every node its scope and the set of expressions that must be lifted;
:func:`check_basic_block_normal_form` raises when that set is not empty. The
walk follows 0.8's order exactly (dataflow nodes - calls, tuples, projections
- are expanded children-first with an explicit stack; the edges of a dataflow
node are recorded when the node itself is reached after its operands), since
which user counts as the first one decides what is lifted.

Node kinds of algebraic data types and references are handled by class name.
"""
import tvm

from . import _nodes

_DATAFLOW = ("Call", "Tuple", "TupleGetItem")


class DependencyNode:
    """A node of the dependency graph: one expression, or a scope opener."""

    __slots__ = ("expr", "new_scope", "parents", "children")

    def __init__(self, expr=None, new_scope=False):
        self.expr = expr
        self.new_scope = new_scope
        self.parents = []
        self.children = []


def _depend(parent, child):
    child.parents.append(parent)
    parent.children.append(child)


class DependencyGraph:
    """Users and operands of every node of ``expr`` (see the module docstring).

    Attributes
    ----------
    expr_node : dict
        ``id(expr) -> DependencyNode``.
    post_dfs_order : list of DependencyNode
        Operands before users.
    """

    def __init__(self, expr):
        self.expr_node = {}
        self.post_dfs_order = []
        self._visit(expr)

    def node(self, expr):
        """The node of an expression of the program."""
        return self.expr_node[id(expr)]

    # -- construction --------------------------------------------------------
    def _visit(self, expr):
        if id(expr) in self.expr_node:
            return
        if _nodes.kind(expr) not in _DATAFLOW:
            self._leaf(expr)
            return
        # Dataflow region: operands first, with an explicit stack.
        stack = [(expr, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in self.expr_node:
                continue
            if expanded or _nodes.kind(node) not in _DATAFLOW:
                self._leaf(node)
                continue
            stack.append((node, True))
            for child in reversed(_dataflow_operands(node)):
                if id(child) not in self.expr_node:
                    stack.append((child, False))

    def _edge(self, parent, child_expr):
        self._visit(child_expr)
        _depend(parent, self.expr_node[id(child_expr)])

    def _leaf(self, expr):
        node = DependencyNode(expr)
        self.expr_node[id(expr)] = node
        name = _nodes.kind(expr)
        if name in _DATAFLOW:
            for child in _dataflow_operands(expr):
                self._edge(node, child)
        elif name == "If":
            self._edge(node, expr.cond)
            then_scope, else_scope = DependencyNode(None, True), DependencyNode(None, True)
            _depend(node, then_scope)
            _depend(node, else_scope)
            self._edge(then_scope, expr.true_branch)
            self._edge(else_scope, expr.false_branch)
            self.post_dfs_order.append(else_scope)
            self.post_dfs_order.append(then_scope)
        elif name == "Function":
            body = DependencyNode(None, True)
            _depend(node, body)
            for param in expr.params:
                self._edge(body, param)
            self._edge(body, expr.body)
            self.post_dfs_order.append(body)
        elif name == "Let":
            body = DependencyNode(None, True)
            _depend(node, body)
            self._edge(body, expr.var)
            self._edge(body, expr.value)
            self._edge(body, expr.body)
            self.post_dfs_order.append(body)
        elif name == "Match":
            self._edge(node, expr.data)
            clause_nodes = []
            for clause in expr.clauses:
                scope = DependencyNode(None, True)
                _depend(node, scope)
                self._edge(scope, clause.rhs)
                clause_nodes.append(scope)
            self.post_dfs_order.extend(reversed(clause_nodes))
        elif name == "RefCreate":
            self._edge(node, expr.value)
        elif name == "RefRead":
            self._edge(node, expr.ref)
        elif name == "RefWrite":
            self._edge(node, expr.ref)
            self._edge(node, expr.value)
        self.post_dfs_order.append(node)


def _dataflow_operands(expr):
    name = _nodes.kind(expr)
    if name == "Call":
        return (expr.op,) + tuple(expr.args)
    if name == "Tuple":
        return tuple(expr.fields)
    return (expr.tuple_value,)


class Scope:
    """A scope: its parent, its depth, and the bindings placed in it."""

    __slots__ = ("parent", "level", "bindings")

    def __init__(self, parent=None):
        self.parent = parent
        self.level = 0 if parent is None else parent.level + 1
        self.bindings = []

    def push(self, var, value):
        """Bind ``var`` to ``value`` here; returns ``var``."""
        self.bindings.append((var, value))
        return var

    def wrap(self, body):
        """``body`` under this scope's bindings (outermost first)."""
        from ..expr import Let  # pylint: disable=import-outside-toplevel

        for var, value in reversed(self.bindings):
            body = Let(var, value, body)
        return body


def _lca(lhs, rhs):
    while lhs is not rhs:
        if lhs.level > rhs.level:
            lhs = lhs.parent
        elif lhs.level < rhs.level:
            rhs = rhs.parent
        else:
            lhs, rhs = lhs.parent, rhs.parent
    return lhs


def calc_scope(graph):
    """``(scope_of, lifted)``: ``{id(DependencyNode): Scope}`` and the list of
    expressions whose scope is above the scope of their first user."""
    scope_of = {}
    lifted = []
    global_scope = Scope()
    root_seen = False
    for node in reversed(graph.post_dfs_order):
        if not node.parents:
            if root_seen:
                raise ValueError("the dependency graph has two roots")
            root_seen = True
            scope = global_scope
        else:
            first = scope_of[id(node.parents[0])]
            scope = first
            for parent in node.parents[1:]:
                scope = _lca(scope, scope_of[id(parent)])
            if scope is not first and node.expr is not None and not _nodes.is_op(node.expr):
                lifted.append(node.expr)
        scope_of[id(node)] = Scope(scope) if node.new_scope else scope
    return scope_of, lifted


def check_basic_block_normal_form(expr):
    """Check that ``expr`` is in basic block normal form.

    Parameters
    ----------
    expr : tvm.relay.Expr

    Returns
    -------
    result : bool
        True; an expression that violates the form raises ``tvm.error.TVMError``
        naming the first expression whose scope should be lifted (0.8).
    """
    _, lifted = calc_scope(DependencyGraph(expr))
    if lifted:
        raise tvm.error.TVMError(
            "The expression below violates the basic block normal form in that its scope "
            f"should be lifted:\n{lifted[0]}"
        )
    return True


__all__ = [
    "DependencyGraph",
    "DependencyNode",
    "Scope",
    "calc_scope",
    "check_basic_block_normal_form",
]
