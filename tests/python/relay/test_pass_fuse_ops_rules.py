"""FuseOps on the graph shapes upstream's fusion was designed around: diamonds
after a convolution, tuples inside and at the root, split outputs, parallel
injective branches. Each case states the expected kernels and checks numbers."""
import numpy as np

import tvm
from tvm import relay
from tvm.relay.reference import create_executor
from tvm.relay.transform._utils import post_order


def _run(mod, *inputs):
    out = create_executor("debug", mod=mod).evaluate()(*inputs)
    return [o.numpy() for o in out] if isinstance(out, tuple | list) else [out.numpy()]


def _fuse(func):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    with tvm.transform.PassContext(opt_level=2):
        fused = relay.transform.FuseOps()(mod)
    return mod, relay.transform.InferType()(fused)


def _kernels(mod):
    """(op names, number of params) of each primitive function, in dataflow order."""
    found = []
    for node in post_order(mod["main"].body):
        if isinstance(node, relay.Call) and isinstance(node.op, relay.Function):
            names = [
                n.op.name
                for n in post_order(node.op.body)
                if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
            ]
            found.append((names, len(node.op.params)))
    return found


def _same_numbers(mod, fused, *inputs):
    for got, want in zip(_run(fused, *inputs), _run(mod, *inputs)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _rand(*shape):
    return np.random.RandomState(sum(shape)).uniform(-1, 1, shape).astype("float32")


def test_conv_diamond_then_parallel_convs():
    shape = (1, 4, 6, 6)
    x = relay.var("x", shape=shape)
    w1, w2, w3 = (relay.var(f"w{i}", shape=(4, 4, k, k)) for i, k in ((1, 3), (2, 1), (3, 3)))
    y = relay.nn.conv2d(relay.add(x, relay.const(1.0)), w1, kernel_size=(3, 3), padding=(1, 1))
    y = relay.add(y, relay.add(relay.const(1.0), y))  # the diamond closes here
    z2 = relay.nn.conv2d(y, w2, kernel_size=(1, 1))
    z3 = relay.nn.conv2d(y, w3, kernel_size=(3, 3), padding=(1, 1))
    out = relay.add(z2, z3)
    mod, fused = _fuse(relay.Function([x, w1, w2, w3], out))
    # a convolution never absorbs its producer; the final add can join only
    # one of the two convolutions (z2, visited first) since a group holds at
    # most one out-element-wise-fusable op.
    assert _kernels(fused) == [
        (["add"], 1),
        (["nn.conv2d", "add", "add"], 2),
        (["nn.conv2d"], 2),
        (["nn.conv2d", "add"], 3),
    ]
    assert fused["main"].body.op.body.args[0].args[1].name_hint == "p1"
    _same_numbers(mod, fused, _rand(*shape), _rand(4, 4, 3, 3), _rand(4, 4, 1, 1), _rand(4, 4, 3, 3))


def test_intermediate_tuple_fuses_whole_injective_graph():
    x = relay.var("x", shape=(1, 4, 1, 5))
    inj = relay.squeeze(x, axis=[2])
    y1 = relay.add(inj, relay.const(1.0))
    y2 = relay.add(relay.add(relay.reshape(inj, (1, 4, 5)), relay.const(1.0)), relay.const(1.0))
    y3 = relay.add(inj, relay.const(1.0))
    out = relay.add(relay.exp(relay.concatenate([y1, y2, y3], axis=1)), relay.const(1.0))
    mod, fused = _fuse(relay.Function([x], out))
    kernels = _kernels(fused)
    assert len(kernels) == 1 and kernels[0][1] == 1
    assert sorted(kernels[0][0]) == sorted(
        ["squeeze", "add", "reshape", "add", "add", "add", "concatenate", "exp", "add"]
    )
    _same_numbers(mod, fused, _rand(1, 4, 1, 5))


def test_consecutive_tuples_and_tuple_root():
    x = relay.var("x", shape=(1, 2, 4, 4))

    def inner(data):
        parts = [relay.add(data, relay.const(float(i))) for i in range(3)]
        return relay.add(relay.concatenate(parts, axis=1), relay.const(1.0))

    concat = relay.concatenate([inner(x), inner(x)], axis=1)
    pooled = relay.nn.max_pool2d(concat, pool_size=(2, 2), strides=(2, 2))
    out = relay.add(pooled, relay.const(1.0))
    out2 = relay.add(out, relay.const(1.0))
    mod, fused = _fuse(relay.Function([x], relay.Tuple([out, out2])))
    kernels = _kernels(fused)
    assert [k[0].count("concatenate") for k in kernels] == [3, 0, 0]
    assert kernels[1] == (["nn.max_pool2d", "add"], 1)
    assert kernels[2] == (["add"], 1)
    assert isinstance(fused["main"].body, relay.Tuple)  # the root tuple is not a kernel
    _same_numbers(mod, fused, _rand(1, 2, 4, 4))


def test_split_outputs_fuse_with_their_consumers():
    x = relay.var("x", shape=(1, 5))
    w = relay.var("w", shape=(15, 5))
    parts = relay.split(relay.nn.dense(x, w), 3, axis=1)
    out = relay.add(relay.sigmoid(parts[0]), relay.multiply(relay.tanh(parts[1]), relay.exp(parts[2])))
    mod, fused = _fuse(relay.Function([x, w], out))
    kernels = _kernels(fused)
    # dense cannot take split (injective); split, its getitems and the
    # element-wise tail form one kernel
    assert kernels[0] == (["nn.dense"], 2)
    assert kernels[1][1] == 1 and sorted(kernels[1][0]) == sorted(
        ["split", "sigmoid", "tanh", "exp", "multiply", "add"]
    )
    _same_numbers(mod, fused, _rand(1, 5), _rand(15, 5))


def test_getitem_as_group_root():
    x = relay.var("x", shape=(1, 12))
    w = relay.var("w", shape=(4, 4))
    out = relay.nn.dense(relay.split(x, 3, axis=1)[0], w)
    mod, fused = _fuse(relay.Function([x, w], out))
    assert _kernels(fused) == [(["split"], 1), (["nn.dense"], 2)]
    first = fused["main"].body.args[0].op
    assert isinstance(first.body, relay.TupleGetItem)  # the kernel returns field 0
    _same_numbers(mod, fused, _rand(1, 12), _rand(4, 4))


def test_parallel_injective_branches_join_elemwise_producer():
    x = relay.var("x", shape=(10, 20))
    y = relay.add(x, relay.const(1.0))
    out = relay.subtract(relay.squeeze(y), relay.transpose(y, axes=[0, 1]))
    mod, fused = _fuse(relay.Function([x], out))
    kernels = _kernels(fused)
    assert len(kernels) == 1 and sorted(kernels[0][0]) == ["add", "squeeze", "subtract", "transpose"]
    _same_numbers(mod, fused, _rand(10, 20))


def test_pool_upsampling_concatenate():
    x = relay.var("x", shape=(1, 2, 4, 4))
    pooled = relay.nn.max_pool2d(x, pool_size=(2, 2), strides=(2, 2))
    up = relay.nn.upsampling(pooled, scale_h=2, scale_w=2)
    out = relay.add(relay.concatenate([up, x], axis=1), relay.const(1.0))
    mod, fused = _fuse(relay.Function([x], out))
    assert _kernels(fused)[0] == (["nn.max_pool2d"], 1)
    assert _kernels(fused)[1][1] == 2
    assert sorted(_kernels(fused)[1][0]) == ["add", "concatenate", "nn.upsampling"]
    _same_numbers(mod, fused, _rand(1, 2, 4, 4))


def test_input_module_is_not_changed():
    x = relay.var("x", shape=(10, 20))
    func = relay.Function([x], relay.squeeze(relay.exp(relay.add(x, relay.const(1.0)))))
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    before = mod["main"]
    fused = relay.transform.FuseOps(fuse_opt_level=2)(mod)
    assert mod["main"] is before
    assert relay.structural_equal(mod["main"], func)
    assert fused["main"] is not before and len(_kernels(fused)) == 1
