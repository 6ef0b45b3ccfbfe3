"""Task scheduler allocation logic, with stub policies (no measurement)."""
import time

import pytest

from tvm import auto_scheduler, te
from tvm.auto_scheduler.measure import MeasureResult

TARGET = "llvm -num-cores=2"


def _task(n):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    r = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    return auto_scheduler.SearchTask(compute_dag=auto_scheduler.ComputeDAG([A, B, C]), target=TARGET)


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
