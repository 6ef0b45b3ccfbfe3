"""Models of opsets 23 to 28 (onnx's make_model default is the newest opset):
the attributes those opsets added, checked against NumPy."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from onnx_testing import run_tvm


def _model(nodes, inputs, outputs, opset=None, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    if opset is None:
        return helper.make_model(graph)  # onnx's default: its newest opset
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def test_default_opset_model_converts():
    model = _model([helper.make_node("Add", ["a", "b"], ["c"]), helper.make_node("Relu", ["c"], ["y"])],
                   [_vi("a", TensorProto.FLOAT, [2, 3]), _vi("b", TensorProto.FLOAT, [2, 3])],
                   [_vi("y", TensorProto.FLOAT, [2, 3])])
    assert model.opset_import[0].version >= 23
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((2, 3)).astype("float32") for _ in range(2))
    (out,) = run_tvm(model, {"a": a, "b": b})
    np.testing.assert_allclose(out, np.maximum(a + b, 0), rtol=1e-6)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_space_to_depth_modes(mode):
    data = np.arange(2 * 3 * 4 * 6, dtype="float32").reshape(2, 3, 4, 6)
    node = helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2, mode=mode)
    model = _model([node], [_vi("x", TensorProto.FLOAT, [2, 3, 4, 6])], [_vi("y", TensorProto.FLOAT, [2, 12, 2, 3])],
                   opset=28)
    tiles = data.reshape(2, 3, 2, 2, 3, 2)  # n, c, h', dy, w', dx
    if mode == "DCR":  # channel = (dy * 2 + dx) * C + c
        expected = tiles.transpose(0, 3, 5, 1, 2, 4).reshape(2, 12, 2, 3)
    else:  # channel = c * 4 + dy * 2 + dx
        expected = tiles.transpose(0, 1, 3, 5, 2, 4).reshape(2, 12, 2, 3)
    (out,) = run_tvm(model, {"x": data})
    np.testing.assert_array_equal(out, expected)


def test_float_mod_with_fmod_0_from_opset_28():
    a = np.array([5.5, -5.5, 7.0, -7.25], "float32")
    b = np.array([2.0, 2.0, -3.0, -2.0], "float32")
    model = _model([helper.make_node("Mod", ["a", "b"], ["y"], fmod=0)],
                   [_vi("a", TensorProto.FLOAT, [4]), _vi("b", TensorProto.FLOAT, [4])],
                   [_vi("y", TensorProto.FLOAT, [4])], opset=28)
    (out,) = run_tvm(model, {"a": a, "b": b})
    np.testing.assert_allclose(out, a - np.floor(a / b) * b, rtol=1e-6)


def test_dequantize_output_dtype_and_quantize_precision():
    x = np.array([[-3, 0, 7, 100]], "int8")
    scale = helper.make_tensor("s", TensorProto.FLOAT, [], [0.5])
    zero = helper.make_tensor("z", TensorProto.INT8, [], [1])
    deq = helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], output_dtype=TensorProto.FLOAT16)
    model = _model([deq], [_vi("x", TensorProto.INT8, [1, 4])], [_vi("y", TensorProto.FLOAT16, [1, 4])],
                   opset=23, initializers=[scale, zero])
    (out,) = run_tvm(model, {"x": x})
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, ((x.astype("float32") - 1) * 0.5).astype("float16"))

    data = np.array([[-1.3, 0.2, 2.6, 90.0]], "float32")
    quant = helper.make_node("QuantizeLinear", ["d", "s", "z"], ["q"], precision=TensorProto.FLOAT)
    model = _model([quant], [_vi("d", TensorProto.FLOAT, [1, 4])], [_vi("q", TensorProto.INT8, [1, 4])],
                   opset=23, initializers=[scale, zero])
    (out,) = run_tvm(model, {"d": data})
    np.testing.assert_array_equal(out, np.clip(np.round(data / 0.5) + 1, -128, 127).astype("int8"))


def test_half_precision_range_of_opset_27():
    model = _model([helper.make_node("Range", ["start", "limit", "delta"], ["y"])],
                   [], [_vi("y", TensorProto.FLOAT16, [4])], opset=27,
                   initializers=[helper.make_tensor("start", TensorProto.FLOAT16, [], np.array([2048.0], "float16")),
                                 helper.make_tensor("limit", TensorProto.FLOAT16, [], np.array([2056.0], "float16")),
                                 helper.make_tensor("delta", TensorProto.FLOAT16, [], np.array([2.0], "float16"))])
    (out,) = run_tvm(model, {})
    np.testing.assert_array_equal(out, np.array([2048, 2050, 2052, 2054], "float16"))
