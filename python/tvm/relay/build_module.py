"""``relay.build`` and ``relay.optimize``: Relay to a deployable graph module.

::

    relay.build(mod, target, params)
     │ mode = LoweringMode.for_build()      decided once, here
     └ BuildModule._build(mod, target, target_host, params, use_topi_schedule=mode)
         └ lower_program(mod, target, params, mode, engine)     the one driver
         │   ├ optimize: bind params, InferType, ChooseLayout (x86: NHWC convolutions),
         │   │           SimplifyInference, FoldConstant, (FastMath), SinkReshape, SimplifyExpr,
         │   │           FoldScaleAxis, FuseOps, InferType
         │   └ GraphRuntimeCodegen(target, mode).codegen(main)
         └ tvm.compile(all kernels at once) -> GraphExecutorFactoryModule

The mode (``relay.backend.lowering``) is APPLY_AUTO_SCHEDULER when a tuned
auto-scheduler dispatch context (``auto_scheduler.ApplyHistoryBest``) is active,
so the user adds no flag (the RFC's design); otherwise TOPI schedules are used,
with AutoTVM's tuned configs under ``autotvm.apply_history_best``.
:func:`lower_program` is also the driver of ``auto_scheduler.extract_tasks``
and ``autotvm.task.extract_from_program``, each with its own mode.
"""
import logging
import time

import numpy as np

import tvm

from . import transform as _transform
from .backend import compile_engine as _compile_engine
from .backend import contrib_codegen
from .backend.graph_runtime_codegen import GraphRuntimeCodegen
from .backend.lowering import LoweringMode
from .expr import Call, Constant, GlobalVar, RelayExpr
from .expr_functor import bind
from .function import Function
from .module import IRModule
from .op.op import Op
from .ty import TupleType

logger = logging.getLogger("relay")


def _normalize_target(target):
    """One ``Target`` from the forms upstream accepted.

    Accepts a ``Target``, a legacy string (``"llvm -mcpu=..."``), the base's
    dict form (``{"kind": "llvm", ...}``), or upstream's heterogeneous dict
    ``{"cpu": "llvm"}`` with a single device.
    """
    if target is None:
        target = tvm.target.Target.current(allow_none=True)
        if target is None:
            raise ValueError("relay.build needs a target (e.g. target=\"llvm\")")
        return target
    if isinstance(target, dict) and "kind" not in target:
        if len(target) != 1:
            raise ValueError(
                f"heterogeneous targets are not supported, got {sorted(target)}; give one target"
            )
        target = next(iter(target.values()))
    if isinstance(target, tvm.target.Target):
        return target
    return tvm.target.Target(target)


class AmbiguousParamName(ValueError, tvm.TVMError):
    """Several parameters share the name given to bind. A ``ValueError``, and the
    ``TVMError`` 0.8 raised here."""


def bind_params_by_name(func, params):
    """Bind ``{name: value}`` to the parameters of ``func`` with those names.

    Values may be numpy arrays or runtime tensors; they become constants.
    Names that are not parameters are ignored; a name shared by several
    parameters is an error.
    """
    if not params:
        return func
    by_name = {}
    for param in func.params:
        if param.name_hint in by_name:
            by_name[param.name_hint] = None
        else:
            by_name[param.name_hint] = param
    binds = {}
    for name, value in params.items():
        if name not in by_name:
            continue
        param = by_name[name]
        if param is None:
            raise AmbiguousParamName(f"several parameters of the function are called {name!r}; "
                                     "cannot bind by name")
        array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
        binds[param] = Constant(array)
    return bind(func, binds)


KERNEL_NORMS = ("nn.layer_norm",)
"""Normalisations the build keeps as one op: their row-wise kernel beats the arithmetic."""


def _optimization_passes(target=None, make_static=False):
    """The standard pipeline; each pass obeys the current PassContext.

    ``target`` decides the convolutions' layout (:func:`~tvm.relay.transform.ChooseLayout`);
    ``make_static`` runs ``DynamicToStatic`` (for a module that uses ``dyn.*`` operators,
    as 0.8's pipeline did, so that shape arguments known at build time give static kernels).
    """
    t = _transform
    return t.Sequential(
        [
            t.InferType(),
            t.ChooseLayout(target),  # before QNN canonicalisation: float convolutions only
            __import__("tvm.relay.qnn.transform", fromlist=["_"]).CanonicalizeOps(),  # QNN ops
            t.SimplifyInference(keep=KERNEL_NORMS),
            *([t.DynamicToStatic()] if make_static else []),
            t.FoldConstant(),
            t.FastMath(),  # opt_level 4: only with required_pass=["FastMath"], as 0.8
            t.SinkReshape(),  # elementwise epilogues next to their dense/matmul
            t.SimplifyExpr(),
            t.FoldScaleAxis(),
            t.EliminateCommonSubexpr(),
            t.FoldConstant(),
            t.DeadCodeElimination(),
            t.InferType(),
            t.FuseOps(),
            t.Inline(),  # functions lifted to the module with Inline=1 (PartitionGraph's), as 0.8
            t.InferType(),
        ],
        name="relay_optimize",
    )


def _uses_dynamic_ops(mod):
    """Whether a function of ``mod`` calls a ``dyn.*`` operator."""
    from .analysis import post_order_visit  # pylint: disable=import-outside-toplevel

    found = []

    def visit(node):
        if isinstance(node, Call) and isinstance(node.op, Op) and node.op.name.startswith("dyn."):
            found.append(node)

    for _, func in mod.functions_items():
        if isinstance(func, Function) and not found:
            post_order_visit(func, visit)
    return bool(found)


class LoweredProgram:
    """What :func:`lower_program` made.

    Attributes
    ----------
    mod : IRModule
        The optimised, fused module.
    engine : CompileEngine
        The engine that lowered it (its cache ``use_count`` s are the weights
        of the fused functions).
    cached_funcs : list of CachedFunc
        One per call of a fused function, in lowering order.
    graph_json, lowered_funcs, params
        The graph codegen's results (None with ``for_graph_executor=False``).
    """

    def __init__(self, mod, engine, cached_funcs, graph_json=None, lowered_funcs=None, params=None):
        self.mod = mod
        self.engine = engine
        self.cached_funcs = cached_funcs
        self.graph_json = graph_json
        self.lowered_funcs = lowered_funcs
        self.params = params


def lower_program(mod, target, params, mode, engine=None, for_graph_executor=True):
    """The one driver of ``relay.build`` and of both tuners' task extraction.

    Optimise ``mod`` (under the current PassContext) and lower every fused
    function with ``engine`` in ``mode``.

    Parameters
    ----------
    mod : IRModule or relay.Function
    target : str, dict or tvm.target.Target
    params : dict of str to array, optional
    mode : LoweringMode or bool
        Decided by the caller (``relay.build``, ``extract_tasks``, ...).
    engine : CompileEngine, optional
        A new engine by default.
    for_graph_executor : bool
        True: generate the graph executor's JSON, kernels and params (control
        flow is an error). False: only lower every called fused function,
        both branches of an ``If`` included (task extraction).

    Returns
    -------
    LoweredProgram
    """
    target = _normalize_target(target)
    mode = LoweringMode.resolve(mode)
    engine = engine if engine is not None else _compile_engine.CompileEngine()
    # AutoTVM's records name their workload's layout: under AutoTVM the model keeps its own
    opt_mod, _ = optimize(mod, target, params, choose_layout=not mode.uses_autotvm)
    codegen = GraphRuntimeCodegen(None, target, use_topi_schedule=mode, compile_engine=engine)
    with target:
        if not for_graph_executor:
            return LoweredProgram(opt_mod, engine, codegen.lower_all(opt_mod["main"]))
        graph_json, lowered, consts = codegen.codegen(opt_mod["main"])
    return LoweredProgram(opt_mod, engine, codegen.cached_funcs, graph_json, lowered, consts)


def _report_fallback_configs(cached_funcs):
    """One line for the kernels whose AutoTVM template used a fallback config.

    Upstream warned once per workload ("Cannot find config ..."); the list is
    logged at DEBUG level on the ``relay`` logger.
    """
    fallback = {}
    for cached in cached_funcs:
        if cached.uses_fallback_config:
            fallback.setdefault(cached.func_name, cached.anchor_implementation)
    if not fallback:
        return
    logger.warning(
        "relay.build: %d kernels use fallback schedule configurations (no AutoTVM or "
        "auto-scheduler record); tuning them may make the model faster. "
        "logging.getLogger('relay').setLevel(logging.DEBUG) lists them.",
        len(fallback),
    )
    for name, impl in sorted(fallback.items()):
        logger.debug("fallback configuration: %s (%s)", name, impl)


class BuildModule:
    """Build a Relay module for the graph executor (upstream's ``BuildModule``).

    Each build lowers through its own compile engine (``compile_engine``, or a
    new one) unless one is given: kernels shared inside a model are lowered
    once. The lowering mode is part of the engine's cache key, so an engine
    shared across builds never reuses a kernel lowered in another mode or
    under another tuning context.
    """

    def __init__(self, compile_engine=None):
        self.engine = compile_engine if compile_engine is not None else _compile_engine.CompileEngine()

    def optimize(self, mod, target=None, params=None):
        """Bind params and run the optimisation pipeline; returns ``(mod, params)``."""
        return optimize(mod, target, params)

    def _build(self, mod, target, target_host, params, use_topi_schedule=True):
        """Optimise, generate the graph and compile every kernel at once.

        Parameters
        ----------
        use_topi_schedule : LoweringMode or bool
            The lowering mode (``relay.build`` passes the one it decided;
            upstream's bool is accepted and resolved once here). Passed
            explicitly to ``GraphRuntimeCodegen`` and from there to
            ``CompileEngine.lower``.

        Returns
        -------
        graph_json : str
        lib : tvm.runtime.Module
        params : dict of str to tvm.runtime.Tensor
        """
        target = _normalize_target(target)
        mode = LoweringMode.resolve(use_topi_schedule)
        start = time.perf_counter()
        program = lower_program(mod, target, params, mode, self.engine)
        lowered_at = time.perf_counter()
        if mode.use_topi_schedule:
            _report_fallback_configs(program.cached_funcs)
        compile_target = tvm.target.Target(target, host=target_host) if target_host else target
        executable = tvm.compile(program.lowered_funcs, target=compile_target)
        # external (BYOC) functions' C modules go into the library, so export_library links them
        contrib_codegen.import_external_modules(executable.mod, program.lowered_funcs)
        logger.info(
            "relay.build: optimise and lower %d kernels %.2f s, compile %.2f s",
            len(program.lowered_funcs.functions),
            lowered_at - start,
            time.perf_counter() - lowered_at,
        )
        return program.graph_json, executable.mod, program.params


def _as_module(mod):
    if isinstance(mod, IRModule):
        return mod
    if isinstance(mod, Function):
        return IRModule.from_expr(mod)
    if isinstance(mod, RelayExpr):
        return IRModule.from_expr(mod)
    raise TypeError(f"relay.build expects a relay IRModule, got {type(mod).__name__}")


def build(ir_mod, target=None, target_host=None, params=None, mod_name="default"):
    """Build a Relay module for the graph executor.

    Parameters
    ----------
    ir_mod : IRModule
        The module; its ``main`` is compiled.
    target : str, dict or tvm.target.Target
        ``"llvm"``, ``"llvm -mcpu=core-avx2"``, ``{"kind": "llvm", ...}``...
    target_host : str, dict or tvm.target.Target, optional
    params : dict of str to array, optional
        Values bound to the parameters of ``main`` with those names (weights).
    mod_name : str
        The name of the module in the factory (``lib[mod_name](dev)``).

    Returns
    -------
    factory : GraphExecutorFactoryModule
        ``factory[mod_name](dev)`` creates the executor;
        ``export_library(path)`` writes one deployable file.
    """
    from .backend.executor_factory import GraphExecutorFactoryModule  # pylint: disable=import-outside-toplevel

    if isinstance(ir_mod, Function):
        logger.warning("relay.build with a Function is deprecated; pass an IRModule")
    ir_mod = _as_module(ir_mod)
    target = _normalize_target(target)
    mode = LoweringMode.for_build()
    graph_json, lib, consts = BuildModule()._build(ir_mod, target, target_host, params, mode)
    return GraphExecutorFactoryModule(ir_mod, target, graph_json, lib, mod_name, consts)


def optimize(mod, target=None, params=None, *, choose_layout=True):
    """Run the optimisation pipeline of ``relay.build`` without generating code.

    ``choose_layout=False`` keeps the model's convolution layout where the
    pipeline would choose one for ``target`` (:func:`~tvm.relay.transform.ChooseLayout`).

    Returns
    -------
    mod : IRModule
        The optimised, fused module.
    params : dict
        Parameters left unbound (always empty: bound params become constants).
    """
    mod = _as_module(mod)
    if params:
        mod = mod.copy()
        mod["main"] = bind_params_by_name(mod["main"], params)
    target = _normalize_target(target) if target is not None else None
    make_static = _uses_dynamic_ops(mod)
    if target is not None:
        with target:
            mod = _optimization_passes(target if choose_layout else None, make_static)(mod)
    else:
        mod = _optimization_passes(make_static=make_static)(mod)
    return mod, {}


def _nest_outputs(outputs, ret_type):
    """The graph's flat outputs in the shape of the function's result: a
    (nested) list for a tuple result, as 0.8's graph executor gave (its ADTs)."""
    flat = iter(outputs)

    def build_value(ty):
        if isinstance(ty, TupleType):
            return [build_value(field) for field in ty.fields]
        return next(flat)

    if not isinstance(ret_type, TupleType):
        return outputs[0] if len(outputs) == 1 else outputs
    return build_value(ret_type)


class GraphExecutor:
    """``create_executor("graph")``: build once, then evaluate with the graph executor."""

    def __init__(self, mod, device, target):
        self.mod = mod
        self.device = device
        self.target = target

    def evaluate(self, expr=None, binds=None):
        """A callable running ``main`` (or the function ``expr``) compiled with
        ``relay.build``; an expression that is not a function is evaluated at
        once and its value returned (as 0.8)."""
        from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

        mod = self.mod
        if expr is not None:
            mod = IRModule.from_expr(expr if binds is None else bind(expr, binds))
        main = mod["main"]
        ret_type = _transform.InferType()(mod)["main"].checked_type.ret_type
        factory = build(mod, target=self.target)
        module = graph_executor.GraphModule(factory["default"](self.device))
        names = [p.name_hint for p in main.params]

        def _run(*args, **kwargs):
            if len(args) > len(names):
                raise TypeError(f"the function takes {len(names)} inputs, got {len(args)}")
            # by position, as 0.8 (parameters may share a name)
            for index, value in enumerate(args):
                module.set_input(index, value)
            if kwargs:
                module.set_input(**kwargs)
            module.run()
            outputs = [module.get_output(i) for i in range(module.get_num_outputs())]
            return _nest_outputs(outputs, ret_type)

        if expr is not None and not isinstance(expr, (Function, GlobalVar)) and not names:
            return _run()  # as 0.8: an expression (not a function) is evaluated at once
        return _run


def create_executor(kind="debug", mod=None, device=None, target="llvm", params=None):
    """An executor for a Relay module (upstream ``relay.create_executor``).

    ``kind`` is ``"debug"`` (the NumPy reference interpreter of
    ``relay.reference``, which uses no TOPI kernel; ``FoldConstant`` uses it
    too), ``"graph"`` (``relay.build`` + the graph executor) or ``"vm"``
    (``relay.vm.compile`` + the Relay virtual machine, which also runs control
    flow, closures, ADTs, references and dynamic shapes).
    """
    if mod is None:
        mod = IRModule()
    if device is None:
        device = tvm.cpu(0)
    if params:
        mod = mod.copy()
        mod["main"] = bind_params_by_name(mod["main"], params)
    if kind == "debug":
        from .backend import interpreter  # pylint: disable=import-outside-toplevel

        return interpreter.create_executor("debug", mod=mod, device=device, target=target)
    if kind == "graph":
        return GraphExecutor(mod, device, target)
    if kind == "vm":
        return _VMStandIn(mod, device, target)
    raise ValueError(f"unknown executor kind {kind!r}; use 'debug', 'graph' or 'vm'")


def _VMStandIn(mod, device, target):  # pylint: disable=invalid-name
    """``create_executor("vm")``: the Relay VM's executor (:class:`~tvm.relay.backend.vm.VMExecutor`).

    The name is kept from when the fork had no VM and stood in for it with the
    graph executor and the interpreter.
    """
    from .backend.vm import VMExecutor  # pylint: disable=import-outside-toplevel

    return VMExecutor(mod, device, target)
