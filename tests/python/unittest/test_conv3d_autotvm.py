"""conv3d on x86: the schedules' knobs against NumPy, the AutoTVM templates
``conv3d_ncdhw.x86`` / ``conv3d_ndhwc.x86``, their extraction from ResNet3D-18 (12
tasks, as TVM 0.8's test_autotvm_task_extraction) and a tuning run applied by
``relay.build``."""
import numpy as np
import pytest

import tvm
import tvm.relay.testing
from tvm import autotvm, relay, te, topi
from tvm.topi import x86
from tvm.topi.x86 import tunable


def _triple(value):
    return (value,) * 3 if isinstance(value, int) else tuple(value)


def conv3d_ref(data, kernel, stride, padding, dilation=1):
    """NCDHW data, OIDHW kernel; ``padding`` an int, 3 or 6 values (front, top, left, back...)."""
    stride, dilation = _triple(stride), _triple(dilation)
    pads = _triple(padding) * 2 if isinstance(padding, int) or len(padding) == 3 else tuple(padding)
    data = np.pad(data, [(0, 0), (0, 0)] + [(pads[i], pads[i + 3]) for i in range(3)])
    out_ch, _, *ksize = kernel.shape
    osize = [(data.shape[2 + i] - dilation[i] * (ksize[i] - 1) - 1) // stride[i] + 1 for i in range(3)]
    out = np.zeros((data.shape[0], out_ch, *osize), "float64")
    for z in range(ksize[0]):
        for y in range(ksize[1]):
            for x in range(ksize[2]):
                patch = data[:, :,
                             z * dilation[0]:z * dilation[0] + stride[0] * osize[0]:stride[0],
                             y * dilation[1]:y * dilation[1] + stride[1] * osize[1]:stride[1],
                             x * dilation[2]:x * dilation[2] + stride[2] * osize[2]:stride[2]]
                out += np.einsum("ncdhw,oc->nodhw", patch, kernel[:, :, z, y, x])
    return out.astype("float32")


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(want).max())))


# (batch, in_ch, depth, size, out_ch, kernel, stride, padding)
CASES = [
    (2, 16, 5, 9, 16, 3, 1, 1),                          # batch 2, odd size, channel lanes
    (1, 3, 7, 13, 8, (3, 5, 5), (1, 2, 2), (1, 2, 2)),   # stem-like, odd, stride 2 in h/w
    (1, 16, 4, 7, 32, 1, 2, 0),                          # 1x1x1 stride 2
    (2, 5, 3, 6, 7, 2, (1, 2, 1), (0, 1, 1, 1, 0, 1)),   # odd channels, asymmetric padding
    (1, 32, 3, 5, 48, 3, 2, 1),                          # 48 channels, stride 2
]

NCDHW_KNOBS = [
    None,
    {"vector": "oc", "tile_oc": 8, "tile_oh": 2, "tile_ow": 3, "unroll_kw": False, "inline_pad": True},
    {"vector": "ow", "tile_oc": 4, "tile_oh": 1, "tile_ow": 4, "unroll_kw": True},
]
NDHWC_KNOBS = [
    None,
    {"pack_kernel": False, "reduce_order": "cdhw", "tile_oc": 8, "tile_ow": 2},
    {"pack_kernel": True, "reduce_order": "dhwc", "tile_oc": 4, "tile_oh": 2, "tile_ow": 3,
     "inline_pad": True, "unroll_kw": False},
]


def _run(inputs, outs, fschedule, cfg, arrays, target):
    sch = tvm.s_tir.Schedule(te.create_prim_func(list(inputs) + list(outs)))
    with target:
        fschedule(sch, outs, cfg=cfg)
    lib = tvm.compile(sch.mod, target)
    out = tvm.runtime.empty([int(s) for s in outs[0].shape], "float32", tvm.cpu())
    lib["main"](*[tvm.runtime.tensor(a) for a in arrays], out)
    return out.numpy(), sch


@pytest.mark.parametrize("case", CASES)
def test_schedules_against_numpy(case, isa_target):
    n, c, depth, size, k, ksize, stride, pad = case
    ksize = _triple(ksize)
    rng = np.random.default_rng(0)
    data_np = rng.uniform(-1, 1, (n, c, depth, size, size + 1)).astype("float32")
    kernel_np = rng.uniform(-1, 1, (k, c, *ksize)).astype("float32")
    bias_np = rng.uniform(-1, 1, (k,)).astype("float32")
    want = conv3d_ref(data_np, kernel_np, stride, pad)
    fused = np.maximum(want + bias_np.reshape(1, k, 1, 1, 1), 0)

    data = te.placeholder(data_np.shape, name="data")
    kernel = te.placeholder(kernel_np.shape, name="kernel")
    bias = te.placeholder((k,), name="bias")
    conv = topi.nn.conv3d_ncdhw(data, kernel, stride, pad, 1, 1)
    out = topi.nn.relu(conv + topi.reshape(bias, (1, k, 1, 1, 1)))  # fused epilogue
    for knobs in NCDHW_KNOBS:
        got, _ = _run([data, kernel, bias], [out], x86.schedule_conv3d_ncdhw, knobs,
                      [data_np, kernel_np, bias_np], isa_target)
        _close(got, fused)

    data_h = te.placeholder(data_np.transpose(0, 2, 3, 4, 1).shape, name="data")
    kernel_h = te.placeholder(kernel_np.transpose(2, 3, 4, 1, 0).shape, name="kernel")
    conv_h = topi.nn.conv3d_ndhwc(data_h, kernel_h, stride, pad, 1, 1)
    for knobs in NDHWC_KNOBS:
        got, _ = _run([data_h, kernel_h], [conv_h], x86.schedule_conv3d_ndhwc, knobs,
                      [data_np.transpose(0, 2, 3, 4, 1), kernel_np.transpose(2, 3, 4, 1, 0)],
                      isa_target)
        _close(got, want.transpose(0, 2, 3, 4, 1))


def test_fallback_is_target_aware():
    data = te.placeholder((1, 64, 4, 14, 14), name="data")
    kernel = te.placeholder((64, 64, 3, 3, 3), name="kernel")
    op = topi.nn.conv3d_ncdhw(data, kernel, 1, 1, 1, 1).op
    stem = topi.nn.conv3d_ncdhw(te.placeholder((1, 3, 4, 14, 14)), te.placeholder((64, 3, 3, 3, 3)),
                                1, 1, 1, 1).op
    from tvm.topi.generic.cpu_features import cpu_features  # pylint: disable=import-outside-toplevel

    for mcpu, lanes in (("core-avx2", 8), ("skylake-avx512", 16)):
        cpu = cpu_features(tvm.target.Target({"kind": "llvm", "mcpu": mcpu}))
        cfg = x86.fallback_conv3d_ncdhw_config(op, cpu)
        assert cfg["vector"] == "oc" and cfg["tile_oc"] % lanes == 0
        # accumulators fit the registers: (tile_oc / lanes) vectors x tile_ow
        assert cfg["tile_oc"] // lanes * cfg["tile_ow"] <= cpu.accumulators
        assert x86.fallback_conv3d_ncdhw_config(stem, cpu)["vector"] == "ow"  # 3 input channels
    with pytest.raises(ValueError, match="'vector' must be 'ow' or 'oc'"):
        sch = tvm.s_tir.Schedule(te.create_prim_func([data, kernel, op.output(0)]))
        x86.schedule_conv3d_ncdhw(sch, [op.output(0)], cfg={"vector": "od"})


TARGET = tvm.target.Target({"kind": "llvm", "mcpu": "core-avx2", "num-cores": 2})


@pytest.mark.parametrize("layout", ["NCDHW", "NDHWC"])
def test_templates(layout):
    rng = np.random.default_rng(1)
    data_np = rng.uniform(-1, 1, (1, 8, 5, 7, 9)).astype("float32")
    kernel_np = rng.uniform(-1, 1, (16, 8, 3, 3, 3)).astype("float32")
    want = conv3d_ref(data_np, kernel_np, (1, 2, 2), 1)
    if layout == "NDHWC":
        data_np, kernel_np = data_np.transpose(0, 2, 3, 4, 1), kernel_np.transpose(2, 3, 4, 1, 0)
        want = want.transpose(0, 2, 3, 4, 1)
    data = te.placeholder(data_np.shape, name="data")
    kernel = te.placeholder(kernel_np.shape, name="kernel")
    name = f"conv3d_{layout.lower()}.x86"
    task = autotvm.task.create(name, args=(data, kernel, (1, 2, 2), (1, 1, 1, 1, 1, 1), (1, 1, 1),
                                           "float32"), target=TARGET)
    assert task.flop == 2 * 16 * 5 * 4 * 5 * 8 * 27
    knobs = ["vector"] if layout == "NCDHW" else ["pack_kernel", "reduce_order"]
    assert list(task.config_space.space_map) == knobs + ["tile_oc", "tile_oh", "tile_ow", "unroll_kw",
                                                         "inline_pad"]
    space = task.config_space
    configs = [space.get(i) for i in sorted({0, len(space) // 3, 2 * len(space) // 3, len(space) - 1})]
    mods = []
    for config in configs + [autotvm.FallbackConfigEntity()]:
        sch, args = task.instantiate(config)
        lib = tvm.compile(sch.mod, target=TARGET)
        tensors = [tvm.runtime.tensor(a) for a in (data_np, kernel_np, np.zeros(want.shape, "float32"))]
        assert len(args) == 3
        lib["main"](*tensors)
        _close(tensors[-1].numpy(), want)
        mods.append(sch.mod)
    assert not tvm.ir.structural_equal(mods[0], mods[-2])  # the knobs reach the schedule


def test_template_rejects_bad_rank():
    with pytest.raises(ValueError, match="must be 5-d"):
        tunable.conv3d_ncdhw(te.placeholder((1, 3, 8, 8)), te.placeholder((4, 3, 3, 3)), 1, 1, 1, "float32")


@pytest.mark.parametrize("layout", ["NCDHW", "NDHWC"])
def test_resnet3d_extraction(layout):
    image_shape = (3, 16, 112, 112) if layout == "NCDHW" else (16, 112, 112, 3)
    mod, params = relay.testing.resnet_3d.get_workload(num_layers=18, batch_size=1, layout=layout,
                                                       image_shape=image_shape)
    conv3d = relay.op.get("nn.conv3d")
    tasks = autotvm.task.extract_from_program(mod, target="llvm", params=params, ops=(conv3d,))
    assert len(tasks) == 12  # TVM 0.8's test_autotvm_task_extraction
    assert {t.name for t in tasks} == {f"conv3d_{layout.lower()}.x86"}
    # the stem: 3 input channels, kernel 3x7x7, stride (1, 2, 2)
    stem = tasks[0].args
    assert stem[2:] == ((1, 2, 2), (1, 3, 3, 1, 3, 3), (1, 1, 1), "float32")
    dense = relay.op.get("nn.dense")
    assert autotvm.task.extract_from_program(mod, target="llvm", params=params, ops=(dense,))


def _small_net():
    data = relay.var("data", shape=(1, 8, 4, 9, 9))
    w1 = relay.var("w1", shape=(16, 8, 3, 3, 3))
    w2 = relay.var("w2", shape=(8, 16, 1, 1, 1))
    y = relay.nn.relu(relay.nn.conv3d(data, w1, padding=(1, 1, 1), channels=16, kernel_size=(3, 3, 3)))
    y = relay.nn.conv3d(y, w2, strides=(1, 2, 2), channels=8, kernel_size=(1, 1, 1))
    rng = np.random.default_rng(2)
    params = {"w1": rng.uniform(-1, 1, (16, 8, 3, 3, 3)).astype("float32"),
              "w2": rng.uniform(-1, 1, (8, 16, 1, 1, 1)).astype("float32")}
    return tvm.IRModule.from_expr(relay.Function([data, w1, w2], y)), params


def test_tuning_log_applies_in_relay_build(tmp_path):
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

    mod, params = _small_net()
    tasks = autotvm.task.extract_from_program(mod["main"], target="llvm", params=params)
    assert [t.name for t in tasks] == ["conv3d_ncdhw.x86"] * 2
    log = str(tmp_path / "conv3d.log")
    option = autotvm.measure_option(builder=autotvm.LocalBuilder(n_parallel=1),
                                    runner=autotvm.LocalRunner(number=2, repeat=1, min_repeat_ms=1))
    for task in tasks:
        tuner = autotvm.tuner.RandomTuner(task)
        tuner.tune(n_trial=3, measure_option=option, callbacks=[autotvm.callback.log_to_file(log)])
    records = list(autotvm.record.load_from_file(log))
    assert len(records) == 6 and all(res.error_no == 0 for _, res in records)

    rng = np.random.default_rng(3)
    data_np = rng.uniform(-1, 1, (1, 8, 4, 9, 9)).astype("float32")
    want = conv3d_ref(np.maximum(conv3d_ref(data_np, params["w1"], 1, 1), 0), params["w2"], (1, 2, 2), 0)
    with autotvm.apply_history_best(log) as ctx:
        for task in tasks:
            assert not ctx.query(task.target, task.workload).is_fallback
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data_np)
    module.run()
    _close(module.get_output(0).numpy(), want)
