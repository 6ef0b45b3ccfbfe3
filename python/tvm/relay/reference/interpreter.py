"""The reference interpreter: ``relay.create_executor("debug")``.

This is the correctness oracle of the fork. It evaluates Relay expressions
directly on NumPy arrays, one operator at a time, with the kernels of
:mod:`.reference_ops` (written from each operator's semantics). It deliberately
shares nothing with the compiler path: no pass, no TOPI, no ``tvm.compile``,
so a bug in lowering cannot hide itself by also being in the reference.

Values during evaluation are

* ``numpy.ndarray`` for tensors,
* Python ``tuple`` of values for tuples,
* :class:`Closure` for functions (a function plus the environment it captured).

Results handed back to users are ``tvm.runtime.Tensor`` (tuples become Python
tuples of them), as upstream's interpreter returns NDArrays.

Evaluation of a function body walks its dataflow graph with an explicit stack
(operands before users, each node once per call frame), so deep networks do
not hit the recursion limit; only ``Let`` / ``If`` nesting and function calls
recurse. An intermediate value is released after its last use in the walk,
so memory follows the live set (ResNet-50 at batch 4: under 100 MiB of
intermediates).
"""
import numpy as np

from ..expr import Call, Constant, GlobalVar, If, Let, RelayExpr, Tuple, TupleGetItem, Var
from ..function import Function
from ..module import IRModule
from .. import ty as _ty
from . import ops
from .ops import contiguous

__all__ = ["Closure", "Executor", "Interpreter", "create_executor", "eval_expr"]


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
        expr = _as_expr(expr)
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
            return ops.run_op(op.name, call.attrs, args, call)
        func = self._value_of(op, frame)
        return self._apply(self._as_callable(func, call), args, call)

    def _as_callable(self, value, call):
        if isinstance(value, Closure):
            return value
        if isinstance(value, Function):
            return Closure(value, {})
        if isinstance(value, GlobalVar):
            return self._global(value)
        where = f" in call {_short(call)}" if call is not None else ""
        raise TypeError(f"cannot call a {_describe(value)}{where}")

    def _apply(self, closure, args, call):
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
        """See :meth:`Executor.evaluate`."""
        return Executor(self).evaluate(expr, binds)


def _as_expr(expr):
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


def _describe(value):
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


# ----------------------------------------------------------------- conversions
def _to_numpy(value, what):
    """An input given by the user (numpy, tvm tensor, scalar) as a numpy array."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, Constant):
        return value.numpy()
    if isinstance(value, np.generic | bool | int | float):
        return np.asarray(value)
    if hasattr(value, "numpy") and callable(value.numpy):
        return value.numpy()
    if isinstance(value, list | tuple):
        return tuple(_to_numpy(v, f"{what}[{i}]") for i, v in enumerate(value))
    raise TypeError(f"{what}: cannot use a {type(value).__name__} as a tensor value")


def _param_type(param):
    """The declared (or inferred) type of a function parameter, if any."""
    if param.type_annotation is not None:
        return param.type_annotation
    return param._checked_type_  # pylint: disable=protected-access


def _check_input(param, value):
    """Check a user input against the parameter's tensor type; name both shapes on error.

    Python scalars take the parameter's dtype; arrays must already have it.
    """
    expected = _param_type(param)
    if isinstance(value, bool | int | float) and isinstance(expected, _ty.TensorType):
        value = np.asarray(value, dtype=expected.dtype)
    if not isinstance(expected, _ty.TensorType) or not isinstance(value, np.ndarray):
        return value
    shape = tuple(value.shape)
    want = expected.shape
    if len(shape) != len(want) or any(
        not isinstance(w, _ty.Any) and int(w) != s for w, s in zip(want, shape)
    ):
        raise ValueError(
            f"input {param.name_hint!r} has shape {shape}, but the function expects "
            f"{tuple(want)}"
        )
    if str(value.dtype) != expected.dtype:
        raise TypeError(
            f"input {param.name_hint!r} has dtype {value.dtype}, but the function expects "
            f"{expected.dtype}"
        )
    return value


def to_runtime(value, device=None):
    """Convert an interpreter value to what users get: tvm tensors, tuples of them."""
    import tvm  # pylint: disable=import-outside-toplevel

    if isinstance(value, np.ndarray | np.generic):
        array = contiguous(value)
        return tvm.runtime.tensor(array, device or tvm.cpu(0))
    if isinstance(value, tuple):
        return tuple(to_runtime(v, device) for v in value)
    return value


class Executor:
    """``relay.create_executor("debug", ...)``: evaluate functions of a module.

    Parameters
    ----------
    interpreter : Interpreter
        The interpreter holding the module and the device.
    """

    def __init__(self, interpreter):
        self.interpreter = interpreter
        self.mod = interpreter.mod
        self.device = interpreter.device
        self.target = interpreter.target

    def evaluate(self, expr=None, binds=None):
        """Evaluate an expression, or make a callable of a function.

        Parameters
        ----------
        expr : RelayExpr or GlobalVar, optional
            The expression; ``None`` means the module's ``main``.
        binds : dict, optional
            ``{Var: value}`` for free variables of ``expr``.

        Returns
        -------
        callable or tvm.runtime.Tensor
            As upstream: a :class:`~tvm.relay.Constant` gives its value at
            once; anything else gives a callable. For a function (or a global
            naming one) the callable takes the function's inputs positionally
            or by parameter name; for any other expression it takes no
            arguments and returns the expression's value (a function value
            is then applied to whatever arguments are given).
        """
        env = {}
        for var, value in (binds or {}).items():
            if not isinstance(var, Var):
                raise TypeError(f"binds keys must be relay Vars, got {var!r}")
            env[var] = _to_numpy(value, f"bound variable {var.name_hint!r}")
        if expr is None:
            if "main" not in self.mod:
                raise ValueError("the module has no 'main' function to evaluate")
            expr = self.mod.get_global_var("main")
        interp = self.interpreter
        if not isinstance(expr, GlobalVar):
            expr = _as_expr(expr)
        if isinstance(expr, Constant) and not env:
            return to_runtime(expr.numpy(), self.device)
        if isinstance(expr, GlobalVar):
            return self._make_callable(interp._global(expr))  # pylint: disable=protected-access
        if isinstance(expr, Function):
            return self._make_callable(Closure(expr, env))

        def _run_expr(*args, **kwargs):
            value = interp.evaluate_value(expr, env)
            if isinstance(value, Closure):
                return self._make_callable(value)(*args, **kwargs)
            if args or kwargs:
                raise TypeError(
                    "the evaluated expression is not a function; call it without arguments"
                )
            return to_runtime(value, self.device)

        return _run_expr

    def _make_callable(self, closure):
        params = closure.func.params
        interp = self.interpreter
        device = self.device

        def _run(*args, **kwargs):
            values = _bind_inputs(params, args, kwargs)
            result = interp._apply(closure, values, None)  # pylint: disable=protected-access
            return to_runtime(result, device)

        _run.params = params
        return _run


def _bind_inputs(params, args, kwargs):
    """Match positional and keyword inputs to parameters, checking each one."""
    if len(args) > len(params):
        raise TypeError(
            f"too many inputs: the function takes {len(params)} "
            f"({', '.join(p.name_hint for p in params)}), got {len(args)} positional"
        )
    values = [None] * len(params)
    given = [False] * len(params)
    for i, arg in enumerate(args):
        values[i] = arg
        given[i] = True
    by_name = {}
    for i, param in enumerate(params):
        by_name.setdefault(param.name_hint, i)
    for name, value in kwargs.items():
        index = by_name.get(name)
        if index is None:
            raise TypeError(
                f"unknown input {name!r}; the function's inputs are "
                f"{[p.name_hint for p in params]}"
            )
        if given[index]:
            raise TypeError(f"input {name!r} given twice (positionally and by name)")
        values[index] = value
        given[index] = True
    missing = [p.name_hint for p, g in zip(params, given) if not g]
    if missing:
        raise TypeError(f"missing input(s) {missing} of the function")
    return [
        _check_input(
            param,
            value if isinstance(value, bool | int | float)
            else _to_numpy(value, f"input {param.name_hint!r}"),
        )
        for param, value in zip(params, values)
    ]


def _bind_params(func, params):
    """``func`` with parameters named in ``params`` replaced by constants."""
    from ..expr import bind  # pylint: disable=import-outside-toplevel

    by_name = {}
    for param in func.params:
        if param.name_hint in by_name:
            by_name[param.name_hint] = None  # ambiguous: upstream refuses these too
        else:
            by_name[param.name_hint] = param
    binds = {}
    for name, value in params.items():
        if name not in by_name:
            continue  # upstream ignores params that are not inputs of main
        param = by_name[name]
        if param is None:
            raise ValueError(f"parameter name {name!r} is used by several inputs of main")
        array = _check_input(param, _to_numpy(value, f"param {name!r}"))
        binds[param] = Constant(array)
    return bind(func, binds)


def create_executor(kind="debug", mod=None, device=None, target="llvm", params=None):
    """An executor of Relay programs (upstream ``relay.create_executor``).

    Parameters
    ----------
    kind : str
        ``"debug"``: the NumPy reference interpreter of this module. Other
        kinds (``"graph"``) are provided by ``relay.create_executor``.
    mod : IRModule, optional
        The module; an empty one if ``None``.
    device : tvm.runtime.Device, optional
        Device of the result tensors (default ``tvm.cpu(0)``).
    target : str or Target
        Accepted for compatibility; the interpreter compiles nothing.
    params : dict of str to array, optional
        Values bound to inputs of ``main`` by name before evaluation.

    Returns
    -------
    Executor
        Call ``.evaluate()`` on it, e.g.
        ``create_executor("debug", mod=mod).evaluate()(x, **params)``.
    """
    if kind != "debug":
        raise ValueError(
            f"executor kind {kind!r} is not provided by the interpreter module; use "
            "relay.create_executor for it (the interpreter is kind 'debug')"
        )
    if mod is None:
        mod = IRModule()
    elif isinstance(mod, Function):
        mod = IRModule.from_expr(mod)
    if params:
        if "main" not in mod:
            raise ValueError("params given but the module has no 'main' function")
        mod = mod.copy()
        mod["main"] = _bind_params(mod["main"], params)
    return Executor(Interpreter(mod, device, target))


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
    if isinstance(value, Closure):
        return True
    if isinstance(value, tuple):
        return any(_contains_closure(v) for v in value)
    return False
