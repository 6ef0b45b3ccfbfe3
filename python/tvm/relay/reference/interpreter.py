"""The evaluator: :class:`Interpreter` runs Relay expressions on NumPy values.

Each operator call is evaluated by its NumPy kernel in :mod:`.ops`; no TOPI,
TensorIR, ``tvm.compile`` or optimisation pass runs here (type inference is
expected to have run: each kernel's result is checked against the call's
inferred type). :func:`eval_expr` is what ``FoldConstant`` calls at build
time; :mod:`.executor` wraps the interpreter as ``create_executor("debug")``.

Values during evaluation are

* ``numpy.ndarray`` for tensors,
* Python ``tuple`` of values for tuples,
* :class:`Closure` for functions (a function plus the environment it captured),
* :class:`ConstructorValue` for values of algebraic data types (a constructor
  and its field values),
* :class:`RefValue` for reference cells (``RefCreate``; mutated by ``RefWrite``).

Recursion goes through globals (a ``GlobalVar`` evaluates to a closure of the
module's function) and through let-bound functions (the closure sees its own
name). A ``Match`` tries its clauses in order and evaluates the first whose
pattern matches, with the pattern's variables bound.

Evaluation of a function body walks its dataflow graph with an explicit stack
(operands before users, each node once per call frame), so deep networks do
not hit the recursion limit; only ``Let`` / ``If`` nesting and function calls
recurse. An intermediate value is released after its last use in the walk,
so memory follows the live set (ResNet-50 at batch 4: under 100 MiB of
intermediates).
"""
import numpy as np

from ..adt import Constructor, Match, PatternConstructor, PatternTuple, PatternVar, PatternWildcard
from ..expr import (
    Call,
    Constant,
    GlobalVar,
    If,
    Let,
    RefCreate,
    RefRead,
    RefWrite,
    RelayExpr,
    Tuple,
    TupleGetItem,
    Var,
)
from ..function import Function
from ..module import IRModule
from ..op._debug import call_debug_func
from . import ops

__all__ = ["Closure", "ConstructorValue", "RefValue", "Interpreter", "eval_expr"]


class ConstructorValue:
    """A value of an algebraic data type (0.8's ``relay.backend.interpreter.ConstructorValue``).

    Parameters
    ----------
    tag : int
        The constructor's tag (its index in the type definition).
    fields : list
        The field values.
    constructor : relay.Constructor
        The constructor that built it.
    """

    __slots__ = ("tag", "fields", "constructor")

    def __init__(self, tag, fields, constructor):
        self.tag = int(tag)
        self.fields = list(fields)
        self.constructor = constructor

    def __repr__(self):
        name = getattr(self.constructor, "name_hint", self.tag)
        if not self.fields:
            return f"{name}"
        return f"{name}({', '.join(repr(f) for f in self.fields)})"


class RefValue:
    """A reference cell (0.8's ``relay.backend.interpreter.RefValue``); ``value`` is mutable."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"RefValue({self.value!r})"


class Closure:
    """A function value: a Relay function and the variables it captured.

    Parameters
    ----------
    func : Function
        The function.
    env : dict
        Captured variable values, keyed by the :class:`Var` object.
    """

    __slots__ = ("func", "env")

    def __init__(self, func, env):
        self.func = func
        self.env = env

    def __repr__(self):
        names = ", ".join(p.name_hint for p in self.func.params)
        return f"Closure(fn({names}))"


class _Frame:
    """Variable bindings and the evaluated nodes of one function activation."""

    __slots__ = ("env", "memo")

    def __init__(self, env):
        self.env = env
        self.memo = {}


def _op_name(op):
    return getattr(op, "name", None)


def _is_op(expr):
    return getattr(type(expr), "_is_relay_op", False)


class Interpreter:
    """Evaluate Relay expressions of a module with the NumPy reference kernels.

    Parameters
    ----------
    mod : IRModule, optional
        The module whose global functions ``GlobalVar`` calls refer to.
    device : tvm.runtime.Device, optional
        Device of the returned tensors (default ``tvm.cpu(0)``). Computation
        itself always happens on the host in NumPy.
    target : str or Target, optional
        Accepted for API compatibility with upstream; the interpreter compiles
        nothing.
    """

    def __init__(self, mod=None, device=None, target="llvm"):
        if mod is None:
            mod = IRModule()
        if not isinstance(mod, IRModule):
            raise TypeError(f"Interpreter needs a relay IRModule, got {type(mod).__name__}")
        self.mod = mod
        self.device = device
        self.target = target

    # ------------------------------------------------------------------ values
    def evaluate_value(self, expr, env=None):
        """Evaluate ``expr`` to an interpreter value (ndarray / tuple / Closure).

        Parameters
        ----------
        expr : RelayExpr
            The expression.
        env : dict, optional
            ``{Var: value}`` for the free variables of ``expr``.
        """
        expr = as_expr(expr)
        return self._eval(expr, _Frame(dict(env or {})))

    def call_value(self, func, args):
        """Apply a function value (Closure, Function or GlobalVar) to argument values."""
        return self._apply(self._as_callable(func, None), list(args), None)

    # ------------------------------------------------------------- evaluation
    def _eval(self, expr, frame):
        memo = frame.memo
        found = memo.get(id(expr))
        if found is not None:
            return found[1]
        order, walked = self._post_order(expr, memo)
        # Uses of each node by the other nodes of this walk: an intermediate
        # value is dropped after its last use, so memory stays at the live
        # set, not the whole graph. (A later walk in the same frame that
        # needs a dropped value, e.g. an If branch, recomputes it.)
        uses = {}
        for node in order:
            for child in self._operands(node):
                key = id(child)
                if key in walked:
                    uses[key] = uses.get(key, 0) + 1
        for node in order:
            memo[id(node)] = (node, self._compute(node, frame))
            for child in self._operands(node):
                key = id(child)
                left = uses.get(key)
                if left is None:
                    continue
                uses[key] = left - 1
                if left == 1:
                    memo.pop(key, None)
        return memo[id(expr)][1]

    def _post_order(self, expr, memo):
        """Nodes of ``expr`` not yet evaluated in this frame, operands first, and their ids."""
        order = []
        walked = {id(expr)}
        stack = [(expr, iter(self._operands(expr)))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                key = id(child)
                if key not in walked and key not in memo:
                    walked.add(key)
                    stack.append((child, iter(self._operands(child))))
                    break
            else:
                stack.pop()
                order.append(node)
        return order, walked

    @staticmethod
    def _operands(node):
        """The sub-expressions evaluated before ``node`` itself."""
        if isinstance(node, Call):
            if isinstance(node.op, RelayExpr) and not _is_op(node.op):
                return (node.op,) + node.args
            return node.args
        if isinstance(node, Tuple):
            return node.fields
        if isinstance(node, TupleGetItem):
            return (node.tuple_value,)
        if isinstance(node, If):
            return (node.cond,)
        if isinstance(node, Let):
            return (node.value,)
        if isinstance(node, Match):
            return (node.data,)
        if isinstance(node, RefCreate):
            return (node.value,)
        if isinstance(node, RefRead):
            return (node.ref,)
        if isinstance(node, RefWrite):
            return (node.ref, node.value)
        return ()

    def _value_of(self, node, frame):
        return frame.memo[id(node)][1]

    def _compute(self, node, frame):
        if isinstance(node, Call):
            return self._compute_call(node, frame)
        if isinstance(node, Var):
            try:
                return frame.env[node]
            except KeyError:
                raise ValueError(
                    f"free variable {node.name_hint!r} has no value: pass it as an input "
                    "or bind it before evaluation"
                ) from None
        if isinstance(node, Constant):
            return node.numpy()
        if isinstance(node, Tuple):
            return tuple(self._value_of(f, frame) for f in node.fields)
        if isinstance(node, TupleGetItem):
            value = self._value_of(node.tuple_value, frame)
            if not isinstance(value, tuple):
                raise TypeError(
                    f"TupleGetItem index {node.index} applied to a non-tuple value "
                    f"({_describe(value)})"
                )
            if not -len(value) <= node.index < len(value):
                raise IndexError(
                    f"TupleGetItem index {node.index} out of range for a tuple of {len(value)}"
                )
            return value[node.index]
        if isinstance(node, Function):
            # Capture the whole environment: a closure may refer to any
            # variable in scope, and copying the dict keeps later lets out.
            return Closure(node, dict(frame.env))
        if isinstance(node, GlobalVar):
            return self._global(node)
        if isinstance(node, Let):
            return self._compute_let(node, frame)
        if isinstance(node, If):
            cond = self._value_of(node.cond, frame)
            branch = node.true_branch if _truth(cond) else node.false_branch
            return self._eval(branch, frame)
        if isinstance(node, Match):
            return self._compute_match(node, frame)
        if isinstance(node, Constructor):
            return node  # a function value: calling it builds a ConstructorValue
        if isinstance(node, RefCreate):
            return RefValue(self._value_of(node.value, frame))
        if isinstance(node, RefRead):
            return self._ref(node.ref, frame).value
        if isinstance(node, RefWrite):
            self._ref(node.ref, frame).value = self._value_of(node.value, frame)
            return ()
        if _is_op(node):
            raise TypeError(
                f"operator {node.name!r} used as a value; operators can only be called"
            )
        raise TypeError(f"the interpreter cannot evaluate {type(node).__name__}: {node!r}")

    def _compute_let(self, node, frame):
        # Let chains (A-normal form) are walked in a loop, not by recursion.
        while True:
            value = self._eval(node.value, frame)
            if isinstance(value, Closure) and value.func is node.value:
                # ``let f = fn (...) { ... f(...) ... }``: a recursive local
                # function sees itself.
                value.env[node.var] = value
            frame.env[node.var] = value
            body = node.body
            if not isinstance(body, Let):
                return self._eval(body, frame)
            node = body

    def _ref(self, node, frame):
        ref = self._value_of(node, frame)
        if not isinstance(ref, RefValue):
            raise TypeError(f"reading or writing a reference, got a {_describe(ref)}")
        return ref

    def _compute_match(self, node, frame):
        data = self._value_of(node.data, frame)
        for clause in node.clauses:
            bindings = {}
            if _match(clause.lhs, data, bindings):
                if not bindings:
                    return self._eval(clause.rhs, frame)
                # The clause's variables are bound in a frame of their own: the
                # right-hand side may be evaluated again (a recursive closure
                # shares nothing with this one, but a match inside a let-bound
                # loop body may meet the same nodes with other bindings).
                env = dict(frame.env)
                env.update(bindings)
                return self._eval(clause.rhs, _Frame(env))
        raise ValueError(f"match: no clause matches the value {_describe(data)}")

    def _global(self, gvar):
        try:
            func = self.mod[gvar]
        except KeyError:
            raise ValueError(
                f"global function {gvar.name_hint!r} is not in the module "
                f"(it has {sorted(g.name_hint for g in self.mod.get_global_vars())})"
            ) from None
        if not isinstance(func, Function):
            raise TypeError(
                f"global {gvar.name_hint!r} is a {type(func).__name__}; the interpreter "
                "evaluates Relay functions only"
            )
        return Closure(func, {})

    def _compute_call(self, call, frame):
        args = [self._value_of(a, frame) for a in call.args]
        op = call.op
        if _is_op(op):
            if op.name in ("on_device", "device_copy"):
                # device annotations and copies: the identity on any value (closures,
                # references, ADTs too); the interpreter runs everything on the CPU
                return args[0]
            if op.name == "debug":
                return call_debug_func(call.attrs, args[0])
            return ops.run_op(op.name, call.attrs, args, call)
        func = self._value_of(op, frame)
        return self._apply(self._as_callable(func, call), args, call)

    def _as_callable(self, value, call):
        if isinstance(value, Closure | Constructor):
            return value
        if isinstance(value, Function):
            return Closure(value, {})
        if isinstance(value, GlobalVar):
            return self._global(value)
        where = f" in call {_short(call)}" if call is not None else ""
        raise TypeError(f"cannot call a {_describe(value)}{where}")

    def _apply(self, closure, args, call):
        if isinstance(closure, Constructor):
            if len(args) != len(closure.inputs):
                raise TypeError(
                    f"constructor {closure.name_hint!r} takes {len(closure.inputs)} fields, "
                    f"got {len(args)}"
                )
            return ConstructorValue(closure.tag, args, closure)
        func = closure.func
        if len(args) != len(func.params):
            name = _func_name(func, call)
            raise TypeError(
                f"function {name} takes {len(func.params)} arguments "
                f"({', '.join(p.name_hint for p in func.params)}), got {len(args)}"
            )
        env = dict(closure.env)
        for param, arg in zip(func.params, args):
            env[param] = arg
        # A "Primitive" (fused) function is evaluated like any other, op by op:
        # that is what makes the interpreter a reference for the fused code.
        return self._eval(func.body, _Frame(env))

    # ----------------------------------------------------------- executor API
    def evaluate(self, expr=None, binds=None):
        """See :meth:`.executor.Executor.evaluate`."""
        from .executor import Executor  # pylint: disable=import-outside-toplevel

        return Executor(self).evaluate(expr, binds)


def as_expr(expr):
    """``expr`` as a Relay expression (a multi-output ``TupleWrapper`` becomes its tuple)."""
    if hasattr(expr, "astuple") and not isinstance(expr, RelayExpr):
        expr = expr.astuple()  # a TupleWrapper (multi-output op)
    if not isinstance(expr, RelayExpr):
        raise TypeError(f"cannot evaluate a {type(expr).__name__}: {expr!r}")
    return expr


def _truth(value):
    if isinstance(value, np.ndarray | np.generic | bool | int):
        array = np.asarray(value)
        if array.size != 1:
            raise ValueError(f"If condition must be a scalar, got shape {array.shape}")
        return bool(array.reshape(()))
    raise TypeError(f"If condition must be a boolean tensor, got {_describe(value)}")


def _match(pattern, value, bindings):
    """True if ``value`` matches ``pattern``; the pattern's variables go to ``bindings``."""
    if isinstance(pattern, PatternWildcard):
        return True
    if isinstance(pattern, PatternVar):
        bindings[pattern.var] = value
        return True
    if isinstance(pattern, PatternConstructor):
        if not isinstance(value, ConstructorValue):
            raise TypeError(
                f"match: constructor pattern {pattern.constructor.name_hint!r} applied to a "
                f"{_describe(value)}"
            )
        ctor = pattern.constructor
        if value.constructor is not ctor and (
            value.tag != ctor.tag
            or getattr(value.constructor, "belong_to", None) != ctor.belong_to
            or getattr(value.constructor, "name_hint", None) != ctor.name_hint
        ):
            return False
        return all(_match(p, f, bindings) for p, f in zip(pattern.patterns, value.fields))
    if isinstance(pattern, PatternTuple):
        if not isinstance(value, tuple) or len(value) != len(pattern.patterns):
            raise TypeError(
                f"match: a tuple pattern of {len(pattern.patterns)} fields applied to a "
                f"{_describe(value)}"
            )
        return all(_match(p, f, bindings) for p, f in zip(pattern.patterns, value))
    raise TypeError(f"match: unknown pattern {pattern!r}")


def _describe(value):
    if isinstance(value, ConstructorValue):
        return f"value built by {getattr(value.constructor, 'name_hint', value.tag)!r}"
    if isinstance(value, RefValue):
        return "reference"
    if isinstance(value, np.ndarray):
        return f"tensor of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple):
        return f"tuple of {len(value)}"
    if isinstance(value, Closure):
        return "function"
    return type(value).__name__


def _short(call):
    op = call.op
    return repr(_op_name(op) or getattr(op, "name_hint", type(op).__name__))


def _func_name(func, call):
    name = func.attrs.get("global_symbol") if func.attrs is not None else None
    if name:
        return repr(name)
    if call is not None and isinstance(call.op, GlobalVar | Var):
        return repr(call.op.name_hint)
    return "fn(" + ", ".join(p.name_hint for p in func.params) + ")"


def eval_expr(expr, mod=None):
    """Evaluate a closed expression to NumPy (for constant folding).

    Parameters
    ----------
    expr : RelayExpr
        An expression without free variables (calls of ops, constants,
        tuples, lets, ...).
    mod : IRModule, optional
        Module for any ``GlobalVar`` the expression calls.

    Returns
    -------
    numpy.ndarray or tuple
        The value; tuples of arrays for tuple-valued expressions. A function
        value cannot be folded and raises ``TypeError``.
    """
    value = Interpreter(mod).evaluate_value(expr)
    if _contains_closure(value):
        raise TypeError("eval_expr: the expression evaluates to a function, not a tensor")
    return value


def _contains_closure(value):
    if isinstance(value, Closure | Constructor | RefValue):
        return True
    if isinstance(value, ConstructorValue):
        return True
    if isinstance(value, tuple):
        return any(_contains_closure(v) for v in value)
    return False
