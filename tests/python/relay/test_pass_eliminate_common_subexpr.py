"""EliminateCommonSubexpr: identical calls are computed once, values unchanged."""
import numpy as np

import tvm
from tvm import relay
from tvm.relay.reference import create_executor
from tvm.relay.transform._utils import post_order


def _run(mod, *inputs):
    return create_executor("debug", mod=mod).evaluate()(*inputs).numpy()


def _cse(func, fskip=None):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    out = relay.transform.EliminateCommonSubexpr(fskip)(mod)
    return mod, relay.transform.InferType()(out)


def _calls(mod):
    return [
        n.op.name
        for n in post_order(mod["main"].body)
        if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
    ]


def test_duplicated_chains_merge():
    x = relay.var("x", shape=(2, 3))
    a = relay.exp(relay.add(x, relay.const(1.0)))
    b = relay.exp(relay.add(x, relay.const(1.0)))  # same ops, distinct scalar constants
    y = relay.multiply(a, b)
    mod, out = _cse(relay.Function([x], y))
    assert _calls(out) == ["add", "exp", "multiply"]
    body = out["main"].body
    assert body.args[0] is body.args[1]
    data = np.random.RandomState(0).uniform(-1, 1, (2, 3)).astype("float32")
    np.testing.assert_allclose(_run(out, data), _run(mod, data), rtol=1e-6)


def test_different_attrs_or_args_stay_apart():
    x = relay.var("x", shape=(2, 3, 4))
    y = relay.add(relay.sum(x, axis=[1]), relay.sum(x, axis=[1], keepdims=False))
    z = relay.add(relay.sum(x, axis=[2]), relay.sum(x, axis=[2]))
    w = relay.add(relay.add(x, relay.const(1.0)), relay.add(x, relay.const(2.0)))
    _, out = _cse(relay.Function([x], relay.Tuple([y, z, w])))
    assert _calls(out).count("sum") == 2  # axis 1 and axis 2 once each
    assert _calls(out).count("add") == 5  # the two adds of constants differ


def test_fskip_keeps_calls_apart():
    x = relay.var("x", shape=(3,))
    y = relay.add(relay.exp(x), relay.exp(x))

    def fskip(call):
        return call.op.name == "exp"

    _, out = _cse(relay.Function([x], y), fskip)
    assert _calls(out) == ["exp", "exp", "add"]
    _, out = _cse(relay.Function([x], y))
    assert _calls(out) == ["exp", "add"]


def test_tuple_getitem_merges():
    x = relay.var("x", shape=(4, 2))
    parts = relay.split(x, 2, axis=0)
    y = relay.add(relay.TupleGetItem(parts.astuple(), 0), relay.TupleGetItem(parts.astuple(), 0))
    _, out = _cse(relay.Function([x], y))
    body = out["main"].body
    assert body.args[0] is body.args[1]


def test_result_keeps_the_typed_signature_as_0_8():
    x = relay.var("x", shape=(1, 16))
    y1 = relay.add(relay.nn.relu(x), relay.const(1.0))
    y2 = relay.add(relay.nn.relu(x), relay.const(1.0))
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.add(y1, y2)))
    out = relay.transform.EliminateCommonSubexpr()(mod)
    assert out["main"].ret_type == relay.TensorType((1, 16), "float32")
    data = np.linspace(-1, 1, 16, dtype="float32").reshape(1, 16)
    result = relay.create_executor("debug", mod=out).evaluate()(data).numpy()
    np.testing.assert_allclose(result, 2 * (np.maximum(data, 0) + 1), rtol=1e-6)
