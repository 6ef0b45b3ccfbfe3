"""Task scheduler allocation logic, with stub policies, and the baseline states of tasks."""
import json
import pickle
import time

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te
from tvm.auto_scheduler.compute_dag import state_to_json
from tvm.auto_scheduler.measure import BuildResult, MeasureInput, MeasureResult, ProgramBuilder, ProgramRunner
from tvm.auto_scheduler.task_scheduler import PreloadSearchedStates, TaskSchedulerCallback

TARGET = "llvm -num-cores=2"


def _task(n, baseline_split=None):
    """An n x n matmul task; with ``baseline_split``, its baseline splits loop i by it."""
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    r = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    dag = auto_scheduler.ComputeDAG([A, B, C])
    baseline = None
    if baseline_split is not None:
        sch = tvm.s_tir.Schedule(dag.mod)
        i, _, _ = sch.get_loops(sch.get_sblock("C"))
        sch.split(i, [None, baseline_split])
        baseline = sch.trace
    return auto_scheduler.SearchTask(compute_dag=dag, target=TARGET, baseline_state=baseline)


class StubPolicy:
    """Yields a scripted sequence of costs, one round at a time."""

    def __init__(self, costs):
        self.costs = list(costs)
        self.best_cost = None
        self.rounds = 0

    def continue_search_one_round(self, num_measure, measurer):
        if not self.costs:
            return [], []
        self.rounds += 1
        cost = self.costs.pop(0)
        results = [MeasureResult([cost], 0, None, 0.0, time.time()) for _ in range(num_measure)]
        return [object()] * num_measure, results


def _tune(tasks, policies, trials, weights=None, early_stopping=None, strategy="gradient"):
    sched = auto_scheduler.TaskScheduler(tasks, task_weights=weights, strategy=strategy, callbacks=[])
    opt = auto_scheduler.TuningOptions(num_measure_trials=trials, num_measures_per_round=2,
                                       early_stopping=early_stopping, verbose=0)
    sched.tune(opt, search_policy=policies)
    return sched


def test_gradient_favours_the_heavy_improving_task():
    tasks = [_task(8), _task(16)]
    # task 0 is cheap and flat; task 1 weighs 10x and keeps improving
    flat = StubPolicy([1e-4] * 100)
    improving = StubPolicy([1e-2 / (i + 1) for i in range(100)])
    sched = _tune(tasks, [flat, improving], trials=60, weights=[1, 10])
    assert sched.ct == 60 and sum(sched.task_trials) == 60
    assert sched.task_trials[1] == 2 * improving.rounds
    assert improving.rounds > 3 * flat.rounds
    assert sched.best_costs[1] == pytest.approx(1e-2 / improving.rounds)
    assert sched.cur_score == pytest.approx(sched.best_costs[0] + 10 * sched.best_costs[1])


def test_round_robin_and_dead_tasks():
    tasks = [_task(8), _task(16), _task(24)]
    pols = [StubPolicy([1e-3] * 100), StubPolicy([1e-3]), StubPolicy([1e-3] * 100)]
    sched = _tune(tasks, pols, trials=20, strategy="round-robin")
    assert 1 in sched.dead_tasks  # its search space ran out after one round
    assert abs(pols[0].rounds - pols[2].rounds) <= 1
    assert sched.ct == 20


def test_early_stopping_when_no_task_improves():
    tasks = [_task(8), _task(16)]
    pols = [StubPolicy([1e-3] * 100), StubPolicy([2e-3] * 100)]
    sched = _tune(tasks, pols, trials=200, early_stopping=8)
    assert sched.ct < 30


def test_bad_arguments():
    with pytest.raises(ValueError, match="strategy"):
        auto_scheduler.TaskScheduler([_task(8)], strategy="magic")
    with pytest.raises(ValueError, match="weights"):
        auto_scheduler.TaskScheduler([_task(8)], task_weights=[1, 2])
    with pytest.raises(ValueError, match="search policy"):
        auto_scheduler.TaskScheduler([_task(8)], callbacks=[]).tune(
            auto_scheduler.TuningOptions(num_measure_trials=2, verbose=0), search_policy="grid.xgb")


# --------------------------------------------------------------------------- baseline states


def test_baseline_state_round_trips_through_pickle():
    task = _task(8, baseline_split=4)
    assert "with baseline_state" in repr(task)
    again = pickle.loads(pickle.dumps(task))
    # kept as the trace's JSON text (tvm.ir.save_json, as in measure records)
    assert state_to_json(again.baseline_state) == state_to_json(task.baseline_state)
    replayed, _ = again.compute_dag.apply_steps_from_state(again.baseline_state)
    original, _ = task.compute_dag.apply_steps_from_state(task.baseline_state)
    assert tvm.ir.structural_hash(replayed.mod) == tvm.ir.structural_hash(original.mod)
    assert pickle.loads(pickle.dumps(_task(8))).baseline_state is None
    assert "baseline" not in repr(_task(8))


class StubBuilder(ProgramBuilder):
    def build(self, measure_inputs, verbose=1):
        return [BuildResult(None, [], 0, None, 0.0) for _ in measure_inputs]


class StubRunner(ProgramRunner):
    """Measures each input at ``costs[workload key]`` and remembers what it ran."""

    def __init__(self, costs):
        self.costs = costs
        self.ran = []

    def run(self, measure_inputs, build_results, verbose=1):
        self.ran.extend(measure_inputs)
        return [MeasureResult([self.costs[inp.task.workload_key]], 0, None, 0.0, time.time())
                for inp in measure_inputs]


class FirstRoundCosts(TaskSchedulerCallback):
    """Remembers the tasks' best costs before the first search round."""

    def __init__(self):
        self.costs = None

    def pre_tune(self, task_scheduler, task_id):
        if self.costs is None:
            self.costs = list(task_scheduler.best_costs)


def _tune_with_baselines(tasks, log, trials, costs, measure_baselines=True, load_log_file=None,
                         record=True):
    """Tune with a stub runner; every search round finds only 5 ms programs."""
    runner = StubRunner({t.workload_key: c for t, c in zip(tasks, costs)})
    first = FirstRoundCosts()
    sched = auto_scheduler.TaskScheduler(tasks, callbacks=[first], measure_baselines=measure_baselines,
                                         load_log_file=load_log_file)
    opt = auto_scheduler.TuningOptions(
        num_measure_trials=trials, num_measures_per_round=2, verbose=0, builder=StubBuilder(), runner=runner,
        measure_callbacks=[auto_scheduler.RecordToFile(str(log))] if record else [])
    sched.tune(opt, search_policy=[StubPolicy([5e-3] * 100) for _ in tasks])
    return sched, runner, first


def _log_lines(log):
    return [json.loads(line) for line in open(log, encoding="utf-8")] if log.exists() else []


def test_measure_baselines_logs_one_record_per_task_with_a_baseline(tmp_path):
    tasks = [_task(8, baseline_split=4), _task(16), _task(24, baseline_split=8)]
    log = tmp_path / "log.json"
    sched, runner, first = _tune_with_baselines(tasks, log, trials=8, costs=[1e-3, 1e-3, 2e-3])
    assert [inp.task for inp in runner.ran] == [tasks[0], tasks[2]]
    lines = _log_lines(log)
    assert len(lines) == 2
    for line, task, cost in zip(lines, [tasks[0], tasks[2]], [1e-3, 2e-3]):
        (workload_key, target), state = line["i"]
        assert workload_key == task.workload_key and target == str(task.target)
        assert state == state_to_json(task.baseline_state)
        assert line["r"][0] == [cost] and line["r"][1] == 0
    # the baselines are the best costs before the search, and stay so (the search finds 5 ms)
    assert first.costs == [1e-3, 1e10, 2e-3]
    assert list(sched.best_costs) == [1e-3, 5e-3, 2e-3]
    assert sched.baseline_costs == [1e-3, None, 2e-3]
    # baselines count towards num_measure_trials and in the tasks' trials
    assert sched.ct == 8 and sum(sched.task_trials) == 8
    assert sched.task_trials[0] % 2 == 1 and sched.task_trials[2] % 2 == 1 and sched.task_trials[1] % 2 == 0


def test_a_budget_smaller_than_the_baselines_measures_only_that_many(tmp_path):
    tasks = [_task(8, baseline_split=4), _task(16, baseline_split=4)]
    sched, runner, first = _tune_with_baselines(tasks, tmp_path / "log.json", trials=1, costs=[1e-3, 2e-3])
    assert [inp.task for inp in runner.ran] == [tasks[0]]
    assert sched.ct == 1 and sched.task_trials == [1, 0]
    assert first.costs is None  # no search round
    assert list(sched.best_costs) == [1e-3, 1e10]


@pytest.mark.parametrize("resume", [False, True], ids=["tuning-log", "load_log_file"])
def test_baselines_already_logged_for_the_same_target_are_not_measured_again(tmp_path, resume):
    tasks = [_task(8, baseline_split=4), _task(16, baseline_split=4)]
    log = tmp_path / "log.json"
    other_target = auto_scheduler.SearchTask(compute_dag=tasks[1].compute_dag, target="llvm -num-cores=4")
    auto_scheduler.save_records(
        str(log),
        [MeasureInput(tasks[0], tasks[0].baseline_state), MeasureInput(other_target, tasks[1].baseline_state),
         MeasureInput(tasks[1], tasks[1].compute_dag.init_state)],
        [MeasureResult([c], 0, None, 0.0, time.time()) for c in (7e-4, 1e-4, 9e-3)])
    # 1 baseline measured + rounds of 2: a budget of 7 ends on a whole round
    sched, runner, first = _tune_with_baselines(tasks, log, trials=7, costs=[1e-3, 2e-3],
                                                load_log_file=str(log) if resume else None, record=not resume)
    # task 0's baseline is in the log; task 1's only for another target
    assert [inp.task for inp in runner.ran] == [tasks[1]]
    assert first.costs == [7e-4, 2e-3]
    assert sched.baseline_costs == [7e-4, 2e-3]
    assert sched.task_trials[1] % 2 == 1 and sched.task_trials[0] % 2 == 0
    lines = _log_lines(log)
    assert len(lines) == (3 if resume else 4)
    if not resume:
        assert lines[-1]["i"][1] == state_to_json(tasks[1].baseline_state)


def test_measure_baselines_false_measures_none(tmp_path):
    tasks = [_task(8, baseline_split=4), _task(16, baseline_split=4)]
    log = tmp_path / "log.json"
    sched, runner, first = _tune_with_baselines(tasks, log, trials=4, costs=[1e-3, 2e-3],
                                                measure_baselines=False)
    assert runner.ran == [] and not log.exists()
    assert first.costs == [1e10, 1e10]
    assert list(sched.best_costs) == [5e-3, 5e-3] and sched.baseline_costs == [None, None]
    assert sched.ct == 4 and sched.task_trials == [2, 2]


def test_the_search_is_not_seeded_with_a_logged_baseline(tmp_path):
    task = _task(8, baseline_split=4)
    log = tmp_path / "log.json"
    searched = task.compute_dag.init_state
    auto_scheduler.save_records(
        str(log), [MeasureInput(task, task.baseline_state), MeasureInput(task, searched)],
        [MeasureResult([c], 0, None, 0.0, time.time()) for c in (1e-3, 2e-3)])

    class Policy:  # pylint: disable=too-few-public-methods
        search_task = task
        preloaded = None

        def preload(self, inputs, results):
            self.preloaded = [(state_to_json(inp.state), res.costs) for inp, res in zip(inputs, results)]

    policy = Policy()
    PreloadSearchedStates(str(log)).callback(policy)
    assert policy.preloaded == [(state_to_json(searched), [2e-3])]


def test_measure_baselines_with_the_local_builder_and_runner(tmp_path):
    """The real measurer: each baseline is built, run, logged, and is the task's best cost."""
    tasks = [_task(8, baseline_split=4), _task(16, baseline_split=8)]
    log = tmp_path / "log.json"
    builder = auto_scheduler.LocalBuilder(n_parallel=1)
    runner = auto_scheduler.LocalRunner(number=1, repeat=2, min_repeat_ms=0)
    try:
        sched = auto_scheduler.TaskScheduler(tasks, callbacks=[])
        opt = auto_scheduler.TuningOptions(num_measure_trials=2, verbose=0, builder=builder, runner=runner,
                                           measure_callbacks=[auto_scheduler.RecordToFile(str(log))])
        sched.tune(opt, search_policy=[StubPolicy([]) for _ in tasks])
    finally:
        builder.close()
        runner.close()
    records = list(auto_scheduler.load_records(str(log)))
    assert [inp.task.workload_key for inp, _ in records] == [t.workload_key for t in tasks]
    for (inp, res), task, best in zip(records, tasks, sched.best_costs):
        assert res.error_no == 0, res.error_msg
        assert inp.state == state_to_json(task.baseline_state)
        assert best == pytest.approx(res.mean_cost())
    assert sched.ct == 2 and sched.task_trials == [1, 1]


def test_a_task_whose_search_stays_behind_its_baseline_stops_getting_rounds(tmp_path):
    tasks = [_task(8, baseline_split=4), _task(16, baseline_split=4)]
    runner = StubRunner({tasks[0].workload_key: 1e-3, tasks[1].workload_key: 1e-2})
    # task 0's search finds 5 ms programs, slower than its 1 ms baseline: it gives up after 2
    # rounds; task 1's finds 5 ms against a 10 ms baseline and gets the rest of the budget
    behind, ahead = StubPolicy([5e-3] * 100), StubPolicy([5e-3] * 100)
    sched = auto_scheduler.TaskScheduler(tasks, callbacks=[], max_rounds_behind_baseline=2)
    opt = auto_scheduler.TuningOptions(num_measure_trials=22, num_measures_per_round=2, verbose=0,
                                       builder=StubBuilder(), runner=runner)
    sched.tune(opt, search_policy=[behind, ahead])
    assert behind.rounds == 2 and ahead.rounds == 8
    assert 0 in sched.dead_tasks and "keeps its TOPI schedule" in sched.finished[0]
    assert list(sched.best_costs) == [1e-3, 5e-3]
    assert list(sched.search_best_costs) == [5e-3, 5e-3]
    # None keeps searching every task
    behind, ahead = StubPolicy([5e-3] * 100), StubPolicy([5e-3] * 100)
    sched = auto_scheduler.TaskScheduler(tasks, callbacks=[], max_rounds_behind_baseline=None,
                                         strategy="round-robin")
    sched.tune(opt, search_policy=[behind, ahead])
    assert behind.rounds == ahead.rounds == 5


def test_the_time_budget_stops_starting_rounds():
    tasks = [_task(8), _task(16)]

    class SlowPolicy(StubPolicy):
        def continue_search_one_round(self, num_measure, measurer):
            time.sleep(0.3)
            return super().continue_search_one_round(num_measure, measurer)

    pols = [SlowPolicy([1e-3] * 100), SlowPolicy([1e-3] * 100)]
    sched = auto_scheduler.TaskScheduler(tasks, callbacks=[], strategy="round-robin")
    opt = auto_scheduler.TuningOptions(num_measure_trials=1000, num_measures_per_round=2, verbose=0,
                                       time_budget=1.0)
    start = time.time()
    sched.tune(opt, search_policy=pols)
    assert time.time() - start < 2.0
    assert 2 <= pols[0].rounds + pols[1].rounds <= 5
    assert "time budget" in sched.stop_reason
    with pytest.raises(ValueError, match="time_budget"):
        auto_scheduler.TuningOptions(time_budget=0)


def test_winograd_tasks_keep_their_topi_schedule_unless_asked():
    from tvm import relay  # pylint: disable=import-outside-toplevel
    from tvm.auto_scheduler.task_description import is_winograd  # pylint: disable=import-outside-toplevel

    data = relay.var("data", shape=(1, 14, 14, 32))
    weight = relay.var("weight", shape=(3, 3, 32, 32))
    conv = relay.nn.conv2d(data, weight, padding=(1, 1), channels=32, kernel_size=(3, 3),
                           data_layout="NHWC", kernel_layout="HWIO")
    func = relay.Function([data, weight], relay.nn.relu(conv))
    params = {"weight": tvm.runtime.tensor(np.zeros((3, 3, 32, 32), "float32"))}
    tasks, _ = auto_scheduler.extract_tasks(func, params, TARGET)
    wino = [i for i, task in enumerate(tasks) if is_winograd(task)]
    assert wino and all(tasks[i].baseline_state is not None for i in wino)
    runner = StubRunner({t.workload_key: 1e-3 for t in tasks})
    opt = auto_scheduler.TuningOptions(num_measure_trials=10, num_measures_per_round=2, verbose=0,
                                       builder=StubBuilder(), runner=runner)
    pols = [StubPolicy([5e-4] * 100) for _ in tasks]
    sched = auto_scheduler.TaskScheduler(tasks, callbacks=[])
    sched.tune(opt, search_policy=pols)
    for i in wino:
        assert pols[i].rounds == 0 and "Winograd" in sched.finished[i]
        assert sched.best_costs[i] == 1e-3  # its measured TOPI schedule
    pols = [StubPolicy([5e-4] * 100) for _ in tasks]
    sched = auto_scheduler.TaskScheduler(tasks, callbacks=[], search_winograd=True)
    sched.tune(opt, search_policy=pols)
    assert all(pols[i].rounds > 0 for i in wino)


def test_only_the_fastest_variant_of_a_function_counts_in_the_objective():
    tasks = [_task(8), _task(16), _task(24)]
    tasks[0].variant_group = tasks[1].variant_group = 0  # e.g. Winograd and direct of one conv
    sched = _tune(tasks, [StubPolicy([3e-3] * 10), StubPolicy([1e-3] * 10), StubPolicy([2e-3] * 10)],
                  trials=6, weights=[2, 2, 1])
    assert sched.cur_score == pytest.approx(2 * 1e-3 + 1 * 2e-3)


def test_resuming_trains_the_cost_model_on_the_log(tmp_path):
    """The XGBoost model of a resumed run starts trained on the logged measurements."""
    from tvm.auto_scheduler.search_policy import SketchPolicy  # pylint: disable=import-outside-toplevel
    from tvm.auto_scheduler.task_scheduler import make_search_policies  # pylint: disable=C0415

    task = _task(16)
    sampler = SketchPolicy(task, auto_scheduler.RandomModel(), seed=5, verbose=0)
    traces = []
    while len(traces) < 6:
        traces += sampler.sample_initial_population()
    log = str(tmp_path / "log.json")
    auto_scheduler.save_records(log, [MeasureInput(task, state_to_json(t)) for t in traces[:6]],
                                [MeasureResult([1e-3 * (i + 1)], 0, None, 0.0, time.time()) for i in range(6)])
    (policy,) = make_search_policies("sketch.xgb", {"evolutionary_search_population": 16}, [task], 4, 0,
                                     load_log_file=log)
    distinct = len({tvm.ir.structural_hash(task.compute_dag.apply_steps_from_state(t)[0].mod) for t in traces[:6]})
    assert policy.cost_model.engine.data_size == 6 and len(policy.measured) == distinct
    assert policy.best_cost == pytest.approx(1e-3)


def test_xgb_model_update_from_file(tmp_path):
    """0.8's auto_scheduler tutorials train a fresh XGBModel from a log (tasks read from records,
    on a target without num-cores)."""
    task = auto_scheduler.SearchTask(compute_dag=_task(16).compute_dag, target="llvm")
    sampler = auto_scheduler.SketchPolicy(task, auto_scheduler.RandomModel(), seed=5, verbose=0)
    traces = sampler.sample_initial_population()[:3]
    log = str(tmp_path / "log.json")
    auto_scheduler.save_records(log, [MeasureInput(task, state_to_json(t)) for t in traces],
                                [MeasureResult([1e-3], 0, None, 0.0, time.time()) for _ in traces])
    model = auto_scheduler.XGBModel()
    model.update_from_file(log)
    assert model.engine.data_size == len(traces)
