"""Tuning records: JSON lines, round trip, malformed lines, pick_best."""
import json
import logging

import numpy as np
import pytest

import tvm
from tvm import autotvm, te
from tvm.autotvm import record
from tvm.autotvm.measure import MeasureInput, MeasureResult


@autotvm.template("test_record/add")
def add_template(n, dtype):
    a = te.placeholder((n,), name="A", dtype=dtype)
    b = te.compute((n,), lambda i: a[i] + 1, name="B")
    cfg = autotvm.get_config()
    cfg.define_split("tile", n, num_outputs=2)
    cfg.define_knob("unroll", [0, 1])
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b]))
    (i,) = sch.get_loops(sch.get_sblock("B"))
    _, inner = cfg["tile"].apply(sch, i)
    if cfg["unroll"].val:
        sch.unroll(inner)
    return sch, [a, b]


@pytest.fixture(name="task")
def fixture_task():
    return autotvm.task.create("test_record/add", args=(16, "float32"), target="llvm")


def _pair(task, index, cost, error_no=0):
    inp = MeasureInput(task.target, task, task.config_space.get(index))
    costs = (cost,) if error_no == 0 else ("boom",)
    return inp, MeasureResult(costs, error_no, 0.5, 1.7e9)


def test_encode_decode_roundtrip(task):
    inp, res = _pair(task, 7, 1.25e-6)
    line = record.encode(inp, res)
    data = json.loads(line)
    assert data["input"][1] == "test_record/add" and data["input"][2] == [16, "float32"]
    assert data["result"][1] == 0
    inp2, res2 = record.decode(line)
    assert inp2.task.workload == task.workload
    assert inp2.config == inp.config and inp2.config.index == 7
    assert str(inp2.target) == str(task.target)
    assert res2.costs == (1.25e-6,) and res2.error_no == 0
    # the decoded config instantiates the same schedule
    sch_a, _ = task.instantiate(inp.config)
    sch_b, _ = task.instantiate(inp2.config)
    assert tvm.ir.structural_equal(sch_a.mod, sch_b.mod)


def test_load_skips_truncated_and_foreign_lines(tmp_path, task, caplog):
    log = tmp_path / "tune.log"
    pairs = [_pair(task, i, 1e-6 * (i + 1)) for i in range(4)]
    record.save_to_file(pairs, str(log))
    text = log.read_text()
    full = record.encode(*_pair(task, 9, 1e-7))
    log.write_text(text + "this is not a record\n\n" + full[: len(full) // 2])
    with caplog.at_level(logging.WARNING, logger="autotvm"):
        loaded = list(record.load_from_file(str(log)))
    assert [inp.config.index for inp, _ in loaded] == [0, 1, 2, 3]
    warnings = [r.message for r in caplog.records if "malformed" in r.message]
    assert len(warnings) == 2
    assert "tune.log:5" in warnings[0] and "tune.log:7" in warnings[1]


def test_pick_best_and_apply_history_best_from_file(tmp_path, task):
    log = tmp_path / "all.log"
    other = autotvm.task.create("test_record/add", args=(32, "float32"), target="llvm")
    pairs = [_pair(task, 1, 3e-6), _pair(task, 5, 1e-6), _pair(task, 6, 1e-9, error_no=4),
             _pair(other, 2, 2e-6), _pair(other, 3, 4e-6)]
    record.save_to_file(pairs, str(log))
    best = tmp_path / "best.log"
    assert record.pick_best(str(log), str(best)) == 2
    kept = {inp.task.workload: inp.config.index for inp, _ in record.load_from_file(str(best))}
    assert kept == {task.workload: 5, other.workload: 2}
    target = tvm.target.Target("llvm")
    for source in (str(log), [str(log)], str(best)):
        with autotvm.apply_history_best(source) as ctx:
            assert ctx.query(target, task.workload).index == 5
            assert ctx.query(target, other.workload).index == 2
            assert np.isclose(ctx.query(target, task.workload).cost, 1e-6)
