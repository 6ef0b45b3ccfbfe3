"""End-to-end auto-scheduler search on small matmuls: faults, apply_best, kill and resume.

All tests here tune (build and run real candidates) and are marked slow.
"""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te
from tvm.auto_scheduler.measure import MeasureErrorNo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from test_auto_scheduler_measure import FAULT_COUNTER_ENV, faulty_fcompile  # noqa: E402  pylint: disable=C0413

TARGET = "llvm -num-cores=2"


def search_matmul(n, m, k):
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="k")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    D = te.compute((n, m), lambda i, j: te.max(C[i, j], 0.0), name="D")
    return [A, B, D]


if "search_matmul" not in auto_scheduler.workload_registry.WORKLOAD_FUNC_REGISTRY:
    auto_scheduler.register_workload(search_matmul)

REPLAY_SCRIPT = """
import sys
sys.path.insert(0, %(here)r)
import tvm
from tvm import auto_scheduler
import test_auto_scheduler_search  # registers search_matmul
task = auto_scheduler.SearchTask(func="search_matmul", args=%(args)r, target=%(target)r)
sch, _ = task.apply_best(%(log)r)
print("HASH", tvm.ir.structural_hash(sch.mod))
print("TRACE", tvm.ir.save_json(sch.trace.as_json()).replace("\\n", " "))
"""

TUNE_SCRIPT = """
import sys
sys.path.insert(0, %(here)r)
from tvm import auto_scheduler
import test_auto_scheduler_search  # registers search_matmul
tasks = [auto_scheduler.SearchTask(func="search_matmul", args=a, target=%(target)r) for a in %(shapes)r]
opt = auto_scheduler.TuningOptions(num_measure_trials=1000, num_measures_per_round=4, verbose=0,
    builder=auto_scheduler.LocalBuilder(n_parallel=1), runner=auto_scheduler.LocalRunner(min_repeat_ms=5),
    measure_callbacks=[auto_scheduler.RecordToFile(%(log)r)])
auto_scheduler.TaskScheduler(tasks, callbacks=[]).tune(
    opt, search_policy="sketch.random", search_policy_params={"evolutionary_search_population": 64})
"""


def _numpy_check(task, sch):
    lib = tvm.compile(sch.mod, target=TARGET)
    shapes = [[int(x) for x in t.shape] for t in task.compute_dag.tensors]
    rng = np.random.RandomState(0)
    a = rng.uniform(-1, 1, shapes[0]).astype("float32")
    b = rng.uniform(-1, 1, shapes[1]).astype("float32")
    out = tvm.runtime.empty(shapes[2], "float32", tvm.cpu())
    lib["main"](tvm.runtime.tensor(a), tvm.runtime.tensor(b), out)
    np.testing.assert_allclose(out.numpy(), np.maximum(a @ b, 0), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_tune_with_faulty_candidates_then_apply_best(tmp_path, monkeypatch):
    counter = tmp_path / "counter"
    counter.write_text("0")
    monkeypatch.setenv(FAULT_COUNTER_ENV, str(counter))
    log = str(tmp_path / "log.json")
    args = (64, 64, 64)
    task = auto_scheduler.SearchTask(func=search_matmul, args=args, target=TARGET)
    opt = auto_scheduler.TuningOptions(
        num_measure_trials=12, num_measures_per_round=6, verbose=0,
        builder=auto_scheduler.LocalBuilder(timeout=15, n_parallel=1, build_func=faulty_fcompile),
        runner=auto_scheduler.LocalRunner(min_repeat_ms=5),
        measure_callbacks=[auto_scheduler.RecordToFile(log)])
    policy = auto_scheduler.SketchPolicy(task, auto_scheduler.RandomModel(), seed=0, verbose=0)
    best_state = task.tune(opt, search_policy=policy)
    records = list(auto_scheduler.load_records(log))
    assert len(records) == 12
    codes = [r.error_no for _, r in records]
    # the injected compile errors, crashes and hangs did not stop the search
    assert codes.count(MeasureErrorNo.COMPILE_HOST) == 4
    assert codes.count(MeasureErrorNo.BUILD_TIMEOUT) == 2
    assert codes.count(MeasureErrorNo.NO_ERROR) == 6
    # no program was measured twice
    hashes = {tvm.ir.structural_hash(task.compute_dag.apply_steps_from_state(inp.state)[0].mod)
              for inp, _ in records}
    assert len(hashes) == 12
    # apply_best gives the best record's schedule, which computes the right thing
    best_inp, best_res = auto_scheduler.load_best_record(log, task.workload_key, TARGET)
    assert best_res.mean_cost() == min(r.mean_cost() for _, r in records if r.error_no == 0)
    sch, _ = task.apply_best(log)
    want, _ = task.compute_dag.apply_steps_from_state(best_inp.state)
    assert tvm.ir.structural_equal(sch.mod, want.mod)
    best_policy, _ = task.compute_dag.apply_steps_from_state(best_state)
    assert tvm.ir.structural_equal(best_policy.mod, want.mod)
    _numpy_check(task, sch)
    # ApplyHistoryBest hands out the very same state
    with auto_scheduler.ApplyHistoryBest(log) as ctx:
        state = ctx.query(TARGET, task.workload_key, True, task.compute_dag, "main")
    got, _ = task.compute_dag.apply_steps_from_state(state)
    assert tvm.ir.structural_equal(got.mod, sch.mod)
    # ... and so does apply_best in a new process: same trace, same module
    out = subprocess.run([sys.executable, "-c", REPLAY_SCRIPT % {"here": HERE, "args": args, "target": TARGET,
                                                                  "log": log}],
                         capture_output=True, text=True, check=True, timeout=300)
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.startswith(("HASH", "TRACE")))
    assert int(lines["HASH"]) == tvm.ir.structural_hash(sch.mod)
    assert lines["TRACE"] == tvm.ir.save_json(sch.trace.as_json()).replace("\n", " ")


@pytest.mark.slow
def test_default_xgb_policy_end_to_end(tmp_path):
    log = str(tmp_path / "log.json")
    task = auto_scheduler.SearchTask(func=search_matmul, args=(128, 128, 128), target=TARGET)
    opt = auto_scheduler.TuningOptions(num_measure_trials=16, num_measures_per_round=8, verbose=0,
                                       runner=auto_scheduler.LocalRunner(min_repeat_ms=10),
                                       measure_callbacks=[auto_scheduler.RecordToFile(log)])
    task.tune(opt)
    records = list(auto_scheduler.load_records(log))
    assert len(records) == 16
    ok = [r.mean_cost() for _, r in records if r.error_no == 0]
    assert len(ok) >= 12
    sch, _ = task.apply_best(log)
    _numpy_check(task, sch)
    # the tuned program beats the unscheduled one by a wide margin
    dag = task.compute_dag
    naive = tvm.compile(dag.mod, target=TARGET)
    tuned = tvm.compile(sch.mod, target=TARGET)
    args = [tvm.runtime.empty([int(x) for x in t.shape], "float32", tvm.cpu()) for t in dag.tensors]
    t_naive = naive.mod.time_evaluator("main", tvm.cpu(), number=5, repeat=3)(*args).min
    t_tuned = tuned.mod.time_evaluator("main", tvm.cpu(), number=5, repeat=3)(*args).min
    assert t_tuned < t_naive / 2


@pytest.mark.slow
def test_kill_mid_run_then_resume(tmp_path, capsys):
    log = str(tmp_path / "log.json")
    shapes = [(32, 32, 32), (48, 32, 16)]
    proc = subprocess.Popen([sys.executable, "-c", TUNE_SCRIPT % {"here": HERE, "target": TARGET,
                                                                   "shapes": shapes, "log": log}],
                            start_new_session=True)
    deadline = time.time() + 400
    try:
        while time.time() < deadline:
            if os.path.exists(log) and sum(1 for _ in open(log, encoding="utf-8")) >= 10:
                break
            assert proc.poll() is None, "the tuning process ended early"
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its measurement workers
        proc.wait()
    before = list(auto_scheduler.load_records(log))  # the log stays loadable
    assert len(before) >= 10
    tasks = [auto_scheduler.SearchTask(func=search_matmul, args=s, target=TARGET) for s in shapes]
    old_best = {}
    for inp, res in before:
        if res.error_no == 0:
            key = inp.task.workload_key
            old_best[key] = min(old_best.get(key, 1e10), res.mean_cost())
    old_hashes = {tvm.ir.structural_hash(inp.scheduled_mod()) for inp, _ in before}
    with open(log, "a", encoding="utf-8") as fout:  # the kill may have cut the last line
        fout.write("\n")
    sched = auto_scheduler.TaskScheduler(tasks, load_log_file=log,
                                         callbacks=[auto_scheduler.task_scheduler.PrintTableInfo()])
    opt = auto_scheduler.TuningOptions(num_measure_trials=8, num_measures_per_round=4, verbose=1,
                                       builder=auto_scheduler.LocalBuilder(n_parallel=1),
                                       runner=auto_scheduler.LocalRunner(min_repeat_ms=5),
                                       measure_callbacks=[auto_scheduler.RecordToFile(log)])
    sched.tune(opt, search_policy="sketch.random", search_policy_params={"evolutionary_search_population": 64})
    # the resumed scheduler started from the logged bests ...
    for i, task in enumerate(tasks):
        if task.workload_key in old_best:
            assert sched.best_costs[i] <= old_best[task.workload_key]
    after = list(auto_scheduler.load_records(log))
    new = after[len(before):]
    assert len(new) == 8
    # ... and measured only programs the log did not hold
    new_hashes = [tvm.ir.structural_hash(inp.scheduled_mod()) for inp, _ in new]
    assert not old_hashes.intersection(new_hashes)
    assert "Estimated total latency" in capsys.readouterr().out


@pytest.mark.slow
def test_layout_rewrite_pre_transformed_weights():
    from tvm import topi  # pylint: disable=import-outside-toplevel

    A = te.placeholder((64, 64), name="A")
    W = te.placeholder((64, 64), name="W")
    dag = auto_scheduler.ComputeDAG([A, W, topi.nn.dense(A, W)])
    task = auto_scheduler.SearchTask(compute_dag=dag, target=TARGET)
    assert task.layout_rewrite_option == auto_scheduler.LayoutRewriteOption.INSERT_TRANSFORM_STAGE
    policy = auto_scheduler.SketchPolicy(task, auto_scheduler.RandomModel(), seed=1, verbose=0,
                                         params={"evolutionary_search_population": 64})
    states = [c.sch.trace for c in policy._generate(16)]  # pylint: disable=protected-access
    rewritten = [s for s in states if dag.layout_transforms(s)]
    assert rewritten, "no candidate rewrote the weight layout"
    state = rewritten[0]
    transform = dag.layout_transforms(state)[1]
    assert transform.param_index == 1 and transform.old_shape == (64, 64)
    assert int(np.prod(transform.new_shape)) == 64 * 64
    rng = np.random.RandomState(0)
    a = rng.uniform(-1, 1, (64, 64)).astype("float32")
    w = rng.uniform(-1, 1, (64, 64)).astype("float32")
    dev = tvm.cpu()
    for option, weight in ((auto_scheduler.LayoutRewriteOption.INSERT_TRANSFORM_STAGE, w),
                           (auto_scheduler.LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED,
                            transform.apply_numpy(w))):
        sch, _ = dag.apply_steps_from_state(state, layout_rewrite=option)
        lib = tvm.compile(sch.mod, target=TARGET)
        out = tvm.runtime.empty((64, 64), "float32", dev)
        lib["main"](tvm.runtime.tensor(a, dev), tvm.runtime.tensor(weight, dev), out)
        np.testing.assert_allclose(out.numpy(), a @ w.T, rtol=1e-4, atol=1e-4)
    # a state without layout rewrite needs no transform
    assert dag.layout_transforms(dag.init_state) == {}
    # measured as the Relay build runs it: weights pre-transformed, outputs checked
    pre = auto_scheduler.SearchTask(compute_dag=dag, target=TARGET, layout_rewrite_option=(
        auto_scheduler.LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED))
    inputs = [auto_scheduler.MeasureInput(t, state) for t in (pre, task)]
    builder = auto_scheduler.LocalBuilder(n_parallel=1)
    runner = auto_scheduler.LocalRunner(min_repeat_ms=1)
    try:
        bres = builder.build(inputs, verbose=0)
        assert bres[0].args == [(1, list(transform.new_shape))] and bres[1].args == []
        res = runner.run(inputs, bres, verbose=0)
    finally:
        builder.close()
        runner.close()
    assert [r.error_no for r in res] == [MeasureErrorNo.NO_ERROR, MeasureErrorNo.NO_ERROR], res


@pytest.mark.slow
def test_apply_history_best_or_sample(tmp_path):
    log = str(tmp_path / "empty.json")
    open(log, "w", encoding="utf-8").close()
    task = auto_scheduler.SearchTask(func=search_matmul, args=(32, 32, 32), target=TARGET)
    with auto_scheduler.ApplyHistoryBestOrSample(log) as ctx:
        # a simple workload is not sampled: the fallback answers None
        assert ctx.query(TARGET, task.workload_key, False, task.compute_dag, "f") is None
        state = ctx.query(TARGET, task.workload_key, True, task.compute_dag, "f")
        assert state is not None
        # the sampled state is remembered
        again = ctx.query(TARGET, task.workload_key, True, task.compute_dag, "f")
        assert again is state
    sch, _ = task.compute_dag.apply_steps_from_state(state)
    _numpy_check(task, sch)
