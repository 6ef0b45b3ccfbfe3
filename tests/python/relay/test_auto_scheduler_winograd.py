"""Winograd NHWC convolutions for the auto-scheduler (upstream's x86 strategy).

When the compile engine lowers for the auto-scheduler, a float32 NHWC 3x3
stride-1 conv2d has two variants: Winograd (chosen by cost) and direct
convolution. Task extraction records both; ``relay.build`` under
``ApplyHistoryBest`` builds the one whose best record is faster (direct
convolution without records). Winograd's kernel transform is a pre-transform,
computed at build time for a constant weight and by a transform kernel for a
weight given at run time. Plain builds keep direct convolution. Outputs are
checked against NumPy.
"""
import json
import time

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, relay
from tvm.auto_scheduler.measure import MeasureInput, MeasureResult
from tvm.auto_scheduler.task_description import is_winograd
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


def _log_preferring(tmp_path, mod, params, winograd_cost, direct_cost):
    """A log with the baseline record of both extracted variants, at the given costs."""
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    assert sorted(map(is_winograd, tasks)) == [False, True] and weights == [1, 1]
    log = str(tmp_path / "variants.json")
    auto_scheduler.save_records(
        log, [MeasureInput(task, task.baseline_state) for task in tasks],
        [MeasureResult([winograd_cost if is_winograd(task) else direct_cost], 0, None, 0.1, time.time())
         for task in tasks])
    return log


def test_plain_build_keeps_direct_convolution():
    mod, params, x, _, expected = _model()
    conv, _ = _lower(mod, params, use_topi_schedule=True)
    assert conv.anchor_implementation == "conv2d_nhwc.x86"
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    np.testing.assert_allclose(_run(lib, {"data": x}), expected, rtol=1e-4, atol=1e-5)


def test_without_records_a_tuned_build_keeps_direct_convolution(tmp_path):
    mod, params, x, _, expected = _model()
    with auto_scheduler.ApplyHistoryBest(_empty_log(tmp_path)):
        conv, _ = _lower(mod, params, use_topi_schedule=False)
    assert conv.anchor_implementation == "conv2d_nhwc.x86" and conv.scheduled_by == "topi"


@pytest.mark.parametrize("winograd_faster", [True, False])
def test_the_variant_with_the_faster_record_is_built(tmp_path, winograd_faster):
    mod, params, x, _, expected = _model()
    log = _log_preferring(tmp_path, mod, params, *((1e-4, 2e-4) if winograd_faster else (2e-4, 1e-4)))
    with auto_scheduler.ApplyHistoryBest(log):
        conv, consts = _lower(mod, params, use_topi_schedule=False)
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target="llvm", params=params)
    assert conv.scheduled_by == "auto_scheduler"  # the logged TOPI state of the chosen variant
    np.testing.assert_allclose(_run(lib, {"data": x}), expected, rtol=1e-4, atol=1e-5)
    if not winograd_faster:
        assert conv.anchor_implementation == "conv2d_nhwc.x86"
        return
    assert conv.anchor_implementation == "conv2d_nhwc.winograd"
    # the kernel transform is done at build time: 8x8 output planes, 4x4 tiles,
    # (4 + 2)^2 points, output channels in blocks of 8
    transform = conv.input_transforms[1]
    assert transform.new_shape == (6, 6, CO // 8, CI, 8)
    assert [int(d) for d in conv.prim_func.params[1].shape] == list(transform.new_shape)
    # only the transformed kernel is kept among the constants
    shapes = sorted(tuple(v.shape) for v in consts.values())
    assert (6, 6, CO // 8, CI, 8) in shapes and (3, 3, CI, CO) not in shapes


def test_weight_given_at_run_time_gets_a_transform_kernel(tmp_path):
    mod, params, x, values, expected = _model(bind_weight=False)
    log = _log_preferring(tmp_path, mod, params, 1e-4, 2e-4)
    with auto_scheduler.ApplyHistoryBest(log):
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target="llvm", params=params)
    kernels = [n["attrs"]["func_name"] for n in json.loads(lib.graph_json)["nodes"]
               if n["op"] == "tvm_op"]
    assert any("transform" in k for k in kernels), kernels
    np.testing.assert_allclose(_run(lib, {"data": x, "weight": values["weight"]}), expected,
                               rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def extracted():
    mod, params, *_ = _model()
    return auto_scheduler.extract_tasks(mod["main"], params, "llvm")


def test_extraction_records_the_winograd_and_the_direct_dag(extracted):
    tasks, weights = extracted
    assert weights == [1, 1]
    (winograd,) = [t for t in tasks if is_winograd(t)]
    (direct,) = [t for t in tasks if not is_winograd(t)]
    assert "winograd_batch_gemm" in str(winograd.compute_dag)
    shapes = [tuple(int(d) for d in t.shape) for t in winograd.compute_dag.tensors]
    # the Winograd task reads the transformed kernel, not the HWIO weight
    assert (6, 6, CO // 8, CI, 8) in shapes and (3, 3, CI, CO) not in shapes
    assert (3, 3, CI, CO) in [tuple(int(d) for d in t.shape) for t in direct.compute_dag.tensors]
    # variants of the same function: the task scheduler counts the faster one
    assert winograd.variant_group is not None and winograd.variant_group == direct.variant_group
    # each has its own TOPI schedule as baseline: both replay on their DAG
    for task in tasks:
        assert task.baseline_state is not None
        task.compute_dag.apply_steps_from_state(task.baseline_state)
