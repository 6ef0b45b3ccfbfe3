"""x86 int8 conv2d with the u8 x s8 -> s32 dot-product intrinsics (topi.x86.conv2d_int8).

Outputs are checked against NumPy for TVM 0.8's channel sweep (odd and
non-divisible counts), batch 2 and stride 2, uint8 and int8 data, built through
relay.build on the host target and on core-avx2 (code a CPU cannot run is
skipped with the reason); the assembly test compiles for nehalem, core-avx2,
skylake-avx512 and cascadelake and checks the instruction names (compiling
needs no such CPU).
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.topi.generic.cpu_features import host_cpu_flags

CHANNELS = [(1, 16), (4, 16), (6, 16), (8, 4), (8, 16), (8, 20), (17, 29)]


def _reference(data, kernel, stride, pad):
    top, left, bottom, right = pad
    padded = np.pad(data.astype(np.int64), ((0, 0), (0, 0), (top, bottom), (left, right)))
    out_c, _, k_h, k_w = kernel.shape
    out_h = (padded.shape[2] - k_h) // stride + 1
    out_w = (padded.shape[3] - k_w) // stride + 1
    out = np.zeros((data.shape[0], out_c, out_h, out_w), np.int64)
    for i in range(k_h):
        for j in range(k_w):
            patch = padded[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
            out += np.einsum("nchw,oc->nohw", patch, kernel[:, :, i, j].astype(np.int64))
    return out.astype(np.int32)


def _runnable(target):
    needed = {"core-avx2": {"avx2"}, "skylake-avx512": {"avx512bw"},
              "cascadelake": {"avx512bw", "avx512_vnni"}}
    mcpu = str(tvm.target.Target(target).attrs.get("mcpu", "") or "")
    missing = needed.get(mcpu, set()) - host_cpu_flags()
    if missing:
        pytest.skip(f"this CPU lacks {sorted(missing)} for {target}")


def _build(data_shape, data_dtype, kernel, stride, pad, target):
    x = relay.var("x", relay.TensorType(data_shape, data_dtype))
    w = relay.var("weight", relay.TensorType(kernel.shape, "int8"))
    y = relay.nn.conv2d(x, w, strides=(stride, stride), kernel_size=kernel.shape[2:],
                        channels=kernel.shape[0], padding=pad, out_dtype="int32")
    mod = tvm.IRModule.from_expr(relay.Function([x, w], y))
    with tvm.transform.PassContext(opt_level=3):
        return relay.build(mod, target, params={"weight": tvm.nd.array(kernel)})


@pytest.mark.parametrize("target", ["llvm", "llvm -mcpu=core-avx2", "llvm -mcpu=skylake-avx512",
                                    "llvm -mcpu=nehalem"])
@pytest.mark.parametrize("data_dtype", ["uint8", "int8"])
@pytest.mark.parametrize("channels", CHANNELS)
def test_conv2d_int8_matches_numpy(channels, data_dtype, target):
    _runnable(target)
    in_c, out_c = channels
    stride, batch = (2, 2) if in_c in (6, 17) else (1, 1)
    pad = (0, 0, 0, 1) if stride == 1 else (1, 1, 1, 1)
    rng = np.random.default_rng(in_c * 100 + out_c)
    low, high = (0, 256) if data_dtype == "uint8" else (-128, 128)
    data = rng.integers(low, high, size=(batch, in_c, 20, 21)).astype(data_dtype)
    # the whole int8 range, extremes included: pmaddubsw's saturating int16 pair
    # sums would be wrong for them without the split of the weights
    kernel = rng.integers(-128, 128, size=(out_c, in_c, 3, 3)).astype("int8")
    kernel.flat[:4] = [-128, 127, -128, 127]
    data.flat[:4] = 255 if data_dtype == "uint8" else 127
    lib = _build(data.shape, data_dtype, kernel, stride, pad, target)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("x", data)
    module.run()
    np.testing.assert_array_equal(module.get_output(0).numpy(),
                                  _reference(data, kernel, stride, pad))


@pytest.mark.parametrize("target,instruction", [
    ("llvm -mcpu=nehalem", "pmaddubsw"),
    ("llvm -mcpu=core-avx2", "vpmaddubsw"),
    ("llvm -mcpu=skylake-avx512", "vpmaddubsw"),
    ("llvm -mcpu=cascadelake", "vpdpbusd"),
])
def test_conv2d_int8_assembly(target, instruction):
    kernel = np.ones((29, 17, 3, 3), "int8")
    for data_dtype, expected in (("uint8", True), ("int8", True)):
        lib = _build((1, 17, 16, 16), data_dtype, kernel, 1, (0, 0, 0, 1), target)
        assert (instruction in lib.get_lib().get_source("asm")) == expected, (data_dtype, target)
    # uint8 x uint8 has no such instruction: the plain convolution
    x = relay.var("x", relay.TensorType((1, 17, 16, 16), "uint8"))
    w = relay.var("weight", relay.TensorType((29, 17, 3, 3), "uint8"))
    y = relay.nn.conv2d(x, w, kernel_size=(3, 3), channels=29, out_dtype="int32")
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(tvm.IRModule.from_expr(relay.Function([x, w], y)), target,
                          params={"weight": tvm.nd.array(np.ones((29, 17, 3, 3), "uint8"))})
    asm = lib.get_lib().get_source("asm")
    assert "pmaddubs" not in asm and "vpdpbusd" not in asm
