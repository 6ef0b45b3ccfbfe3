"""The AutoTVM templates ``depthwise_conv2d_nchw.x86``, ``depthwise_conv2d_nhwc.x86`` and
``conv2d_transpose_nchw.x86``: configs of their spaces against NumPy, their extraction
from MobileNet (9 depthwise tasks, 21 in all with ``ops=(conv2d, dense)``, as TVM 0.8's
test_autotvm_task_extraction) and DCGAN (4 conv2d_transpose tasks), and a tuning run
whose log ``relay.build`` applies."""
import collections

import numpy as np
import pytest

import tvm
import tvm.relay.testing
from tvm import autotvm, relay, te
from tvm.topi.x86 import tunable  # noqa: F401  pylint: disable=unused-import (registers the templates)

TARGET = tvm.target.Target({"kind": "llvm", "mcpu": "core-avx2", "num-cores": 2})


def _pads4(padding):
    """(top, left, bottom, right) of an int, 2 or 4 values."""
    if isinstance(padding, int):
        return (padding,) * 4
    return tuple(padding) * 2 if len(padding) == 2 else tuple(padding)


def depthwise_ref(data, kernel, stride, padding, dilation=1):
    """NCHW data, ``(C, multiplier, KH, KW)`` kernel; output channel ``c * m + j``."""
    top, left, bottom, right = _pads4(padding)
    data = np.pad(data.astype("float64"), [(0, 0), (0, 0), (top, bottom), (left, right)])
    n, c, height, width = data.shape
    _, mult, kh, kw = kernel.shape
    oh = (height - dilation * (kh - 1) - 1) // stride + 1
    ow = (width - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, c, mult, oh, ow))
    for y in range(kh):
        for x in range(kw):
            patch = data[:, :, y * dilation:y * dilation + stride * oh:stride,
                         x * dilation:x * dilation + stride * ow:stride]
            out += patch[:, :, None] * kernel[None, :, :, y, x, None, None]
    return out.reshape(n, c * mult, oh, ow).astype("float32")


def conv2d_transpose_ref(data, kernel, stride, padding, output_padding=0):
    """NCHW data, ``(IC, OC, KH, KW)`` kernel: each input pixel scatters ``kernel * value``."""
    top, left, bottom, right = _pads4(padding)
    n, _, height, width = data.shape
    _, oc, kh, kw = kernel.shape
    full = np.zeros((n, oc, (height - 1) * stride + kh + output_padding,
                     (width - 1) * stride + kw + output_padding))
    for y in range(kh):
        for x in range(kw):
            full[:, :, y:y + stride * height:stride, x:x + stride * width:stride] += np.einsum(
                "nchw,co->nohw", data.astype("float64"), kernel[:, :, y, x])
    oh = (height - 1) * stride - top - bottom + kh + output_padding
    ow = (width - 1) * stride - left - right + kw + output_padding
    return full[:, :, top:top + oh, left:left + ow].astype("float32")


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(want).max())))


def _configs(space):
    """First, middle and last configs of a space, and a fallback config."""
    picks = sorted({0, len(space) // 2, len(space) - 1})
    return [space.get(i) for i in picks] + [autotvm.FallbackConfigEntity()]


def _check_task(task, arrays, want):
    """Every config of :func:`_configs` compiles and matches ``want``; returns their modules."""
    mods = []
    for config in _configs(task.config_space):
        sch, args = task.instantiate(config)
        assert len(args) == len(arrays) + 1
        lib = tvm.compile(sch.mod, target=TARGET)
        tensors = [tvm.runtime.tensor(a) for a in arrays] + [
            tvm.runtime.tensor(np.zeros(want.shape, "float32"))]
        lib["main"](*tensors)
        _close(tensors[-1].numpy(), want)
        mods.append(sch.mod)
    assert not tvm.ir.structural_equal(mods[0], mods[-2])  # the knobs reach the schedule
    return mods


# (batch, channels, height, width, multiplier, kernel, stride, padding)
DEPTHWISE_CASES = [
    (1, 8, 9, 11, 1, 3, 1, 1),               # odd sizes
    (2, 16, 12, 12, 1, 3, 2, (1, 1, 1, 1)),  # batch 2, stride 2
    (1, 5, 7, 13, 1, 5, 2, (2, 1, 1, 2)),    # odd channels, 5x5, asymmetric padding
    (1, 4, 6, 6, 2, 3, 1, 0),                # channel multiplier 2, no padding
]


@pytest.mark.parametrize("case", DEPTHWISE_CASES)
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_depthwise_templates(layout, case):
    n, c, height, width, mult, ksize, stride, padding = case
    rng = np.random.default_rng(0)
    data_np = rng.uniform(-1, 1, (n, c, height, width)).astype("float32")
    kernel_np = rng.uniform(-1, 1, (c, mult, ksize, ksize)).astype("float32")
    want = depthwise_ref(data_np, kernel_np, stride, padding)
    if layout == "NCHW":
        # Relay's OIHW weight (C * multiplier, 1, KH, KW): the same array
        kernel_in = kernel_np.reshape(c * mult, 1, ksize, ksize)
    else:
        data_np = data_np.transpose(0, 2, 3, 1)
        kernel_in = kernel_np.transpose(2, 3, 0, 1)  # HWOI
        want = want.transpose(0, 2, 3, 1)
    data = te.placeholder(data_np.shape, name="data")
    kernel = te.placeholder(kernel_in.shape, name="kernel")
    name = f"depthwise_conv2d_{layout.lower()}.x86"
    task = autotvm.task.create(name, args=(data, kernel, (stride, stride), padding, (1, 1), "float32"),
                               target=TARGET)
    out_hw = want.shape[2:] if layout == "NCHW" else want.shape[1:3]
    assert task.flop == 2 * n * c * mult * out_hw[0] * out_hw[1] * ksize * ksize
    knobs = ["tile_c", "tile_oh", "tile_ow", "unroll_kw"] + (["inline_pad"] if padding else [])
    assert list(task.config_space.space_map) == knobs
    _check_task(task, [data_np, kernel_in], want)


# (batch, in_ch, height, width, out_ch, kernel, stride, padding, output_padding)
TRANSPOSE_CASES = [
    (1, 8, 4, 4, 16, 4, 2, (1, 1, 1, 1), 0),   # DCGAN's layers
    (2, 5, 5, 7, 3, 3, 2, (1, 0, 1, 2), 1),    # batch 2, odd sizes, asymmetric, output padding
    (1, 4, 6, 5, 8, 3, 1, (1, 1, 1, 1), 0),    # stride 1
    (1, 6, 5, 5, 4, 1, 1, (0, 0, 0, 0), 0),    # 1x1: the pad stage pads nothing
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv2d_transpose_template(case):
    n, ic, height, width, oc, ksize, stride, padding, out_pad = case
    rng = np.random.default_rng(1)
    data_np = rng.uniform(-1, 1, (n, ic, height, width)).astype("float32")
    kernel_np = rng.uniform(-1, 1, (ic, oc, ksize, ksize)).astype("float32")
    want = conv2d_transpose_ref(data_np, kernel_np, stride, padding, out_pad)
    data = te.placeholder(data_np.shape, name="data")
    kernel = te.placeholder(kernel_np.shape, name="kernel")
    task = autotvm.task.create("conv2d_transpose_nchw.x86",
                               args=(data, kernel, (stride, stride), padding, "float32",
                                     (out_pad, out_pad)), target=TARGET)
    assert task.flop == 2 * n * oc * want.shape[2] * want.shape[3] * ic * ksize * ksize
    pads = stride > 1 or ksize > 1
    knobs = ["tile_oc", "tile_ow", "unroll_kw"] + (["inline_pad"] if pads else [])
    assert list(task.config_space.space_map) == knobs
    _check_task(task, [data_np, kernel_np], want)


def test_template_rejects_bad_rank():
    with pytest.raises(ValueError, match="must be 4-d"):
        autotvm.task.create("depthwise_conv2d_nchw.x86",
                            args=(te.placeholder((1, 3, 8)), te.placeholder((3, 1, 3, 3)), 1, 1, 1,
                                  "float32"), target=TARGET)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_mobilenet_extraction(layout):
    image_shape = (3, 224, 224) if layout == "NCHW" else (224, 224, 3)
    mod, params = relay.testing.mobilenet.get_workload(batch_size=1, layout=layout,
                                                       image_shape=image_shape)
    ops = (relay.op.get("nn.conv2d"), relay.op.get("nn.dense"))
    tasks = autotvm.task.extract_from_program(mod, target="llvm", params=params, ops=ops)
    counts = collections.Counter(t.name for t in tasks)
    lay = layout.lower()
    assert counts == {f"conv2d_{lay}.x86": 10, f"depthwise_conv2d_{lay}.x86": 9,
                      "dense_nopack.x86": 1, "dense_pack.x86": 1}
    depthwise = [t for t in tasks if t.name.startswith("depthwise")]
    # the second depthwise layer: 64 channels at 112x112, stride 2, padding 1
    kernel_shape = (64, 1, 3, 3) if layout == "NCHW" else (3, 3, 64, 1)
    assert depthwise[1].args[1] == ("TENSOR", kernel_shape, "float32")
    assert depthwise[1].args[2:] == ((2, 2), (1, 1, 1, 1), (1, 1), "float32")


def test_dcgan_extraction():
    mod, params = relay.testing.dcgan.get_workload(batch_size=1)
    tasks = autotvm.task.extract_from_program(mod, target="llvm", params=params,
                                              ops=(relay.op.get("nn.conv2d_transpose"),))
    assert [t.name for t in tasks] == ["conv2d_transpose_nchw.x86"] * 4
    assert [t.args[1][1] for t in tasks] == [(1024, 512, 4, 4), (512, 256, 4, 4), (256, 128, 4, 4),
                                             (128, 3, 4, 4)]
    assert all(t.args[2:] == ((2, 2), (1, 1, 1, 1), "float32", (0, 0)) for t in tasks)


def _small_net():
    """Depthwise 3x3 with multiplier 2 (8 -> 16 channels), ReLU, conv2d_transpose 16 -> 4."""
    data = relay.var("data", shape=(1, 8, 9, 9))
    w1 = relay.var("w1", shape=(16, 1, 3, 3))
    w2 = relay.var("w2", shape=(16, 4, 4, 4))
    y = relay.nn.relu(relay.nn.conv2d(data, w1, padding=(1, 1), groups=8, channels=16,
                                      kernel_size=(3, 3)))
    y = relay.nn.conv2d_transpose(y, w2, strides=(2, 2), padding=(1, 1), channels=4,
                                  kernel_size=(4, 4))
    rng = np.random.default_rng(2)
    params = {"w1": rng.uniform(-1, 1, (16, 1, 3, 3)).astype("float32"),
              "w2": rng.uniform(-1, 1, (16, 4, 4, 4)).astype("float32")}
    return tvm.IRModule.from_expr(relay.Function([data, w1, w2], y)), params


def _run_graph(lib, data_np):
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data_np)
    module.run()
    return module.get_output(0).numpy()


def test_tuning_log_applies_in_relay_build(tmp_path):
    mod, params = _small_net()
    tasks = autotvm.task.extract_from_program(mod["main"], target="llvm", params=params)
    assert [t.name for t in tasks] == ["depthwise_conv2d_nchw.x86", "conv2d_transpose_nchw.x86"]
    log = str(tmp_path / "templates.log")
    option = autotvm.measure_option(builder=autotvm.LocalBuilder(n_parallel=1),
                                    runner=autotvm.LocalRunner(number=2, repeat=1, min_repeat_ms=1))
    for task in tasks:
        tuner = autotvm.tuner.RandomTuner(task)
        tuner.tune(n_trial=3, measure_option=option, callbacks=[autotvm.callback.log_to_file(log)])
    records = list(autotvm.record.load_from_file(log))
    assert len(records) == 6 and all(res.error_no == 0 for _, res in records)

    rng = np.random.default_rng(3)
    data_np = rng.uniform(-1, 1, (1, 8, 9, 9)).astype("float32")
    hidden = np.maximum(depthwise_ref(data_np, params["w1"].reshape(8, 2, 3, 3), 1, 1), 0)
    want = conv2d_transpose_ref(hidden, params["w2"], 2, 1)
    with autotvm.apply_history_best(log) as ctx:
        for task in tasks:
            assert not ctx.query(task.target, task.workload).is_fallback
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target="llvm", params=params)
    _close(_run_graph(lib, data_np), want)
    # without AutoTVM: the strategies' plain computes and fallback schedules
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    _close(_run_graph(lib, data_np), want)
