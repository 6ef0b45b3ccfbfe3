"""ToBasicBlockNormalForm: let-bind exactly the values shared across scopes (0.8's pass).

A value computed once and used in two branches of an ``if`` (or in a branch
and after it, or in two function literals) has no single place in a tree of
blocks; this pass binds such a value with ``let`` in the innermost scope that
encloses all its uses (:mod:`tvm.relay.analysis.scopes` computes the scopes).
Everything else keeps its dataflow form: unlike :mod:`.to_a_normal_form`,
values used within one scope are not named. Existing lets are kept.

The result satisfies ``relay.analysis.check_basic_block_normal_form`` and
computes the same values (a lifted value is computed before the branch; Relay
expressions here have no effects other than references, whose cells are
created and read in their original order). Functions with a ``"Compiler"``
attribute are left alone, as 0.8. As 0.8, every node of a rewritten function
is rebuilt, so the result carries no inferred types (run ``InferType``).
"""
from ..analysis import _nodes
from ..analysis.scopes import DependencyGraph, calc_scope
from ..expr import Call, Let, Tuple, TupleGetItem, Var
from ..expr import If
from ..function import Function
from .pass_infra import Pass, PassInfo


class _Fill:
    """Rebuild ``expr``, placing each lifted value (and each let binding) in
    the bindings of its scope; a scope's bindings wrap the body of its owner."""

    def __init__(self, graph, scope_of, lifted):
        self.graph = graph
        self.scope_of = scope_of
        self.lifted = {id(e) for e in lifted}
        self.memo = {}
        self.nesting = 0

    def scope(self, expr):
        return self.scope_of[id(self.graph.node(expr))]

    def sub_scope(self, expr, index):
        return self.scope_of[id(self.graph.node(expr).children[index])]

    def visit(self, expr, var=None):
        key = id(expr)
        if key not in self.memo:
            self.memo[key] = (expr, self._dispatch(expr, var))
        elif var is not None:
            self.scope(expr).push(var, self.memo[key][1])
        return self.memo[key][1]

    def _atomic(self, expr, var):
        return self.scope(expr).push(var, expr) if var is not None else expr

    def _compound(self, orig, new, var):
        if var is None and id(orig) not in self.lifted:
            return new
        return self.scope(orig).push(var if var is not None else Var("x"), new)

    def _dispatch(self, expr, var):  # pylint: disable=too-many-return-statements
        name = _nodes.kind(expr)
        if isinstance(expr, Call):
            args = [self.visit(a) for a in expr.args]
            new = Call(self.visit(expr.op), args, expr.attrs, expr.type_args, expr.span)
            return self._compound(expr, new, var)
        if isinstance(expr, Tuple):
            new = Tuple([self.visit(f) for f in expr.fields], expr.span)
            return self._compound(expr, new, var)
        if isinstance(expr, TupleGetItem):
            new = TupleGetItem(self.visit(expr.tuple_value), expr.index)
            return self._compound(expr, new, var)
        if isinstance(expr, If):
            cond = self.visit(expr.cond)
            then = self.sub_scope(expr, 1).wrap(self.visit(expr.true_branch))
            other = self.sub_scope(expr, 2).wrap(self.visit(expr.false_branch))
            return self._compound(expr, If(cond, then, other), var)
        if isinstance(expr, Function):
            if expr.is_primitive:
                new = expr
            else:
                self.nesting += 1
                body = self.sub_scope(expr, 0).wrap(self.visit(expr.body))
                self.nesting -= 1
                new = Function(expr.params, body, expr.ret_type, expr.type_params, expr.attrs)
            if self.nesting == 0:
                return new
            return self._compound(expr, new, var)
        if isinstance(expr, Let):
            self.visit(expr.value, expr.var)
            body = self.sub_scope(expr, 0).wrap(self.visit(expr.body))
            return self._compound(expr, body, var)
        if name == "Constant":
            return self._compound(expr, expr, var)
        if name == "RefCreate":
            return self._compound(expr, type(expr)(self.visit(expr.value)), var)
        if name == "RefRead":
            return self._compound(expr, type(expr)(self.visit(expr.ref)), var)
        if name == "RefWrite":
            new = type(expr)(self.visit(expr.ref), self.visit(expr.value))
            return self._compound(expr, new, var)
        if name == "Match":
            data = self.visit(expr.data)
            clauses = [
                type(c)(c.lhs, self.sub_scope(expr, 1 + i).wrap(self.visit(c.rhs)))
                for i, c in enumerate(expr.clauses)
            ]
            new = type(expr)(data, clauses, getattr(expr, "complete", True))
            return self._compound(expr, new, var)
        # Var, GlobalVar, Op, Constructor
        return self._atomic(expr, var)


def to_basic_block_normal_form(expr):
    """``expr`` (any Relay expression) in basic block normal form."""
    graph = DependencyGraph(expr)
    scope_of, lifted = calc_scope(graph)
    fill = _Fill(graph, scope_of, lifted)
    return fill.scope(expr).wrap(fill.visit(expr))


def _transform_module(mod, _ctx):
    from ..analysis.variables import free_vars  # pylint: disable=import-outside-toplevel

    new_mod = mod.copy()
    for gvar, func in mod.functions_items():
        if not isinstance(func, Function) or func.attrs.get("Compiler") is not None:
            continue
        if free_vars(func):
            raise ValueError(
                f"ToBasicBlockNormalForm: global function {gvar.name_hint} has free variables "
                f"{[v.name_hint for v in free_vars(func)]}"
            )
        new_func = to_basic_block_normal_form(func)
        if new_func is not func:
            new_mod[gvar] = new_func
    return new_mod


def ToBasicBlockNormalForm():  # pylint: disable=invalid-name
    """Let-bind the values used across scopes, so every scope is a basic block
    (0.8's ``relay.transform.ToBasicBlockNormalForm``, opt_level 1); see the
    module docstring.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    return Pass(PassInfo(1, "ToBasicBlockNormalForm", []), _transform_module)


__all__ = ["ToBasicBlockNormalForm", "to_basic_block_normal_form"]
