"""The bridge between Relay and the auto-scheduler: task extraction and applying logs.

This is the one module where the auto-scheduler meets Relay (the core knows no
Relay; Relay is imported lazily here). The compile engine calls
:func:`auto_schedule_topi_compute` for every fused function it lowers with
``use_topi_schedule=False``:

* **tracing** (inside :func:`extract_tasks`, a :class:`TracingEnvironment` is
  active): the function's TE compute becomes a :class:`ComputeDAG`; its workload
  key is recorded (with the compile engine's cache key, whose ``use_count`` is
  the task weight). A default, unscheduled schedule is returned: no machine
  code is generated during extraction.
* **applying** (``relay.build`` under ``ApplyHistoryBest``): the current
  dispatch context is queried by target and workload key; a hit returns the
  tuned schedule, a miss returns None and the engine falls back to the TOPI
  schedule (the context warns once per workload, per its ``verbose``).

Functions whose compute cannot form a DAG (extern/opaque ops such as
``vision.non_max_suppression``) or whose inputs/outputs have dynamic shapes are
skipped with an info log, never an error.
"""
import logging
import threading

import tvm
from tvm import te
from tvm.topi.generic.schedule_utils import all_ops

from .compute_dag import ComputeDAG, LayoutRewriteOption
from .dispatcher import DispatchContext
from .layout_rewrite import take_out_layout_rewrites
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
        self.wkl_key_with_baseline = set()

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

    def add_workload_key(self, workload_key, ccache_key, same_arguments=True):
        """Record a task: its workload key and the cache key of its function.

        ``same_arguments``: the DAG's tensors are the kernel's arguments, so
        the kernel's TOPI schedule is also a state of the task (its baseline).
        """
        keys = self.wkl_key_to_ccache_keys.setdefault(workload_key, [])
        if ccache_key not in keys:
            keys.append(ccache_key)
        if same_arguments:
            self.wkl_key_with_baseline.add(workload_key)


def is_auto_scheduler_enabled():
    """True when the compile engine lowers for the auto-scheduler.

    That is during task extraction (a :class:`TracingEnvironment`) and under a
    tuned dispatch context (``relay.build`` then turns ``use_topi_schedule``
    off). Op strategies use it to offer implementations meant for the
    auto-scheduler (upstream's ``relay.backend.use_auto_scheduler`` config).
    """
    if TracingEnvironment.current() is not None:
        return True
    ctx = DispatchContext.current
    from .dispatcher import FallbackContext  # pylint: disable=import-outside-toplevel

    return ctx is not None and not isinstance(ctx, FallbackContext)


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


def auto_schedule_topi_compute(outs, has_complex_op, inputs=None, is_dynamic=False, func_name=None):
    """The compile engine's hook for one fused function (``use_topi_schedule=False``).

    Parameters
    ----------
    outs : list of te.Tensor
        The outputs of the fused function's TE compute.
    has_complex_op : bool
        Whether the function holds a reduction or another complex op.
    inputs : list of te.Tensor, optional
        The function's input placeholders in parameter order (the kernel's
        argument order); the DAG's inputs follow it.
    is_dynamic : bool
        Whether the Relay function has dynamic shapes.
    func_name : str, optional
        The kernel's name, for the dispatch context's messages.

    Returns
    -------
    result : tuple of (tvm.s_tir.Schedule, dict) or None
        While tracing, an unscheduled schedule; while applying, the tuned
        schedule; None when the function is not tuned (TOPI fallback). The
        dict maps a kernel input index to the
        :class:`~tvm.auto_scheduler.layout_rewrite.LayoutTransform` that puts
        that weight in the layout the tuned schedule reads (layout rewrite for
        CPUs, ``REWRITE_FOR_PRE_TRANSFORMED``); the graph codegen applies it to
        constant weights at build time.
    """
    from tvm.relay.backend import compile_engine  # pylint: disable=import-outside-toplevel

    env = TracingEnvironment.current()
    ccache_key = compile_engine.get_current_ccache_key()
    reachable, ok = _walk_compute(outs)
    if not ok:
        logger.info("skipping a function with an extern/opaque compute: it cannot form a compute DAG")
        return None
    ordered = list(inputs) if inputs is not None else reachable
    reachable_ops = {t.op for t in reachable}
    dag_inputs = [t for t in ordered if t.op in reachable_ops]
    io_tensors = dag_inputs + list(outs)
    # The kernel's arguments are the DAG's tensors unless some input is unread.
    same_arguments = len(dag_inputs) == len(ordered)
    unread_dynamic = [t for t in ordered if t.op not in reachable_ops and not _is_static(t)]
    if unread_dynamic or not all(_is_static(t) for t in io_tensors):
        # Only a function that reads nothing but the shapes of its dynamic
        # inputs (shape_of) can still form a static DAG, and only for tracing.
        io_tensors = _shape_only_io_tensors(outs, inputs) if env is not None else None
        same_arguments = False
        if io_tensors is None or not all(_is_static(t) for t in io_tensors):
            logger.info("skipping a function with dynamic shapes")
            return None
    try:
        dag = ComputeDAG(io_tensors)
        workload_key = dag.workload_key()
    except Exception as err:  # pylint: disable=broad-except
        # The base raises several error types (InternalError, TVMError, ValueError)
        # for computes TensorIR cannot express; any of them means "no DAG".
        logger.info("skipping a function whose compute cannot form a DAG: %s", err)
        return None
    register_workload_tensors(workload_key, io_tensors)
    target = tvm.target.Target.current(allow_none=True)

    if env is not None:
        if env.tracing_mode == TracingMode.EXTRACT_TASK or (
            env.tracing_mode == TracingMode.EXTRACT_COMPLEX_TASK_ONLY and has_complex_op
        ):
            env.add_workload_key(workload_key, ccache_key, same_arguments)
        # The engine schedules the kernel with TOPI (nothing is compiled); that
        # schedule's trace is the task's baseline state.
        return None

    if len(dag_inputs) != len(ordered) or is_dynamic:
        return None
    state = DispatchContext.current.query(target, workload_key, has_complex_op, dag, func_name)
    if state is None:
        return None
    sch, _ = dag.apply_steps_from_state(state)
    if LayoutRewriteOption.get_target_default(target, True) == LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED:
        # the state is replayed once; its weight-transform stages leave the kernel
        func, transforms = take_out_layout_rewrites(sch.mod)
        if transforms:
            return tvm.s_tir.Schedule(tvm.IRModule({"main": func})), transforms
    return sch, {}


def _lower_for_extraction(mod, params, target, opt_level=3):
    """Optimise ``mod`` and lower every fused function with ``use_topi_schedule=False``.

    Returns the compile engine used (its cache use counts are the weights).
    """
    from tvm import relay  # pylint: disable=import-outside-toplevel
    from tvm.relay.backend.compile_engine import CompileEngine  # pylint: disable=import-outside-toplevel
    from tvm.relay.backend.graph_runtime_codegen import GraphRuntimeCodegen  # pylint: disable=import-outside-toplevel

    if isinstance(mod, relay.Function):
        mod = relay.IRModule.from_expr(mod)
    with tvm.transform.PassContext(opt_level=opt_level):
        opt_mod, _ = relay.optimize(mod, target, params)
        engine = CompileEngine()
        with target:
            codegen = GraphRuntimeCodegen(None, target, use_topi_schedule=False, compile_engine=engine)
            try:
                codegen.codegen(opt_mod["main"])
            except (ValueError, TypeError) as err:
                # Control flow or dynamic shapes: the graph executor cannot run
                # the model, but every kernel can still be lowered.
                logger.info("graph codegen failed (%s); lowering every fused function instead", err)
                engine = CompileEngine()
                codegen = GraphRuntimeCodegen(None, target, use_topi_schedule=False, compile_engine=engine)
                codegen.lower_all(opt_mod["main"])
    return engine


def extract_tasks(mod, params, target, target_host=None, hardware_params=None,
                  include_simple_tasks=False, opt_level=3):
    """Extract the auto-scheduler's search tasks of a Relay program.

    Every fused function of the optimised program is lowered by the compile
    engine with ``use_topi_schedule=False``; each distinct compute DAG (by
    workload key) is one task, weighted by how often its function occurs.

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
    opt_level : int
        The optimisation level (3, as ``relay.build`` under the tutorial's context).

    Returns
    -------
    tasks : list of SearchTask
    task_weights : list of int
    """
    target = tvm.target.Target(target) if not isinstance(target, tvm.target.Target) else target
    if target_host is not None:
        target = tvm.target.Target(target, host=target_host)
    dispatch_ctx = DispatchContext.current
    old_verbose = getattr(dispatch_ctx, "verbose", None)
    if old_verbose is not None:
        dispatch_ctx.verbose = 0
    mode = TracingMode.EXTRACT_TASK if include_simple_tasks else TracingMode.EXTRACT_COMPLEX_TASK_ONLY
    try:
        with TracingEnvironment(mode) as env:
            engine = _lower_for_extraction(mod, params, target, opt_level)
    finally:
        if old_verbose is not None:
            dispatch_ctx.verbose = old_verbose

    cache = dict(engine.items())
    tasks, weights = [], []
    for workload_key, ccache_keys in env.wkl_key_to_ccache_keys.items():
        entries = [cache[key] for key in ccache_keys]
        weight = sum(entry.use_count for entry in entries)
        func_name = ",".join(entry.cached_func.func_name for entry in entries)
        baseline = entries[0].cached_func.schedule_trace if workload_key in env.wkl_key_with_baseline else None
        tasks.append(
            SearchTask(
                workload_key=workload_key,
                target=target,
                hardware_params=hardware_params,
                layout_rewrite_option=LayoutRewriteOption.get_target_default(target, True),
                desc=func_name,
            )
        )
        # The TOPI schedule of the kernel, as a state of this task: measuring it
        # first (apps/tune_network.py does) means a tuned build is never slower
        # than the untuned one on account of an under-tuned task.
        tasks[-1].baseline_state = baseline
        weights.append(int(weight))
    logger.info("extracted %d tasks (total weight %d)", len(tasks), sum(weights))
    return tasks, weights
