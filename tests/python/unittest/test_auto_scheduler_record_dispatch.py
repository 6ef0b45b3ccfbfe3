"""Records and dispatch contexts of the auto-scheduler (no tuning: states are hand-made)."""
import json
import logging
import time

import pytest

import tvm
from tvm import auto_scheduler, te
from tvm.auto_scheduler.measure import MeasureInput, MeasureResult

TARGET = "llvm -num-cores=2"


def matmul(n):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    r = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    return [A, B, C]


def _task(n=16):
    dag = auto_scheduler.ComputeDAG(matmul(n))
    key = auto_scheduler.workload_registry.register_workload_tensors(dag.workload_key(), dag.tensors)
    return auto_scheduler.SearchTask(workload_key=key, compute_dag=dag, target=TARGET)


def _split_state(task, factor):
    sch = tvm.s_tir.Schedule(task.compute_dag.mod)
    i, _, _ = sch.get_loops(sch.get_sblock("C"))
    sch.split(i, [None, factor])
    return sch.trace


def _records(task, costs):
    inputs = [MeasureInput(task, _split_state(task, f)) for f in (2, 4, 8)]
    results = [MeasureResult([c], 0 if c < 1 else 4, None, 0.5, time.time()) for c in costs]
    return inputs, results


def test_record_roundtrip_and_best(tmp_path):
    task = _task()
    log = str(tmp_path / "log.json")
    inputs, results = _records(task, [3e-3, 1e-3, 10.0])
    auto_scheduler.RecordToFile(log).callback(None, inputs, results)
    lines = open(log, encoding="utf-8").read().splitlines()
    assert len(lines) == 3
    obj = json.loads(lines[0])
    assert obj["i"][0][0] == task.workload_key
    # the target string parses back to the same target
    assert str(tvm.target.Target(obj["i"][0][1])) == str(task.target)
    loaded = list(auto_scheduler.load_records(log))
    assert [r.costs[0] for _, r in loaded] == [3e-3, 1e-3, 10.0]
    assert [r.error_no for _, r in loaded] == [0, 0, 4]
    inp, res = auto_scheduler.load_best_record(log, task.workload_key, TARGET)
    assert res.costs == [1e-3]
    best_sch, _ = task.compute_dag.apply_steps_from_state(inp.state)
    ref_sch, _ = task.compute_dag.apply_steps_from_state(inputs[1].state)
    assert tvm.ir.structural_equal(best_sch.mod, ref_sch.mod)
    assert auto_scheduler.load_best_record(log, '["other"]', TARGET) is None
    # apply_best gives the same schedule, print_best its code
    sch, args = task.apply_best(log)
    assert tvm.ir.structural_equal(sch.mod, ref_sch.mod) and len(args) == 3
    assert "factors=[None, 4]" in task.print_best(log) or "4]" in task.print_best(log)
    reader = auto_scheduler.RecordReader(log)
    ins, ress = reader.read_lines(max_lines=2)
    assert len(ins) == 2 and ress[1].costs == [1e-3]
    ins, _ = reader.read_lines(skip_lines=2)
    assert len(ins) == 1


def test_bad_lines_are_skipped_with_a_warning(tmp_path, caplog):
    task = _task()
    log = tmp_path / "log.json"
    inputs, results = _records(task, [3e-3, 1e-3, 2e-3])
    auto_scheduler.save_records(str(log), inputs[:1], results[:1])
    with open(log, "a", encoding="utf-8") as fout:
        fout.write("this is not json\n")
        fout.write('{"some": "other tool"}\n')
        fout.write('{"i": [["k"], 3], "r": [], "v": "tvmfork-ansor-1"}\n')
    auto_scheduler.save_records(str(log), inputs[1:2], results[1:2])
    full = auto_scheduler.measure_record.dump_record_to_string(inputs[2], results[2])
    with open(log, "a", encoding="utf-8") as fout:
        fout.write(full[: len(full) // 2])  # truncated: a run killed while writing
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        loaded = list(auto_scheduler.load_records(str(log)))
    assert [r.costs[0] for _, r in loaded] == [3e-3, 1e-3]
    warned = [rec.getMessage() for rec in caplog.records]
    assert len(warned) == 4
    assert any(":2:" in m and "not JSON" in m for m in warned)
    assert any(":6:" in m for m in warned)
    # appending after the truncated line keeps the log usable
    with open(log, "a", encoding="utf-8") as fout:
        fout.write("\n")
    auto_scheduler.save_records(str(log), inputs[2:], [MeasureResult([5e-4], 0, None, 0.1, time.time())])
    _, res = auto_scheduler.load_best_record(str(log), task.workload_key)
    assert res.costs == [5e-4]


def test_apply_history_best_query(tmp_path):
    task = _task()
    log = str(tmp_path / "log.json")
    inputs, results = _records(task, [3e-3, 1e-3, 10.0])
    auto_scheduler.save_records(log, inputs, results)
    dag = task.compute_dag
    assert isinstance(auto_scheduler.DispatchContext.current, auto_scheduler.FallbackContext)
    with auto_scheduler.ApplyHistoryBest(log) as ctx:
        assert auto_scheduler.DispatchContext.current is ctx
        state = ctx.query(tvm.target.Target(TARGET), task.workload_key, True, dag, "f")
        got, _ = dag.apply_steps_from_state(state)
        want, _ = dag.apply_steps_from_state(inputs[1].state)
        assert tvm.ir.structural_equal(got.mod, want.mod)
        # any CPU target shares the "cpu" key
        assert ctx.query("llvm", task.workload_key, True, dag, "f") is not None
        assert ctx.query(TARGET, '["missing"]', True, dag, "f") is None
        # n_lines limits what is read
        inner = auto_scheduler.ApplyHistoryBest(log, n_lines=1)
        with inner:
            state = auto_scheduler.DispatchContext.current.query(TARGET, task.workload_key, True, dag, "f")
            got, _ = dag.apply_steps_from_state(state)
            want, _ = dag.apply_steps_from_state(inputs[0].state)
            assert tvm.ir.structural_equal(got.mod, want.mod)
        assert auto_scheduler.DispatchContext.current is ctx
    assert isinstance(auto_scheduler.DispatchContext.current, auto_scheduler.FallbackContext)
    # records given as pairs
    ctx = auto_scheduler.ApplyHistoryBest(list(zip(inputs, results)))
    assert ctx.query(TARGET, task.workload_key, True, dag, "f") is not None


def test_fallback_warns_once_per_workload(caplog):
    fallback = auto_scheduler.FallbackContext()
    dag = auto_scheduler.ComputeDAG(matmul(4))
    auto_scheduler.DispatchContext.warning_messages.clear()
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        assert fallback.query(TARGET, '["w1"]', True, dag, "f1") is None
        assert fallback.query(TARGET, '["w1"]', True, dag, "f1") is None
        assert fallback.query(TARGET, '["w2"]', False, dag, "f2") is None  # simple op, verbose=1: silent
    assert len(caplog.records) == 1 and "w1" in caplog.records[0].getMessage()
    caplog.clear()
    fallback = auto_scheduler.FallbackContext()
    fallback.verbose = 2
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        fallback.query(TARGET, '["w3"]', False, dag, "f3")
    assert len(caplog.records) == 1
    caplog.clear()
    fallback = auto_scheduler.FallbackContext()
    fallback.verbose = 0
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        fallback.query(TARGET, '["w4"]', True, dag, "f4")
    assert not caplog.records


def test_missing_log_is_a_clear_error(tmp_path):
    task = _task()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        task.apply_best(str(tmp_path / "nope.json"))
    with pytest.raises(FileNotFoundError):
        auto_scheduler.ApplyHistoryBest(str(tmp_path / "nope.json"))
