"""ONNX Gather / GatherElements / GatherND with in-range (incl. negative) and out-of-range
indices, against ONNX Runtime.

ONNX: indices lie in [-s, s - 1], negative ones counting from the end; ONNX Runtime raises
for others. The converted model agrees on valid indices and raises IndexError (from the
kernel, through the graph executor) for invalid ones instead of answering with other rows.
"""
import numpy as np
import pytest
from onnx import TensorProto, helper

from onnx_testing import compile_model, run_module, run_ort, assert_same
import models


def _gather_model(op_type, data_shape, indices_shape, **attrs):
    node = helper.make_node(op_type, ["data", "indices"], ["y"], **attrs)
    graph = helper.make_graph(
        [node], "gather",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, data_shape),
         helper.make_tensor_value_info("indices", TensorProto.INT64, indices_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


DATA = np.arange(24, dtype="float32").reshape(6, 4)


def _agree_or_both_raise(model, module, inputs, valid):
    if valid:
        assert_same(run_module(module, inputs), run_ort(model, inputs))
        return
    with pytest.raises(Exception):  # onnxruntime's InvalidArgument / Fail
        run_ort(model, inputs)
    with pytest.raises(IndexError, match="an index is out of range"):
        run_module(module, inputs)


@pytest.mark.parametrize("indices,valid", [
    ([0, 5, 3], True),
    ([-1, -6, 2], True),  # negative: from the end
    ([0, 6, 1], False),
    ([-7, 0, 1], False),
    ([100, 0, 0], False),
])
def test_gather_axis0(indices, valid):
    model = _gather_model("Gather", [6, 4], [3], axis=0)
    module = compile_model(model)
    _agree_or_both_raise(model, module, {"data": DATA, "indices": np.array(indices, "int64")},
                         valid)


@pytest.mark.parametrize("indices,valid", [([[-4, 3], [0, -1]], True), ([[4, 0], [0, 0]], False),
                                           ([[0, 0], [-5, 0]], False)])
def test_gather_axis1(indices, valid):
    model = _gather_model("Gather", [6, 4], [2, 2], axis=1)
    module = compile_model(model)
    _agree_or_both_raise(model, module, {"data": DATA, "indices": np.array(indices, "int64")},
                         valid)


@pytest.mark.parametrize("indices,valid", [([[-6, 5, 0, -1]], True), ([[6, 0, 0, 0]], False),
                                           ([[0, -7, 0, 0]], False)])
def test_gather_elements(indices, valid):
    model = _gather_model("GatherElements", [6, 4], [1, 4], axis=0)
    module = compile_model(model)
    _agree_or_both_raise(model, module, {"data": DATA, "indices": np.array(indices, "int64")},
                         valid)


@pytest.mark.parametrize("indices,valid", [([[-1, 3], [0, -4]], True), ([[6, 0], [0, 0]], False),
                                           ([[0, 0], [0, -5]], False)])
def test_gather_nd(indices, valid):
    model = _gather_model("GatherND", [6, 4], [2, 2])
    module = compile_model(model)
    _agree_or_both_raise(model, module, {"data": DATA, "indices": np.array(indices, "int64")},
                         valid)


def test_bert_like_model_with_a_token_id_beyond_its_vocabulary_raises():
    """The word-embedding Gather of a BERT-style encoder: ids in [0, vocab) and negative ids
    agree with ONNX Runtime; an id >= vocab raised in ONNX Runtime but returned the
    embedding of id - vocab (a wrapped index) here before."""
    model = models.transformer_encoder(seq_len=8, vocab=50, hidden=16, heads=2, layers=1,
                                       ffn=32)
    module = compile_model(model)
    ids = np.random.default_rng(0).integers(0, 50, size=(1, 8)).astype("int64")
    mask = np.ones((1, 8), "int64")
    _agree_or_both_raise(model, module, {"input_ids": ids, "attention_mask": mask}, True)
    ids[0, 3] = -1  # the last word of the vocabulary
    _agree_or_both_raise(model, module, {"input_ids": ids, "attention_mask": mask}, True)
    ids[0, 3] = 50
    _agree_or_both_raise(model, module, {"input_ids": ids, "attention_mask": mask}, False)
