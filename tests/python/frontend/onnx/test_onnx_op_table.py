"""docs/frontends.md holds the tables that scripts/gen_op_table.py makes from the converter
registries of the ONNX and PyTorch frontends (regenerate them with
``python scripts/gen_op_table.py`` after adding a converter)."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))


def _script():
    spec = importlib.util.spec_from_file_location(
        "gen_op_table", os.path.join(ROOT, "scripts", "gen_op_table.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_table_matches_the_registry():
    script = _script()
    with open(script.DOC, encoding="utf-8") as fin:
        text = fin.read()
    assert script.updated(text) == text, "run python scripts/gen_op_table.py"
    assert script.main(["--check"]) == 0


def test_table_rows():
    from tvm.relay.frontend._onnx_common import CONVERTERS

    rows = {op: (lo, hi, family) for op, lo, hi, family in _script().rows()}
    assert set(rows) == set(CONVERTERS)
    assert rows["Scan"][:2] == (9, 28)  # the converter's own lower bound
    assert rows["Upsample"][:2] == (1, 9)  # deprecated by ONNX in opset 10
    assert rows["GridSample"][:2] == (16, 28)  # introduced in opset 16
    assert rows["LSTM"][2] == "recurrent" and rows["QLinearConv"][2] == "quantized"


def test_pytorch_table_lists_the_converter_table():
    import pytest

    pytest.importorskip("torch")
    from tvm.relay.frontend.pytorch import supported_ops

    table = _script().torch_rows()
    listed = [name for _, names in table for name in names]
    assert sorted(listed) == supported_ops()
    assert "aten::lstm" in dict(table)["recurrent"]
