"""Task descriptions (op, shapes, epilogue), the task table and the HTML tuning report."""
import re
import time

import numpy as np
import pytest

import tvm.relay.testing as testing
from tvm import auto_scheduler
from tvm.auto_scheduler.task_description import describe_task, describe_tasks, fused_op_names
from tvm.auto_scheduler.task_scheduler import format_task_table
from tvm.auto_scheduler.tuning_report import TuningReport


@pytest.fixture(scope="module", params=["NCHW", "NHWC"])
def resnet18_tasks(request):
    layout = request.param
    image = (224, 224, 3) if layout == "NHWC" else (3, 224, 224)
    mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1, layout=layout, image_shape=image)
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    return layout, tasks, weights


def test_fused_op_names():
    assert fused_op_names("fused_nn_conv2d_add_nn_relu_3") == ["conv2d", "add", "relu"]
    assert fused_op_names("fused_nn_max_pool2d_add_nn_relu") == ["max_pool2d", "add", "relu"]
    assert fused_op_names("fused_nn_dense_nn_bias_add") == ["dense", "bias_add"]
    assert fused_op_names("fused_nn_global_avg_pool2d") == ["global_avg_pool2d"]


def test_resnet18_descriptions_distinguish_tasks(resnet18_tasks):
    layout, tasks, _ = resnet18_tasks
    texts = [describe_task(task) for task in tasks]
    # every task its own text without the #k tie-breaker
    assert len(set(texts)) == len(tasks), texts
    assert describe_tasks(tasks) == texts
    # relay.testing's batch norms have zero mean and shift: after SimplifyInference their
    # bias is an add of zeros, which SimplifyExpr removes
    assert "conv2d 7x7/2 3→64 112x112 +relu" in texts
    assert "conv2d 1x1/2 64→128 28x28" in texts
    # NCHW: ChooseLayout's ConvertLayout canonicalizes bias_add to add (as 0.8), and
    # the add of relay.testing's zero dense bias is removed by SimplifyExpr
    assert ("dense 512→1000 +bias" if layout == "NHWC" else "dense 512→1000") in texts
    assert "max_pool2d 3x3/2 64ch 56x56 +relu" in texts  # the next block's pre-activation
    del layout  # NCHW networks get NHWC convolutions too (ChooseLayout), hence Winograd
    wino = " wino"
    assert f"conv2d 3x3 64→64 56x56{wino} +relu" in texts
    assert f"conv2d 3x3 64→64 56x56{wino} +add" in texts
    assert f"conv2d 3x3 512→512 7x7{wino} +add+mul+relu" in texts


class FakeScheduler:
    """The attributes of a TaskScheduler that the table and the report read."""

    def __init__(self):
        self.task_descriptions = ["conv2d 3x3 64→64 56x56 +bias+relu", "dense 512→1000 +bias"]
        self.task_weights = [2.0, 1.0]
        self.baseline_costs = [4e-3, 1e-3]
        self.best_costs = np.array([2e-3, 1e-3])
        self.flop_cts = [2.3e8, 1.0e6]
        self.task_trials = [10, 2]
        self.ct = 12
        self.tic = time.time() - 30
        self.cur_score = 5e-3
        self.history = [(2, 3.0, 9e-3), (7, 15.0, 6e-3), (12, 30.0, 5e-3)]

    def baseline_score(self):
        return 9e-3


def test_task_table():
    text = format_task_table(FakeScheduler())
    lines = text.splitlines()
    assert any("conv2d 3x3 64→64 56x56 +bias+relu" in line and "4.000" in line and "2.000" in line
               for line in lines)
    assert "Estimated total latency: 5.000 ms (untuned 9.000 ms)" in text and "Trials: 12" in text


def test_report_page(tmp_path):
    pytest.importorskip("matplotlib")
    report = TuningReport.from_scheduler(FakeScheduler(), title="Tuning report: test net",
                                         info={"target": "llvm"})
    report.latencies_ms = {"untuned": 9.5, "tuned": 5.2, "onnxruntime": 6.0}
    path = report.write(str(tmp_path / "report.html"))
    page = open(path, encoding="utf-8").read()
    assert "<title>Tuning report: test net</title>" in page
    # three PNG plots: per-task bars, tuning curve, final latencies
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', page)) == 3
    assert "before <b>9.000 ms</b>, after <b>5.000 ms</b>" in page
    # per-task rows: baseline, tuned, speed-up and shares before / after
    assert re.search(r"conv2d 3x3 64→64 56x56 \+bias\+relu</td><td>2</td><td>10</td><td>4.000</td>"
                     r"<td>2.000</td><td>2.00x</td><td>88.9%</td><td>80.0%</td>", page)
    assert "<td class=\"l\">tuned</td><td>5.20</td><td>1.83x</td>" in page
    assert "<td class=\"l\">onnxruntime</td><td>6.00</td>" in page
    assert "5.000 ms after 12 trials (30 s)" in page
    assert "<script" not in page  # static


def test_report_without_matplotlib(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    page = TuningReport.from_scheduler(FakeScheduler()).to_html()
    assert "matplotlib is not installed" in page and "data:image/png" not in page
    assert "conv2d 3x3 64→64 56x56 +bias+relu" in page
