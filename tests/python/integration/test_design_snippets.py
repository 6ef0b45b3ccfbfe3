"""The four user snippets of the design (TOPI fallback, AutoTVM logs, task
extraction, auto-scheduler logs), verbatim, on a small conv network, each
checked against the NumPy reference interpreter."""
import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, autotvm, relay
from tvm.contrib import graph_executor
import tvm.relay.testing

target = "llvm"


def _network():
    data = relay.var("data", shape=(1, 8, 16, 16))
    net = relay.testing.layers.conv2d(data=data, channels=16, kernel_size=(3, 3), padding=(1, 1), name="c1")
    net = relay.nn.relu(relay.nn.bias_add(net, relay.var("c1_bias")))
    net = relay.testing.layers.conv2d(data=net, channels=16, kernel_size=(3, 3), padding=(1, 1), name="c2")
    net = relay.nn.relu(net)
    net = relay.nn.global_avg_pool2d(net)
    net = relay.nn.batch_flatten(net)
    net = relay.nn.dense(net, relay.var("fc_weight"), units=10)
    func = relay.Function(relay.analysis.free_vars(net), net)
    return relay.testing.create_workload(func)


@pytest.fixture(scope="module")
def network():
    mod, params = _network()
    data = np.random.default_rng(0).uniform(-1, 1, (1, 8, 16, 16)).astype("float32")
    expected = relay.create_executor("debug", mod=mod, device=tvm.cpu(), target="llvm").evaluate()(
        data, **params
    ).numpy()
    return mod, params, data, expected


def _check(lib, data, expected):
    m = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    m.set_input("data", data)
    m.run()
    np.testing.assert_allclose(m.get_output(0).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_snippet_1_topi_fallback(network):
    mod, params, data, expected = network
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target=target, params=params)
    _check(lib, data, expected)


@pytest.mark.slow
def test_snippet_2_autotvm_logs(network, tmp_path):
    mod, params, data, expected = network
    log_file = str(tmp_path / "autotvm.log")
    tasks = autotvm.task.extract_from_program(mod["main"], target=target, params=params)
    assert tasks, "the conv2d/dense tasks of the network"
    for task in tasks:
        tuner = autotvm.tuner.RandomTuner(task)
        tuner.tune(
            n_trial=2,
            measure_option=autotvm.measure_option(
                builder=autotvm.LocalBuilder(), runner=autotvm.LocalRunner(number=2, repeat=1)
            ),
            callbacks=[autotvm.callback.log_to_file(log_file)],
        )
    with autotvm.apply_history_best(log_file):
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target=target, params=params)
    _check(lib, data, expected)


def test_snippet_3_extract_tasks(network):
    mod, params, _, _ = network
    tasks, task_weights = auto_scheduler.extract_tasks(mod["main"], params, target)
    # conv+bias+relu, conv+relu, global pool, dense: four complex fused functions; the
    # two 3x3 stride-1 convolutions (NHWC after the automatic layout choice) are
    # recorded in both variants, Winograd and direct, for the build to pick the faster.
    assert len(tasks) == 6
    assert task_weights == [1] * 6


@pytest.mark.slow
def test_snippet_4_auto_scheduler_logs(network, tmp_path):
    mod, params, data, expected = network
    log_file = str(tmp_path / "ansor.json")
    tasks, task_weights = auto_scheduler.extract_tasks(mod["main"], params, target)
    tuner = auto_scheduler.TaskScheduler(tasks, task_weights, callbacks=[])
    tuner.tune(
        auto_scheduler.TuningOptions(
            num_measure_trials=2 * len(tasks),
            num_measures_per_round=2,
            measure_callbacks=[auto_scheduler.RecordToFile(log_file)],
            verbose=0,
        ),
        # a small evolutionary search: each round proposes 1-2 programs here
        search_policy_params={"evolutionary_search_population": 64},
    )
    with auto_scheduler.ApplyHistoryBest(log_file):
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target=target, params=params)
    _check(lib, data, expected)
