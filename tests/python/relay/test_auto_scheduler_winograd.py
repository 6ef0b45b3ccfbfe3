"""Winograd NHWC convolutions for the auto-scheduler (upstream's x86 strategy).

When the compile engine lowers for the auto-scheduler (task extraction, or
``relay.build`` under ``ApplyHistoryBest``), a float32 NHWC 3x3 stride-1
conv2d gets the Winograd implementation; its kernel transform is a
pre-transform, computed at build time for a constant weight and by a
transform kernel for a weight given at run time. Plain builds keep direct
convolution. Outputs are checked against NumPy.
"""
import json
import time

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, relay
from tvm.auto_scheduler.measure import MeasureInput, MeasureResult
from tvm.contrib import graph_executor
from tvm.relay import build_module
from tvm.relay.backend.compile_engine import CompileEngine
from tvm.topi import testing as ref
from tvm.topi.generic.input_transform import PreTransform

SHAPE, CI, CO = (1, 8, 8, 8), 8, 16


def _model(bind_weight=True):
    data = relay.var("data", shape=SHAPE)
    weight = relay.var("weight", shape=(3, 3, CI, CO))
    bias = relay.var("bias", shape=(CO,))
    conv = relay.nn.conv2d(data, weight, padding=(1, 1), channels=CO, kernel_size=(3, 3),
                           data_layout="NHWC", kernel_layout="HWIO")
    out = relay.nn.relu(relay.nn.bias_add(conv, bias, axis=3))
    mod = tvm.IRModule.from_expr(relay.Function([data, weight, bias], out))
    rng = np.random.default_rng(0)
    values = {
        "weight": (rng.uniform(-1, 1, (3, 3, CI, CO)) / np.sqrt(9 * CI)).astype("float32"),
        "bias": rng.uniform(-1, 1, CO).astype("float32"),
    }
    x = rng.uniform(-1, 1, SHAPE).astype("float32")
    expected = np.maximum(ref.conv2d_nhwc_python(x.astype("float64"), values["weight"].astype("float64"), 1, 1)
                          + values["bias"], 0)
    params = values if bind_weight else {"bias": values["bias"]}
    return mod, params, x, values, expected


def _lower(mod, params, use_topi_schedule):
    engine = CompileEngine()
    with tvm.transform.PassContext(opt_level=3):
        _, _, consts = build_module.BuildModule(engine)._build(  # pylint: disable=protected-access
            mod, "llvm", None, params, use_topi_schedule=use_topi_schedule)
    (conv,) = [v.cached_func for _, v in engine.items() if v.cached_func.anchor_op == "nn.conv2d"]
    return conv, consts


def _run(lib, inputs):
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return module.get_output(0).numpy()


def _empty_log(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("")
    return str(path)


def test_plain_build_keeps_direct_convolution():
    mod, params, x, _, expected = _model()
    conv, _ = _lower(mod, params, use_topi_schedule=True)
    assert conv.anchor_implementation == "conv2d_nhwc.x86"
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    np.testing.assert_allclose(_run(lib, {"data": x}), expected, rtol=1e-4, atol=1e-5)


def test_tuned_build_uses_winograd_with_the_kernel_transformed_at_build_time(tmp_path):
    mod, params, x, _, expected = _model()
    with auto_scheduler.ApplyHistoryBest(_empty_log(tmp_path)):
        conv, consts = _lower(mod, params, use_topi_schedule=False)
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target="llvm", params=params)
    assert conv.anchor_implementation == "conv2d_nhwc.winograd"
    assert conv.scheduled_by == "topi"  # not in the log: the Winograd TOPI schedule
    (index, transform), = conv.input_transforms.items()
    # 8x8 output planes: 4x4 tiles, (4 + 2)^2 points, output channels in blocks of 8
    assert transform.new_shape == (6, 6, CO // 8, CI, 8)
    assert [int(d) for d in conv.prim_func.params[index].shape] == list(transform.new_shape)
    # only the transformed kernel is kept among the constants
    shapes = sorted(tuple(v.shape) for v in consts.values())
    assert (6, 6, CO // 8, CI, 8) in shapes and (3, 3, CI, CO) not in shapes
    np.testing.assert_allclose(_run(lib, {"data": x}), expected, rtol=1e-4, atol=1e-5)


def test_weight_given_at_run_time_gets_a_transform_kernel(tmp_path):
    mod, params, x, values, expected = _model(bind_weight=False)
    with auto_scheduler.ApplyHistoryBest(_empty_log(tmp_path)):
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target="llvm", params=params)
    kernels = [n["attrs"]["func_name"] for n in json.loads(lib.graph_json)["nodes"]
               if n["op"] == "tvm_op"]
    assert any("transform" in k for k in kernels), kernels
    np.testing.assert_allclose(_run(lib, {"data": x, "weight": values["weight"]}), expected,
                               rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def winograd_task():
    mod, params, *_ = _model()
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    assert weights == [1]
    return tasks[0]


def test_extraction_records_the_winograd_dag(winograd_task):
    dag = winograd_task.compute_dag
    assert "winograd_batch_gemm" in str(dag)
    shapes = [tuple(int(d) for d in t.shape) for t in dag.tensors]
    # the task reads the transformed kernel, not the HWIO weight
    assert (6, 6, CO // 8, CI, 8) in shapes and (3, 3, CI, CO) not in shapes
    assert winograd_task.baseline_state is not None


def test_tuned_winograd_state_is_applied(winograd_task, tmp_path):
    """A record of the Winograd task (its TOPI schedule's trace) is applied by relay.build."""
    mod, params, x, _, expected = _model()
    log = str(tmp_path / "winograd.json")
    auto_scheduler.save_records(log, [MeasureInput(winograd_task, winograd_task.baseline_state)],
                                [MeasureResult([1e-4], 0, None, 0.1, time.time())])
    with auto_scheduler.ApplyHistoryBest(log):
        conv, _ = _lower(mod, params, use_topi_schedule=False)
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target="llvm", params=params)
    assert conv.scheduled_by == "auto_scheduler"
    assert conv.anchor_implementation == "conv2d_nhwc.winograd"
    assert list(conv.input_transforms) == [1]
    np.testing.assert_allclose(_run(lib, {"data": x}), expected, rtol=1e-4, atol=1e-5)


def test_strided_convolution_stays_direct(tmp_path):
    data = relay.var("data", shape=(1, 8, 8, 8))
    weight = relay.var("weight", shape=(3, 3, 8, 8))
    conv = relay.nn.conv2d(data, weight, strides=(2, 2), padding=(1, 1), channels=8, kernel_size=(3, 3),
                           data_layout="NHWC", kernel_layout="HWIO")
    mod = tvm.IRModule.from_expr(relay.Function([data, weight], conv))
    params = {"weight": np.ones((3, 3, 8, 8), "float32")}
    with auto_scheduler.ApplyHistoryBest(_empty_log(tmp_path)):
        found, _ = _lower(mod, params, use_topi_schedule=False)
    assert found.anchor_implementation == "conv2d_nhwc.x86"
    # the direct schedule may block the weight, but nothing is Winograd-transformed
    assert not any(isinstance(t, PreTransform) for t in found.input_transforms.values())
