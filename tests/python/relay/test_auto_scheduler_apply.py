"""relay.build under auto_scheduler.ApplyHistoryBest: the flag turns itself off,
tuned functions get their recorded schedules, untuned ones fall back to TOPI
(partly tuned models), and foreign, unknown or empty logs fall back with the
documented warning. Records are written with the core's API (an empty trace is
a valid state: the unscheduled function), so no tuning run is needed here."""
import json
import logging
import time

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, relay
from tvm.auto_scheduler.dispatcher import DispatchContext
from tvm.auto_scheduler.measure import MeasureInput, MeasureResult
from tvm.contrib import graph_executor
from tvm.relay import build_module
from tvm.relay.backend.lowering import LoweringKind
from tvm.relay.backend.compile_engine import CompileEngine
import tvm.relay.testing


def _network():
    data = relay.var("data", shape=(1, 4, 8, 8))
    net = relay.testing.layers.conv2d(data=data, channels=8, kernel_size=(3, 3), padding=(1, 1), name="c1")
    net = relay.nn.relu(net)
    net = relay.nn.batch_flatten(net)
    net = relay.nn.dense(net, relay.var("fc_weight"), units=6)
    func = relay.Function(relay.analysis.free_vars(net), net)
    return relay.testing.create_workload(func)


@pytest.fixture(scope="module")
def network():
    mod, params = _network()
    data = np.random.default_rng(0).uniform(-1, 1, (1, 4, 8, 8)).astype("float32")
    expected = relay.create_executor("debug", mod=mod, device=tvm.cpu(), target="llvm").evaluate()(
        data, **params
    ).numpy()
    tasks, _ = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    # the 3x3 convolution (NHWC after the automatic layout choice) in its Winograd
    # and direct variants, and the dense
    assert sorted(t.desc for t in tasks) == ["fused_nn_conv2d_nn_relu"] * 2 + ["fused_nn_dense"]
    return mod, params, data, expected, tasks


def _write_records(path, tasks):
    inputs = [MeasureInput(task, None) for task in tasks]
    results = [MeasureResult([1e-3], 0, None, 0.1, time.time()) for _ in tasks]
    auto_scheduler.save_records(str(path), inputs, results)


def _build_and_check(mod, params, data, expected):
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_relay_build_turns_the_flag_off_under_apply_history_best(network, tmp_path, monkeypatch):
    mod, params, _, _, tasks = network
    seen = []
    original = build_module.BuildModule._build

    def spy(self, mod, target, target_host, params, use_topi_schedule):
        seen.append(use_topi_schedule)
        return original(self, mod, target, target_host, params, use_topi_schedule)

    monkeypatch.setattr(build_module.BuildModule, "_build", spy)
    relay.build(mod, target="llvm", params=params)
    log = tmp_path / "log.json"
    _write_records(log, tasks)
    with auto_scheduler.ApplyHistoryBest(str(log)):
        relay.build(mod, target="llvm", params=params)
    relay.build(mod, target="llvm", params=params)
    assert [mode.use_topi_schedule for mode in seen] == [True, False, True]
    # the mode carries the context it was decided with, and is part of the cache key
    assert seen[1].kind is LoweringKind.APPLY_AUTO_SCHEDULER
    assert isinstance(seen[1].source, auto_scheduler.ApplyHistoryBest)
    assert seen[0] == seen[2] != seen[1]


def test_partly_tuned_model(network, tmp_path):
    mod, params, data, expected, tasks = network
    conv_task = next(t for t in tasks if "conv2d" in t.desc)
    log = tmp_path / "partial.json"
    _write_records(log, [conv_task])
    engine = CompileEngine()
    # opt_level 3 as extract_tasks: the same layout choice, the same workload keys
    with auto_scheduler.ApplyHistoryBest(str(log)), tvm.transform.PassContext(opt_level=3):
        build_module.BuildModule(compile_engine=engine)._build(
            mod, "llvm", None, params, use_topi_schedule=False
        )
    scheduled_by = {value.cached_func.anchor_op: value.cached_func.scheduled_by for _, value in engine.items()}
    assert scheduled_by["nn.conv2d"] == "auto_scheduler"
    assert scheduled_by["nn.dense"] == "topi"
    with auto_scheduler.ApplyHistoryBest(str(log)):
        _build_and_check(mod, params, data, expected)


def _foreign_target_log(path, tasks):
    cuda_tasks = [
        auto_scheduler.SearchTask(workload_key=t.workload_key, compute_dag=t.compute_dag, target="cuda")
        for t in tasks
    ]
    _write_records(path, cuda_tasks)


def _unknown_key_log(path, tasks):
    _write_records(path, tasks)
    lines = []
    for i, line in enumerate(open(path)):
        record = json.loads(line)
        record["i"][0][0] = json.dumps([f"{i:032x}", [1, 2, 3]])
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")


def _empty_log(path, tasks):
    path.write_text("")


@pytest.mark.parametrize("make_log", [_foreign_target_log, _unknown_key_log, _empty_log])
def test_logs_that_match_nothing_fall_back_with_a_warning(network, tmp_path, caplog, make_log):
    mod, params, data, expected, tasks = network
    log = tmp_path / "log.json"
    make_log(log, tasks)
    # warnings are printed once per workload and process: forget earlier ones
    DispatchContext.warning_messages.clear()
    DispatchContext.current.memory.clear()
    engine = CompileEngine()
    with caplog.at_level(logging.WARNING, logger="auto_scheduler"):
        with auto_scheduler.ApplyHistoryBest(str(log)):
            build_module.BuildModule(compile_engine=engine)._build(
                mod, "llvm", None, params, use_topi_schedule=False
            )
    assert {value.cached_func.scheduled_by for _, value in engine.items()} == {"topi"}
    warned = [r.getMessage() for r in caplog.records if "Cannot find tuned schedules" in r.getMessage()]
    # one warning per complex workload (conv2d+relu and dense), each printed once
    assert len(warned) == 2
    with auto_scheduler.ApplyHistoryBest(str(log)):
        _build_and_check(mod, params, data, expected)


def test_tuned_state_that_rewrites_a_weight_reads_it_pre_transformed(network, tmp_path):
    """A tuned state whose schedule blocks a weight (layout rewrite) is applied
    with the transform taken out of the kernel: the constant weight is stored
    transformed in the built params, and the output is unchanged."""
    mod, params, data, expected, tasks = network
    (dense_task,) = [t for t in tasks if t.desc == "fused_nn_dense"]
    policy = auto_scheduler.SketchPolicy(dense_task, auto_scheduler.RandomModel(), seed=1, verbose=0)
    dag = dense_task.compute_dag
    states = [c.sch.trace for c in policy._generate(32)]  # pylint: disable=protected-access
    rewritten = [s for s in states if dag.layout_transforms(s)]
    assert rewritten, "no candidate rewrote the weight layout"
    (index, transform), = dag.layout_transforms(rewritten[0]).items()
    log = tmp_path / "rewrite.json"
    auto_scheduler.save_records(str(log), [MeasureInput(dense_task, rewritten[0])],
                                [MeasureResult([1e-6], 0, None, 0.1, time.time())])
    engine = CompileEngine()
    with auto_scheduler.ApplyHistoryBest(str(log)):
        with tvm.transform.PassContext(opt_level=3):
            _, _, consts = build_module.BuildModule(engine)._build(  # pylint: disable=protected-access
                mod, "llvm", None, params, use_topi_schedule=False)
            lib = relay.build(mod, target="llvm", params=params)
    (cached,) = [v.cached_func for _, v in engine.items() if v.cached_func.scheduled_by == "auto_scheduler"]
    assert list(cached.input_transforms) == [index]
    assert [int(d) for d in cached.prim_func.params[index].shape] == list(transform.new_shape)
    assert tuple(transform.new_shape) in [tuple(v.shape) for v in consts.values()]
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-4, atol=1e-4)
