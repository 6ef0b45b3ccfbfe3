"""Measurement: local builder/runner, faults become error records, logs survive a kill."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import tvm
from tvm import autotvm, te
from tvm.autotvm import record
from tvm.autotvm.measure import MeasureErrorNo

N = 64
MODES = ["ok", "instantiate", "compile", "crash", "hang", "wrong", "ok_again"]


@autotvm.template("test_measure/faulty")
def faulty(n):
    """``B = 2 * A``, or one of several deliberate faults chosen by a knob."""
    cfg = autotvm.get_config()
    cfg.define_knob("mode", MODES)
    mode = cfg["mode"].val
    a = te.placeholder((n,), name="A")
    if mode == "instantiate":
        cfg.raise_error("this config is rejected by the template")
    if mode == "compile":  # no such LLVM intrinsic signature: codegen fails
        b = te.compute((n,), lambda i: tvm.tirx.call_llvm_pure_intrin("int32", "llvm.sqrt", a[i]),
                       name="B")
        b = te.compute((n,), lambda i: b[i].astype("float32"), name="C")
    elif mode == "crash":  # reads far outside the buffer: SIGSEGV
        far = tvm.tirx.const(1 << 42, "int64")
        b = te.compute((n,), lambda i: a[i.astype("int64") + far] * 2.0, name="B")
    elif mode == "hang":  # 2**40 iterations
        k = te.reduce_axis((0, tvm.tirx.const(1 << 40, "int64")), name="k")
        b = te.compute((n,), lambda i: te.sum(a[(k + i) % n], axis=k), name="B")
    elif mode == "wrong":
        b = te.compute((n,), lambda i: a[i] * 2.0 + 1.0, name="B")
    elif mode == "ok_again":
        b = te.compute((n,), lambda i: a[i] + a[i], name="B")
    else:
        b = te.compute((n,), lambda i: a[i] * 2.0, name="B")
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b]))
    return sch, [a, b]


@pytest.fixture(scope="module", name="option")
def fixture_option():
    return autotvm.measure_option(
        builder=autotvm.LocalBuilder(timeout=30, n_parallel=2),
        runner=autotvm.LocalRunner(number=2, repeat=2, timeout=4, check_correctness=True),
    )


@pytest.mark.slow  # 15-60 s: two worker restarts (crash, hang) and a 4 s run timeout
def test_faulty_candidates_become_error_records_and_tuning_continues(tmp_path, option):
    task = autotvm.task.create("test_measure/faulty", args=(N,), target="llvm")
    assert len(task.config_space) == len(MODES)
    log = tmp_path / "faults.log"
    tuner = autotvm.tuner.GridSearchTuner(task)
    tuner.tune(n_trial=len(MODES), measure_option=option,
               callbacks=[autotvm.callback.log_to_file(str(log))])
    errors = {inp.config["mode"].val: res for inp, res in record.load_from_file(str(log))}
    assert set(errors) == set(MODES)
    expected = {
        "ok": MeasureErrorNo.NO_ERROR,
        "instantiate": MeasureErrorNo.INSTANTIATION_ERROR,
        "compile": MeasureErrorNo.COMPILE_HOST,
        "crash": MeasureErrorNo.RUNTIME_DEVICE,
        "hang": MeasureErrorNo.RUN_TIMEOUT,
        "wrong": MeasureErrorNo.WRONG_ANSWER,
        "ok_again": MeasureErrorNo.NO_ERROR,
    }
    assert {mode: res.error_no for mode, res in errors.items()} == {k: int(v) for k, v in expected.items()}
    for mode in ("ok", "ok_again"):
        assert all(0 < c < 0.1 for c in errors[mode].costs)
    assert tuner.best_config["mode"].val in ("ok", "ok_again")


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    import tvm
    from tvm import autotvm, te

    @autotvm.template("test_measure/slow_add")
    def slow_add(n):
        cfg = autotvm.get_config()
        cfg.define_split("tile", n, num_outputs=2)
        a = te.placeholder((n,), name="A")
        b = te.compute((n,), lambda i: a[i] + 1.0, name="B")
        sch = tvm.s_tir.Schedule(te.create_prim_func([a, b]))
        cfg["tile"].apply(sch, sch.get_loops(sch.get_sblock("B"))[0])
        return sch, [a, b]

    task = autotvm.task.create("test_measure/slow_add", args=(1 << 12,), target="llvm")
    option = autotvm.measure_option(builder=autotvm.LocalBuilder(n_parallel=1),
                                    runner=autotvm.LocalRunner(number=1, repeat=1,
                                                               cooldown_interval=0.3))
    autotvm.tuner.GridSearchTuner(task).tune(
        n_trial=len(task.config_space), measure_option=option,
        callbacks=[autotvm.callback.log_to_file(sys.argv[1])])
    """
)


def test_killed_tuner_leaves_readable_log(tmp_path, caplog):
    script = tmp_path / "tune.py"
    script.write_text(KILL_SCRIPT)
    log = tmp_path / "killed.log"
    proc = subprocess.Popen([sys.executable, str(script), str(log)], start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if log.exists() and log.read_text().count("\n") >= 3:
                break
            if proc.poll() is not None:
                pytest.fail(f"tuning process exited early with {proc.returncode}")
            time.sleep(0.2)
        else:
            pytest.fail("the tuner wrote fewer than 3 records in 120 s")
        os.killpg(proc.pid, signal.SIGKILL)  # the tuner and its workers
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    lines = log.read_text().splitlines(keepends=True)
    complete = [l for l in lines if l.endswith("\n")]
    assert len(complete) >= 3
    for line in complete:
        json.loads(line)
    # a kill in the middle of a write leaves a truncated last line: skipped with a warning
    with open(log, "a", encoding="utf-8") as fout:
        fout.write(complete[0][:40])
    with caplog.at_level("WARNING", logger="autotvm"):
        loaded = list(record.load_from_file(str(log)))
    assert len(loaded) == len(complete)
    assert all(res.error_no == 0 for _, res in loaded)
    assert any("malformed" in r.message for r in caplog.records)
