"""Continuation-passing style: ``to_cps``, ``un_cps`` and ``ToCPS`` (0.8's functions).

``to_cps(func, mod)`` turns a type-inferred function of type ``fn(T1..Tn) -> R``
into ``fn[answer](T1'..Tn', %k: fn(R') -> answer) -> answer``: instead of
returning its result, the function passes it to the continuation ``%k``
(``T'`` is ``T`` with every function type inside converted the same way,
over the fresh type parameter ``answer``). Every call of a function becomes a
tail call that receives the rest of the computation as a function; operator
and constructor calls stay direct and are let-bound. An ``if`` or ``match``
reifies the rest of the computation once, as ``let %f = fn (%arg) {...}``,
and calls it at the end of each branch, which is what lets ``PartialEvaluate``
specialise the code after a branch for each branch.

Global functions the program uses are converted too and added to ``mod`` as
``@<name>_cps`` (the module is changed in place, as 0.8). ``un_cps(func)``
wraps a converted function back into the original interface by passing the
identity continuation; arguments or results that are functions stay in CPS
form (as 0.8 said of its version).

The conversion is the "higher-order" one (the continuation is a Python
function building code, called exactly once per hole), so it creates no
administrative redexes. It needs the input type-inferred: converted variables
get the CPS form of their inferred types.
"""
import sys

from ..adt import Clause, Constructor, Match, PatternConstructor, PatternTuple, PatternVar
from ..expr import (
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
from ..function import Function
from ..op.op import Op
from ..ty import FuncType, RefType, TupleType, TypeCall, TypeVar


def _arrow(arg, ret):
    return FuncType([arg], ret)


def cps_type(ty, answer):
    """``ty`` with every function type ``fn(A..) -> B`` made ``fn(A'.., fn(B') -> answer) -> answer``."""
    if ty is None:
        return None
    if isinstance(ty, FuncType):
        args = [cps_type(a, answer) for a in ty.arg_types]
        args.append(_arrow(cps_type(ty.ret_type, answer), answer))
        return FuncType(args, answer, ty.type_params, ty.type_constraints)
    if isinstance(ty, TupleType):
        return TupleType([cps_type(f, answer) for f in ty.fields])
    if isinstance(ty, TypeCall):
        return TypeCall(ty.func, [cps_type(a, answer) for a in ty.args])
    if isinstance(ty, RefType):
        return RefType(cps_type(ty.value, answer))
    return ty


def _checked_type(node, what):
    ty = node._checked_type_  # pylint: disable=protected-access
    if ty is None:
        raise ValueError(f"to_cps: the type of {what} is not inferred; run relay.transform.InferType first")
    return ty


def _let_bind(value, k):
    var = Var("x")
    return Let(var, value, k(var))


class _CPS:
    """The conversion of one top-level function (all its nested functions share ``answer``)."""

    def __init__(self, mod, cps_globals, answer):
        self.mod = mod
        self.cps_globals = cps_globals
        self.answer = answer
        self.vars = {}

    def var(self, var):
        new = self.vars.get(var)
        if new is None:
            ty = var._checked_type_ or var.type_annotation  # pylint: disable=protected-access
            new = Var(var.name_hint, cps_type(ty, self.answer))
            self.vars[var] = new
        return new

    def pattern(self, pattern):
        if isinstance(pattern, PatternVar):
            return PatternVar(self.var(pattern.var))
        if isinstance(pattern, PatternConstructor):
            return PatternConstructor(pattern.constructor, [self.pattern(p) for p in pattern.patterns])
        if isinstance(pattern, PatternTuple):
            return PatternTuple([self.pattern(p) for p in pattern.patterns])
        return pattern

    def function(self, func, type_params):
        if func.is_primitive:
            raise ValueError("to_cps: primitive (fused) functions are not supported")
        func_type = _checked_type(func, "a function")
        k = Var("k", _arrow(cps_type(func_type.ret_type, self.answer), self.answer))
        params = [self.var(p) for p in func.params] + [k]
        body = self.visit(func.body, lambda e: Call(k, [e]))
        return Function(params, body, self.answer, type_params, func.attrs)

    def reify(self, k, expr):
        """``fn (%arg) { k(%arg) }``, the continuation of ``expr``'s value.

        ``%arg`` is annotated with the CPS form of ``expr``'s inferred type (0.8 left
        it to inference; this fork's InferType does not type a parameter from a
        later call when the body needs its type first)."""
        ty = expr._checked_type_  # pylint: disable=protected-access
        arg = Var("arg", cps_type(ty, self.answer) if ty is not None else None)
        return Function([arg], k(arg))

    def reify_bind(self, k, expr, cont):
        """``let %f = fn (%arg) { k(%arg) }; cont(e -> %f(e))``."""
        fvar = Var("f")
        return Let(fvar, self.reify(k, expr), cont(lambda e: Call(fvar, [e])))

    def sequence(self, exprs, k):
        """Convert ``exprs`` left to right; ``k(list of atoms)``."""
        done = []

        def step():
            if len(done) == len(exprs):
                return k(list(done))

            def got(value):
                done.append(value)
                return step()

            return self.visit(exprs[len(done)], got)

        return step()

    def visit(self, expr, k):  # pylint: disable=too-many-return-statements,too-many-branches
        """The CPS form of ``expr`` whose value goes to the meta-continuation ``k``."""
        if isinstance(expr, Var):
            return k(self.var(expr))
        if isinstance(expr, Constant | Op | Constructor):
            return k(expr)
        if isinstance(expr, GlobalVar):
            return k(self.global_var(expr))
        if isinstance(expr, Function):
            return k(self.function(expr, expr.type_params))
        if isinstance(expr, Let):
            return self.visit(
                expr.value, lambda v: Let(self.var(expr.var), v, self.visit(expr.body, k))
            )
        if isinstance(expr, Tuple):
            return self.sequence(expr.fields, lambda fields: k(Tuple(fields)))
        if isinstance(expr, TupleGetItem):
            return self.visit(expr.tuple_value, lambda v: k(TupleGetItem(v, expr.index)))
        if isinstance(expr, RefCreate):
            return self.visit(expr.value, lambda v: k(RefCreate(v)))
        if isinstance(expr, RefRead):
            return self.visit(expr.ref, lambda r: _let_bind(RefRead(r), k))
        if isinstance(expr, RefWrite):
            return self.visit(
                expr.ref,
                lambda r: self.visit(expr.value, lambda v: _let_bind(RefWrite(r, v), k)),
            )
        if isinstance(expr, If):
            return self.reify_bind(
                k,
                expr,
                lambda kf: self.visit(
                    expr.cond,
                    lambda c: If(c, self.visit(expr.true_branch, kf), self.visit(expr.false_branch, kf)),
                ),
            )
        if isinstance(expr, Match):
            def clauses(kf, data):
                return Match(
                    data,
                    [Clause(self.pattern(c.lhs), self.visit(c.rhs, kf)) for c in expr.clauses],
                    expr.complete,
                )

            return self.reify_bind(k, expr, lambda kf: self.visit(expr.data, lambda d: clauses(kf, d)))
        if isinstance(expr, Call):
            if isinstance(expr.op, Op | Constructor):
                return self.sequence(
                    expr.args,
                    lambda args: _let_bind(Call(expr.op, args, expr.attrs, expr.type_args), k),
                )
            return self.visit(
                expr.op,
                lambda f: self.sequence(
                    expr.args, lambda args: Call(f, args + [self.reify(k, expr)], expr.attrs)
                ),
            )
        raise TypeError(f"to_cps cannot convert {type(expr).__name__}")

    def global_var(self, gvar):
        if gvar.name_hint in self.cps_globals:
            return self.cps_globals[gvar.name_hint]
        if self.mod is None or gvar.name_hint not in self.mod:
            return gvar
        func = self.mod[gvar]
        if not isinstance(func, Function):
            return gvar  # an external function: called as it is
        cps_gvar = GlobalVar(gvar.name_hint + "_cps")
        self.cps_globals[gvar.name_hint] = cps_gvar
        self.mod[cps_gvar] = _to_cps(func, self.mod, self.cps_globals)
        return cps_gvar


def _to_cps(func, mod, cps_globals):
    answer = TypeVar("answer")
    converter = _CPS(mod, cps_globals, answer)
    return converter.function(func, list(func.type_params) + [answer])


def to_cps(func, mod=None):
    """The continuation-passing-style form of ``func`` (0.8's ``relay.transform.to_cps``).

    Parameters
    ----------
    func : relay.Function
        A type-inferred function.
    mod : tvm.IRModule, optional
        The module of the global functions ``func`` uses; their CPS forms are
        added to it as ``@<name>_cps``.

    Returns
    -------
    result : relay.Function
        ``fn[..., answer](params..., %k: fn(ret) -> answer) -> answer``.
    """
    if not isinstance(func, Function):
        raise TypeError(f"to_cps needs a relay Function, got {type(func).__name__}")
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20000))
    try:
        return _to_cps(func, mod, {})
    finally:
        sys.setrecursionlimit(old_limit)


def un_cps(func):
    """The function of a CPS function ``func`` without its continuation parameter
    (0.8's ``relay.transform.un_cps``): it calls ``func`` with the identity continuation.

    Arguments and results that are functions keep their CPS form.

    Parameters
    ----------
    func : relay.Function
        A function made by :func:`to_cps` (its last parameter is the continuation,
        its last type parameter the answer type).

    Returns
    -------
    result : relay.Function
    """
    if not isinstance(func, Function) or not func.params:
        raise TypeError("un_cps needs a relay Function with a continuation parameter")
    params = []
    for p in func.params:
        ty = p._checked_type_ or p.type_annotation  # pylint: disable=protected-access
        params.append(Var(p.name_hint, ty))
    cont_type = params.pop().type_annotation
    if not isinstance(cont_type, FuncType) or len(cont_type.arg_types) != 1:
        raise ValueError("un_cps: the last parameter is not a continuation fn(T) -> answer")
    ret_type = cont_type.arg_types[0]
    type_params = list(func.type_params)[:-1]
    x = Var("x", ret_type)
    identity = Function([x], x, ret_type)
    return Function(params, Call(func, params + [identity]), ret_type, type_params, func.attrs)


def ToCPS(expr, mod=None):  # pylint: disable=invalid-name
    """0.8's ``relay.transform.ToCPS(expr, mod)``: the same as :func:`to_cps`
    (0.8's Python name took an expression and returned the converted function,
    not a pass)."""
    return to_cps(expr, mod)


__all__ = ["ToCPS", "cps_type", "to_cps", "un_cps"]
