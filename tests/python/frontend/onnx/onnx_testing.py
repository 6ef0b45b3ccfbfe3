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


def make_model(nodes, feeds, inits=None, outputs=("y",), opset=13):
    """A model of ``nodes`` whose graph inputs are ``feeds`` and initializers ``inits``.

    Parameters
    ----------
    nodes : list of onnx.NodeProto
    feeds : dict of str to numpy.ndarray
        Graph inputs (their shapes and dtypes declare the inputs).
    inits : dict of str to numpy.ndarray, optional
        Initializers.
    outputs : sequence of str
        Graph outputs; their types come from ONNX shape inference.
    opset : int
        Opset of the default domain.
    """
    import onnx
    from onnx import helper, numpy_helper

    def info(name, array):
        elem = helper.np_dtype_to_tensor_dtype(array.dtype)
        return helper.make_tensor_value_info(name, elem, array.shape)

    graph = helper.make_graph(
        nodes, "test", [info(n, a) for n, a in feeds.items()],
        [helper.make_value_info(n, onnx.TypeProto()) for n in outputs],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {v.name: v.type for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    del model.graph.output[:]
    for name in outputs:
        model.graph.output.append(helper.make_value_info(name, types[name]))
    return model


def check(nodes, feeds, inits=None, outputs=("y",), opset=13, rtol=RTOL, atol=ATOL):
    """Build a model (:func:`make_model`), compile it and compare with ONNX Runtime."""
    if not isinstance(nodes, list | tuple):
        nodes = [nodes]
    model = make_model(list(nodes), feeds, inits, outputs, opset)
    return verify(model, feeds, rtol=rtol, atol=atol)
