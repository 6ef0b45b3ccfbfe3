"""Reuse of records across workloads: tile adaptation, trace transfer, seed logs."""
import json
import time

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te
from tvm.auto_scheduler.compute_dag import state_to_json
from tvm.auto_scheduler.measure import BuildResult, MeasureInput, MeasureResult, ProgramBuilder, ProgramRunner
from tvm.auto_scheduler.record_transfer import adapt_tile, shape_distance, transfer_state
from tvm.auto_scheduler.search_policy import SketchPolicy
from tvm.auto_scheduler.task_scheduler import TaskSchedulerCallback

TARGET = "llvm -num-cores=2"


def _matmul_task(n, m, k):
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="r")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    return auto_scheduler.SearchTask(compute_dag=auto_scheduler.ComputeDAG([A, B, C]), target=TARGET)


def _sampled_states(task, count, seed=7):
    """Randomly annotated sketches of the task, as logged state JSON."""
    policy = SketchPolicy(task, auto_scheduler.RandomModel(), seed=seed, verbose=0)
    states = []
    while len(states) < count:
        states += [state_to_json(trace) for trace in policy.sample_initial_population()]
    return states[:count], policy


@pytest.mark.parametrize("factors, extent, expected", [
    ([7, 1, 4, 16], 448, [7, 1, 4, 16]),     # same extent: unchanged
    ([7, 1, 4, 16], 224, [7, 1, 2, 16]),     # inner factors kept, the next one shrinks
    ([2, 4, 8], 96, [3, 4, 8]),              # the outermost level takes the rest
    ([1, 16], 24, [3, 8]),                   # 16 does not divide 24: gcd 8
    ([4, 1, 1, 5], 7, [7, 1, 1, 1]),         # a prime extent
])
def test_adapt_tile_keeps_inner_factors_that_divide(factors, extent, expected):
    new = adapt_tile(factors, extent)
    assert new == expected
    assert int(np.prod(new)) == extent


def test_shape_distance_orders_nearest_shapes_first():
    base = _matmul_task(64, 64, 64).workload_key
    near = _matmul_task(64, 128, 64).workload_key
    far = _matmul_task(256, 256, 16).workload_key
    assert shape_distance(base, base) == 0
    assert 0 < shape_distance(base, near) < shape_distance(base, far)
    A = te.placeholder((8,), name="A")
    other = auto_scheduler.ComputeDAG([A, te.compute((8,), lambda i: A[i] * 2, name="B")]).workload_key
    assert shape_distance(base, other) is None  # other tensor count: not comparable


def test_a_trace_of_another_shape_replays_with_adapted_tiles_and_computes_right():
    source = _matmul_task(64, 64, 64)
    target_task = _matmul_task(96, 128, 64)
    states, _ = _sampled_states(source, 6)
    policy = SketchPolicy(target_task, auto_scheduler.RandomModel(), seed=3, verbose=0)
    transferred = [transfer_state(state, target_task.compute_dag.mod, policy.postprocs) for state in states]
    transferred = [sch for sch in transferred if sch is not None]
    assert len(transferred) >= 4, "most sampled matmul traces should apply to another matmul"
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (96, 64)).astype("float32")
    b = rng.uniform(-1, 1, (64, 128)).astype("float32")
    for sch in transferred:
        func = tvm.compile(sch.mod, target="llvm")
        out = tvm.runtime.tensor(np.zeros((96, 128), "float32"))
        func(tvm.runtime.tensor(a), tvm.runtime.tensor(b), out)
        np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-4, atol=1e-4)
        # every tile decision of the replayed trace fits the new loops
        for inst in sch.trace.insts:
            if inst.kind.name == "SamplePerfectTile":
                extent = int(np.prod([int(f) for f in sch.trace.decisions[inst]]))
                assert extent in (96, 128, 64)


def test_a_trace_of_another_computation_does_not_apply():
    states, _ = _sampled_states(_matmul_task(32, 32, 32), 2)
    A = te.placeholder((32, 32), name="A")
    dag = auto_scheduler.ComputeDAG([A, te.compute((32, 32), lambda i, j: A[j, i] + 1, name="T")])
    task = auto_scheduler.SearchTask(compute_dag=dag, target=TARGET)
    policy = SketchPolicy(task, auto_scheduler.RandomModel(), seed=3, verbose=0)
    assert all(transfer_state(state, dag.mod, policy.postprocs) is None for state in states)


class StubBuilder(ProgramBuilder):
    def build(self, measure_inputs, verbose=1):
        return [BuildResult(None, [], 0, None, 0.0) for _ in measure_inputs]


class RecordingRunner(ProgramRunner):
    """Measures each input at 1 ms per task index and remembers what it ran."""

    def __init__(self):
        self.ran = []

    def run(self, measure_inputs, build_results, verbose=1):
        self.ran.extend(measure_inputs)
        return [MeasureResult([1e-3], 0, None, 0.0, time.time()) for _ in measure_inputs]


class FirstRoundCosts(TaskSchedulerCallback):
    def __init__(self):
        self.costs = None

    def pre_tune(self, task_scheduler, task_id):
        if self.costs is None:
            self.costs = list(task_scheduler.best_costs)


def test_seed_logs_preload_identical_workloads_and_seed_similar_ones(tmp_path):
    shared, similar_source = _matmul_task(32, 32, 32), _matmul_task(48, 32, 32)
    (shared_state,), _ = _sampled_states(shared, 1)
    (similar_state,), _ = _sampled_states(similar_source, 1, seed=11)
    seed_log = tmp_path / "model_a.json"
    auto_scheduler.save_records(str(seed_log), [MeasureInput(shared, shared_state),
                                                MeasureInput(similar_source, similar_state)],
                                [MeasureResult([c], 0, None, 0.0, time.time()) for c in (4e-4, 6e-4)])
    new_task = _matmul_task(64, 32, 32)
    tasks = [_matmul_task(32, 32, 32), new_task]
    log = tmp_path / "model_b.json"
    runner, first = RecordingRunner(), FirstRoundCosts()
    sched = auto_scheduler.TaskScheduler(tasks, callbacks=[first], seed_logs=[str(seed_log)])
    opt = auto_scheduler.TuningOptions(num_measure_trials=6, num_measures_per_round=2, verbose=0,
                                       builder=StubBuilder(), runner=runner,
                                       measure_callbacks=[auto_scheduler.RecordToFile(str(log))])
    sched.tune(opt, search_policy="sketch.random",
               search_policy_params={"evolutionary_search_population": 16, "sample_init_min_population": 8})
    # the identical workload starts from its record, which is never measured again
    assert first.costs[0] == pytest.approx(4e-4)
    assert all(state_to_json(inp.state) != shared_state for inp in runner.ran)
    # and its best record is copied into the new log, so that log alone builds model B
    lines = [json.loads(line) for line in open(log, encoding="utf-8")]
    copied = [line for line in lines if line["i"][0][0] == tasks[0].workload_key and line["i"][1] == shared_state]
    assert len(copied) == 1 and copied[0]["r"][0] == [4e-4]
    # the new task measures the state transferred from the similar workload first
    policy = SketchPolicy(new_task, auto_scheduler.RandomModel(), verbose=0)
    expected = transfer_state(similar_state, new_task.compute_dag.mod, policy.postprocs)
    assert expected is not None
    first_of_new = next(inp for inp in runner.ran if inp.task.workload_key == new_task.workload_key)
    assert tvm.ir.structural_equal(first_of_new.scheduled_mod(), expected.mod)


def test_missing_seed_log_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="seed log .*nope.json"):
        auto_scheduler.TaskScheduler([_matmul_task(8, 8, 8)], seed_logs=[str(tmp_path / "nope.json")])
