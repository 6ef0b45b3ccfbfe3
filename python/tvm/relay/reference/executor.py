"""``create_executor("debug")``: the interpreter behind upstream's executor API.

:class:`Executor` turns a module's functions into callables that take NumPy
arrays, ``tvm.runtime.Tensor`` or Python scalars (positionally or by
parameter name), check each input against the parameter's type, evaluate with
the :class:`~.interpreter.Interpreter` and hand back ``tvm.runtime.Tensor``
values (tuples become Python tuples of them), as upstream's interpreter
returns NDArrays.
"""
import numpy as np

from ..expr import Constant, GlobalVar, Var
from ..function import Function
from ..module import IRModule
from .. import ty as _ty
from ..adt import Constructor
from .interpreter import Closure, ConstructorValue, Interpreter, RefValue, as_expr
from .ops.common import contiguous
from .ops.registry import RuntimeCheckError

__all__ = ["Executor", "create_executor", "to_runtime"]


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
    if isinstance(value, ConstructorValue):
        fields = [_to_numpy(v, f"{what}.fields[{i}]") for i, v in enumerate(value.fields)]
        return ConstructorValue(value.tag, fields, value.constructor)
    if isinstance(value, RefValue):
        return value  # a cell: shared, not copied
    if isinstance(value, Closure | Constructor):
        return value
    if callable(value) and isinstance(getattr(value, "closure", None), Closure):
        return value.closure  # a function returned by an earlier evaluation
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
        raise RuntimeCheckError(
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
    if isinstance(value, ConstructorValue):
        return ConstructorValue(
            value.tag, [to_runtime(v, device) for v in value.fields], value.constructor
        )
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
        callable or tvm.runtime.Tensor or tuple
            As 0.8: for a function (or a global naming one) a callable taking
            the function's inputs positionally or by parameter name; any other
            expression is evaluated at once and its value returned (a value
            that is a function is returned as such a callable).
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
            expr = as_expr(expr)
        if isinstance(expr, Constant) and not env:
            return to_runtime(expr.numpy(), self.device)
        if isinstance(expr, GlobalVar):
            return self._make_callable(interp._global(expr))  # pylint: disable=protected-access
        if isinstance(expr, Function):
            return self._make_callable(Closure(expr, env))

        # As 0.8: any other expression is evaluated now and its value returned
        # (0.8 wrapped it in a function of no parameters and called it).
        value = interp.evaluate_value(expr, env)
        if isinstance(value, Closure):
            return self._make_callable(value)
        if isinstance(value, Constructor):
            return self._make_callable(value)
        return to_runtime(value, self.device)

    def _make_callable(self, closure):
        if isinstance(closure, Constructor):
            params = [Var(f"field{i}", t) for i, t in enumerate(closure.inputs)]
        else:
            params = closure.func.params
        interp = self.interpreter
        device = self.device

        def _run(*args, **kwargs):
            values = _bind_inputs(params, args, kwargs)
            result = interp._apply(closure, values, None)  # pylint: disable=protected-access
            if isinstance(result, Closure):
                return self._make_callable(result)
            return to_runtime(result, device)

        _run.params = params
        _run.closure = closure
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
