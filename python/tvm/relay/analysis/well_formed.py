"""``well_formed`` and ``check_constant`` (0.8's ``relay.analysis`` checks).

A program is well formed when every variable is bound at most once: no
function parameter, let variable or pattern variable is bound twice (not even
in disjoint scopes, since passes key on variable identity), and no variable
used free somewhere is bound elsewhere. Free variables themselves are allowed
(``well_formed(relay.var("x"))`` is true, as 0.8).
"""
import logging

from ..expr import Let, Var
from ..function import Function
from . import _nodes

logger = logging.getLogger("relay")


class _Checker:
    """Bindings seen so far: in scope now, ever, and used free."""

    def __init__(self):
        self.current = set()
        self.total = set()
        self.free = set()
        self.ok = True

    def fail(self, var, what):
        self.ok = False
        logger.info("The IR is not well formed: variable %s %s", var.name_hint, what)

    def bind(self, var, scope):
        if var in self.current or var in self.total or var in self.free:
            self.fail(var, "is bound more than once")
        scope.append(var)
        self.current.add(var)
        self.total.add(var)

    def use(self, var):
        if var not in self.current:
            if var in self.total:
                self.fail(var, "is used outside the scope that binds it")
            else:
                self.free.add(var)


def well_formed(expr):
    """Whether every variable of ``expr`` is bound at most once (0.8's
    ``relay.analysis.well_formed``).

    Parameters
    ----------
    expr : tvm.relay.Expr

    Returns
    -------
    well_form : bool
    """
    return _check(expr)


def _check(expr):
    """The check, recursive over scopes and iterative over let chains (the
    long ones); each shared node is checked once."""
    checker = _Checker()
    seen = set()

    def visit(node):
        if isinstance(node, Var):
            checker.use(node)
            return
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, Function):
            scope = []
            for param in node.params:
                checker.bind(param, scope)
            visit(node.body)
            checker.current.difference_update(scope)
        elif isinstance(node, Let):
            scope = []
            while isinstance(node, Let):
                checker.bind(node.var, scope)
                visit(node.value)
                node = node.body
            visit(node)
            checker.current.difference_update(scope)
        elif _nodes.kind(node) == "Match":
            visit(node.data)
            for clause in node.clauses:
                scope = []
                for var in _nodes.pattern_vars(clause.lhs):
                    checker.bind(var, scope)
                visit(clause.rhs)
                checker.current.difference_update(scope)
        else:
            for child in _nodes.children(node):
                visit(child)

    visit(expr)
    return checker.ok


def check_constant(expr):
    """Whether ``expr`` is a constant: a ``Constant`` or a tuple of constants
    (0.8's ``relay.analysis.check_constant``).

    Parameters
    ----------
    expr : tvm.relay.Expr

    Returns
    -------
    result : bool
    """
    memo = {}

    def constant(node):
        key = id(node)
        if key not in memo:
            name = _nodes.kind(node)
            if name == "Constant":
                memo[key] = True
            elif name == "Tuple":
                memo[key] = all(constant(f) for f in node.fields)
            else:
                memo[key] = False
        return memo[key]

    return constant(expr)


__all__ = ["well_formed", "check_constant"]
