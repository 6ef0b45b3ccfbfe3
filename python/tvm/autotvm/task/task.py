"""Tuning tasks: a template plus its arguments.

A *template* is a function of plain arguments (shapes, dtypes, te tensors
serialised as ``("TENSOR", shape, dtype)``) that returns ``(sch, args)``: a
``tvm.s_tir.Schedule`` shaped by ``autotvm.get_config()`` and the te tensors
of the kernel's signature. Templates are registered by name in
``TASK_TABLE`` with :func:`template` (custom templates) or through
:func:`~tvm.autotvm.register_topi_compute` /
:func:`~tvm.autotvm.register_topi_schedule` (TOPI templates: a compute plus a
schedule over ``te.create_prim_func(inputs + outs)``).

A :class:`Task` is identified by its *workload*, ``(name, *serialised args)``.
"""
import logging

import numpy as np

import tvm
from tvm import te

from .dispatcher import ApplyConfig, DispatchContext
from .space import ConfigSpace

logger = logging.getLogger("autotvm")

#: name -> :class:`TaskTemplate`
TASK_TABLE = {}


def _serialize(value):
    """A hashable, JSON-friendly form of one template argument."""
    if isinstance(value, te.Tensor):
        return ("TENSOR", tuple(_serialize(d) for d in value.shape), str(value.dtype))
    if isinstance(value, (list, tuple)) or type(value).__name__ in ("Array", "Shape"):
        return tuple(_serialize(v) for v in value)
    if isinstance(value, tvm.tirx.IntImm):
        return int(value.value)
    if isinstance(value, tvm.tirx.FloatImm):
        return float(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bool, type(None))):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, tvm.tirx.Var):
        raise ValueError(
            f"AutoTVM workloads need static shapes; got the symbolic variable {value.name}"
        )
    if type(value).__name__ in ("String", "DataType", "dtype"):
        return str(value)
    raise TypeError(f"cannot serialise template argument {value!r} of type {type(value).__name__}")


def serialize_args(args):
    """Serialise template arguments (te tensors become ``("TENSOR", shape, dtype)``)."""
    return tuple(_serialize(arg) for arg in args)


def deserialize_args(args):
    """Inverse of :func:`serialize_args`: ``("TENSOR", ...)`` become placeholders."""
    out = []
    for arg in args:
        if isinstance(arg, (list, tuple)) and len(arg) == 3 and arg[0] == "TENSOR":
            out.append(te.placeholder(tuple(arg[1]), dtype=arg[2]))
        else:
            out.append(arg)
    return out


def args_to_workload(args, task_name=None):
    """The workload tuple ``(task_name, *serialised args)``."""
    ser = serialize_args(args)
    return (task_name,) + ser if task_name is not None else ser


def make_workload(task_name, args, kwargs=None):
    """The workload of a task: ``(name, *args)`` plus ``("KWARGS", (k, v), ...)`` if any.

    ``args`` and ``kwargs`` values are already serialised.
    """
    workload = (task_name,) + tuple(args)
    if kwargs:
        workload = workload + (("KWARGS",) + tuple((k, kwargs[k]) for k in sorted(kwargs)),)
    return workload


def to_hashable(value):
    """JSON-decoded values (lists) back to the tuples of a workload."""
    if isinstance(value, list):
        return tuple(to_hashable(v) for v in value)
    return value


class TaskTemplate:
    """A registered template: a custom function, or a TOPI compute + schedule."""

    def __init__(self):
        self.fcompute = None
        self.fschedule = None
        self.fcustomized = None

    def __call__(self, *args, **kwargs):
        args = deserialize_args(args)
        if self.fcustomized is not None:
            return self.fcustomized(*args, **kwargs)
        return self._default_func(*args, **kwargs)

    def _default_func(self, *args, **kwargs):
        if self.fcompute is None or self.fschedule is None:
            raise ValueError("a TOPI template needs both register_topi_compute and register_topi_schedule")
        out = self.fcompute(*args, **kwargs)
        outs = [out] if isinstance(out, te.Tensor) else list(out)
        inputs = [a for a in args if isinstance(a, te.Tensor)]
        sch = tvm.s_tir.Schedule(te.create_prim_func(inputs + outs))
        result = self.fschedule(sch, outs)
        return (sch if result is None else result), inputs + outs


def _register_customized_task(name, func=None):
    def _do_reg(f):
        TASK_TABLE.setdefault(name, TaskTemplate()).fcustomized = f
        return f

    return _do_reg(func) if func is not None else _do_reg


def template(task_name, func=None):
    """Decorate a customised template and register it as ``task_name``.

    The template takes the task's arguments, reads ``autotvm.get_config()``,
    and returns ``(sch, args)``: a ``tvm.s_tir.Schedule`` and the te tensors
    of the kernel's signature.

    Calling the decorated function directly runs it under the current dispatch
    context (the fallback config outside any context).
    """

    def _decorate(f):
        _register_customized_task(task_name, f)

        def wrapper(*args, **kwargs):
            return f(*args, **kwargs)

        wrapper.__name__ = f.__name__
        wrapper.__doc__ = f.__doc__
        wrapper.func_name = task_name
        return wrapper

    return _decorate(func) if func is not None else _decorate


def get_config():
    """The config of the template being instantiated (from the dispatch context)."""
    tgt = tvm.target.Target.current(allow_none=True)
    return DispatchContext.current.query(tgt, None)


class FlopCalculationError(RuntimeError):
    """The FLOP count of a kernel cannot be derived from its TE compute."""


class Task:
    """A tuning task: template name, arguments, config space, target.

    Attributes
    ----------
    name : str
    args : tuple
        Serialised arguments.
    kwargs : dict
    config_space : ConfigSpace
    flop : float
        Floating point operations of one run.
    target, target_host : tvm.target.Target
    workload : tuple
        ``(name, *args)``: the key of the task in records and dispatch contexts.
    """

    def __init__(self, name, args):
        self.name = name
        self.args = tuple(to_hashable(list(args)))
        self.kwargs = {}
        self.config_space = None
        self.func = TASK_TABLE.get(name, None)
        self.flop = None
        self.target = None
        self.target_host = None

    @property
    def workload(self):
        return make_workload(self.name, self.args, self.kwargs)

    def instantiate(self, config):
        """Run the template with ``config``; returns ``(sch, arg_tensors)``."""
        if self.func is None:
            raise RuntimeError(f"template {self.name!r} is not registered in this process")
        config.flop = 0
        with ApplyConfig(config):
            if self.target is not None:
                with self.target:
                    sch, arg_bufs = self.func(*self.args, **self.kwargs)
            else:
                sch, arg_bufs = self.func(*self.args, **self.kwargs)
        if not self.flop:
            config.flop = config.flop or compute_flop(arg_bufs)
            self.flop = config.flop
        return sch, arg_bufs

    def __getstate__(self):
        state = dict(self.__dict__)
        state["func"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.func = TASK_TABLE.get(self.name, None)

    def __repr__(self):
        return (
            f"Task(func_name={self.name}, args={self.args}, kwargs={self.kwargs}, "
            f"workload={self.workload})"
        )


def create(task_name, args, target, target_host=None, kwargs=None):
    """Create a tuning task and collect its config space.

    Parameters
    ----------
    task_name : str
        A name registered with :func:`template` or ``register_topi_compute``.
    args : list
        The template's arguments (te tensors allowed; they are serialised).
    target : str or tvm.target.Target
    target_host : str or tvm.target.Target, optional
    kwargs : dict, optional
        Keyword arguments of the template (a fork extension: TOPI computes
        called with keywords record them in the workload).
    """
    if task_name not in TASK_TABLE:
        raise ValueError(
            f"unknown AutoTVM template {task_name!r}; register it with autotvm.template "
            "or register_topi_compute (imported before create)"
        )
    target = _as_target(target)
    target_host = _as_target(target_host) if target_host is not None else None
    ret = Task(task_name, serialize_args(args))
    ret.kwargs = dict(zip(kwargs, serialize_args(list(kwargs.values())))) if kwargs else {}
    ret.config_space = ConfigSpace()
    ret.target = target
    ret.target_host = target_host
    with ApplyConfig(ret.config_space), target:
        _, arg_bufs = ret.func(*ret.args, **ret.kwargs)
    ret.flop = ret.config_space.flop or compute_flop(arg_bufs)
    return ret


def _as_target(target):
    if isinstance(target, tvm.target.Target):
        return target
    if target is None:
        raise ValueError("a target is required")
    return tvm.target.Target(target)


# ---------------------------------------------------------------- FLOP count

_BINARY = {
    "Add", "Sub", "Mul", "Div", "Mod", "FloorDiv", "FloorMod", "Max", "Min",
    "EQ", "NE", "LT", "LE", "GT", "GE", "And", "Or",
}


def _count_expr(expr):
    kind = type(expr).__name__
    if kind in _BINARY:
        return 1 + _count_expr(expr.a) + _count_expr(expr.b)
    if kind == "Reduce":
        n_reduce = int(np.prod([int(iv.dom.extent) for iv in expr.axis])) if expr.axis else 1
        body = sum(_count_expr(s) for s in expr.source)
        return n_reduce * (body + 1)
    if kind == "Select":
        return _count_expr(expr.condition) + _count_expr(expr.true_value) + _count_expr(expr.false_value)
    if kind == "Cast":
        return _count_expr(expr.value)
    if kind == "Not":
        return _count_expr(expr.a)
    if kind == "Call":
        name = str(getattr(expr.op, "name", ""))
        if name.endswith("tensor_load") or "buffer_load" in name:
            return 0  # a tensor read, not arithmetic
        return 1 + sum(_count_expr(a) for a in expr.args)
    # loads, constants, variables: no arithmetic (index arithmetic is not counted)
    return 0


def compute_flop(tensors):
    """Floating point operations of the TE compute behind ``tensors``.

    Every arithmetic node of a compute body counts one, multiplied by the
    iteration space (reductions by their reduction extent too); index
    arithmetic and loads are free, as upstream. Returns 0.0 (with a debug
    message) when nothing is countable.
    """
    seen = set()
    total = 0

    def visit(tensor):
        nonlocal total
        op = tensor.op
        key = op.__hash__()
        if key in seen:
            return
        seen.add(key)
        if isinstance(op, te.ComputeOp):
            n_iter = int(np.prod([int(iv.dom.extent) for iv in op.axis])) if op.axis else 1
            total += n_iter * sum(_count_expr(b) for b in op.body[:1])
        for inp in getattr(op, "input_tensors", []):
            visit(inp)

    try:
        for t in tensors:
            if isinstance(t, te.Tensor):
                visit(t)
    except (TypeError, ValueError) as err:  # symbolic extents
        logger.debug("cannot count FLOPs: %s", err)
        return 0.0
    return float(total)
