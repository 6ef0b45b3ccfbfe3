"""Visitors and mutators over Relay expressions.

Both memoise on node identity, so a node shared by several users (the usual case
in a dataflow graph) is visited once and a mutator rebuilds it once. A mutator
returns the very same node when nothing below it changed, so unchanged graphs
keep their identity (and their inferred types).
"""
from .adt import Clause, Constructor, Match
from .expr import (
    Call,
    Constant,
    GlobalVar,
    If,
    Let,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
)
from .function import Function


class ExprFunctor:
    """Dispatch on the node class to ``visit_<kind>``, with a memo of results."""

    def __init__(self):
        self.memo_map = {}

    def visit(self, expr):
        """Apply the functor to ``expr`` (once per node)."""
        key = id(expr)
        found = self.memo_map.get(key)
        if found is not None:
            return found[1]
        result = self._dispatch(expr)
        # Keep the node alive in the memo so id() stays unique.
        self.memo_map[key] = (expr, result)
        return result

    def _dispatch(self, expr):
        if isinstance(expr, Call):
            return self.visit_call(expr)
        if isinstance(expr, Var):
            return self.visit_var(expr)
        if isinstance(expr, Constant):
            return self.visit_constant(expr)
        if isinstance(expr, Tuple):
            return self.visit_tuple(expr)
        if isinstance(expr, TupleGetItem):
            return self.visit_tuple_getitem(expr)
        if isinstance(expr, Function):
            return self.visit_function(expr)
        if isinstance(expr, Let):
            return self.visit_let(expr)
        if isinstance(expr, If):
            return self.visit_if(expr)
        if isinstance(expr, GlobalVar):
            return self.visit_global_var(expr)
        if isinstance(expr, Match):
            return self.visit_match(expr)
        if isinstance(expr, Constructor):
            return self.visit_constructor(expr)
        if isinstance(expr, RefCreate):
            return self.visit_ref_create(expr)
        if isinstance(expr, RefRead):
            return self.visit_ref_read(expr)
        if isinstance(expr, RefWrite):
            return self.visit_ref_write(expr)
        from .op.op import Op  # pylint: disable=import-outside-toplevel

        if isinstance(expr, Op):
            return self.visit_op(expr)
        raise TypeError(f"{type(self).__name__} cannot visit {type(expr).__name__}: {expr!r}")

    def visit_call(self, call):
        raise NotImplementedError()

    def visit_var(self, var):
        raise NotImplementedError()

    def visit_constant(self, const):
        raise NotImplementedError()

    def visit_tuple(self, tup):
        raise NotImplementedError()

    def visit_tuple_getitem(self, op):
        raise NotImplementedError()

    def visit_function(self, fn):
        raise NotImplementedError()

    def visit_let(self, let):
        raise NotImplementedError()

    def visit_if(self, ite):
        raise NotImplementedError()

    def visit_global_var(self, gvar):
        raise NotImplementedError()

    def visit_op(self, op):
        raise NotImplementedError()

    def visit_match(self, match):
        raise NotImplementedError()

    def visit_constructor(self, con):
        raise NotImplementedError()

    def visit_ref_create(self, ref):
        raise NotImplementedError()

    def visit_ref_read(self, ref):
        raise NotImplementedError()

    def visit_ref_write(self, ref):
        raise NotImplementedError()


class ExprVisitor(ExprFunctor):
    """Walk every node once; override ``visit_*`` and call ``super()`` to recurse."""

    def visit_call(self, call):
        self.visit(call.op)
        for arg in call.args:
            self.visit(arg)

    def visit_var(self, var):
        pass

    def visit_constant(self, const):
        pass

    def visit_tuple(self, tup):
        for field in tup.fields:
            self.visit(field)

    def visit_tuple_getitem(self, op):
        self.visit(op.tuple_value)

    def visit_function(self, fn):
        for param in fn.params:
            self.visit(param)
        self.visit(fn.body)

    def visit_let(self, let):
        self.visit(let.var)
        self.visit(let.value)
        self.visit(let.body)

    def visit_if(self, ite):
        self.visit(ite.cond)
        self.visit(ite.true_branch)
        self.visit(ite.false_branch)

    def visit_global_var(self, gvar):
        pass

    def visit_op(self, op):
        pass

    def visit_match(self, match):
        # As 0.8's Python visitor: the matched value and each clause's right-hand
        # side; patterns (and the variables they bind) are not visited.
        self.visit(match.data)
        for clause in match.clauses:
            self.visit(clause.rhs)

    def visit_constructor(self, con):
        pass

    def visit_ref_create(self, ref):
        self.visit(ref.value)

    def visit_ref_read(self, ref):
        self.visit(ref.ref)

    def visit_ref_write(self, ref):
        self.visit(ref.ref)
        self.visit(ref.value)


def _unchanged(old, new):
    return len(old) == len(new) and all(a is b for a, b in zip(old, new))


class ExprMutator(ExprFunctor):
    """Rebuild an expression bottom-up; a node is copied only if a child changed.

    Variables are kept as they are unless ``visit_var`` says otherwise, so a
    mutated function still binds the same parameters.
    """

    def visit_call(self, call):
        new_op = self.visit(call.op)
        new_args = [self.visit(arg) for arg in call.args]
        if new_op is call.op and _unchanged(call.args, new_args):
            return call
        return Call(new_op, new_args, call.attrs, call.type_args, call.span)

    def visit_var(self, var):
        return var

    def visit_constant(self, const):
        return const

    def visit_global_var(self, gvar):
        return gvar

    def visit_op(self, op):
        return op

    def visit_constructor(self, con):
        return con

    def visit_match(self, match):
        data = self.visit(match.data)
        rhs = [self.visit(clause.rhs) for clause in match.clauses]
        if data is match.data and all(r is c.rhs for r, c in zip(rhs, match.clauses)):
            return match
        clauses = [
            clause if r is clause.rhs else Clause(clause.lhs, r)
            for r, clause in zip(rhs, match.clauses)
        ]
        return Match(data, clauses, match.complete)

    def visit_ref_create(self, ref):
        value = self.visit(ref.value)
        return ref if value is ref.value else RefCreate(value)

    def visit_ref_read(self, ref):
        inner = self.visit(ref.ref)
        return ref if inner is ref.ref else RefRead(inner)

    def visit_ref_write(self, ref):
        inner = self.visit(ref.ref)
        value = self.visit(ref.value)
        if inner is ref.ref and value is ref.value:
            return ref
        return RefWrite(inner, value)

    def visit_tuple(self, tup):
        new_fields = [self.visit(field) for field in tup.fields]
        if _unchanged(tup.fields, new_fields):
            return tup
        return Tuple(new_fields, tup.span)

    def visit_tuple_getitem(self, op):
        new_tuple = self.visit(op.tuple_value)
        if new_tuple is op.tuple_value:
            return op
        return TupleGetItem(new_tuple, op.index)

    def visit_function(self, fn):
        new_params = [self.visit(param) for param in fn.params]
        new_body = self.visit(fn.body)
        if new_body is fn.body and _unchanged(fn.params, new_params):
            return fn
        return Function(new_params, new_body, fn.ret_type, fn.type_params, fn.attrs)

    def visit_let(self, let):
        new_var = self.visit(let.var)
        new_value = self.visit(let.value)
        new_body = self.visit(let.body)
        if new_var is let.var and new_value is let.value and new_body is let.body:
            return let
        return Let(new_var, new_value, new_body)

    def visit_if(self, ite):
        cond = self.visit(ite.cond)
        true_branch = self.visit(ite.true_branch)
        false_branch = self.visit(ite.false_branch)
        if cond is ite.cond and true_branch is ite.true_branch and false_branch is ite.false_branch:
            return ite
        return If(cond, true_branch, false_branch)


def post_order_visit(expr, fvisit):
    """Call ``fvisit(node)`` on every node of ``expr``, children before parents, once each."""

    class _PostOrder(ExprVisitor):
        def visit(self, expr):
            if id(expr) in self.memo_map:
                return None
            super().visit(expr)
            fvisit(expr)
            return None

    _PostOrder().visit(expr)


class _Binder(ExprMutator):
    def __init__(self, binds):
        super().__init__()
        self.binds = binds

    def visit_var(self, var):
        return self.binds.get(var, var)


def bind(expr, binds):
    """Substitute ``{Var: Expr}`` in ``expr``.

    For a function, bound parameters are removed from its parameter list (as
    upstream's ``relay.bind`` does when binding params).
    """
    if not binds:
        return expr
    binder = _Binder(binds)
    if isinstance(expr, Function):
        new_body = binder.visit(expr.body)
        params = [p for p in expr.params if p not in binds]
        return Function(params, new_body, expr.ret_type, expr.type_params, expr.attrs)
    return binder.visit(expr)
