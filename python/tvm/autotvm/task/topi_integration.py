"""TOPI templates: computes and schedules that read their config from AutoTVM.

``@register_topi_compute("dense_pack.x86")`` turns ``f(cfg, *args)`` into a
compute callable as ``f(*args)``: it builds the workload ``(task name,
*serialised args)``, asks the current dispatch context for the config,
computes, and stores the workload on the output op's attrs (key
``"workload"``, a JSON string) so the schedule can find it.
``@register_topi_schedule("dense_pack.x86")`` turns ``s(cfg, sch, outs)`` into
``s(sch, outs)``, finding the workload in the TE graph of ``outs`` (the
anchor op may sit under fused elementwise ops).

While a :class:`TaskExtractEnv` is tracing (task extraction from a Relay
program), every compute call records a task. AutoTVM meets Relay only in
:mod:`.relay_integration`, which plugs it into the compile engine.
"""
import contextlib
import json
import logging

import tvm
from tvm import te

from ..env import GLOBAL_SCOPE
from .dispatcher import DispatchContext
from .dispatcher import clear_fallback_cache
from .task import TASK_TABLE, TaskTemplate, make_workload, serialize_args, to_hashable

logger = logging.getLogger("autotvm")


class TaskExtractEnv:
    """Records ``(task_name, args)`` of every TOPI template computed while tracing."""

    current = None

    def __init__(self):
        self.tracing = False
        self.wanted_relay_ops = None
        #: name of the Relay op whose implementation is being computed (set by
        #: the compile-engine hook of :mod:`.relay_integration`), or None
        self.relay_op_name = None
        self.task_collection = []  # (task_name, args, kwargs)

    def __enter__(self):
        self.task_collection = []
        self.tracing = True
        return self

    def __exit__(self, ptype, value, trace):
        self.tracing = False

    def reset(self, wanted_relay_ops=None):
        """Clear the collection; only keep tasks of ``wanted_relay_ops`` (None: all)."""
        self.wanted_relay_ops = wanted_relay_ops
        self.task_collection = []

    def add_task(self, task_name, args, kwargs=None):
        """Record a task (deduplicated) if the op being computed is a wanted one."""
        if self.wanted_relay_ops is not None and self.relay_op_name is not None:
            wanted = {getattr(op, "name", op) for op in self.wanted_relay_ops}
            if self.relay_op_name not in wanted:
                return
        key = (task_name, args, dict(kwargs or {}))
        if key not in self.task_collection:
            self.task_collection.append(key)

    def get_tasks(self):
        """``[(task_name, args, kwargs)]`` recorded so far."""
        return list(self.task_collection)

    @staticmethod
    def get(allow_none=False):
        """The process-wide environment (created on first use)."""
        if TaskExtractEnv.current is None and not allow_none:
            TaskExtractEnv.current = TaskExtractEnv()
        return TaskExtractEnv.current


def _attach_workload(tensor, workload):
    """A copy of ``tensor``'s ComputeOp whose attrs carry the workload."""
    op = tensor.op
    if not isinstance(op, te.ComputeOp):
        raise RuntimeError(
            f"register_topi_compute: the output op {op.name!r} is a {type(op).__name__}, "
            "not a ComputeOp; cannot attach the workload"
        )
    attrs = {k: v for k, v in op.attrs.items()} if op.attrs is not None else {}
    attrs["workload"] = json.dumps(workload)
    new_op = te.ComputeOp(op.name, op.tag, attrs, op.axis, op.reduce_axis, op.body)
    return new_op.output(tensor.value_index)


def register_topi_compute(task_name, func=None):
    """Register a TOPI compute as the compute of AutoTVM task ``task_name``.

    The decorated function ``f(cfg, *args, **kwargs) -> te.Tensor(s)`` becomes
    ``f(*args, **kwargs)``; its config comes from
    ``DispatchContext.current.query(target, workload)``.

    Examples
    --------
    .. code-block:: python

        @autotvm.register_topi_compute("dense_nopack.x86")
        def dense_nopack(cfg, data, weight, bias=None, out_dtype=None):
            cfg.define_split("tile_y", data.shape[0], num_outputs=2)
            return topi.nn.dense(data, weight, bias, out_dtype)
    """

    def _decorate(topi_compute):
        def wrapper(*args, **kwargs):
            ser_args = serialize_args(args)
            ser_kwargs = dict(zip(kwargs, serialize_args(list(kwargs.values()))))
            workload = make_workload(task_name, ser_args, ser_kwargs)
            env = TaskExtractEnv.current
            if env is not None and env.tracing:
                env.add_task(task_name, ser_args, ser_kwargs)
            tgt = tvm.target.Target.current(allow_none=True)
            cfg = DispatchContext.current.query(tgt, workload)
            node = topi_compute(cfg, *args, **kwargs)
            if isinstance(node, te.Tensor):
                return _attach_workload(node, workload)
            nodes = list(node)
            # every output of a multi-output op must come from the same new op
            if nodes and all(n.op.same_as(nodes[0].op) for n in nodes):
                first = _attach_workload(nodes[0], workload)
                return [first.op.output(n.value_index) for n in nodes]
            return [_attach_workload(nodes[0], workload)] + nodes[1:]

        wrapper.__name__ = getattr(topi_compute, "__name__", task_name)
        wrapper.__doc__ = topi_compute.__doc__
        wrapper.task_name = task_name
        TASK_TABLE.setdefault(task_name, TaskTemplate()).fcompute = wrapper
        return wrapper

    return _decorate(func) if func is not None else _decorate


def get_workload(outs):
    """The workload stored by ``register_topi_compute`` in the TE graph of ``outs``.

    Returns None when no op of the graph carries one.
    """
    outs = [outs] if isinstance(outs, te.Tensor) else list(outs)
    seen = set()
    stack = [t.op for t in outs]
    while stack:
        op = stack.pop()
        if op.__hash__() in seen:
            continue
        seen.add(op.__hash__())
        attrs = getattr(op, "attrs", None)
        if attrs is not None and "workload" in attrs:
            return to_hashable(json.loads(str(attrs["workload"])))
        stack.extend(t.op for t in getattr(op, "input_tensors", []))
    return None


def register_topi_schedule(task_name, func=None):
    """Register a TOPI schedule as the schedule of AutoTVM task ``task_name``.

    The decorated function ``s(cfg, sch, outs, *args)`` (``sch`` a
    ``tvm.s_tir.Schedule`` over ``te.create_prim_func(inputs + outs)``)
    becomes ``s(sch, outs, *args)``; ``cfg`` is the config of the workload
    found in ``outs``.
    """

    def _decorate(topi_schedule):
        def wrapper(sch, outs, *args, **kwargs):
            workload = get_workload(outs)
            if workload is None:
                raise RuntimeError(
                    f"schedule of {task_name}: no AutoTVM workload on the outputs; the compute "
                    "must be the one registered with register_topi_compute"
                )
            tgt = tvm.target.Target.current(allow_none=True)
            cfg = DispatchContext.current.query(tgt, workload)
            result = topi_schedule(cfg, sch, outs, *args, **kwargs)
            return sch if result is None else result

        wrapper.__name__ = getattr(topi_schedule, "__name__", task_name)
        wrapper.__doc__ = topi_schedule.__doc__
        wrapper.task_name = task_name
        TASK_TABLE.setdefault(task_name, TaskTemplate()).fschedule = wrapper
        return wrapper

    return _decorate(func) if func is not None else _decorate


@contextlib.contextmanager
def silenced():
    """No fallback-config warnings inside (``GLOBAL_SCOPE.silent``), restored after."""
    old = GLOBAL_SCOPE.silent
    GLOBAL_SCOPE.silent = True
    try:
        yield
    finally:
        GLOBAL_SCOPE.silent = old


@contextlib.contextmanager
def target_scope(target):
    """``target`` as the current target inside, unless it already is (or is None)."""
    current = tvm.target.Target.current(allow_none=True)
    if target is None or (current is not None and str(current) == str(target)):
        yield
        return
    with target:
        yield


def select_tuned_implementation(impls, attrs, inputs, out_type, target):
    """The implementation whose workload has the best tuned record, or None.

    Called by AutoTVM's compile-engine hook (:mod:`.relay_integration`) when
    an op has several template implementations. Every implementation is computed (which, while
    tracing, records a task for each of them, as upstream); among those whose
    workload the current dispatch context has a tuned config for, the lowest
    measured cost wins. Returns ``(implementation, outputs)`` or None.
    """
    best = None
    if target is not None and not isinstance(target, tvm.target.Target):
        target = tvm.target.Target(target)
    with silenced(), target_scope(target):
        for impl in impls:
            outs = impl.compute(attrs, inputs, out_type)
            workload = get_workload(outs)
            if workload is None:
                continue
            cfg = DispatchContext.current.query(target, workload)
            if cfg.is_fallback or cfg.cost is None:
                # the chosen implementation queries again: let that query warn
                if cfg.is_fallback:
                    clear_fallback_cache(target, workload)
                continue
            logger.info("AutoTVM: %s has a tuned config, cost %.3g s", impl.name, cfg.cost)
            if best is None or cfg.cost < best[0]:
                best = (cfg.cost, impl, outs)
    if best is None:
        return None
    return best[1], best[2]
