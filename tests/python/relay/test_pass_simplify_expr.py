"""SimplifyExpr: redundant reshapes, transposes, casts and identity arithmetic go."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.reference import create_executor
from tvm.relay.transform._utils import post_order


def _run(mod, *inputs):
    return create_executor("debug", mod=mod).evaluate()(*inputs).numpy()


def _simplify(func):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    out = relay.transform.SimplifyExpr()(mod)
    return mod, relay.transform.InferType()(out)


def _calls(mod):
    return [
        n.op.name
        for n in post_order(mod["main"].body)
        if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
    ]


def _data(*shape):
    return np.random.RandomState(len(shape)).uniform(-1, 1, shape).astype("float32")


def test_reshape_chain_becomes_one_reshape():
    x = relay.var("x", shape=(2, 3, 4))
    y = relay.expand_dims(relay.reshape(relay.reshape(x, (6, 4)), (24,)), axis=0)
    y = relay.exp(y)
    mod, out = _simplify(relay.Function([x], y))
    assert _calls(out) == ["reshape", "exp"]
    assert out["main"].body.args[0].args[0] is out["main"].params[0]
    np.testing.assert_allclose(_run(out, _data(2, 3, 4)), _run(mod, _data(2, 3, 4)))


def test_reshape_round_trip_vanishes():
    x = relay.var("x", shape=(2, 3, 4))
    y = relay.exp(relay.squeeze(relay.reshape(x, (1, 2, 12)), axis=[0]))
    y = relay.reshape(y, (2, 3, 4))
    _, out = _simplify(relay.Function([x], relay.add(y, x)))
    # the reshape+squeeze pair merges; exp stands between it and the last reshape
    assert _calls(out) == ["reshape", "exp", "reshape", "add"]
    z = relay.reshape(relay.squeeze(relay.reshape(x, (1, 2, 12)), axis=[0]), (2, 3, 4))
    _, out = _simplify(relay.Function([x], relay.add(z, x)))
    assert _calls(out) == ["add"]


def test_transposes_compose():
    x = relay.var("x", shape=(2, 3, 4))
    y = relay.transpose(relay.transpose(x, (1, 2, 0)), (2, 0, 1))  # identity
    _, out = _simplify(relay.Function([x], relay.exp(y)))
    assert _calls(out) == ["exp"]
    y = relay.transpose(relay.transpose(x, (1, 0, 2)), (0, 2, 1))
    mod, out = _simplify(relay.Function([x], y))
    assert _calls(out) == ["transpose"]
    assert list(out["main"].body.attrs["axes"]) == [1, 2, 0]
    np.testing.assert_allclose(_run(out, _data(2, 3, 4)), _run(mod, _data(2, 3, 4)))


def test_identity_arithmetic_and_cast():
    x = relay.var("x", shape=(2, 3))
    y = relay.multiply(relay.add(x, relay.const(0.0)), relay.const(np.ones((3,), "float32")))
    y = relay.cast(relay.divide(y, relay.const(1.0)), "float32")
    y = relay.subtract(relay.exp(y), relay.const(0.0))
    mod, out = _simplify(relay.Function([x], y))
    assert _calls(out) == ["exp"]
    np.testing.assert_allclose(_run(out, _data(2, 3)), np.exp(_data(2, 3)), rtol=1e-6)


def test_broadcasting_neutral_constant_is_kept():
    x = relay.var("x", shape=(3,))
    y = relay.add(x, relay.const(np.zeros((2, 3), "float32")))  # result is (2, 3)
    z = relay.subtract(relay.const(0.0), x)  # 0 - x is not x
    mod, out = _simplify(relay.Function([x], relay.Tuple([y, z])))
    assert _calls(out) == ["add", "subtract"]


def test_like_ops_become_static_and_full_operands_scalars():
    import numpy as np
    import tvm

    from tvm import relay

    x = relay.var("x", shape=(2, 3), dtype="float32")
    y = relay.var("y", shape=(3,), dtype="float32")
    fill = relay.var("fill", shape=(), dtype="float32")
    grad = relay.ones_like(x + y)
    dx = relay.zeros_like(x) + relay.collapse_sum_like(grad, x)
    dy = relay.zeros_like(y) + relay.collapse_sum_like(grad, y)
    scaled = relay.multiply(x, relay.full_like(x, fill)) - relay.zeros((3,), "float32")
    body = relay.Tuple([dx, dy, scaled, relay.reshape_like(x, relay.zeros((3, 2), "float32"))])
    mod = tvm.IRModule.from_expr(relay.Function([x, y, fill], body))
    simplified = relay.transform.SimplifyExpr()(mod)

    names = []
    relay.analysis.post_order_visit(simplified["main"], lambda n: names.append(getattr(getattr(n, "op", None), "name", None)))
    for gone in ("zeros_like", "ones_like", "full_like", "collapse_sum_like", "reshape_like", "subtract", "zeros"):
        assert gone not in names, gone
    assert "add" not in names  # x + y was only read by ones_like; the adds of zeros are identities
    xv = np.arange(6, dtype="float32").reshape(2, 3)
    yv = np.array([1.0, -2.0, 0.5], "float32")
    fv = np.float32(1.5)
    before = relay.create_executor("debug", mod=mod).evaluate()(xv, yv, fv)
    after = relay.create_executor("debug", mod=simplified).evaluate()(xv, yv, fv)
    for b, a in zip(before, after):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    np.testing.assert_allclose(after[1].numpy(), np.full(3, 2.0, "float32"))


def test_cast_like_becomes_a_cast_and_a_same_dtype_one_vanishes():
    x = relay.var("x", shape=(2, 3))
    half = relay.var("h", shape=(3,), dtype="float16")
    y = relay.cast_like(relay.exp(x), x)  # same dtype: nothing to do
    z = relay.cast_like(x, half)  # a real conversion
    mod, out = _simplify(relay.Function([x, half], relay.Tuple([y, z])))
    assert _calls(out) == ["exp", "cast"]
    data, hv = _data(2, 3), np.zeros(3, "float16")
    got = create_executor("debug", mod=out).evaluate()(data, hv)
    np.testing.assert_allclose(got[0].numpy(), np.exp(data), rtol=1e-6)
    assert got[1].numpy().dtype == np.float16
    np.testing.assert_allclose(got[1].numpy(), data.astype("float16"))


def test_reverse_reshape_joins_the_reshape_chain():
    x = relay.var("x", shape=(2, 8, 6))
    y = relay.reverse_reshape(relay.reshape(x, (4, 4, 6)), (-1, 0))  # (16, 6)
    mod, out = _simplify(relay.Function([x], relay.exp(y)))
    assert _calls(out) == ["reshape", "exp"]
    np.testing.assert_allclose(_run(out, _data(2, 8, 6)), _run(mod, _data(2, 8, 6)))


def _permute(y, steps):
    for step in steps:
        y = relay.transpose(y, step) if isinstance(step, list) else relay.layout_transform(y, *step)
    return y


@pytest.mark.parametrize("steps,expect", [
    # transpose -> layout_transform -> transpose: one transpose NCHW -> NHWC
    ([[0, 2, 3, 1], ("NHWC", "HWCN"), [3, 0, 1, 2]], ["transpose"]),
    # two plain layout transforms: one transpose
    ([("NCHW", "NHWC"), ("NHWC", "CHWN")], ["transpose"]),
    # there and back: nothing
    ([("NCHW", "NHWC"), ("NHWC", "NCHW")], []),
    ([[0, 2, 3, 1], ("NHWC", "NCHW")], []),
    # to a packed layout through a transpose: one layout_transform NHWC -> NCHW4c
    ([[0, 3, 1, 2], ("NCHW", "NCHW4c")], ["layout_transform"]),
    ([("NCHW", "NCHW4c"), ("NCHW4c", "NCHW")], []),
])
def test_transpose_and_layout_transform_chains(steps, expect):
    shape = (1, 4, 6, 8)
    x = relay.var("x", shape=shape)
    mod, out = _simplify(relay.Function([x], relay.exp(_permute(x, steps))))
    assert _calls(out) == expect + ["exp"]
    np.testing.assert_allclose(_run(out, _data(*shape)), _run(mod, _data(*shape)))


def test_packed_chain_names_the_end_layouts():
    x = relay.var("x", shape=(1, 6, 5, 8))  # NHWC
    y = _permute(x, [[0, 3, 1, 2], ("NCHW", "NCHW4c")])
    _, out = _simplify(relay.Function([x], y))
    body = out["main"].body
    assert (body.attrs.src_layout, body.attrs.dst_layout) == ("NHWC", "NCHW4c")
    assert body.args[0] is out["main"].params[0]
