"""The x86 AutoTVM templates: knobs reach the schedules, every config computes right."""
import numpy as np
import pytest

import tvm
from tvm import autotvm, te
from tvm.topi.x86 import tunable  # noqa: F401  (registers the templates)

TARGET = tvm.target.Target({"kind": "llvm", "mcpu": "haswell", "num-cores": 2})


def _conv_ref(data, kernel, stride, pad, layout):
    if layout == "NHWC":
        data = data.transpose(0, 3, 1, 2)
        kernel = kernel.transpose(3, 2, 0, 1)
    n, c, h, w = data.shape
    o, _, kh, kw = kernel.shape
    padded = np.pad(data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    out = np.zeros((n, o, oh, ow), "float32")
    for y in range(kh):
        for x in range(kw):
            patch = padded[:, :, y:y + stride * oh:stride, x:x + stride * ow:stride]
            out += np.einsum("nchw,oc->nohw", patch, kernel[:, :, y, x])
    return out.transpose(0, 2, 3, 1) if layout == "NHWC" else out


def _run(task, config, arrays):
    sch, args = task.instantiate(config)
    lib = tvm.compile(sch.mod, target=task.target).mod
    tensors = [tvm.runtime.tensor(a) for a in arrays]
    lib["main"](*tensors)
    assert len(args) == len(arrays)
    return tensors[-1].numpy(), sch


def _configs(task):
    space = task.config_space
    picks = {0, len(space) // 3, (2 * len(space)) // 3, len(space) - 1}
    return [space.get(i) for i in sorted(picks)] + [autotvm.FallbackConfigEntity()]


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_conv2d_templates(layout):
    rng = np.random.default_rng(0)
    if layout == "NCHW":
        data = te.placeholder((1, 4, 10, 10), name="data")
        kernel = te.placeholder((8, 4, 3, 3), name="kernel")
        d_np = rng.uniform(-1, 1, (1, 4, 10, 10)).astype("float32")
        k_np = rng.uniform(-1, 1, (8, 4, 3, 3)).astype("float32")
    else:
        data = te.placeholder((1, 10, 10, 4), name="data")
        kernel = te.placeholder((3, 3, 4, 8), name="kernel")
        d_np = rng.uniform(-1, 1, (1, 10, 10, 4)).astype("float32")
        k_np = rng.uniform(-1, 1, (3, 3, 4, 8)).astype("float32")
    name = f"conv2d_{layout.lower()}.x86"
    task = autotvm.task.create(name, args=(data, kernel, (2, 2), (1, 1), (1, 1), "float32"),
                               target=TARGET)
    assert task.flop == 2 * 8 * 5 * 5 * 4 * 9
    assert list(task.config_space.space_map) == ["tile_oc", "tile_oh", "tile_ow", "unroll_kw",
                                                 "inline_pad"]
    ref = _conv_ref(d_np, k_np, 2, 1, layout)
    out_shape = ref.shape
    mods = []
    for config in _configs(task):
        out, sch = _run(task, config, [d_np, k_np, np.zeros(out_shape, "float32")])
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
        mods.append(sch.mod)
    # different configs give different programs: the knobs reach the schedule
    assert not tvm.ir.structural_equal(mods[0], mods[-2])


@pytest.mark.parametrize("name", ["dense_pack.x86", "dense_nopack.x86"])
@pytest.mark.parametrize("m", [4, 32])
def test_dense_templates(name, m):
    rng = np.random.default_rng(1)
    data = te.placeholder((m, 64), name="data")
    weight = te.placeholder((48, 64), name="weight")
    task = autotvm.task.create(name, args=(data, weight, None, "float32"), target=TARGET)
    assert task.flop == 2 * m * 48 * 64
    x = rng.uniform(-1, 1, (m, 64)).astype("float32")
    w = rng.uniform(-1, 1, (48, 64)).astype("float32")
    mods = []
    for config in _configs(task):
        out, sch = _run(task, config, [x, w, np.zeros((m, 48), "float32")])
        np.testing.assert_allclose(out, x @ w.T, rtol=1e-4, atol=1e-4)
        mods.append(sch.mod)
    assert not tvm.ir.structural_equal(mods[0], mods[-2])


@pytest.mark.parametrize("transpose_b", [True, False])
def test_batch_matmul_template(transpose_b):
    rng = np.random.default_rng(2)
    a = te.placeholder((2, 8, 32), name="a")
    b_shape = (2, 24, 32) if transpose_b else (2, 32, 24)
    b = te.placeholder(b_shape, name="b")
    task = autotvm.task.create("batch_matmul.x86", args=(a, b, None, "float32", False, transpose_b),
                               target=TARGET)
    plans = [e.val for e in task.config_space.space_map["plan"].entities]
    assert plans == (["packed", "direct", "gemv"] if transpose_b else ["direct"])
    a_np = rng.uniform(-1, 1, (2, 8, 32)).astype("float32")
    b_np = rng.uniform(-1, 1, b_shape).astype("float32")
    ref = a_np @ (b_np.transpose(0, 2, 1) if transpose_b else b_np)
    space = task.config_space
    tile_k = [e.size[-1] for e in space.space_map["tile_k"].entities]
    configs = [space.get(space.knob2point([p, 1, 2, tile_k.index(8)])) for p in range(len(plans))]
    if transpose_b:  # gemv gives each of 8 lanes a slice of k: tile_k 2 is rejected
        bad = space.get(space.knob2point([2, 1, 2, tile_k.index(2)]))
        with pytest.raises(autotvm.task.space.InstantiationError, match="multiple of 8"):
            task.instantiate(bad)
    for config in configs + [autotvm.FallbackConfigEntity()]:
        out, _ = _run(task, config, [a_np, b_np, np.zeros((2, 8, 24), "float32")])
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
