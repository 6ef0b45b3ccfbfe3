"""relay.qnn operators: compiled (through CanonicalizeOps in relay.build) and reference kernels
against NumPy formulas of their semantics."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay.reference import eval_expr

RNG = np.random.default_rng(0)


def _run(outputs, inputs):
    params = [relay.var(name, shape=value.shape, dtype=str(value.dtype))
              for name, value in inputs.items()]
    func = relay.Function(params, relay.Tuple(outputs(*params)))
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(tvm.IRModule.from_expr(func), target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def _c(value, dtype="float32"):
    return relay.const(np.asarray(value, dtype))


def test_quantize_dequantize_per_tensor_and_per_axis():
    x = RNG.standard_normal((2, 3, 4)).astype("float32") * 4
    scale = np.array([0.02, 0.05, 0.1], "float32")
    zp = np.array([3, -7, 0], "int32")
    out = _run(lambda v: [
        relay.qnn.op.quantize(v, _c(0.03), _c(5, "int32"), out_dtype="uint8"),
        relay.qnn.op.quantize(v, _c(scale), _c(zp, "int32"), axis=1, out_dtype="int8"),
        relay.qnn.op.dequantize(relay.qnn.op.quantize(v, _c(scale), _c(zp, "int32"), axis=1),
                                _c(scale), _c(zp, "int32"), axis=1),
    ], {"x": x})
    want_u8 = np.clip(np.round(x / np.float32(0.03)) + 5, 0, 255).astype("uint8")
    s, z = scale.reshape(1, 3, 1), zp.reshape(1, 3, 1)
    want_i8 = np.clip(np.round(x / s) + z, -128, 127).astype("int8")
    np.testing.assert_array_equal(out[0], want_u8)
    np.testing.assert_array_equal(out[1], want_i8)
    np.testing.assert_allclose(out[2], (want_i8.astype("int32") - z) * s, rtol=1e-6)
    # the reference kernel (interpreter / FoldConstant) agrees
    ref = eval_expr(relay.qnn.op.quantize(relay.const(x), _c(0.03), _c(5, "int32"),
                                          out_dtype="uint8"))
    np.testing.assert_array_equal(ref, want_u8)


@pytest.mark.parametrize("rounding", ["UPWARD", "TONEAREST"])
def test_requantize(rounding):
    acc = RNG.integers(-300, 300, (4, 6)).astype("int32")
    acc[0, :3] = [1, -1, 3]  # exact ties with the multiplier 0.5 / 1.0
    out = _run(lambda v: [relay.qnn.op.requantize(v, _c(0.5), _c(0, "int32"), _c(1.0),
                                                  _c(-3, "int32"), rounding=rounding)],
               {"acc": acc})[0]
    real = acc.astype("float32") * np.float32(0.5)
    rounded = np.floor(real + 0.5) if rounding == "UPWARD" else \
        np.sign(real) * np.floor(np.abs(real) + 0.5)
    np.testing.assert_array_equal(out, np.clip(rounded - 3, -128, 127).astype("int8"))
    assert out[0, :3].tolist() == ([-2, -3, -1] if rounding == "UPWARD" else [-2, -4, -1])


def test_conv2d_dense_integer_accumulation():
    data = RNG.integers(0, 256, (1, 3, 6, 6)).astype("uint8")
    kernel = RNG.integers(-128, 128, (4, 3, 3, 3)).astype("int8")
    kernel_zp = np.array([0, 1, -2, 3], "int32")
    weight = RNG.integers(-128, 128, (5, 12)).astype("int8")
    rows = RNG.integers(0, 256, (2, 12)).astype("uint8")
    out = _run(lambda d, r: [
        relay.qnn.op.conv2d(d, _c(kernel, "int8"), _c(7, "int32"), _c(kernel_zp, "int32"),
                            _c(0.1), _c([0.1] * 4), (3, 3), 4, padding=(1, 1)),
        relay.qnn.op.dense(r, _c(weight, "int8"), _c(9, "int32"), _c(-1, "int32"), _c(0.1),
                           _c(0.1), 5),
    ], {"d": data, "r": rows})
    centered = np.pad(data.astype("int64") - 7, ((0, 0), (0, 0), (1, 1), (1, 1)))
    k = kernel.astype("int64") - kernel_zp.reshape(4, 1, 1, 1)
    want = np.zeros((1, 4, 6, 6), "int64")
    for i in range(6):
        for j in range(6):
            want[0, :, i, j] = np.tensordot(k, centered[0, :, i:i + 3, j:j + 3], axes=3)
    assert out[0].dtype == np.int32
    np.testing.assert_array_equal(out[0], want)
    np.testing.assert_array_equal(out[1], (rows.astype("int64") - 9) @ (weight.astype("int64")
                                                                       + 1).T)


def test_add_mul_concatenate():
    """TVM 0.8's definitions: add requantizes each operand to the output parameters (ties
    upward) and adds in int32; mul multiplies the zero-point-free operands in int32 and
    requantizes the product; concatenate requantizes every input."""
    a = RNG.integers(-128, 128, (2, 3)).astype("int8")
    b = RNG.integers(-128, 128, (3,)).astype("int8")
    params = (_c(0.1), _c(2, "int32"), _c(0.2), _c(-1, "int32"), _c(0.15), _c(3, "int32"))
    out = _run(lambda x, y: [
        relay.qnn.op.add(x, y, *params), relay.qnn.op.mul(x, y, *params),
        relay.qnn.op.concatenate([x, relay.reshape(y, (1, 3))], [_c(0.1), _c(0.2)],
                                 [_c(2, "int32"), _c(-1, "int32")], _c(0.15), _c(1, "int32"),
                                 axis=0),
    ], {"a": a, "b": b})

    def requant(q, zp, scale, out_zp, out_scale=np.float32(0.15)):
        real = (q.astype("int32") - zp).astype("float32") * (np.float32(scale) / out_scale)
        return np.floor(real + np.float32(0.5)).astype("int64") + out_zp

    def saturate(values):
        return np.clip(values, -128, 127).astype("int8")

    np.testing.assert_array_equal(out[0], saturate(requant(a, 2, 0.1, 3) +
                                                   requant(b, -1, 0.2, 3) - 3))
    product = (a.astype("int32") - 2) * (b.astype("int32") + 1)
    np.testing.assert_array_equal(out[1], saturate(
        requant(product, 0, np.float32(0.1) * np.float32(0.2), 3)))
    np.testing.assert_array_equal(out[2], saturate(np.concatenate(
        [requant(a, 2, 0.1, 1), requant(b, -1, 0.2, 1)[None]])))


def test_bad_arguments_are_named():
    x = relay.var("x", shape=(2, 2), dtype="int8")
    with pytest.raises(ValueError, match="out_dtype"):
        relay.qnn.op.quantize(relay.var("f", shape=(2,)), _c(0.1), _c(0, "int32"),
                              out_dtype="float16")
    with pytest.raises(ValueError, match="rounding"):
        relay.qnn.op.requantize(x, _c(0.1), _c(0, "int32"), _c(0.2), _c(0, "int32"),
                                rounding="DOWN")
    with pytest.raises(Exception, match="float32"):
        relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function(
            [x], relay.qnn.op.quantize(x, _c(0.1), _c(0, "int32")))))


def test_canonicalize_ops_pass_leaves_no_qnn_call():
    """Upstream's explicit form: relay.qnn.transform.CanonicalizeOps()(mod)."""
    data = relay.var("d", shape=(1, 3, 6, 6), dtype="uint8")
    conv = relay.qnn.op.conv2d(data, _c(RNG.integers(-3, 3, (4, 3, 3, 3)), "int8"),
                               _c(7, "int32"), _c(0, "int32"), _c(0.1), _c(0.1), (3, 3), 4)
    out = relay.qnn.op.requantize(conv, _c(0.01), _c(0, "int32"), _c(0.5), _c(1, "int32"))
    mod = tvm.IRModule.from_expr(relay.Function([data], out))
    lowered = relay.qnn.transform.CanonicalizeOps()(relay.transform.InferType()(mod))
    names = []
    relay.analysis.post_order_visit(lowered["main"], lambda e: names.append(e.op.name) if
                                    isinstance(e, relay.Call) else None)
    assert "nn.conv2d" in names and not [n for n in names if n.startswith("qnn.")]
    conv_call = [c for c in _calls(lowered["main"]) if c.op.name == "nn.conv2d"][0]
    assert conv_call.attrs.out_dtype == "int32"
    assert relay.transform.InferType()(lowered)["main"].ret_type.dtype == "int8"


def _calls(func):
    found = []
    relay.analysis.post_order_visit(func, lambda e: found.append(e) if isinstance(e, relay.Call)
                                    else None)
    return found


def _conv2d_transpose_nchw(data, kernel_iohw, stride, pad):
    """Transposed convolution from its definition: every input pixel scatters
    ``data[n, ci, y, x] * kernel[ci, co]`` onto the output window at
    ``(y * stride, x * stride)``, then ``pad`` is cropped from each border."""
    n, cin, h, w = data.shape
    _, cout, kh, kw = kernel_iohw.shape
    full = np.zeros((n, cout, (h - 1) * stride + kh, (w - 1) * stride + kw), np.int64)
    for y in range(h):
        for x in range(w):
            full[:, :, y * stride:y * stride + kh, x * stride:x * stride + kw] += np.einsum(
                "nc,cokl->nokl", data[:, :, y, x], kernel_iohw)
    return full[:, :, pad:full.shape[2] - pad, pad:full.shape[3] - pad]


@pytest.mark.parametrize("kernel_layout", ["IOHW", "HWOI", "OIHW"])
def test_conv2d_transpose_kernel_letters_and_zero_points(kernel_layout):
    """qnn.conv2d_transpose (0.8): I names the data's channels, O the output
    channels, whatever their order; zero points are subtracted before the
    int32 accumulation."""
    data = RNG.integers(0, 256, (2, 3, 5, 4)).astype("uint8")
    kernel_iohw = RNG.integers(-128, 128, (3, 4, 3, 2)).astype("int8")
    kernel = np.transpose(kernel_iohw, ["IOHW".index(a) for a in kernel_layout])
    expected = _conv2d_transpose_nchw(data.astype(np.int64) - 7,
                                      kernel_iohw.astype(np.int64) + 2, 2, 1)
    (out,) = _run(lambda d, k: [relay.qnn.op.conv2d_transpose(
        d, k, _c(7, "int32"), _c(-2, "int32"), _c(0.5), _c(0.25), strides=(2, 2),
        padding=(1, 1), kernel_size=(3, 2), channels=4, kernel_layout=kernel_layout)],
        {"data": data, "kernel": kernel})
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected)


def test_conv2d_transpose_per_channel_kernel_zero_point_and_nhwc():
    data = RNG.integers(-128, 128, (1, 4, 3, 2)).astype("int8")  # NHWC
    kernel_iohw = RNG.integers(-128, 128, (2, 3, 2, 2)).astype("int8")
    kernel_zp = np.array([1, -3, 4], "int32")  # per output channel
    kernel_hwoi = np.transpose(kernel_iohw, (2, 3, 1, 0))
    centered = kernel_iohw.astype(np.int64) - kernel_zp[None, :, None, None]
    expected = _conv2d_transpose_nchw(np.transpose(data, (0, 3, 1, 2)).astype(np.int64) - 5,
                                      centered, 1, 0).transpose(0, 2, 3, 1)
    (out,) = _run(lambda d, k: [relay.qnn.op.conv2d_transpose(
        d, k, _c(5, "int32"), _c(kernel_zp, "int32"), _c(1.0), _c([1.0, 2.0, 3.0]),
        data_layout="NHWC", kernel_layout="HWOI")], {"data": data, "kernel": kernel_hwoi})
    np.testing.assert_array_equal(out, expected)


def test_batch_matmul_subtracts_zero_points_and_transposes_y():
    x = RNG.integers(0, 256, (3, 4, 5)).astype("uint8")
    y = RNG.integers(0, 256, (3, 6, 5)).astype("uint8")
    expected = np.matmul(x.astype(np.int64) - 3, np.swapaxes(y.astype(np.int64) - 250, 1, 2))
    call = lambda a, b: relay.qnn.op.batch_matmul(a, b, _c(3, "int32"), _c(250, "int32"),
                                                  _c(0.5), _c(0.5))
    (out,) = _run(lambda a, b: [call(a, b)], {"x": x, "y": y})
    assert out.dtype == np.int32 and out.shape == (3, 4, 6)
    np.testing.assert_array_equal(out, expected)
    # the reference interpreter evaluates the same lowering
    ref = eval_expr(call(relay.const(x), relay.const(y)))
    np.testing.assert_array_equal(np.asarray(ref), expected)


def test_new_qnn_ops_have_0_8_support_level():
    for name in ("qnn.batch_matmul", "qnn.conv2d_transpose", "qnn.conv2d", "qnn.dense"):
        assert relay.op.get(name).support_level == 11
