"""AutoTVM and Relay: the compile-engine hook and task extraction.

This is the one module where AutoTVM meets Relay. Importing AutoTVM registers
:class:`CompileEngineHook` at the compile engine's hook point
(``tvm.relay.backend.lowering``, name ``"autotvm"``); Relay itself never
imports AutoTVM, so a plain ``relay.build`` runs without it.

In TOPI mode the hook replaces an op implementation that declares an AutoTVM
template (``OpImplementation.template_args``, e.g. ``conv2d_nchw.x86``) by the
template of that name (``tvm.topi.x86.tunable``), which reads its config from
the current dispatch context: a tuned record under ``apply_history_best``, a
fallback config otherwise, and while :class:`~.topi_integration.TaskExtractEnv`
traces, the template records its task. In the auto-scheduler's modes the hook
stays out (the auto-scheduler schedules; no AutoTVM fallback warnings).

Fallback configs chosen while lowering are not warned about one workload at a
time: ``relay.build`` prints one summary line (see ``relay.build_module``).
"""
import logging

import tvm
from tvm.relay.backend import lowering
from tvm.relay.op.strategy import OpImplementation

from .dispatcher import DispatchContext, FallbackContext
from .task import TASK_TABLE, create
from .topi_integration import (TaskExtractEnv, get_workload, select_tuned_implementation, silenced,
                                target_scope)

logger = logging.getLogger("autotvm")


def _templates():
    """The template table, with the x86 templates registered (imported on first use)."""
    from tvm.topi.x86 import tunable  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import

    return TASK_TABLE


def _as_template(impl):
    """``impl`` computed and scheduled by its AutoTVM template, or None if it declares none."""
    template = _templates().get(impl.name) if impl.template_args is not None else None
    if template is None or template.fcompute is None or template.fschedule is None:
        return None

    def fcompute(attrs, inputs, out_type):
        with silenced():
            return template.fcompute(*impl.template_args(attrs, inputs, out_type))

    def fschedule(attrs, sch, outs, target):  # pylint: disable=unused-argument
        with silenced():
            return template.fschedule(sch, outs)

    return OpImplementation(fcompute, fschedule, impl.name, impl.plevel, impl.template_args)


class CompileEngineHook:
    """AutoTVM's entry in the compile engine's hook point (see the module docstring)."""

    @staticmethod
    def active_context():
        """The context a build should use: a tracing extraction, a tuned context, or None."""
        env = TaskExtractEnv.current
        if env is not None and env.tracing:
            return env
        ctx = DispatchContext.current
        return None if isinstance(ctx, FallbackContext) else ctx

    @staticmethod
    def select_implementation(op, impls, attrs, inputs, out_type, target, mode):
        """``(implementation, outputs)`` by AutoTVM templates, or None for the plain choice.

        ``impls`` are sorted by decreasing ``plevel``. With several templates
        the one with the best tuned record wins; otherwise the highest
        ``plevel`` wins, run as its template if it has one.
        """
        if not mode.use_topi_schedule:
            return None
        templated = [_as_template(impl) for impl in impls]
        if not any(templated):
            return None
        env = TaskExtractEnv.current
        previous_op = env.relay_op_name if env is not None else None
        if env is not None:
            env.relay_op_name = op.name
        try:
            with silenced(), target_scope(target):
                candidates = [t for t in templated if t is not None]
                chosen = None
                if len(candidates) > 1:
                    chosen = select_tuned_implementation(candidates, attrs, inputs, out_type, target)
                if chosen is None:
                    if templated[0] is None:
                        return None
                    chosen = (templated[0], templated[0].compute(attrs, inputs, out_type))
                impl, outs = chosen
                workload = get_workload(outs)
                impl.tuned = workload is not None and not DispatchContext.current.query(
                    target, workload).is_fallback
                return impl, outs
        finally:
            if env is not None:
                env.relay_op_name = previous_op


lowering.register_hook("autotvm", CompileEngineHook())


def extract_from_program(mod, params, target, target_host=None, ops=None):
    """Extract the tuning tasks of a Relay program.

    The program goes through ``relay.build``'s driver (optimiser, then the
    compile engine in TOPI mode, every fused function lowered, control flow
    included) while a :class:`~.topi_integration.TaskExtractEnv` records every
    template that is computed; no machine code is generated.

    Parameters
    ----------
    mod : tvm.IRModule or relay.function.Function
    params : dict of str to numpy.ndarray or tvm.runtime.Tensor
    target : str or tvm.target.Target
    target_host : str or tvm.target.Target, optional
    ops : list of relay.op.Op, optional
        Only keep tasks of these ops (e.g. ``[relay.op.get("nn.conv2d")]``);
        None keeps all.

    Returns
    -------
    tasks : list of Task
        One per distinct (template, arguments), in the order first met.
    """
    return extract_from_multiple_program([mod], [params], target, target_host, ops)


def extract_from_multiple_program(mods, params, target, target_host=None, ops=None):
    """Extract the tuning tasks of several Relay programs (see :func:`extract_from_program`)."""
    from tvm.relay import build_module  # pylint: disable=import-outside-toplevel
    from tvm.relay.backend.compile_engine import CompileEngine  # pylint: disable=import-outside-toplevel

    if not isinstance(target, tvm.target.Target):
        target = tvm.target.Target(target)
    env = TaskExtractEnv.get()
    env.reset(ops)
    with env:
        for mod, param in zip(mods, params):
            # a private engine: kernels cached by an earlier lowering would not
            # run their templates again
            build_module.lower_program(mod, target, param, lowering.LoweringMode.topi(env),
                                       engine=CompileEngine(), for_graph_executor=False)
        collected = env.get_tasks()
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
