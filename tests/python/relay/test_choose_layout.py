"""relay.build's own layout choice (ChooseLayout): NCHW models get NHWC convolutions on
x86, converted once at the model's boundary, the same graph for task extraction and
for the build."""
import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, relay
from tvm.contrib import graph_executor
from tvm.relay.transform._utils import post_order
from tvm.relay.transform.choose_layout import preferred_conv2d_layout

from test_pass_convert_layout import _onnx_resnet  # the ONNX ResNet-like model of those tests

SHAPE = (1, 3, 16, 16)


def _calls(mod, name):
    """Calls of op ``name`` anywhere in the module (inside fused functions too)."""
    found = []
    for _, func in mod.functions_items():
        for node in post_order(func.body):
            if isinstance(node, relay.Call) and isinstance(node.op, relay.Function):
                found += [n for n in post_order(node.op.body)
                          if isinstance(n, relay.Call) and getattr(n.op, "name", None) == name]
            elif isinstance(node, relay.Call) and getattr(node.op, "name", None) == name:
                found.append(node)
    return found


@pytest.fixture(scope="module")
def model():
    onnx_model = _onnx_resnet()
    mod, params = relay.frontend.from_onnx(onnx_model, {"input": SHAPE})
    return onnx_model, mod, params


def test_build_converts_onnx_model_once_and_matches_onnxruntime(model):
    ort = pytest.importorskip("onnxruntime")
    onnx_model, mod, params = model
    with tvm.transform.PassContext(opt_level=3):
        optimized, _ = relay.optimize(mod, target="llvm", params=params)
        lib = relay.build(mod, target="llvm", params=params)
    convs = _calls(optimized, "nn.conv2d")
    assert len(convs) == 6 and {c.attrs.data_layout for c in convs} == {"NHWC"}
    assert {c.attrs.kernel_layout for c in convs} == {"HWIO"}
    # activations change layout at the input and before Flatten, nowhere else;
    # the kernels' transforms were folded into constants
    transforms = _calls(optimized, "layout_transform")
    assert sorted((t.attrs.src_layout, t.attrs.dst_layout) for t in transforms) == [
        ("NCHW", "NHWC"), ("NHWC", "NCHW")]

    data = np.random.default_rng(3).uniform(-1, 1, SHAPE).astype("float32")
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {"input": data})
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("input", data)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("context", [{"opt_level": 2}, {"opt_level": 3, "disabled_pass": ["ChooseLayout"]}])
def test_below_opt_level_3_or_disabled_the_layout_is_kept(model, context):
    _, mod, params = model
    with tvm.transform.PassContext(**context):
        optimized, _ = relay.optimize(mod, target="llvm", params=params)
    assert {c.attrs.data_layout for c in _calls(optimized, "nn.conv2d")} == {"NCHW"}
    assert not _calls(optimized, "layout_transform")


def test_preferred_layout_follows_the_target():
    assert preferred_conv2d_layout(tvm.target.Target("llvm")) == "NHWC"
    assert preferred_conv2d_layout(tvm.target.Target({"kind": "llvm", "mcpu": "core-avx2"})) == "NHWC"
    arm = tvm.target.Target({"kind": "llvm", "mtriple": "aarch64-linux-gnu"})
    assert preferred_conv2d_layout(arm) is None
    assert preferred_conv2d_layout(None) is None


def test_extracted_tasks_are_the_converted_graph(model):
    """Task extraction runs the build's pipeline: the convolution tasks are NHWC
    (so Winograd and the layout rewrite apply to an NCHW model too)."""
    _, mod, params = model
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    conv_tasks = [t for t in tasks if "conv2d" in t.desc]
    assert conv_tasks and sum(weights) >= 6
    shapes = {tuple(int(d) for d in t.shape) for task in conv_tasks for t in task.compute_dag.tensors}
    assert (1, 16, 16, 3) in shapes and (1, 3, 16, 16) not in shapes  # the stem's input, channels last


def test_autotvm_keeps_the_model_layout(model):
    """AutoTVM's records name the workload's layout: its tasks (and builds under its
    records) keep the model's NCHW convolutions."""
    from tvm import autotvm

    _, mod, params = model
    tasks = autotvm.task.extract_from_program(mod, params, "llvm", ops=[relay.op.get("nn.conv2d")])
    assert tasks and {t.name for t in tasks} == {"conv2d_nchw.x86"}
    assert ("TENSOR", SHAPE[:1] + (3, 16, 16), "float32") in [t.args[0] for t in tasks]
