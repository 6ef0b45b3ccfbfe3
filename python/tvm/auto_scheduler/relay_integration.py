"""The bridge between Relay and the auto-scheduler: task extraction and applying logs.

This is the one module where the auto-scheduler meets Relay (the core knows no
Relay). Importing it registers :class:`CompileEngineHook` at the compile
engine's hook point (``tvm.relay.backend.lowering``, name ``"auto_scheduler"``).
The engine calls the hook for every fused function it lowers in an
auto-scheduler mode, with the fused compute and the mode as arguments:

* **TRACE_AUTO_SCHEDULER** (``extract_tasks``; the mode carries the
  :class:`TracingEnvironment`): the function's TE compute becomes a
  :class:`ComputeDAG`; its workload key is recorded with the engine's cache key
  (whose ``use_count`` is the task weight). The engine makes the TOPI schedule
  (never compiled): its trace is the task's baseline state.
* **APPLY_AUTO_SCHEDULER** (``relay.build`` under ``ApplyHistoryBest``; the
  mode carries that dispatch context): the context is queried by target and
  workload key; a hit returns the tuned schedule, a miss returns None and the
  engine falls back to the TOPI schedule (the context warns once per workload,
  per its ``verbose``).

Functions whose compute cannot form a DAG (extern/opaque ops such as
``vision.non_max_suppression``) or whose inputs/outputs have dynamic shapes are
skipped, each logged once at info level with its name; other errors are raised.
"""
import json
import logging
import threading

import tvm
from tvm import te
from tvm.relay.backend import lowering
from tvm.topi.generic.input_transform import take_out_layout_rewrites
from tvm.topi.generic.schedule_utils import all_ops

from .compute_dag import ComputeDAG, LayoutRewriteOption
from .dispatcher import DispatchContext, FallbackContext
from .search_task import SearchTask
from .workload_registry import register_workload_tensors

logger = logging.getLogger("auto_scheduler")


class TracingMode:
    """What a :class:`TracingEnvironment` records (values as upstream)."""

    EXTRACT_TASK = 0  # every fused function becomes a task
    EXTRACT_COMPLEX_TASK_ONLY = 1  # only functions with a reduction or other complex op
    PREPARE_LAYOUT_REWRITE = 2  # find the layouts tuned schedules want for weights


class TracingEnvironment:
    """The context active while :func:`extract_tasks` drives the compile engine.

    Attributes
    ----------
    wkl_key_to_ccache_keys : dict
        Workload key -> the compile engine's cache keys of the fused functions
        with that workload (distinct Relay functions may lower to one DAG).
    """

    _local = threading.local()

    def __init__(self, tracing_mode):
        self.tracing_mode = tracing_mode
        self.wkl_key_to_ccache_keys = {}
        self.baselines = {}  # workload key -> trace of its kernel's TOPI schedule

    @classmethod
    def current(cls):
        """The innermost active environment, or None."""
        stack = getattr(cls._local, "stack", None)
        return stack[-1] if stack else None

    def __enter__(self):
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        self._local.stack.append(self)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self._local.stack.pop()

    def add_workload_key(self, workload_key, ccache_key, topi_trace=None):
        """Record a task: its workload key, the cache key of its function and,
        when the DAG's tensors are the kernel's arguments, the trace of the
        kernel's TOPI schedule (a state of the task: its baseline)."""
        keys = self.wkl_key_to_ccache_keys.setdefault(workload_key, [])
        if ccache_key not in keys:
            keys.append(ccache_key)
        if topi_trace is not None:
            self.baselines.setdefault(workload_key, topi_trace)

    def record(self, workload_key, compute, same_arguments):
        """Record a fused function (a ``FusedCompute``) that the tracing mode selects."""
        if self.tracing_mode == TracingMode.EXTRACT_TASK or (
            self.tracing_mode == TracingMode.EXTRACT_COMPLEX_TASK_ONLY and compute.has_complex_op
        ):
            self.add_workload_key(workload_key, compute.ccache_key, compute.topi_trace if same_arguments else None)


def is_auto_scheduler_enabled():
    """True when a task extraction traces or a tuned dispatch context is active.

    Upstream's ``relay.backend.use_auto_scheduler`` config, kept for scripts.
    The compiler itself does not read it: ``relay.build`` decides the lowering
    mode once and passes it down (``relay.backend.lowering``).
    """
    return CompileEngineHook.active_recorder() is not None or CompileEngineHook.active_dispatch_context() is not None


def _walk_compute(outs):
    """Placeholders reachable from ``outs`` (producers first) and whether every op is a compute op.

    ``ok`` is False when an extern or other non-compute op is found (no DAG
    can be formed).
    """
    ops = all_ops(outs)
    placeholders = [op.output(0) for op in ops if isinstance(op, te.PlaceholderOp)]
    ok = all(isinstance(op, (te.PlaceholderOp, te.ComputeOp)) for op in ops)
    return placeholders, ok


def _is_static(tensor):
    return all(isinstance(d, tvm.tirx.IntImm) or isinstance(d, int) for d in tensor.shape)


def _shape_only_io_tensors(outs, inputs):
    """Static DAG tensors of a function that reads only the shapes of its inputs.

    ``shape_of`` of a dynamically shaped input computes its output from the
    input's size variables, never from its data. Such a function becomes a
    static DAG by turning each size variable into a 0-d input tensor (bound
    in the output's compute with a ``Let``). Returns None for any other
    function.
    """
    if inputs is None or not all(
        isinstance(t.op, te.ComputeOp) and not t.op.input_tensors for t in outs
    ):
        return None
    size_vars = []
    for tensor in inputs:
        for dim in tensor.shape:
            if isinstance(dim, tvm.tirx.Var) and not any(dim.same_as(v) for v in size_vars):
                size_vars.append(dim)
    if not size_vars:
        return None
    holders = [te.placeholder((), str(v.ty.dtype), name=str(v.name)) for v in size_vars]

    def rebuilt(out):
        op = out.op

        def body(*indices):
            expr = op.body[out.value_index]
            for var, holder in zip(size_vars, holders):
                expr = tvm.tirx.Let(var, holder(), expr)
            for axis, index in zip(op.axis, indices):
                expr = tvm.tirx.Let(axis.var, index, expr)
            return expr

        return te.compute(out.shape, body, name=op.name, tag=op.tag)

    return holders + [rebuilt(out) for out in outs]


def _io_tensors(compute, tracing):
    """The DAG's tensors of a fused compute and whether they are the kernel's arguments.

    Returns ``(io_tensors, same_arguments)``, or ``(None, reason)`` when the
    function cannot form a static DAG.
    """
    reachable, ok = _walk_compute(compute.outputs)
    if not ok:
        return None, "its compute has an extern/opaque op and cannot form a compute DAG"
    ordered = compute.inputs
    reachable_ops = {t.op for t in reachable}
    dag_inputs = [t for t in ordered if t.op in reachable_ops]
    io_tensors = dag_inputs + compute.outputs
    # The kernel's arguments are the DAG's tensors unless some input is unread.
    same_arguments = len(dag_inputs) == len(ordered)
    unread_dynamic = [t for t in ordered if t.op not in reachable_ops and not _is_static(t)]
    if unread_dynamic or not all(_is_static(t) for t in io_tensors):
        # Only a function that reads nothing but the shapes of its dynamic
        # inputs (shape_of) can still form a static DAG, and only for tracing.
        io_tensors = _shape_only_io_tensors(compute.outputs, compute.inputs) if tracing else None
        if io_tensors is None or not all(_is_static(t) for t in io_tensors):
            return None, "it has dynamic shapes"
        same_arguments = False
    return io_tensors, same_arguments


class CompileEngineHook:
    """The auto-scheduler's entry in the compile engine's hook point (see the module docstring)."""

    @staticmethod
    def active_dispatch_context():
        """The tuned dispatch context (``ApplyHistoryBest``...) a build applies, or None."""
        ctx = DispatchContext.current
        return None if ctx is None or isinstance(ctx, FallbackContext) else ctx

    @staticmethod
    def current_dispatch_context():
        """The innermost dispatch context, the fallback root included."""
        return DispatchContext.current

    @staticmethod
    def active_recorder():
        """The :class:`TracingEnvironment` of a running extraction, or None."""
        return TracingEnvironment.current()

    @staticmethod
    def best_cost(compute, mode):
        """The cost of the best record the applied context has for a fused function, or None."""
        task = _task_of(compute, tracing=False)
        if task is None or not task[2] or compute.is_dynamic:
            return None
        return mode.source.best_cost(compute.target, task[1])

    @staticmethod
    def schedule(compute, mode):
        """Trace or apply one fused function (a ``relay.backend.lowering.FusedCompute``).

        Returns
        -------
        result : tuple of (tvm.s_tir.Schedule, dict) or None
            While applying, the tuned schedule and, by kernel input index, the
            :class:`~tvm.topi.generic.input_transform.LayoutTransform` that puts
            that weight in the layout the schedule reads (``REWRITE_FOR_PRE_TRANSFORMED``;
            the graph codegen applies it to constant weights at build time).
            None while tracing, and for a function without a tuned state: the
            engine then uses the TOPI schedule.
        """
        tracing = mode.kind is lowering.LoweringKind.TRACE_AUTO_SCHEDULER
        task = _task_of(compute, tracing)
        if task is None:
            return None
        dag, workload_key, same_arguments = task
        if tracing:
            mode.source.record(workload_key, compute, same_arguments)
            return None
        if not same_arguments or compute.is_dynamic:
            return None
        state = mode.source.query(compute.target, workload_key, compute.has_complex_op, dag,
                                  compute.func_name)
        if state is None:
            return None
        try:
            sch, _ = dag.apply_steps_from_state(state)
            option = LayoutRewriteOption.get_target_default(compute.target, True)
            if option == LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED:
                # the state is replayed once; its weight-transform stages leave the kernel
                func, transforms = take_out_layout_rewrites(sch.mod)
                if transforms:
                    return tvm.s_tir.Schedule(tvm.IRModule({"main": func})), transforms
        except Exception as err:  # pylint: disable=broad-except
            # a record that loads but does not apply (a garbled or foreign
            # trace) must not stop the build: the TOPI schedule is used
            _unusable_record(mode.source, compute, workload_key, err)
            return None
        return sch, {}


def _task_of(compute, tracing):
    """``(ComputeDAG, workload key, same_arguments)`` of a fused function, or None (logged).

    The DAG's tensors are registered under the key, so records of it load.
    """
    io_tensors, same_arguments = _io_tensors(compute, tracing)
    if io_tensors is None:
        _skip(compute.func_name, same_arguments)
        return None
    try:
        dag = ComputeDAG(io_tensors)
    except (ValueError, TypeError, RuntimeError) as err:
        # computes TensorIR cannot express: the base raises these (its
        # InternalError is a RuntimeError)
        _skip(compute.func_name, f"its compute cannot form a DAG ({err})")
        return None
    workload_key = dag.workload_key()
    register_workload_tensors(workload_key, io_tensors)
    return dag, workload_key, same_arguments


def _skip(func_name, reason):
    """Log a skipped function (a documented skip, not an error).

    The engine caches each fused function, so this is logged once per
    function and lowering.
    """
    logger.info("auto-scheduler: %s is not a task: %s", func_name, reason)


def _unusable_record(context, compute, workload_key, err):
    """Warn once that a tuned state cannot be applied; the TOPI schedule is used instead."""
    source = getattr(context, "record_source", lambda *_: None)(compute.target, workload_key)
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    reason = lines[-1] if lines else type(err).__name__
    key = ("unusable record", source, workload_key)
    if key in DispatchContext.warning_messages:
        return
    DispatchContext.warning_messages.add(key)
    logger.warning("%s: the tuned state of %s (workload %s) cannot be applied (%s: %s); "
                   "using the TOPI schedule", source or "<unknown record>", compute.func_name, workload_key,
                   type(err).__name__, reason[:300])


lowering.register_hook("auto_scheduler", CompileEngineHook())


def extract_tasks(mod, params, target, target_host=None, hardware_params=None,
                  include_simple_tasks=False, dump_workload_to_dag_log=None, opt_level=3):
    """Extract the auto-scheduler's search tasks of a Relay program.

    The program goes through ``relay.build``'s driver
    (``relay.build_module.lower_program``): optimised at ``opt_level``, then
    every fused function (both branches of an ``If`` included) lowered by a
    new compile engine in TRACE_AUTO_SCHEDULER mode. Each distinct compute DAG
    (by workload key) is one task, weighted by how often its function occurs.

    Parameters
    ----------
    mod : IRModule or relay.Function
    params : dict of str to array, optional
        Weights, bound before optimisation (as ``relay.build`` does).
    target : str, dict or tvm.target.Target
    target_host : str, dict or tvm.target.Target, optional
    hardware_params : HardwareParams, optional
    include_simple_tasks : bool
        False (default): only functions with a reduction or other complex op.
    dump_workload_to_dag_log : str, optional
        A file to write ``{workload_key: compute DAG text}`` of the tasks to, as JSON.
    opt_level : int
        The optimisation level (3, as ``relay.build`` under the tutorial's context).

    Returns
    -------
    tasks : list of SearchTask
        Each with its ``baseline_state``: the TOPI schedule of its kernel as
        a state of the task (None when the DAG's tensors are not the kernel's
        arguments).
    task_weights : list of int
    """
    from tvm.relay import build_module  # pylint: disable=import-outside-toplevel
    from tvm.relay.backend.compile_engine import CompileEngine  # pylint: disable=import-outside-toplevel

    target = tvm.target.Target(target) if not isinstance(target, tvm.target.Target) else target
    if target_host is not None:
        target = tvm.target.Target(target, host=target_host)
    dispatch_ctx = DispatchContext.current
    old_verbose = getattr(dispatch_ctx, "verbose", None)
    if old_verbose is not None:
        dispatch_ctx.verbose = 0
    tracing_mode = TracingMode.EXTRACT_TASK if include_simple_tasks else TracingMode.EXTRACT_COMPLEX_TASK_ONLY
    engine = CompileEngine()
    try:
        with TracingEnvironment(tracing_mode) as env, tvm.transform.PassContext(opt_level=opt_level):
            build_module.lower_program(mod, target, params, lowering.LoweringMode.trace(env),
                                       engine=engine, for_graph_executor=False)
    finally:
        if old_verbose is not None:
            dispatch_ctx.verbose = old_verbose

    cache = dict(engine.items())
    # workloads lowered from the same functions are variants of them (Winograd/direct)
    functions = {}
    for workload_key, ccache_keys in env.wkl_key_to_ccache_keys.items():
        functions.setdefault(frozenset(ccache_keys), []).append(workload_key)
    groups = {key: group for group, keys in enumerate(k for k in functions.values() if len(k) > 1) for key in keys}
    tasks, weights = [], []
    for workload_key, ccache_keys in env.wkl_key_to_ccache_keys.items():
        entries = [cache[key] for key in ccache_keys]
        weight = sum(entry.use_count for entry in entries)
        func_name = ",".join(entry.cached_func.func_name for entry in entries)
        baseline = env.baselines.get(workload_key)
        task = SearchTask(
            workload_key=workload_key,
            target=target,
            hardware_params=hardware_params,
            layout_rewrite_option=LayoutRewriteOption.get_target_default(target, True),
            desc=func_name,
            baseline_state=baseline,
            variant_group=groups.get(workload_key),
        )
        tasks.append(task)
        weights.append(int(weight))
    logger.info("extracted %d tasks (total weight %d)", len(tasks), sum(weights))
    if dump_workload_to_dag_log is not None:
        # written in place (not replaced): a caller may hold the file open, as 0.8's test does
        with open(dump_workload_to_dag_log, "w", encoding="utf-8") as fout:
            json.dump({task.workload_key: str(task.compute_dag) for task in tasks}, fout)
    return tasks, weights
