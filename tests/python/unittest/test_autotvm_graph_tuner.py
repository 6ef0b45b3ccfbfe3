"""autotvm.graph_tuner (DPTuner, PBQPTuner) and autotvm.apply_graph_best."""
import numpy as np
import pytest

import tvm
from tvm import autotvm, relay
from tvm.autotvm.graph_tuner import DPTuner, PBQPTuner
from tvm.autotvm.measure import MeasureInput, MeasureResult
from tvm.contrib import graph_executor

TARGET = "llvm"


def _network():
    """Three convolutions, two of them with the same workload."""
    data = relay.var("data", shape=(1, 8, 12, 12))
    w1 = relay.var("w1", shape=(16, 8, 3, 3))
    w2 = relay.var("w2", shape=(16, 16, 3, 3))
    w3 = relay.var("w3", shape=(16, 16, 3, 3))
    x = relay.nn.relu(relay.nn.conv2d(data, w1, padding=(1, 1), channels=16, kernel_size=(3, 3)))
    x = relay.nn.relu(relay.nn.conv2d(x, w2, padding=(1, 1), channels=16, kernel_size=(3, 3)))
    x = relay.nn.conv2d(x, w3, padding=(1, 1), channels=16, kernel_size=(3, 3))
    func = relay.Function([data, w1, w2, w3], x)
    rng = np.random.default_rng(0)
    params = {name: rng.standard_normal(shape).astype("float32")
              for name, shape in (("w1", (16, 8, 3, 3)), ("w2", (16, 16, 3, 3)), ("w3", (16, 16, 3, 3)))}
    return func, params


def _records(tasks):
    """Three records per task with known costs; the fastest is config index 2 + task index."""
    records = []
    for t, task in enumerate(tasks):
        for rank, cost in enumerate((3e-3, 1e-3, 2e-3)):
            config = task.config_space.get(rank + 2 * t)
            records.append((MeasureInput(tvm.target.Target(TARGET), task, config),
                            MeasureResult((cost,), 0, 0.1, float(rank))))
    return records


def _run(lib, data):
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data)
    module.run()
    return module.get_output(0).numpy()


@pytest.mark.parametrize("tuner_class", [DPTuner, PBQPTuner])
def test_graph_tuner_chooses_the_fastest_record_per_node(tmp_path, tuner_class):
    func, params = _network()
    conv = relay.op.get("nn.conv2d")
    tasks = autotvm.task.extract_from_program(func, params=params, target=TARGET, ops=(conv,))
    assert len(tasks) == 2
    records = _records(tasks)

    tuner = tuner_class(func, {"data": (1, 8, 12, 12)}, records, [conv], TARGET, log_file=None)
    tuner.benchmark_layout_transform(min_exec_num=5)
    assert tuner.layout_transform_perf_records == {}
    tuner.run()
    chosen = tuner.get_optimal_records()
    # one record per conv2d node, in graph order: first node task 0, then task 1 twice
    assert [inp.task.workload for inp, _ in chosen] == [tasks[0].workload, tasks[1].workload, tasks[1].workload]
    assert [res.costs[0] for _, res in chosen] == [1e-3, 1e-3, 1e-3]
    assert [inp.config.index for inp, _ in chosen] == [1, 3, 3]

    opt_file = tmp_path / "graph_opt.log"
    tuner.write_opt_sch2record_file(str(opt_file))
    assert len(opt_file.read_text().splitlines()) == 3

    with autotvm.apply_graph_best(str(opt_file)) as context:
        assert isinstance(context, autotvm.ApplyGraphBest)
        target = tvm.target.Target(TARGET)
        for t, task in enumerate(tasks):
            assert context.query(target, task.workload).index == 1 + 2 * t
        with tvm.transform.PassContext(opt_level=3):
            tuned = relay.build(tvm.IRModule.from_expr(func), target=TARGET, params=params)
    with tvm.transform.PassContext(opt_level=3):
        default = relay.build(tvm.IRModule.from_expr(func), target=TARGET, params=params)
    data = np.random.default_rng(1).standard_normal((1, 8, 12, 12)).astype("float32")
    np.testing.assert_allclose(_run(tuned, data), _run(default, data), rtol=1e-4, atol=1e-4)


def test_graph_tuner_rejects_mismatched_input_shape():
    func, _ = _network()
    with pytest.raises(ValueError, match="data"):
        DPTuner(func, {"data": (1, 8, 10, 10)}, [], [relay.op.get("nn.conv2d")], TARGET, log_file=None)
