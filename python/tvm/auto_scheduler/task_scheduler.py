"""The task scheduler: share a trial budget among the tasks of a network.

The gradient strategy of the Ansor paper (section 6), written here from its
description: the next round goes to the task whose expected decrease of the
objective (by default the weighted sum of the tasks' best latencies) per
round is largest, estimated from the chain rule, a backward window of the
task's own history (``alpha``, ``backward_window_size``) and an optimistic
forward guess. A small epsilon-greedy share of rounds goes to random tasks.
The fork's own code (upstream's was C++ for the policies and Python here).
"""
import logging
import math
import os
import sys
import time

import numpy as np

from tvm.contrib.target_check import check_target, record_target

from .compute_dag import state_to_json
from .measure import MeasureErrorNo, MeasureInput, ProgramMeasurer, RPCRunner
from .measure_record import RecordToFile, read_raw_records
from .record_transfer import SeedFromSimilarWorkloads, copy_identical_records
from .search_policy import PreloadMeasuredStates, SketchPolicy
from .task_description import describe_tasks, is_winograd
from .task_scheduler_callbacks import (  # noqa: F401  (upstream's paths)
    LogEstimatedLatency,
    PrintTableInfo,
    TaskSchedulerCallback,
    format_task_table,
    latency_text,
)
from .utils import target_to_str


logger = logging.getLogger("auto_scheduler")

#: ``num_measure_trials`` from which a tuning run counts as limited only by its time budget.
UNLIMITED_TRIALS = 1 << 30


def make_search_policies(search_policy, search_policy_params, tasks, num_measures_per_round, verbose,
                         load_model_file=None, load_log_file=None, adaptive_training=False, seed_logs=()):
    """One search policy per task, sharing one cost model.

    ``search_policy`` is ``"sketch.xgb"``, ``"sketch.random"``, a policy object
    or a list of policies (one per task). The policies made here start from
    the measured states of ``load_log_file`` and of ``seed_logs`` (identical
    workloads) and from states of similar workloads in ``seed_logs``.
    """
    from .cost_model import RandomModel, XGBModel  # pylint: disable=import-outside-toplevel

    del num_measures_per_round
    if isinstance(search_policy, (list, tuple)):
        if len(search_policy) != len(tasks):
            raise ValueError("one search policy per task is needed: %d for %d tasks"
                             % (len(search_policy), len(tasks)))
        return list(search_policy)
    if not isinstance(search_policy, str):
        return [search_policy] * len(tasks)
    policy_type, _, model_type = search_policy.partition(".")
    if policy_type != "sketch":
        raise ValueError("unknown search policy %r (use 'sketch.xgb' or 'sketch.random')" % search_policy)
    if model_type == "xgb":
        cost_model = XGBModel(adaptive_training=adaptive_training)
        if load_model_file and os.path.isfile(load_model_file):
            logger.info("TaskScheduler: load pretrained model %s", load_model_file)
            cost_model.load(load_model_file)
    elif model_type == "random":
        cost_model = RandomModel()
    else:
        raise ValueError("unknown cost model %r in %r (use xgb or random)" % (model_type, search_policy))
    logs = [load_log_file] if load_log_file and os.path.isfile(load_log_file) else []
    callbacks = [PreloadSearchedStates(log) for log in logs + list(seed_logs)]
    if seed_logs:
        callbacks.append(SeedFromSimilarWorkloads(seed_logs))
    return [SketchPolicy(task, cost_model, params=search_policy_params, verbose=verbose,
                         init_search_callbacks=callbacks) for task in tasks]


def _baseline_json(task):
    """The JSON text of a task's baseline state (as in records), or None."""
    baseline = getattr(task, "baseline_state", None)
    return None if baseline is None else state_to_json(baseline)


class PreloadSearchedStates(PreloadMeasuredStates):
    """:class:`PreloadMeasuredStates` without the task's baseline state.

    The evolutionary search starts only from traces of its own sketches, not
    from a hand-written (TOPI) schedule, so a logged baseline does not seed it;
    the task scheduler counts the baseline's cost in the task's best cost.
    """

    def callback(self, policy):
        task = policy.search_task
        baseline = _baseline_json(task)
        inputs, results = [], []
        for inp, res in zip(*self.matching_records(task)):
            if state_to_json(inp.state) != baseline:
                inputs.append(inp)
                results.append(res)
        policy.preload(inputs, results)


def derive_similarity_tag(dag, log_base=1.618):
    """Tag of tasks that are likely similar (same ops, similar FLOPs)."""
    names = sorted({op.tag for op in dag.ops if getattr(op, "tag", "")})
    if not names or dag.flop_ct <= 0:
        return ""
    return "_".join(names) + "_" + str(int(math.log(dag.flop_ct + 1) / math.log(log_base)))


class TaskScheduler:
    """Allocate tuning rounds across tasks.

    Parameters
    ----------
    tasks : List[SearchTask]
    task_weights : Optional[List[float]]
        How many times each task runs in the network (default 1).
    objective_func : Optional[Callable[[List[float]], float]]
        From the tasks' best latencies to the objective (default: weighted
        sum, counting only the fastest of the variants of a function, see
        ``SearchTask.variant_group``).
    strategy : str = "gradient"
        "gradient" or "round-robin".
    load_model_file : Optional[str]
        A saved cost model to start from.
    load_log_file : Optional[str]
        Resume: measured states of this log train the model, seed the search
        and are never measured again; the tasks' best costs start from it
        (logged baseline states included; they do not seed the search).
    alpha, beta, gamma, backward_window_size
        Parameters of the gradient strategy (upstream defaults).
    callbacks : Optional[List[TaskSchedulerCallback]]
        Default ``[PrintTableInfo(), LogEstimatedLatency("total_latency.tsv")]``.

    Display (``tune_option.verbose``, as upstream): 0 prints nothing; 1 (the
    default) shows a progress bar over the trials (elapsed time, estimated
    total latency, the untuned total) and ``PrintTableInfo`` prints the task
    table once when the search starts (baselines measured) and once at the
    end; 2 also prints the table before every round and lets the measurer
    and the search policies print their own progress.
    measure_baselines : bool = True
        Fork addition. Before the first search round, measure once the
        ``baseline_state`` of every task that has one (its TOPI schedule, set
        by :func:`extract_tasks`; tasks whose ``baseline_state`` is None are
        skipped), with the same builder, runner and measure callbacks as the
        searched candidates: a ``RecordToFile`` callback logs the baseline as
        an ordinary record, so ``ApplyHistoryBest`` picks the TOPI schedule
        for a task whose search has not beaten it. A baseline is not measured
        again when a record of it (same workload key, same target, same
        state) is already in ``load_log_file`` or in the file of a
        ``RecordToFile`` measure callback; its logged cost is used instead.
        The baseline's cost is the task's first best cost (``best_costs``,
        ``baseline_costs``), which the gradient strategy sees.

        Baseline measurements count towards ``num_measure_trials``: they are
        measured first, one per task in task order while the budget lasts, and
        count in ``ct`` and in the task's ``task_trials`` (the "Trials" column
        of the table); the search gets the rest of the budget.
    seed_logs : Optional[List[str]]
        Fork addition: logs of other tuning runs (another model, batch size or
        input size; see :mod:`.record_transfer`). Records of a workload
        identical to a task's, measured on the task's target, count as the
        task's own: not measured again, they train the cost model, seed the
        search and give the task its first best cost; the best of them is
        copied into the run's log (the file of each ``RecordToFile`` measure
        callback), so that the log alone builds the tuned model. Tasks without
        such records start from the best states of similar workloads (same
        computation, other shapes), measured in their first round.
    max_rounds_behind_baseline : Optional[int] = 3
        Fork addition: a task whose searched best is still slower than its
        baseline (TOPI) schedule after this many search rounds gets no more
        rounds: it keeps the baseline, and its trials go to tasks the search
        improves. None searches every task until the budget ends.
    search_winograd : bool = False
        Fork addition: search the tasks that compute a convolution by Winograd
        (extracted in NHWC, or NCHW converted by the automatic layout choice).
        By default they keep their TOPI schedule (measured as a baseline): a
        round of their search (seven stages) costs 3-4 times a direct
        convolution's, and measured here it rarely beat the TOPI schedule.

    Attributes
    ----------
    best_costs : numpy.ndarray
        The best mean cost (seconds) of each task so far, 1e10 when unknown.
    task_descriptions : List[str]
        A short unique text per task (op, shapes, epilogue; see
        :mod:`tvm.auto_scheduler.task_description`).
    history : List[Tuple[int, float, float]]
        ``(trials, elapsed seconds, estimated total latency in seconds)`` after
        the baselines and after every round (the tuning curve; latency 1e10
        while some task has no measured cost).
    baseline_costs : List[Optional[float]]
        The cost of each task's baseline state, measured or logged (None when
        the task has none, it was not measured or its measurement failed).
    search_best_costs : numpy.ndarray
        The best cost of each task's searched states (1e10 when none).
    finished : Dict[int, str]
        Tasks that get no more search rounds, and why.
    stop_reason : Optional[str]
        Why the last :meth:`tune` stopped before its trials were spent (the
        time budget, early stopping), or None.
    """

    def __init__(self, tasks, task_weights=None, objective_func=None, strategy="gradient",
                 load_model_file=None, load_log_file=None, alpha=0.2, beta=2, gamma=0.5,
                 backward_window_size=3, callbacks=None, measure_baselines=True, seed_logs=None,
                 max_rounds_behind_baseline=3, search_winograd=False):
        if not tasks:
            raise ValueError("TaskScheduler needs at least one task")
        if strategy not in ("gradient", "round-robin"):
            raise ValueError("TaskScheduler: unknown strategy %r (gradient or round-robin)" % (strategy,))
        self.tasks = list(tasks)
        if task_weights is None:
            task_weights = [1] * len(self.tasks)
        if len(task_weights) != len(self.tasks):
            raise ValueError("TaskScheduler: %d weights for %d tasks" % (len(task_weights), len(self.tasks)))
        self.task_weights = [float(w) for w in task_weights]
        self.objective_func = objective_func or self._network_latency
        self.strategy = strategy
        self.load_model_file = load_model_file
        self.load_log_file = load_log_file
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.backward_window_size = backward_window_size
        self.eps_random = 0.05
        self.measure_baselines = bool(measure_baselines)
        self.seed_logs = [str(f) for f in (seed_logs or [])]
        missing = [f for f in self.seed_logs if not os.path.isfile(f)]
        if missing:
            raise FileNotFoundError("TaskScheduler: seed log %s does not exist" % ", ".join(missing))
        self.max_rounds_behind_baseline = max_rounds_behind_baseline
        self.search_winograd = bool(search_winograd)
        if callbacks is None:
            callbacks = [PrintTableInfo(), LogEstimatedLatency("total_latency.tsv")]
        self.callbacks = list(callbacks)
        n = len(self.tasks)
        self.best_costs = 1e10 * np.ones(n)
        self.baseline_costs = [None] * n
        self.baseline_errors = {}  # task index -> MeasureErrorNo of a failed baseline measurement
        self.cur_score = self._compute_score(self.best_costs)
        self.task_cts = [0] * n
        self.task_trials = [0] * n
        self.task_best_cts = [0] * n
        self.task_costs_history = [[] for _ in range(n)]
        self.flop_cts = [t.compute_dag.flop_ct for t in self.tasks]
        self.dead_tasks = set()
        self.finished = {}
        self.stop_reason = None
        self.time_budget = None
        self._round_seconds = []
        self.search_best_costs = 1e10 * np.ones(n)
        self.rounds_behind_baseline = [0] * n
        self.ct = 0
        self.best_ct = 0
        self.best_score = self.cur_score
        self.tic = time.time()
        self.num_measures_per_round = None
        self.search_policies = None
        self.measurer = None
        tags = [derive_similarity_tag(t.compute_dag) for t in self.tasks]
        self.tag_to_group = {}
        for i, tag in enumerate(tags):
            if tag:
                self.tag_to_group.setdefault(tag, []).append(i)
        self.task_tags = tags
        self._rng = np.random.RandomState(0)
        try:
            self.task_descriptions = describe_tasks(self.tasks)
        except Exception:  # pylint: disable=broad-except
            self.task_descriptions = [t.desc or t.workload_key for t in self.tasks]
        self.history = []
        self.verbose = 1
        self._progress = None

    def _network_latency(self, costs):
        """Weighted sum of the tasks' costs; of variants of the same functions
        (``SearchTask.variant_group``) only the fastest counts."""
        total, best_variant = 0.0, {}
        for task, cost, weight in zip(self.tasks, costs, self.task_weights):
            group = getattr(task, "variant_group", None)
            if group is None:
                total += cost * weight
            elif group not in best_variant or cost * weight < best_variant[group]:
                best_variant[group] = cost * weight
        return total + sum(best_variant.values())

    def _compute_score(self, costs):
        return float(self.objective_func(list(costs)))

    def tune(self, tune_option, search_policy="sketch.xgb", search_policy_params=None, adaptive_training=False,
             per_task_early_stopping=None):
        """Tune the tasks with ``tune_option.num_measure_trials`` measurements in total.

        The total includes the baseline states measured first (see
        ``measure_baselines``).

        Parameters
        ----------
        tune_option : TuningOptions
        search_policy : Union[str, SearchPolicy, List[SearchPolicy]] = "sketch.xgb"
        search_policy_params : Optional[Dict]
        adaptive_training : bool
        per_task_early_stopping : Optional[int]
            A task stops after this many measurements without improvement.
        """
        self.tune_option = tune_option
        self.verbose = tune_option.verbose
        # at the default verbosity the progress bar replaces the measurer's and the
        # policies' own printing; verbose >= 2 lets them print
        inner_verbose = tune_option.verbose if tune_option.verbose >= 2 else 0
        self.early_stopping_all = (1 << 30) if tune_option.early_stopping is None or tune_option.early_stopping < 0 \
            else tune_option.early_stopping
        self.early_stopping_task = (1 << 30) if per_task_early_stopping is None else per_task_early_stopping
        # a bad target is one clear error before anything is measured or logged
        for task in self.tasks:
            check_target(task.target, local_device=not isinstance(tune_option.runner, RPCRunner))
        logged = self._logged_baselines(tune_option)
        baselines_todo = [i for i, task in enumerate(self.tasks)
                          if self.measure_baselines and _baseline_json(task) is not None and i not in logged]
        baselines_todo = baselines_todo[:max(0, tune_option.num_measure_trials)]
        search_trials = tune_option.num_measure_trials - len(baselines_todo)
        self._finish_unsearched_tasks()
        num_searched = max(1, len(self.tasks) - len(self.dead_tasks))
        self.num_measures_per_round = min(tune_option.num_measures_per_round,
                                          max(1, search_trials // num_searched))
        self.measurer = ProgramMeasurer(tune_option.builder, tune_option.runner, tune_option.measure_callbacks,
                                        inner_verbose)
        self.search_policies = make_search_policies(
            search_policy, search_policy_params, self.tasks, self.num_measures_per_round, inner_verbose,
            self.load_model_file, self.load_log_file, adaptive_training, self.seed_logs)
        for i, policy in enumerate(self.search_policies):
            if getattr(policy, "best_cost", None) is not None:
                self.best_costs[i] = policy.best_cost
                self.search_best_costs[i] = policy.best_cost
        if self.seed_logs:
            copy_identical_records(self.tasks, self.seed_logs, tune_option.measure_callbacks)
        for i, res in logged.items():
            self._note_baseline(i, res)
        self.cur_score = self._compute_score(self.best_costs)
        self.best_score = self.cur_score
        self.tic = time.time()
        self.history = []
        self.stop_reason = None
        self.time_budget = tune_option.time_budget
        if tune_option.num_measure_trials <= 0:
            return
        self._open_progress(tune_option.num_measure_trials if tune_option.num_measure_trials < UNLIMITED_TRIALS
                            else None)
        try:
            self._measure_baselines(baselines_todo, len(logged))
            self._record_progress()
            for callback in self.callbacks:
                getattr(callback, "on_start", lambda sched: None)(self)
            self._search(tune_option)
        finally:
            self._close_progress()
        for callback in self.callbacks:
            getattr(callback, "on_end", lambda sched: None)(self)

    def _search(self, tune_option):
        # warm up: one round per task
        for idx in range(len(self.tasks)):
            if self.ct >= tune_option.num_measure_trials or self._out_of_time():
                break
            if idx not in self.dead_tasks:
                self._tune_task(idx)
        self.best_ct = self.ct
        while self.ct < tune_option.num_measure_trials and len(self.dead_tasks) < len(self.tasks) \
                and not self._out_of_time():
            idx = self._pick_task()
            self._tune_task(idx)
            self._adjust_similarity_group(idx)
            if self.cur_score < self.best_score:
                self.best_score = self.cur_score
                self.best_ct = self.ct
            elif self.ct - self.best_ct >= self.early_stopping_all and len(self.dead_tasks) < len(self.tasks):
                self.stop_reason = "no improvement in the last %d trials (early_stopping)" % self.early_stopping_all
                logger.info("Stop early since no performance improvement in the last %d measurement trials.",
                            self.early_stopping_all)
                break

    def _out_of_time(self):
        """Whether the next round would end after the time budget (judged by the rounds so far)."""
        if self.time_budget is None:
            return False
        expected_round = float(np.median(self._round_seconds)) if self._round_seconds else 0.0
        if time.time() - self.tic + expected_round < self.time_budget:
            return False
        if self.stop_reason is None:
            self.stop_reason = "the time budget of %.0f s is spent" % self.time_budget
            logger.info("TaskScheduler: the time budget of %.0f s is spent after %d trials", self.time_budget, self.ct)
        return True

    def _finish(self, idx, reason):
        """Give task ``idx`` no more search rounds."""
        self.dead_tasks.add(idx)
        self.finished.setdefault(idx, reason)
        logger.info("TaskScheduler: task %d (%s) is finished: %s", idx, self.task_descriptions[idx], reason)

    def _finish_unsearched_tasks(self):
        """Winograd tasks keep their TOPI schedule unless ``search_winograd``."""
        if self.search_winograd:
            return
        for idx, task in enumerate(self.tasks):
            if _baseline_json(task) is not None and is_winograd(task):
                self._finish(idx, "Winograd: keeps its TOPI schedule (search_winograd=False)")

    # ---- display -----------------------------------------------------------------

    def baseline_score(self):
        """The objective over the tasks' baseline costs (seconds), 1e10 if one is unknown."""
        if any(cost is None for cost in self.baseline_costs):
            return 1e10
        return self._compute_score(self.baseline_costs)

    def write(self, text):
        """Print ``text`` above the progress bar (or plainly when there is none)."""
        if self._progress is not None:
            self._progress.write(text, file=sys.stdout)
            sys.stdout.flush()
        else:
            print(text, flush=True)

    def _open_progress(self, total):
        self._progress = None
        if self.verbose < 1:
            return
        try:
            from tqdm import tqdm  # pylint: disable=import-outside-toplevel
        except ImportError:
            return
        desc = "tuning" if self.time_budget is None else "tuning (%.0f min budget)" % (self.time_budget / 60)
        if total is None:  # no trial limit: the count, the elapsed time and the rate
            bar_format = "{desc}: {n_fmt} trials [{elapsed}, {rate_fmt}]{postfix}"
        else:
            bar_format = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} trials [{elapsed}<{remaining}]{postfix}"
        self._progress = tqdm(total=total, unit="trial", desc=desc, dynamic_ncols=True, mininterval=1.0,
                              leave=True, file=sys.stderr, bar_format=bar_format)

    def _close_progress(self):
        if self._progress is not None:
            self._update_progress()
            self._progress.close()
            self._progress = None

    def _update_progress(self):
        bar = self._progress
        if bar is None:
            return
        bar.update(max(0, self.ct - bar.n))
        current, untuned = self.cur_score, self.baseline_score()
        text = "est. %s ms" % latency_text(current)
        if untuned < 1e9:
            text += " (untuned %s ms" % latency_text(untuned)
            if current < 1e9 and current > 0:
                text += ", %.2fx" % (untuned / current)
            text += ")"
        bar.set_postfix_str(text, refresh=False)
        bar.refresh()

    def _record_progress(self):
        self.history.append((self.ct, time.time() - self.tic, float(self.cur_score)))
        self._update_progress()

    def _logged_baselines(self, tune_option):
        """``{task index: MeasureResult}`` of the baselines already in the logs.

        The logs are ``load_log_file``, the ``seed_logs`` and, when baselines
        are to be measured, the files of the ``RecordToFile`` measure
        callbacks. A record counts
        when its workload key, target and state are the task's and its
        baseline's; of several, the best valid one is kept.
        """
        wanted = {}
        for i, task in enumerate(self.tasks):
            baseline = _baseline_json(task)
            if baseline is not None:
                wanted.setdefault((task.workload_key, target_to_str(task.target), baseline), []).append(i)
        files = ([self.load_log_file] if self.load_log_file else []) + self.seed_logs
        if self.measure_baselines:
            files += [cb.filename for cb in tune_option.measure_callbacks if isinstance(cb, RecordToFile)]
        paths = {os.path.abspath(str(f)) for f in files if os.path.isfile(str(f))}
        def rank(res):  # valid results first, then the fastest
            return res.error_no != MeasureErrorNo.NO_ERROR, res.mean_cost()

        found = {}
        for path in sorted(paths) if wanted else []:
            for _, workload_key, target_text, state_json, res in read_raw_records(path):
                key = (workload_key, target_to_str(record_target(target_text)), state_json)
                for i in wanted.get(key, ()):
                    if i not in found or rank(res) < rank(found[i]):
                        found[i] = res
        return found

    def _note_baseline(self, idx, res):
        """Count a baseline's result in the task's best cost."""
        if res.error_no != MeasureErrorNo.NO_ERROR:
            self.baseline_errors[idx] = res.error_no
            logger.warning("TaskScheduler: the baseline state of task %d (%s) failed: error %d %s", idx,
                           self.tasks[idx].desc or self.tasks[idx].workload_key, res.error_no, res.error_msg or "")
            return
        cost = res.mean_cost()
        self.baseline_costs[idx] = cost
        self.best_costs[idx] = min(self.best_costs[idx], cost)

    def _measure_baselines(self, todo, num_logged):
        """Measure the baseline states of the tasks ``todo``, one trial each.

        They are measured in batches of ``num_measures_per_round``, so that
        the builder compiles them in parallel.
        """
        start = time.time()
        batch_size = max(1, self.tune_option.num_measures_per_round)
        for first in range(0, len(todo), batch_size):
            batch = todo[first:first + batch_size]
            inputs = [MeasureInput(self.tasks[idx], self.tasks[idx].baseline_state) for idx in batch]
            results = self.measurer.measure(self.tasks[batch[0]], None, inputs)
            for idx, res in zip(batch, results):
                self._note_baseline(idx, res)
                self.task_trials[idx] += 1
                self.ct += 1
            self.cur_score = self._compute_score(self.best_costs)
            self._update_progress()
        self.cur_score = self._compute_score(self.best_costs)
        self.best_score = self.cur_score
        num_baselines = sum(1 for task in self.tasks if _baseline_json(task) is not None)
        text = "TaskScheduler: measured %d of the %d baseline states in %.0f s (%d already in the log)" % (
            len(todo), num_baselines, time.time() - start, num_logged)
        logger.info(text)
        if self.verbose >= 1:
            self.write(text)

    def _pick_task(self):
        alive = [i for i in range(len(self.tasks)) if i not in self.dead_tasks]
        if self.strategy == "round-robin":
            return min(alive, key=lambda i: (self.task_cts[i], i))
        if self._rng.random_sample() < self.eps_random:
            return int(self._rng.choice(alive))
        gradients = []
        for i in alive:
            delta = 1e-4
            new_costs = list(self.best_costs)
            new_costs[i] -= delta
            chain_grad = (self._compute_score(self.best_costs) - self._compute_score(new_costs)) / delta
            hist = self.task_costs_history[i]
            if len(hist) > self.backward_window_size:
                backward_grad = (hist[-1] - hist[-1 - self.backward_window_size]) / self.backward_window_size
            else:
                backward_grad = 0.0
            g_next_1 = self.best_costs[i] - self.best_costs[i] / max(self.task_cts[i], 1)
            g_next_2 = self.beta * 1e30
            group = self.tag_to_group.get(self.task_tags[i])
            if group and len(group) > 1:
                best_flops = max(self.flop_cts[j] / self.best_costs[j] for j in group)
                g_next_2 = self.beta * self.flop_cts[i] / best_flops
            forward_grad = min(g_next_1, g_next_2) - self.best_costs[i]
            gradients.append(chain_grad * (self.alpha * backward_grad + (1 - self.alpha) * forward_grad))
        if max(gradients) == min(gradients):
            return int(self._rng.choice(alive))
        return alive[int(np.argmin(gradients))]

    def _adjust_similarity_group(self, idx):
        """Drop a task from its similarity group when it lags far behind it."""
        group = self.tag_to_group.get(self.task_tags[idx])
        if not group or len(group) <= 1:
            return
        group_best = max(self.flop_cts[j] / self.best_costs[j] for j in group)
        cur = self.flop_cts[idx] / self.best_costs[idx]
        if cur < group_best / self.beta and self.task_cts[idx] > 5 + max(self.task_cts[j] for j in group if j != idx):
            group.remove(idx)
            self.task_tags[idx] = ""

    def _tune_task(self, idx):
        for callback in self.callbacks:
            callback.pre_tune(self, idx)
        policy = self.search_policies[idx]
        start = time.time()
        # the last round is cut to the trials left, so a run measures exactly num_measure_trials
        # (a round may measure fewer when the search finds fewer new candidates)
        round_size = max(1, min(self.num_measures_per_round, self.tune_option.num_measure_trials - self.ct))
        inputs, results = policy.continue_search_one_round(round_size, self.measurer)
        self._round_seconds.append(time.time() - start)
        self.task_cts[idx] += 1
        for res in results:
            if res.error_no == 0:
                cost = res.mean_cost()
                self.search_best_costs[idx] = min(self.search_best_costs[idx], cost)
                if cost < self.best_costs[idx]:
                    self.task_best_cts[idx] = self.task_cts[idx]
                    self.best_costs[idx] = cost
        baseline = self.baseline_costs[idx]
        if baseline is not None and self.search_best_costs[idx] >= baseline:
            self.rounds_behind_baseline[idx] += 1
        if not inputs:
            self._finish(idx, "the search has no new candidate")
        elif self.max_rounds_behind_baseline is not None and \
                self.rounds_behind_baseline[idx] >= self.max_rounds_behind_baseline:
            self._finish(idx, "keeps its TOPI schedule: after %d rounds the searched best (%s ms) is slower "
                         "than it (%s ms)" % (self.rounds_behind_baseline[idx],
                                              latency_text(self.search_best_costs[idx]), latency_text(baseline)))
        elif self.task_cts[idx] - self.task_best_cts[idx] > max(1, self.early_stopping_task //
                                                                max(1, self.num_measures_per_round)):
            self._finish(idx, "no improvement in %d trials (per_task_early_stopping)" % self.early_stopping_task)
        self.task_costs_history[idx].append(self.best_costs[idx])
        self.task_trials[idx] += len(inputs)
        self.ct += len(inputs)
        self.cur_score = self._compute_score(self.best_costs)
        self._record_progress()
        for callback in self.callbacks:
            callback.post_tune(self, idx)


__all__ = ["TaskScheduler", "TaskSchedulerCallback", "PrintTableInfo", "LogEstimatedLatency", "format_task_table"]
