"""``relay.build`` and ``relay.optimize``: Relay to a deployable graph module.

::

    relay.build(mod, target, params)
     └ BuildModule._build(mod, target, target_host, params, use_topi_schedule)
         ├ optimize: bind params, InferType, SimplifyInference, FoldConstant,
         │           FoldScaleAxis, FuseOps, InferType
         ├ GraphRuntimeCodegen(target, use_topi_schedule).codegen(main)
         └ tvm.compile(all kernels at once) -> GraphExecutorFactoryModule

``use_topi_schedule`` enters in exactly one place, ``BuildModule._build``.
``relay.build`` sets it to False by itself when an auto-scheduler dispatch
context with tuning records (``auto_scheduler.ApplyHistoryBest``) is active, so
the user adds no flag (the RFC's design); otherwise TOPI schedules are used,
with AutoTVM's tuned configs under ``autotvm.apply_history_best``.
"""
import logging
import sys
import time

import numpy as np

import tvm

from . import transform as _transform
from .backend import compile_engine as _compile_engine
from .backend.graph_runtime_codegen import GraphRuntimeCodegen
from .expr import Constant, RelayExpr
from .expr_functor import bind
from .function import Function
from .module import IRModule

logger = logging.getLogger("relay")


def _auto_scheduler_context_active():
    """True if a tuned auto-scheduler dispatch context is active.

    The auto-scheduler is not imported for this: a user who never imported it
    cannot have entered one of its contexts.
    """
    dispatcher = sys.modules.get("tvm.auto_scheduler.dispatcher")
    if dispatcher is None:
        return False
    ctx = dispatcher.DispatchContext.current
    return ctx is not None and not isinstance(ctx, dispatcher.FallbackContext)


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
            raise ValueError(f"several parameters of the function are called {name!r}; cannot bind by name")
        array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
        binds[param] = Constant(array)
    return bind(func, binds)


def _optimization_passes():
    """The standard pipeline; each pass obeys the current PassContext."""
    t = _transform
    return t.Sequential(
        [
            t.InferType(),
            t.SimplifyInference(),
            t.FoldConstant(),
            t.FoldScaleAxis(),
            t.EliminateCommonSubexpr(),
            t.FoldConstant(),
            t.DeadCodeElimination(),
            t.InferType(),
            t.FuseOps(),
            t.InferType(),
        ],
        name="relay_optimize",
    )


class BuildModule:
    """Build a Relay module for the graph executor (upstream's ``BuildModule``).

    Each build lowers through its own compile engine (``compile_engine``, or a
    new one): kernels shared inside a model are lowered once, and a build never
    reuses a kernel scheduled under another dispatch context (an untuned build
    followed by one under ``ApplyHistoryBest`` must not share TOPI kernels).
    """

    def __init__(self, compile_engine=None):
        self.engine = compile_engine if compile_engine is not None else _compile_engine.CompileEngine()

    def optimize(self, mod, target=None, params=None):
        """Bind params and run the optimisation pipeline; returns ``(mod, params)``."""
        if params:
            mod = mod.copy()
            mod["main"] = bind_params_by_name(mod["main"], params)
        target = _normalize_target(target) if target is not None else None
        if target is not None:
            with target:
                mod = _optimization_passes()(mod)
        else:
            mod = _optimization_passes()(mod)
        return mod, {}

    def _build(self, mod, target, target_host, params, use_topi_schedule):
        """Optimise, generate the graph and compile every kernel at once.

        Parameters
        ----------
        use_topi_schedule : bool
            The one entry point of the flag: passed explicitly to
            ``GraphRuntimeCodegen`` and from there to ``CompileEngine.lower``.

        Returns
        -------
        graph_json : str
        lib : tvm.runtime.Module
        params : dict of str to tvm.runtime.Tensor
        """
        target = _normalize_target(target)
        start = time.perf_counter()
        opt_mod, _ = self.optimize(mod, target, params)
        optimized = time.perf_counter()
        codegen = GraphRuntimeCodegen(None, target, use_topi_schedule=use_topi_schedule,
                                      compile_engine=self.engine)
        with target:
            graph_json, lowered, consts = codegen.codegen(opt_mod["main"])
        lowered_at = time.perf_counter()
        compile_target = tvm.target.Target(target, host=target_host) if target_host else target
        executable = tvm.compile(lowered, target=compile_target)
        logger.info(
            "relay.build: optimise %.2f s, lower %d kernels %.2f s, compile %.2f s",
            optimized - start,
            len(lowered.functions),
            lowered_at - optimized,
            time.perf_counter() - lowered_at,
        )
        return graph_json, executable.mod, consts


def _as_module(mod):
    if isinstance(mod, IRModule):
        return mod
    if isinstance(mod, Function):
        logger.warning("relay.build with a Function is deprecated; pass an IRModule")
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

    ir_mod = _as_module(ir_mod)
    target = _normalize_target(target)
    use_topi_schedule = not _auto_scheduler_context_active()
    graph_json, lib, consts = BuildModule()._build(
        ir_mod, target, target_host, params, use_topi_schedule
    )
    return GraphExecutorFactoryModule(ir_mod, target, graph_json, lib, mod_name, consts)


def optimize(mod, target=None, params=None):
    """Run the optimisation pipeline of ``relay.build`` without generating code.

    Returns
    -------
    mod : IRModule
        The optimised, fused module.
    params : dict
        Parameters left unbound (always empty: bound params become constants).
    """
    mod = _as_module(mod)
    return BuildModule().optimize(mod, target, params)


class GraphExecutor:
    """``create_executor("graph")``: build once, then evaluate with the graph executor."""

    def __init__(self, mod, device, target):
        self.mod = mod
        self.device = device
        self.target = target

    def evaluate(self, expr=None, binds=None):
        """A callable running ``main`` (or ``expr``) compiled with ``relay.build``."""
        from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

        mod = self.mod
        if expr is not None:
            mod = IRModule.from_expr(expr if binds is None else bind(expr, binds))
        main = mod["main"]
        factory = build(mod, target=self.target)
        module = graph_executor.GraphModule(factory["default"](self.device))
        names = [p.name_hint for p in main.params]

        def _run(*args, **kwargs):
            for name, value in zip(names, args):
                module.set_input(name, value)
            if kwargs:
                module.set_input(**kwargs)
            module.run()
            outputs = [module.get_output(i) for i in range(module.get_num_outputs())]
            return outputs[0] if len(outputs) == 1 else outputs

        return _run


def create_executor(kind="debug", mod=None, device=None, target="llvm", params=None):
    """An executor for a Relay module (upstream ``relay.create_executor``).

    ``kind`` is ``"debug"`` (the NumPy reference interpreter, independent of the
    compiler) or ``"graph"`` (``relay.build`` + the graph executor).
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
    raise ValueError(f"unknown executor kind {kind!r}; use 'debug' or 'graph'")
