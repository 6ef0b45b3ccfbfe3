"""Measurement of the auto-scheduler: builder, runner, faulty candidates.

The worker pool itself is tested in test_popen_pool.py.
"""
import os
import time

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te
from tvm.auto_scheduler.measure import BuildResult, MeasureErrorNo, MeasureInput
from tvm.support import cc

TARGET = "llvm -num-cores=2"

#: Environment variable naming the counter file of :func:`faulty_fcompile`.
FAULT_COUNTER_ENV = "TVMFORK_ANSOR_FAULT_COUNTER"
#: What the n-th call of :func:`faulty_fcompile` does, cyclically.
FAULT_CYCLE = ["ok", "error", "ok", "crash", "ok", "hang"]


def faulty_fcompile(output, objects, options=None, **kwargs):
    """Link like the default, but fail, crash or hang on a fixed cycle of calls.

    Runs inside build workers; the call counter is a file so that it survives
    the restart of a crashed or hung worker.
    """
    path = os.environ[FAULT_COUNTER_ENV]
    with open(path, "r", encoding="utf-8") as fin:
        count = int(fin.read().strip() or 0)
    with open(path, "w", encoding="utf-8") as fout:
        fout.write(str(count + 1))
    action = FAULT_CYCLE[count % len(FAULT_CYCLE)]
    if action == "error":
        raise RuntimeError("injected compile error")
    if action == "crash":
        os.abort()
    if action == "hang":
        time.sleep(3600)
    return cc.create_shared(output, objects, options)


def add_tensors(n=4):
    A = te.placeholder((n,), name="A")
    B = te.placeholder((n,), name="B")
    C = te.compute((n,), lambda i: A[i] + B[i], name="C")
    return [A, B, C]


def _task(tensors):
    dag = auto_scheduler.ComputeDAG(tensors)
    return auto_scheduler.SearchTask(compute_dag=dag, target=TARGET)


def _library(tmp_path, name, tensors):
    """Compile the unscheduled program of ``tensors`` into a shared library."""
    lib = tvm.compile(tvm.IRModule({"main": te.create_prim_func(tensors)}), target=TARGET)
    path = str(tmp_path / (name + ".so"))
    lib.export_library(path)
    return BuildResult(path, [], MeasureErrorNo.NO_ERROR, None, 0.0)


def test_build_and_run_init_state():
    task = _task(add_tensors(1024))
    inputs = [MeasureInput(task, task.compute_dag.init_state)]
    builder = auto_scheduler.LocalBuilder(n_parallel=1)
    runner = auto_scheduler.LocalRunner(number=2, repeat=3, min_repeat_ms=1)
    try:
        bres = builder.build(inputs, verbose=0)
        assert bres[0].error_no == MeasureErrorNo.NO_ERROR and os.path.isfile(bres[0].filename)
        res = runner.run(inputs, bres, verbose=0)
        assert res[0].error_no == MeasureErrorNo.NO_ERROR, res[0].error_msg
        assert len(res[0].costs) == 3 and all(0 < c < 0.1 for c in res[0].costs)
    finally:
        builder.close()
        runner.close()


def test_builder_faults_become_errors(tmp_path, monkeypatch):
    counter = tmp_path / "counter"
    counter.write_text("0")
    monkeypatch.setenv(FAULT_COUNTER_ENV, str(counter))
    task = _task(add_tensors(64))
    inputs = [MeasureInput(task, task.compute_dag.init_state) for _ in FAULT_CYCLE]
    builder = auto_scheduler.LocalBuilder(timeout=5, n_parallel=1, build_func=faulty_fcompile)
    try:
        bres = builder.build(inputs, verbose=0)
    finally:
        builder.close()
    codes = [b.error_no for b in bres]
    assert codes == [MeasureErrorNo.NO_ERROR, MeasureErrorNo.COMPILE_HOST, MeasureErrorNo.NO_ERROR,
                     MeasureErrorNo.COMPILE_HOST, MeasureErrorNo.NO_ERROR, MeasureErrorNo.BUILD_TIMEOUT]
    assert "injected compile error" in bres[1].error_msg
    assert "died" in bres[3].error_msg
    # a state that does not replay on the DAG is an instantiation error
    bad = MeasureInput(task, '{"not": "a trace"}')
    builder = auto_scheduler.LocalBuilder(n_parallel=1)
    try:
        assert builder.build([bad], verbose=0)[0].error_no == MeasureErrorNo.INSTANTIATION_ERROR
    finally:
        builder.close()


def test_runner_wrong_answer_crash_and_timeout(tmp_path):
    n = 4
    task = _task(add_tensors(n))
    good = _library(tmp_path, "good", add_tensors(n))
    A, B = te.placeholder((n,), name="A"), te.placeholder((n,), name="B")
    wrong = _library(tmp_path, "wrong", [A, B, te.compute((n,), lambda i: A[i] - B[i], name="C")])
    # reads far outside A: the process dies with a segmentation fault
    A, B = te.placeholder((n,), name="A"), te.placeholder((n,), name="B")
    crash = _library(tmp_path, "crash", [A, B, te.compute((n,), lambda i: A[i * 400000000 + 300000000] + B[i],
                                                          name="C")])
    # two billion dependent additions per element: far beyond the timeout
    A, B = te.placeholder((n,), name="A"), te.placeholder((n,), name="B")
    r1, r2 = te.reduce_axis((0, 100000), name="r1"), te.reduce_axis((0, 20000), name="r2")
    slow = _library(tmp_path, "slow", [A, B, te.compute((n,), lambda i: te.sum(A[i] * B[i], axis=[r1, r2]),
                                                        name="C")])
    inputs = [MeasureInput(task, task.compute_dag.init_state) for _ in range(5)]
    runner = auto_scheduler.LocalRunner(timeout=2, number=1, repeat=1, min_repeat_ms=1)
    try:
        res = runner.run(inputs, [wrong, crash, slow, good,
                                  BuildResult(None, [], MeasureErrorNo.COMPILE_HOST, "x", 0.1)], verbose=0)
    finally:
        runner.close()
    assert [r.error_no for r in res] == [MeasureErrorNo.WRONG_ANSWER, MeasureErrorNo.RUNTIME_DEVICE,
                                         MeasureErrorNo.RUN_TIMEOUT, MeasureErrorNo.NO_ERROR,
                                         MeasureErrorNo.COMPILE_HOST]
    assert res[0].costs == [auto_scheduler.measure.MAX_FLOAT]
    assert 0 < res[3].costs[0] < 0.01


def test_builder_argument_errors():
    with pytest.raises(ValueError, match="build_func"):
        auto_scheduler.LocalBuilder(build_func="nonsense")
    with pytest.raises(ValueError, match="builder"):
        auto_scheduler.TuningOptions(builder="remote")
    with pytest.raises(TypeError, match="runner"):
        auto_scheduler.TuningOptions(runner=3)


def test_measure_result_math():
    res = auto_scheduler.MeasureResult([1.0, 3.0], 0, None, 4.0, time.time())
    assert res.mean_cost() == pytest.approx(2.0)
    assert np.isfinite(res.all_cost)


def test_rpc_runner_through_local_tracker():
    pytest.importorskip("tornado", reason="the RPC tracker of the base needs tornado")
    task = _task(add_tensors(256))
    inputs = [MeasureInput(task, task.compute_dag.init_state)]
    ctx = auto_scheduler.LocalRPCMeasureContext(min_repeat_ms=1, timeout=30)
    builder = auto_scheduler.LocalBuilder(n_parallel=1)
    try:
        bres = builder.build(inputs, verbose=0)
        res = ctx.runner.run(inputs, bres, verbose=0)
    finally:
        builder.close()
        del ctx
    assert res[0].error_no == MeasureErrorNo.NO_ERROR, res[0].error_msg
    assert 0 < res[0].costs[0] < 0.01


def test_empty_policy_measures_the_init_state_once(tmp_path):
    log = str(tmp_path / "log.json")
    task = _task(add_tensors(512))
    opt = auto_scheduler.TuningOptions(num_measure_trials=3, num_measures_per_round=1, verbose=0,
                                       builder=auto_scheduler.LocalBuilder(n_parallel=1),
                                       runner=auto_scheduler.LocalRunner(min_repeat_ms=1),
                                       measure_callbacks=[auto_scheduler.RecordToFile(log)])
    state = task.tune(opt, search_policy=auto_scheduler.EmptyPolicy(task))
    records = list(auto_scheduler.load_records(log))
    assert len(records) == 1 and records[0][1].error_no == MeasureErrorNo.NO_ERROR
    sch, _ = task.compute_dag.apply_steps_from_state(state)
    assert tvm.ir.structural_equal(sch.mod, task.compute_dag.mod)


def test_records_of_a_task_under_a_key_of_its_own(tmp_path):
    # 0.8 took any string as a DAG's workload key (SearchTask(compute_dag, workload_key="test"))
    from tvm.auto_scheduler.workload_registry import decode_workload_key  # pylint: disable=import-outside-toplevel

    a = te.placeholder((8, 8), name="a")
    b = te.compute((8, 8), lambda i, j: a[i, j] * 2.0, name="b")
    dag = auto_scheduler.ComputeDAG([a, b])
    task = auto_scheduler.SearchTask(compute_dag=dag, workload_key="my-doubling", target="llvm")
    inp = auto_scheduler.MeasureInput(task, dag.init_state)
    res = auto_scheduler.MeasureResult([1e-5], 0, "", 0.1, 1)
    log = str(tmp_path / "log.json")
    auto_scheduler.save_records(log, [inp], [res])
    (back_inp, back_res), = list(auto_scheduler.load_records(log))
    assert back_inp.task.workload_key == "my-doubling" and back_res.costs[0] == 1e-5
    assert str(back_inp.task.compute_dag) == str(dag)
    assert decode_workload_key("my-doubling") == ("my-doubling", [])
    assert decode_workload_key('[7, [8, 8]]') == (7, [[8, 8]])  # a custom hash_func's integer
