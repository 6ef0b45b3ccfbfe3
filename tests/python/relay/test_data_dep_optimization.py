"""relay.data_dep_optimization: the fully-connected transpose is moved onto the weights."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay import data_dep_optimization as ddo


def _run(func, params, inputs):
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(tvm.IRModule.from_expr(func), target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return module.get_output(0).numpy()


def test_simplify_fc_transpose_keeps_outputs():
    rng = np.random.default_rng(3)
    x = relay.var("x", shape=(5, 16))
    w1 = relay.var("w1", shape=(16, 8))  # stored (in, out): used transposed
    w2 = relay.var("w2", shape=(4, 8))  # already (out, in): left alone
    hidden = relay.nn.relu(relay.nn.dense(x, relay.transpose(w1, [1, 0])))
    func = relay.Function([x, w1, w2], relay.nn.dense(hidden, w2))
    w1_value = rng.standard_normal((16, 8)).astype("float32")
    w2_value = rng.standard_normal((4, 8)).astype("float32")
    x_value = rng.standard_normal((5, 16)).astype("float32")
    expected = np.maximum(x_value @ w1_value, 0) @ w2_value.T

    assert relay.analysis.search_fc_transpose(func) == ["w1"]
    params = {"w1": tvm.runtime.tensor(w1_value), "w2": tvm.runtime.tensor(w2_value)}
    new_func, new_params = ddo.simplify_fc_transpose.convert(func, params)

    assert sorted(new_params) == ["w1.T", "w2"]
    np.testing.assert_array_equal(new_params["w1.T"].numpy(), w1_value.T)
    assert [p.name_hint for p in new_func.params] == ["x", "w1.T", "w2"]
    ops = []
    relay.analysis.post_order_visit(new_func, lambda n: ops.append(getattr(getattr(n, "op", None), "name", None)))
    assert "transpose" not in ops
    out = _run(new_func, new_params, {"x": x_value})
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_block_sparse_conversion_says_it_is_unavailable():
    x = relay.var("x", shape=(2, 4))
    w = relay.var("w", shape=(4, 4))
    func = relay.Function([x, w], relay.nn.dense(x, w))
    with pytest.raises(tvm.error.OpNotImplemented, match="sparse_dense"):
        ddo.bsr_dense.convert(func, {"w": np.zeros((4, 4), "float32")}, (1, 1), 0.8)
