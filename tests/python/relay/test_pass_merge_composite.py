"""MergeComposite: composite functions from a pattern table, checked for
structure (attributes, priority, check functions, types) and for values: the
merged network evaluates and, with its composites inlined again, builds to the
same results as the original network and NumPy."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay.dataflow_pattern import (
    DFPatternCallback,
    is_op,
    is_tuple_get_item,
    rewrite,
    wildcard,
)


def _conv_bias_relu_pattern():
    conv = is_op("nn.conv2d")(wildcard(), wildcard())
    return is_op("nn.relu")(is_op("nn.bias_add")(conv, wildcard()))


def _add_relu_pattern():
    return is_op("nn.relu")(wildcard() + wildcard())


def _rand(*shape, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype("float32")


def _network():
    """Two conv2d+bias+relu blocks, a residual add+relu and a 1x1 conv without relu."""
    x = relay.var("x", shape=(1, 3, 8, 8))
    w1 = relay.var("w1", shape=(4, 3, 3, 3))
    b1 = relay.var("b1", shape=(4,))
    w2 = relay.var("w2", shape=(4, 4, 3, 3))
    b2 = relay.var("b2", shape=(4,))
    w3 = relay.var("w3", shape=(2, 4, 1, 1))
    b3 = relay.var("b3", shape=(2,))
    y1 = relay.nn.relu(relay.nn.bias_add(relay.nn.conv2d(x, w1, padding=(1, 1)), b1))
    y2 = relay.nn.relu(relay.nn.bias_add(relay.nn.conv2d(y1, w2, padding=(1, 1)), b2))
    y3 = relay.nn.relu(y1 + y2)
    out = relay.nn.bias_add(relay.nn.conv2d(y3, w3), b3)
    return relay.Function([x, w1, b1, w2, b2, w3, b3], out)


def _network_inputs():
    shapes = [p.type_annotation.shape for p in _network().params]
    return [_rand(*[int(d) for d in shape], seed=i) for i, shape in enumerate(shapes)]


def _numpy_network(x, w1, b1, w2, b2, w3, b3):
    def conv(data, weight, pad):
        data = np.pad(data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        kh, kw = weight.shape[2:]
        oh, ow = data.shape[2] - kh + 1, data.shape[3] - kw + 1
        out = np.zeros((data.shape[0], weight.shape[0], oh, ow), "float64")
        for i in range(kh):
            for j in range(kw):
                out += np.einsum("nchw,oc->nohw", data[:, :, i : i + oh, j : j + ow], weight[:, :, i, j])
        return out

    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    bias = lambda v, b: v + b.reshape(1, -1, 1, 1)  # noqa: E731
    y1 = relu(bias(conv(x, w1, 1), b1))
    y2 = relu(bias(conv(y1, w2, 1), b2))
    y3 = relu(y1 + y2)
    return bias(conv(y3, w3, 0), b3)


def _composites(func):
    """``[(Composite, PartitionedFromPattern)]`` of the composite calls in ``func``, in post order."""
    found = []

    def visit(node):
        if isinstance(node, relay.Call) and isinstance(node.op, relay.Function):
            composite = node.op.attrs.get("Composite")
            if composite is not None:
                found.append((composite, node.op.attrs["PartitionedFromPattern"]))

    relay.analysis.post_order_visit(func.body, visit)
    return found


class _InlineComposites(DFPatternCallback):
    """Calls of composite functions back to their bodies (the graph executor
    runs primitive functions only; a BYOC flow would offload them instead)."""

    def __init__(self):
        super().__init__()
        self.pattern = wildcard().has_attr({"Composite": "conv2d_bias_relu"})(None) | wildcard().has_attr(
            {"Composite": "add_relu"}
        )(None)

    def callback(self, pre, post, node_map):
        return relay.bind(post.op.body, dict(zip(post.op.params, post.args)))


def _typed(func):
    return relay.transform.InferType()(tvm.IRModule.from_expr(func))["main"]


def _merge(mod, table):
    return relay.transform.MergeComposite(table)(mod)


def test_conv_bias_relu_network_structure_and_values():
    mod = tvm.IRModule.from_expr(_network())
    table = [("conv2d_bias_relu", _conv_bias_relu_pattern()), ("add_relu", _add_relu_pattern())]
    merged = _merge(mod, table)
    main = merged["main"]
    assert _composites(main) == [
        ("conv2d_bias_relu", "nn.conv2d_nn.bias_add_nn.relu_"),
        ("conv2d_bias_relu", "nn.conv2d_nn.bias_add_nn.relu_"),
        ("add_relu", "add_nn.relu_"),
    ]
    assert not relay.analysis.free_vars(main)
    # types are inferred: a composite call has the type of the relu it replaced
    assert tuple(main.body.args[0].args[0].checked_type.shape) == (1, 4, 8, 8)
    # the 1x1 conv + bias without relu stays as it was
    assert is_op("nn.bias_add")(is_op("nn.conv2d")(wildcard(), wildcard()), wildcard()).match(main.body)

    inputs = _network_inputs()
    reference = _numpy_network(*inputs)
    original = relay.create_executor("debug", mod=mod).evaluate()(*inputs).numpy()
    partitioned = relay.create_executor("debug", mod=merged).evaluate()(*inputs).numpy()
    np.testing.assert_allclose(partitioned, original, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(original, reference, rtol=1e-4, atol=1e-4)

    inlined = tvm.IRModule.from_expr(rewrite(_InlineComposites(), main))
    assert _composites(inlined["main"]) == []
    assert tvm.ir.structural_equal(_typed(inlined["main"]), _typed(_network()), map_free_vars=True)
    outputs = []
    for module in (mod, inlined):
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(module, target="llvm")
        runner = graph_executor.GraphModule(lib["default"](tvm.cpu()))
        for i, value in enumerate(inputs):
            runner.set_input(i, value)
        runner.run()
        outputs.append(runner.get_output(0).numpy())
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outputs[1], reference, rtol=1e-4, atol=1e-4)


def test_table_order_is_priority():
    a = relay.var("a", shape=(4,))
    b = relay.var("b", shape=(4,))
    func = relay.Function([a, b], relay.nn.relu(a + b))
    add_only = ("add", is_op("add")(wildcard(), wildcard()))
    add_relu = ("add_relu", _add_relu_pattern())
    first = _merge(tvm.IRModule.from_expr(func), [add_relu, add_only])
    assert _composites(first["main"]) == [("add_relu", "add_nn.relu_")]
    second = _merge(tvm.IRModule.from_expr(func), [add_only, add_relu])
    assert _composites(second["main"]) == [("add", "add_")]
    data = [_rand(4, seed=1), _rand(4, seed=2)]
    for merged in (first, second):
        value = relay.create_executor("debug", mod=merged).evaluate()(*data).numpy()
        np.testing.assert_allclose(value, np.maximum(data[0] + data[1], 0), rtol=1e-6)


def test_check_functions_see_types_and_can_refuse():
    def network(layout_kernel):
        x = relay.var("x", shape=(1, 3, 6, 6))
        w = relay.var("w", shape=(4, 3, 3, 3))
        b = relay.var("b", shape=(4,))
        conv = relay.nn.conv2d(x, w, kernel_size=layout_kernel)
        return relay.Function([x, w, b], relay.nn.relu(relay.nn.bias_add(conv, b)))

    seen = []

    def check(extract):
        conv = extract.args[0].args[0]
        seen.append(tuple(conv.checked_type.shape))
        return conv.attrs.data_layout == "NCHW" and int(conv.checked_type.shape[1]) == 4

    merged = _merge(tvm.IRModule.from_expr(network((3, 3))), [("cbr", _conv_bias_relu_pattern(), check)])
    assert seen == [(1, 4, 4, 4)]
    assert _composites(merged["main"]) == [("cbr", "nn.conv2d_nn.bias_add_nn.relu_")]

    refuse = _merge(tvm.IRModule.from_expr(network((3, 3))), [("cbr", _conv_bias_relu_pattern(), lambda e: False)])
    assert _composites(refuse["main"]) == []
    assert tvm.ir.structural_equal(refuse["main"], _typed(network((3, 3))), map_free_vars=True)


def test_tuple_get_item_pattern_and_shared_inputs():
    x = relay.var("x", shape=(1, 2, 3, 3))
    params = [relay.var(n, shape=(2,)) for n in ("gamma", "beta", "mean", "var")]
    bn = relay.nn.batch_norm(x, *params)
    func = relay.Function([x] + params, relay.nn.relu(bn[0]) + x)
    pattern = is_op("nn.relu")(is_tuple_get_item(is_op("nn.batch_norm")(None), 0))
    merged = _merge(tvm.IRModule.from_expr(func), [("bn_relu", pattern)])
    assert _composites(merged["main"]) == [("bn_relu", "nn.batch_norm_TupleGetItem0_nn.relu_")]
    data = [_rand(1, 2, 3, 3, seed=3), _rand(2, seed=4), _rand(2, seed=5), _rand(2, seed=6), np.abs(_rand(2, seed=7)) + 0.5]
    original = relay.create_executor("debug", mod=tvm.IRModule.from_expr(func)).evaluate()(*data).numpy()
    value = relay.create_executor("debug", mod=merged).evaluate()(*data).numpy()
    np.testing.assert_allclose(value, original, rtol=1e-6)
    x_np, gamma, beta, mean, var = data
    norm = (x_np - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + 1e-5)
    expected = np.maximum(norm * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1), 0) + x_np
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5)


def test_is_a_pass_usable_in_sequential():
    merge = relay.transform.MergeComposite([("add_relu", _add_relu_pattern())])
    assert isinstance(merge, tvm.transform.Pass)
    assert merge.info.name == "MergeComposite" and int(merge.info.opt_level) == 0
    a = relay.var("a", shape=(3,))
    mod = tvm.IRModule.from_expr(relay.Function([a], relay.nn.relu(a + a)))
    seq = tvm.transform.Sequential([relay.transform.InferType(), merge])
    with tvm.transform.PassContext(opt_level=0):
        out = seq(mod)
    assert _composites(out["main"]) == [("add_relu", "add_nn.relu_")]
    value = relay.create_executor("debug", mod=out).evaluate()(np.array([-1, 0, 2], "float32")).numpy()
    np.testing.assert_allclose(value, [0, 0, 4])


def test_bad_pattern_tables():
    with pytest.raises(ValueError, match="entry 0"):
        relay.transform.MergeComposite([("only_a_name",)])
    with pytest.raises(TypeError, match="must be a DFPattern"):
        relay.transform.MergeComposite([("x", relay.var("x"))])
    with pytest.raises(TypeError, match="name must be a string"):
        relay.transform.MergeComposite([(1, _add_relu_pattern())])
    with pytest.raises(TypeError, match="check must be callable"):
        relay.transform.MergeComposite([("x", _add_relu_pattern(), "yes")])
    with pytest.raises(TypeError, match="wrap it in a list"):
        relay.transform.MergeComposite(("x", _add_relu_pattern()))
