"""min and max of bool tensors: the min of bools is all, their max any (compiled and interpreted)."""
import numpy as np
import pytest

import tvm
from tvm import relay


@pytest.mark.parametrize("kind", ["graph", "debug", "vm"])
def test_min_and_max_of_bools(kind):
    x = relay.var("x", shape=(3, 4), dtype="bool")
    func = relay.Function([x], relay.Tuple([relay.min(x, axis=1), relay.max(x, axis=0), relay.min(x)]))
    data = np.array([[1, 1, 1, 1], [1, 0, 1, 1], [0, 0, 0, 0]], dtype=bool)
    out = relay.create_executor(kind, mod=tvm.IRModule.from_expr(func), target="llvm").evaluate()(data)
    np.testing.assert_array_equal(out[0].numpy(), data.min(axis=1))
    np.testing.assert_array_equal(out[1].numpy(), data.max(axis=0))
    assert bool(out[2].numpy()) is False
