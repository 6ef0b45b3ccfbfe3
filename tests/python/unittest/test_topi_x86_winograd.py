"""Winograd NHWC conv2d for x86 (``topi.x86.conv2d_winograd_nhwc``) against NumPy.

The compute declares its kernel transform a pre-transform: the kernel reads
the transformed weight as a parameter, which ``take_out_pre_transforms``
exposes; these tests transform the weight with it, as the compile engine does.
"""
import numpy as np
import pytest

import tvm
from tvm import te
from tvm.topi import testing as ref
from tvm.topi.generic.input_transform import PreTransform, take_out_pre_transforms
from tvm.topi.x86.conv2d_winograd import (
    conv2d_winograd_nhwc,
    schedule_conv2d_winograd_nhwc,
    winograd_applicable,
)

HOST = tvm.target.Target("llvm")


def _run(batch, height, width, in_ch, out_ch, padding, tile_size=None, epilogue=True, seed=0,
         target=HOST):
    data = te.placeholder((batch, height, width, in_ch), name="data")
    weight = te.placeholder((3, 3, in_ch, out_ch), name="weight")
    bias = te.placeholder((out_ch,), name="bias")
    conv = conv2d_winograd_nhwc(data, weight, 1, padding, 1, "float32", tile_size=tile_size)
    out = conv
    if epilogue:
        out = te.compute(conv.shape, lambda n, h, w, c: te.max(conv[n, h, w, c] + bias[c], 0.0), name="relu")
    inputs, transforms = take_out_pre_transforms([data, weight, bias], [out])
    assert list(transforms) == [1] and isinstance(transforms[1], PreTransform)
    assert inputs[1].op.name == "winograd_kernel"
    sch = tvm.s_tir.Schedule(tvm.IRModule({"main": te.create_prim_func(inputs + [out])}))
    with target:
        schedule_conv2d_winograd_nhwc.__wrapped__(sch, [out])  # no generic fallback: fail loudly
    lib = tvm.compile(sch.mod, target)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (batch, height, width, in_ch)).astype("float32")
    w = (rng.uniform(-1, 1, (3, 3, in_ch, out_ch)) / np.sqrt(9 * in_ch)).astype("float32")
    b = rng.uniform(-1, 1, out_ch).astype("float32")
    result = tvm.runtime.empty([int(d) for d in out.shape], "float32", tvm.cpu())
    lib["main"](tvm.runtime.tensor(x), transforms[1].apply(tvm.runtime.tensor(w)), tvm.runtime.tensor(b), result)
    expected = ref.conv2d_nhwc_python(x.astype("float64"), w.astype("float64"), 1, padding)
    if epilogue:
        expected = np.maximum(expected + b, 0)
    return result.numpy(), expected, transforms[1]


@pytest.mark.parametrize("batch,height,width,in_ch,out_ch,padding,tile_size", [
    (1, 16, 16, 16, 16, 1, None),    # m = 4
    (1, 7, 7, 32, 24, 1, None),      # small plane: m = 2 by default
    (2, 10, 14, 8, 8, 1, 4),         # batch 2, planes not a multiple of the tile
    (1, 9, 9, 8, 12, 0, 2),          # no padding; channels not a multiple of the block
    (1, 12, 12, 3, 5, (0, 1, 2, 1), 4),  # asymmetric padding, odd channels
])
def test_matches_direct_convolution(batch, height, width, in_ch, out_ch, padding, tile_size, isa_target):
    actual, expected, _ = _run(batch, height, width, in_ch, out_ch, padding, tile_size,
                               target=isa_target)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_without_epilogue_and_transform_shape():
    actual, expected, transform = _run(1, 8, 8, 8, 16, 1, tile_size=4, epilogue=False)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)
    # (m + 2)^2 points, output channels in blocks of 8 (the vector width)
    assert transform.old_shape == (3, 3, 8, 16)
    assert transform.new_shape == (6, 6, 2, 8, 8)


def test_kernel_transform_is_g_g_gt():
    """The transformed kernel is G g G^T for every channel pair."""
    from tvm.topi.nn.winograd_util import winograd_transform_matrices

    *_, transform = _run(1, 8, 8, 4, 8, 1, tile_size=2)
    mat_g = _const_matrix(winograd_transform_matrices(2, 3, "float32")[2])
    w = np.random.default_rng(1).uniform(-1, 1, (3, 3, 4, 8)).astype("float32")
    got = transform.apply_numpy(w)
    want = np.einsum("ek,klio,ul->euio", mat_g, w, mat_g)  # [4, 4, CI, CO]
    want = want.reshape(4, 4, 4, 1, 8).transpose(0, 1, 3, 2, 4)  # [e, u, CO/8, CI, 8]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _const_matrix(tensor):
    func = te.create_prim_func([tensor])
    lib = tvm.compile(tvm.IRModule({"main": func}), "llvm")
    out = tvm.runtime.empty([int(d) for d in tensor.shape], tensor.dtype, tvm.cpu())
    lib["main"](out)
    return out.numpy()


@pytest.mark.parametrize("kernel,strides,dilation,groups,ok", [
    ((3, 3, 8, 8), 1, 1, 1, True),
    ((3, 3, 8, 8), 2, 1, 1, False),
    ((1, 1, 8, 8), 1, 1, 1, False),
    ((3, 3, 8, 8), 1, 2, 1, False),
    ((3, 3, 4, 8), 1, 1, 2, False),
])
def test_applicability(kernel, strides, dilation, groups, ok):
    assert winograd_applicable((1, 8, 8, 8), kernel, strides, dilation, groups) is ok


def test_rejects_what_it_cannot_compute():
    data = te.placeholder((1, 8, 8, 4), name="data")
    weight = te.placeholder((3, 3, 4, 4), name="weight")
    with pytest.raises(ValueError, match="stride 1"):
        conv2d_winograd_nhwc(data, weight, 2, 1, 1)
    with pytest.raises(ValueError, match="input channels"):
        conv2d_winograd_nhwc(data, te.placeholder((3, 3, 5, 4), name="w5"), 1, 1, 1)


def test_weight_read_directly_and_transformed_is_an_error():
    data = te.placeholder((1, 8, 8, 4), name="data")
    weight = te.placeholder((3, 3, 4, 4), name="weight")
    conv = conv2d_winograd_nhwc(data, weight, 1, 1, 1)
    both = te.compute(conv.shape, lambda n, h, w, c: conv[n, h, w, c] + weight[0, 0, 0, c], name="both")
    with pytest.raises(ValueError, match="both directly and through a pre-transform"):
        take_out_pre_transforms([data, weight], [both])
