"""FuseOps: grouping by TOpPattern and the post-dominator tree, checked on the
groups it forms and on numbers (interpreter before vs after fusion)."""
import numpy as np
import pytest

import tvm
from tvm import relay
import tvm.relay.testing  # noqa: F401  (relay.testing.resnet)
from tvm.relay.reference import create_executor
from tvm.relay.transform._utils import post_order


def _run(mod, *inputs):
    out = create_executor("debug", mod=mod).evaluate()(*inputs)
    return out.numpy() if hasattr(out, "numpy") else [o.numpy() for o in out]


def _fuse(func, opt_level=3, **kwargs):
    mod = tvm.IRModule.from_expr(func)
    mod = relay.transform.InferType()(mod)
    with tvm.transform.PassContext(opt_level=opt_level):
        fused = relay.transform.FuseOps(**kwargs)(mod)
    fused = relay.transform.InferType()(fused)  # the result must type-check
    return mod, fused


def _groups(mod):
    """Op names of each primitive function called by main, in dataflow order."""
    groups = []
    for node in post_order(mod["main"].body):
        if isinstance(node, relay.Call) and isinstance(node.op, relay.Function):
            assert node.op.is_primitive
            names = [
                n.op.name
                for n in post_order(node.op.body)
                if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
            ]
            groups.append(names)
    return groups


def _check_numbers(mod, fused, *inputs):
    expected = _run(mod, *inputs)
    actual = _run(fused, *inputs)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def _rand(*shape):
    return np.random.RandomState(sum(shape)).uniform(-1, 1, size=shape).astype("float32")


def test_conv_bias_relu_residual_in_one_function():
    x = relay.var("x", shape=(1, 8, 6, 6))
    w = relay.var("w", shape=(8, 8, 3, 3))
    b = relay.var("b", shape=(8,))
    y = relay.nn.conv2d(x, w, kernel_size=(3, 3), padding=(1, 1), channels=8)
    y = relay.nn.relu(relay.nn.bias_add(y, b))
    y = relay.add(y, x)
    mod, fused = _fuse(relay.Function([x, w, b], y))
    assert _groups(fused) == [["nn.conv2d", "nn.bias_add", "nn.relu", "add"]]
    fn = fused["main"].body.op
    assert fn.attrs["Primitive"] == 1
    # inputs of the group become parameters p0, p1, ... in order of use
    assert [p.name_hint for p in fn.params] == ["p0", "p1", "p2"]
    _check_numbers(mod, fused, _rand(1, 8, 6, 6), _rand(8, 8, 3, 3), _rand(8))


def test_two_convs_are_two_functions():
    x = relay.var("x", shape=(1, 4, 6, 6))
    w1 = relay.var("w1", shape=(4, 4, 3, 3))
    w2 = relay.var("w2", shape=(4, 4, 3, 3))
    y = relay.nn.relu(relay.nn.conv2d(x, w1, kernel_size=(3, 3), padding=(1, 1)))
    y = relay.nn.relu(relay.nn.conv2d(y, w2, kernel_size=(3, 3), padding=(1, 1)))
    mod, fused = _fuse(relay.Function([x, w1, w2], y))
    assert _groups(fused) == [["nn.conv2d", "nn.relu"], ["nn.conv2d", "nn.relu"]]
    _check_numbers(mod, fused, _rand(1, 4, 6, 6), _rand(4, 4, 3, 3), _rand(4, 4, 3, 3))


def test_diamond_after_conv_fuses_into_one():
    # conv2d's post-dominator is the final add: both branches join it.
    x = relay.var("x", shape=(1, 4, 5, 5))
    w = relay.var("w", shape=(4, 4, 1, 1))
    c = relay.nn.conv2d(x, w, kernel_size=(1, 1))
    y = relay.add(relay.nn.relu(c), relay.exp(c))
    mod, fused = _fuse(relay.Function([x, w], y))
    groups = _groups(fused)
    assert len(groups) == 1 and sorted(groups[0]) == ["add", "exp", "nn.conv2d", "nn.relu"]
    _check_numbers(mod, fused, _rand(1, 4, 5, 5), _rand(4, 4, 1, 1))


def test_injective_chain_is_one_function():
    x = relay.var("x", shape=(2, 3, 4))
    y = relay.reshape(x, (6, 4))
    y = relay.transpose(y, (1, 0))
    y = relay.exp(relay.add(y, relay.const(1.0)))
    mod, fused = _fuse(relay.Function([x], y))
    assert _groups(fused) == [["reshape", "transpose", "add", "exp"]]
    fn = fused["main"].body.op
    # the scalar constant stays inside the kernel; only x is a parameter
    assert len(fn.params) == 1
    _check_numbers(mod, fused, _rand(2, 3, 4))


def test_reduction_takes_elemwise_producers_not_injective_ones():
    # multiply and exp (element-wise) join the sum that post-dominates them;
    # the transpose feeding them is injective, and upstream's rules only let
    # element-wise/broadcast producers join a reduction, so it stays apart.
    # A reduction never absorbs its consumers: sqrt is a kernel of its own.
    x = relay.var("x", shape=(3, 4, 5))
    y = relay.transpose(x, (0, 2, 1))
    y = relay.sum(relay.exp(relay.multiply(y, relay.const(2.0))), axis=[2])
    y = relay.sqrt(y)
    mod, fused = _fuse(relay.Function([x], y))
    assert _groups(fused) == [["transpose"], ["multiply", "exp", "sum"], ["sqrt"]]
    _check_numbers(mod, fused, _rand(3, 4, 5))


def test_softmax_fuses_with_what_follows_as_in_0_8():
    # 0.8 registers the softmax family OUT_ELEMWISE_FUSABLE: element-wise consumers
    # join it, producers do not.
    x = relay.var("x", shape=(2, 10))
    y = relay.exp(relay.nn.softmax(relay.add(x, relay.const(1.0))))
    mod, fused = _fuse(relay.Function([x], y))
    assert _groups(fused) == [["add"], ["nn.softmax", "exp"]]
    _check_numbers(mod, fused, _rand(2, 10))


@pytest.mark.parametrize("name", ["softmax", "fast_softmax", "log_softmax"])
def test_softmax_family_and_a_cast_compile_to_one_kernel(name):
    x = relay.var("x", shape=(16, 16))
    y = relay.cast(getattr(relay.nn, name)(x), "float16")
    mod, fused = _fuse(relay.Function([x], y))
    assert _groups(fused) == [[f"nn.{name}", "cast"]]
    data = _rand(16, 16) * 4
    shifted = data - data.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = log_probs if name == "log_softmax" else np.exp(log_probs)
    lib = relay.build(fused, target="llvm")
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.run(x=data)
    out = module.get_output(0).numpy()
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.astype("float32"), expected, rtol=2e-3, atol=2e-3)


def test_tuple_and_concatenate_fuse_with_their_producers():
    x = relay.var("x", shape=(2, 3))
    y = relay.var("y", shape=(2, 3))
    z = relay.concatenate([relay.exp(x), relay.nn.relu(y)], axis=1)
    mod, fused = _fuse(relay.Function([x, y], z))
    groups = _groups(fused)
    assert len(groups) == 1 and sorted(groups[0]) == ["concatenate", "exp", "nn.relu"]
    _check_numbers(mod, fused, _rand(2, 3), _rand(2, 3))


def test_fuse_opt_level_zero_gives_one_function_per_op():
    x = relay.var("x", shape=(1, 4, 5, 5))
    w = relay.var("w", shape=(4, 4, 3, 3))
    b = relay.var("b", shape=(4,))
    y = relay.nn.relu(relay.nn.bias_add(relay.nn.conv2d(x, w, kernel_size=(3, 3)), b))
    mod, fused = _fuse(relay.Function([x, w, b], y), fuse_opt_level=0)
    assert _groups(fused) == [["nn.conv2d"], ["nn.bias_add"], ["nn.relu"]]
    _check_numbers(mod, fused, _rand(1, 4, 5, 5), _rand(4, 4, 3, 3), _rand(4))
    # fuse_opt_level=-1 reads the PassContext: opt_level 0 means no fusion either
    _, fused0 = _fuse(relay.Function([x, w, b], y), opt_level=0)
    assert len(_groups(fused0)) == 3


def test_max_fuse_depth_splits_long_chains():
    x = relay.var("x", shape=(4,))
    y = x
    for _ in range(10):
        y = relay.exp(y)
    mod, fused = _fuse(relay.Function([x], y), max_fuse_depth=4)
    assert [len(g) for g in _groups(fused)] == [4, 4, 2]
    _, unlimited = _fuse(relay.Function([x], y))
    assert [len(g) for g in _groups(unlimited)] == [10]
    # upstream's default limit is 256 nodes per function
    z = x
    for _ in range(300):
        z = relay.exp(z)
    _, default = _fuse(relay.Function([x], z))
    assert [len(g) for g in _groups(default)] == [256, 44]
    _check_numbers(mod, fused, _rand(4) * 0.1)
    with pytest.raises(ValueError, match="max_fuse_depth"):
        relay.transform.FuseOps(max_fuse_depth=0)


def test_existing_primitive_function_is_kept():
    p = relay.var("p", shape=(3,))
    prim = relay.Function([p], relay.exp(p)).with_attr("Primitive", 1)
    x = relay.var("x", shape=(3,))
    y = relay.add(relay.Call(prim, [x]), relay.const(1.0))
    mod, fused = _fuse(relay.Function([x], y))
    body = fused["main"].body
    inner = body.args[0]
    assert inner.op is prim  # untouched, not refused
    assert _groups(fused) == [["exp"], ["add"]]
    _check_numbers(mod, fused, _rand(3))


def test_non_scalar_constant_becomes_parameter():
    x = relay.var("x", shape=(2, 3))
    c = relay.const(np.arange(6, dtype="float32").reshape(2, 3))
    y = relay.multiply(relay.add(x, c), relay.const(2.0))
    mod, fused = _fuse(relay.Function([x], y))
    call = fused["main"].body
    assert len(call.args) == 2 and isinstance(call.args[1], relay.Constant)
    assert len(call.op.params) == 2
    _check_numbers(mod, fused, _rand(2, 3))


def test_tuple_output_and_getitem():
    x = relay.var("x", shape=(4, 6))
    parts = relay.split(relay.exp(x), 2, axis=1)
    y = relay.Tuple([relay.nn.relu(parts[0]), relay.negative(parts[1])])
    mod, fused = _fuse(relay.Function([x], y))
    assert isinstance(fused["main"].body, relay.Tuple)
    expected = _run(mod, _rand(4, 6))
    actual = _run(fused, _rand(4, 6))
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-6)


def _standard_pipeline(mod, params):
    """bind params, SimplifyInference, FoldConstant, FoldScaleAxis, FuseOps at opt_level 3."""
    from tvm.relay.build_module import bind_params_by_name

    mod = mod.copy()
    mod["main"] = bind_params_by_name(mod["main"], params)
    t = relay.transform
    seq = t.Sequential(
        [t.InferType(), t.SimplifyInference(), t.FoldConstant(), t.FoldScaleAxis(), t.FuseOps()]
    )
    with tvm.transform.PassContext(opt_level=3):
        mod = seq(mod)
    return relay.transform.InferType()(mod)


def _primitive_calls(mod):
    return [
        n
        for n in post_order(mod["main"].body)
        if isinstance(n, relay.Call) and isinstance(n.op, relay.Function)
    ]


_COMPLEX = ("nn.conv2d", "nn.max_pool2d", "nn.global_avg_pool2d", "nn.dense", "nn.softmax")


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_resnet18_fused_functions(layout):
    """The kernels of ResNet-18 (relay.testing, pre-activation units) after fusion.

    Derivation from the fusion rules (after FoldScaleAxis every batch-norm
    multiply except the last one is folded into a convolution's weights; what
    is left of a batch norm is an ``add`` of its shift):

    * head (3): ``add`` (bn_data's shift: a convolution never absorbs its
      producers), ``conv0 + add + relu``, ``max_pool2d + add + relu``
      (pooling is out-element-wise-fusable; stage 1's first unit has a
      projection shortcut, so the pool's result has one user);
    * each of the 4 stages (6 each, 24): unit 1 gives ``conv1 + add + relu``,
      the 1x1 shortcut ``conv`` alone (its user, the residual add, is already
      taken by conv2's group), ``conv2 + residual add``; unit 2's bn1
      ``add + relu`` is a kernel of its own because the residual sum also feeds
      unit 2's identity shortcut (its post-dominator lies beyond two
      convolutions); unit 2 gives ``conv1 + add + relu`` and
      ``conv2 + residual add + next bn1 add + relu`` (the next unit uses a
      projection shortcut, so the sum has a single user); in stage 4 the next
      batch norm is the final one, whose multiply cannot fold (no convolution
      follows): ``conv2 + add + multiply + add + relu``;
    * tail (4): ``global_avg_pool2d``, ``batch_flatten`` (injective, cannot join
      dense), ``dense + bias_add``, ``softmax`` (opaque).

    31 calls. Stage 1's two ``conv1`` kernels (64->64, 3x3, stride 1) are
    alpha-equivalent (weights are parameters), so 30 distinct functions. The
    calls with a complex op (21 conv2d, 2 pools, dense, softmax) are 25, 24
    distinct: the number of auto-scheduler tasks upstream's task-extraction
    test expects for ResNet-18 in both layouts (on CUDA; there the task
    weights sum to 26, one call more than the 25 here, which its CUDA-only
    pipeline adds and which cannot be traced on this machine).
    """
    shape = (3, 224, 224) if layout == "NCHW" else (224, 224, 3)
    mod, params = relay.testing.resnet.get_workload(num_layers=18, layout=layout, image_shape=shape)
    fused = _standard_pipeline(mod, params)
    calls = _primitive_calls(fused)
    assert len(calls) == 31
    assert len({relay.structural_hash(c.op) for c in calls}) == 30
    complex_calls = [c for c in calls if any(n in _COMPLEX for n in _op_names(c.op))]
    assert len(complex_calls) == 25
    assert len({relay.structural_hash(c.op) for c in complex_calls}) == 24
    # every convolution is alone with its element-wise consumers
    for call in calls:
        assert _op_names(call.op).count("nn.conv2d") <= 1
    # only the last batch norm keeps its multiply
    assert sum(_op_names(c.op).count("multiply") for c in calls) == 1
    assert not any(n in ("nn.batch_norm", "sqrt", "divide") for c in calls for n in _op_names(c.op))


def _op_names(func):
    return [
        n.op.name
        for n in post_order(func.body)
        if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
    ]


def test_resnet18_pipeline_keeps_numbers():
    mod, params = relay.testing.resnet.get_workload(
        num_layers=18, image_shape=(3, 64, 64), num_classes=10
    )
    # relay.testing initialises batch norms to the identity; make them real
    rng = np.random.RandomState(1)
    for name, value in list(params.items()):
        array = value.numpy()
        if name.endswith(("_gamma", "_moving_var")):
            params[name] = rng.uniform(0.5, 1.5, array.shape).astype(array.dtype)
        elif name.endswith(("_beta", "_moving_mean")):
            params[name] = rng.uniform(-0.5, 0.5, array.shape).astype(array.dtype)
    fused = _standard_pipeline(mod, params)
    data = np.random.RandomState(0).uniform(-1, 1, (1, 3, 64, 64)).astype("float32")
    expected = create_executor("debug", mod=mod).evaluate()(data, **params).numpy()
    actual = _run(fused, data)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6)


def test_inception_like_concat_of_conv_groups():
    # conv2d groups are complete (conv + relu) before the tuple phase; the
    # concatenate then cannot take them (they are not injective), and the
    # pool does not absorb its producer.
    x = relay.var("x", shape=(1, 3, 5, 5))
    w1 = relay.var("w1", shape=(2, 3, 1, 1))
    w2 = relay.var("w2", shape=(2, 3, 1, 1))
    c1 = relay.nn.relu(relay.nn.conv2d(x, w1, kernel_size=(1, 1)))
    c2 = relay.nn.relu(relay.nn.conv2d(x, w2, kernel_size=(1, 1)))
    y = relay.nn.max_pool2d(relay.concatenate([c1, c2], axis=1), pool_size=(2, 2))
    mod, fused = _fuse(relay.Function([x, w1, w2], y))
    assert _groups(fused) == [
        ["nn.conv2d", "nn.relu"],
        ["nn.conv2d", "nn.relu"],
        ["concatenate"],
        ["nn.max_pool2d"],
    ]
    _check_numbers(mod, fused, _rand(1, 3, 5, 5), _rand(2, 3, 1, 1), _rand(2, 3, 1, 1))


def test_no_fusion_across_let_and_if():
    x = relay.var("x", shape=(3,))
    c = relay.var("c", shape=(), dtype="bool")
    v = relay.var("v")
    value = relay.exp(relay.add(x, relay.const(1.0)))
    body = relay.Let(v, value, relay.If(c, relay.nn.relu(v), relay.negative(relay.exp(v))))
    mod, fused = _fuse(relay.Function([x, c], body))
    assert _groups(fused) == [["add", "exp"], ["nn.relu"], ["exp", "negative"]]
    data = _rand(3)
    for flag in (True, False):
        expected = _run(mod, data, np.array(flag))
        np.testing.assert_allclose(_run(fused, data, np.array(flag)), expected, rtol=1e-6)


def test_nested_closure_body_is_fused():
    x = relay.var("x", shape=(3,))
    p = relay.var("p", shape=(3,))
    closure = relay.Function([p], relay.exp(relay.multiply(p, relay.const(2.0))))
    y = relay.add(relay.Call(closure, [x]), relay.const(1.0))
    mod, fused = _fuse(relay.Function([x], y))
    main = fused["main"].body
    assert main.op.is_primitive and _op_names(main.op) == ["add"]
    inner = main.args[0].op  # the closure, not primitive, its body fused
    assert not inner.is_primitive and _op_names(inner.body.op) == ["multiply", "exp"]
    _check_numbers(mod, fused, _rand(3))
