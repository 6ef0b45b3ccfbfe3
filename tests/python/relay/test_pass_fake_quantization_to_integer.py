"""FakeQuantizationToInteger: float regions between dequantize and quantize run in integers.

Each case builds a fake-quantized float graph, rewrites it, and checks
* the structure: no qnn.dequantize / qnn.quantize left, the expected integer ops present;
* the values: the rewritten graph compiled with relay.build equals the float graph run
  by the reference interpreter, up to ``steps`` quantization steps (rounding of ties
  and of averages differs between float-then-quantize and integer arithmetic).
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.reference import create_executor
from tvm.relay.transform import fake_quantization_to_integer as fq2i
from tvm.relay.transform._utils import post_order


def _calls(mod):
    return [n.op.name for n in post_order(mod["main"].body)
            if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)]


def _rewrite(expr):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(expr))
    return mod, relay.transform.FakeQuantizationToInteger()(mod)


def _compiled(mod, inputs):
    return relay.create_executor("graph", mod=mod, target="llvm").evaluate()(*inputs).numpy()


def _reference(mod, inputs):
    return create_executor("debug", mod=mod).evaluate()(*inputs).numpy()


def _check(expr, inputs, expect, steps=0):
    mod, mod_int = _rewrite(expr)
    ops = _calls(mod_int)
    assert "qnn.quantize" not in ops and "qnn.dequantize" not in ops, ops
    for name in expect:
        assert name in ops, (name, ops)
    want = _reference(mod, inputs)
    got = _compiled(mod_int, inputs)
    assert got.dtype == want.dtype and got.shape == want.shape
    diff = np.abs(got.astype("int64") - want.astype("int64"))
    assert diff.max() <= steps, diff.max()
    return mod_int


def _ints(shape, dtype="int8", low=-128, high=127, seed=0):
    return np.random.RandomState(seed).randint(low, high, size=shape).astype(dtype)


def _dq(name, shape, scale, zp, dtype="int8", axis=-1):
    return relay.qnn.op.dequantize(relay.var(name, shape=shape, dtype=dtype),
                                   relay.const(scale), relay.const(zp), axis=axis)


def _q(expr, scale, zp, dtype="int8", axis=-1):
    return relay.qnn.op.quantize(expr, relay.const(scale), relay.const(zp), axis=axis,
                                 out_dtype=dtype)


@pytest.mark.parametrize("out_dtype", ["int8", "uint8"])
def test_conv2d_becomes_qnn_conv2d_and_requantize(out_dtype):
    x = _dq("x", (1, 3, 12, 12), 0.5, 1)
    w = _dq("w", (4, 3, 3, 3), 0.25, 0)
    conv = relay.nn.conv2d(x, w, kernel_size=(3, 3), padding=(1, 1))
    _check(_q(conv, 2.0, 3, out_dtype),
           [_ints((1, 3, 12, 12)), _ints((4, 3, 3, 3), seed=1)],
           ["qnn.conv2d", "qnn.requantize"], steps=1)


def test_conv2d_per_channel_bias_add_relu():
    w_scale = np.linspace(0.05, 0.2, 4).astype("float32")
    x = _dq("x", (1, 3, 10, 10), 0.5, 0)
    w = _dq("w", (4, 3, 3, 3), w_scale, np.zeros(4, "int32"), axis=0)
    b = _dq("b", (4,), (0.5 * w_scale).astype("float32"), np.zeros(4, "int32"), "int32", axis=0)
    out = relay.nn.relu(relay.nn.bias_add(relay.nn.conv2d(x, w, kernel_size=(3, 3)), b))
    mod_int = _check(_q(out, 1.0, 0),
                     [_ints((1, 3, 10, 10)), _ints((4, 3, 3, 3), seed=1),
                      _ints((4,), "int32", -1000, 1000, seed=2)],
                     ["qnn.conv2d", "nn.bias_add", "maximum"], steps=1)
    # same parameters on both sides of bias_add: the bias is not requantized
    assert _calls(mod_int).count("qnn.requantize") == 1


def test_dense_and_batch_matmul():
    x = _dq("x", (4, 16), 0.5, 0)
    w = _dq("w", (8, 16), 0.25, 0)
    _check(_q(relay.nn.dense(x, w), 1.0, 0), [_ints((4, 16)), _ints((8, 16), seed=1)],
           ["qnn.dense"], steps=1)
    a = _dq("a", (2, 4, 16), 0.5, 0)
    b = _dq("b", (2, 8, 16), 0.25, 0)
    _check(_q(relay.nn.batch_matmul(a, b), 1.0, 0),
           [_ints((2, 4, 16)), _ints((2, 8, 16), seed=1)], ["qnn.batch_matmul"], steps=1)


def test_transparent_ops_keep_the_integers():
    x = _dq("x", (1, 4, 8, 8), 0.5, 3)
    y = relay.transpose(x, (0, 2, 3, 1))
    y = relay.reshape(y, (1, 64, 4))
    y = relay.expand_dims(y, axis=0)
    y = relay.squeeze(y, axis=[0])
    y = relay.strided_slice(y, begin=[0, 8, 0], end=[1, 40, 4])
    mod_int = _check(_q(y, 0.5, 3), [_ints((1, 4, 8, 8))], ["transpose", "reshape"])
    ops = _calls(mod_int)
    assert "qnn.requantize" not in ops  # same parameters at both ends: nothing to requantize
    assert mod_int["main"].body.checked_type.dtype == "int8"
    x = _dq("x", (1, 8, 3, 3), 0.5, 3)
    y = relay.nn.batch_flatten(relay.nn.depth_to_space(x, 2))
    _check(_q(y, 0.5, 3), [_ints((1, 8, 3, 3))], ["nn.depth_to_space", "nn.batch_flatten"])


def test_pooling_and_pad():
    x = _dq("x", (1, 2, 8, 8), 0.5, 4)
    y = relay.nn.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), 0.0)
    y = relay.nn.max_pool2d(y, pool_size=(2, 2), strides=(2, 2))
    _check(_q(y, 0.5, 4), [_ints((1, 2, 8, 8))], ["nn.pad", "nn.max_pool2d"])
    y = relay.nn.avg_pool2d(x, pool_size=(3, 3))
    _check(_q(y, 0.5, 4), [_ints((1, 2, 8, 8))], ["nn.avg_pool2d", "cast"], steps=1)
    y = relay.nn.global_avg_pool2d(x)
    _check(_q(y, 0.5, 4), [_ints((1, 2, 8, 8))], ["nn.global_avg_pool2d"], steps=1)


@pytest.mark.parametrize("per_channel", [False, True])
def test_clip_and_relu_bounds(per_channel):
    if per_channel:
        scale, zp = np.array([0.5, 1.0, 2.0], "float32"), np.array([100, 120, 128], "int32")
    else:
        scale, zp = 0.5, 120
    for make in (lambda v: relay.clip(v, 0.0, 6.0), relay.nn.relu):
        x = _dq("x", (1, 3, 6, 6), scale, zp, "uint8", axis=1)
        _check(_q(make(x), scale, zp, "uint8", axis=1),
               [_ints((1, 3, 6, 6), "uint8", 0, 255)], [])


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "minimum", "maximum"])
def test_binary_ops(name):
    op = getattr(relay, name)
    x = _dq("x", (2, 3, 4), 0.25, 2)
    y = _dq("y", (2, 3, 4), 0.5, -1)
    out_scale = 2.0 if name == "multiply" else 0.25
    expect = {"add": ["qnn.add"], "subtract": ["qnn.subtract"], "multiply": ["qnn.mul"],
              "minimum": ["minimum"], "maximum": ["maximum"]}[name]
    # the integer ops round ties upward where the float graph's quantize rounds them to even
    _check(_q(op(x, y), out_scale, 0),
           [_ints((2, 3, 4), low=-30, high=30), _ints((2, 3, 4), low=-30, high=30, seed=1)],
           expect, steps=1)
    # a float constant operand is quantized with the other operand's parameters
    _check(_q(op(x, relay.const(1.5)), 0.25, 2), [_ints((2, 3, 4), low=-30, high=30)],
           expect, steps=1)


def test_concatenate_and_split():
    xs = [_dq(f"x{i}", (2, 3), 0.5 * (i + 1), i) for i in range(3)]
    _check(_q(relay.concatenate(xs, axis=1), 1.0, 0),
           [_ints((2, 3), seed=i) for i in range(3)], ["qnn.concatenate"], steps=1)
    x = _dq("x", (2, 8), 0.5, 1)
    parts = relay.split(x, indices_or_sections=[2, 5], axis=1)
    _check(_q(parts[1], 0.5, 1), [_ints((2, 8))], ["split"])


def test_chained_regions_leave_no_float_ops():
    x = _dq("x", (1, 3, 8, 8), 0.5, 0)
    w = _dq("w", (4, 3, 3, 3), 0.25, 0)
    h = _q(relay.nn.conv2d(x, w, kernel_size=(3, 3)), 1.0, 0)
    h = relay.qnn.op.dequantize(h, relay.const(1.0), relay.const(0))
    h = relay.reshape(h, (1, 144))
    v = _dq("v", (5, 144), 0.125, 0)
    out = _q(relay.nn.dense(h, v), 4.0, 0)
    mod_int = _check(out, [_ints((1, 3, 8, 8)), _ints((4, 3, 3, 3), seed=1),
                           _ints((5, 144), seed=2)], ["qnn.conv2d", "qnn.dense"], steps=1)
    float_ops = {"nn.conv2d", "nn.dense"}
    assert not float_ops & set(_calls(mod_int))


def test_regions_that_are_not_fake_quantized_stay():
    # a float input that no dequantize produced
    x = _dq("x", (2, 4), 0.5, 0)
    f = relay.var("f", shape=(2, 4))
    out = _q(relay.add(x, f), 0.5, 0)
    mod, mod_int = _rewrite(out)
    assert tvm.ir.structural_equal(mod, mod_int)
    # an op without a rule (softmax)
    out = _q(relay.nn.softmax(_dq("x", (2, 4), 0.5, 0)), 0.01, 0)
    mod, mod_int = _rewrite(out)
    assert tvm.ir.structural_equal(mod, mod_int)
    # one integer tensor read with two sets of parameters
    v = relay.var("v", shape=(2, 4), dtype="int8")
    two = relay.add(relay.qnn.op.dequantize(v, relay.const(0.5), relay.const(0)),
                    relay.qnn.op.dequantize(v, relay.const(0.25), relay.const(0)))
    mod, mod_int = _rewrite(_q(two, 0.5, 0))
    assert tvm.ir.structural_equal(mod, mod_int)
    # per-channel parameters through a reshape (the axis would be lost)
    x = _dq("x", (1, 3, 2, 2), np.array([0.5, 1.0, 2.0], "float32"), np.zeros(3, "int32"),
            axis=1)
    out = _q(relay.reshape(x, (1, 12)), 0.5, 0)
    mod, mod_int = _rewrite(out)
    assert tvm.ir.structural_equal(mod, mod_int)


def test_user_rule_registration():
    """A rule registered for an op makes its regions rewritable (0.8's
    register_fake_quantization_to_integer); removing it restores the float graph."""
    op = relay.op.get("negative")
    assert op.get_attr(fq2i._RULE_ATTR) is None

    def negative(expr, type_map):
        t = type_map[expr.args[0]]
        # -(s * (q - zp)) = s * ((2 zp - q) - zp)
        two_zp = relay.const(2 * int(t.zero_point.numpy()), "int32")
        q = relay.subtract(two_zp, relay.cast(expr.args[0], "int32"))
        return [relay.cast(relay.clip(q, -128, 127), t.dtype), t]

    out = _q(relay.negative(_dq("x", (3, 5), 0.5, 2)), 0.5, 2)
    try:
        fq2i.register_fake_quantization_to_integer("negative", negative)
        _check(out, [_ints((3, 5), low=-100, high=100)], ["subtract", "cast"])
    finally:
        op.reset_attr(fq2i._RULE_ATTR)
    mod, mod_int = _rewrite(out)
    assert tvm.ir.structural_equal(mod, mod_int)
