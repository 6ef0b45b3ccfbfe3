"""Tuners: each searches a small matmul template, measures distinct valid configs."""
import numpy as np
import pytest

import tvm
from tvm import autotvm, te
from tvm.autotvm import record
from tvm.autotvm.tuner.feature import get_itervar_feature


@autotvm.template("test_tuner/matmul")
def matmul(n, l, m):
    a = te.placeholder((n, l), name="A")
    b = te.placeholder((l, m), name="B")
    k = te.reduce_axis((0, l), name="k")
    c = te.compute((n, m), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    cfg = autotvm.get_config()
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b, c]))
    i, j, kk = sch.get_loops(sch.get_sblock("C"))
    cfg.define_split("tile_y", n, num_outputs=2)
    cfg.define_split("tile_x", m, num_outputs=2)
    cfg.define_annotate("ann", [cfg.axis(1)], "try_vec")
    yo, yi = cfg["tile_y"].apply(sch, i)
    xo, xi = cfg["tile_x"].apply(sch, j)
    sch.reorder(yo, xo, kk, yi, xi)
    cfg["ann"].apply(sch, [xi])
    return sch, [a, b, c]


@pytest.fixture(scope="module", name="option")
def fixture_option():
    return autotvm.measure_option(
        builder=autotvm.LocalBuilder(n_parallel=2),
        runner=autotvm.LocalRunner(number=2, repeat=1, check_correctness=True, cooldown_interval=0),
    )


@pytest.fixture(name="task")
def fixture_task():
    return autotvm.task.create("test_tuner/matmul", args=(32, 16, 32), target="llvm")


def _tune(tuner, option, n_trial, log):
    tuner.tune(n_trial=n_trial, measure_option=option,
               callbacks=[autotvm.callback.log_to_file(str(log)),
                          autotvm.callback.progress_bar(n_trial, prefix="[test] ")])
    return list(record.load_from_file(str(log)))


@pytest.mark.parametrize("name", ["RandomTuner", "GridSearchTuner", "GATuner", "XGBTuner"])
def test_tuner_measures_distinct_valid_configs(name, task, option, tmp_path):
    assert len(task.config_space) == 6 * 6 * 2
    kwargs = {"GATuner": {"pop_size": 4}, "XGBTuner": {"plan_size": 4}}.get(name, {})
    tuner = getattr(autotvm.tuner, name)(task, **kwargs)
    records = _tune(tuner, option, 10, tmp_path / "log")
    indices = [inp.config.index for inp, _ in records]
    assert len(records) == 10 and len(set(indices)) == 10
    # check_correctness: every candidate matched the unscheduled compute
    assert all(res.error_no == 0 for _, res in records)
    if name == "GridSearchTuner":
        assert indices == list(range(10))
    best_flops = max(task.flop / np.mean(r.costs) for _, r in records)
    assert tuner.best_flops == pytest.approx(best_flops)
    assert tuner.best_config.index in indices
    if name == "XGBTuner":
        assert tuner.train_ct >= 1  # the model was fitted and proposed configs


def test_xgb_knob_features_and_early_stopping(task, option, tmp_path):
    tuner = autotvm.tuner.XGBTuner(task, plan_size=4, feature_type="knob", loss_type="reg")
    tuner.tune(n_trial=40, measure_option=option, early_stopping=4)
    assert tuner.best_iter + 4 <= len(tuner.visited) <= tuner.best_iter + 4 + 2
    assert len(tuner.xs) == len(tuner.visited)


def test_itervar_feature_sees_the_schedule(task):
    # vectorised vs not: same tiles, different annotation of the innermost loop
    space = task.config_space
    plain = next(c for c in (space.get(i) for i in range(len(space))) if c["ann"].anns == ["none"])
    vec_index = space.knob2point([space.point2knob(plain.index)[0], space.point2knob(plain.index)[1], 1])
    vec = space.get(vec_index)
    assert vec["ann"].anns == ["vec"]
    f_plain = get_itervar_feature(task, plain)
    f_vec = get_itervar_feature(task, vec)
    assert f_plain.shape == f_vec.shape and not np.array_equal(f_plain, f_vec)
