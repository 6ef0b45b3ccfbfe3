"""ONNX quantized operators and quantized models (onnxruntime.quantization) against ONNX
Runtime, and the integer matrix products against NumPy.

References: the operators that multiply uint8 by int8 (ConvInteger, MatMulInteger,
QLinearConv, QLinearMatMul) are checked against NumPy's exact int64 arithmetic, not ONNX
Runtime: on x86 CPUs without VNNI, ONNX Runtime's uint8 x int8 kernels use ``vpmaddubsw``,
whose int16 pair sums saturate (documented by ONNX Runtime; measured on an AVX2-only Zen 4
guest: MatMulInteger off by up to 16,608).

Tolerances: integer operators (ConvInteger, MatMulInteger, QuantizeLinear, DequantizeLinear)
must match exactly. Operators that requantize (QLinearConv, QLinearMatMul) may differ by one
step of the output's quantization (1 in the integer output): the real-valued result is rounded
once, and TVM's float32 requantization ``acc * (s_x * s_w / s_y)`` and ONNX Runtime's may round
a value that lies within float error of a rounding boundary to neighbouring integers.
"""
import numpy as np
import pytest
from onnx import helper
from tvm.relay.reference.ops.nn import conv_nchw

from onnx_testing import compile_model, make_model, run_module, run_ort, verify

RNG = np.random.default_rng(11)


def _q(dtype, *shape):
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max + 1, shape).astype(dtype)


def _check_int(model, feeds, steps=0, expected=None):
    """The compiled model's integer outputs against ``expected`` (default: ONNX Runtime's)."""
    if expected is None:
        expected = run_ort(model, feeds)
    actual = run_module(compile_model(model), feeds)
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, want.dtype)
        diff = np.abs(got.astype("int64") - want.astype("int64"))
        assert diff.max() <= steps, \
            f"{int((diff > steps).sum())} values differ by up to {diff.max()}"
    return actual, expected


def _conv_int(x, w, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), group=1):
    """NCHW x OIHW convolution in exact int64 (ONNX ``pads``: top, left, bottom, right), by
    the reference interpreter's NumPy kernel."""
    return conv_nchw(x.astype("int64"), w.astype("int64"), tuple(strides), tuple(pads[:2]),
                     tuple(pads[2:]), tuple(dilations), group, "int64")


def _requantize(acc, scale, zero_point, dtype):
    """ONNX's QLinear output: round(acc * scale) half to even, plus the zero point, saturated."""
    info = np.iinfo(dtype)
    return np.clip(np.rint(acc * scale) + int(zero_point), info.min, info.max).astype(dtype)


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
@pytest.mark.parametrize("per_axis", [False, True])
def test_quantize_dequantize_linear(dtype, per_axis):
    x = RNG.standard_normal((2, 4, 3, 3)).astype("float32") * 3
    if per_axis:
        scale = RNG.uniform(0.01, 0.05, 4).astype("float32")
        zp = _q(dtype, 4) // 4
    else:
        scale = np.array(0.02, "float32")
        zp = np.array(_q(dtype)[()] // 4, dtype)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)]
    model = make_model(nodes, {"x": x}, {"s": scale, "z": zp}, outputs=["q", "y"], opset=13)
    expected = run_ort(model, {"x": x})
    actual = run_module(compile_model(model), {"x": x})
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_allclose(actual[1], expected[1], rtol=1e-6, atol=1e-6)


def test_quantize_linear_default_zero_point_and_int32_dequantize():
    x = RNG.standard_normal((3, 5)).astype("float32")
    b = RNG.integers(-1000, 1000, (5,)).astype("int32")
    nodes = [helper.make_node("QuantizeLinear", ["x", "s"], ["q"]),
             helper.make_node("DequantizeLinear", ["b", "s"], ["y"])]
    model = make_model(nodes, {"x": x, "b": b}, {"s": np.array(0.01, "float32")},
                       outputs=["q", "y"], opset=13)
    verify(model, {"x": x, "b": b}, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("x_dtype,w_dtype,per_channel,attrs", [
    ("uint8", "int8", False, {"pads": [1, 1, 1, 1]}),
    ("int8", "int8", True, {"strides": [2, 2], "pads": [0, 1, 1, 0]}),
    ("uint8", "uint8", True, {"group": 2, "dilations": [2, 1], "pads": [2, 1, 2, 1]}),
])
def test_qlinear_conv(x_dtype, w_dtype, per_channel, attrs):
    group = attrs.get("group", 1)
    x = _q(x_dtype, 1, 4, 7, 8)
    w = _q(w_dtype, 6, 4 // group, 3, 3)
    inits = {
        "xs": np.array(0.02, "float32"), "xz": np.array(_q(x_dtype)[()] // 8, x_dtype),
        "w": w,
        "ws": (RNG.uniform(0.002, 0.01, 6) if per_channel else np.array(0.005)).astype("float32"),
        "wz": np.zeros(6 if per_channel else (), w_dtype),
        "ys": np.array(0.8, "float32"), "yz": np.array(7, x_dtype),
        "b": RNG.integers(-2000, 2000, 6).astype("int32"),
    }
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                            ["y"], **attrs)
    acc = _conv_int(x.astype("int64") - int(inits["xz"]), w.astype("int64") - inits["wz"].reshape(-1, 1, 1, 1),
                    strides=attrs.get("strides", (1, 1)), pads=attrs.get("pads", (0, 0, 0, 0)),
                    dilations=attrs.get("dilations", (1, 1)), group=group)
    acc = acc + inits["b"].reshape(1, -1, 1, 1)
    scale = (np.float64(inits["xs"]) * inits["ws"].astype("float64") / np.float64(inits["ys"])).reshape(-1, 1, 1)
    expected = _requantize(acc, scale, inits["yz"], x_dtype)
    _check_int(make_model([node], {"x": x}, inits, opset=13), {"x": x}, steps=1, expected=[expected])


@pytest.mark.parametrize("a_shape,b_shape,b_const", [((5, 8), (8, 6), True),
                                                     ((2, 5, 8), (8, 6), True),
                                                     ((2, 5, 8), (2, 8, 6), False)])
def test_qlinear_matmul(a_shape, b_shape, b_const):
    a, b = _q("uint8", *a_shape), _q("int8", *b_shape)
    inits = {"as": np.array(0.03, "float32"), "az": np.array(120, "uint8"),
             "bs": np.array(0.02, "float32"), "bz": np.array(3, "int8"),
             "ys": np.array(0.5, "float32"), "yz": np.array(4, "uint8")}
    feeds = {"a": a}
    if b_const:
        inits["b"] = b
    else:
        feeds["b"] = b
    node = helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
                            ["y"])
    acc = (a.astype("int64") - int(inits["az"])) @ (b.astype("int64") - int(inits["bz"]))
    scale = np.float64(inits["as"]) * np.float64(inits["bs"]) / np.float64(inits["ys"])
    expected = _requantize(acc, scale, inits["yz"], "uint8")
    _check_int(make_model([node], feeds, inits, opset=13), feeds, steps=1, expected=[expected])


def test_matmul_integer_and_conv_integer():
    a, b = _q("uint8", 3, 4, 8), _q("int8", 8, 5)
    inits = {"b": b, "az": np.array(100, "uint8"), "bz": np.array(-2, "int8"),
             "w": _q("uint8", 3, 4, 3, 3), "wz": np.array(9, "uint8")}
    nodes = [helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["y"]),
             helper.make_node("ConvInteger", ["x", "w", "", "wz"], ["c"], pads=[1, 0, 1, 0])]
    feeds = {"a": a, "x": _q("uint8", 1, 4, 6, 5)}
    matmul = ((a.astype("int64") - 100) @ (b.astype("int64") + 2)).astype("int32")
    conv = _conv_int(feeds["x"], inits["w"].astype("int64") - 9, pads=(1, 0, 1, 0)).astype("int32")
    _check_int(make_model(nodes, feeds, inits, outputs=["y", "c"], opset=13), feeds,
               expected=[matmul, conv])


def test_dynamic_quantize_linear():
    x = (RNG.standard_normal((4, 7)) * 2 + 0.5).astype("float32")
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])
    model = make_model([node], {"x": x}, outputs=["y", "s", "z"], opset=13)
    expected = run_ort(model, {"x": x})
    actual = run_module(compile_model(model), {"x": x})
    np.testing.assert_allclose(actual[1], expected[1], rtol=1e-6)
    np.testing.assert_array_equal(actual[2], expected[2])
    assert np.abs(actual[0].astype(int) - expected[0].astype(int)).max() <= 1


# -- whole models quantized by onnxruntime.quantization ------------------------------------


def _float_cnn():
    """conv-relu -> conv-relu (+ residual) -> global pool -> flatten -> gemm, random weights."""
    rng = np.random.default_rng(0)

    def w(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype("float32")

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Add", ["r1", "r2"], ["s"]),
        helper.make_node("Conv", ["s", "w3", "b3"], ["c3"], strides=[2, 2]),
        helper.make_node("Relu", ["c3"], ["r3"]),
        helper.make_node("GlobalAveragePool", ["r3"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], transB=1),
    ]
    inits = {"w1": w(8, 3, 3, 3), "b1": w(8, scale=0.1), "w2": w(8, 8, 3, 3, scale=0.15),
             "b2": w(8, scale=0.1), "w3": w(16, 8, 1, 1), "b3": w(16, scale=0.1),
             "wf": w(10, 16), "bf": w(10, scale=0.1)}
    x = rng.standard_normal((1, 3, 16, 16)).astype("float32")
    return make_model(nodes, {"x": x}, inits, opset=13), x


def _quantized(model, how, shape=(1, 3, 16, 16), **kwargs):
    import os
    import tempfile

    import onnx
    from onnxruntime import quantization as ortq

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "float.onnx"), os.path.join(tmp, "quant.onnx")
        onnx.save(model, src)
        if how == "static":
            class Reader(ortq.CalibrationDataReader):
                def __init__(self):
                    rng = np.random.default_rng(1)
                    self.batches = iter([{"x": rng.standard_normal(shape).astype("float32")}
                                         for _ in range(8)])

                def get_next(self):
                    return next(self.batches, None)

            ortq.quantize_static(src, dst, Reader(), quant_format=ortq.QuantFormat.QDQ,
                                 **kwargs)
        else:
            ortq.quantize_dynamic(src, dst, **kwargs)
        return onnx.load(dst)


def _output_scale(model):
    """Scale of the last DequantizeLinear (the model's output quantization)."""
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    last = [n for n in model.graph.node if n.op_type == "DequantizeLinear"][-1]
    return float(inits[last.input[1]])


@pytest.mark.parametrize("per_channel", [False, True])
def test_qdq_static_cnn(per_channel):
    """QDQ model from quantize_static: every QDQ Conv/Gemm becomes an integer product.

    Tolerance: the output is dequantized from int8, so values are multiples of its scale;
    allow one step of that scale (a rounding of a value within float error of a rounding
    boundary, in the output or in an intermediate requantization, moves it by one step).
    Measured here: no difference at all, per tensor or per channel."""
    model, x = _float_cnn()
    qmodel = _quantized(model, "static", per_channel=per_channel)
    ops = {n.op_type for n in qmodel.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv", "Gemm"} <= ops
    from tvm import relay
    from tvm.relay.frontend import from_onnx

    mod, _ = from_onnx(qmodel)
    names = set()
    relay.analysis.post_order_visit(
        mod["main"], lambda e: names.add(e.op.name) if isinstance(e, relay.Call)
        and isinstance(e.op, relay.Op) else None)
    assert {"qnn.conv2d", "qnn.dense", "qnn.quantize", "qnn.dequantize"} <= names
    assert "nn.conv2d" not in names and "nn.dense" not in names
    step = _output_scale(qmodel)
    expected = run_ort(qmodel, {"x": x})[0]
    actual = run_module(compile_model(qmodel), {"x": x})[0]
    assert np.abs(actual - expected).max() <= step * 1.001
    # and the quantized model stays close to the float one
    float_out = run_ort(model, {"x": x})[0]
    assert np.abs(actual - float_out).max() < 0.1 * np.abs(float_out).max()


def test_dynamic_quantized_cnn():
    """quantize_dynamic: DynamicQuantizeLinear + ConvInteger/MatMulInteger, float outputs.

    Tolerance rtol/atol 1e-4, as for float models: the integer products are exact and the
    activation quantization is the same arithmetic as ONNX Runtime's (measured here: max
    difference 1.2e-7)."""
    model, x = _float_cnn()
    qmodel = _quantized(model, "dynamic", op_types_to_quantize=["Conv", "MatMul", "Gemm"])
    ops = {n.op_type for n in qmodel.graph.node}
    assert {"DynamicQuantizeLinear", "ConvInteger", "MatMulInteger"} <= ops
    expected = run_ort(qmodel, {"x": x})[0]
    actual = run_module(compile_model(qmodel), {"x": x})[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


def test_qdq_static_attention_block():
    """QDQ MatMuls of a weight and of two activations (q @ k^T, p @ x), with a Softmax between
    them: within one step of the output scale of ONNX Runtime (measured: 6 of 80 values one
    step apart, ONNX Runtime running the QDQ groups as its own quantized kernels)."""
    rng = np.random.default_rng(0)
    nodes = [helper.make_node("MatMul", ["x", "wq"], ["q"]),
             helper.make_node("MatMul", ["x", "wk"], ["k"]),
             helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
             helper.make_node("MatMul", ["q", "kt"], ["s"]),
             helper.make_node("Softmax", ["s"], ["p"], axis=-1),
             helper.make_node("MatMul", ["p", "x"], ["o"]),
             helper.make_node("Add", ["o", "b"], ["y"])]
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    inits = {name: (rng.standard_normal(shape) * 0.3).astype("float32")
             for name, shape in (("wq", (8, 8)), ("wk", (8, 8)), ("b", (8,)))}
    qmodel = _quantized(make_model(nodes, {"x": x}, inits, opset=13), "static", shape=x.shape)
    assert [n.op_type for n in qmodel.graph.node].count("QuantizeLinear") >= 6
    expected = run_ort(qmodel, {"x": x})[0]
    actual = run_module(compile_model(qmodel), {"x": x})[0]
    assert np.abs(actual - expected).max() <= _output_scale(qmodel) * 1.001
