"""apps/tune_network.py end to end on the mlp, without a tuning run: a log with a
record for every task (empty traces: valid states) is applied, the tuned build is
checked against the untuned one by the app itself, and both latencies are printed."""
import os
import sys
import time

import pytest

from tvm import auto_scheduler
from tvm.auto_scheduler.measure import MeasureInput, MeasureResult

APPS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "apps")
sys.path.insert(0, os.path.abspath(APPS))
import tune_network  # noqa: E402  pylint: disable=wrong-import-position


def test_app_applies_a_log_and_compares(tmp_path, capsys):
    mod, params, _ = tune_network.get_network("mlp", 1, "NHWC")
    tasks, _ = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    log = tmp_path / "mlp.json"
    auto_scheduler.save_records(
        str(log),
        [MeasureInput(t, None) for t in tasks],
        [MeasureResult([1e-3], 0, None, 0.1, time.time()) for _ in tasks],
    )
    code = tune_network.main(
        ["--network", "mlp", "--trials", "0", "--log-file", str(log), "--repeat", "2"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert f"extracted {len(tasks)} tasks" in out
    assert "tuned output equals the untuned build's" in out
    assert "untuned" in out and "speed-up" in out


def test_app_rejects_unknown_network():
    with pytest.raises(SystemExit):
        tune_network.main(["--network", "alexnet"])


def test_search_log_leaves_out_the_baselines(tmp_path):
    mod, params, _ = tune_network.get_network("mlp", 1, "NHWC")
    tasks, _ = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    log = tmp_path / "mlp.json"
    inputs = [MeasureInput(t, t.baseline_state) for t in tasks] + [MeasureInput(tasks[0], None)]
    results = [MeasureResult([1e-3], 0, None, 0.1, time.time()) for _ in inputs]
    auto_scheduler.save_records(str(log), inputs, results)
    path = tune_network.search_log(str(log), tasks)
    kept = list(auto_scheduler.load_records(path))
    assert len(kept) == 1 and kept[0][0].task.workload_key == tasks[0].workload_key
    # the full log, baselines included, is what ApplyHistoryBest reads
    assert len(list(auto_scheduler.load_records(str(log)))) == len(tasks) + 1


def test_smoke_budgets_get_the_small_search():
    """A few trials per task use a small evolutionary search; real budgets the default."""
    small = tune_network.search_params(48, 24)
    assert small == {"evolutionary_search_population": 128, "evolutionary_search_num_iters": 2}
    assert tune_network.search_params(16 * 24, 24) is None
    assert tune_network.search_params(20000, 24) is None
    assert tune_network.search_params(10, 0) == small  # no task: nothing to search anyway


def test_interleaved_timing_gives_each_runner_its_own_median():
    calls = []

    def runner(name, seconds):
        def run():
            calls.append(name)
            time.sleep(seconds)
        return run

    fast_ms, slow_ms = tune_network.interleaved_median_ms(
        [runner("fast", 0.001), runner("slow", 0.02)], rounds=3, runs_per_round=2, pause_s=0)
    assert 1 <= fast_ms < 10 and 20 <= slow_ms < 40
    # 3 rounds x (1 untimed + 2 timed) runs each, in rotating order
    assert calls.count("fast") == calls.count("slow") == 9
    assert calls[:3] == ["fast"] * 3 and calls[3:9] == ["slow"] * 6  # round 2 starts with "slow"
