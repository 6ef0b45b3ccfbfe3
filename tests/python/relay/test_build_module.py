"""relay.build with TOPI schedules end to end: every network of relay.testing,
at opt_level 3 and 0, against the NumPy reference interpreter; export/load."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
import tvm.relay.testing as testing

RTOL = ATOL = 1e-4


def _network(name):
    """Small-input variants keep the suite fast; full-size resnet-18 runs in its own slow test."""
    if name == "mlp":
        return testing.mlp.get_workload(batch_size=2), "data", (2, 1, 28, 28)
    if name == "resnet-18-nchw":
        mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1, image_shape=(3, 64, 64))
        return (mod, params), "data", (1, 3, 64, 64)
    if name == "resnet-18-nhwc":
        mod, params = testing.resnet.get_workload(
            num_layers=18, batch_size=1, layout="NHWC", image_shape=(64, 64, 3)
        )
        return (mod, params), "data", (1, 64, 64, 3)
    if name == "mobilenet":
        mod, params = testing.mobilenet.get_workload(batch_size=1, image_shape=(3, 64, 64))
        return (mod, params), "data", (1, 3, 64, 64)
    if name == "dcgan":
        return testing.dcgan.get_workload(batch_size=1, ngf=32), "data", (1, 100)
    if name == "resnet3d-18":
        mod, params = testing.resnet_3d.get_workload(
            num_layers=18, batch_size=1, image_shape=(3, 8, 32, 32)
        )
        return (mod, params), "data", (1, 3, 8, 32, 32)
    raise ValueError(name)


def _informative(mod, params, seed=0):
    """Make the comparison meaningful: drop the final softmax (random weights make
    its output nearly uniform) and give batch-norm statistics random values."""
    main = mod["main"]
    body = main.body
    if isinstance(body, relay.Call) and getattr(body.op, "name", "") == "nn.softmax":
        mod = tvm.IRModule.from_expr(relay.Function(main.params, body.args[0]))
    rng = np.random.default_rng(seed)
    new_params = {}
    for name, value in params.items():
        shape = value.numpy().shape
        if name.endswith(("_gamma", "_moving_var")):
            value = rng.uniform(0.5, 1.5, shape).astype("float32")
        elif name.endswith(("_beta", "_moving_mean", "_bias")):
            value = rng.normal(0, 0.1, shape).astype("float32")
        new_params[name] = value
    return mod, new_params


def _reference(mod, params, data):
    return relay.create_executor("debug", mod=mod, device=tvm.cpu(), target="llvm").evaluate()(
        data, **params
    ).numpy()


def _run(factory, data, name="data"):
    module = graph_executor.GraphModule(factory["default"](tvm.cpu()))
    module.set_input(name, data)
    module.run()
    return module.get_output(0).numpy()


NETWORKS = ["mlp", "resnet-18-nchw", "resnet-18-nhwc", "mobilenet", "dcgan", "resnet3d-18"]


@pytest.mark.slow
@pytest.mark.parametrize("opt_level", [3, 0])
@pytest.mark.parametrize("network", NETWORKS)
def test_network_matches_interpreter(network, opt_level, tmp_path):
    (mod, params), input_name, shape = _network(network)
    mod, params = _informative(mod, params)
    data = np.random.default_rng(1).uniform(-1, 1, shape).astype("float32")
    expected = _reference(mod, params, data)
    assert np.std(expected) > 1e-3 * np.max(np.abs(expected)), "reference output is degenerate"
    with tvm.transform.PassContext(opt_level=opt_level):
        factory = relay.build(mod, target="llvm", params=params)
    np.testing.assert_allclose(_run(factory, data, input_name), expected, rtol=RTOL, atol=ATOL)

    if opt_level == 3:
        path = str(tmp_path / f"{network}.so")
        factory.export_library(path)
        loaded = graph_executor.GraphModule(tvm.runtime.load_module(path)["default"](tvm.cpu()))
        loaded.set_input(input_name, data)
        loaded.run()
        np.testing.assert_allclose(loaded.get_output(0).numpy(), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.slow
def test_full_size_resnet18_and_fresh_process_load(tmp_path):
    mod, params = _informative(*testing.resnet.get_workload(num_layers=18, batch_size=1))
    data = np.random.default_rng(2).uniform(-1, 1, (1, 3, 224, 224)).astype("float32")
    expected = _reference(mod, params, data)
    with tvm.transform.PassContext(opt_level=3):
        factory = relay.build(mod, target="llvm", params=params)
    np.testing.assert_allclose(_run(factory, data), expected, rtol=RTOL, atol=ATOL)
    path = str(tmp_path / "resnet18.so")
    factory.export_library(path)
    np.save(tmp_path / "data.npy", data)
    code = (
        "import numpy as np, tvm; from tvm.contrib import graph_executor;"
        f"m = graph_executor.GraphModule(tvm.runtime.load_module({path!r})['default'](tvm.cpu()));"
        f"m.set_input('data', np.load({str(tmp_path / 'data.npy')!r})); m.run();"
        f"np.save({str(tmp_path / 'out.npy')!r}, m.get_output(0).numpy())"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, rtol=RTOL, atol=ATOL)


def test_small_net_every_output_and_factory_api():
    x = relay.var("x", shape=(2, 8))
    w = relay.var("w", shape=(4, 8))
    dense = relay.nn.dense(x, w)
    out = relay.Tuple([relay.nn.relu(dense), relay.sum(dense, axis=1)])
    mod = tvm.IRModule.from_expr(relay.Function([x, w], out))
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((2, 8)).astype("float32")
    wv = rng.standard_normal((4, 8)).astype("float32")
    with tvm.transform.PassContext(opt_level=3):
        factory = relay.build(mod, target="llvm", params={"w": wv})
    assert '"tvm_op"' in factory.get_graph_json()
    assert set(factory.get_params()) <= {"p0", "p1", "p2"}
    module = graph_executor.GraphModule(factory["default"](tvm.cpu()))
    module.set_input("x", xv)
    module.run()
    assert module.get_num_outputs() == 2
    np.testing.assert_allclose(module.get_output(0).numpy(), np.maximum(xv @ wv.T, 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(module.get_output(1).numpy(), (xv @ wv.T).sum(1), rtol=1e-5, atol=1e-5)


def test_wrong_input_shape_is_rejected_clearly():
    x = relay.var("x", shape=(2, 8))
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.nn.relu(x)))
    factory = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(factory["default"](tvm.cpu()))
    with pytest.raises(Exception, match=r"x.*\(2, 8\)|\(2, 8\).*x"):
        module.set_input("x", np.zeros((3, 8), "float32"))


def test_legacy_and_dict_targets_build():
    x = relay.var("x", shape=(4,))
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.exp(x)))
    xv = np.linspace(-1, 1, 4).astype("float32")
    for target in ["llvm -mcpu=core-avx2 -num-cores=2", {"kind": "llvm"}, tvm.target.Target("llvm")]:
        factory = relay.build(mod, target=target)
        module = graph_executor.GraphModule(factory["default"](tvm.cpu()))
        module.set_input("x", xv)
        module.run()
        np.testing.assert_allclose(module.get_output(0).numpy(), np.exp(xv), rtol=1e-5)


def test_reshape_only_functions_are_views_of_their_input():
    """A fused function that only reshapes a kernel's output launches nothing: a
    ``__nop`` node whose output shares its input's storage; values stay exact."""
    import json

    x = relay.var("x", shape=(6, 16))
    w = relay.var("w", shape=(32, 16))
    hidden = relay.nn.dense(x, w)
    viewed = relay.reshape(hidden, (2, 3, 32))  # reshape-only function after the dense
    out1 = relay.sum(viewed, axis=1)  # a reduction: SinkReshape leaves the reshape before it
    out2 = relay.squeeze(relay.expand_dims(relay.nn.softmax(hidden), 0), [0])  # a graph output
    out3 = relay.reshape(x, (96,))  # of a graph input: a real copy kernel
    func = relay.Function([x, w], relay.Tuple([out1, out2, relay.reshape(out2, (2, 96)), out3]))
    mod = tvm.IRModule.from_expr(func)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, "llvm")
    graph = json.loads(lib.get_graph_json())
    nops = [i for i, n in enumerate(graph["nodes"]) if n.get("attrs", {}).get("func_name") == "__nop"]
    assert len(nops) >= 2
    sids, row = graph["attrs"]["storage_id"][1], graph["node_row_ptr"]
    for nid in nops:
        src = graph["nodes"][nid]["inputs"][0]
        assert sids[row[nid]] == sids[row[src[0]] + src[1]]

    rng = np.random.default_rng(0)
    xn = rng.standard_normal((6, 16)).astype("float32")
    wn = rng.standard_normal((32, 16)).astype("float32")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for _ in range(2):  # a second run reuses the same storage
        module.run(x=xn, w=wn)
    h = xn @ wn.T
    soft = np.exp(h - h.max(-1, keepdims=True))
    soft /= soft.sum(-1, keepdims=True)
    expect = [h.reshape(2, 3, 32).sum(1), soft, soft.reshape(2, 96), xn.reshape(96)]
    for index, value in enumerate(expect):
        np.testing.assert_allclose(module.get_output(index).numpy(), value, rtol=1e-5, atol=1e-5)


def test_graph_executor_keeps_the_nesting_of_a_tuple_result():
    """create_executor("graph") gives a tuple result the function's nesting (as 0.8's ADTs)."""
    x, y, z = (relay.var(n, shape=(2,)) for n in "xyz")
    func = relay.Function([x, y, z], relay.Tuple([relay.exp(x), relay.Tuple([y, relay.Tuple([z])])]))
    run = relay.create_executor("graph", mod=tvm.IRModule.from_expr(func), target="llvm").evaluate()
    data = [np.arange(2, dtype="float32") + i for i in range(3)]
    out = run(*data)
    assert len(out) == 2 and len(out[1]) == 2 and len(out[1][1]) == 1
    np.testing.assert_allclose(out[0].numpy(), np.exp(data[0]), rtol=1e-6)
    np.testing.assert_array_equal(out[1][0].numpy(), data[1])
    np.testing.assert_array_equal(out[1][1][0].numpy(), data[2])


def test_dynamic_ops_with_shapes_known_at_build_are_made_static():
    # relay.reshape / zeros with a shape computed from a static tensor build dyn.* ops; the
    # build makes them static (DynamicToStatic, as 0.8's pipeline) and compiles them
    x = relay.var("x", shape=(2, 6))
    y = relay.var("y", shape=(3, 4))
    shape = relay.shape_of(y)
    body = relay.add(relay.reshape(x, shape), relay.zeros(shape, "float32"))
    func = relay.Function([x, y], body)
    assert body.args[0].op.name == "dyn.reshape"
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(tvm.IRModule.from_expr(func), target="llvm")
    rt = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    xd = np.arange(12, dtype="float32").reshape(2, 6)
    rt.run(x=xd, y=np.zeros((3, 4), "float32"))
    np.testing.assert_array_equal(rt.get_output(0).numpy(), xd.reshape(3, 4))


def test_bind_params_by_name_refuses_a_shared_name():
    a, b = relay.var("a", shape=(1,)), relay.var("a", shape=(1,))
    func = relay.Function([a, b], relay.add(a, b))
    for error in (ValueError, tvm.TVMError):  # 0.8 raised TVMError
        with pytest.raises(error, match="several parameters of the function are called 'a'"):
            relay.build_module.bind_params_by_name(func, {"a": np.ones(1, "float32")})
    bound = relay.build_module.bind_params_by_name(func, {"other": np.ones(1, "float32")})
    assert bound is func or tvm.ir.structural_equal(bound, func)
