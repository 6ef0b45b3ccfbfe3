"""tvmc end to end on a small ONNX model: compile, run, tune; checked against ONNX Runtime."""
import json
import os
import subprocess
import sys
import tarfile

import numpy as np
import pytest

import tvm
from tvm.contrib import graph_executor
from tvm.driver.tvmc import TVMCException
from tvm.driver.tvmc.common import parse_shape_string, records_kind
from tvm.driver.tvmc.main import main

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def make_model(path, batch=1):
    """Conv 3x3 + bias + ReLU, global average pool, flatten, dense: a tiny CNN."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = {
        "w1": (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype("float32"),
        "b1": (rng.standard_normal(8) * 0.1).astype("float32"),
        "w2": (rng.standard_normal((10, 8)) * 0.3).astype("float32"),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "w2"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return str(path)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("tvmc")


@pytest.fixture(scope="module")
def model(workdir):
    return make_model(workdir / "tiny.onnx")


@pytest.fixture(scope="module")
def inputs(workdir):
    x = np.random.default_rng(1).standard_normal((1, 3, 16, 16)).astype("float32")
    path = str(workdir / "inputs.npz")
    np.savez(path, x=x)
    return path, x


def onnxruntime_output(model, x):
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


@pytest.fixture(scope="module")
def package(workdir, model):
    path = str(workdir / "tiny.tar")
    assert main(["compile", model, "--target", "llvm", "--input-shapes", "x:[1,3,16,16]", "-o", path]) == 0
    return path


def test_package_layout_and_loading(package, model, inputs):
    with tarfile.open(package) as tar:
        assert sorted(tar.getnames()) == ["mod.json", "mod.params", "mod.so"]
        tar.extractall(os.path.dirname(package) + "/unpacked")
    folder = os.path.dirname(package) + "/unpacked"
    lib = tvm.runtime.load_module(os.path.join(folder, "mod.so"))
    _, x = inputs
    expected = onnxruntime_output(model, x)
    # mod.json + mod.params with the graph executor
    with open(os.path.join(folder, "mod.json"), encoding="utf-8") as fin:
        graph = fin.read()
    module = graph_executor.create(graph, lib, tvm.cpu())
    with open(os.path.join(folder, "mod.params"), "rb") as fin:
        module.load_params(fin.read())
    module.set_input("x", x)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-4, atol=1e-5)
    # mod.so alone (what the C++ deploy app loads): the factory with graph and params inside
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("x", x)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_run_matches_onnxruntime(package, model, inputs, workdir, capsys):
    path, x = inputs
    out = str(workdir / "out.npz")
    assert main(["run", package, "--inputs", path, "--outputs", out, "--print-time", "--repeat", "3"]) == 0
    printed = capsys.readouterr().out
    assert "Execution time summary" in printed and "median (ms)" in printed
    np.testing.assert_allclose(np.load(out)["output_0"], onnxruntime_output(model, x), rtol=1e-4, atol=1e-5)


def test_run_profile(package, inputs, capsys):
    assert main(["run", package, "--inputs", inputs[0], "--profile"]) == 0
    printed = capsys.readouterr().out
    assert "fused_nn_conv2d" in printed and "conv2d" in printed and "Percent" in printed
    assert "Total" in printed


def test_errors(workdir, model, capsys):
    torch_file = workdir / "model.pt"
    torch_file.write_bytes(b"not a model")
    assert main(["compile", str(torch_file), "-o", str(workdir / "x.tar")]) == 4
    assert "PyTorch models are not supported" in capsys.readouterr().err
    assert main(["compile", model, "--desired-layout", "NHWC", "--input-shapes", "nope:[1,2]",
                 "-o", str(workdir / "x.tar")]) == 4
    assert "nope" in capsys.readouterr().err
    assert main(["compile", model, "--input-shapes", "nope:[1,2]", "-o", str(workdir / "x.tar")]) == 4
    assert "nope" in capsys.readouterr().err
    assert main(["run", str(workdir / "missing.tar")]) == 4


def test_compile_desired_layout_nhwc_matches_onnxruntime(workdir, model, inputs):
    """--desired-layout NHWC: the convolution runs in NHWC/HWIO, the package still takes
    and returns the model's layouts, and computes what ONNX Runtime does."""
    from tvm.driver.tvmc.common import convert_graph_layout
    from tvm.driver.tvmc.frontends import load_model
    from tvm.relay.transform._utils import post_order

    loaded = load_model(model, None, {"x": [1, 3, 16, 16]})
    converted = convert_graph_layout(loaded.mod, "NHWC")
    convs = [n for n in post_order(converted["main"].body)
             if isinstance(n, tvm.relay.Call) and getattr(n.op, "name", "") == "nn.conv2d"]
    assert [(c.attrs.data_layout, c.attrs.kernel_layout) for c in convs] == [("NHWC", "HWIO")]
    assert converted["main"].checked_type == tvm.relay.transform.InferType()(loaded.mod)["main"].checked_type

    package = str(workdir / "nhwc.tar")
    assert main(["compile", model, "--desired-layout", "NHWC", "--input-shapes", "x:[1,3,16,16]",
                 "-o", package]) == 0
    out = str(workdir / "nhwc_out.npz")
    assert main(["run", package, "--inputs", inputs[0], "--outputs", out]) == 0
    np.testing.assert_allclose(np.load(out)["output_0"], onnxruntime_output(model, inputs[1]),
                               rtol=1e-4, atol=1e-5)


def test_parse_shape_string():
    assert parse_shape_string("data:[1,3,224,224]") == {"data": [1, 3, 224, 224]}
    assert parse_shape_string("a:[1, 2] input:0:[?,4]") == {"a": [1, 2], "input:0": [-1, 4]}
    with pytest.raises(TVMCException):
        parse_shape_string("data[1,2]")


def test_records_kind(tmp_path):
    ansor = tmp_path / "a.json"
    ansor.write_text(json.dumps({"i": [["key", "llvm"], "[]"], "r": [[0.1], 0, 0.1, 0], "v": "v0.6"}) + "\n")
    autotvm_log = tmp_path / "b.json"
    autotvm_log.write_text(json.dumps({"input": ["llvm", "t", [], {}], "config": {}, "result": [[0.1], 0, 0, 0],
                                       "version": 0.2}) + "\n")
    assert records_kind(str(ansor)) == "auto_scheduler"
    assert records_kind(str(autotvm_log)) == "autotvm"


def test_console_module_help():
    out = subprocess.run([sys.executable, "-m", "tvm.driver.tvmc", "--help"], capture_output=True, text=True,
                         check=True)
    for command in ("compile", "tune", "run"):
        assert command in out.stdout


@pytest.mark.slow
def test_tune_auto_scheduler_then_compile_and_run(workdir, model, inputs, capsys):
    log = str(workdir / "ansor.json")
    report = str(workdir / "report.html")
    # 3 tasks (conv, pool, dense): their baselines plus a few searched trials
    assert main(["tune", model, "--enable-autoscheduler", "--trials", "6", "--input-shapes", "x:[1,3,16,16]",
                 "--repeat", "1", "-o", log, "--report", report]) == 0
    printed = capsys.readouterr().out
    assert "conv2d 3x3 3→8 16x16" in printed and "Estimated total latency" in printed
    assert records_kind(log) == "auto_scheduler"
    with open(report, encoding="utf-8") as fin:
        page = fin.read()
    assert "data:image/png;base64," in page and "untuned" in page and "tuned" in page
    _compile_with_records_matches_ort(workdir, model, inputs, log, "tuned")


def _compile_with_records_matches_ort(workdir, model, inputs, log, name):
    """tvmc compile with ``--tuning-records log``, then run: the output equals ONNX Runtime's."""
    package = str(workdir / f"{name}.tar")
    assert main(["compile", model, "--input-shapes", "x:[1,3,16,16]", "--tuning-records", log,
                 "-o", package]) == 0
    out = str(workdir / f"{name}_out.npz")
    assert main(["run", package, "--inputs", inputs[0], "--outputs", out]) == 0
    np.testing.assert_allclose(np.load(out)["output_0"], onnxruntime_output(model, inputs[1]),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_tune_autotvm_then_compile(workdir, model, inputs):
    log = str(workdir / "autotvm.json")
    assert main(["tune", model, "--trials", "4", "--input-shapes", "x:[1,3,16,16]", "--repeat", "1",
                 "-v", "0", "-o", log]) == 0
    assert records_kind(log) == "autotvm"
    _compile_with_records_matches_ort(workdir, model, inputs, log, "autotvm")


@pytest.mark.slow
def test_tune_and_compile_with_desired_layout_nhwc(workdir, model, inputs):
    """tune --desired-layout NHWC extracts the NHWC convolution's task; compiling with the
    same layout applies its record and still computes what ONNX Runtime does."""
    log = str(workdir / "autotvm_nhwc.json")
    assert main(["tune", model, "--trials", "2", "--input-shapes", "x:[1,3,16,16]", "--repeat", "1",
                 "-v", "0", "--desired-layout", "NHWC", "-o", log]) == 0
    with open(log, encoding="utf-8") as fin:
        names = {json.loads(line)["input"][1] for line in fin if line.strip()}
    assert "conv2d_nhwc.x86" in names and "conv2d_nchw.x86" not in names
    package = str(workdir / "nhwc_tuned.tar")
    assert main(["compile", model, "--input-shapes", "x:[1,3,16,16]", "--tuning-records", log,
                 "--desired-layout", "NHWC", "-o", package]) == 0
    out = str(workdir / "nhwc_tuned_out.npz")
    assert main(["run", package, "--inputs", inputs[0], "--outputs", out]) == 0
    np.testing.assert_allclose(np.load(out)["output_0"], onnxruntime_output(model, inputs[1]),
                               rtol=1e-4, atol=1e-5)
