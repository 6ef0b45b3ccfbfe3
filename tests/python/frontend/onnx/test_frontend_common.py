"""relay.frontend.common: incremental type inference, static values, op lookup."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.frontend import common


def test_infer_shape_is_incremental():
    x = relay.var("x", shape=(2, 3))
    y = relay.nn.relu(relay.add(x, relay.const(1.0)))
    assert common.infer_shape(y) == (2, 3) and common.infer_dtype(y) == "float32"
    # an inferred node is not visited again: a later node only types its new calls
    z = relay.reshape(y, (3, 2))
    assert common.infer_shape(z) == (3, 2)
    assert y.checked_type is not None and z.checked_type.shape[0] == 3
    t = relay.Tuple([y, relay.transpose(z, (1, 0))])
    assert [tuple(int(d) for d in f.shape) for f in common.infer_type(t).checked_type.fields] \
        == [(2, 3), (2, 3)]


def test_infer_value():
    x = relay.var("x", shape=(3,), dtype="int64")
    expr = relay.multiply(relay.add(x, relay.const(np.array(1, "int64"))),
                          relay.const(np.array(2, "int64")))
    value = common.infer_value(expr, {"x": np.array([1, 2, 3], "int64")})
    np.testing.assert_array_equal(value, [4, 6, 8])
    with pytest.raises(ValueError, match="'x' has no value"):
        common.infer_value(expr, {})


def test_get_relay_op():
    assert common.get_relay_op("add") is relay.add
    assert common.get_relay_op("nn.conv2d") is relay.nn.conv2d
    with pytest.raises(tvm.error.OpNotImplemented, match="no_such_op"):
        common.get_relay_op("no_such_op")
    with pytest.raises(tvm.error.OpNotImplemented):
        common.get_relay_op("nn.no_such_op")
