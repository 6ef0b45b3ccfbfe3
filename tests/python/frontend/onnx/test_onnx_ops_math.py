"""ONNX elementwise, activation, softmax, reduction and matrix-product operators vs ONNX Runtime."""
import numpy as np
import pytest
from onnx import helper

from onnx_testing import check

RNG = np.random.default_rng(0)


def _rand(*shape, dtype="float32", low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(dtype)


def _node(op_type, inputs, output="y", **attrs):
    return helper.make_node(op_type, inputs, [output], **attrs)


UNARY = ["Abs", "Acos", "Asin", "Atan", "Ceil", "Cos", "Cosh", "Erf", "Exp", "Floor", "Neg",
         "Relu", "Round", "Sigmoid", "Sign", "Sin", "Sinh", "Tan", "Tanh", "Asinh", "Atanh", "Softsign",
         "Softplus", "Reciprocal"]
POSITIVE = ["Sqrt", "Log", "Acosh"]


def test_unary():
    x = _rand(2, 3, 4, low=-0.95, high=0.95)
    p = _rand(2, 3, 4, low=1.05, high=3.0)
    nodes = [_node(op, ["x"], f"y_{op}") for op in UNARY]
    nodes += [_node(op, ["p"], f"y_{op}") for op in POSITIVE]
    check(nodes, {"x": x, "p": p}, outputs=[f"y_{op}" for op in UNARY + POSITIVE])


def test_binary_broadcast():
    a, b = _rand(2, 3, 4), _rand(3, 1, low=0.5, high=2.0)
    ops = ["Add", "Sub", "Mul", "Div"]
    nodes = [_node(op, ["a", "b"], f"y_{op}") for op in ops]
    nodes.append(_node("Pow", ["b", "a"], "y_Pow"))
    nodes.append(_node("Pow", ["a", "two"], "y_Square"))
    nodes.append(_node("Pow", ["b", "half"], "y_Sqrt"))
    nodes.append(_node("Max", ["a", "b", "c"], "y_Max"))
    nodes.append(_node("Min", ["a", "b"], "y_Min"))
    nodes.append(_node("Sum", ["a", "b", "c"], "y_Sum"))
    nodes.append(_node("Mean", ["a", "b", "c"], "y_Mean"))
    outs = [f"y_{op}" for op in ops + ["Pow", "Square", "Sqrt", "Max", "Min", "Sum", "Mean"]]
    check(nodes, {"a": a, "b": b},
          {"c": _rand(4), "two": np.float32(2.0), "half": np.float32(0.5)}, outputs=outs)


def test_integer_div_mod_and_int_pow():
    a = np.array([[7, -7, 9, -9], [5, 6, -1, 0]], "int32")
    b = np.array([2, 3, -4, 5], "int32")
    nodes = [_node("Div", ["a", "b"], "div"), _node("Mod", ["a", "b"], "mod"),
             _node("Mod", ["a", "b"], "fmod", fmod=1), _node("Add", ["a", "b"], "add")]
    check(nodes, {"a": a, "b": b}, outputs=["div", "mod", "fmod", "add"])
    base = _rand(3, 4, low=0.5, high=2.0)
    check(_node("Pow", ["x", "e"]), {"x": base}, {"e": np.array([1, 2, 3, -1], "int64")})


def test_compare_logical_where():
    a, b = _rand(3, 4), _rand(4)
    nodes = [
        _node("Less", ["a", "b"], "lt"), _node("Greater", ["a", "b"], "gt"),
        _node("Equal", ["ai", "bi"], "eq"), _node("LessOrEqual", ["a", "b"], "le"),
        _node("GreaterOrEqual", ["a", "b"], "ge"),
        _node("And", ["lt", "eq"], "and"), _node("Or", ["lt", "eq"], "or"),
        _node("Xor", ["lt", "ge"], "xor"), _node("Not", ["gt"], "not"),
        _node("Where", ["lt", "a", "b"], "where"),
        _node("Where", ["gt", "one", "zero"], "where_scalars"),
    ]
    ai = RNG.integers(0, 3, (3, 4)).astype("int64")
    bi = RNG.integers(0, 3, (4,)).astype("int64")
    check(nodes, {"a": a, "b": b, "ai": ai, "bi": bi},
          {"one": np.float32(1.0), "zero": np.float32(0.0)},
          outputs=["lt", "gt", "eq", "le", "ge", "and", "or", "xor", "not", "where",
                   "where_scalars"])


def test_activations():
    x = _rand(2, 3, 5, low=-3.0, high=3.0)
    nodes = [
        _node("LeakyRelu", ["x"], "leaky", alpha=0.2), _node("LeakyRelu", ["x"], "leaky_default"),
        _node("Elu", ["x"], "elu", alpha=0.7), _node("Selu", ["x"], "selu"),
        _node("Celu", ["x"], "celu", alpha=1.3),
        _node("HardSigmoid", ["x"], "hsig", alpha=0.3, beta=0.4), _node("HardSwish", ["x"], "hswish"),
        _node("PRelu", ["x", "slope"], "prelu"), _node("PRelu", ["x", "slope1"], "prelu1"),
    ]
    check(nodes, {"x": x}, {"slope": _rand(3, 1, low=0.0, high=0.5),
                            "slope1": np.array([0.25], "float32")},
          outputs=["leaky", "leaky_default", "elu", "selu", "celu", "hsig", "hswish", "prelu",
                   "prelu1"], opset=14)


def test_gelu_opset20():
    x = _rand(2, 8, low=-4.0, high=4.0)
    check([_node("Gelu", ["x"], "exact"), _node("Gelu", ["x"], "tanh", approximate="tanh")],
          {"x": x}, outputs=["exact", "tanh"], opset=20)


@pytest.mark.parametrize("opset", [6, 11, 13])
def test_clip(opset):
    x = _rand(3, 4, low=-8.0, high=8.0)
    if opset < 11:
        nodes = [_node("Clip", ["x"], "y", min=-1.0, max=6.0), _node("Clip", ["x"], "lo", min=0.5)]
        check(nodes, {"x": x}, outputs=["y", "lo"], opset=opset)
    else:
        nodes = [_node("Clip", ["x", "lo", "hi"], "y"), _node("Clip", ["x", "lo"], "only_min"),
                 _node("Clip", ["x", "", "hi"], "only_max"), _node("Clip", ["x"], "none"),
                 _node("Clip", ["x", "dyn"], "dynamic_min")]
        check(nodes, {"x": x, "dyn": np.array(-0.5, "float32")},
              {"lo": np.float32(0.0), "hi": np.float32(6.0)},
              outputs=["y", "only_min", "only_max", "none", "dynamic_min"], opset=opset)


@pytest.mark.parametrize("opset,axis", [(11, 1), (11, -1), (11, 0), (13, 1), (13, -1)])
def test_softmax(opset, axis):
    x = _rand(2, 3, 4, low=-5.0, high=5.0)
    check([_node("Softmax", ["x"], "s", axis=axis), _node("LogSoftmax", ["x"], "l", axis=axis)],
          {"x": x}, outputs=["s", "l"], opset=opset)


def test_softmax_default_axis():
    x = _rand(2, 3, 4)
    check(_node("Softmax", ["x"]), {"x": x}, opset=11)
    check(_node("Softmax", ["x"]), {"x": x}, opset=13)


REDUCE = ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
          "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"]


@pytest.mark.parametrize("keepdims", [0, 1])
def test_reductions_axes_attribute(keepdims):
    x = _rand(2, 3, 4, low=0.5, high=1.5)
    nodes = [_node(op, ["x"], op, axes=[1, -1], keepdims=keepdims) for op in REDUCE
             if op != "ReduceSum"]
    nodes.append(_node("ReduceMean", ["x"], "all", keepdims=keepdims))
    nodes.append(_node("ReduceSum", ["x", "axes"], "ReduceSum", keepdims=keepdims))
    check(nodes, {"x": x}, {"axes": np.array([0, 2], "int64")},
          outputs=[n.output[0] for n in nodes], opset=13)


def test_reductions_axes_input_opset18():
    x = _rand(2, 3, 4, low=0.5, high=1.5)
    nodes = [_node(op, ["x", "axes"], op) for op in REDUCE]
    nodes.append(_node("ReduceMax", ["x"], "all", keepdims=0))
    nodes.append(_node("ReduceSum", ["x", "empty"], "noop", noop_with_empty_axes=1))
    check(nodes, {"x": x}, {"axes": np.array([-2], "int64"), "empty": np.zeros(0, "int64")},
          outputs=[n.output[0] for n in nodes], opset=18)


def test_argmax_argmin():
    x = RNG.integers(0, 4, (3, 5)).astype("float32")  # ties exercise select_last_index
    nodes = [_node("ArgMax", ["x"], "a0"), _node("ArgMax", ["x"], "a1", axis=1, keepdims=0),
             _node("ArgMin", ["x"], "m1", axis=-1, select_last_index=1),
             _node("ArgMax", ["x"], "last", axis=1, select_last_index=1)]
    check(nodes, {"x": x}, outputs=["a0", "a1", "m1", "last"])


@pytest.mark.parametrize("a_shape,b_shape", [
    ((4, 5), (5, 3)),
    ((2, 4, 5), (5, 3)),
    ((2, 4, 5), (2, 5, 3)),
    ((2, 1, 4, 5), (3, 5, 6)),
    ((5,), (2, 5, 3)),
    ((2, 4, 5), (5,)),
    ((5,), (5,)),
])
def test_matmul(a_shape, b_shape):
    a, b = _rand(*a_shape), _rand(*b_shape)
    check(_node("MatMul", ["a", "b"]), {"a": a, "b": b})
    check(_node("MatMul", ["a", "b"]), {"a": a}, {"b": b})


@pytest.mark.parametrize("trans_a,trans_b,alpha,beta,c_shape", [
    (0, 0, 1.0, 1.0, (3,)),
    (1, 0, 0.5, 2.0, (4, 3)),
    (0, 1, 1.0, 0.0, (1, 3)),
    (1, 1, 2.0, 1.0, None),
])
def test_gemm(trans_a, trans_b, alpha, beta, c_shape):
    a = _rand(*((5, 4) if trans_a else (4, 5)))
    b = _rand(*((3, 5) if trans_b else (5, 3)))
    inputs = ["a", "b"] + (["c"] if c_shape else [])
    inits = {"b": b}
    if c_shape:
        inits["c"] = _rand(*c_shape)
    check(_node("Gemm", inputs, transA=trans_a, transB=trans_b, alpha=alpha, beta=beta),
          {"a": a}, inits)


def test_cast():
    x = _rand(3, 4, low=-5.0, high=5.0)
    i = RNG.integers(-5, 5, (3, 4)).astype("int64")
    nodes = [_node("Cast", ["x"], "to_int", to=6), _node("Cast", ["i"], "to_float", to=1),
             _node("Cast", ["x"], "to_bool", to=9), _node("Cast", ["x"], "to_double", to=11),
             _node("CastLike", ["i", "x"], "like")]
    check(nodes, {"x": x, "i": i}, outputs=["to_int", "to_float", "to_bool", "to_double", "like"],
          opset=15)


def test_einsum_and_more_activations():
    a, b = _rand(2, 3, 4), _rand(2, 4, 5)
    nodes = [_node("Einsum", ["a", "b"], "bmm", equation="bij,bjk->bik"),
             _node("Einsum", ["a"], "tr", equation="bij->bji"),
             _node("Mish", ["a"], "mish"), _node("ThresholdedRelu", ["a"], "trelu", alpha=0.5),
             _node("IsInf", ["c"], "inf"), _node("IsInf", ["c"], "neginf", detect_positive=0),
             _node("Shrink", ["a"], "shrink", lambd=0.3, bias=0.1)]
    c = np.array([1.0, np.inf, -np.inf, 0.0], "float32")
    check(nodes, {"a": a, "b": b, "c": c},
          outputs=["bmm", "tr", "mish", "trelu", "inf", "neginf", "shrink"], opset=18)


@pytest.mark.parametrize("axis,largest,k", [(-1, 1, 3), (0, 1, 2), (1, 0, 4)])
def test_topk(axis, largest, k):
    x = RNG.permutation(5 * 6 * 4).astype("float32").reshape(5, 6, 4)  # no ties
    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"], axis=axis, largest=largest)
    check(node, {"x": x}, {"k": np.array([k], "int64")}, outputs=("values", "indices"))


def test_topk_opset1_attribute():
    x = RNG.permutation(24).astype("float32").reshape(4, 6)
    node = helper.make_node("TopK", ["x"], ["values", "indices"], k=2)
    check(node, {"x": x}, outputs=("values", "indices"), opset=9)


def test_topk_with_a_run_time_k_needs_the_vm():
    from onnx_testing import make_model, run_tvm

    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"])
    feeds = {"x": _rand(3, 4), "k": np.array([2], "int64")}
    # K is a graph input: the result's shape is known at run time (test_onnx_dynamic_values)
    with pytest.raises(ValueError, match=r"dynamic shapes runs on the Relay VM"):
        run_tvm(make_model([node], feeds, outputs=("values", "indices")), feeds)


@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("axis", [0, -1])
def test_cumsum(exclusive, reverse, axis):
    check(_node("CumSum", ["x", "axis"], exclusive=exclusive, reverse=reverse),
          {"x": _rand(3, 5)}, {"axis": np.array(axis, "int64")}, rtol=1e-5, atol=1e-5)
