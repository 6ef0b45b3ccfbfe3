"""GraphModule.set_input on a module of an RPC session takes local values (as in 0.8)."""
import numpy as np

import tvm
from tvm import relay, rpc
from tvm.contrib import graph_executor, utils


def test_set_input_copies_local_values_into_an_rpc_module():
    x = relay.var("x", shape=(3, 4), dtype="float32")
    y = relay.var("y", shape=(3, 4), dtype="float32")
    func = relay.Function([x, y], relay.exp(x) * 2.0 + y)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(tvm.IRModule.from_expr(func), target="llvm")
    temp = utils.tempdir()
    path = temp.relpath("net.tar")
    lib.export_library(path)

    remote = rpc.LocalSession()
    remote.upload(path)
    rlib = remote.load_module("net.tar")
    module = graph_executor.GraphModule(rlib["default"](remote.cpu(0)))

    rng = np.random.default_rng(7)
    x_value = rng.standard_normal((3, 4))  # float64: converted to the input's float32
    y_value = rng.standard_normal((3, 4)).astype("float32")
    module.set_input("x", x_value)
    module.set_input(y=tvm.runtime.tensor(y_value))  # a local runtime tensor
    module.run()
    out = module.get_output(0).numpy()
    expected = np.exp(x_value.astype("float32")) * 2.0 + y_value
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
