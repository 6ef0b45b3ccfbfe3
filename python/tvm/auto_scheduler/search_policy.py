"""Search policies (upstream 0.8 API): :class:`SketchPolicy`, :class:`EmptyPolicy`.

The Ansor design is kept: generate sketches from schedule rules, annotate them
randomly into an initial population, evolve it guided by a learned cost model,
measure the best candidates (with a few random ones, epsilon-greedy), retrain.

What is whose: sketch rules, random annotation (sampling instructions), the
evolutionary search and the features/XGBoost model are the base's MetaSchedule
C++/Python engine (see :mod:`.ms_bridge`). The fork drives it round by round:
it keeps the per-task in-memory database of measured states, never measures
the same program twice (also across a resume: :class:`PreloadMeasuredStates`),
measures through its own :class:`ProgramMeasurer`, trains the cost model, and
implements early stopping and the upstream parameters.
"""
import logging
import random
import time

import tvm

from . import ms_bridge
from .compute_dag import state_to_trace
from .measure import MeasureErrorNo, MeasureInput

logger = logging.getLogger("auto_scheduler")


class SearchCallback:
    """Callback run when a policy is created (``init_search_callbacks``)."""

    def callback(self, policy):
        raise NotImplementedError


class PreloadMeasuredStates(SearchCallback):
    """Load the measured states of the policy's task from a log file.

    The states are neither measured again nor lost: they seed the database of
    the evolutionary search and train the cost model. Only records of the
    task's workload measured on the task's exact target count: a record of
    another ``-mcpu`` (a compatible target, which ``ApplyHistoryBest`` still
    applies) was timed on other hardware, so resuming measures that state
    again here (one info line says how many such records were left out).

    Parameters
    ----------
    filename : str
        The log file.
    """

    def __init__(self, filename):
        self.filename = filename

    def matching_records(self, task):
        """``(inputs, results)`` of the log for ``task``'s workload key and exact target."""
        from tvm.contrib.target_check import EXACT, record_target, target_compatible  # pylint: disable=C0415

        from .measure_record import read_raw_records  # pylint: disable=import-outside-toplevel

        inputs, results, other_targets, matches = [], [], 0, {}
        for _, key, target_text, state_json, res in read_raw_records(self.filename):
            if key != task.workload_key:
                continue
            if target_text not in matches:
                matches[target_text] = target_compatible(record_target(target_text), task.target)
            if matches[target_text] != EXACT:
                other_targets += 1
                continue
            inputs.append(MeasureInput(task, state_json))
            results.append(res)
        if other_targets:
            logger.info("%s: %d records of this workload were measured for another target; "
                        "they are not counted as measured for %s", self.filename, other_targets, task.target)
        return inputs, results

    def callback(self, policy):
        policy.preload(*self.matching_records(policy.search_task))


class PreloadCustomSketchRule(SearchCallback):
    """Upstream's custom sketch rules; not supported (the rules are the base's)."""

    def __init__(self, meet_condition_func, apply_func, rule_name="CustomSketchRule"):
        raise NotImplementedError(
            "PreloadCustomSketchRule %s: custom sketch rules are not supported; the sketch rules are "
            "MetaSchedule's schedule rules of the base" % rule_name)

    def callback(self, policy):
        raise NotImplementedError


class SearchPolicy:
    """Base class of search policies."""

    def __init__(self, task, verbose=1, init_search_callbacks=None):
        self.search_task = task
        self.verbose = verbose
        self.measured = {}  # structural hash of the scheduled module -> mean cost
        self.best_cost = None
        self.best_state = None
        self.num_measured = 0
        self._init_callbacks = list(init_search_callbacks or [])

    def _run_init_callbacks(self):
        for callback in self._init_callbacks:
            callback.callback(self)

    def _note(self, mod, inp, res):
        cost = res.mean_cost() if res.error_no == MeasureErrorNo.NO_ERROR else None
        self.measured[tvm.ir.structural_hash(mod)] = cost
        if cost is not None and (self.best_cost is None or cost < self.best_cost):
            self.best_cost = cost
            self.best_state = inp.state

    def preload(self, inputs, results):
        """Record already measured states (from a log)."""
        for inp, res in zip(inputs, results):
            try:
                mod = inp.scheduled_mod()
            except Exception:  # pylint: disable=broad-except
                logger.warning("a logged state of %s does not replay; skipped", inp.task.workload_key)
                continue
            self._note(mod, inp, res)

    def continue_search_one_round(self, num_measure, measurer):
        raise NotImplementedError

    def search(self, num_measure_trials, early_stopping, num_measures_per_round, measurer):
        """Search with up to ``num_measure_trials`` measurements; returns the best state."""
        if early_stopping is None or early_stopping < 0:
            early_stopping = 1 << 30
        if num_measure_trials <= 0:
            return self._best_predicted()
        ct, best_ct, best_cost = 0, 0, self.best_cost
        start = time.time()
        while ct < num_measure_trials:
            n = min(num_measures_per_round, num_measure_trials - ct)
            inputs, results = self.continue_search_one_round(n, measurer)
            if not inputs:
                logger.info("search space exhausted after %d measurements", ct)
                break
            ct += len(inputs)
            if self.best_cost is not None and (best_cost is None or self.best_cost < best_cost):
                best_cost, best_ct = self.best_cost, ct
            if self.verbose >= 1:
                flops = self.search_task.compute_dag.flop_ct
                gflops = flops / best_cost / 1e9 if best_cost and flops > 0 else 0.0
                logger.info("#trials %d  best %.4f ms  %.2f GFLOPS  (%.0f s)", ct,
                            (best_cost or 0.0) * 1e3, gflops, time.time() - start)
            if ct - best_ct > early_stopping:
                logger.info("early stopping: no improvement in the last %d measurements", early_stopping)
                break
            if measurer.too_many_errors(self.search_task):
                logger.warning("too many errors in a row for %s; stop", self.search_task.workload_key)
                break
        return self.best_state

    def _best_predicted(self):
        return self.best_state


class EmptyPolicy(SearchPolicy):
    """Measure only the initial (unscheduled) state; for testing the measurement.

    Parameters
    ----------
    task : SearchTask
    init_search_callbacks : Optional[List[SearchCallback]]
    """

    def __init__(self, task, init_search_callbacks=None):
        super().__init__(task, 1, init_search_callbacks)
        self._run_init_callbacks()

    def continue_search_one_round(self, num_measure, measurer):
        inp = MeasureInput(self.search_task, self.search_task.compute_dag.init_state)
        mod = inp.scheduled_mod()
        if tvm.ir.structural_hash(mod) in self.measured:
            return [], []
        results = measurer.measure(self.search_task, self, [inp])
        self._note(mod, inp, results[0])
        return [inp], results

    def _best_predicted(self):
        return self.search_task.compute_dag.init_state


class SketchPolicy(SearchPolicy):
    """The Ansor search: sketches, random annotation, evolutionary search.

    Parameters
    ----------
    task : SearchTask
    program_cost_model : Optional[CostModel]
        Default ``XGBModel()`` (upstream's default was ``RandomModel()``; the
        issue of this fork asks for the learned model by default).
    params : Optional[Dict[str, Any]]
        Overrides of :attr:`DEFAULT_PARAMS` (upstream keys).
    seed : Optional[int]
        Random seed.
    verbose : int = 1
    init_search_callbacks : Optional[List[SearchCallback]]
        E.g. ``[PreloadMeasuredStates(log_file)]``.
    """

    DEFAULT_PARAMS = {
        "eps_greedy": 0.05,
        "retry_search_one_round_on_empty": 1,
        "sample_init_min_population": 50,
        "sample_init_use_measured_ratio": 0.2,
        "evolutionary_search_population": 512,
        "evolutionary_search_num_iters": 4,
        "evolutionary_search_mutation_prob": 0.85,
        "cpu_multi_level_tiling_structure": "SSRSRS",
        "gpu_multi_level_tiling_structure": "SSSRRSRS",
        "max_innermost_split_factor": 64,
        "max_vectorize_size": 16,
        "disable_change_compute_location": 0,
    }

    def __init__(self, task, program_cost_model=None, params=None, seed=None, verbose=1,
                 init_search_callbacks=None):
        super().__init__(task, verbose, init_search_callbacks)
        from .cost_model import CostModel, XGBModel  # pylint: disable=import-outside-toplevel

        if program_cost_model is None:
            program_cost_model = XGBModel()
        if not isinstance(program_cost_model, CostModel):
            raise TypeError("SketchPolicy: program_cost_model must be a CostModel, got %r" % (program_cost_model,))
        unknown = set(params or {}) - set(self.DEFAULT_PARAMS)
        if unknown:
            raise ValueError("SketchPolicy: unknown params %s" % sorted(unknown))
        self.params = dict(self.DEFAULT_PARAMS, **(params or {}))
        self.cost_model = program_cost_model
        self.seed = seed if seed is not None else random.randint(1, (1 << 31) - 1)
        self._ctx = ms_bridge.make_tune_context(task, self.params, self.seed)
        self.cost_model._bind(task, self._ctx)  # pylint: disable=protected-access
        self._db = ms_bridge._ms().database.MemoryDatabase()  # pylint: disable=protected-access
        self._workload = self._db.commit_workload(self._ctx.mod)
        self._spaces = None
        self._per_round = None
        self._seeds = []  # schedules to measure before searching (see add_seed_states)
        self._run_init_callbacks()

    @property
    def postprocs(self):
        """The task's MetaSchedule postprocessors (every measured schedule passed them)."""
        return list(self._ctx.space_generator.postprocs)

    def add_seed_states(self, schedules):
        """Schedules to measure before the search's own candidates, e.g. states of similar
        workloads (:mod:`.record_transfer`). Measured, they seed the evolutionary search
        as every measured state does."""
        self._seeds.extend(schedules)

    @property
    def design_spaces(self):
        """The sketches: one schedule per combination of rule choices."""
        if self._spaces is None:
            self._spaces = list(self._ctx.generate_design_space())
        return self._spaces

    def generate_sketches(self, print_for_debug=False):
        """The sketches as 0.8 loop states (:class:`~.loop_state.State`), in 0.8's order.

        The sketches are the design spaces of the base's MetaSchedule rules
        (:attr:`design_spaces`); 0.8 listed the rfactor sketches first, then
        plain multi-level tiling, then tiling with a cache write, so they are
        sorted that way (stably).
        """
        dag = self.search_task.compute_dag
        states = [dag.infer_bound_from_state(space.trace) for space in self.design_spaces]

        def rank(state):
            names = [stage.block for stage in state.stages if stage.block is not None]
            if any(name.endswith("_rf") for name in names):
                return 0
            writes_cache = any(
                _written_buffer(state, name) in names and _written_buffer(state, name) != name
                for name in names
            )
            return 2 if writes_cache else 1

        states.sort(key=rank)
        if print_for_debug:
            for i, state in enumerate(states):
                print("=" * 20 + " %d " % i + "=" * 20)
                print(state)
        return states

    def sample_initial_population(self):
        """Randomly annotated sketches: a fresh sample of every sketch."""
        return [space.trace for space in self._ctx.generate_design_space()]

    def _commit(self, mod_trace, res, args_info):
        ms = ms_bridge._ms()  # pylint: disable=protected-access
        if res.error_no != MeasureErrorNo.NO_ERROR:
            return
        self._db.commit_tuning_record(ms.database.TuningRecord(
            mod_trace, self._workload, [float(c) for c in res.costs], ms_bridge.search_target(self.search_task),
            args_info))

    def preload(self, inputs, results):
        super().preload(inputs, results)
        good_in, good_res = [], []
        for inp, res in zip(inputs, results):
            trace = state_to_trace(inp.state)
            if isinstance(trace, str):
                try:
                    sch, _ = self.search_task.compute_dag.apply_steps_from_state(trace)
                except Exception:  # pylint: disable=broad-except
                    continue
                trace = sch.trace
            self._commit(trace, res, ms_bridge._ms().arg_info.ArgInfo.from_prim_func(  # pylint: disable=W0212
                self._ctx.mod["main"]))
            good_in.append(inp)
            good_res.append(res)
        if good_in:
            self.cost_model.update(good_in, good_res)
        if inputs:
            logger.info("preloaded %d measured states of %s", len(inputs), self.search_task.workload_key)

    def _start(self, num_measure):
        # A smaller request (the last round of a budget) reuses the running search
        # and measures only the best part of its candidates: restarting the
        # evolutionary search would forget which programs it already proposed.
        if self._per_round is not None and num_measure <= self._per_round:
            return
        if self._per_round is not None:
            self._ctx.post_tuning()
        self._ctx.pre_tuning(max_trials=1 << 30, num_trials_per_iter=num_measure, design_spaces=self.design_spaces,
                             database=self._db, cost_model=self.cost_model.engine)
        self._per_round = num_measure

    def _generate(self, num_measure):
        self._start(num_measure)
        cands = self._ctx.search_strategy.generate_measure_candidates()
        return list(cands or [])

    def continue_search_one_round(self, num_measure, measurer):
        """Measure up to ``num_measure`` new candidates (seed states first), learn from them."""
        while self._seeds:
            batch, self._seeds = self._seeds[:num_measure], self._seeds[num_measure:]
            fresh, seen = [], set()
            for sch in batch:
                key = tvm.ir.structural_hash(sch.mod)
                if key not in self.measured and key not in seen:
                    seen.add(key)
                    fresh.append((sch, ms_bridge._ms().arg_info.ArgInfo.from_prim_func(  # pylint: disable=W0212
                        sch.mod["main"])))
            if fresh:
                return self._measure_schedules(fresh, measurer)
        tries = 1 + int(self.params["retry_search_one_round_on_empty"])
        for _ in range(tries):
            cands = self._generate(num_measure)
            fresh, fresh_idx, seen = [], [], set()
            for i, cand in enumerate(cands):
                key = tvm.ir.structural_hash(cand.sch.mod)
                if key in self.measured or key in seen:
                    continue
                seen.add(key)
                if len(fresh) < num_measure:
                    fresh.append(cand)
                    fresh_idx.append(i)
            inputs, results = self._measure_schedules([(c.sch, c.args_info) for c in fresh], measurer)
            by_index = dict(zip(fresh_idx, results))
            ms = ms_bridge._ms()  # pylint: disable=protected-access
            runner_results = []
            for i, cand in enumerate(cands):
                if i in by_index:
                    runner_results.append(ms_bridge.runner_result(by_index[i]))
                else:
                    cost = self.measured.get(tvm.ir.structural_hash(cand.sch.mod))
                    runner_results.append(ms.runner.RunnerResult([cost] if cost else None, None if cost else "dup"))
            self._ctx.search_strategy.notify_runner_results(cands, runner_results)
            if inputs:
                return inputs, results
        return [], []

    def _measure_schedules(self, schedules, measurer):
        """Measure ``[(Schedule, args_info)]``; note, commit and learn from the results."""
        inputs = []
        for sch, _ in schedules:
            inp = MeasureInput(self.search_task, sch.trace)
            inp._mod = sch.mod  # pylint: disable=protected-access
            inputs.append(inp)
        results = measurer.measure(self.search_task, self, inputs) if inputs else []
        for inp, (sch, args_info), res in zip(inputs, schedules, results):
            self._note(inp.scheduled_mod(), inp, res)
            self._commit(sch.trace, res, args_info)
        if inputs:
            self.cost_model.update(inputs, results)
        return inputs, results

    def _best_predicted(self):
        if self.best_state is not None:
            return self.best_state
        cands = self._generate(1)
        return cands[0].sch.trace if cands else None


def _written_buffer(state, block_name):
    """Name of the buffer a block of a state writes."""
    block = state.schedule.get(state.schedule.get_sblock(block_name))
    region = block.writes[0]
    buf = getattr(region, "buffer", None)
    return str((buf if buf is not None else region.source).name)
