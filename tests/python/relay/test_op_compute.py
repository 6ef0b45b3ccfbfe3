"""Each op's FTVMCompute: TE tensors of the inferred shape, and values that match NumPy.

The computes are lowered with ``te.create_prim_func`` and compiled by the base's
``tvm.compile`` (no schedule: correctness only).
"""
import numpy as np
import pytest

import tvm
from tvm import relay, te
from tvm.relay.op._util import compute_of_call

RNG = np.random.default_rng(0)


def typed_call(expr):
    mod = relay.transform.InferType()(relay.IRModule.from_expr(expr))
    return mod["main"].body


def _shape(tensor):
    return tuple(int(d) for d in tensor.shape)


def run(expr, *arrays):
    """Compile the call's compute and run it on ``arrays`` (one per variable argument)."""
    call = typed_call(expr)
    inputs, outputs = compute_of_call(call)
    values = []
    supplied = iter(arrays)
    for arg in call.args:
        for leaf in arg.fields if isinstance(arg, relay.Tuple) else [arg]:
            values.append(leaf.numpy() if isinstance(leaf, relay.Constant) else next(supplied))
    func = te.create_prim_func(inputs + outputs)
    lib = tvm.compile(tvm.IRModule({"main": func}), target="llvm")
    out_bufs = [tvm.runtime.empty(_shape(o), o.dtype) for o in outputs]
    lib["main"](*[tvm.runtime.tensor(np.array(v)) for v in values], *out_bufs)
    results = [b.numpy() for b in out_bufs]
    ty = call.checked_type
    fields = ty.fields if isinstance(ty, relay.TupleType) else [ty]
    for res, field in zip(results, fields):
        assert res.shape == field.shape and str(res.dtype) == field.dtype
    return results if len(results) > 1 else results[0]


def rand(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def var(name, shape, dtype="float32"):
    return relay.var(name, shape=shape, dtype=dtype)


def conv2d_nchw_ref(x, w, stride, pad, dilation=1, groups=1):
    n, c, h, wd = x.shape
    o, ig, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[2]), (pad[1], pad[3])))
    oh = (xp.shape[2] - (kh - 1) * dilation - 1) // stride + 1
    ow = (xp.shape[3] - (kw - 1) * dilation - 1) // stride + 1
    out = np.zeros((n, o, oh, ow), "float64")
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * ig:(g + 1) * ig]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dilation:i * dilation + stride * oh:stride,
                           j * dilation:j * dilation + stride * ow:stride]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, i, j])
    return out.astype("float32")


def test_conv2d_nchw_and_nhwc_match_numpy():
    x, w = rand(1, 3, 9, 9), rand(8, 3, 3, 3)
    ref = conv2d_nchw_ref(x, w, 2, (1, 1, 0, 0))
    out = run(relay.nn.conv2d(var("x", x.shape), var("w", w.shape), strides=2, padding=(1, 1, 0, 0)), x, w)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    x_nhwc, w_hwio = x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0)
    out = run(relay.nn.conv2d(var("x", x_nhwc.shape), var("w", w_hwio.shape), strides=2,
                              padding=(1, 1, 0, 0), data_layout="NHWC", kernel_layout="HWIO"),
              x_nhwc, w_hwio)
    np.testing.assert_allclose(out, ref.transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-4)


def test_conv2d_depthwise_group_dilation_match_numpy():
    x = rand(1, 8, 7, 7)
    w = rand(8, 1, 3, 3)
    out = run(relay.nn.conv2d(var("x", x.shape), var("w", w.shape), padding=1, groups=8), x, w)
    np.testing.assert_allclose(out, conv2d_nchw_ref(x, w, 1, (1,) * 4, groups=8), rtol=1e-4, atol=1e-4)
    w_hwoi = w.transpose(2, 3, 0, 1)
    out = run(relay.nn.conv2d(var("x", (1, 7, 7, 8)), var("w", w_hwoi.shape), padding=1, groups=8,
                              data_layout="NHWC", kernel_layout="HWOI"),
              x.transpose(0, 2, 3, 1), w_hwoi)
    np.testing.assert_allclose(out, conv2d_nchw_ref(x, w, 1, (1,) * 4, groups=8).transpose(0, 2, 3, 1),
                               rtol=1e-4, atol=1e-4)
    wg = rand(4, 2, 3, 3)
    out = run(relay.nn.conv2d(var("x", x.shape), var("w", wg.shape), dilation=2, groups=4), x, wg)
    np.testing.assert_allclose(out, conv2d_nchw_ref(x, wg, 1, (0,) * 4, dilation=2, groups=4),
                               rtol=1e-4, atol=1e-4)


def test_conv2d_transpose_matches_numpy():
    x, w = rand(1, 2, 4, 4), rand(2, 3, 3, 3)  # weight (in, out, kh, kw)
    out = run(relay.nn.conv2d_transpose(var("x", x.shape), var("w", w.shape), strides=2, padding=1,
                                        output_padding=1), x, w)
    # scatter definition of the transposed convolution
    full = np.zeros((1, 3, (4 - 1) * 2 + 3 + 1, (4 - 1) * 2 + 3 + 1), "float64")
    for i in range(4):
        for j in range(4):
            full[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3] += np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    ref = full[:, :, 1:1 + 8, 1:1 + 8]
    assert out.shape == (1, 3, 8, 8)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


def test_dense_batch_matmul_bias_add_match_numpy():
    x, w = rand(2, 3, 8), rand(5, 8)
    np.testing.assert_allclose(run(relay.nn.dense(var("x", x.shape), var("w", w.shape)), x, w),
                               x @ w.T, rtol=1e-5, atol=1e-5)
    a, b = rand(2, 3, 8), rand(2, 5, 8)
    np.testing.assert_allclose(run(relay.nn.batch_matmul(var("a", a.shape), var("b", b.shape)), a, b),
                               a @ b.transpose(0, 2, 1), rtol=1e-5, atol=1e-5)
    d, bias = rand(2, 3, 4, 4), rand(3)
    np.testing.assert_allclose(run(relay.nn.bias_add(var("d", d.shape), var("b", (3,))), d, bias),
                               d + bias[:, None, None], rtol=1e-6)


def test_pools_match_numpy():
    x = rand(1, 2, 6, 6)
    out = run(relay.nn.max_pool2d(var("x", x.shape), (2, 2), (2, 2)), x)
    np.testing.assert_allclose(out, x.reshape(1, 2, 3, 2, 3, 2).max(axis=(3, 5)))
    out = run(relay.nn.avg_pool2d(var("x", x.shape), (3, 3), (3, 3)), x)
    np.testing.assert_allclose(out, x.reshape(1, 2, 2, 3, 2, 3).mean(axis=(3, 5)), rtol=1e-5)
    out = run(relay.nn.global_avg_pool2d(var("x", x.shape)), x)
    np.testing.assert_allclose(out, x.mean(axis=(2, 3), keepdims=True), rtol=1e-5)
    x_ndhwc = rand(1, 4, 4, 4, 2)
    out = run(relay.nn.max_pool3d(var("x", x_ndhwc.shape), (2, 2, 2), (2, 2, 2), layout="NDHWC"), x_ndhwc)
    np.testing.assert_allclose(out, x_ndhwc.reshape(1, 2, 2, 2, 2, 2, 2, 2).max(axis=(2, 4, 6)))


def test_softmax_batch_norm_layer_norm_match_numpy():
    x = rand(2, 5)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(run(relay.nn.softmax(var("x", x.shape)), x),
                               e / e.sum(axis=1, keepdims=True), rtol=1e-5)
    d = rand(2, 3, 2, 2)
    g, b, m, v = rand(3), rand(3), rand(3), np.abs(rand(3)) + 0.5
    args = [var(n, (3,)) for n in "gbmv"]
    out = run(relay.nn.batch_norm(var("d", d.shape), *args, epsilon=1e-3).astuple(), d, g, b, m, v)
    ref = (d - m[:, None, None]) / np.sqrt(v[:, None, None] + 1e-3) * g[:, None, None] + b[:, None, None]
    np.testing.assert_allclose(out[0], ref, rtol=1e-4, atol=1e-5)
    x3, gamma, beta = rand(2, 3, 4), rand(4), rand(4)
    out = run(relay.nn.layer_norm(var("x", x3.shape), var("g", (4,)), var("b", (4,))), x3, gamma, beta)
    ref = (x3 - x3.mean(-1, keepdims=True)) / np.sqrt(x3.var(-1, keepdims=True) + 1e-5) * gamma + beta
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


def test_transform_computes_match_numpy():
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(run(relay.reshape(var("x", x.shape), (0, -1)), x), x.reshape(2, 12))
    np.testing.assert_array_equal(run(relay.transpose(var("x", x.shape), (2, 0, 1)), x), x.transpose(2, 0, 1))
    np.testing.assert_array_equal(
        run(relay.strided_slice(var("x", x.shape), (0, 2, 3), (2, 0, 0), (1, -1, -2)), x), x[0:2, 2:0:-1, 3:0:-2])
    np.testing.assert_array_equal(
        run(relay.concatenate([var("a", x.shape), var("b", (2, 3, 1))], axis=2), x, x[:, :, :1]),
        np.concatenate([x, x[:, :, :1]], axis=2))
    idx = np.array([[2, 0], [1, 1]], "int32")
    np.testing.assert_array_equal(run(relay.take(var("x", x.shape), var("i", idx.shape, "int32"), axis=1), x, idx),
                                  np.take(x, idx, axis=1))
    parts = run(relay.split(var("x", x.shape), (1, 3), axis=2).astuple(), x)
    for got, ref in zip(parts, np.split(x, (1, 3), axis=2)):
        np.testing.assert_array_equal(got, ref)
    y = rand(2, 3)
    np.testing.assert_array_equal(run(relay.nn.pad(var("y", (2, 3)), ((1, 0), (0, 2)), 7.0), y),
                                  np.pad(y, ((1, 0), (0, 2)), constant_values=7.0))
    np.testing.assert_array_equal(run(relay.layout_transform(var("x", (1, 8, 2, 2)), "NCHW", "NCHW4c"),
                                      z := rand(1, 8, 2, 2)),
                                  z.reshape(1, 2, 4, 2, 2).transpose(0, 1, 3, 4, 2))


def test_elementwise_broadcast_and_reduce_computes_match_numpy():
    a, b = rand(2, 1, 4), rand(3, 1)
    np.testing.assert_allclose(run(relay.add(var("a", a.shape), var("b", b.shape)), a, b), a + b)
    np.testing.assert_array_equal(run(relay.less(var("a", a.shape), var("b", b.shape)), a, b), a < b)
    np.testing.assert_allclose(run(relay.sigmoid(var("a", a.shape)), a), 1 / (1 + np.exp(-a)), rtol=1e-5)
    np.testing.assert_allclose(run(relay.clip(var("a", a.shape), -0.5, 0.5), a), np.clip(a, -0.5, 0.5))
    x = rand(2, 3, 4)
    np.testing.assert_allclose(run(relay.mean(var("x", x.shape), axis=1, exclude=True), x),
                               x.mean(axis=(0, 2)), rtol=1e-5)
    np.testing.assert_allclose(run(relay.sum(var("x", x.shape), axis=(0, 2), keepdims=True), x),
                               x.sum(axis=(0, 2), keepdims=True), rtol=1e-5)
    np.testing.assert_array_equal(run(relay.argmax(var("x", x.shape), axis=2), x), x.argmax(axis=2))
    np.testing.assert_array_equal(run(relay.shape_of(var("x", x.shape)), x), np.array([2, 3, 4], "int32"))


def test_affine_grid_and_resize_match_numpy():
    theta = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], "float32")
    grid = run(relay.image.affine_grid(var("t", theta.shape), (3, 4)), theta)
    xs, ys = np.linspace(-1, 1, 4), np.linspace(-1, 1, 3)
    np.testing.assert_allclose(grid[0, 0], np.tile(xs, (3, 1)), atol=1e-6)
    np.testing.assert_allclose(grid[0, 1], np.tile(ys[:, None], (1, 4)), atol=1e-6)
    x = rand(1, 1, 2, 2)
    out = run(relay.image.resize2d(var("x", x.shape), (4, 4), method="nearest_neighbor",
                                   coordinate_transformation_mode="asymmetric"), x)
    np.testing.assert_array_equal(out, x.repeat(2, axis=2).repeat(2, axis=3))


def test_dynamic_dims_become_te_vars():
    call = typed_call(relay.nn.relu(relay.var("x", shape=(relay.Any(), 4))))
    inputs, outputs = compute_of_call(call)
    assert isinstance(inputs[0].shape[0], tvm.tirx.Var)
    assert int(outputs[0].shape[1]) == 4
    call = typed_call(relay.reshape(relay.var("x", shape=(relay.Any(), 3, 4)), (0, -1)))
    assert call.checked_type == relay.TensorType((relay.Any(), 12))
    inputs, outputs = compute_of_call(call)
    assert outputs[0].shape[0].same_as(inputs[0].shape[0]) and int(outputs[0].shape[1]) == 12
    call = typed_call(relay.reshape(relay.var("x", shape=(2, relay.Any())), (-1,)))
    assert call.checked_type == relay.TensorType((relay.Any(),))
    inputs, outputs = compute_of_call(call)
    lib = tvm.compile(tvm.IRModule({"main": te.create_prim_func(inputs + outputs)}), target="llvm")
    x = rand(2, 5)
    out = tvm.runtime.empty((10,), "float32")
    lib["main"](tvm.runtime.tensor(x), out)
    np.testing.assert_array_equal(out.numpy(), x.reshape(-1))


def test_ops_without_base_compute_are_explicit():
    # dropout is removed by SimplifyInference before lowering; trunc_divide /
    # trunc_mod have the fork's own computes (none in the base's TOPI).
    assert relay.op.get("nn.dropout").get_attr("FTVMCompute") is None
    assert relay.op.get("trunc_divide").get_attr("FTVMCompute") is not None
    assert relay.op.get("trunc_mod").get_attr("FTVMCompute") is not None


def test_more_computes_match_numpy():
    x, w = rand(1, 3, 10), rand(4, 3, 3)
    out = run(relay.nn.conv1d(var("x", x.shape), var("w", w.shape), strides=2, padding=1), x, w)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    ref = np.stack([np.einsum("ck,ock->o", xp[0, :, 2 * i:2 * i + 3], w) for i in range(5)], -1)[None]
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    y = rand(2, 3)
    np.testing.assert_allclose(run(relay.nn.l2_normalize(var("y", y.shape), 1e-8, axis=[1]), y),
                               y / np.linalg.norm(y, axis=1, keepdims=True), rtol=1e-5)
    d = rand(1, 8, 2, 2)
    ref = d.reshape(1, 2, 2, 2, 2, 2).transpose(0, 3, 4, 1, 5, 2).reshape(1, 2, 4, 4)  # DCR
    np.testing.assert_array_equal(run(relay.nn.depth_to_space(var("d", d.shape), 2), d), ref)
    data, idx = rand(3, 4, 5), np.array([[0, 2, 1], [3, 0, 3]], "int32")
    np.testing.assert_array_equal(run(relay.gather_nd(var("d", data.shape), var("i", idx.shape, "int32")), data, idx),
                                  data[idx[0], idx[1]])
    np.testing.assert_allclose(run(relay.cumsum(var("y", y.shape), axis=1), y), np.cumsum(y, axis=1), rtol=1e-6)
    # the variance op takes the data and its mean (a call built by relay.variance)
    centre = data.mean(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(run(relay.variance(var("d", data.shape), axis=(0, 2), unbiased=True), data, centre),
                               data.var(axis=(0, 2), ddof=1), rtol=1e-4)
    np.testing.assert_array_equal(run(relay.nn.mirror_pad(var("y", y.shape), ((1, 1), (2, 0)), "REFLECT"), y),
                                  np.pad(y, ((1, 1), (2, 0)), mode="reflect"))
    values, indices = run(relay.topk(var("z", (2, 6)), 3).astuple(), z := rand(2, 6))
    np.testing.assert_array_equal(indices, np.argsort(-z, axis=1)[:, :3])
    np.testing.assert_array_equal(values, -np.sort(-z, axis=1)[:, :3])


def test_scatter_and_einsum_computes_match_numpy():
    d, i, u = rand(3, 4), np.array([[1, 0, 2, 0]], "int32"), rand(1, 4)
    ref = d.copy()
    ref[i[0], np.arange(4)] = u[0]
    np.testing.assert_array_equal(
        run(relay.scatter(var("d", d.shape), var("i", i.shape, "int32"), var("u", u.shape), 0), d, i, u), ref)
    ref = d.copy()
    ref[i[0], np.arange(4)] += u[0]
    np.testing.assert_allclose(
        run(relay.scatter_add(var("d", d.shape), var("i", i.shape, "int32"), var("u", u.shape), 0), d, i, u), ref)
    ni, nu = np.array([[0, 2]], "int32"), rand(2, 4)
    ref = d.copy()
    ref[[0, 2]] = nu
    np.testing.assert_array_equal(
        run(relay.scatter_nd(var("d", d.shape), var("i", ni.shape, "int32"), var("u", nu.shape)), d, ni, nu), ref)
    a, b = rand(2, 3, 4), rand(2, 4, 5)
    np.testing.assert_allclose(
        run(relay.einsum([var("a", a.shape), var("b", b.shape)], "bij,bjk->bik"), a, b), a @ b, rtol=1e-5, atol=1e-6)


def test_layout_variants_agree_with_nchw():
    x, w = rand(1, 2, 4, 4), rand(2, 3, 3, 3)
    ref = run(relay.nn.conv2d_transpose(var("x", x.shape), var("w", w.shape), strides=2, padding=1), x, w)
    out = run(relay.nn.conv2d_transpose(var("x", (1, 4, 4, 2)), var("w", w.shape), strides=2, padding=1,
                                        data_layout="NHWC"), x.transpose(0, 2, 3, 1), w)
    np.testing.assert_allclose(out, ref.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-6)
    x3, w3 = rand(1, 2, 3, 5, 5), rand(4, 2, 3, 3, 3)
    ref = run(relay.nn.conv3d(var("x", x3.shape), var("w", w3.shape), padding=1), x3, w3)
    out = run(relay.nn.conv3d(var("x", (1, 3, 5, 5, 2)), var("w", (3, 3, 3, 2, 4)), padding=1,
                              data_layout="NDHWC", kernel_layout="DHWIO"),
              x3.transpose(0, 2, 3, 4, 1), w3.transpose(2, 3, 4, 1, 0))
    np.testing.assert_allclose(out, ref.transpose(0, 2, 3, 4, 1), rtol=1e-4, atol=1e-5)
    # direct check of one conv3d output element
    patch = np.pad(x3, ((0, 0), (0, 0), (1, 1), (1, 1), (1, 1)))[0, :, 0:3, 1:4, 2:5]
    np.testing.assert_allclose(ref[0, 1, 0, 1, 2], np.sum(patch * w3[1]), rtol=1e-4)


def test_avg_pool_padding_and_upsampling_match_numpy():
    x = rand(1, 1, 4, 4)
    with_pad = run(relay.nn.avg_pool2d(var("x", x.shape), (2, 2), (2, 2), padding=(1, 1), count_include_pad=True), x)
    without = run(relay.nn.avg_pool2d(var("x", x.shape), (2, 2), (2, 2), padding=(1, 1)), x)
    assert with_pad.shape == (1, 1, 3, 3)
    np.testing.assert_allclose(with_pad[0, 0, 0, 0], x[0, 0, 0, 0] / 4, rtol=1e-6)
    np.testing.assert_allclose(without[0, 0, 0, 0], x[0, 0, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(without[0, 0, 1, 1], x[0, 0, 1:3, 1:3].mean(), rtol=1e-6)
    np.testing.assert_array_equal(run(relay.nn.upsampling(var("x", x.shape), 2, 2), x),
                                  x.repeat(2, axis=2).repeat(2, axis=3))


def test_packed_layout_ops_match_plain_conv_and_dense():
    x, w = rand(1, 16, 6, 6), rand(16, 16, 3, 3)
    ref = conv2d_nchw_ref(x, w, 1, (1,) * 4)
    x_packed = x.reshape(1, 2, 8, 6, 6).transpose(0, 1, 3, 4, 2)  # NCHW8c
    w_packed = w.reshape(2, 8, 2, 8, 3, 3).transpose(0, 2, 4, 5, 3, 1)  # OIHW8i8o
    call = relay.nn.contrib_conv2d_nchwc(var("x", x_packed.shape), var("w", w_packed.shape), padding=1,
                                         channels=16, kernel_size=3, data_layout="NCHW8c",
                                         kernel_layout="OIHW8i8o")
    assert typed_call(call).checked_type == relay.TensorType((1, 2, 6, 6, 8))
    with tvm.target.Target("llvm"):  # topi's NCHWc compute reads the target
        out = run(call, x_packed, w_packed)
    np.testing.assert_allclose(out.transpose(0, 1, 4, 2, 3).reshape(1, 16, 6, 6), ref, rtol=1e-4, atol=1e-4)
    d, wd = rand(3, 8), rand(12, 8)
    packed = wd.reshape(3, 4, 8).transpose(0, 2, 1)  # (units // 4, in_dim, 4)
    out = run(relay.nn.contrib_dense_pack(var("d", d.shape), var("w", packed.shape), "NC4n"), d, packed)
    np.testing.assert_allclose(out, d @ wd.T, rtol=1e-5, atol=1e-5)


def test_depthwise_nchwc_matches_depthwise_nchw():
    x, w = rand(1, 16, 6, 6), rand(16, 1, 3, 3)
    ref = conv2d_nchw_ref(x, w, 2, (1,) * 4, groups=16)
    x_packed = x.reshape(1, 2, 8, 6, 6).transpose(0, 1, 3, 4, 2)
    w_packed = w.reshape(2, 8, 1, 3, 3).transpose(0, 2, 3, 4, 1)[:, :, :, :, None, :]  # OIHW1i8o
    out = run(relay.nn.contrib_depthwise_conv2d_nchwc(var("x", x_packed.shape), var("w", w_packed.shape),
                                                      strides=2, padding=1, groups=16,
                                                      kernel_layout="OIHW1i8o"), x_packed, w_packed)
    np.testing.assert_allclose(out.transpose(0, 1, 4, 2, 3).reshape(ref.shape), ref, rtol=1e-4, atol=1e-4)


def test_conv1d_and_conv3d_transpose_match_numpy():
    x, w = rand(1, 2, 4), rand(2, 3, 3)  # weight (in, out, k)
    out = run(relay.nn.conv1d_transpose(var("x", x.shape), var("w", w.shape), strides=2, padding=1), x, w)
    full = np.zeros((1, 3, (4 - 1) * 2 + 3))
    for i in range(4):
        full[:, :, 2 * i:2 * i + 3] += np.einsum("nc,cok->nok", x[:, :, i], w)
    np.testing.assert_allclose(out, full[:, :, 1:-1], rtol=1e-5, atol=1e-6)
    x3, w3 = rand(1, 2, 2, 2, 2), rand(2, 3, 2, 2, 2)
    out = run(relay.nn.conv3d_transpose(var("x", x3.shape), var("w", w3.shape), strides=2), x3, w3)
    ref = np.zeros((1, 3, 4, 4, 4))
    for d in range(2):
        for h in range(2):
            for k in range(2):
                ref[:, :, 2 * d:2 * d + 2, 2 * h:2 * h + 2, 2 * k:2 * k + 2] += np.einsum(
                    "nc,codhw->nodhw", x3[:, :, d, h, k], w3)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_collapse_sum_and_unravel_index_match_numpy():
    d = rand(2, 3, 4)
    out = run(relay.collapse_sum_like(var("d", d.shape), var("t", (3, 1))), d, np.zeros((3, 1), "float32"))
    np.testing.assert_allclose(out, d.sum(axis=(0, 2))[:, None], rtol=1e-5)
    idx, shape = np.array([5, 7, 11], "int32"), np.array([3, 4], "int32")
    out = run(relay.unravel_index(var("i", (3,), "int32"), var("s", (2,), "int32")), idx, shape)
    np.testing.assert_array_equal(out, np.stack(np.unravel_index(idx, (3, 4))))
