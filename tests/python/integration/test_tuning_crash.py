"""A tuning run SIGKILLed at random moments, again and again, loses no record and re-measures nothing.

A tiny auto-scheduler run (a small matmul, the local builder and runner,
``RecordToFile``) is started in a subprocess and killed at seeded random moments
several times in a row; each new run resumes from the log
(``PreloadMeasuredStates``). After every kill, every line that was complete
before is still there and parses; at the end no candidate appears twice in the
log (same workload, target and state, or the same scheduled program).
"""
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import tvm
from tvm import auto_scheduler, te

pytestmark = pytest.mark.slow

TARGET = "llvm -num-cores=1"
N = 32
KILLS = 3


@auto_scheduler.register_workload
def crash_matmul(n):
    """The workload tuned (the subprocess registers the same function)."""
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return [A, B, C]


_RUN = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, %(here)r)
    from tvm import auto_scheduler
    from test_tuning_crash import crash_matmul

    log, seed, trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    task = auto_scheduler.SearchTask(func=crash_matmul, args=(%(n)d,), target=%(target)r)
    callbacks = [auto_scheduler.PreloadMeasuredStates(log)] if os.path.exists(log) else []
    params = {"sample_init_min_population": 8, "evolutionary_search_population": 16,
              "evolutionary_search_num_iters": 1}
    policy = auto_scheduler.SketchPolicy(task, auto_scheduler.RandomModel(), params=params, seed=seed,
                                         verbose=0, init_search_callbacks=callbacks)
    opt = auto_scheduler.TuningOptions(
        num_measure_trials=trials, num_measures_per_round=2, verbose=0,
        builder=auto_scheduler.LocalBuilder(timeout=30, n_parallel=1),
        runner=auto_scheduler.LocalRunner(number=1, repeat=1, min_repeat_ms=0, timeout=30),
        measure_callbacks=[auto_scheduler.RecordToFile(log)])
    print("TUNING", flush=True)
    task.tune(opt, search_policy=policy)
    print("DONE", flush=True)
""") % {"n": N, "target": TARGET, "here": os.path.dirname(os.path.abspath(__file__))}


def _complete_lines(path):
    if not os.path.exists(path):
        return []
    text = open(path, encoding="utf-8").read()
    return text.split("\n")[:-1]  # what follows the last newline is not a complete line


def _start(log, seed, trials):
    return subprocess.Popen([sys.executable, "-c", _RUN, log, str(seed), str(trials)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_sigkilled_tuning_resumes_without_loss_or_re_measuring(tmp_path):
    rng = random.Random(20240607)
    log = str(tmp_path / "log.json")
    known, cut_lines = [], 0
    deadline = time.time() + 75
    for round_no in range(KILLS):
        before = _complete_lines(log)
        proc = _start(log, 100 + round_no, 200)
        assert proc.stdout.readline().strip() == "TUNING"
        # killed at a random moment once the run has measured something new
        while len(_complete_lines(log)) == len(before) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 2.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        after = _complete_lines(log)
        print(f"kill {round_no}: {len(after)} lines", flush=True)
        assert after[: len(before)] == before, "a complete line changed or vanished"
        for line in after[len(before):]:
            try:
                auto_scheduler.measure_record.load_record_from_string(line)
            except ValueError:
                cut_lines += 1  # a line cut by an earlier kill, ended by the resumed writer
        known = after
        if time.time() > deadline - 20:  # a loaded machine: fewer kills, same checks
            break
    # a last run completes a few more trials from where the killed ones stopped
    proc = _start(log, 999, 2)
    out, _ = proc.communicate(timeout=max(10, deadline + 60 - time.time()))
    assert "DONE" in out
    final = _complete_lines(log)
    assert final[: len(known)] == known
    assert cut_lines <= KILLS
    records = list(auto_scheduler.load_records(log))
    assert len(records) == len(final) - cut_lines
    assert len(records) >= KILLS + 2
    keys = [(inp.task.workload_key, str(inp.task.target), json.loads(line)["i"][1])
            for (inp, _), line in zip(records, [l for l in final if _parses(l)])]
    assert len(set(keys)) == len(keys), "a recorded candidate was measured again"
    task = records[0][0].task
    hashes = {tvm.ir.structural_hash(task.compute_dag.apply_steps_from_state(inp.state)[0].mod)
              for inp, _ in records}
    assert len(hashes) == len(records), "a recorded program was measured again"


def _parses(line):
    try:
        auto_scheduler.measure_record.load_record_from_string(line)
    except ValueError:
        return False
    return True
