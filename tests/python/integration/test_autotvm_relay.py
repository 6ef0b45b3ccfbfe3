"""Relay-level AutoTVM: extract conv2d tasks, tune them, build with the log.

Acceptance test of the AutoTVM issue: tune the conv2d tasks of a small network
with XGBTuner and LocalRunner; building under ``apply_history_best(log)``
selects exactly the best config of each workload, and the outputs equal the
reference interpreter's.
"""
import numpy as np
import pytest

import tvm
from tvm import autotvm, relay
from tvm.autotvm import record
from tvm.contrib import graph_executor

TARGET = "llvm"


def _network():
    data = relay.var("data", shape=(1, 3, 12, 12))
    w1 = relay.var("w1", shape=(8, 3, 3, 3))
    w2 = relay.var("w2", shape=(8, 8, 3, 3))
    w3 = relay.var("w3", shape=(16, 8, 1, 1))
    y = relay.nn.relu(relay.nn.conv2d(data, w1, padding=(1, 1), channels=8, kernel_size=(3, 3)))
    y = relay.nn.relu(relay.nn.conv2d(y, w2, padding=(1, 1), channels=8, kernel_size=(3, 3)))
    y = relay.nn.conv2d(y, w3, strides=(2, 2), channels=16, kernel_size=(1, 1))
    func = relay.Function(relay.analysis.free_vars(y), y)
    rng = np.random.default_rng(0)
    params = {
        "w1": rng.uniform(-1, 1, (8, 3, 3, 3)).astype("float32"),
        "w2": rng.uniform(-1, 1, (8, 8, 3, 3)).astype("float32"),
        "w3": rng.uniform(-1, 1, (16, 8, 1, 1)).astype("float32"),
    }
    return tvm.IRModule.from_expr(func), params


@pytest.fixture(name="wired")
def fixture_wired():
    """The registered x86 strategy reaches the AutoTVM templates."""
    mod, params = _network()
    tasks = autotvm.task.extract_from_program(mod, params, TARGET, ops=[relay.op.get("nn.conv2d")])
    assert tasks and all(t.name == "conv2d_nchw.x86" for t in tasks)
    yield "registered"


class RecordingHistoryBest(autotvm.ApplyHistoryBest):
    """ApplyHistoryBest remembering the config it answered for each workload."""

    def __init__(self, records):
        super().__init__(records)
        self.answers = {}

    def _query_inside(self, target, workload):
        cfg = super()._query_inside(target, workload)
        if cfg is not None:
            self.answers[workload] = cfg
        return cfg


@pytest.mark.slow  # tunes three tasks: about a minute here
def test_tune_conv2d_tasks_and_build_with_history_best(wired, tmp_path):
    mod, params = _network()
    tasks = autotvm.task.extract_from_program(mod, params, TARGET, ops=[relay.op.get("nn.conv2d")])
    assert [t.name for t in tasks] == ["conv2d_nchw.x86"] * 3, wired
    assert len({t.workload for t in tasks}) == 3
    assert [t.args[0] for t in tasks] == [("TENSOR", (1, 3, 12, 12), "float32"),
                                          ("TENSOR", (1, 8, 12, 12), "float32"),
                                          ("TENSOR", (1, 8, 12, 12), "float32")]
    assert tasks[0].flop == 2 * 8 * 12 * 12 * 3 * 9
    log = str(tmp_path / "conv.log")
    option = autotvm.measure_option(builder=autotvm.LocalBuilder(n_parallel=2),
                                    runner=autotvm.LocalRunner(number=2, repeat=2,
                                                               check_correctness=True))
    for task in tasks:
        tuner = autotvm.tuner.XGBTuner(task, plan_size=4)
        tuner.tune(n_trial=8, measure_option=option,
                   callbacks=[autotvm.callback.log_to_file(log)])

    # the best record of each workload, computed from the log independently
    best = {}
    for inp, res in record.load_from_file(log):
        assert res.error_no == 0, res.costs  # check_correctness held for every candidate
        cost = np.mean(res.costs)
        if inp.task.workload not in best or cost < best[inp.task.workload][0]:
            best[inp.task.workload] = (cost, inp.config.index)
    assert set(best) == {t.workload for t in tasks}

    data = np.random.default_rng(1).uniform(-1, 1, (1, 3, 12, 12)).astype("float32")
    ref = relay.create_executor("debug", mod=mod, device=tvm.cpu(), target=TARGET).evaluate()(
        data, **params).numpy()

    ctx = RecordingHistoryBest(log)
    with ctx:
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target=TARGET, params=params)
    chosen = {wkl: cfg.index for wkl, cfg in ctx.answers.items()}
    assert chosen == {wkl: index for wkl, (_, index) in best.items()}

    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), ref, rtol=1e-4, atol=1e-4)

    # without the log the same build uses fallback configs and agrees too
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target=TARGET, params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), ref, rtol=1e-4, atol=1e-4)


def test_extract_filters_by_op_and_records_no_warning(wired, caplog):
    mod, params = _network()
    with caplog.at_level("WARNING", logger="autotvm"):
        conv = autotvm.task.extract_from_program(mod, params, TARGET, ops=[relay.op.get("nn.conv2d")])
        every = autotvm.task.extract_from_program(mod["main"], params, TARGET)
        dense = autotvm.task.extract_from_program(mod, params, TARGET, ops=[relay.op.get("nn.dense")])
    assert len(conv) == 3, wired
    assert [t.workload for t in every] == [t.workload for t in conv]
    assert dense == []
    # extraction lowers with fallback configs silently
    assert not [r for r in caplog.records if "Cannot find config" in r.message]
    # each task's space is the template's: tile_oc x tile_oh x tile_ow x unroll_kw (x inline_pad)
    space = conv[0].config_space
    assert list(space.space_map) == ["tile_oc", "tile_oh", "tile_ow", "unroll_kw", "inline_pad"]
    assert list(conv[2].config_space.space_map) == ["tile_oc", "tile_oh", "tile_ow", "unroll_kw"]
