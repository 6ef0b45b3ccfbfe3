"""Tests of the reference interpreter (relay.create_executor("debug")) and its NumPy kernels.

Every kernel is checked against an independent NumPy computation written here
(naive loops for convolutions and pools, direct formulas elsewhere) or against
small cases worked out by hand.
"""
import itertools

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.attrs import Attrs
from tvm.relay.backend import interpreter  # upstream path; re-exports tvm.relay.reference
from tvm.relay.reference import ops as reference_ops
from tvm.relay.reference.ops import run_op

RNG = np.random.default_rng(0)


def rand(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def op_of(name):
    """The registered operator, or a free-standing Op of that name (kernels key on the name)."""
    try:
        return relay.op.get(name)
    except tvm.error.OpNotImplemented:
        return relay.op.Op(name)


def call(name, args, **fields):
    return relay.Call(op_of(name), args, Attrs("relay.attrs.Test", fields))


def kernel(name, args, **fields):
    return run_op(name, Attrs("relay.attrs.Test", fields), list(args))


# ------------------------------------------------------------ naive references
def naive_conv2d_nchw(x, w, stride, pad, dilation, groups):
    """Direct definition: loops over every output element (float64)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    pt, pl, pb, pr = pad
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt : pt + h, pl : pl + wd] = x
    oh = (h + pt + pb - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (wd + pl + pr - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for b, oc, i, j in itertools.product(range(n), range(o), range(oh), range(ow)):
        g = oc // og
        acc = 0.0
        for ic, ki, kj in itertools.product(range(cg), range(kh), range(kw)):
            acc += (
                xp[b, g * cg + ic, i * stride[0] + ki * dilation[0], j * stride[1] + kj * dilation[1]]
                * w[oc, ic, ki, kj]
            )
        out[b, oc, i, j] = acc
    return out


def naive_conv2d_transpose(x, w, stride, pad, dilation, groups, output_padding):
    """Scatter definition: every input pixel adds its weighted kernel into the output."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape  # (C_in, C_out / groups, kh, kw)
    cg = c // groups
    pt, pl, pb, pr = pad
    full_h = (h - 1) * stride[0] + (kh - 1) * dilation[0] + 1
    full_w = (wd - 1) * stride[1] + (kw - 1) * dilation[1] + 1
    full = np.zeros((n, og * groups, full_h + output_padding[0], full_w + output_padding[1]))
    for b, ic, i, j in itertools.product(range(n), range(c), range(h), range(wd)):
        g = ic // cg
        for oc, ki, kj in itertools.product(range(og), range(kh), range(kw)):
            full[b, g * og + oc, i * stride[0] + ki * dilation[0], j * stride[1] + kj * dilation[1]] += (
                x[b, ic, i, j] * w[ic, oc, ki, kj]
            )
    return full[:, :, pt : full.shape[2] - pb, pl : full.shape[3] - pr]


def naive_pool2d(x, kind, size, stride, pad, ceil_mode=False, count_include_pad=False):
    n, c, h, w = x.shape
    pt, pl, pb, pr = pad

    def out_len(length, k, s, before, after):
        span = length + before + after - k
        out = (-(-span // s) if ceil_mode else span // s) + 1
        # In ceil mode the last window must still start inside data + left padding.
        return out - 1 if ceil_mode and (out - 1) * s >= length + before else out

    oh = out_len(h, size[0], stride[0], pt, pb)
    ow = out_len(w, size[1], stride[1], pl, pr)
    out = np.zeros((n, c, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        rows = [r for r in range(i * stride[0] - pt, i * stride[0] - pt + size[0])]
        cols = [q for q in range(j * stride[1] - pl, j * stride[1] - pl + size[1])]
        inside = [(r, q) for r in rows for q in cols if 0 <= r < h and 0 <= q < w]
        vals = np.array([x[:, :, r, q] for r, q in inside])
        if kind == "max":
            out[:, :, i, j] = vals.max(axis=0)
        else:
            if count_include_pad:
                in_pad = [
                    1
                    for r in rows
                    for q in cols
                    if -pt <= r < h + pb and -pl <= q < w + pr
                ]
                div = len(in_pad)
            else:
                div = len(inside)
            out[:, :, i, j] = vals.sum(axis=0) / div
    return out


# ---------------------------------------------------------------- convolution
@pytest.mark.parametrize(
    "shape,oc,k,stride,pad,dilation,groups",
    [
        ((2, 3, 9, 8), 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
        ((1, 4, 10, 11), 6, (3, 2), (2, 3), (0, 1, 2, 1), (1, 1), 2),
        ((1, 3, 12, 12), 5, (3, 3), (1, 2), (2, 2, 2, 2), (2, 3), 1),
        ((1, 4, 7, 7), 4, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 4),  # depthwise
        ((1, 3, 7, 7), 6, (3, 3), (1, 1), (1, 0, 1, 0), (2, 1), 3),  # depthwise, multiplier 2
        ((2, 16, 5, 5), 8, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    ],
)
def test_conv2d_nchw_matches_naive(shape, oc, k, stride, pad, dilation, groups):
    x = rand(*shape)
    w = rand(oc, shape[1] // groups, *k)
    got = kernel(
        "nn.conv2d", [x, w], strides=stride, padding=pad, dilation=dilation, groups=groups,
        data_layout="NCHW", kernel_layout="OIHW", out_dtype="",
    )
    want = naive_conv2d_nchw(x.astype(np.float64), w, stride, pad, dilation, groups)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "data_layout,kernel_layout,groups",
    [("NHWC", "HWIO", 1), ("NHWC", "HWOI", 4), ("NHWC", "OHWI", 2), ("NCHW", "HWIO", 1)],
)
def test_conv2d_layouts(data_layout, kernel_layout, groups):
    x = rand(1, 4, 6, 7)
    w = rand(4, 4 // groups, 3, 3)
    want = naive_conv2d_nchw(x, w, (1, 2), (1, 1, 1, 1), (1, 1), groups)
    x_l = np.transpose(x, ["NCHW".index(a) for a in data_layout])
    w_l = np.transpose(w, ["OIHW".index(a) for a in kernel_layout])
    got = kernel(
        "nn.conv2d", [x_l, w_l], strides=(1, 2), padding=(1, 1, 1, 1), dilation=(1, 1),
        groups=groups, data_layout=data_layout, kernel_layout=kernel_layout, out_dtype="",
    )
    want_l = np.transpose(want, ["NCHW".index(a) for a in data_layout])
    np.testing.assert_allclose(got, want_l, rtol=1e-5, atol=1e-5)


def test_conv2d_blocked_layout_and_int8():
    x = rand(1, 8, 5, 5)
    w = rand(8, 8, 3, 3)
    want = naive_conv2d_nchw(x, w, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    x_b = x.reshape(1, 2, 4, 5, 5).transpose(0, 1, 3, 4, 2)  # NCHW4c
    w_b = w.reshape(2, 4, 2, 4, 3, 3).transpose(0, 2, 4, 5, 3, 1)  # OIHW4i4o
    got = kernel(
        "nn.contrib_conv2d_NCHWc", [x_b, w_b], strides=(1, 1), padding=(1, 1, 1, 1),
        dilation=(1, 1), groups=1, data_layout="NCHW4c", kernel_layout="OIHW4i4o",
        out_layout="NCHW4c", out_dtype="float32",
    )
    np.testing.assert_allclose(got, want.reshape(1, 2, 4, 5, 5).transpose(0, 1, 3, 4, 2), rtol=1e-5, atol=1e-5)
    xi = RNG.integers(-128, 128, (1, 3, 5, 5)).astype("int8")
    wi = RNG.integers(-128, 128, (2, 3, 3, 3)).astype("int8")
    got = kernel(
        "nn.conv2d", [xi, wi], strides=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
        groups=1, data_layout="NCHW", kernel_layout="OIHW", out_dtype="int32",
    )
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, naive_conv2d_nchw(xi, wi, (1, 1), (0,) * 4, (1, 1), 1).astype(np.int64))


@pytest.mark.parametrize("layout", ["NCDHW", "NDHWC"])
def test_conv3d(layout):
    x = rand(1, 2, 4, 5, 6)
    w = rand(3, 2, 2, 3, 3)
    # Reference: a sum of 2-d convolutions over the depth taps.
    od = 4 - 2 + 1
    want = np.zeros((1, 3, od, 5, 3))
    for d in range(od):
        for kd in range(2):
            want[:, :, d] += naive_conv2d_nchw(x[:, :, d + kd], w[:, :, kd], (1, 2), (1, 1, 1, 1), (1, 1), 1)
    kernel_layout = "OIDHW" if layout == "NCDHW" else "DHWIO"
    x_l = np.transpose(x, ["NCDHW".index(a) for a in layout])
    w_l = np.transpose(w, ["OIDHW".index(a) for a in kernel_layout])
    got = kernel(
        "nn.conv3d", [x_l, w_l], strides=(1, 1, 2), padding=(0, 1, 1, 0, 1, 1),
        dilation=(1, 1, 1), groups=1, data_layout=layout, kernel_layout=kernel_layout, out_dtype="",
    )
    np.testing.assert_allclose(got, np.transpose(want, ["NCDHW".index(a) for a in layout]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "stride,pad,dilation,groups,output_padding",
    [((2, 2), (1, 1, 1, 1), (1, 1), 1, (1, 1)), ((1, 2), (0, 1, 2, 0), (2, 1), 2, (0, 1)), ((3, 3), (0, 0, 0, 0), (1, 1), 1, (0, 0))],
)
def test_conv2d_transpose(stride, pad, dilation, groups, output_padding):
    x = rand(1, 4, 5, 4)
    w = rand(4, 3, 3, 3)
    want = naive_conv2d_transpose(x, w, stride, pad, dilation, groups, output_padding)
    got = kernel(
        "nn.conv2d_transpose", [x, w], strides=stride, padding=pad, dilation=dilation,
        groups=groups, output_padding=output_padding, data_layout="NCHW", kernel_layout="IOHW",
        out_dtype="",
    )
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------- dense & friends
def test_dense_batch_matmul_bias_add():
    x, w, b = rand(3, 5), rand(4, 5), rand(4)
    np.testing.assert_allclose(kernel("nn.dense", [x, w], units=4, out_dtype=""), x @ w.T, rtol=1e-5, atol=1e-6)
    got = kernel("nn.bias_add", [x @ w.T, b], axis=-1)
    np.testing.assert_allclose(got, x @ w.T + b, rtol=1e-6)
    y = rand(2, 3, 4, 5)
    np.testing.assert_allclose(kernel("nn.bias_add", [y, rand(3) * 0 + 1], axis=1), y + 1, rtol=1e-6)
    a, c = rand(2, 3, 4), rand(2, 5, 4)
    got = kernel("nn.batch_matmul", [a, c], transpose_a=False, transpose_b=True, out_dtype="")
    np.testing.assert_allclose(got, np.einsum("bik,bjk->bij", a, c), rtol=1e-5, atol=1e-6)
    got = kernel("nn.batch_matmul", [a.transpose(0, 2, 1), c[:1].transpose(0, 2, 1)], transpose_a=True, transpose_b=False)
    np.testing.assert_allclose(got, np.einsum("bik,jk->bij", a, c[0]), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="nn.dense"):
        kernel("nn.dense", [x, rand(4, 6)], units=4)


def test_norms_and_softmax():
    x = rand(2, 3, 4, 5)
    gamma, beta, mean, var = rand(3), rand(3), rand(3), np.abs(rand(3)) + 0.5
    out, m, v = kernel("nn.batch_norm", [x, gamma, beta, mean, var], axis=1, epsilon=1e-3, center=True, scale=True)
    sh = (1, 3, 1, 1)
    want = (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + 1e-3) * gamma.reshape(sh) + beta.reshape(sh)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert m is mean and v is var
    g2, b2 = rand(5), rand(5)
    got = kernel("nn.layer_norm", [x, g2, b2], axis=-1, epsilon=1e-5, center=True, scale=True)
    mu = x.mean(-1, keepdims=True)
    sd = np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(got, (x - mu) / sd * g2 + b2, rtol=1e-4, atol=1e-5)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(kernel("nn.softmax", [x], axis=1), e / e.sum(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(
        kernel("nn.log_softmax", [x], axis=-1),
        x - x.max(-1, keepdims=True) - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)),
        rtol=1e-5, atol=1e-6,
    )


# ----------------------------------------------------------------------- pools
@pytest.mark.parametrize(
    "kind,size,stride,pad,ceil_mode,include",
    [
        ("max", (3, 3), (2, 2), (1, 1, 1, 1), False, False),
        ("max", (2, 2), (2, 2), (0, 0, 0, 0), True, False),
        ("avg", (3, 3), (2, 2), (1, 1, 1, 1), False, False),
        ("avg", (3, 3), (2, 2), (1, 1, 1, 1), False, True),
        ("avg", (3, 2), (2, 2), (1, 0, 0, 1), True, True),
        ("avg", (3, 3), (2, 2), (0, 0, 0, 0), True, False),
    ],
)
def test_pool2d(kind, size, stride, pad, ceil_mode, include):
    x = rand(2, 3, 7, 8)
    want = naive_pool2d(x.astype(np.float64), kind, size, stride, pad, ceil_mode, include)
    fields = dict(pool_size=size, strides=stride, dilation=(1, 1), padding=pad, layout="NCHW", ceil_mode=ceil_mode)
    if kind == "avg":
        fields["count_include_pad"] = include
    got = kernel(f"nn.{kind}_pool2d", [x], **fields)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    fields["layout"] = "NHWC"
    got = kernel(f"nn.{kind}_pool2d", [x.transpose(0, 2, 3, 1)], **fields)
    np.testing.assert_allclose(got, want.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-6)


def test_adaptive_and_global_pools():
    x = rand(1, 2, 7, 5)
    got = kernel("nn.adaptive_avg_pool2d", [x], output_size=(3, 2), layout="NCHW")
    # Bins of 7 into 3: [0,3) [2,5) [4,7); of 5 into 2: [0,3) [2,5).
    rows, cols = [(0, 3), (2, 5), (4, 7)], [(0, 3), (2, 5)]
    want = np.array([[x[:, :, r0:r1, c0:c1].mean((2, 3)) for c0, c1 in cols] for r0, r1 in rows])
    np.testing.assert_allclose(got, want.transpose(2, 3, 0, 1), rtol=1e-5)
    got = kernel("nn.adaptive_max_pool2d", [x.transpose(0, 2, 3, 1)], output_size=(3, 2), layout="NHWC")
    want = np.array([[x[:, :, r0:r1, c0:c1].max((2, 3)) for c0, c1 in cols] for r0, r1 in rows])
    np.testing.assert_allclose(got, want.transpose(2, 0, 1, 3), rtol=1e-6)
    np.testing.assert_allclose(kernel("nn.global_avg_pool2d", [x], layout="NCHW"), x.mean((2, 3), keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(kernel("nn.global_max_pool2d", [x], layout="NCHW"), x.max((2, 3), keepdims=True))
    x3 = rand(1, 2, 4, 4, 6)
    got = kernel("nn.avg_pool3d", [x3], pool_size=(2, 2, 3), strides=(2, 2, 3), dilation=(1, 1, 1), padding=(0,) * 6, layout="NCDHW", ceil_mode=False, count_include_pad=False)
    np.testing.assert_allclose(got, x3.reshape(1, 2, 2, 2, 2, 2, 2, 3).mean((3, 5, 7)), rtol=1e-5)


def test_pad_and_upsampling():
    x = rand(1, 2, 3, 4)
    width = ((0, 0), (0, 0), (1, 2), (2, 0))
    got = kernel("nn.pad", [x, np.array(1.5, "float32")], pad_width=width, pad_mode="constant")
    want = np.full((1, 2, 6, 6), 1.5, "float32")
    want[:, :, 1:4, 2:6] = x
    np.testing.assert_array_equal(got, want)
    got = kernel("nn.pad", [x, np.array(0, "float32")], pad_width=width, pad_mode="edge")
    np.testing.assert_array_equal(got, np.pad(x, width, mode="edge"))
    got = kernel("nn.upsampling", [x], scale_h=2.0, scale_w=3.0, layout="NCHW", method="nearest_neighbor", align_corners=False)
    np.testing.assert_array_equal(got, x.repeat(2, axis=2).repeat(3, axis=3))
    # Bilinear with align_corners: corners kept, midpoints averaged.
    got = kernel("nn.upsampling", [x], scale_h=2.0, scale_w=2.0, layout="NCHW", method="bilinear", align_corners=True)
    assert got.shape == (1, 2, 6, 8)
    np.testing.assert_allclose(got[:, :, 0, 0], x[:, :, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(got[:, :, -1, -1], x[:, :, -1, -1], rtol=1e-6)
    ys = np.arange(6) * 2 / 5
    xs = np.arange(8) * 3 / 7
    y0, x0 = np.minimum(np.floor(ys).astype(int), 2), np.minimum(np.floor(xs).astype(int), 3)
    y1, x1 = np.minimum(y0 + 1, 2), np.minimum(x0 + 1, 3)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    want = (x[:, :, y0][:, :, :, x0] * (1 - fy) * (1 - fx) + x[:, :, y0][:, :, :, x1] * (1 - fy) * fx
            + x[:, :, y1][:, :, :, x0] * fy * (1 - fx) + x[:, :, y1][:, :, :, x1] * fy * fx)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_resize2d_half_pixel_linear_and_nearest():
    x = rand(1, 1, 4, 4)
    got = kernel("image.resize2d", [x], size=(2, 2), layout="NCHW", method="linear",
                 coordinate_transformation_mode="half_pixel", rounding_method="", cubic_alpha=-0.5,
                 cubic_exclude=0, extrapolation_value=0.0, roi=(0.0, 0.0, 0.0, 0.0), out_dtype="")
    # Downscale by 2 with half-pixel centres: each output is the mean of a 2x2 block.
    np.testing.assert_allclose(got, x.reshape(1, 1, 2, 2, 2, 2).mean((3, 5)), rtol=1e-5)
    got = kernel("image.resize2d", [x], size=(8, 2), layout="NCHW", method="nearest_neighbor",
                 coordinate_transformation_mode="asymmetric", rounding_method="floor")
    np.testing.assert_array_equal(got, x.repeat(2, axis=2)[:, :, :, ::2])


def test_affine_grid():
    theta = rand(2, 2, 3)
    got = kernel("image.affine_grid", [theta], target_shape=(3, 4))
    ys, xs = np.linspace(-1, 1, 3), np.linspace(-1, 1, 4)
    for n, d, i, j in itertools.product(range(2), range(2), range(3), range(4)):
        want = theta[n, d, 0] * xs[j] + theta[n, d, 1] * ys[i] + theta[n, d, 2]
        np.testing.assert_allclose(got[n, d, i, j], want, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------- vision
def test_multibox_transform_loc_and_nms():
    # 3 anchors, 3 classes (0 = background).
    cls_prob = np.array([[[0.1, 0.8, 0.95], [0.7, 0.15, 0.03], [0.2, 0.05, 0.02]]], "float32")
    loc = np.zeros((1, 12), "float32")
    loc[0, 4] = 1.0  # shift anchor 1 in x by 0.1 * width
    anchors = np.array([[[0.1, 0.1, 0.3, 0.3], [0.5, 0.5, 0.9, 0.7], [0.0, 0.0, 0.2, 0.2]]], "float32")
    out, valid = kernel("vision.multibox_transform_loc", [cls_prob, loc, anchors], clip=True,
                        threshold=0.1, variances=(0.1, 0.1, 0.2, 0.2))
    # Anchor 0: class 1 (p 0.7); anchor 1: class 1 (0.15); anchor 2: best 0.03 < 0.1, dropped.
    assert valid.tolist() == [2]
    np.testing.assert_allclose(out[0, 0], [0, 0.7, 0.1, 0.1, 0.3, 0.3], rtol=1e-6)
    np.testing.assert_allclose(out[0, 1], [0, 0.15, 0.54, 0.5, 0.94, 0.7], rtol=1e-5)
    boxes = np.array([[[0, 0.9, 0, 0, 1, 1], [0, 0.8, 0.05, 0, 1, 1], [1, 0.7, 0, 0, 1, 1],
                       [0, 0.6, 2, 2, 3, 3], [0, 0.0, 0, 0, 1, 1]]], "float32")
    count = np.array([5], "int32")
    idx = np.arange(5, dtype="int32")[None]
    out = kernel("vision.non_max_suppression", [boxes, count, idx, np.array(-1, "int32"), np.array(0.5, "float32")],
                 force_suppress=False, top_k=-1, coord_start=2, score_index=1, id_index=0,
                 return_indices=False, invalid_to_bottom=True)
    # Box 1 overlaps box 0 (IoU 0.95, same class): suppressed; box 2 is another class;
    # box 4 has score 0: invalid.
    np.testing.assert_allclose(out[0, :3], boxes[0, [0, 2, 3]])
    assert (out[0, 3:] == -1).all()
    ind, cnt = kernel("vision.non_max_suppression", [boxes, count, idx, np.array(2, "int32"), np.array(0.5, "float32")],
                      force_suppress=True, top_k=-1, coord_start=2, score_index=1, id_index=0,
                      return_indices=True, invalid_to_bottom=False)
    assert ind.tolist() == [[0, 3, -1, -1, -1]] and cnt.tolist() == [[2]]


# ------------------------------------------------------ elementwise & reduce
def test_elementwise_broadcast_and_integer_semantics():
    a, b = rand(3, 1, 4), rand(1, 5, 1)
    np.testing.assert_allclose(kernel("add", [a, b]), a + b)
    np.testing.assert_array_equal(kernel("less", [a, b]), a < b)
    i = np.array([7, -7, 7, -7], "int32")
    j = np.array([2, 2, -2, -2], "int32")
    assert kernel("divide", [i, j]).tolist() == [3, -3, -3, 3]  # truncating, as C
    assert kernel("floor_divide", [i, j]).tolist() == [3, -4, -4, 3]
    assert kernel("mod", [i, j]).tolist() == [1, -1, 1, -1]
    assert kernel("floor_mod", [i, j]).tolist() == [1, 1, -1, -1]
    assert kernel("divide", [i, j]).dtype == np.int32
    x = rand(10)
    np.testing.assert_allclose(kernel("sigmoid", [x]), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(kernel("rsqrt", [np.abs(x)]), 1 / np.sqrt(np.abs(x)), rtol=1e-6)
    np.testing.assert_array_equal(kernel("clip", [x], a_min=-0.5, a_max=0.5), np.clip(x, -0.5, 0.5))
    assert kernel("round", [np.array([0.5, 1.5, -2.5], "float32")]).tolist() == [0, 2, -2]
    assert kernel("cast", [x], dtype="int8").dtype == np.int8
    np.testing.assert_allclose(kernel("nn.leaky_relu", [x], alpha=0.1), np.where(x > 0, x, 0.1 * x), rtol=1e-6)
    with pytest.raises(ValueError, match=r"add.*\(3, 1, 4\) and \(2, 5\)"):
        kernel("add", [a, rand(2, 5)])


def test_trunc_divide_and_integer_power_semantics():
    i = np.array([7, -7, 7, -7], "int32")
    j = np.array([2, 2, -2, -2], "int32")
    assert kernel("trunc_divide", [i, j]).tolist() == [3, -3, -3, 3]
    assert kernel("trunc_mod", [i, j]).tolist() == [1, -1, 1, -1]
    a = np.array([7.5, -7.5, 1.0], "float32")
    b = np.array([2.0, 2.0, -3.0], "float32")
    assert kernel("trunc_divide", [a, b]).tolist() == [3.0, -3.0, -0.0]  # trunc(a / b), as upstream
    assert kernel("divide", [a, b]).tolist() == [3.75, -3.75, np.float32(1.0) / np.float32(-3.0)]
    np.testing.assert_array_equal(kernel("trunc_mod", [a, b]), np.fmod(a, b))
    base = np.array([2, -2, 1, -1, -1, 3, 0], "int32")
    exp = np.array([10, 3, -4, -3, -2, -1, -1], "int32")
    out = kernel("power", [base, exp])
    assert out.dtype == np.int32 and out.tolist() == [1024, -8, 1, -1, 1, 0, 0]
    assert kernel("power", [np.array([3], "int8"), np.array([5], "int8")]).tolist() == [-13]  # 243 wraps


def test_reductions():
    x = rand(2, 3, 4)
    np.testing.assert_allclose(kernel("sum", [x], axis=[1], keepdims=False, exclude=False), x.sum(1), rtol=1e-5)
    np.testing.assert_allclose(kernel("mean", [x], axis=[1], keepdims=True, exclude=True), x.mean((0, 2), keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(kernel("max", [x], axis=None, keepdims=False, exclude=False), x.max())
    assert kernel("argmax", [x], axis=[2], keepdims=False, exclude=False).tolist() == x.argmax(2).tolist()
    assert kernel("argmin", [x], axis=[0], keepdims=True, exclude=False).shape == (1, 3, 4)
    np.testing.assert_allclose(kernel("variance", [x, x.mean(2, keepdims=True)], axis=[2], keepdims=False, exclude=False, unbiased=False), x.var(2), rtol=1e-5)
    np.testing.assert_allclose(kernel("logsumexp", [x], axis=[1], keepdims=False), np.log(np.exp(x).sum(1)), rtol=1e-5)


# ------------------------------------------------------------------ transforms
def test_reshape_special_values():
    x = rand(2, 3, 4)
    assert kernel("reshape", [x], newshape=(0, -1)).shape == (2, 12)
    assert kernel("reshape", [x], newshape=(-2,)).shape == (2, 3, 4)
    assert kernel("reshape", [x], newshape=(-3, 4)).shape == (6, 4)
    assert kernel("reshape", [x], newshape=(2, -4, 1, 3, 4)).shape == (2, 1, 3, 4)
    assert kernel("reshape", [x], newshape=(0, -4, -1, 1, 0)).shape == (2, 3, 1, 4)
    with pytest.raises(ValueError, match="reshape"):
        kernel("reshape", [x], newshape=(5, -1))


def test_transforms():
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(kernel("transpose", [x], axes=(2, 0, 1)), x.transpose(2, 0, 1))
    np.testing.assert_array_equal(kernel("concatenate", [(x, x)], axis=1), np.concatenate([x, x], 1))
    parts = kernel("split", [x], indices_or_sections=(1, 3), axis=2)
    assert [p.shape for p in parts] == [(2, 3, 1), (2, 3, 2), (2, 3, 1)]
    assert len(kernel("split", [x], indices_or_sections=3, axis=1)) == 3
    got = kernel("strided_slice", [x], begin=(1, 2, 3), end=(2, -4, 0), strides=(1, -1, -2), slice_mode="end")
    np.testing.assert_array_equal(got, x[1:2, 2:-4:-1, 3:0:-2])
    got = kernel("strided_slice", [x], begin=(0, 1), end=(-1, 2), strides=(1,), slice_mode="size")
    np.testing.assert_array_equal(got, x[0:, 1:3])
    idx = np.array([[0, 5], [-1, 2]], "int32")
    np.testing.assert_array_equal(kernel("take", [x, idx], axis=2, mode="clip"), x[:, :, np.clip(idx, 0, 3)])
    np.testing.assert_array_equal(kernel("take", [x, idx], axis=2, mode="wrap"), x[:, :, idx % 4])
    assert kernel("squeeze", [rand(1, 3, 1)], axis=None).shape == (3,)
    assert kernel("expand_dims", [x], axis=-1, num_newaxis=2).shape == (2, 3, 4, 1, 1)
    y = rand(1, 8, 2, 3)
    blocked = kernel("layout_transform", [y], src_layout="NCHW", dst_layout="NCHW4c")
    np.testing.assert_array_equal(blocked, y.reshape(1, 2, 4, 2, 3).transpose(0, 1, 3, 4, 2))
    np.testing.assert_array_equal(kernel("layout_transform", [blocked], src_layout="NCHW4c", dst_layout="NHWC"), y.transpose(0, 2, 3, 1))
    vals, inds = kernel("topk", [np.array([[3, 1, 4, 1, 5]], "float32")], k=2, axis=-1, ret_type="both", is_ascend=False, dtype="int32")
    assert vals.tolist() == [[5, 4]] and inds.tolist() == [[4, 2]]
    np.testing.assert_array_equal(kernel("where", [x > 0, x, np.zeros((), "float32")]), np.maximum(x, 0))
    got = kernel("one_hot", [np.array([1, 0, 2], "int32"), np.array(1.0, "float32"), np.array(0.0, "float32")], depth=3, axis=-1, dtype="float32")
    np.testing.assert_array_equal(got, np.eye(3)[[1, 0, 2]])


# ----------------------------------------------------------------- interpreter
def _run(func, *args, mod=None, **kwargs):
    mod = mod or relay.IRModule.from_expr(func)
    return interpreter.create_executor("debug", mod=mod).evaluate()(*args, **kwargs)


def test_evaluate_function_returns_tensors_and_tuples():
    x = relay.var("x", shape=(2, 3))
    y = relay.var("y", shape=(2, 3))
    s = call("add", [x, y])
    func = relay.Function([x, y], relay.Tuple([s, call("multiply", [s, y])]))
    a, b = rand(2, 3), rand(2, 3)
    out = _run(func, a, y=tvm.runtime.tensor(b))
    assert isinstance(out, tuple) and isinstance(out[0], tvm.runtime.Tensor)
    np.testing.assert_allclose(out[0].numpy(), a + b)
    np.testing.assert_allclose(out[1].numpy(), (a + b) * b)


def test_let_if_closure_and_tuple_get_item():
    x = relay.var("x", shape=(), dtype="float32")
    v = relay.var("v")
    f_param = relay.var("z", shape=(), dtype="float32")
    # let v = x * 2; let f = fn(z) { z + v }; if (v > 1) f(v) else (v, x).0
    inner = relay.Function([f_param], call("add", [f_param, v]))
    fvar = relay.var("f")
    body = relay.If(
        call("greater", [v, relay.const(1.0)]),
        relay.Call(fvar, [v]),
        relay.TupleGetItem(relay.Tuple([v, x]), 0),
    )
    prog = relay.Let(v, call("multiply", [x, relay.const(2.0)]), relay.Let(fvar, inner, body))
    func = relay.Function([x], prog)
    assert _run(func, np.array(3.0, "float32")).numpy() == 12.0
    assert _run(func, np.array(0.25, "float32")).numpy() == 0.5


def test_global_recursion_and_primitive_function():
    # sum_to(n) = if n <= 0 then 0 else n + sum_to(n - 1), as a global function.
    mod = relay.IRModule()
    gv = relay.GlobalVar("sum_to")
    n = relay.var("n", shape=(), dtype="int32")
    body = relay.If(
        call("less_equal", [n, relay.const(0)]),
        relay.const(0),
        call("add", [n, relay.Call(gv, [call("subtract", [n, relay.const(1)])])]),
    )
    mod[gv] = relay.Function([n], body)
    a = relay.var("a", shape=(2, 2))
    p = relay.var("p", shape=(2, 2))
    fused = relay.Function([p], call("exp", [call("negative", [p])])).with_attr("Primitive", 1)
    m = relay.var("m", shape=(), dtype="int32")
    mod["main"] = relay.Function([a, m], relay.Tuple([relay.Call(fused, [a]), relay.Call(gv, [m])]))
    x = rand(2, 2)
    out = interpreter.create_executor("debug", mod=mod).evaluate()(x, np.array(100, "int32"))
    np.testing.assert_allclose(out[0].numpy(), np.exp(-x), rtol=1e-6)
    assert int(out[1].numpy()) == 5050


def test_errors_name_the_culprit():
    x = relay.var("x", shape=(2, 3))
    w = relay.var("w", shape=(4, 3))
    func = relay.Function([x, w], call("nn.dense", [x, w], units=4, out_dtype=""))
    run = interpreter.create_executor("debug", mod=relay.IRModule.from_expr(func)).evaluate()
    with pytest.raises(TypeError, match=r"missing input.*'w'"):
        run(rand(2, 3))
    with pytest.raises(ValueError, match=r"input 'x' has shape \(2, 4\).*\(2, 3\)"):
        run(rand(2, 4), rand(4, 3))
    with pytest.raises(TypeError, match=r"input 'w' has dtype float64"):
        run(rand(2, 3), np.zeros((4, 3)))
    bad = relay.Function([x], relay.Call(relay.op.Op("nn.not_a_real_op"), [x]))
    with pytest.raises(tvm.error.OpNotImplemented, match="nn.not_a_real_op"):
        _run(bad, rand(2, 3))
    with pytest.raises(ValueError, match="free variable 'q'"):
        interpreter.eval_expr(call("add", [relay.var("q"), relay.const(1.0)]))


def test_create_executor_params_and_eval_expr():
    x = relay.var("x", shape=(3,))
    b = relay.var("b", shape=(3,))
    mod = relay.IRModule.from_expr(relay.Function([x, b], call("subtract", [x, b])))
    bias = rand(3)
    ex = interpreter.create_executor("debug", mod=mod, device=tvm.cpu(0), target="llvm", params={"b": bias})
    a = rand(3)
    np.testing.assert_allclose(ex.evaluate()(a).numpy(), a - bias)
    # Keyword params at call time, as upstream's evaluate()(x, **params).
    ex = interpreter.create_executor("debug", mod=mod)
    np.testing.assert_allclose(ex.evaluate()(a, b=bias).numpy(), a - bias)
    # As 0.8, a non-function expression is evaluated at once (binds give its
    # free variables values); so is a Constant.
    value = ex.evaluate(call("add", [x, relay.const(1.0)]), binds={x: a})
    np.testing.assert_allclose(value.numpy(), a + 1)
    np.testing.assert_allclose(ex.evaluate(relay.const(a)).numpy(), a)
    # A Python scalar input takes the parameter's dtype.
    s = relay.var("s", shape=(), dtype="float32")
    scaled = relay.Function([x, s], call("multiply", [x, s]))
    np.testing.assert_allclose(ex.evaluate(scaled)(a, 2).numpy(), a * 2, rtol=1e-6)
    folded = interpreter.eval_expr(relay.Tuple([call("multiply", [relay.const(a), relay.const(2.0)]), relay.const(1)]))
    assert isinstance(folded, tuple) and isinstance(folded[0], np.ndarray)
    np.testing.assert_allclose(folded[0], a * 2)


def test_every_registered_op_has_a_kernel():
    """The op library and the interpreter agree: every registered op can be evaluated."""
    names = relay.op.list_op_names()
    missing = [n for n in names if n not in reference_ops.list_kernels()]
    assert not missing, f"ops without a reference kernel: {missing}"


def test_depthwise_hwoi_channel_multiplier():
    # Depthwise NHWC with an HWOI kernel (kh, kw, C, multiplier), TOPI's layout:
    # output channel c * multiplier + j reads input channel c with filter [:, :, c, j].
    x = rand(1, 3, 6, 6)
    w_hwoi = rand(3, 3, 3, 2)
    w_oihw = w_hwoi.reshape(3, 3, 6, 1).transpose(2, 3, 0, 1)
    want = naive_conv2d_nchw(x, w_oihw, (1, 1), (1, 1, 1, 1), (1, 1), 3)
    got = kernel(
        "nn.conv2d", [x.transpose(0, 2, 3, 1), w_hwoi], strides=(1, 1), padding=(1, 1, 1, 1),
        dilation=(1, 1), groups=3, data_layout="NHWC", kernel_layout="HWOI", out_dtype="",
    )
    np.testing.assert_allclose(got, want.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ acceptance
def _typed(mod):
    return relay.transform.InferType()(mod)


def test_mlp_workload_matches_numpy():
    from tvm.relay import testing  # pylint: disable=import-outside-toplevel

    mod, params = testing.mlp.get_workload(batch_size=2)
    mod = _typed(mod)
    data = rand(2, 1, 28, 28)
    out = interpreter.create_executor("debug", mod=mod, device=tvm.cpu(0), target="llvm").evaluate()(
        data, **params
    )
    p = {k: v.numpy().astype(np.float64) for k, v in params.items()}
    h = data.reshape(2, -1).astype(np.float64)
    for i in (1, 2, 3):
        h = h @ p[f"fc{i}_weight"].T + p[f"fc{i}_bias"]
        if i < 3:
            h = np.maximum(h, 0)
    e = np.exp(h - h.max(1, keepdims=True))
    want = e / e.sum(1, keepdims=True)
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-7)


def _small_cnn():
    data = relay.var("data", shape=(2, 3, 10, 10))
    weight = relay.var("conv_w", shape=(8, 3, 3, 3))
    names = ["bn_gamma", "bn_beta", "bn_mean", "bn_var"]
    bn = [relay.var(n, shape=(8,)) for n in names]
    dense_w = relay.var("fc_w", shape=(5, 8 * 5 * 5))
    dense_b = relay.var("fc_b", shape=(5,))
    y = relay.nn.conv2d(data, weight, strides=(1, 1), padding=(1, 1), channels=8, kernel_size=(3, 3))
    y = relay.nn.batch_norm(y, *bn, epsilon=1e-5)[0]
    y = relay.nn.relu(y)
    y = relay.nn.max_pool2d(y, pool_size=(2, 2), strides=(2, 2))
    y = relay.nn.batch_flatten(y)
    y = relay.nn.bias_add(relay.nn.dense(y, dense_w, units=5), dense_b)
    y = relay.nn.softmax(y)
    params = [data, weight] + bn + [dense_w, dense_b]
    return relay.Function(params, y)


def test_conv_bn_relu_pool_dense_softmax_matches_numpy():
    mod = _typed(relay.IRModule.from_expr(_small_cnn()))
    x = rand(2, 3, 10, 10)
    w = rand(8, 3, 3, 3)
    gamma, beta, mean = rand(8), rand(8), rand(8)
    var = np.abs(rand(8)) + 0.1
    fc_w, fc_b = rand(5, 200) * 0.1, rand(5)
    out = interpreter.create_executor("debug", mod=mod).evaluate()(
        x, w, gamma, beta, mean, var, fc_w, fc_b
    )
    # Independent NumPy computation, float64 throughout.
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((2, 8, 10, 10))
    for i, j in itertools.product(range(3), range(3)):
        conv += np.einsum("nchw,oc->nohw", xp[:, :, i : i + 10, j : j + 10], w[:, :, i, j])
    sh = (1, 8, 1, 1)
    bn = (conv - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + 1e-5) * gamma.reshape(sh) + beta.reshape(sh)
    pooled = np.maximum(bn, 0).reshape(2, 8, 5, 2, 5, 2).max(axis=(3, 5))
    logits = pooled.reshape(2, -1) @ fc_w.T + fc_b
    e = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(out.numpy(), e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_resnet18_evaluates_quickly():
    import time  # pylint: disable=import-outside-toplevel

    from tvm.relay import testing  # pylint: disable=import-outside-toplevel

    mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1)
    run = interpreter.create_executor("debug", mod=mod).evaluate()
    data = rand(1, 3, 224, 224)
    start = time.perf_counter()
    out = run(data, **params).numpy()
    elapsed = time.perf_counter() - start
    assert out.shape == (1, 1000)
    np.testing.assert_allclose(out.sum(), 1.0, rtol=1e-5)  # softmax output
    assert (out >= 0).all()
    assert elapsed < 30, f"resnet-18 took {elapsed:.1f} s in the interpreter"


def test_more_nn_kernels():
    x = rand(2, 3)
    np.testing.assert_array_equal(
        kernel("nn.mirror_pad", [x], pad_width=((1, 0), (2, 1)), mode="REFLECT"),
        np.pad(x, ((1, 0), (2, 1)), mode="reflect"),
    )
    np.testing.assert_array_equal(
        kernel("nn.mirror_pad", [x], pad_width=((1, 1), (0, 2)), mode="SYMMETRIC"),
        np.pad(x, ((1, 1), (0, 2)), mode="symmetric"),
    )
    w = rand(8, 3)
    packed = w.reshape(2, 4, 3).transpose(0, 2, 1)  # NC4n
    np.testing.assert_allclose(
        kernel("nn.contrib_dense_pack", [x, packed], units=8, out_dtype="", weight_layout="NC4n"),
        x @ w.T, rtol=1e-5, atol=1e-6,
    )
    p = np.abs(rand(4, 5)) + 0.1
    y = np.eye(5, dtype="float32")[[0, 2, 4, 1]]
    np.testing.assert_allclose(kernel("nn.cross_entropy", [p, y]), -np.sum(np.log(p) * y) / 4, rtol=1e-5)
    buf, new = rand(2, 5), rand(2, 2)
    np.testing.assert_array_equal(
        kernel("nn.fifo_buffer", [new, buf], axis=1), np.concatenate([buf, new], 1)[:, 2:]
    )
    img = rand(2, 4, 6, 3)
    s2b = kernel("nn.space_to_batch_nd", [img], block_shape=(2, 3), paddings=((1, 1), (0, 0)), pad_value=0.0)
    padded = np.pad(img, ((0, 0), (1, 1), (0, 0), (0, 0)))
    assert s2b.shape == (12, 3, 2, 3)
    for i, j, n in itertools.product(range(2), range(3), range(2)):
        np.testing.assert_array_equal(s2b[(i * 3 + j) * 2 + n], padded[n, i::2, j::3])
    back = kernel("nn.batch_to_space_nd", [s2b], block_shape=(2, 3), crops=((1, 1), (0, 0)))
    np.testing.assert_array_equal(back, img)


def test_roi_align_roi_pool_crop_and_resize():
    # Bilinear sampling of a linear ramp is exact: each bin averages to its centre value.
    ramp = (10 * np.arange(5)[:, None] + np.arange(5)[None, :]).astype("float32")
    data = np.stack([ramp, 2 * ramp])[None]  # (1, 2, 5, 5)
    rois = np.array([[0, 1, 1, 3, 3]], "float32")
    got = kernel("vision.roi_align", [data, rois], pooled_size=(2, 2), spatial_scale=1.0, sample_ratio=2, layout="NCHW", mode="avg")
    want = np.array([[16.5, 17.5], [26.5, 27.5]])
    np.testing.assert_allclose(got[0, 0], want, rtol=1e-6)
    np.testing.assert_allclose(got[0, 1], 2 * want, rtol=1e-6)
    got = kernel("vision.roi_align", [data.transpose(0, 2, 3, 1), rois], pooled_size=(2, 2), spatial_scale=1.0, sample_ratio=2, layout="NHWC", mode="max")
    np.testing.assert_allclose(got[0, :, :, 0], want + 2.75, rtol=1e-6)  # max sample: +0.25 in y and x
    x = rand(1, 1, 6, 6)
    got = kernel("vision.roi_pool", [x, np.array([[0, 1, 1, 4, 3]], "float32")], pooled_size=(2, 2), spatial_scale=1.0, layout="NCHW")
    want = [[x[0, 0, 1:3, 1:3].max(), x[0, 0, 1:3, 3:5].max()], [x[0, 0, 2:4, 1:3].max(), x[0, 0, 2:4, 3:5].max()]]
    np.testing.assert_array_equal(got[0, 0], want)
    img = rand(2, 1, 5, 5)
    boxes = np.array([[0, 0, 1, 1], [0, 0, 0.5, 0.5], [-0.5, 0, 0.5, 1]], "float32")
    got = kernel("image.crop_and_resize", [img, boxes, np.array([1, 0, 0], "int32")], crop_size=(5, 5), layout="NCHW", method="bilinear", extrapolation_value=-7.0)
    np.testing.assert_allclose(got[0], img[1], rtol=1e-6)
    # Box (0, 0, 0.5, 0.5) samples rows/columns 0, 0.5, 1, 1.5, 2: the even ones are pixels.
    np.testing.assert_allclose(got[1, 0, ::2, ::2], img[0, 0, :3, :3], rtol=1e-6)
    assert (got[2, 0, :2] == -7.0).all()  # rows above the image: extrapolated
    np.testing.assert_allclose(got[2, 0, 2], img[0, 0, 0], rtol=1e-6)


def test_fused_module_evaluates_like_the_original():
    """FuseOps output ("Primitive" functions called from main) gives the same numbers."""
    mod = _typed(relay.IRModule.from_expr(_small_cnn()))
    fused = _typed(relay.transform.FuseOps(fuse_opt_level=2)(mod))
    calls = []

    def _collect(node):
        if isinstance(node, relay.Call) and isinstance(node.op, relay.Function):
            calls.append(node.op)

    relay.analysis.post_order_visit(fused["main"], _collect)
    assert calls and all(f.is_primitive for f in calls)
    inputs = [rand(2, 3, 10, 10), rand(8, 3, 3, 3), rand(8), rand(8), rand(8), np.abs(rand(8)) + 0.1, rand(5, 200), rand(5)]
    want = interpreter.create_executor("debug", mod=mod).evaluate()(*inputs).numpy()
    got = interpreter.create_executor("debug", mod=fused).evaluate()(*inputs).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_kernel_modules_import_in_any_order():
    """Each kernel module can be imported first (no circular-import trap)."""
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel

    code = (
        "import tvm.relay.reference.ops.pool, tvm.relay.reference.ops.nn;"
        "from tvm.relay.reference import ops as r;"
        "assert 'nn.conv2d' in r.list_kernels() and 'nn.max_pool2d' in r.list_kernels()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_tuple_wrapper_and_multi_output_ops():
    x = relay.var("x", shape=(2, 6))
    parts = relay.TupleWrapper(call("split", [x], indices_or_sections=3, axis=1), 3)
    a = rand(2, 6)
    out = interpreter.create_executor("debug").evaluate(parts, binds={x: a})  # evaluated at once, as 0.8
    assert len(out) == 3
    for got, want in zip(out, np.split(a, 3, axis=1)):
        np.testing.assert_array_equal(got.numpy(), want)


def test_released_values_are_recomputed_and_local_recursion():
    # t feeds the If condition's walk and is needed again by a branch.
    x = relay.var("x", shape=(3,))
    t = call("exp", [x])
    cond = call("greater", [call("sum", [t], axis=None, keepdims=False, exclude=False), relay.const(0.0)])
    func = relay.Function([x], relay.If(cond, call("add", [t, relay.const(1.0)]), t))
    a = rand(3)
    np.testing.assert_allclose(_run(func, a).numpy(), np.exp(a) + 1, rtol=1e-6)
    # let f = fn (n) { if (n <= 0) 0 else n + f(n - 1) }; f(m): a local recursive closure.
    n = relay.var("n", shape=(), dtype="int32")
    f = relay.var("f")
    body = relay.If(
        call("less_equal", [n, relay.const(0)]),
        relay.const(0),
        call("add", [n, relay.Call(f, [call("subtract", [n, relay.const(1)])])]),
    )
    m = relay.var("m", shape=(), dtype="int32")
    prog = relay.Function([m], relay.Let(f, relay.Function([n], body), relay.Call(f, [m])))
    assert int(_run(prog, np.array(10, "int32")).numpy()) == 55


def test_index_kernels():
    x = rand(2, 3, 5)
    idx = RNG.integers(0, 5, (2, 4)).astype("int32")
    got = kernel("take", [x, idx], axis=2, batch_dims=1, mode="clip")
    assert got.shape == (2, 3, 4)
    for b, c, j in itertools.product(range(2), range(3), range(4)):
        assert got[b, c, j] == x[b, c, idx[b, j]]
    data = rand(3, 4, 2)
    ind = np.array([[0, 2, 1], [3, 0, 1]], "int32")  # M=2 index rows, 3 lookups
    got = kernel("gather_nd", [data, ind], batch_dims=0)
    np.testing.assert_array_equal(got, np.stack([data[0, 3], data[2, 0], data[1, 1]]))
    upd = rand(3, 2)
    got = kernel("scatter_nd", [np.zeros((3, 4, 2), "float32"), ind, upd], mode="add")
    want = np.zeros((3, 4, 2), "float32")
    for j in range(3):
        want[ind[0, j], ind[1, j]] += upd[j]
    np.testing.assert_array_equal(got, want)
    base, pos = rand(3, 4), np.array([[1, 0, 3, 2], [0, 0, 1, 1], [2, 3, 0, 1]], "int64")
    got = kernel("scatter", [base, pos, rand(3, 4) * 0 + 7], axis=1)
    assert (got[np.arange(3)[:, None], pos] == 7).all()
    cum = kernel("cumsum", [x], axis=1, dtype="float32", exclusive=True)
    np.testing.assert_allclose(cum, np.cumsum(x, axis=1) - x, rtol=1e-5, atol=1e-6)


def test_lrn_l2norm_depth_space():
    x = rand(2, 7, 3, 3)
    got = kernel("nn.lrn", [x], size=3, axis=1, bias=2.0, alpha=1e-2, beta=0.75)
    want = np.empty_like(x)
    for c in range(7):
        window = (x[:, max(c - 1, 0) : c + 2] ** 2).sum(1)
        want[:, c] = x[:, c] / (2.0 + 1e-2 * window / 3) ** 0.75
    np.testing.assert_allclose(got, want, rtol=1e-5)
    got = kernel("nn.l2_normalize", [x], eps=1e-3, axis=[1])
    np.testing.assert_allclose(got, x / np.sqrt(np.maximum((x * x).sum(1, keepdims=True), 1e-3)), rtol=1e-5)
    y = rand(1, 8, 2, 3)
    bs, cq = 2, 2
    dcr = kernel("nn.depth_to_space", [y], block_size=bs, layout="NCHW", mode="DCR")
    crd = kernel("nn.depth_to_space", [y], block_size=bs, layout="NCHW", mode="CRD")
    for c, h, w, i, j in itertools.product(range(cq), range(2), range(3), range(bs), range(bs)):
        assert dcr[0, c, h * bs + i, w * bs + j] == y[0, (i * bs + j) * cq + c, h, w]
        assert crd[0, c, h * bs + i, w * bs + j] == y[0, c * bs * bs + i * bs + j, h, w]
    s2d = kernel("nn.space_to_depth", [dcr], block_size=bs, layout="NCHW")
    np.testing.assert_array_equal(s2d, y)  # space_to_depth inverts DCR depth_to_space


def test_conv1d_and_conv3d_transpose():
    x = rand(2, 4, 9)
    w = rand(6, 2, 3)
    got = kernel("nn.conv1d", [x, w], strides=(2,), padding=(1, 2), dilation=(2,), groups=2, data_layout="NCW", kernel_layout="OIW", out_dtype="")
    want = naive_conv2d_nchw(x[:, :, None], w[:, :, None], (1, 2), (0, 1, 0, 2), (1, 2), 2)[:, :, 0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # conv3d_transpose with depth 1 and a depth-1 kernel is conv2d_transpose.
    x = rand(1, 4, 5, 4)
    w = rand(4, 3, 3, 3)
    got = kernel("nn.conv3d_transpose", [x[:, :, None], w[:, :, None]], strides=(1, 2, 2), padding=(0, 1, 1, 0, 1, 1), output_padding=(0, 1, 1), dilation=(1, 1, 1), groups=1, data_layout="NCDHW", kernel_layout="OIDHW", out_dtype="")
    want = naive_conv2d_transpose(x, w, (2, 2), (1, 1, 1, 1), (1, 1), 1, (1, 1))
    np.testing.assert_allclose(got[:, :, 0], want, rtol=1e-5, atol=1e-5)


def test_vision_helpers():
    out = kernel("vision.multibox_prior", [rand(1, 3, 2, 2)], sizes=(0.5, 0.25), ratios=(1.0, 4.0), steps=(-1.0, -1.0), offsets=(0.5, 0.5), clip=False)
    assert out.shape == (1, 2 * 2 * 3, 4)
    # First location (centre 0.25, 0.25): size 0.5, size 0.25, then size 0.5 with ratio 4
    # (width x2, height /2).
    np.testing.assert_allclose(out[0, 0], [0.0, 0.0, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(out[0, 1], [0.125, 0.125, 0.375, 0.375], atol=1e-6)
    np.testing.assert_allclose(out[0, 2], [-0.25, 0.125, 0.75, 0.375], atol=1e-6)
    data = np.array([[[0, 0.9, 1, 1, 2, 2], [-1, 0.8, 0, 0, 1, 1], [1, 0.1, 0, 0, 1, 1], [2, 0.5, 0, 0, 1, 1]]], "float32")
    count, out, idx = kernel("vision.get_valid_counts", [data, np.array(0.2, "float32")], id_index=0, score_index=1)
    # Row 1 has class -1, row 2 scores below 0.2: rows 0 and 3 stay, in order.
    assert count.tolist() == [2] and idx.tolist() == [[0, 3, -1, -1]]
    np.testing.assert_array_equal(out[0, :2], data[0, [0, 3]])
    assert (out[0, 2:] == -1).all()


def test_resize3d_and_grid_sample():
    x = rand(1, 2, 3, 4, 5)
    got = kernel("image.resize3d", [x], size=(6, 8, 10), layout="NCDHW", method="nearest_neighbor", coordinate_transformation_mode="asymmetric", rounding_method="")
    np.testing.assert_array_equal(got, x.repeat(2, 2).repeat(2, 3).repeat(2, 4))
    img = rand(1, 2, 4, 5)
    # Grid points at pixel centres (align_corners=True) sample the pixels exactly;
    # a point between two pixels averages them; points outside read zeros.
    gx = np.array([[-1.0, 1.0, -0.75, 3.0]], "float32")  # x = 0, 4, 0.5, far right
    gy = np.array([[-1.0, 1.0, -1.0, 0.0]], "float32")  # y = 0, 3, 0, 1.5
    grid = np.stack([gx, gy])[None]  # (1, 2, 1, 4)
    got = kernel("image.grid_sample", [img, grid], method="bilinear", layout="NCHW", padding_mode="zeros", align_corners=True)
    np.testing.assert_allclose(got[0, :, 0, 0], img[0, :, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(got[0, :, 0, 1], img[0, :, 3, 4], rtol=1e-6)
    np.testing.assert_allclose(got[0, :, 0, 2], (img[0, :, 0, 0] + img[0, :, 0, 1]) / 2, rtol=1e-6)
    np.testing.assert_allclose(got[0, :, 0, 3], 0.0)


def test_misc_kernels():
    a, b = np.arange(3, dtype="float32"), np.arange(2, dtype="float32")
    g0, g1 = kernel("meshgrid", [(a, b)], indexing="ij")
    assert g0.shape == (3, 2) and (g0[:, 1] == a).all() and (g1[2] == b).all()
    out = kernel("sparse_to_dense", [np.array([[0, 1], [2, 0]], "int32"), np.array([5, 6], "float32"), np.array(-1, "float32")], output_shape=(3, 2))
    assert out.tolist() == [[-1, 5], [-1, -1], [6, -1]]
    assert kernel("invert_permutation", [np.array([2, 0, 1], "int32")]).tolist() == [1, 2, 0]
    x = rand(3, 4)
    i0, i1 = np.array([2, 0], "int64"), np.array([1, 3], "int64")
    assert kernel("adv_index", [(x, i0, i1)]).tolist() == [x[2, 1], x[0, 3]]
    assert kernel("searchsorted", [np.array([1, 3, 3, 7], "float32"), np.array([3, 8, 0], "float32")], right=True, dtype="int32").tolist() == [3, 4, 0]
    d = kernel("nn.dilate", [np.ones((2, 3), "float32")], strides=(1, 2), dilation_value=0.0)
    assert d.tolist() == [[1, 0, 1, 0, 1], [1, 0, 1, 0, 1]]


def test_full_reductions_give_arrays():
    x = relay.var("x", shape=(2, 2), dtype="bool")
    func = relay.Function([x], call("logical_not", [call("all", [x], axis=None, keepdims=False, exclude=False)]))
    out = _run(func, np.array([[True, False], [True, True]]))
    assert out.shape == () and bool(out.numpy()) is True


# ------------------------------------------- cross-check with ONNX Runtime
def _onnxruntime(node, x, inits=(), opset=13):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper  # pylint: disable=import-outside-toplevel

    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    assert onnx is not None
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


RESIZE_MODES = [
    # (ONNX mode, coordinate mode, nearest_mode) -> Relay method / rounding
    ("linear", "half_pixel", "round_prefer_floor", "linear", ""),
    ("linear", "pytorch_half_pixel", "floor", "linear", ""),
    ("linear", "align_corners", "floor", "linear", ""),
    ("cubic", "half_pixel", "floor", "cubic", ""),
    ("nearest", "asymmetric", "floor", "nearest_neighbor", "floor"),
    ("nearest", "half_pixel", "round_prefer_ceil", "nearest_neighbor", "round_prefer_ceil"),
    ("nearest", "tf_half_pixel_for_nn", "round_prefer_floor", "nearest_neighbor", "round_prefer_floor"),
]


@pytest.mark.parametrize("mode,ctm,nearest,method,rounding", RESIZE_MODES)
@pytest.mark.parametrize("out_hw", [(16, 24), (4, 6)])
def test_resize2d_matches_onnxruntime(mode, ctm, nearest, method, rounding, out_hw):
    from onnx import helper  # pylint: disable=import-outside-toplevel

    x = rand(1, 2, 8, 8)
    scales = np.array([1, 1, out_hw[0] / 8, out_hw[1] / 8], "float32")
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode=mode,
                            coordinate_transformation_mode=ctm, nearest_mode=nearest,
                            cubic_coeff_a=-0.75)
    want = _onnxruntime(node, x, [("scales", scales)])
    got = kernel("image.resize2d", [x], size=out_hw, layout="NCHW", method=method,
                 coordinate_transformation_mode=ctm, rounding_method=rounding,
                 cubic_alpha=-0.75, cubic_exclude=0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_pools_conv_transpose_lrn_match_onnxruntime():
    from onnx import helper  # pylint: disable=import-outside-toplevel

    x = rand(1, 2, 7, 7)
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                            pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
    got = kernel("nn.avg_pool2d", [x], pool_size=(3, 3), strides=(2, 2), dilation=(1, 1),
                 padding=(1, 1, 1, 1), layout="NCHW", ceil_mode=True, count_include_pad=True)
    np.testing.assert_allclose(got, _onnxruntime(node, x), rtol=1e-5, atol=1e-6)
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                            dilations=[2, 2], pads=[1, 0, 1, 0], ceil_mode=1)
    got = kernel("nn.max_pool2d", [x], pool_size=(2, 2), strides=(2, 2), dilation=(2, 2),
                 padding=(1, 0, 1, 0), layout="NCHW", ceil_mode=True)
    np.testing.assert_array_equal(got, _onnxruntime(node, x))
    w = rand(2, 2, 3, 3)  # (C_in, C_out / groups, kh, kw), ONNX's layout too
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 1], group=2,
                            dilations=[1, 2], pads=[1, 0, 0, 2], output_padding=[1, 0])
    got = kernel("nn.conv2d_transpose", [x, w], strides=(2, 1), padding=(1, 0, 0, 2),
                 dilation=(1, 2), groups=2, output_padding=(1, 0), data_layout="NCHW",
                 kernel_layout="IOHW", out_dtype="")
    np.testing.assert_allclose(got, _onnxruntime(node, x, [("w", w)]), rtol=1e-5, atol=1e-5)
    y = rand(1, 5, 3, 3)
    node = helper.make_node("LRN", ["x"], ["y"], size=3, alpha=0.01, beta=0.75, bias=2.0)
    got = kernel("nn.lrn", [y], size=3, axis=1, alpha=0.01, beta=0.75, bias=2.0)
    np.testing.assert_allclose(got, _onnxruntime(node, y), rtol=1e-5)


def test_roi_align_and_grid_sample_match_onnxruntime():
    from onnx import helper  # pylint: disable=import-outside-toplevel

    x = rand(2, 3, 9, 11)
    boxes = np.array([[0.5, 1.0, 6.3, 7.9], [2.0, 0.0, 9.5, 4.0], [-1.0, 3.0, 3.0, 12.0]], "float32")
    batch = np.array([0, 1, 1], "int64")
    node = helper.make_node("RoiAlign", ["x", "rois", "batch"], ["y"], mode="avg",
                            output_height=3, output_width=4, sampling_ratio=2,
                            spatial_scale=0.8)
    want = _onnxruntime(node, x, [("rois", boxes), ("batch", batch)], opset=10)
    rois = np.concatenate([batch[:, None].astype("float32"), boxes], axis=1)
    got = kernel("vision.roi_align", [x, rois], pooled_size=(3, 4), spatial_scale=0.8,
                 sample_ratio=2, layout="NCHW", mode="avg")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    grid = np.clip(rand(2, 4, 5, 2), -1.3, 1.3)  # ONNX: (N, H_out, W_out, 2)
    for align in (0, 1):
        node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode="bilinear",
                                padding_mode="zeros", align_corners=align)
        want = _onnxruntime(node, x, [("grid", grid)], opset=16)
        got = kernel("image.grid_sample", [x, np.ascontiguousarray(grid.transpose(0, 3, 1, 2))],
                     method="bilinear", layout="NCHW", padding_mode="zeros",
                     align_corners=bool(align))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_run_time_check_failures_are_value_errors_and_tvm_errors():
    # 0.8's runtime raised TVMError; the fork's checks raise a ValueError that is also one
    import tvm  # pylint: disable=import-outside-toplevel

    x = relay.var("x", shape=(relay.Any(),))
    y = relay.var("y", shape=(3, 2))
    mod = tvm.IRModule.from_expr(relay.Function([x, y], relay.add(x, y)))
    run = relay.create_executor("debug", mod=mod).evaluate()
    for error in (ValueError, tvm.TVMError):
        with pytest.raises(error, match=r"input 'y' has shape \(4, 2\), but the function expects \(3, 2\)"):
            run(np.ones(1, "float32"), np.ones((4, 2), "float32"))
        with pytest.raises(error, match=r"add: operand shapes \(3,\) and \(3, 2\) do not broadcast"):
            run(np.ones(3, "float32"), np.ones((3, 2), "float32"))
