"""Tuning logs of both tuners: nothing lost, nothing silent.

A bad record line is skipped with ``file:line`` and the reason; a record that
loads but cannot be applied falls back to the TOPI schedule with one warning;
appending never glues a record onto a cut line; processes appending to one log
interleave whole lines; records of a compatible target are used with one info
line, records of another target kind are not.
"""
import json
import logging
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import tvm
from tvm import autotvm, auto_scheduler, relay, te
from tvm.auto_scheduler.dispatcher import DispatchContext
from tvm.auto_scheduler.measure import MeasureInput, MeasureResult
from tvm.auto_scheduler.measure_record import dump_record_to_string
from tvm.autotvm import record as tvm_record
from tvm.autotvm.measure import MeasureInput as TvmInput
from tvm.autotvm.measure import MeasureResult as TvmResult
from tvm.contrib import graph_executor

from test_auto_scheduler_record_dispatch import TARGET, _split_state, _task
import test_autotvm_record  # noqa: F401  (registers the "test_record/add" template)

def _matmul_task(n=16, target=TARGET):
    task = _task(n)
    return auto_scheduler.SearchTask(workload_key=task.workload_key, compute_dag=task.compute_dag, target=target)


def _record(task, factor, cost):
    return MeasureInput(task, _split_state(task, factor)), MeasureResult([cost], 0, None, 0.1, time.time())


def _line(task, factor, cost):
    return dump_record_to_string(*_record(task, factor, cost))


def _warnings(caplog, logger):
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno == logging.WARNING]


# -- reading: every record is validated, a bad one is skipped with file:line ----------------


def test_a_record_with_an_unparsable_target_is_skipped_not_fatal(tmp_path, caplog):
    task = _matmul_task()
    log = tmp_path / "log.json"
    good = _line(task, 4, 1e-3)
    bad = json.loads(_line(task, 2, 1e-4))
    bad["i"][0][1] = "nonsense_target -foo=bar"
    log.write_text("\n".join([good, json.dumps(bad), _line(task, 8, 2e-3)]) + "\n")
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        loaded = list(auto_scheduler.load_records(str(log)))
        ctx = auto_scheduler.ApplyHistoryBest(str(log))
    assert [res.costs[0] for _, res in loaded] == [1e-3, 2e-3]
    warned = _warnings(caplog, "auto_scheduler")
    assert len(warned) == 2 and all("log.json:2:" in m and "nonsense_target" in m for m in warned)
    assert ctx.query(TARGET, task.workload_key, True, task.compute_dag, "f") is not None
    _, res = auto_scheduler.load_best_record(str(log), task.workload_key, TARGET)
    assert res.costs == [1e-3]


@pytest.mark.parametrize("garble", ["flat", "not_saved_json", "bad_instruction", "bad_workload_key"])
def test_a_record_with_a_garbled_trace_or_key_is_skipped(tmp_path, caplog, garble):
    task = _matmul_task()
    bad = json.loads(_line(task, 2, 1e-4))
    if garble == "flat":  # a saved TVM object, but not [instructions, decisions]
        bad["i"][1] = tvm.ir.save_json(tvm.runtime.convert([1, 2, 3]))
    elif garble == "not_saved_json":
        bad["i"][1] = "{garbage"
    elif garble == "bad_instruction":
        bad["i"][1] = tvm.ir.save_json(tvm.runtime.convert([[["GetSBlock"]], []]))
    else:
        bad["i"][0][0] = "not a workload key"
    log = tmp_path / "log.json"
    log.write_text(json.dumps(bad) + "\n" + _line(task, 4, 1e-3) + "\n")
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        loaded = list(auto_scheduler.load_records(str(log)))
    assert [res.costs[0] for _, res in loaded] == [1e-3]
    (warned,) = _warnings(caplog, "auto_scheduler")
    assert "log.json:1:" in warned
    reason = {"flat": "two arrays", "not_saved_json": "not a saved TVM object",
              "bad_instruction": "malformed instruction", "bad_workload_key": "workload key"}[garble]
    assert reason in warned


def test_autotvm_bad_target_and_config_lines_are_skipped(tmp_path, caplog):
    task = autotvm.task.create("test_record/add", args=(16, "float32"), target="llvm")
    pairs = [(TvmInput(task.target, task, task.config_space.get(i)), TvmResult((1e-6 * (i + 1),), 0, 0.1, 1.7e9))
             for i in range(3)]
    lines = [tvm_record.encode(*pair) for pair in pairs]
    bad_target, bad_config = json.loads(lines[1]), json.loads(lines[2])
    bad_target["input"][0] = "nonsense_target -foo=bar"
    bad_config["config"] = {"index": 1, "entity": [["tile", "sp"]]}
    log = tmp_path / "tune.log"
    log.write_text("\n".join([lines[0], json.dumps(bad_target), json.dumps(bad_config)]) + "\n")
    with caplog.at_level(logging.WARNING, logger="autotvm"):
        loaded = list(tvm_record.load_from_file(str(log)))
    assert [inp.config.index for inp, _ in loaded] == [0]
    warned = _warnings(caplog, "autotvm")
    assert len(warned) == 2
    assert "tune.log:2" in warned[0] and "nonsense_target" in warned[0]
    assert "tune.log:3" in warned[1]


# -- applying: a record that loads but does not apply falls back with one warning ---------


def test_a_record_that_does_not_apply_falls_back_to_topi_with_one_warning(tmp_path, caplog):
    data = relay.var("data", shape=(4, 16))
    net = relay.nn.dense(data, relay.var("w", shape=(8, 16)), units=8)
    mod = tvm.IRModule.from_expr(relay.Function(relay.analysis.free_vars(net), net))
    rng = np.random.default_rng(0)
    params = {"w": rng.uniform(-1, 1, (8, 16)).astype("float32")}
    x = rng.uniform(-1, 1, (4, 16)).astype("float32")
    tasks, _ = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    (task,) = tasks
    # a well-formed trace of another workload: it names block "C", which the dense has not
    foreign = _split_state(_matmul_task(), 4)
    log = tmp_path / "log.json"
    auto_scheduler.save_records(str(log), [MeasureInput(_matmul_task(), foreign), MeasureInput(task, foreign)],
                                [MeasureResult([1e-3], 0, None, 0.1, time.time())] * 2)
    DispatchContext.warning_messages.clear()
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        for _ in range(2):
            with auto_scheduler.ApplyHistoryBest(str(log)), tvm.transform.PassContext(opt_level=3):
                lib = relay.build(mod, target="llvm", params=params)
    warned = [m for m in _warnings(caplog, "auto_scheduler") if "cannot be applied" in m]
    assert len(warned) == 1
    assert "log.json:2:" in warned[0] and task.desc in warned[0] and "TOPI" in warned[0]
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", x)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), x @ params["w"].T, rtol=1e-4, atol=1e-4)


# -- writing: never glue a record onto a cut line; concurrent appends stay whole lines ------


def test_appending_after_a_cut_line_loses_no_record(tmp_path, caplog):
    task = _matmul_task()
    log = tmp_path / "log.json"
    full = _line(task, 8, 3e-3)
    log.write_text(_line(task, 2, 1e-3) + "\n" + full[: len(full) // 2])
    inp, res = _record(task, 4, 2e-3)
    auto_scheduler.RecordToFile(str(log)).callback(None, [inp], [res])
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        loaded = list(auto_scheduler.load_records(str(log)))
    assert [r.costs[0] for _, r in loaded] == [1e-3, 2e-3]
    (warned,) = _warnings(caplog, "auto_scheduler")
    assert "log.json:2:" in warned
    assert log.read_text().endswith("\n")


def test_autotvm_log_to_file_after_a_cut_line_loses_no_record(tmp_path):
    task = autotvm.task.create("test_record/add", args=(16, "float32"), target="llvm")
    pairs = [(TvmInput(task.target, task, task.config_space.get(i)), TvmResult((1e-6,), 0, 0.1, 1.7e9))
             for i in range(3)]
    log = tmp_path / "tune.log"
    full = tvm_record.encode(*pairs[0])
    log.write_text(tvm_record.encode(*pairs[1]) + "\n" + full[:-10])
    autotvm.callback.log_to_file(str(log))(None, [pairs[2][0]], [pairs[2][1]])
    tvm_record.save_to_file([pairs[0]], str(log))
    loaded = list(tvm_record.load_from_file(str(log)))
    assert [inp.config.index for inp, _ in loaded] == [1, 2, 0]


_WRITER = textwrap.dedent("""
    import sys
    from tvm import auto_scheduler, autotvm
    from tvm.autotvm import record
    kind, seed, log, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if kind == "ansor":
        inputs, results = auto_scheduler.RecordReader(seed).read_lines()
        callback = auto_scheduler.RecordToFile(log)
        for _ in range(rounds):
            callback.callback(None, inputs, results)
    else:
        pairs = list(record.load_from_file(seed))
        callback = autotvm.callback.log_to_file(log)
        for _ in range(rounds):
            callback(None, [p[0] for p in pairs], [p[1] for p in pairs])
""")


def test_two_processes_appending_to_one_log_interleave_whole_lines(tmp_path):
    task = _matmul_task()
    ansor_seed = tmp_path / "ansor_seed.json"
    auto_scheduler.save_records(str(ansor_seed), *zip(*[_record(task, f, 1e-3) for f in (2, 4, 8)]))
    tvm_task = autotvm.task.create("test_record/add", args=(16, "float32"), target="llvm")
    tvm_seed = tmp_path / "tvm_seed.log"
    tvm_record.save_to_file([(TvmInput(tvm_task.target, tvm_task, tvm_task.config_space.get(i)),
                              TvmResult((1e-6,), 0, 0.1, 1.7e9)) for i in range(4)], str(tvm_seed))
    rounds = 150
    procs = []
    for kind, seed, log in [("ansor", ansor_seed, tmp_path / "ansor.json"), ("tvm", tvm_seed, tmp_path / "tvm.log")]:
        for _ in range(2):
            procs.append(subprocess.Popen([sys.executable, "-c", _WRITER, kind, str(seed), str(log), str(rounds)]))
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    ansor_lines = (tmp_path / "ansor.json").read_text().splitlines()
    assert len(ansor_lines) == 2 * rounds * 3
    seed_lines = set(ansor_seed.read_text().splitlines())
    assert set(ansor_lines) == seed_lines  # every line is whole: one of the records written
    tvm_lines = (tmp_path / "tvm.log").read_text().splitlines()
    assert len(tvm_lines) == 2 * rounds * 4
    assert set(tvm_lines) == set(tvm_seed.read_text().splitlines())


# -- matching: workload key and target; a compatible target is used with one info line -----


def test_records_of_another_cpu_are_applied_with_one_info_line(tmp_path, caplog):
    tuned, here = "llvm -mcpu=skylake-avx512", "llvm -mcpu=znver4"
    tasks = [_matmul_task(8, tuned), _matmul_task(16, tuned)]
    log = tmp_path / "log.json"
    auto_scheduler.save_records(str(log), *zip(*[_record(t, 2, 1e-3) for t in tasks]))
    with caplog.at_level(logging.INFO, logger="auto_scheduler"):
        ctx = auto_scheduler.ApplyHistoryBest(str(log))
        for task in tasks + tasks:
            assert ctx.query(here, task.workload_key, True, task.compute_dag, "f") is not None
    noted = [r.getMessage() for r in caplog.records if "compatible target" in r.getMessage()]
    assert len(noted) == 1 and "skylake-avx512" in noted[0] and "znver4" in noted[0]
    # another target kind is not a match
    assert ctx.query("c", tasks[0].workload_key, True, tasks[0].compute_dag, "f") is None
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="auto_scheduler"):
        inp, _ = auto_scheduler.load_best_record(str(log), tasks[0].workload_key, here)
    assert "skylake-avx512" in str(inp.task.target)
    assert any("compatible target" in r.getMessage() for r in caplog.records)
    assert auto_scheduler.load_best_record(str(log), tasks[0].workload_key, "c") is None


def test_an_exact_target_record_wins_over_a_faster_compatible_one(tmp_path):
    task_here, task_other = _matmul_task(8, "llvm -mcpu=znver4"), _matmul_task(8, "llvm -mcpu=skylake-avx512")
    log = tmp_path / "log.json"
    auto_scheduler.save_records(str(log), *zip(_record(task_other, 2, 1e-6), _record(task_here, 4, 1e-3)))
    _, res = auto_scheduler.load_best_record(str(log), task_here.workload_key, "llvm -mcpu=znver4")
    assert res.costs == [1e-3]
    ctx = auto_scheduler.ApplyHistoryBest(str(log))
    state = ctx.query("llvm -mcpu=znver4", task_here.workload_key, True, task_here.compute_dag, "f")
    assert "4" in str(state) and ctx.record_source("llvm -mcpu=znver4", task_here.workload_key).endswith("log.json:2")


def test_autotvm_records_of_another_cpu_are_applied_with_one_info_line(caplog):
    task = autotvm.task.create("test_record/add", args=(16, "float32"), target="llvm -mcpu=skylake-avx512")
    pairs = [(TvmInput(task.target, task, task.config_space.get(i)), TvmResult((c,), 0, 0.1, 1.7e9))
             for i, c in ((1, 2e-6), (2, 1e-6))]
    ctx = autotvm.apply_history_best(pairs)
    here = tvm.target.Target("llvm -mcpu=znver4")
    with caplog.at_level(logging.INFO, logger="autotvm"):
        assert ctx.query(here, task.workload).index == 2
        assert ctx.query(here, task.workload).index == 2
    noted = [r.getMessage() for r in caplog.records if "compatible target" in r.getMessage()]
    assert len(noted) == 1 and "znver4" in noted[0]
    assert ctx._query_inside(tvm.target.Target("c"), task.workload) is None  # pylint: disable=protected-access


def test_resume_counts_only_records_of_the_exact_target(tmp_path, caplog):
    """A record of another -mcpu is applied by ApplyHistoryBest, but a resumed
    search does not count it as measured here (it was timed on other hardware)."""
    here = _matmul_task(target="llvm -mcpu=znver4")
    there = _matmul_task(target="llvm -mcpu=skylake-avx512")
    log = tmp_path / "log.json"
    log.write_text("\n".join([_line(here, 4, 1e-3), _line(there, 2, 5e-4), _line(here, 8, 2e-3)]) + "\n")
    with caplog.at_level(logging.INFO, logger="auto_scheduler"):
        inputs, results = auto_scheduler.PreloadMeasuredStates(str(log)).matching_records(here)
    assert [r.mean_cost() for r in results] == [1e-3, 2e-3]
    assert all(inp.task is here for inp in inputs)
    assert any("1 records of this workload were measured for another target" in r.getMessage()
               for r in caplog.records)
