"""Templates, tasks, TOPI template registration and dispatch contexts."""
import logging

import numpy as np
import pytest

import tvm
from tvm import autotvm, te
from tvm.autotvm.measure import MeasureInput, MeasureResult
from tvm.autotvm.task import space as sp


@autotvm.template("test_dispatch/matmul")
def matmul(n, l, m, dtype):
    a = te.placeholder((n, l), name="A", dtype=dtype)
    b = te.placeholder((l, m), name="B", dtype=dtype)
    k = te.reduce_axis((0, l), name="k")
    c = te.compute((n, m), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    cfg = autotvm.get_config()
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b, c]))
    i, j, kk = sch.get_loops(sch.get_sblock("C"))
    cfg.define_split("tile_y", n, num_outputs=2)
    cfg.define_split("tile_x", m, num_outputs=2)
    cfg.define_knob("vec", [0, 1])
    yo, yi = cfg["tile_y"].apply(sch, i)
    xo, xi = cfg["tile_x"].apply(sch, j)
    sch.reorder(yo, xo, kk, yi, xi)
    if cfg["vec"].val:
        sch.vectorize(xi)
    return sch, [a, b, c]


@autotvm.register_topi_compute("test_dispatch/scale")
def scale(cfg, data, factor):
    cfg.define_knob("factor_knob", [1, 2])
    out = te.compute(data.shape, lambda *i: data(*i) * factor * cfg["factor_knob"].val, name="scale")
    return out


@autotvm.register_topi_schedule("test_dispatch/scale")
def schedule_scale(cfg, sch, outs):
    cfg.define_knob("factor_knob", [1, 2])
    SEEN.append(cfg)
    return sch


SEEN = []


def _run(sch, arrays):
    lib = tvm.compile(sch.mod, target="llvm")
    tensors = [tvm.runtime.tensor(x) for x in arrays]
    lib["main"](*tensors)
    return [t.numpy() for t in tensors]


def test_create_task_space_flop_and_instantiate():
    task = autotvm.task.create("test_dispatch/matmul", args=(16, 8, 32, "float32"), target="llvm")
    assert task.workload == ("test_dispatch/matmul", 16, 8, 32, "float32")
    assert len(task.config_space) == 5 * 6 * 2
    assert task.flop == 2 * 16 * 8 * 32
    x = np.random.rand(16, 8).astype("float32")
    y = np.random.rand(8, 32).astype("float32")
    for index in (0, 33, len(task.config_space) - 1):
        config = task.config_space.get(index)
        sch, args = task.instantiate(config)
        assert len(args) == 3
        out = _run(sch, [x, y, np.zeros((16, 32), "float32")])[2]
        np.testing.assert_allclose(out, x @ y, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown AutoTVM template"):
        autotvm.task.create("no/such", args=(), target="llvm")


def test_topi_compute_attaches_workload_and_schedule_gets_same_config():
    data = te.placeholder((4, 8), name="data")
    task = autotvm.task.create("test_dispatch/scale", args=(data, 3.0), target="llvm")
    assert task.workload == ("test_dispatch/scale", ("TENSOR", (4, 8), "float32"), 3.0)
    assert len(task.config_space) == 2
    config = task.config_space.get(1)
    SEEN.clear()
    sch, args = task.instantiate(config)
    assert SEEN == [config]
    assert autotvm.task.get_workload(args[-1]) == task.workload
    x = np.random.rand(4, 8).astype("float32")
    out = _run(sch, [x, np.zeros((4, 8), "float32")])[1]
    np.testing.assert_allclose(out, x * 6.0, rtol=1e-6)


def _record(task, index, cost, error_no=0):
    inp = MeasureInput(task.target, task, task.config_space.get(index))
    return inp, MeasureResult((cost,), error_no, 1.0, 0.0)


def test_apply_history_best_picks_lowest_cost_per_workload():
    target = tvm.target.Target("llvm")
    t1 = autotvm.task.create("test_dispatch/matmul", args=(16, 8, 32, "float32"), target=target)
    t2 = autotvm.task.create("test_dispatch/matmul", args=(8, 8, 8, "float32"), target=target)
    records = [_record(t1, 3, 2e-3), _record(t1, 7, 1e-3), _record(t1, 9, 1e-4, error_no=4),
               _record(t2, 5, 5e-3)]
    with autotvm.apply_history_best(records) as ctx:
        assert ctx.query(target, t1.workload).index == 7
        assert ctx.query(target, t1.workload).cost == pytest.approx(1e-3)
        assert ctx.query(target, t2.workload).index == 5
        # any target with the same key ("cpu") gets the tuned config
        other = tvm.target.Target({"kind": "llvm", "mcpu": "haswell"})
        assert ctx.query(other, t2.workload).index == 5
        unknown = ("test_dispatch/matmul", 1, 1, 1, "float32")
        assert ctx.query(target, unknown).is_fallback
        with target:
            sch, _ = matmul(16, 8, 32, "float32")  # the template outside a task
        assert sch is not None


def test_fallback_warns_once_per_workload_and_can_be_silenced(caplog):
    target = tvm.target.Target("llvm")
    ctx = autotvm.FallbackContext()
    workload = ("test_dispatch/warn", 1)
    with caplog.at_level(logging.WARNING, logger="autotvm"):
        first = ctx.query(target, workload)
        second = ctx.query(target, workload)
    assert first is second and first.is_fallback
    assert sum("Cannot find config" in r.message for r in caplog.records) == 1
    caplog.clear()
    autotvm.GLOBAL_SCOPE.silent = True
    try:
        with caplog.at_level(logging.WARNING, logger="autotvm"):
            ctx.query(target, ("test_dispatch/warn", 2))
    finally:
        autotvm.GLOBAL_SCOPE.silent = False
    assert not caplog.records


class _Impl:
    def __init__(self, name, factor):
        self.name = name
        self.factor = factor

    def compute(self, attrs, inputs, out_type):
        return [scale(inputs[0], self.factor)]


def test_select_tuned_implementation_prefers_best_tuned_record():
    target = tvm.target.Target("llvm")
    data = te.placeholder((4, 8), name="data")
    impls = [_Impl("a", 2.0), _Impl("b", 5.0)]
    ta = autotvm.task.create("test_dispatch/scale", args=(data, 2.0), target=target)
    tb = autotvm.task.create("test_dispatch/scale", args=(data, 5.0), target=target)
    with autotvm.apply_history_best([_record(ta, 0, 3e-3), _record(tb, 1, 1e-3)]):
        impl, outs = autotvm.select_tuned_implementation(impls, None, [data], None, target)
    assert impl.name == "b"
    assert autotvm.task.get_workload(outs) == tb.workload
    with autotvm.apply_history_best([_record(ta, 0, 3e-3)]):
        impl, _ = autotvm.select_tuned_implementation(impls, None, [data], None, target)
    assert impl.name == "a"
    assert autotvm.select_tuned_implementation(impls, None, [data], None, target) is None


def test_apply_config_and_fallback_entity_in_templates():
    config = sp.FallbackConfigEntity()
    with autotvm.ApplyConfig(config):
        assert autotvm.get_config() is config
    assert isinstance(autotvm.task.DispatchContext.current, autotvm.FallbackContext)


def test_keyword_arguments_are_part_of_the_workload(tmp_path):
    data = te.placeholder((4, 8), name="data")
    target = tvm.target.Target("llvm")
    task = autotvm.task.create("test_dispatch/scale", args=(data,), target=target,
                               kwargs={"factor": 3.0})
    assert task.workload == ("test_dispatch/scale", ("TENSOR", (4, 8), "float32"),
                             ("KWARGS", ("factor", 3.0)))
    log = tmp_path / "kw.log"
    autotvm.record.save_to_file([_record(task, 1, 1e-6)], str(log))
    (inp, _), = autotvm.record.load_from_file(str(log))
    assert inp.task.workload == task.workload
    with autotvm.apply_history_best(str(log)), target:
        out = scale(data, factor=3.0)  # the compute as a strategy calls it
        SEEN.clear()
        sch = tvm.s_tir.Schedule(te.create_prim_func([data, out]))
        schedule_scale(sch, [out])
    assert autotvm.task.get_workload(out) == task.workload
    assert SEEN[0].index == 1
    x = np.random.rand(4, 8).astype("float32")
    np.testing.assert_allclose(_run(sch, [x, np.zeros((4, 8), "float32")])[1], x * 6.0, rtol=1e-6)
