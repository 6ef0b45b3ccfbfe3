"""autotvm.database (records by measure input) and autotvm.feature (the TE-schedule
functions raise a clear error); the graph tuner is tested in test_autotvm_graph_tuner.py."""
import pytest

import tvm
from tvm import autotvm, te
from tvm.autotvm.measure import MeasureInput, MeasureResult


@autotvm.template("test_v08_modules/add")
def add_template(n):
    a = te.placeholder((n,), name="A")
    b = te.compute((n,), lambda i: a[i] * 2, name="B")
    cfg = autotvm.get_config()
    cfg.define_split("tile", n, num_outputs=2)
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b]))
    (i,) = sch.get_loops(sch.get_sblock("B"))
    cfg["tile"].apply(sch, i)
    return sch, [a, b]


def test_dummy_database_keeps_the_best_valid_result():
    task = autotvm.task.create("test_v08_modules/add", args=(16,), target="llvm")
    db = autotvm.database.DummyDatabase()
    inp = MeasureInput(task.target, task, task.config_space.get(1))
    other = MeasureInput(task.target, task, task.config_space.get(2))
    assert db.load(inp) is None
    db.save(inp, MeasureResult((3e-6,), 0, 0.1, 1.0))
    db.save(inp, MeasureResult((1e-6,), 0, 0.1, 2.0), extend=True)
    db.save(inp, MeasureResult(("boom",), 4, 0.1, 3.0), extend=True)
    db.save(other, MeasureResult((9e-6,), 0, 0.1, 4.0))
    assert db.load(inp).costs == (1e-6,)
    assert [r.timestamp for r in db.load(inp, get_all=True)] == [1.0, 2.0, 3.0]
    db.save(inp, MeasureResult((5e-6,), 0, 0.1, 5.0))  # without extend: replaced
    assert [r.costs for r in db.load(inp, get_all=True)] == [(5e-6,)]
    assert db.load(other).costs == (9e-6,)
    db.flush()
    assert db.load(other) is None


def test_feature_says_why_it_is_unavailable():
    with pytest.raises(NotImplementedError, match="TE schedules"):
        autotvm.feature.get_itervar_feature_flatten(None, [])
    task = autotvm.task.create("test_v08_modules/add", args=(16,), target="llvm")
    feature = autotvm.tuner.feature.get_itervar_feature(task, task.config_space.get(3))
    assert feature is not None and len(feature) > 0


def test_testing_autotvm_sample_task_records_and_dummy_runner():
    import numpy as np

    from tvm.testing.autotvm import DummyRunner, get_sample_records, get_sample_task

    task, target = get_sample_task(32)
    assert len(task.config_space) == 36  # 6 factor splits of 32 per tiled axis
    sch, _ = task.instantiate(task.config_space.get(7))
    lib = tvm.compile(sch.mod, target=target)
    a, b = np.random.rand(32, 32).astype("float32"), np.random.rand(32, 32).astype("float32")
    c = tvm.runtime.empty((32, 32), "float32")
    lib["main"](tvm.runtime.tensor(a), tvm.runtime.tensor(b), c)
    np.testing.assert_allclose(c.numpy(), a @ b, rtol=1e-5)
    records = get_sample_records(4)
    assert [r.costs for _, r in records] == [(1,), (2,), (3,), (4,)]
    results = DummyRunner().run([inp for inp, _ in records], [None] * 4)
    assert len(results) == 4 and all(0 <= r.costs[0] < 1 for r in results)
