"""recast and ChangeBatch (0.8's tools for timing a model at another dtype or batch size)."""
import numpy as np

import tvm
from tvm import relay
from tvm.relay.transform import recast


def _two_convs():
    x = relay.var("x", shape=(1, 4, 8, 8))
    w1 = relay.var("w1", shape=(4, 4, 3, 3))
    w2 = relay.var("w2", shape=(4, 4, 3, 3))
    c1 = relay.nn.conv2d(x, w1, padding=(1, 1))
    c2 = relay.nn.conv2d(relay.nn.relu(c1), w2, padding=(1, 1))
    return relay.Function([x, w1, w2], c2)


def _run(func, *args):
    return relay.create_executor("debug", mod=tvm.IRModule.from_expr(func)).evaluate()(*args).numpy()


def _cast_dtypes(expr):
    found = []
    relay.analysis.post_order_visit(
        expr, lambda n: found.append(str(n.attrs.dtype))
        if isinstance(n, relay.Call) and getattr(n.op, "name", "") == "cast" else None)
    return found


def test_recast_casts_each_layer_and_restores_the_output_type():
    func = _two_convs()
    rng = np.random.default_rng(0)
    args = [rng.uniform(-1, 1, s).astype("float32") for s in ((1, 4, 8, 8), (4, 4, 3, 3), (4, 4, 3, 3))]
    half = recast(func, "float16", "float32")
    # two inputs of each conv cast to float16, each result back to float32
    assert sorted(_cast_dtypes(half.body)) == ["float16"] * 4 + ["float32"] * 2
    out = relay.transform.InferType()(tvm.IRModule.from_expr(half))["main"]
    assert out.checked_type.ret_type == relay.TensorType((1, 4, 8, 8), "float32")
    np.testing.assert_allclose(_run(half, *args), _run(func, *args), rtol=2e-2, atol=2e-2)
    # layer 0 is the convolution nearest the input; -1 the last one
    first_only = recast(func, "float16", "float32", skip_layers=[-1])
    assert first_only.body.op.name == "nn.conv2d" and first_only.body.args[1].name_hint == "w2"
    last_only = recast(tvm.IRModule.from_expr(func), "float16", "float32", skip_layers=[0])
    assert isinstance(last_only, tvm.IRModule) and last_only["main"].body.op.name == "cast"
    assert len(_cast_dtypes(last_only["main"].body)) == 3


def test_change_batch_retypes_the_program():
    x = relay.var("x", shape=(1, 3, 4))
    w = relay.var("w", shape=(5, 4))
    func = relay.Function([x, w], relay.nn.relu(relay.nn.batch_matmul(x, relay.expand_dims(w, 0))))
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    new_mod = relay.transform.ChangeBatch({mod["main"].params[0]: 0}, batch_size=6)(mod)
    main = new_mod["main"]
    assert main.checked_type.ret_type == relay.TensorType((6, 3, 5), "float32")
    xd = np.random.default_rng(1).uniform(-1, 1, (6, 3, 4)).astype("float32")
    wd = np.random.default_rng(2).uniform(-1, 1, (5, 4)).astype("float32")
    got = relay.create_executor("debug", mod=new_mod).evaluate()(xd, wd).numpy()
    np.testing.assert_allclose(got, np.maximum(xd @ wd.T, 0), rtol=1e-5, atol=1e-6)
