"""apps/tune_network.py --onnx FILE --layout NHWC: the imported model is converted
once, right after import; task extraction and the ApplyHistoryBest build see the
converted graph, and the app checks the tuned build against ONNX Runtime."""
import os
import sys
import time

import numpy as np
import pytest

from tvm import auto_scheduler, relay
from tvm.auto_scheduler.measure import MeasureInput, MeasureResult
from tvm.relay.transform._utils import post_order

APPS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "apps")
sys.path.insert(0, os.path.abspath(APPS))
import tune_network  # noqa: E402  pylint: disable=wrong-import-position

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


def _tiny_cnn(path):
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = {
        "w1": (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype("float32"),
        "b1": (rng.standard_normal(8) * 0.1).astype("float32"),
        "w2": (rng.standard_normal((8, 8, 3, 3)) * 0.2).astype("float32"),
        "w3": (rng.standard_normal((10, 8)) * 0.3).astype("float32"),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["a"]),
        helper.make_node("GlobalAveragePool", ["a"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "w3"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 12, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return str(path)


def _conv_layouts(mod):
    return [n.attrs.data_layout for n in post_order(mod["main"].body)
            if isinstance(n, relay.Call) and getattr(n.op, "name", "") == "nn.conv2d"]


def test_onnx_model_is_converted_before_extraction_and_build(tmp_path, monkeypatch, capsys):
    model = _tiny_cnn(tmp_path / "tiny.onnx")
    # a log with a record of every task of the converted graph: the app builds with it
    mod, params, _ = tune_network.get_onnx_network(model, 1)
    converted = tune_network.convert_layout(mod, "NHWC")
    assert _conv_layouts(converted) == ["NHWC", "NHWC"]
    tasks, _ = auto_scheduler.extract_tasks(converted["main"], params, "llvm")
    log = tmp_path / "tiny.json"
    auto_scheduler.save_records(
        str(log), [MeasureInput(t, None) for t in tasks],
        [MeasureResult([1e-3], 0, None, 0.1, time.time()) for _ in tasks])

    seen = []
    extract = auto_scheduler.extract_tasks

    def spy(func, *args, **kwargs):
        seen.append(func)
        return extract(func, *args, **kwargs)

    monkeypatch.setattr(auto_scheduler, "extract_tasks", spy)
    built = []
    build_and_run = tune_network.build_and_run
    monkeypatch.setattr(tune_network, "build_and_run",
                        lambda mod, *a: built.append(mod) or build_and_run(mod, *a))
    code = tune_network.main(["--onnx", model, "--layout", "NHWC", "--trials", "0",
                              "--log-file", str(log), "--repeat", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "network tiny-NHWC" in out
    assert f"extracted {len(tasks)} tasks" in out
    assert "tuned output equals ONNX Runtime's" in out
    (extracted,) = seen
    assert len(built) == 2  # untuned and ApplyHistoryBest, both on the extracted graph
    for mod in built:
        assert mod["main"] is extracted
    assert _conv_layouts(mod) == ["NHWC", "NHWC"]


def test_onnx_model_keeps_its_layout_without_the_option(tmp_path, monkeypatch, capsys):
    model = _tiny_cnn(tmp_path / "tiny.onnx")
    seen = []

    def fake_extract(func, *args, **kwargs):
        seen.append(func)
        raise SystemExit(0)  # stop before building: only the extracted graph matters

    monkeypatch.setattr(auto_scheduler, "extract_tasks", fake_extract)
    with pytest.raises(SystemExit):
        tune_network.main(["--onnx", model, "--trials", "0", "--log-file",
                           str(tmp_path / "x.json")])
    assert _conv_layouts(tvm_module(seen[0])) == ["NCHW", "NCHW"]


def tvm_module(func):
    import tvm  # pylint: disable=import-outside-toplevel

    return tvm.IRModule.from_expr(func)


def test_help_says_what_layout_does(capsys):
    with pytest.raises(SystemExit):
        tune_network.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--network: the relay.testing network is built in it" in text
    assert "--onnx: the imported model is converted to it" in text
