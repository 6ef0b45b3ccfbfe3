"""debug_executor: per-operator run, run_individual and profile on ResNet-18 (batch 1)."""
import json

import numpy as np
import pytest

import tvm
import tvm.relay.testing as testing
from tvm import relay
from tvm.contrib import graph_executor
from tvm.contrib.debugger import debug_executor, debug_runtime


@pytest.fixture(scope="module")
def resnet18():
    mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    data = np.random.default_rng(0).uniform(-1, 1, (1, 3, 224, 224)).astype("float32")
    return lib, data


def make_debug(lib, data):
    module = debug_executor.create(lib.get_graph_json(), lib.get_lib(), tvm.cpu())
    module.set_input(**lib.get_params())
    module.set_input("data", data)
    return module


def test_run_matches_graph_executor(resnet18, tmp_path):
    lib, data = resnet18
    reference = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    reference.set_input("data", data)
    reference.run()
    expected = reference.get_output(0).numpy()

    module = debug_executor.create(lib.get_graph_json(), lib.get_lib(), tvm.cpu(), dump_root=str(tmp_path))
    module.set_input(**lib.get_params())
    module.run(data=data)
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-5, atol=1e-6)
    last = module.debug_datum.node_names[-1]
    np.testing.assert_allclose(module.debug_get_output(last), expected, rtol=1e-5, atol=1e-6)
    assert len(module.debug_datum.times) == len(module.debug_datum.node_names) > 20
    assert (tmp_path / "outputs.npz").exists() and (tmp_path / "times.json").exists()
    # the old module name still works
    assert debug_runtime.create is debug_executor.create


def test_run_individual(resnet18):
    lib, data = resnet18
    module = make_debug(lib, data)
    times = module.run_individual(number=1, repeat=1, min_repeat_ms=0)
    graph = json.loads(lib.get_graph_json())
    num_ops = sum(1 for n in graph["nodes"] if n["op"] == "tvm_op")
    assert len(times) == num_ops
    assert all(t >= 0 for t in times) and sum(times) > 0


def test_profile_report(resnet18):
    """The report's rows and totals are consistent (how close the total comes to a
    graph run is timing, measured in bench/bench_debug_profile.py)."""
    lib, data = resnet18
    module = make_debug(lib, data)
    report = module.profile(number=1, repeat=1, min_repeat_ms=0)
    assert report.total_us > 0
    assert abs(report.total_us - sum(row["time_us"] for row in report.rows)) < 1e-6 * report.total_us

    text = report.table()
    graph = json.loads(lib.get_graph_json())
    func_names = {n["attrs"]["func_name"] for n in graph["nodes"] if n["op"] == "tvm_op"}
    # slowest first, every row a fused function of the graph, the heaviest ones are convolutions
    times = [row["time_us"] for row in report.rows]
    assert times == sorted(times, reverse=True)
    assert {row["func_name"] for row in report.rows} <= func_names
    for row in report.rows[:3]:
        assert "conv2d" in row["func_name"] and row["func_name"] in text
        assert row["ops"].startswith("conv2d")
    assert abs(sum(row["percent"] for row in report.rows) - 100) < 1e-6
    assert "Total" in text and "Percent" in text
    per_function = report.by_function()
    assert sum(r["count"] for r in per_function) == len(report.rows)
