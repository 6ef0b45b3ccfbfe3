"""TVM 0.8 ops and pass behaviour added in one round: cross entropies, packed-layout
upsampling and NCHWc convolution types, QNN legalization, FoldScaleAxis on blocked layouts,
FuseOps around references. Each result is checked against NumPy or the unrewritten graph."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay.reference import create_executor


def _build_run(func, inputs):
    mod = tvm.IRModule.from_expr(func)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, "llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return module.get_output(0).numpy()


def _interpret(mod, *args):
    return create_executor("debug", mod=mod).evaluate()(*args).numpy()


@pytest.mark.parametrize("with_logits", [False, True])
def test_cross_entropy_value_and_gradient(with_logits):
    rng = np.random.RandomState(0)
    p = rng.uniform(0.1, 1.0, (3, 5)).astype("float32")
    t = rng.uniform(0.0, 1.0, (3, 5)).astype("float32")
    x = relay.var("x", shape=(3, 5))
    y = relay.var("y", shape=(3, 5))
    op = relay.nn.cross_entropy_with_logits if with_logits else relay.nn.cross_entropy
    func = relay.Function([x, y], op(x, y))
    terms = p if with_logits else np.log(p)
    expected = -np.sum(terms * t) / 3
    np.testing.assert_allclose(_build_run(func, {"x": p, "y": t}), expected, rtol=1e-5)

    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    grad = relay.transform.gradient(mod["main"], mode="first_order")
    gmod = relay.transform.InferType()(tvm.IRModule.from_expr(grad))
    _, (dx, dy) = create_executor("debug", mod=gmod).evaluate()(p, t)
    exp_dx = -t / 3 if with_logits else -t / p / 3
    exp_dy = -p / 3 if with_logits else -np.log(p) / 3
    np.testing.assert_allclose(dx.numpy(), exp_dx, rtol=1e-5)
    np.testing.assert_allclose(dy.numpy(), exp_dy, rtol=1e-5)


def test_upsampling_in_packed_layout_matches_nchw():
    rng = np.random.RandomState(1)
    data = rng.uniform(-1, 1, (1, 8, 5, 6)).astype("float32")
    packed = data.reshape(1, 2, 4, 5, 6).transpose(0, 1, 3, 4, 2)  # NCHW4c
    x = relay.var("x", shape=packed.shape)
    y = relay.nn.upsampling(x, scale_h=2, scale_w=3, layout="NCHW4c")
    func = relay.Function([x], y)
    assert relay.transform.InferType()(tvm.IRModule.from_expr(func))["main"].ret_type.shape \
        == (1, 2, 10, 18, 4)
    out = _build_run(func, {"x": packed})
    nearest = data.repeat(2, axis=2).repeat(3, axis=3)
    np.testing.assert_allclose(out.transpose(0, 1, 4, 2, 3).reshape(1, 8, 10, 18), nearest)


def test_conv2d_nchwc_takes_a_packed_weight_with_default_kernel_layout():
    rng = np.random.RandomState(2)
    data = rng.uniform(-1, 1, (1, 8, 6, 6)).astype("float32")
    weight = rng.uniform(-1, 1, (8, 8, 3, 3)).astype("float32")
    x = relay.var("x", shape=(1, 2, 6, 6, 4))
    w = relay.var("w", shape=(2, 2, 3, 3, 4, 4))  # OIHW4i4o, attribute left at "OIHW"
    y = relay.nn.contrib_conv2d_nchwc(x, w, channels=8, kernel_size=(3, 3), padding=(1, 1),
                                      data_layout="NCHW4c", out_layout="NCHW4c")
    func = relay.Function([x, w], y)
    assert relay.transform.InferType()(tvm.IRModule.from_expr(func))["main"].ret_type.shape \
        == (1, 2, 6, 6, 4)
    packed_w = weight.reshape(2, 4, 2, 4, 3, 3).transpose(0, 2, 4, 5, 3, 1)
    packed_x = data.reshape(1, 2, 4, 6, 6).transpose(0, 1, 3, 4, 2)
    out = _build_run(func, {"x": packed_x, "w": packed_w})
    ref_x = relay.var("x", shape=data.shape)
    ref = relay.nn.conv2d(ref_x, relay.const(weight), channels=8, kernel_size=(3, 3),
                          padding=(1, 1))
    expected = _interpret(tvm.IRModule.from_expr(relay.Function([ref_x], ref)), data)
    np.testing.assert_allclose(out.transpose(0, 1, 4, 2, 3).reshape(1, 8, 6, 6), expected,
                               rtol=1e-4, atol=1e-4)


def _qnn_module(kind, data_dtype, kernel_dtype):
    if kind == "conv2d":
        data = relay.var("data", shape=(1, 3, 6, 6), dtype=data_dtype)
        kernel = relay.var("kernel", shape=(4, 3, 3, 3), dtype=kernel_dtype)
        out = relay.qnn.op.conv2d(data, kernel, relay.const(3, "int32"), relay.const(5, "int32"),
                                  relay.const(0.5, "float32"), relay.const(0.25, "float32"),
                                  kernel_size=(3, 3), channels=4)
    else:
        data = relay.var("data", shape=(4, 6), dtype=data_dtype)
        kernel = relay.var("kernel", shape=(5, 6), dtype=kernel_dtype)
        out = relay.qnn.op.dense(data, kernel, relay.const(3, "int32"), relay.const(5, "int32"),
                                 relay.const(0.5, "float32"), relay.const(0.25, "float32"),
                                 units=5)
    mod = tvm.IRModule.from_expr(relay.Function([data, kernel], out))
    return relay.transform.InferType()(mod)


def _random_int(rng, shape, dtype):
    low, high = (0, 255) if dtype == "uint8" else (-128, 127)
    return rng.randint(low, high + 1, shape).astype(dtype)


@pytest.mark.parametrize("kind", ["conv2d", "dense"])
@pytest.mark.parametrize("dtypes", [("uint8", "uint8"), ("int8", "int8"), ("int8", "uint8")])
@pytest.mark.parametrize("target,keeps_qnn", [
    ("llvm -mcpu=skylake-avx512", True),  # fast int8: uint8 x int8, still QNN
    ("llvm -mcpu=x86-64", False),  # no SSE4.2: int16 float op
    ("llvm -device=arm_cpu -mtriple=aarch64-linux-gnu", False),
    ("llvm -device=arm_cpu -mtriple=aarch64-linux-gnu -mattr=+v8.2a,+dotprod", True),
    ("cuda", True),  # int8 x int8, still QNN
])
def test_qnn_legalize_keeps_the_values(kind, dtypes, target, keeps_qnn):
    rng = np.random.RandomState(3)
    mod = _qnn_module(kind, *dtypes)
    with tvm.target.Target(target):
        legal = relay.qnn.transform.Legalize()(mod)
    text = legal.astext()
    assert (f"qnn.{kind}" in text) == keeps_qnn
    args = [_random_int(rng, p.type_annotation.shape, p.type_annotation.dtype)
            for p in mod["main"].params]
    canon = relay.qnn.transform.CanonicalizeOps()
    np.testing.assert_array_equal(_interpret(canon(legal), *args), _interpret(canon(mod), *args))


def test_qnn_legalize_per_channel_kernel_zero_point_without_fast_int8():
    rng = np.random.RandomState(4)
    data = relay.var("data", shape=(1, 3, 5, 5), dtype="int8")
    kernel = relay.var("kernel", shape=(2, 3, 3, 3), dtype="int8")
    out = relay.qnn.op.conv2d(data, kernel, relay.const(1, "int32"),
                              relay.const(np.array([2, -3], "int32")), relay.const(0.5),
                              relay.const(np.array([0.1, 0.2], "float32")), kernel_size=(3, 3),
                              channels=2)
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([data, kernel], out)))
    with tvm.target.Target("llvm -mcpu=x86-64"):
        legal = relay.qnn.transform.Legalize()(mod)
    assert "qnn" not in legal.astext() and "bias_add" in legal.astext()
    args = [_random_int(rng, (1, 3, 5, 5), "int8"), _random_int(rng, (2, 3, 3, 3), "int8")]
    canon = relay.qnn.transform.CanonicalizeOps()
    np.testing.assert_array_equal(_interpret(legal, *args), _interpret(canon(mod), *args))


def test_fold_scale_axis_blocked_backward_keeps_the_values():
    rng = np.random.RandomState(5)
    x = relay.var("x", shape=(1, 2, 6, 6, 4))
    w = relay.var("w", shape=(2, 8, 3, 3, 1, 4))  # OIHW1i4o: 8 -> 8 channels
    bias = relay.var("b", shape=(1, 2, 1, 1, 4))
    scale = relay.const(rng.uniform(0.5, 2, (1, 2, 1, 1, 4)).astype("float32"))
    y = relay.nn.conv2d(x, w, channels=8, kernel_size=(3, 3), padding=(1, 1),
                        data_layout="NCHW4c", kernel_layout="OIHW1i4o")
    y = relay.multiply(relay.nn.relu(relay.add(y, bias)), scale)
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x, w, bias], y)))
    with tvm.transform.PassContext(opt_level=3):
        folded = relay.transform.FoldScaleAxis()(mod)
    assert folded["main"].body.op.name == "nn.relu"  # the multiply is gone
    args = [rng.uniform(-1, 1, (1, 2, 6, 6, 4)).astype("float32"),
            rng.uniform(-1, 1, (2, 8, 3, 3, 1, 4)).astype("float32"),
            rng.uniform(-1, 1, (1, 2, 1, 1, 4)).astype("float32")]
    np.testing.assert_allclose(_interpret(folded, *args), _interpret(mod, *args), rtol=1e-5,
                               atol=1e-5)


def test_fold_scale_axis_forward_keeps_a_zero_scale():
    x = relay.var("x", shape=(1, 2, 4, 4))
    w = relay.var("w", shape=(3, 2, 1, 1))
    b = relay.var("b", shape=(2, 1, 1))
    scale = relay.const(np.array([0.0, 2.0], "float32").reshape(2, 1, 1))
    y = relay.nn.conv2d(relay.add(relay.multiply(x, scale), b), w, channels=3, kernel_size=(1, 1))
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x, w, b], y)))
    folded = relay.transform.ForwardFoldScaleAxis()(mod)
    assert "multiply" in folded.astext() and "divide" not in folded.astext()


def test_fuse_ops_around_references():
    x = relay.var("x", shape=(6, 9))
    parts = relay.split(x, 3).astuple()
    a, b, c = (relay.TupleGetItem(parts, i) for i in range(3))
    body = relay.add(relay.add(a, relay.RefRead(relay.RefCreate(relay.exp(b)))), c)
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], body)))
    with tvm.transform.PassContext(opt_level=3):
        fused = relay.transform.FuseOps()(mod)
    data = np.random.RandomState(6).uniform(-1, 1, (6, 9)).astype("float32")
    expected = data[0:2] + np.exp(data[2:4]) + data[4:6]
    np.testing.assert_allclose(_interpret(fused, data), expected, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "disable"])
@pytest.mark.parametrize("per_channel", [False, True])
def test_simulated_quantize_and_dequantize_match_numpy(dtype, per_channel):
    from tvm.topi.nn.qnn import SQNN_DTYPE_TO_CODE

    rng = np.random.RandomState(7)
    data = rng.uniform(-100, 100, (3, 4)).astype("float32")
    scale = (rng.uniform(0.3, 2, (4,)) if per_channel else np.array([0.7])).astype("float32")
    zero_point = (rng.randint(-5, 5, (4,)) if per_channel else np.array([3])).astype("int32")
    x = relay.var("x", shape=(3, 4))
    code = relay.var("code", shape=(), dtype="int32")
    s = relay.var("s", shape=scale.shape)
    z = relay.var("z", shape=zero_point.shape, dtype="int32")
    quant = relay.qnn.op.simulated_quantize(x, s, z, axis=1, out_dtype=code)
    dequant = relay.qnn.op.simulated_dequantize(quant, s, z, axis=1, in_dtype=code)
    func = relay.Function([x, code, s, z], relay.Tuple([quant, dequant]))
    mod = tvm.IRModule.from_expr(func)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, "llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    inputs = {"x": data, "code": np.array(SQNN_DTYPE_TO_CODE[dtype], "int32"), "s": scale,
              "z": zero_point}
    module.set_input(**inputs)
    module.run()
    if dtype == "disable":
        expected_q = data
        expected_dq = data
    else:
        info = np.iinfo(dtype)
        expected_q = np.clip(np.rint(data / scale) + zero_point, info.min, info.max)
        expected_dq = (expected_q - zero_point) * scale
    np.testing.assert_allclose(module.get_output(0).numpy(), expected_q, atol=1)
    np.testing.assert_allclose(module.get_output(1).numpy(), expected_dq, rtol=1e-5, atol=2.0)
    interpreted = create_executor("debug", mod=mod).evaluate()(*inputs.values())
    np.testing.assert_allclose(interpreted[0].numpy(), expected_q)
    np.testing.assert_allclose(interpreted[1].numpy(), expected_dq, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("multiplier,shift", [(1073741824, -3), (1518500250, 2), (1431655765, 0)])
def test_fixed_point_multiply_matches_rounded_product(multiplier, shift):
    data = np.arange(-600, 600, 7).astype("int32").reshape(-1, 4)
    a = relay.var("a", shape=data.shape, dtype="int32")
    func = relay.Function([a], relay.fixed_point_multiply(a, multiplier, shift))
    exact = data.astype("float64") * multiplier * 2.0 ** (shift - 31)
    expected = np.floor(exact + 0.5)  # ties upward
    np.testing.assert_array_equal(_build_run(func, {"a": data}), expected)
    np.testing.assert_array_equal(_interpret(tvm.IRModule.from_expr(func), data), expected)


def test_reverse_sequence_length_mismatch_names_both_sizes():
    x = relay.var("x", shape=(4, 4), dtype="int32")
    lengths = relay.const(np.array([2, 3, 2, 4, 5], "int32"))
    func = relay.Function([x], relay.reverse_sequence(x, lengths, 1, 0))
    with pytest.raises(Exception, match="batch_axis = 4, and seq_length size = 5"):
        relay.transform.InferType()(tvm.IRModule.from_expr(func))


def test_gradient_through_if_is_in_basic_block_normal_form():
    x = relay.var("a", shape=(1, 4))
    cond = relay.var("cond", shape=(), dtype="bool")
    func = relay.Function([cond, x], relay.add(x, relay.If(cond, x * x, x)))
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    grad = relay.transform.gradient(mod["main"])
    relay.analysis.check_basic_block_normal_form(grad)
    gmod = relay.transform.InferType()(tvm.IRModule.from_expr(grad))
    data = np.array([[1.0, -2.0, 3.0, 0.5]], "float32")
    for flag, expected in ((True, 1 + 2 * data), (False, np.full_like(data, 2.0))):
        _, (_, dx) = create_executor("debug", mod=gmod).evaluate()(np.array(flag), data)
        np.testing.assert_allclose(dx.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("unipolar", [True, False])
def test_bitserial_dense_matches_numpy(unipolar):
    rng = np.random.RandomState(8)
    a = rng.randint(0, 4, (4, 64)).astype("int16")
    b = rng.randint(0, 2, (8, 64)).astype("int16")
    x = relay.var("x", shape=a.shape, dtype="int16")
    w = relay.var("w", shape=b.shape, dtype="int16")
    func = relay.Function([x, w], relay.nn.bitserial_dense(x, w, units=8, data_bits=2,
                                                           weight_bits=1, unipolar=unipolar))
    weights = (2 * b.astype(int) - 1) if unipolar else b.astype(int)
    np.testing.assert_array_equal(_build_run(func, {"x": a, "w": b}), a.astype(int) @ weights.T)


def test_bitserial_conv2d_matches_numpy():
    rng = np.random.RandomState(9)
    a = rng.randint(0, 2, (1, 32, 6, 6)).astype("int16")
    b = rng.randint(0, 2, (8, 32, 3, 3)).astype("int16")
    x = relay.var("x", shape=a.shape, dtype="int16")
    w = relay.var("w", shape=b.shape, dtype="int16")
    y = relay.nn.bitserial_conv2d(x, w, kernel_size=(3, 3), channels=8, padding=(1, 1))
    func = relay.Function([x, w], y)
    assert relay.transform.InferType()(tvm.IRModule.from_expr(func))["main"].ret_type.shape \
        == (1, 8, 6, 6)
    ref_x = relay.var("x", shape=a.shape)
    ref = relay.nn.conv2d(ref_x, relay.const((2 * b - 1).astype("float32")), kernel_size=(3, 3),
                          channels=8, padding=(1, 1))
    expected = _interpret(tvm.IRModule.from_expr(relay.Function([ref_x], ref)),
                          a.astype("float32"))
    np.testing.assert_array_equal(_build_run(func, {"x": a, "w": b}), expected)


def test_bitpack_packs_bit_planes():
    rng = np.random.RandomState(10)
    data = rng.randint(0, 4, (2, 16, 3)).astype("int16")
    x = relay.var("x", shape=data.shape, dtype="int16")
    func = relay.Function([x], relay.nn.bitpack(x, bits=2, pack_axis=1, bit_axis=2,
                                                pack_type="uint8"))
    out = _build_run(func, {"x": data})
    assert out.shape == (2, 2, 2, 3) and out.dtype == "uint8"
    for bit in range(2):
        plane = (data >> bit) & 1  # (2, 16, 3): bits of words of 8 along axis 1, MSB first
        words = plane.reshape(2, 2, 8, 3)
        expected = sum(words[:, :, i, :] << (7 - i) for i in range(8))
        np.testing.assert_array_equal(out[:, :, bit, :], expected)


@pytest.mark.parametrize("mode", ["reflect", "edge"])
def test_pad_negative_widths_crop_in_every_mode(mode):
    data = np.arange(4 * 6 * 5 * 7, dtype="float32").reshape(4, 6, 5, 7)
    width = ((-1, -1), (2, -2), (0, -3), (2, 1))
    x = relay.var("x", shape=data.shape)
    func = relay.Function([x], relay.nn.pad(x, width, pad_mode=mode))
    assert relay.transform.InferType()(tvm.IRModule.from_expr(func))["main"].ret_type.shape \
        == (2, 6, 2, 10)
    cropped = data[1:3, 0:4, 0:2, :]
    expected = np.pad(cropped, [(max(b, 0), max(a, 0)) for b, a in width], mode=mode)
    np.testing.assert_array_equal(_build_run(func, {"x": data}), expected)


def test_gradient_through_references():
    t = relay.TensorType((2, 3), "float32")
    x = relay.var("x", t)
    r, u = relay.Var("r"), relay.Var("u")
    read = relay.RefRead(r)
    body = relay.Let(u, relay.RefWrite(r, relay.RefRead(r) * relay.RefRead(r)),
                     relay.exp(relay.RefRead(r)) + read)
    body = relay.Let(r, relay.RefCreate(x), body)
    func = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], body)))["main"]
    grad = relay.transform.gradient(func)
    gmod = relay.transform.InferType()(tvm.IRModule.from_expr(grad))
    data = np.array([[0.5, -1.0, 0.25], [1.5, 0.0, -0.75]], "float32")
    forward, (dx,) = create_executor("debug", mod=gmod).evaluate()(data)
    # both reads see the written value x * x (the shared read node is evaluated once)
    np.testing.assert_allclose(forward.numpy(), np.exp(data ** 2) + data ** 2, rtol=1e-5)
    np.testing.assert_allclose(dx.numpy(), 2 * data * np.exp(data ** 2) + 2 * data, rtol=1e-5)


def test_gradient_refuses_a_returned_reference():
    x = relay.var("x", shape=(2,))
    func = relay.transform.InferType()(
        tvm.IRModule.from_expr(relay.Function([x], relay.RefCreate(x))))["main"]
    import importlib

    unsupported = importlib.import_module("tvm.relay.transform.gradient").GradientNotSupported
    with pytest.raises(unsupported, match="reference"):
        relay.transform.gradient(func)


def _has_op(name):
    try:
        relay.op.get(name)
    except Exception:  # pylint: disable=broad-except
        return False
    return True


@pytest.mark.skipif(not _has_op("dyn.arange"), reason="needs the dynamic ops (dyn.arange)")
def test_gradient_of_arange_with_run_time_bounds():
    start, stop, step = (relay.var(n, shape=(), dtype="float64") for n in ("start", "stop", "step"))
    out = relay.arange(start, stop, step, dtype="float64")
    func = relay.Function([start, stop, step], relay.multiply(out, out))
    func = relay.transform.InferType()(tvm.IRModule.from_expr(func))["main"]
    grad = relay.transform.gradient(func)
    gmod = relay.transform.InferType()(tvm.IRModule.from_expr(grad))
    values = [np.array(v, "float64") for v in (2.5, 9.5, 1.8)]
    forward, (d_start, d_stop, d_step) = create_executor("debug", mod=gmod).evaluate()(*values)
    seq = np.arange(2.5, 9.5, 1.8)
    index = np.arange(len(seq))
    np.testing.assert_allclose(forward.numpy(), seq * seq)
    np.testing.assert_allclose(d_start.numpy(), np.sum(2 * seq))
    np.testing.assert_allclose(d_stop.numpy(), 0.0)
    np.testing.assert_allclose(d_step.numpy(), np.sum(2 * seq * index))
