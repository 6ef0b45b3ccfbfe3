"""ONNX ScatterElements / ScatterND against ONNX Runtime: valid indices (negative ones count
from the end) agree; out-of-range indices raise IndexError at run time, where ONNX Runtime
raises too, instead of writing elsewhere."""
import numpy as np
import pytest
from onnx import TensorProto, helper

from onnx_testing import assert_same, compile_model, run_module, run_ort

DATA = np.arange(12, dtype="float32").reshape(4, 3)


def _model(op_type, indices_shape, updates_shape, **attrs):
    node = helper.make_node(op_type, ["data", "indices", "updates"], ["y"], **attrs)
    graph = helper.make_graph(
        [node], "scatter",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [4, 3]),
         helper.make_tensor_value_info("indices", TensorProto.INT64, indices_shape),
         helper.make_tensor_value_info("updates", TensorProto.FLOAT, updates_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])


def _agree_or_both_raise(model, inputs, valid):
    module = compile_model(model)
    if valid:
        assert_same(run_module(module, inputs), run_ort(model, inputs))
        return
    with pytest.raises(Exception):
        run_ort(model, inputs)
    with pytest.raises(IndexError, match="an index is out of range"):
        run_module(module, inputs)


@pytest.mark.parametrize("reduction", ["none", "add"])
@pytest.mark.parametrize("indices,valid", [([[0, 3, 1], [-1, 0, -4]], True),
                                           ([[0, 3, 1], [0, 1, 2]], True),
                                           ([[0, 4, 1], [0, 0, 0]], False),
                                           ([[0, 0, 0], [-5, 0, 0]], False)])
def test_scatter_elements(reduction, indices, valid):
    model = _model("ScatterElements", [2, 3], [2, 3], axis=0, reduction=reduction)
    inputs = {"data": DATA, "indices": np.array(indices, "int64"),
              "updates": np.array([[10, 20, 30], [40, 50, 60]], "float32")}
    # (the valid cases write distinct positions: the result does not depend on write order)
    _agree_or_both_raise(model, inputs, valid)


@pytest.mark.parametrize("indices,valid", [([[1], [3]], True), ([[-1], [0]], True),
                                           ([[1], [4]], False), ([[-5], [0]], False)])
def test_scatter_nd(indices, valid):
    model = _model("ScatterND", [2, 1], [2, 3])
    inputs = {"data": DATA, "indices": np.array(indices, "int64"),
              "updates": np.array([[10, 20, 30], [40, 50, 60]], "float32")}
    _agree_or_both_raise(model, inputs, valid)


def test_scatter_nd_elements_and_add():
    model = _model("ScatterND", [2, 2], [2], reduction="add")
    inputs = {"data": DATA, "indices": np.array([[0, 2], [3, -1]], "int64"),
              "updates": np.array([5, 7], "float32")}
    _agree_or_both_raise(model, inputs, True)
