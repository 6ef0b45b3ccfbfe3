"""Whole networks built with the x86 TOPI schedules match the Relay interpreter.

``relay.build`` (opt_level 3, untuned: every fused function gets its TOPI x86
fallback schedule) against the reference interpreter on the same weights.
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay import testing


def check_network(mod, params, shape):
    params = testing.randomize_params(params)
    data = np.random.default_rng(1).uniform(-1, 1, shape).astype("float32")
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data)
    module.run()
    got = module.get_output(0).numpy()
    expect = relay.create_executor("debug", mod=mod, target="llvm", params=params).evaluate()(data)
    expect = expect.numpy() if hasattr(expect, "numpy") else np.asarray(expect)
    assert got.shape == expect.shape
    np.testing.assert_allclose(got, expect, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(expect).max()))
    assert np.abs(expect).max() > 0 and expect.std() > 1e-6  # the output is not degenerate


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_resnet18_small_image(layout):
    shape = (1, 3, 32, 32) if layout == "NCHW" else (1, 32, 32, 3)
    mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1, layout=layout,
                                              image_shape=shape[1:])
    check_network(mod, params, shape)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_mobilenet_small_image(layout):
    shape = (1, 3, 32, 32) if layout == "NCHW" else (1, 32, 32, 3)
    mod, params = testing.mobilenet.get_workload(batch_size=1, layout=layout, image_shape=shape[1:])
    check_network(mod, params, shape)


@pytest.mark.slow
@pytest.mark.parametrize("network", ["resnet-18", "mobilenet"])
def test_networks_full_size_nchw(network):
    shape = (1, 3, 224, 224)
    if network == "resnet-18":
        mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1)
    else:
        mod, params = testing.mobilenet.get_workload(batch_size=1)
    check_network(mod, params, shape)
