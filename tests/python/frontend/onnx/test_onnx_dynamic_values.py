"""ONNX operators whose shape arguments are graph inputs (known only at run time): the
frontend builds Relay's dynamic operators and the model runs on the Relay VM, as in 0.8."""
import numpy as np
from onnx import helper

from tvm import relay
from tvm.relay.frontend import from_onnx

from onnx_testing import assert_same, make_model, run_ort


def _run_vm(model, inputs):
    mod, params = from_onnx(model)
    run = relay.create_executor("vm", mod=mod, target="llvm").evaluate()
    out = run(**inputs, **params)
    return [o.numpy() for o in (out if isinstance(out, list | tuple) else [out])]


def _check(nodes, feeds, outputs=("y",)):
    model = make_model(nodes, feeds, outputs=outputs)
    mod, _ = from_onnx(model)
    assert any(t.is_dynamic() for t in _result_types(mod))  # the shape is not fixed at conversion
    assert_same(_run_vm(model, feeds), run_ort(model, feeds))


def _result_types(mod):
    ret = relay.transform.InferType()(mod)["main"].checked_type.ret_type
    return ret.fields if isinstance(ret, relay.TupleType) else [ret]


def test_tile_and_constant_of_shape():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    _check([helper.make_node("Tile", ["x", "r"], ["y"])], {"x": x, "r": np.array([2, 3], "int64")})
    fill = helper.make_tensor("value", 1, [1], [1.5])
    _check([helper.make_node("ConstantOfShape", ["s"], ["y"], value=fill)], {"s": np.array([3, 4], "int64")})


def test_range_one_hot_and_top_k():
    feeds = {"a": np.array(1.0, "float32"), "b": np.array(7.5, "float32"), "d": np.array(1.5, "float32")}
    _check([helper.make_node("Range", ["a", "b", "d"], ["y"])], feeds)
    one_hot = helper.make_node("OneHot", ["i", "depth", "v"], ["y"], axis=-1)
    _check([one_hot], {"i": np.array([0, 2, -1], "int64"), "depth": np.array(4, "int64"),
                       "v": np.array([0.0, 3.0], "float32")})
    x = np.random.default_rng(1).standard_normal((3, 6)).astype("float32")
    top_k = helper.make_node("TopK", ["x", "k"], ["y", "idx"], axis=1)
    _check([top_k], {"x": x, "k": np.array([2], "int64")}, outputs=("y", "idx"))


def test_static_values_still_give_static_operators():
    # the same Tile with its repeats as an initializer folds to the static op (graph executor)
    model = make_model([helper.make_node("Tile", ["x", "r"], ["y"])],
                       {"x": np.ones((2, 3), "float32")}, inits={"r": np.array([2, 1], "int64")})
    mod, _ = from_onnx(model)
    assert [tuple(t.shape) for t in _result_types(mod)] == [(4, 3)]
    assert mod["main"].body.op.name == "tile"


def test_non_zero():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], "float32")
    _check([helper.make_node("NonZero", ["x"], ["y"])], {"x": x})
    # a constant input folds at conversion
    model = make_model([helper.make_node("NonZero", ["c"], ["y"])], {}, inits={"c": x})
    mod, params = from_onnx(model)
    assert [tuple(t.shape) for t in _result_types(mod)] == [(2, 3)]
