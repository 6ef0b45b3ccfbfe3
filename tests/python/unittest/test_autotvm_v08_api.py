"""AutoTVM pieces of TVM 0.8's public API: the pickle record protocol, the
record database's filter, runner executors with fixed inputs, range-limited
random search and transfer learning of the XGBoost cost model."""
import base64
import concurrent.futures
import pickle

import numpy as np
import pytest

from tvm import autotvm
from tvm.autotvm import database, record
from tvm.autotvm.measure import MeasureInput, MeasureResult
from tvm.autotvm.tuner.xgboost_cost_model import XGBoostCostModel
from tvm.testing.autotvm import get_sample_task


def _records(task, target, costs):
    return [
        (MeasureInput(target, task, task.config_space.get(i)), MeasureResult((c,), 0, 0.5, 100.0 + i))
        for i, c in enumerate(costs)
    ]


def test_pickle_protocol_round_trip_and_rejects_objects():
    task, target = get_sample_task(32)
    inp = MeasureInput(target, task, task.config_space.get(5))
    res = MeasureResult((1.5e-4, 1.25e-4), 0, 0.75, 1234.5)
    line = record.encode(inp, res, protocol="pickle")
    assert "\n" not in line and "$" not in line
    inp2, res2 = record.decode(line, protocol="pickle")
    assert record.measure_str_key(inp2) == record.measure_str_key(inp)
    assert res2 == res
    # the JSON and pickle forms decode to the same record
    inp3, res3 = record.decode(record.encode(inp, res), protocol="json")
    assert record.measure_str_key(inp3) == record.measure_str_key(inp2) and res3 == res2
    evil = base64.b64encode(pickle.dumps(ValueError("x"))).decode()
    with pytest.raises(ValueError, match="malformed"):
        record.decode(evil, protocol="pickle")
    with pytest.raises(ValueError, match="protocol"):
        record.encode(inp, res, protocol="yaml")


def test_database_filter_load_and_filter_inputs():
    task, target = get_sample_task(32)
    recs = _records(task, target, [4.0, 1.0, 3.0, 2.0])
    db = database.DummyDatabase()
    for inp, res in recs:
        db.save(inp, res)
    # a second, slower measurement of config 1 and an error for config 3
    db.save(recs[1][0], MeasureResult((9.0,), 0, 0.5, 500.0), extend=True)
    db.save(recs[3][0], MeasureResult(("boom",), 4, 0.5, 600.0), extend=True)
    fast = db.filter(lambda inp, results: any(r.error_no == 0 and r.costs[0] <= 2.0 for r in results))
    assert sorted(inp.config.index for inp, _ in fast) == [1, 3]
    assert {inp.config.index: res.costs[0] for inp, res in fast} == {1: 1.0, 3: 2.0}
    failed = db.filter(lambda inp, results: any(r.error_no != 0 for r in results))
    assert [inp.config.index for inp, _ in failed] == [3]
    assert [r.timestamp for r in db.load(recs[1][0], get_all=True)] == [101.0, 500.0]
    # equal costs: the latest measurement is returned, as 0.8
    db.save(recs[0][0], MeasureResult((4.0,), 0, 0.5, 700.0), extend=True)
    assert db.load(recs[0][0]).timestamp == 700.0
    new = MeasureInput(target, task, task.config_space.get(7))
    partial, unsaved = database.filter_inputs(db, [recs[2][0], new, recs[3][0]])
    assert [p.costs[0] if p else None for p in partial] == [3.0, None, 2.0]
    assert unsaved == [new]
    _, unsaved = database.filter_inputs(db, [recs[3][0]], retry=False)
    assert unsaved == []


def test_random_tuner_visits_exactly_its_range():
    task, _ = get_sample_task(32)
    tuner = autotvm.tuner.RandomTuner(task, range_idx=(10, 19))
    seen = []
    while tuner.has_next():
        seen += [c.index for c in tuner.next_batch(3)]
    assert sorted(seen) == list(range(10, 20))
    assert tuner.visited == set(range(10, 20))


def test_runner_executor_times_on_ref_input():
    task, target = get_sample_task(32)
    inputs = [MeasureInput(target, task, task.config_space.get(i)) for i in (0, 3)]
    builder = autotvm.LocalBuilder(n_parallel=1)
    runner = autotvm.LocalRunner(number=2, repeat=2, cooldown_interval=0)
    builder.set_task(task, runner.get_build_kwargs())
    rng = np.random.default_rng(1)
    runner.ref_input = [rng.random((32, 32), dtype=np.float32) for _ in range(3)]
    calls = []

    class ThreadExecutor(autotvm.measure.executor.Executor):
        def __init__(self):
            self.pool = concurrent.futures.ThreadPoolExecutor(1)

        def submit(self, func, *args, **kwargs):
            calls.append(func.__name__)
            return self.pool.submit(func, *args, **kwargs)

    runner.executor = ThreadExecutor()
    results = runner.run(inputs, builder.build(inputs))
    assert calls == ["run_local", "run_local"]
    assert [r.error_no for r in results] == [0, 0]
    assert all(len(r.costs) == 2 and 0 < min(r.costs) < 1 for r in results)
    # arrays of the wrong shape make the run fail with an error result, not an exception
    runner.ref_input = [np.zeros((3, 3), "float32")] * 3
    bad = runner.run(inputs[:1], builder.build(inputs[:1]))
    assert bad[0].error_no != 0


def _spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def test_xgboost_transfer_learning_predicts_the_history_ranking():
    task, target = get_sample_task(32)
    n = len(task.config_space)
    # a synthetic history: config i takes (1 + knob-dependent) seconds
    truth = np.array([1.0 + (i % 6) + 0.5 * (i // 6) for i in range(n)])
    history = _records(task, target, truth)
    base = XGBoostCostModel(task, feature_type="knob", loss_type="rank")
    assert not base.fit_log(history, plan_size=8, min_seed_records=n + 1)
    assert base.fit_log(history, plan_size=8, min_seed_records=n)
    speed = 1.0 / truth
    assert _spearman(base.predict(np.arange(n)), speed) > 0.9

    upper = XGBoostCostModel(task, feature_type="knob", loss_type="rank")
    upper.load_basemodel(base)
    assert upper.base_model is base and base.upper_model is upper
    few = [0, 7, 20]  # three own measurements only
    upper.fit(few, speed[few], plan_size=8)
    assert _spearman(upper.predict(np.arange(n)), speed) > 0.8

    tuner = autotvm.tuner.XGBTuner(task, plan_size=8, feature_type="knob")
    tuner.load_history(history, min_seed_records=n)
    assert tuner.cost_model.base_model is not None
    # the base model's picks are the fastest configs of the history
    picked = list(tuner.trials)[:4]
    assert np.mean(speed[picked]) > np.mean(speed)
    tuner2 = autotvm.tuner.XGBTuner(task, plan_size=8, feature_type="knob")
    tuner2.load_history(history, min_seed_records=n + 1)
    assert tuner2.cost_model.base_model is None and not tuner2.trials


def test_bad_matmul_is_wrong_only_on_a_bad_device():
    """tvm.testing.autotvm.bad_matmul (0.8): the matmul on llvm, one reduction
    element short on a target whose keys hold "bad_device"."""
    import tvm.testing.autotvm  # noqa: F401  (registers the templates)
    from tvm import autotvm

    rng = np.random.default_rng(0)
    a = rng.uniform(size=(8, 6)).astype("float32")
    b = rng.uniform(size=(6, 4)).astype("float32")
    for target, want in (("llvm", a @ b), ("llvm -keys=bad_device,cpu", a[:, :5] @ b[:5])):
        target = tvm.target.Target(target)
        task = autotvm.task.create("testing/bad_matmul", args=(8, 6, 4, "float32"), target=target)
        with target:
            sch, args = task.instantiate(task.config_space.get(0))
        lib = tvm.build(sch.mod, target="llvm")
        out = tvm.runtime.tensor(np.zeros((8, 4), "float32"))
        lib(tvm.runtime.tensor(a), tvm.runtime.tensor(b), out)
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-5)
        assert len(args) == 3
