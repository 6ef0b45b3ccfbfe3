"""PartialEvaluate: evaluate at compile time what is known at compile time (0.8's pass).

The evaluator runs the program as an interpreter would, but on *partially
static* values: each value has an optional static part (a constant tensor, a
tuple, a reference cell, a function, a constructed ADT value) and a dynamic
part, an atom (a variable, a global, a constant) that computes the same value at
run time. What is known is computed now (operators on constant tensors are
evaluated by the reference interpreter, ``if`` on a constant takes its branch,
``match`` on a known value takes its clause, known functions are inlined,
reads of known reference cells give the stored value); what is not is emitted,
in A-normal form, into the generated code.

Choices worth stating (the contract is 0.8's: same pass name, module pass,
output that type-checks and computes the same values):

* Reference cells live in a compile-time *store*. A ``ref_write`` to an unknown
  reference, a call of an unknown function, a dynamic ``if`` or ``match``
  clears it (anything may have been written). Branches of a dynamic ``if`` /
  ``match`` run on a copy of the store; a function's residual version runs on
  an empty store (it may be called at any time).
* Termination: 0.8 measures progress with "fuel". Here a function (identified by
  its original ``Function`` node, so all closures of one lambda count as one)
  is inlined when it is not already being inlined, or when it is, only if its
  arguments are all fully static and differ from those of every active
  inlining of it (at most ``MAX_UNROLL`` nested). Otherwise the call is
  emitted. So recursion on known data (a Peano number, a list literal, a
  constant counter) is unrolled, and recursion on unknown data is emitted once.
* The residual version of a function, tuple or constructed value is built only
  when its dynamic part is needed (a let binding is reserved where the value
  was created and filled in then). 0.8 built every function's residual version
  eagerly; the result differs only in dead bindings, which 0.8 left to
  ``DeadCodeElimination``.
* Calls with no arguments (``zeros((10, 10))``) are not folded into constants
  (as this fork's ``FoldConstant``): they would only make large literals.
* Every function of the module is partially evaluated; the functions are
  returned untyped, as 0.8 (run ``InferType`` after). Generated bindings are
  not annotated, except that a recursive local function keeps its type
  annotation so that the residual ``let`` can be typed.
"""
import sys

import numpy as np

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
from ..expr_functor import ExprMutator
from ..function import Function
from ..op.op import Op
from ..ty import IncompleteType, subst_type
from .pass_infra import ModulePass, PassInfo

#: Largest number of nested inlinings of one function with static arguments.
MAX_UNROLL = 64

_STATEFUL_PREFIXES = ("random.", "annotation.", "memory.", "vm.", "qnn.")
_STATEFUL = frozenset(["nn.dropout", "on_device", "device_copy", "debug"])


class _Dynamic(Exception):
    """A value has a part unknown at compile time."""


# --------------------------------------------------------------------------- static values
class STensor:
    """A constant tensor (a NumPy array)."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data


class STuple:
    """A tuple of partially static values."""

    __slots__ = ("fields",)

    def __init__(self, fields):
        self.fields = list(fields)


class SRef:
    """A reference cell; its content is in the evaluator's store under this object."""

    __slots__ = ()


class SConstructor:
    """A value built by ``constructor`` from partially static ``fields``."""

    __slots__ = ("constructor", "fields")

    def __init__(self, constructor, fields):
        self.constructor = constructor
        self.fields = list(fields)


class SFunc:
    """A function known at compile time; ``apply(self_ps, args, attrs, type_args, ll)``."""

    __slots__ = ("apply", "key")

    def __init__(self, apply, key):
        self.apply = apply
        self.key = key


class PStatic:
    """A partially static value: ``static`` (or None) and the atom ``dynamic``.

    ``force`` (if set) builds the binding behind ``dynamic`` the first time it is read.
    """

    __slots__ = ("static", "_dynamic", "_force")

    def __init__(self, static, dynamic, force=None):
        self.static = static
        self._dynamic = dynamic
        self._force = force

    @property
    def dynamic(self):
        if self._force is not None:
            force, self._force = self._force, None
            force()
        return self._dynamic


def _no_static(expr):
    return PStatic(None, expr)


# --------------------------------------------------------------------------- let lists
def _is_atom(expr):
    return isinstance(expr, Var | GlobalVar | Constant | Op | Constructor)


class LetList:
    """Bindings generated in one scope, in order; ``wrap(body)`` nests them as lets."""

    def __init__(self):
        self.slots = []
        self.closed = False

    def push(self, expr, var=None):
        """Bind ``expr`` (unless it is an atom and no variable is asked for); the atom."""
        if var is None:
            if _is_atom(expr):
                return expr
            var = Var("x")
        if self.closed:
            raise RuntimeError("PartialEvaluate: binding into a closed scope")
        self.slots.append([var, expr])
        return var

    def reserve(self, var):
        """A slot for a binding of ``var`` whose value is filled in later (or never)."""
        if self.closed:
            raise RuntimeError("PartialEvaluate: binding into a closed scope")
        slot = [var, None]
        self.slots.append(slot)
        return slot

    def lazy(self, make, var=None):
        """A dynamic atom bound to ``make()``, computed only when read."""
        var = var or Var("x")
        slot = self.reserve(var)

        def force():
            if self.closed:
                raise RuntimeError("PartialEvaluate: a value is needed outside its scope")
            slot[1] = make()

        return var, force

    def wrap(self, body):
        self.closed = True
        for var, value in reversed(self.slots):
            if value is not None:
                body = Let(var, value, body)
        return body


# --------------------------------------------------------------------------- helpers
def _reflect(ps):
    """The constant expression of a fully static tensor/tuple value, else raise _Dynamic."""
    st = ps.static
    if isinstance(st, STensor):
        return Constant(st.data)
    if isinstance(st, STuple):
        return Tuple([_reflect(f) for f in st.fields])
    raise _Dynamic()


def _fingerprint(ps):
    """A hashable summary of a fully static value (raises _Dynamic if some part is unknown)."""
    st = ps.static
    if st is None:
        raise _Dynamic()
    if isinstance(st, STensor):
        return ("T", str(st.data.dtype), st.data.shape, st.data.tobytes())
    if isinstance(st, STuple):
        return ("U",) + tuple(_fingerprint(f) for f in st.fields)
    if isinstance(st, SConstructor):
        return ("C", st.constructor.name_hint, st.constructor.tag) + tuple(
            _fingerprint(f) for f in st.fields
        )
    if isinstance(st, SFunc):
        return ("F", id(st.key))
    return ("R", id(st))


def _op_foldable(op):
    name = op.name
    if name in _STATEFUL or name.startswith(_STATEFUL_PREFIXES):
        return False
    try:
        return not op.get_attr("TNonComputational")
    except Exception:  # pylint: disable=broad-except
        return True


def _value_to_ps(value, ll):
    if isinstance(value, tuple | list):
        fields = [_value_to_ps(v, ll) for v in value]
        return PStatic(STuple(fields), ll.push(Tuple([f.dynamic for f in fields])))
    array = np.asarray(value)
    const = Constant(array)
    return PStatic(STensor(const.numpy()), const)


def _fresh_pattern(pattern, env):
    """A copy of ``pattern`` with fresh variables, each bound in ``env`` to itself (dynamic)."""
    if isinstance(pattern, PatternVar):
        var = Var(pattern.var.name_hint, pattern.var.type_annotation)
        env[pattern.var] = _no_static(var)
        return PatternVar(var)
    if isinstance(pattern, PatternConstructor):
        return PatternConstructor(pattern.constructor, [_fresh_pattern(p, env) for p in pattern.patterns])
    if isinstance(pattern, PatternTuple):
        return PatternTuple([_fresh_pattern(p, env) for p in pattern.patterns])
    return PatternWildcard()


_MATCH, _NO_MATCH, _UNKNOWN = 0, 1, 2


class _TypeSubst(ExprMutator):
    """An expression with type variables replaced in its annotations and type
    arguments (the body of a polymorphic function inlined at one instance);
    every variable whose annotation changes is replaced consistently."""

    def __init__(self, mapping):
        super().__init__()
        self.mapping = mapping
        self.vars = {}

    def _ty(self, ty):
        return None if ty is None else subst_type(ty, self.mapping)

    def visit_var(self, var):
        new = self.vars.get(var)
        if new is None:
            annotation = self._ty(var.type_annotation)
            new = var if annotation is var.type_annotation else Var(var.name_hint, annotation)
            self.vars[var] = new
        return new

    def visit_call(self, call):
        op = self.visit(call.op)
        args = [self.visit(a) for a in call.args]
        return Call(op, args, call.attrs, [self._ty(t) for t in call.type_args], call.span)

    def visit_function(self, fn):
        params = [self.visit(p) for p in fn.params]
        return Function(params, self.visit(fn.body), self._ty(fn.ret_type), fn.type_params, fn.attrs)

    def _pattern(self, pattern):
        if isinstance(pattern, PatternVar):
            return PatternVar(self.visit(pattern.var))
        if isinstance(pattern, PatternConstructor):
            return PatternConstructor(pattern.constructor, [self._pattern(p) for p in pattern.patterns])
        if isinstance(pattern, PatternTuple):
            return PatternTuple([self._pattern(p) for p in pattern.patterns])
        return pattern

    def visit_match(self, match):
        clauses = [Clause(self._pattern(c.lhs), self.visit(c.rhs)) for c in match.clauses]
        return Match(self.visit(match.data), clauses, match.complete)


def _match(pattern, ps, env):
    if isinstance(pattern, PatternWildcard):
        return _MATCH
    if isinstance(pattern, PatternVar):
        env[pattern.var] = ps
        return _MATCH
    st = ps.static
    if isinstance(pattern, PatternConstructor):
        if not isinstance(st, SConstructor):
            return _UNKNOWN
        if st.constructor is not pattern.constructor and (
            st.constructor.tag != pattern.constructor.tag
            or st.constructor.name_hint != pattern.constructor.name_hint
        ):
            return _NO_MATCH
        subs = pattern.patterns
        fields = st.fields
    elif isinstance(pattern, PatternTuple):
        if not isinstance(st, STuple):
            return _UNKNOWN
        subs = pattern.patterns
        fields = st.fields
    else:
        raise TypeError(f"PartialEvaluate: unknown pattern {pattern!r}")
    status = _MATCH
    for sub, field in zip(subs, fields):
        result = _match(sub, field, env)
        if result == _NO_MATCH:
            return _NO_MATCH
        if result == _UNKNOWN:
            status = _UNKNOWN
    return status


# --------------------------------------------------------------------------- the evaluator
class PartialEvaluator:
    """Partially evaluate the functions of one module (see the module docstring)."""

    def __init__(self, mod=None):
        self.mod = mod
        self.store = {}
        self.active = {}
        self.globals = {}
        self.free_var_cache = {}
        self.memo = {}

    # -- scopes
    def _with_store(self, store, thunk):
        saved = self.store
        self.store = store
        try:
            return thunk()
        finally:
            self.store = saved

    def _in_scope(self, thunk):
        """``thunk(ll)`` in a new let list; the wrapped expression."""
        ll = LetList()
        result = thunk(ll)
        return ll.wrap(result.dynamic)

    # -- entry points
    def residual_function(self, func, env, self_ps=None, name=None):
        """The residual version of ``func`` (closed over ``env``): its body partially
        evaluated with unknown parameters, on an empty store."""
        params = [Var(p.name_hint, p.type_annotation) for p in func.params]

        def body(ll):
            args = [_no_static(p) for p in params]
            return self._inline(func, env, self_ps, name, args, ll, force=True)

        new_body = self._with_store({}, lambda: self._in_scope(body))
        return Function(params, new_body, func.ret_type, func.type_params, func.attrs)

    def global_value(self, gvar):
        """The partially static value of a global: its function, inlinable, named by ``gvar``."""
        key = gvar.name_hint
        if key not in self.globals:
            func = self.mod[gvar] if self.mod is not None and gvar.name_hint in self.mod else None
            if isinstance(func, Function) and not func.is_primitive:
                self.globals[key] = PStatic(self._closure(func, {}, None), gvar)
            else:
                self.globals[key] = _no_static(gvar)
        return self.globals[key]

    def residual_global(self, gvar):
        """The partially evaluated version of the module's function ``gvar``."""
        ps = self.global_value(gvar)
        return self.residual_function(self.mod[gvar], {}, ps, None)

    # -- functions
    def _free_vars(self, func):
        found = self.free_var_cache.get(id(func))
        if found is None:
            from ..analysis import free_vars  # pylint: disable=import-outside-toplevel

            found = (func, list(free_vars(func)))
            self.free_var_cache[id(func)] = found
        return found[1]

    def _closure(self, func, env, name):
        def apply(self_ps, args, _attrs, type_args, ll):
            return self._inline(func, env, self_ps, name, args, ll, type_args=type_args)

        return SFunc(apply, func)

    def _inline(self, func, env, self_ps, name, args, ll, force=False, type_args=()):
        """``func`` applied to ``args``: its body evaluated into ``ll``, or a residual call.

        ``force`` (building a residual version) always evaluates the body once.
        """
        if len(args) != len(func.params):
            raise ValueError(
                f"PartialEvaluate: function of {len(func.params)} parameters called with {len(args)}"
            )
        frames = self.active.setdefault(func, [])
        try:
            key = tuple(_fingerprint(a) for a in args)
        except _Dynamic:
            key = None
        if not force and frames and (key is None or key in frames or len(frames) >= MAX_UNROLL):
            self.store.clear()
            return _no_static(ll.push(Call(self_ps.dynamic, [a.dynamic for a in args])))
        frames.append(key)
        try:
            if func.type_params and not force:
                # inlined at one instance: its type parameters become the call's
                # type arguments (or unknown types, solved by InferType)
                mapping = {
                    tp: (type_args[i] if i < len(type_args) and type_args[i] is not None
                         else IncompleteType(tp.kind))
                    for i, tp in enumerate(func.type_params)
                }
                func = _TypeSubst(mapping).visit(func)
            new_env = dict(env)
            if name is not None and self_ps is not None:
                new_env[name] = self_ps
            for param, arg in zip(func.params, args):
                new_env[param] = arg
            return self.eval(func.body, new_env, ll)
        finally:
            frames.pop()

    def _function(self, func, env, ll, name=None):
        """A function value: inlinable where called; its residual version is bound in
        ``ll`` (to a variable named after ``name``, the let variable) only if needed."""
        if func.is_primitive:
            return _no_static(func)
        captured = {v: env[v] for v in self._free_vars(func) if v in env and v is not name}
        annotation = None
        if name is not None and name in self._free_vars(func):
            # a recursive let: the residual binding is typed from the original
            annotation = name.type_annotation or func._checked_type_
        var = Var(name.name_hint if name is not None else "f", annotation)
        ps = PStatic(self._closure(func, captured, name), var)
        slot = ll.reserve(var)

        def force():
            if ll.closed:
                raise RuntimeError("PartialEvaluate: a function is needed outside its scope")
            slot[1] = self.residual_function(func, captured, ps, name)

        ps._force = force  # pylint: disable=protected-access
        return ps

    # -- evaluation
    def eval(self, expr, env, ll):
        """The partially static value of ``expr`` in ``env``, generated code going into ``ll``.

        A node reached twice in the same scope (a dataflow graph shares nodes) is
        evaluated once: its value is remembered per (node, environment, let list).
        """
        if isinstance(expr, Var | Constant | GlobalVar | Op | Constructor):
            return self._eval(expr, env, ll)
        key = (id(expr), id(env), id(ll))
        found = self.memo.get(key)
        if found is not None:
            return found[3]
        result = self._eval(expr, env, ll)
        self.memo[key] = (expr, env, ll, result)
        return result

    def _eval(self, expr, env, ll):
        if isinstance(expr, Var):
            found = env.get(expr)
            return found if found is not None else _no_static(expr)
        if isinstance(expr, Constant):
            return PStatic(STensor(expr.numpy()), expr)
        if isinstance(expr, GlobalVar):
            return self.global_value(expr)
        if isinstance(expr, Op):
            return PStatic(SFunc(self._op_apply(expr), expr), expr)
        if isinstance(expr, Constructor):
            return PStatic(SFunc(self._constructor_apply(expr), expr), expr)
        if isinstance(expr, Tuple):
            fields = [self.eval(f, env, ll) for f in expr.fields]
            var, force = ll.lazy(lambda: Tuple([f.dynamic for f in fields]))
            return PStatic(STuple(fields), var, force)
        if isinstance(expr, TupleGetItem):
            tup = self.eval(expr.tuple_value, env, ll)
            if isinstance(tup.static, STuple):
                return tup.static.fields[expr.index]
            return _no_static(ll.push(TupleGetItem(tup.dynamic, expr.index)))
        if isinstance(expr, Function):
            return self._function(expr, env, ll)
        if isinstance(expr, Let):
            return self._let(expr, env, ll)
        if isinstance(expr, If):
            return self._if(expr, env, ll)
        if isinstance(expr, Call):
            return self._call(expr, env, ll)
        if isinstance(expr, RefCreate):
            value = self.eval(expr.value, env, ll)
            ref = SRef()
            self.store[ref] = value
            return PStatic(ref, ll.push(RefCreate(value.dynamic)))
        if isinstance(expr, RefRead):
            ref = self.eval(expr.ref, env, ll)
            if isinstance(ref.static, SRef) and ref.static in self.store:
                return self.store[ref.static]
            return _no_static(ll.push(RefRead(ref.dynamic)))
        if isinstance(expr, RefWrite):
            ref = self.eval(expr.ref, env, ll)
            value = self.eval(expr.value, env, ll)
            if isinstance(ref.static, SRef):
                self.store[ref.static] = value
            else:
                self.store.clear()
            return PStatic(STuple([]), ll.push(RefWrite(ref.dynamic, value.dynamic)))
        if isinstance(expr, Match):
            return self._match(expr, env, ll)
        raise TypeError(f"PartialEvaluate cannot evaluate {type(expr).__name__}")

    def _let(self, let, env, ll):
        # A chain of lets is walked iteratively (long A-normal-form bodies).
        while isinstance(let, Let):
            if isinstance(let.value, Function):
                value = self._function(let.value, env, ll, name=let.var)
            else:
                value = self.eval(let.value, env, ll)
            env[let.var] = value
            let = let.body
        return self.eval(let, env, ll)

    def _if(self, ite, env, ll):
        cond = self.eval(ite.cond, env, ll)
        if isinstance(cond.static, STensor) and cond.static.data.size == 1:
            branch = ite.true_branch if bool(cond.static.data.reshape(())) else ite.false_branch
            return self.eval(branch, env, ll)

        def branch(expr):
            return self._with_store(
                dict(self.store), lambda: self._in_scope(lambda inner: self.eval(expr, env, inner))
            )

        true_branch = branch(ite.true_branch)
        false_branch = branch(ite.false_branch)
        self.store.clear()
        return _no_static(ll.push(If(cond.dynamic, true_branch, false_branch)))

    def _match(self, match, env, ll):
        data = self.eval(match.data, env, ll)
        for i, clause in enumerate(match.clauses):
            status = _match(clause.lhs, data, env)
            if status == _MATCH:
                return self.eval(clause.rhs, env, ll)
            if status == _UNKNOWN:
                return self._dynamic_match(match, match.clauses[i:], data, env, ll)
        # No clause matches: the program fails at run time; keep the match.
        return self._dynamic_match(match, match.clauses, data, env, ll)

    def _dynamic_match(self, match, clauses, data, env, ll):
        new_clauses = []
        for clause in clauses:
            inner_env = dict(env)
            lhs = _fresh_pattern(clause.lhs, inner_env)
            rhs = self._with_store(
                dict(self.store),
                lambda c=clause, e=inner_env: self._in_scope(lambda inner: self.eval(c.rhs, e, inner)),
            )
            new_clauses.append(Clause(lhs, rhs))
        self.store.clear()
        return _no_static(ll.push(Match(data.dynamic, new_clauses, match.complete)))

    def _call(self, call, env, ll):
        func = self.eval(call.op, env, ll)
        args = [self.eval(a, env, ll) for a in call.args]
        if isinstance(func.static, SFunc):
            return func.static.apply(func, args, call.attrs, call.type_args, ll)
        self.store.clear()
        return _no_static(
            ll.push(Call(func.dynamic, [a.dynamic for a in args], call.attrs, call.type_args))
        )

    def _op_apply(self, op):
        def apply(_self_ps, args, attrs, type_args, ll):
            def residual():
                return _no_static(ll.push(Call(op, [a.dynamic for a in args], attrs, type_args)))

            if not args or not _op_foldable(op):
                return residual()
            try:
                consts = [_reflect(a) for a in args]
            except _Dynamic:
                return residual()
            from ..reference import eval_expr  # pylint: disable=import-outside-toplevel

            try:
                value = eval_expr(Call(op, consts, attrs, type_args), self.mod)
            except Exception:  # pylint: disable=broad-except
                return residual()
            return _value_to_ps(value, ll)

        return apply

    @staticmethod
    def _constructor_apply(con):
        def apply(_self_ps, args, _attrs, _type_args, ll):
            var, force = ll.lazy(lambda: Call(con, [a.dynamic for a in args]))
            return PStatic(SConstructor(con, args), var, force)

        return apply


def partial_evaluate(mod):
    """The module with every (non-primitive) Relay function partially evaluated."""
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20000))
    try:
        evaluator = PartialEvaluator(mod)
        new_mod = mod.copy()
        for gvar, func in mod.functions_items():
            if isinstance(func, Function) and not func.is_primitive:
                new_mod[gvar] = evaluator.residual_global(gvar)
        return new_mod
    finally:
        sys.setrecursionlimit(old_limit)


def PartialEvaluate():  # pylint: disable=invalid-name
    """Evaluate the statically known parts of every function of the module
    (0.8's ``relay.transform.PartialEvaluate``, a module pass of ``opt_level`` 1).

    The result is in A-normal form with many bindings used once or not at all:
    follow it with ``DeadCodeElimination(inline_once=True)`` (as 0.8's users did),
    and with ``InferType`` (the new functions are untyped).

    Returns
    -------
    Pass
    """
    return ModulePass(PassInfo(1, "PartialEvaluate"), lambda mod, _ctx: partial_evaluate(mod))


__all__ = ["PartialEvaluate", "PartialEvaluator", "partial_evaluate"]
