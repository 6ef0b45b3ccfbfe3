"""ONNX shape, layout, indexing and constant operators vs ONNX Runtime; static shapes fold."""
import numpy as np
import pytest
from onnx import helper, numpy_helper

from tvm.relay.frontend import from_onnx
from tvm.relay.testing import count_ops

from onnx_testing import check, make_model

RNG = np.random.default_rng(2)


def _rand(*shape):
    return RNG.uniform(-1.0, 1.0, shape).astype("float32")


def _node(op_type, inputs, output="y", **attrs):
    return helper.make_node(op_type, inputs, [output], **attrs)


def _i64(*values):
    return np.array(values, "int64")


def test_reshape_zero_and_minus_one():
    x = _rand(2, 3, 4)
    nodes = [_node("Reshape", ["x", "s1"], "a"), _node("Reshape", ["x", "s2"], "b"),
             _node("Reshape", ["x", "s3"], "c"), _node("Reshape", ["x", "s4"], "d")]
    check(nodes, {"x": x}, {"s1": _i64(0, -1), "s2": _i64(-1, 4), "s3": _i64(0, 0, 2, 2),
                            "s4": _i64(24)}, outputs=["a", "b", "c", "d"])
    check(_node("Reshape", ["x", "s"], allowzero=1), {"x": _rand(0, 3)}, {"s": _i64(3, 0)},
          opset=14)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_flatten(axis):
    check(_node("Flatten", ["x"], axis=axis), {"x": _rand(2, 3, 4)})


def test_transpose_concat():
    x, z = _rand(2, 3, 4), _rand(2, 3, 1)
    nodes = [_node("Transpose", ["x"], "t", perm=[1, 2, 0]), _node("Transpose", ["x"], "rev"),
             _node("Concat", ["x", "z", "x"], "cat", axis=-1),
             _node("Concat", ["x", "c"], "cat_const", axis=0)]
    check(nodes, {"x": x, "z": z}, {"c": _rand(1, 3, 4)}, outputs=["t", "rev", "cat", "cat_const"])


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_split(opset):
    x = _rand(2, 7, 3)
    if opset == 11:
        nodes = [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1, split=[2, 4, 1]),
                 helper.make_node("Split", ["x"], ["d", "e"], axis=0)]
        inits = {}
    elif opset == 13:
        nodes = [helper.make_node("Split", ["x", "split"], ["a", "b", "c"], axis=-2),
                 helper.make_node("Split", ["x"], ["d", "e"], axis=0)]
        inits = {"split": _i64(3, 3, 1)}
    else:
        nodes = [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3),
                 helper.make_node("Split", ["x", "split"], ["d", "e"], axis=0)]
        inits = {"split": _i64(1, 1)}
    check(nodes, {"x": x}, inits, outputs=["a", "b", "c", "d", "e"], opset=opset)


@pytest.mark.parametrize("starts,ends,axes,steps", [
    ([1, 0], [3, 10], [0, 2], None),
    ([-3], [-1], [1], None),
    ([0, 5], [np.iinfo(np.int64).max, -np.iinfo(np.int64).max], [1, 2], [2, -2]),
    ([3], [0], [0], [-1]),
    ([-1, 1], [-1000, 1000], [0, -1], [-2, 3]),
    ([0], [2], None, None),
])
def test_slice(starts, ends, axes, steps):
    x = _rand(4, 5, 6)
    inputs, inits = ["x", "starts", "ends"], {"starts": _i64(*starts), "ends": _i64(*ends)}
    if axes is not None:
        inputs.append("axes")
        inits["axes"] = _i64(*axes)
    if steps is not None:
        inputs.append("steps")
        inits["steps"] = _i64(*steps)
    check(_node("Slice", inputs), {"x": x}, inits)


def test_slice_opset9_attributes():
    check(_node("Slice", ["x"], starts=[1, -2], ends=[100, -1], axes=[0, 2]), {"x": _rand(3, 4, 5)},
          opset=9)


def test_gather():
    x = _rand(5, 4, 3)
    nodes = [_node("Gather", ["x", "idx"], "a", axis=1), _node("Gather", ["x", "scalar"], "b"),
             _node("Gather", ["x", "dyn"], "c", axis=0), _node("Gather", ["x", "idx2"], "d", axis=-1)]
    check(nodes, {"x": x, "dyn": _i64(4, -1, 0, 2)},
          {"idx": _i64(-1, 0, 3, 3), "scalar": np.array(-2, "int64"), "idx2": _i64(0, 2, -1).reshape(3, 1)},
          outputs=["a", "b", "c", "d"])


def test_gather_elements():
    x = _rand(3, 4)
    idx = np.array([[0, -1, 2, 1], [2, 0, 0, -3]], "int64")
    check(_node("GatherElements", ["x", "i"], axis=0), {"x": x, "i": idx})
    check(_node("GatherElements", ["x", "i"], axis=1), {"x": x}, {"i": idx[:, :3]})


@pytest.mark.parametrize("opset", [11, 13])
def test_squeeze_unsqueeze(opset):
    x = _rand(1, 3, 1, 4)
    if opset < 13:
        nodes = [_node("Squeeze", ["x"], "s", axes=[0, -2]), _node("Squeeze", ["x"], "all"),
                 _node("Unsqueeze", ["all"], "u", axes=[0, -1, 2])]
        inits = {}
    else:
        nodes = [_node("Squeeze", ["x", "axes"], "s"), _node("Squeeze", ["x"], "all"),
                 _node("Unsqueeze", ["all", "uaxes"], "u")]
        inits = {"axes": _i64(0, -2), "uaxes": _i64(0, -1, 2)}
    check(nodes, {"x": x}, inits, outputs=["s", "all", "u"], opset=opset)


def test_expand_tile_where():
    x, c = _rand(3, 1), _rand(1, 4) > 0
    nodes = [_node("Expand", ["x", "shape"], "e"), _node("Expand", ["x", "small"], "e2"),
             _node("Tile", ["x", "reps"], "t"), _node("Where", ["c", "x", "e"], "w")]
    check(nodes, {"x": x, "c": c}, {"shape": _i64(2, 3, 4), "small": _i64(1, 1), "reps": _i64(2, 3)},
          outputs=["e", "e2", "t", "w"])


def test_identity_constant_cast_chain():
    value = numpy_helper.from_array(_rand(3, 4), "v")
    nodes = [helper.make_node("Constant", [], ["c"], value=value),
             helper.make_node("Constant", [], ["f"], value_float=2.5),
             helper.make_node("Constant", [], ["ints"], value_ints=[3, 4]),
             _node("Identity", ["x"], "i"),
             _node("Mul", ["i", "c"], "m"), _node("Add", ["m", "f"], "a"),
             _node("Reshape", ["a", "ints"], "y")]
    check(nodes, {"x": _rand(3, 4)}, outputs=["y"])


def test_shape_ops_fold():
    """Shape/Gather/Concat/ConstantOfShape/Expand/Range/Where on static shapes become constants."""
    x = _rand(2, 3, 4)
    nodes = [
        _node("Shape", ["x"], "shape"),
        _node("Shape", ["x"], "tail", start=1),
        _node("Size", ["x"], "size"),
        _node("Gather", ["shape", "zero"], "batch"),
        _node("ConstantOfShape", ["tail"], "ones", value=numpy_helper.from_array(
            np.array([1.0], "float32"))),
        _node("ConstantOfShape", ["tail"], "zeros_default"),
        _node("Range", ["zero", "batch", "one"], "range"),
        _node("Unsqueeze", ["batch", "axis0"], "batch1"),
        _node("Concat", ["batch1", "minus1"], "target", axis=0),
        _node("Reshape", ["x", "target"], "flat"),
        _node("Equal", ["range", "zero"], "is_first"),
        _node("Where", ["is_first", "size", "batch"], "picked"),
        _node("Expand", ["ones", "shape"], "expanded"),
        _node("Mul", ["x", "expanded"], "y"),
    ]
    outputs = ["shape", "tail", "size", "ones", "zeros_default", "range", "flat", "picked", "y"]
    feeds = {"x": x}
    inits = {"zero": np.array(0, "int64"), "one": np.array(1, "int64"), "axis0": _i64(0),
             "minus1": _i64(-1)}
    check(nodes, feeds, inits, outputs=outputs, opset=15)
    mod, _ = from_onnx(make_model(nodes, feeds, inits, outputs, opset=15))
    counts = count_ops(mod)
    # only the tensor computation is left: reshape(x) and x * ones (broadcast folded)
    assert sorted(counts.elements()) == ["multiply", "reshape"]


def test_eye_like():
    check(_node("EyeLike", ["x"], k=1), {"x": _rand(3, 4)})


def test_gather_nd():
    x = _rand(3, 4, 5)
    nodes = [_node("GatherND", ["x", "idx"], "g"), _node("GatherND", ["x", "idx1"], "g1"),
             _node("GatherND", ["x", "bidx"], "gb", batch_dims=1),
             _node("GatherND", ["x", "dyn"], "gd")]
    inits = {"idx": _i64(0, 1, 2, 2, -1, 4).reshape(2, 3), "idx1": _i64(2, 0).reshape(2, 1),
             "bidx": _i64(1, 3, 0).reshape(3, 1)}
    check(nodes, {"x": x, "dyn": _i64(1, 2, 0, 3).reshape(2, 2)}, inits,
          outputs=["g", "g1", "gb", "gd"], opset=16)


def test_one_hot_trilu():
    nodes = [_node("OneHot", ["i", "depth", "values"], "oh"),
             _node("OneHot", ["i", "depth", "values"], "oh0", axis=0),
             _node("Trilu", ["x"], "upper"), _node("Trilu", ["x", "k"], "lower", upper=0)]
    check(nodes, {"i": _i64(0, 3, -1, 2).reshape(2, 2), "x": _rand(2, 4, 5)},
          {"depth": np.array(4, "int64"), "values": np.array([-1.0, 2.0], "float32"),
           "k": np.array(-1, "int64")}, outputs=["oh", "oh0", "upper", "lower"], opset=14)


@pytest.mark.parametrize("time_axis,batch_axis", [(0, 1), (1, 0)])
def test_reverse_sequence(time_axis, batch_axis):
    shape = (4, 3, 2) if time_axis == 0 else (3, 4, 2)
    check(_node("ReverseSequence", ["x", "lens"], time_axis=time_axis, batch_axis=batch_axis),
          {"x": _rand(*shape)}, {"lens": np.array([1, 4, 2], "int64")}, opset=13)
