"""apps/tune_network.py end to end on the mlp, without a tuning run: a log with a
record for every task (empty traces: valid states) is applied, the tuned build is
checked against the untuned one by the app itself, and both latencies are printed."""
import os
import sys
import time

import pytest

from tvm import auto_scheduler
from tvm.auto_scheduler.measure import MeasureInput, MeasureResult
from tvm.contrib.interleaved_timing import interleaved_median_ms

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


def test_app_tunes_with_the_schedulers_baselines(tmp_path, monkeypatch, capsys):
    """The app leaves the TOPI baselines to TaskScheduler(measure_baselines=True)."""
    seen = {}

    class RecordingScheduler:  # stands in for the TaskScheduler: no tuning run
        def __init__(self, tasks, task_weights, **kwargs):
            seen.update(kwargs, tasks=tasks, weights=task_weights)
            self.ct = 0

        def tune(self, options, **kwargs):
            seen.update(options=options, tune_kwargs=kwargs)

    monkeypatch.setattr(auto_scheduler, "TaskScheduler", RecordingScheduler)
    log = tmp_path / "mlp.json"
    code = tune_network.main(["--network", "mlp", "--trials", "8", "--log-file", str(log), "--repeat", "1"])
    assert code == 0
    assert seen["measure_baselines"] is True
    assert seen["load_log_file"] is None  # no log yet: nothing to resume
    assert seen["tasks"] and all(t.baseline_state is not None for t in seen["tasks"])
    options = seen["options"]
    assert options.num_measure_trials == 8  # --trials: baselines included
    assert [cb.filename for cb in options.measure_callbacks] == [str(log)]
    assert "no log" in capsys.readouterr().out


def test_the_search_size_follows_the_time_per_task():
    """A few minutes per task use a small evolutionary search; larger budgets 256 programs."""
    small = tune_network.search_params(60)
    assert small == {"evolutionary_search_population": 128, "evolutionary_search_num_iters": 2}
    assert tune_network.search_params(tune_network.LARGE_SEARCH_SECONDS_PER_TASK) == {
        "evolutionary_search_population": 256, "evolutionary_search_num_iters": 3}


def test_the_default_budget_is_minutes_and_seed_logs_reach_the_scheduler(tmp_path, monkeypatch):
    seen = {}

    class RecordingScheduler:  # stands in for the TaskScheduler: no tuning run
        def __init__(self, tasks, task_weights, **kwargs):
            seen.update(kwargs)
            self.ct = 0

        def tune(self, options, **kwargs):
            seen.update(options=options)

    monkeypatch.setattr(auto_scheduler, "TaskScheduler", RecordingScheduler)
    seed = tmp_path / "other.json"
    seed.write_text("")
    code = tune_network.main(["--network", "mlp", "--log-file", str(tmp_path / "mlp.json"), "--repeat", "1",
                              "--seed-log", str(seed)])
    assert code == 0
    assert seen["seed_logs"] == [str(seed)]
    assert seen["options"].time_budget == tune_network.DEFAULT_MINUTES * 60
    assert seen["options"].num_measure_trials >= auto_scheduler.task_scheduler.UNLIMITED_TRIALS
    with pytest.raises(SystemExit):
        tune_network.main(["--network", "mlp", "--seed-log", str(tmp_path / "missing.json")])


def test_interleaved_timing_gives_each_runner_its_own_median():
    """The app and bench/ share tvm.contrib.interleaved_timing."""
    assert tune_network.interleaved_median_ms is interleaved_median_ms
    calls = []

    def runner(name, seconds):
        def run():
            calls.append(name)
            time.sleep(seconds)
        return run

    fast_ms, slow_ms = interleaved_median_ms(
        [runner("fast", 0.001), runner("slow", 0.02)], rounds=3, runs_per_round=2, pause_s=0)
    assert 1 <= fast_ms < 10 and 20 <= slow_ms < 40
    # 3 rounds x (1 untimed + 2 timed) runs each, in rotating order
    assert calls.count("fast") == calls.count("slow") == 9
    assert calls[:3] == ["fast"] * 3 and calls[3:9] == ["slow"] * 6  # round 2 starts with "slow"
