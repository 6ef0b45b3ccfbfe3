"""Defunctionalization: a higher-order program made first order (0.8's function).

``Defunctionalization(func, mod)`` returns a version of ``func`` (a
type-inferred function whose own parameters and result are not functions) in
which no call passes or returns a function value:

* every function type ``fn(T1..Tn) -> R`` used as a value gets an ADT
  (``FuncTypeN``) with one constructor per function that flows there (a
  lambda, whose constructor's fields are the lambda's free variables, or a
  global function, with no field), and a global ``@apply_N(%enc, %a1..%an)``
  that matches on the constructor and runs that function's body;
* a call of a function-typed variable becomes a call of its ``@apply_N``;
* a global function with function-typed parameters is cloned for each
  instance of its type parameters (``@name_specialized_K``), with those
  parameters of the ADT type and its body converted the same way.

The new types and globals are added to ``mod`` (which is changed, as 0.8).
Beyond 0.8's stated assumptions, lambdas may be let-bound and may capture
function-typed variables (their constructors then hold encoded values, which
makes the ADT recursive), and functions may return function values (the
encoded value is returned). A higher-order global used as a value (not called)
is not supported.
"""
import itertools

from .. import ty as _ty
from ..adt import Clause, Constructor, Match, PatternConstructor, PatternTuple, PatternVar, PatternWildcard
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
from ..ty import FuncType, RefType, TupleType, TypeCall, TypeVar, subst_type


def _has_func_type(ty):
    if isinstance(ty, FuncType):
        return True
    if isinstance(ty, TupleType):
        return any(_has_func_type(f) for f in ty.fields)
    if isinstance(ty, TypeCall):
        return any(_has_func_type(a) for a in ty.args)
    if isinstance(ty, RefType):
        return _has_func_type(ty.value)
    return False


def _is_higher_order(func):
    ftype = func._checked_type_  # pylint: disable=protected-access
    params = [p.type_annotation or p._checked_type_ for p in func.params]  # pylint: disable=protected-access
    ret = func.ret_type if func.ret_type is not None else (ftype.ret_type if ftype is not None else None)
    return any(_has_func_type(t) for t in params if t is not None) or (
        ret is not None and _has_func_type(ret)
    )


def _unify(pattern, concrete, mapping):
    """Bind the type variables of ``pattern`` (in ``mapping``) so that it matches ``concrete``."""
    if pattern is None or concrete is None:
        return
    if isinstance(pattern, TypeVar):
        if pattern not in mapping and not isinstance(concrete, TypeVar | _ty.IncompleteType):
            mapping[pattern] = concrete
        return
    if isinstance(pattern, FuncType) and isinstance(concrete, FuncType):
        for p, c in zip(pattern.arg_types, concrete.arg_types):
            _unify(p, c, mapping)
        _unify(pattern.ret_type, concrete.ret_type, mapping)
    elif isinstance(pattern, TupleType) and isinstance(concrete, TupleType):
        for p, c in zip(pattern.fields, concrete.fields):
            _unify(p, c, mapping)
    elif isinstance(pattern, TypeCall) and isinstance(concrete, TypeCall):
        for p, c in zip(pattern.args, concrete.args):
            _unify(p, c, mapping)
    elif isinstance(pattern, RefType) and isinstance(concrete, RefType):
        _unify(pattern.value, concrete.value, mapping)


def _type_of(expr):
    ty = expr._checked_type_  # pylint: disable=protected-access
    if ty is None and isinstance(expr, Var):
        ty = expr.type_annotation
    if ty is None:
        raise ValueError(
            "Defunctionalization: an expression has no inferred type; run relay.transform.InferType first"
        )
    return ty


class _Encoding:
    """The ADT and ``@apply`` function of one (monomorphic) function type."""

    def __init__(self, defunc, ftype, index):
        self.ftype = ftype
        self.gtv = _ty.GlobalTypeVar(f"FuncType{index}")
        self.apply_gv = GlobalVar(f"apply{index}")
        self.params = [Var(f"arg{i}", defunc.encode_type(t)) for i, t in enumerate(ftype.arg_types)]
        self.enc = Var("enc", TypeCall(self.gtv, []))
        self.ret_type = defunc.encode_type(ftype.ret_type)
        self.constructors = []
        self.clauses = []
        self.globals = {}

    @property
    def adt_type(self):
        return TypeCall(self.gtv, [])


class _Context:
    """Type variables of the function being converted, and its variables renamed."""

    def __init__(self, mapping, var_map):
        self.mapping = mapping
        self.var_map = var_map


class Defunctionalizer:
    """The conversion behind :func:`Defunctionalization`."""

    def __init__(self, mod):
        self.mod = mod
        self.encodings = {}
        self.specialized = {}
        self.counter = itertools.count()
        self.names = itertools.count()

    # -- types
    def concrete(self, ty, ctx):
        return subst_type(ty, ctx.mapping) if ctx.mapping else ty

    def encoding(self, ftype):
        key = str(ftype)
        found = self.encodings.get(key)
        if found is None:
            found = _Encoding(self, ftype, next(self.counter))
            self.encodings[key] = found
        return found

    def encode_type(self, ty):
        if isinstance(ty, FuncType):
            if ty.type_params:
                raise ValueError(
                    f"Defunctionalization: a polymorphic function value of type {ty} cannot be encoded"
                )
            return self.encoding(ty).adt_type
        if isinstance(ty, TupleType):
            return TupleType([self.encode_type(f) for f in ty.fields])
        if isinstance(ty, TypeCall):
            return TypeCall(ty.func, [self.encode_type(a) for a in ty.args])
        if isinstance(ty, RefType):
            return RefType(self.encode_type(ty.value))
        return ty

    # -- variables and patterns
    def var(self, var, ctx):
        new = ctx.var_map.get(var)
        if new is None:
            ty = var.type_annotation or var._checked_type_  # pylint: disable=protected-access
            new_ty = None if ty is None else self.encode_type(self.concrete(ty, ctx))
            new = Var(var.name_hint, new_ty)
            ctx.var_map[var] = new
        return new

    def pattern(self, pattern, ctx):
        if isinstance(pattern, PatternVar):
            return PatternVar(self.var(pattern.var, ctx))
        if isinstance(pattern, PatternConstructor):
            return PatternConstructor(pattern.constructor, [self.pattern(p, ctx) for p in pattern.patterns])
        if isinstance(pattern, PatternTuple):
            return PatternTuple([self.pattern(p, ctx) for p in pattern.patterns])
        return PatternWildcard()

    # -- function values
    def encode_function(self, func, expected, ctx):
        """A constructor value standing for the lambda ``func`` at function type ``expected``."""
        from ..analysis import free_vars  # pylint: disable=import-outside-toplevel

        enc = self.encoding(expected)
        mapping = dict(ctx.mapping)
        if func.type_params:
            own = {}
            _unify(FuncType([p.type_annotation or p._checked_type_ for p in func.params],  # pylint: disable=protected-access
                            func.ret_type or _type_of(func).ret_type), expected, own)
            mapping.update(own)
        fvs = list(free_vars(func))
        fields = [self.var(v, ctx) for v in fvs]
        con = Constructor(f"Lambda{len(enc.constructors)}_{enc.gtv.name_hint}",
                          [f.type_annotation for f in fields], enc.gtv)
        enc.constructors.append(con)
        inner = _Context(mapping, dict(ctx.var_map))
        pattern_vars = []
        for v, field in zip(fvs, fields):
            pv = Var(v.name_hint, field.type_annotation)
            inner.var_map[v] = pv
            pattern_vars.append(PatternVar(pv))
        for param, arg in zip(func.params, enc.params):
            inner.var_map[param] = arg
        body = self.visit(func.body, inner)
        enc.clauses.append(Clause(PatternConstructor(con, pattern_vars), body))
        return Call(con, [self.visit(v, ctx) for v in fvs])

    def encode_global(self, gvar, expected):
        """A constructor value standing for the global function ``gvar`` at type ``expected``."""
        enc = self.encoding(expected)
        con = enc.globals.get(gvar.name_hint)
        if con is None:
            func = self.mod[gvar]
            if isinstance(func, Function) and _is_higher_order(func):
                raise ValueError(
                    f"Defunctionalization: the higher-order global @{gvar.name_hint} is used as a value"
                )
            con = Constructor(f"Global_{gvar.name_hint}_{enc.gtv.name_hint}", [], enc.gtv)
            enc.constructors.append(con)
            enc.globals[gvar.name_hint] = con
            enc.clauses.append(Clause(PatternConstructor(con, []), Call(gvar, list(enc.params))))
        return Call(con, [])

    def value(self, expr, expected, ctx):
        """``expr`` in argument position, where a value of type ``expected`` (concrete) goes."""
        if isinstance(expected, FuncType):
            if isinstance(expr, Function):
                return self.encode_function(expr, expected, ctx)
            if isinstance(expr, GlobalVar):
                return self.encode_global(expr, expected)
        return self.visit(expr, ctx)

    # -- specialisation of higher-order globals
    def specialize(self, gvar, mapping):
        func = self.mod[gvar]
        key = (gvar.name_hint, tuple(str(mapping.get(tp)) for tp in func.type_params))
        found = self.specialized.get(key)
        if found is not None:
            return found
        new_gv = GlobalVar(f"{gvar.name_hint}_specialized_{next(self.names)}")
        self.specialized[key] = new_gv
        ctx = _Context(mapping, {})
        params = [self.var(p, ctx) for p in func.params]
        body = self.visit(func.body, ctx)
        ret = func.ret_type if func.ret_type is not None else _type_of(func).ret_type
        ret = self.encode_type(self.concrete(ret, ctx))
        self.mod[new_gv] = Function(params, body, ret, [], func.attrs)
        return new_gv

    def call_global(self, call, gvar, ctx):
        func = self.mod[gvar] if gvar.name_hint in self.mod else None
        if not isinstance(func, Function) or not _is_higher_order(func):
            return Call(gvar, [self.visit(a, ctx) for a in call.args], call.attrs)
        mapping = {}
        param_types = [p.type_annotation or p._checked_type_ for p in func.params]  # pylint: disable=protected-access
        for pt, arg in zip(param_types, call.args):
            arg_ty = arg._checked_type_  # pylint: disable=protected-access
            if arg_ty is not None and not (isinstance(arg_ty, FuncType) and arg_ty.type_params):
                _unify(pt, self.concrete(arg_ty, ctx), mapping)
        ret = func.ret_type if func.ret_type is not None else _type_of(func).ret_type
        if call._checked_type_ is not None:  # pylint: disable=protected-access
            _unify(ret, self.concrete(call._checked_type_, ctx), mapping)  # pylint: disable=protected-access
        for tp, targ in zip(func.type_params, call.type_args):
            if tp not in mapping and targ is not None:
                mapping[tp] = self.concrete(targ, ctx)
        missing = [tp.name_hint for tp in func.type_params if tp not in mapping]
        if missing:
            raise ValueError(
                f"Defunctionalization: cannot determine type parameters {missing} of a call of "
                f"@{gvar.name_hint}"
            )
        new_gv = self.specialize(gvar, mapping)
        args = [
            self.value(a, subst_type(pt, mapping), ctx) for a, pt in zip(call.args, param_types)
        ]
        return Call(new_gv, args)

    # -- expressions
    def visit(self, expr, ctx):  # pylint: disable=too-many-return-statements,too-many-branches
        if isinstance(expr, Var):
            return self.var(expr, ctx)
        if isinstance(expr, Constant | Op | Constructor):
            return expr
        if isinstance(expr, GlobalVar):
            ty = expr._checked_type_  # pylint: disable=protected-access
            func = self.mod[expr] if expr.name_hint in self.mod else None
            if isinstance(func, Function):
                if ty is None or (isinstance(ty, FuncType) and ty.type_params):
                    ty = _type_of(func)
                ty = self.concrete(ty, ctx)
                if isinstance(ty, FuncType) and not ty.type_params:
                    return self.encode_global(expr, ty)
            return expr
        if isinstance(expr, Function):
            ty = self.concrete(_type_of(expr), ctx)
            return self.encode_function(expr, ty, ctx)
        if isinstance(expr, Call):
            op = expr.op
            if isinstance(op, Op | Constructor):
                return Call(op, [self.visit(a, ctx) for a in expr.args], expr.attrs, expr.type_args)
            if isinstance(op, GlobalVar):
                return self.call_global(expr, op, ctx)
            if isinstance(op, Function):
                # ``(fn (x) { body })(a)``: ``let x = a; body``
                result = self.visit(op.body, ctx)
                for param, arg in reversed(list(zip(op.params, expr.args))):
                    result = Let(self.var(param, ctx), self.visit(arg, ctx), result)
                return result
            ftype = self.concrete(_type_of(op), ctx)
            enc = self.encoding(ftype)
            return Call(enc.apply_gv, [self.visit(op, ctx)] + [self.visit(a, ctx) for a in expr.args])
        if isinstance(expr, Let):
            return Let(self.var(expr.var, ctx), self.visit(expr.value, ctx), self.visit(expr.body, ctx))
        if isinstance(expr, Tuple):
            return Tuple([self.visit(f, ctx) for f in expr.fields])
        if isinstance(expr, TupleGetItem):
            return TupleGetItem(self.visit(expr.tuple_value, ctx), expr.index)
        if isinstance(expr, If):
            return If(self.visit(expr.cond, ctx), self.visit(expr.true_branch, ctx),
                      self.visit(expr.false_branch, ctx))
        if isinstance(expr, Match):
            return Match(
                self.visit(expr.data, ctx),
                [Clause(self.pattern(c.lhs, ctx), self.visit(c.rhs, ctx)) for c in expr.clauses],
                expr.complete,
            )
        if isinstance(expr, RefCreate):
            return RefCreate(self.visit(expr.value, ctx))
        if isinstance(expr, RefRead):
            return RefRead(self.visit(expr.ref, ctx))
        if isinstance(expr, RefWrite):
            return RefWrite(self.visit(expr.ref, ctx), self.visit(expr.value, ctx))
        raise TypeError(f"Defunctionalization cannot convert {type(expr).__name__}")

    def finish(self):
        """Add the ADTs and ``@apply`` functions made so far to the module."""
        for enc in self.encodings.values():
            data = _ty.TypeData(enc.gtv, [], list(enc.constructors))
            self.mod[enc.gtv] = data
        for enc in self.encodings.values():
            body = Match(enc.enc, list(enc.clauses), complete=True)
            self.mod[enc.apply_gv] = Function([enc.enc] + list(enc.params), body, enc.ret_type)


def Defunctionalization(func, mod):  # pylint: disable=invalid-name
    """A first-order version of ``func`` (0.8's ``relay.transform.Defunctionalization``).

    Parameters
    ----------
    func : relay.Function
        A type-inferred function whose parameters and result are not functions
        (and that has no type parameters).
    mod : tvm.IRModule
        The (type-inferred) module of ``func``'s globals and types; the
        encodings and the specialised functions are added to it.

    Returns
    -------
    func : relay.Function
        The converted function (untyped; run ``InferType`` on the module).
    """
    if not isinstance(func, Function):
        raise TypeError(f"Defunctionalization needs a relay Function, got {type(func).__name__}")
    if func.type_params:
        raise ValueError("Defunctionalization: the function must not be polymorphic")
    if _is_higher_order(func):
        raise ValueError("Defunctionalization: the function's parameters and result must not be functions")
    defunc = Defunctionalizer(mod)
    ctx = _Context({}, {})
    params = [defunc.var(p, ctx) for p in func.params]
    body = defunc.visit(func.body, ctx)
    defunc.finish()
    return Function(params, body, func.ret_type, [], func.attrs)


__all__ = ["Defunctionalization", "Defunctionalizer"]
