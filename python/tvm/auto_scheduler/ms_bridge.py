"""The bridge to the base wheel's MetaSchedule engine.

What is whose:

* **base (MetaSchedule, C++)**: sketch generation (``PostOrderApply`` with the
  default LLVM / CUDA schedule rules: auto-inline, multi-level tiling "SSRSRS",
  rfactor, parallel/vectorize/unroll, compute location), the postprocessors
  (including ``RewriteLayout`` for layout-free weights), the mutators, the
  evolutionary search, the per-store feature extractor and the XGBoost cost
  model (Python, in the base).
* **fork**: everything around it: tasks, measurement, records, task scheduler,
  dispatch, and this module, which builds a ``TuneContext`` for a task.

``TuneContext.__init__`` of the base imports ``tvm.s_tir.tensor_intrin``, which
parses ~500 TVMScript functions (~40 s per process here). Tensor intrinsics are
only used by the VNNI/tensor-core rules, not by the default rules used here, so
the context is built through the same FFI constructor without that import.
"""
import logging

from .compute_dag import LayoutRewriteOption

logger = logging.getLogger("auto_scheduler")


def _ms():
    import tvm.s_tir.meta_schedule as ms  # pylint: disable=import-outside-toplevel

    return ms


def search_target(task):
    """The task's target with ``num-cores`` filled in from its hardware parameters."""
    import tvm  # pylint: disable=import-outside-toplevel

    target = task.target
    if target.kind.name == "llvm" and "num-cores" not in target.attrs:
        config = dict(target.export())
        num_cores = task.hardware_params.num_cores if task.hardware_params is not None else None
        if num_cores:
            config["num-cores"] = int(num_cores)
            config.pop("tag", None)
            config.pop("keys", None)
            target = tvm.target.Target(config)
    return target


def _rule_kind(target):
    if target.kind.name == "llvm":
        return "llvm"
    if target.kind.name == "cuda":
        return "cuda"
    raise ValueError("the auto-scheduler supports llvm and cuda targets, got %s" % target.kind.name)


def make_space_generator(task, params):
    """PostOrderApply with the target's default rules, postprocs and mutators."""
    ms = _ms()
    target = search_target(task)
    kind = _rule_kind(target)
    rules = list(ms.ScheduleRule.create(kind))
    postprocs = list(ms.Postproc.create(kind))
    if task.layout_rewrite_option == LayoutRewriteOption.NO_REWRITE:
        postprocs = [p for p in postprocs if type(p).__name__ != "RewriteLayout"]
    if params.get("disable_change_compute_location"):
        rules = [r for r in rules if type(r).__name__ != "RandomComputeLocation"]
    mutators = ms.Mutator.create(kind)
    if params.get("disable_change_compute_location"):
        mutators = {m: p for m, p in mutators.items() if type(m).__name__ != "MutateComputeLocation"}
    return ms.space_generator.PostOrderApply(sch_rules=rules, postprocs=postprocs, mutator_probs=mutators)


def search_module(mod):
    """``mod`` without the ``schedule_rule`` block annotations of TOPI computes.

    The base's pooling computes name a custom MetaSchedule rule
    (``meta_schedule.pool_max``) that only its GPU targets register; on a CPU
    MetaSchedule prints a warning for every such task, removes the annotation
    and applies its default rules. The search starts from the module without
    it, so the user sees no warning. Traces found on this module replay on
    the original one: block names and loops are the same.
    """
    from tvm.s_tir import Schedule  # pylint: disable=import-outside-toplevel

    sch = Schedule(mod)
    changed = False
    for block in sch.get_child_blocks(sch.get_sblock("root")):
        if "schedule_rule" in sch.get(block).annotations:
            sch.unannotate(block, "schedule_rule")
            changed = True
    return sch.mod if changed else mod


def make_tune_context(task, params, seed):
    """A TuneContext for ``task`` (without importing the tensor intrinsics)."""
    ms = _ms()
    from tvm.s_tir.meta_schedule import _ffi_api  # pylint: disable=import-outside-toplevel
    from tvm.s_tir.meta_schedule.logging import get_logging_func  # pylint: disable=import-outside-toplevel
    from tvm.s_tir.meta_schedule.tune_context import TuneContext  # pylint: disable=import-outside-toplevel

    strategy = ms.search_strategy.EvolutionarySearch(
        population_size=int(params["evolutionary_search_population"]),
        init_measured_ratio=float(params["sample_init_use_measured_ratio"]),
        init_min_unmeasured=int(params["sample_init_min_population"]),
        genetic_num_iters=int(params["evolutionary_search_num_iters"]),
        genetic_mutate_prob=float(params["evolutionary_search_mutation_prob"]),
        eps_greedy=float(params["eps_greedy"]),
    )
    target = search_target(task)
    num_threads = task.hardware_params.num_cores if task.hardware_params is not None else 1
    ctx = TuneContext.__new__(TuneContext)
    ctx.__init_handle_by_constructor__(
        _ffi_api.TuneContext,  # pylint: disable=no-member
        search_module(task.compute_dag.mod),
        target,
        make_space_generator(task, params),
        strategy,
        "main",
        int(num_threads),
        int(seed) if seed is not None else -1,
        get_logging_func(logging.getLogger("auto_scheduler.search")),
    )
    _ffi_api.TuneContextInitialize(ctx)  # pylint: disable=no-member
    return ctx


def measure_candidate(mod):
    """A MetaSchedule MeasureCandidate for a scheduled module (features only)."""
    ms = _ms()
    from tvm.s_tir import Schedule  # pylint: disable=import-outside-toplevel

    return ms.search_strategy.MeasureCandidate(Schedule(mod), ms.arg_info.ArgInfo.from_prim_func(mod["main"]))


def runner_result(result):
    """A MetaSchedule RunnerResult for a :class:`MeasureResult`."""
    ms = _ms()
    if result.error_no != 0:
        return ms.runner.RunnerResult(None, "error %d" % result.error_no)
    return ms.runner.RunnerResult([float(c) for c in result.costs], None)
