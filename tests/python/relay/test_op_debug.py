"""relay.op.debug: the interpreter calls the Python function with the value; the value flows on."""
import numpy as np

import tvm
from tvm import relay
from tvm.relay.op import debug


def test_debug_calls_the_function_with_the_value():
    seen = []
    x = relay.var("x", shape=(3,), dtype="float32")
    y = debug(relay.add(x, x), debug_func=lambda value: seen.append(value.numpy()))
    func = relay.Function([x], relay.multiply(y, relay.const(2.0)))
    xd = np.array([1.0, -2.0, 3.0], "float32")
    out = relay.create_executor("debug", mod=tvm.IRModule.from_expr(func)).evaluate()(xd)
    np.testing.assert_allclose(out.numpy(), 4 * xd)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 2 * xd)
    assert y.attrs["debug_func"].startswith("debugger_func")


def test_debug_without_function_is_the_identity_and_builds():
    x = relay.var("x", shape=(2, 2))
    func = relay.Function([x], relay.nn.relu(debug(x)))
    mod = tvm.IRModule.from_expr(func)
    xd = np.array([[1.0, -1.0], [-2.0, 2.0]], "float32")
    np.testing.assert_allclose(relay.create_executor("debug", mod=mod).evaluate()(xd).numpy(),
                               np.maximum(xd, 0))
    np.testing.assert_allclose(relay.create_executor("graph", mod=mod).evaluate()(xd).numpy(),
                               np.maximum(xd, 0))
