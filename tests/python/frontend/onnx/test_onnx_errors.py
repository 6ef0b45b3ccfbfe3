"""from_onnx: unsupported operators, symbolic input shapes, static-value requirements, opset."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import tvm
from tvm.relay.frontend import from_onnx

from onnx_testing import make_model, run_tvm, verify


def _model(nodes, inputs, outputs, opset=13, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _info(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def test_unsupported_ops_reported_together():
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("Det", ["a"], ["d"]),
        helper.make_node("Unique", ["a"], ["e"]),
        helper.make_node("Det", ["x"], ["d2"]),  # listed once
        helper.make_node("FusedThing", ["x"], ["f"], domain="com.example"),
    ]
    model = _model(nodes, [_info("x", [2, 2])], [_info("e", None)], opset=14)
    with pytest.raises(tvm.error.OpNotImplemented) as err:
        from_onnx(model)
    message = str(err.value)
    assert "Det (opset 14)" in message and "Unique (opset 14)" in message
    assert "com.example.FusedThing" in message
    assert message.count("Det (") == 1 and "Relu" not in message


def test_symbolic_input_needs_shape():
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"])]
    w = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    inits = [onnx.numpy_helper.from_array(w, "w")]
    model = _model(nodes, [_info("x", ["batch", 4])], [_info("y", ["batch", 3])], inits=inits)
    with pytest.raises(ValueError, match=r"input 'x' has symbolic.*shape=\{'x'"):
        from_onnx(model)
    with pytest.raises(ValueError, match="not inputs of the graph"):
        from_onnx(model, shape={"x": (2, 4), "typo": (1,)})
    with pytest.raises(AssertionError, match="not inputs of the graph"):  # what 0.8 raised
        from_onnx(model, shape={"x": (2, 4), "typo": (1,)})
    with pytest.raises(ValueError, match="declares"):
        from_onnx(model, shape={"x": (2, 5)})
    x = np.random.default_rng(1).standard_normal((5, 4)).astype("float32")
    verify(model, {"x": x}, shape={"x": (5, 4)})


def test_input_without_shape_needs_shape():
    model = _model([helper.make_node("Relu", ["x"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                   [_info("y", None)])
    with pytest.raises(ValueError, match="'x' has symbolic or unknown dimensions"):
        from_onnx(model)
    mod, _ = from_onnx(model, shape={"x": (2, 3)})
    assert [int(d) for d in mod["main"].params[0].type_annotation.shape] == [2, 3]


def test_dynamic_shape_value_is_a_clear_error():
    nodes = [helper.make_node("Reshape", ["x", "s"], ["y"], name="my_reshape")]
    model = _model(nodes, [_info("x", [2, 3]), _info("s", [2], TensorProto.INT64)],
                   [_info("y", [3, 2])])
    with pytest.raises(tvm.error.OpAttributeUnImplemented, match="Reshape node 'my_reshape'.*shape"):
        from_onnx(model)


def test_opset_override_changes_softmax_semantics():
    x = np.random.default_rng(2).standard_normal((2, 3, 4)).astype("float32")
    model = make_model([helper.make_node("Softmax", ["x"], ["y"], axis=1)], {"x": x}, opset=13)
    per_axis = run_tvm(model, {"x": x})[0]
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(per_axis, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
    mod, _ = from_onnx(model, opset=11)  # opset 11: softmax over the flattened axes 1..end
    from tvm.relay.testing import count_ops

    assert count_ops(mod)["reshape"] == 2


def test_graph_output_from_initializer_and_graph_proto():
    w = np.arange(6, dtype="float32").reshape(2, 3)
    model = _model([helper.make_node("Add", ["x", "w"], ["y"])], [_info("x", [2, 3])],
                   [_info("y", [2, 3]), _info("w", [2, 3])],
                   inits=[onnx.numpy_helper.from_array(w, "w")])
    out = verify(model, {"x": np.ones((2, 3), "float32")})
    np.testing.assert_array_equal(out[1], w)
    with pytest.raises(ValueError, match="opset="):
        from_onnx(model.graph)
    mod, params = from_onnx(model.graph, opset=13)
    assert params == {} and len(mod["main"].params) == 1


def test_not_a_model():
    with pytest.raises(TypeError, match="ModelProto"):
        from_onnx(b"not a model")


def test_unsorted_graph_and_folded_integer_math():
    # Nodes listed out of order; integer Div/Mod on constants fold with ONNX semantics.
    a, b = np.array([-7, 7, -9, 5], "int64"), np.array([2, -2, 4, 5], "int64")
    nodes = [helper.make_node("Add", ["x", "df"], ["y"]),
             helper.make_node("Cast", ["d"], ["df"], to=1),
             helper.make_node("Div", ["a", "b"], ["d"]),
             helper.make_node("Mod", ["a", "b"], ["m"]),
             helper.make_node("Mod", ["a", "b"], ["fm"], fmod=1)]
    feeds = {"x": np.zeros(4, "float32")}
    model = make_model(nodes[2:] + nodes[:2], feeds, {"a": a, "b": b}, ["d", "m", "fm", "y"])
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    d, m, fm, y = verify(model, feeds)
    np.testing.assert_array_equal(d, [-3, -3, -2, 1])
    np.testing.assert_array_equal(m, [1, -1, 3, 0])
    np.testing.assert_array_equal(fm, [-1, 1, -1, 0])
    np.testing.assert_array_equal(y, [-3.0, -3.0, -2.0, 1.0])
    assert len(from_onnx(model)[0]["main"].params) == 1
