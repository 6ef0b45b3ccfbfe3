"""Extract AutoTVM tasks from Relay programs.

The program goes through the same path as ``relay.build`` (optimiser, then
the compile engine with ``use_topi_schedule=True``) while
:class:`~.topi_integration.TaskExtractEnv` records every TOPI template that is
computed; no machine code is generated. Relay is imported here, lazily: AutoTVM
itself never imports it.
"""
import logging

import tvm

from ..env import GLOBAL_SCOPE
from .task import create
from .topi_integration import TaskExtractEnv

logger = logging.getLogger("autotvm")


def extract_from_program(mod, params, target, target_host=None, ops=None):
    """Extract the tuning tasks of a Relay program.

    Parameters
    ----------
    mod : tvm.IRModule or relay.function.Function
    params : dict of str to numpy.ndarray or tvm.runtime.Tensor
    target : str or tvm.target.Target
    target_host : str or tvm.target.Target, optional
    ops : list of relay.op.Op, optional
        Only keep tasks of fused functions that contain one of these ops
        (e.g. ``[relay.op.get("nn.conv2d")]``); None keeps all.

    Returns
    -------
    tasks : list of Task
        One per distinct (template, arguments), in the order first met.
    """
    return extract_from_multiple_program([mod], [params], target, target_host, ops)


def extract_from_multiple_program(mods, params, target, target_host=None, ops=None):
    """Extract the tuning tasks of several Relay programs (see :func:`extract_from_program`)."""
    # pylint: disable=import-outside-toplevel
    from tvm import relay
    from tvm.relay import build_module
    from tvm.relay.backend import compile_engine
    from tvm.relay.backend.graph_runtime_codegen import GraphRuntimeCodegen

    if not isinstance(target, tvm.target.Target):
        target = tvm.target.Target(target)
    env = TaskExtractEnv.get()
    env.reset(ops)
    old_silent = GLOBAL_SCOPE.silent
    GLOBAL_SCOPE.silent = True  # tracing lowers with fallback configs: no warnings
    try:
        with env:
            for mod, param in zip(mods, params):
                if isinstance(mod, relay.function.Function):
                    mod = tvm.IRModule.from_expr(mod)
                opt_mod, _ = build_module.BuildModule().optimize(mod, target, param)
                # a private engine: the global cache would skip the templates
                engine = compile_engine.CompileEngine(use_cache=True)
                codegen = GraphRuntimeCodegen(
                    None, target, use_topi_schedule=True, compile_engine=engine
                )
                with target:
                    codegen.lower_all(opt_mod["main"])
            collected = env.get_tasks()
    finally:
        GLOBAL_SCOPE.silent = old_silent
    tasks = []
    for task_name, args, kwargs in collected:
        try:
            tsk = create(task_name, args, target=target, target_host=target_host, kwargs=kwargs)
        except Exception as err:  # pylint: disable=broad-except
            logger.warning("skipping task %s%s: %s", task_name, args, err)
            continue
        if tsk.workload not in [t.workload for t in tasks]:
            tasks.append(tsk)
    logger.info("extracted %d AutoTVM tasks", len(tasks))
    return tasks
