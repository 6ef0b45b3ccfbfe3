"""Reading ONNX files: a file that is not a usable model is a clear error naming the file."""
import logging

import numpy as np
import pytest
from onnx import helper

from onnx_testing import make_model
from tvm import relay
from tvm.relay.frontend.onnx import SUPPORTED_OPSETS, load_onnx_model


def _model(opset=13):
    x = np.ones((2, 3), "float32")
    return make_model([helper.make_node("Relu", ["x"], ["y"])], {"x": x}, opset=opset)


def _save(tmp_path, model, name="model.onnx"):
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


def test_a_valid_file_loads_and_converts(tmp_path):
    path = _save(tmp_path, _model())
    model = load_onnx_model(path)
    assert model.graph.node[0].op_type == "Relu"
    mod, _ = relay.frontend.from_onnx(str(path))
    assert "nn.relu" in str(mod)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_a_cut_file_is_named_with_the_cause(tmp_path, keep):
    data = _model().SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match="cut.onnx: the file is truncated"):
        load_onnx_model(path)
    with pytest.raises(ValueError, match="cut.onnx: the file is truncated"):
        relay.frontend.from_onnx(str(path))


def test_a_file_that_is_not_onnx(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("these are not the weights you are looking for\n")
    with pytest.raises(ValueError, match="notes.onnx: not an ONNX model"):
        load_onnx_model(path)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.onnx.*empty"):
        load_onnx_model(empty)
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        load_onnx_model(tmp_path / "missing.onnx")


def test_an_unsupported_opset_says_the_supported_range(tmp_path, caplog):
    low, high = SUPPORTED_OPSETS
    model = _model(opset=high + 1)
    path = _save(tmp_path, model, "future.onnx")
    expected = f"opset {high + 1}.*supports opsets {low} to {high}"
    with pytest.raises(ValueError, match="future.onnx.*" + expected):
        load_onnx_model(path)
    with pytest.raises(ValueError, match=expected):
        relay.frontend.from_onnx(model)
    with pytest.raises(ValueError, match=f"opset=.*opset {high + 5}"):
        relay.frontend.from_onnx(_model(), opset=high + 5)
    # converting with an explicit supported opset is the documented way out
    with caplog.at_level(logging.WARNING, logger="relay"):
        mod, _ = relay.frontend.from_onnx(str(path), opset=13)
    assert "nn.relu" in str(mod)
    assert any("declares opset" in r.getMessage() for r in caplog.records)
