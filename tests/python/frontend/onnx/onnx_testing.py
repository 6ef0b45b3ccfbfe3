"""Shared by the ONNX frontend tests: compile with relay.build, compare with ONNX Runtime."""
import numpy as np
import onnxruntime as ort

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay.frontend import from_onnx

RTOL = ATOL = 1e-4


def run_ort(model, inputs):
    """Outputs of ``model`` on ``inputs`` from ONNX Runtime (CPU, 2 intra-op threads)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def compile_model(model, shape=None, target="llvm", freeze_params=True):
    """``model`` through ``from_onnx`` + ``relay.build``, as a graph executor module."""
    mod, params = from_onnx(model, shape=shape, freeze_params=freeze_params)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target=target, params=params)
    return graph_executor.GraphModule(lib["default"](tvm.cpu()))


def run_module(module, inputs):
    """Run a compiled module on ``inputs``; all outputs as NumPy arrays."""
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def run_tvm(model, inputs, shape=None, target="llvm", freeze_params=True):
    """Outputs of ``model`` compiled by ``from_onnx`` + ``relay.build``."""
    return run_module(compile_model(model, shape, target, freeze_params), inputs)


def assert_same(actual, expected, rtol=RTOL, atol=ATOL):
    """Outputs agree in number, shape, dtype and value."""
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert got.shape == want.shape, (got.shape, want.shape)
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def verify(model, inputs, rtol=RTOL, atol=ATOL, shape=None, freeze_params=True):
    """Assert that TVM and ONNX Runtime agree on every output (values, shapes, dtypes)."""
    expected = run_ort(model, inputs)
    actual = run_tvm(model, inputs, shape=shape, freeze_params=freeze_params)
    assert_same(actual, expected, rtol, atol)
    return actual
