"""Workloads of TVM 0.8's auto-scheduler tests (``tvm.testing.auto_scheduler``).

Each function is registered with ``auto_scheduler.register_workload`` under the
name 0.8's tests look up, with the same arguments and the same tensors (order,
shapes, names); ``get_tiled_matmul`` gives a DAG and a hand-tiled state.
"""
import tvm
from tvm import auto_scheduler, te, topi
from tvm.topi.nn.winograd_util import winograd_transform_matrices
from tvm.topi.utils import get_const_tuple


def _matmul(a, b, name, attrs=None):
    """``a @ b`` as a TE reduction (one fresh reduction axis per product)."""
    k = te.reduce_axis((0, a.shape[1]), name="k")
    return te.compute((a.shape[0], b.shape[1]), lambda i, j: te.sum(a[i][k] * b[k][j], axis=[k]),
                      name=name, attrs=attrs)


@auto_scheduler.register_workload
def matmul_auto_scheduler_test(N, M, K):
    """``C[N, M] = A[N, K] @ B[K, M]``, ``B`` marked layout-free."""
    a = te.placeholder((N, K), name="A")
    b = te.placeholder((K, M), name="B")
    return [a, b, _matmul(a, b, "C", attrs={"layout_free_placeholders": [b]})]


@auto_scheduler.register_workload
def double_matmul_auto_scheduler_test(N):
    """``E = (A @ B) @ C`` on ``N x N`` matrices."""
    a, b, c = (te.placeholder((N, N), name=n, dtype="float32") for n in "ABC")
    return [a, b, c, _matmul(_matmul(a, b, "D"), c, "E")]


@auto_scheduler.register_workload
def parallel_matmul_auto_scheduler_test(N):
    """``D = A @ B`` and ``E = A @ C`` sharing ``A``."""
    a, b, c = (te.placeholder((N, N), name=n, dtype="float32") for n in "ABC")
    return [a, b, c, _matmul(a, b, "D"), _matmul(a, c, "E")]


@auto_scheduler.register_workload("matmul_auto_scheduler_test_rename_1")
def matmul_auto_scheduler_test_rename_0(N, M, K):
    """A matmul registered under another name than its function's."""
    a = te.placeholder((N, K), name="A")
    b = te.placeholder((K, M), name="B")
    return [a, b, _matmul(a, b, "C")]


@auto_scheduler.register_workload
def conv2d_nchw_bn_relu_auto_scheduler_test(N, H, W, CI, CO, kernel_size, strides, padding, dilation=1):
    """conv2d (NCHW) + bias + batch-norm scale/offset + relu."""
    data = te.placeholder((N, CI, H, W), name="Data")
    kernel = te.placeholder((CO, CI, kernel_size, kernel_size), name="Kernel")
    bias, bn_scale, bn_offset = (te.placeholder((CO, 1, 1), name=n) for n in ("Bias", "Bn_scale", "Bn_offset"))
    out_h = (H + 2 * padding - (kernel_size - 1) * dilation - 1) // strides + 1
    out_w = (W + 2 * padding - (kernel_size - 1) * dilation - 1) // strides + 1
    shape = (N, CO, out_h, out_w)
    conv = topi.nn.conv2d_nchw(data, kernel, strides, padding, dilation)
    conv = te.compute(shape, lambda n, c, h, w: conv[n, c, h, w] + bias[c, 0, 0], name="Bias_add")
    conv = te.compute(shape, lambda n, c, h, w: conv[n, c, h, w] * bn_scale[c, 0, 0], name="Bn_mul")
    conv = te.compute(shape, lambda n, c, h, w: conv[n, c, h, w] + bn_offset[c, 0, 0], name="Bn_add")
    return [data, kernel, bias, bn_offset, bn_scale, topi.nn.relu(conv)]


@auto_scheduler.register_workload
def max_pool2d_auto_scheduler_test(N, H, W, CI, padding):
    """2x2 max pooling, stride 1, with ``padding`` on every side."""
    data = te.placeholder((N, CI, H, W), name="Data")
    return [data, topi.nn.pool2d(data, [2, 2], [1, 1], [1, 1], [padding] * 4, "max")]


@auto_scheduler.register_workload
def min_nm_auto_scheduler_test(N, M):
    """Minimum over the last axis."""
    a = te.placeholder((N, M), name="A")
    return [a, topi.min(a, axis=-1)]


@auto_scheduler.register_workload
def softmax_nm_auto_scheduler_test(N, M):
    """Softmax over axis 1 of an ``N x M`` matrix."""
    a = te.placeholder((N, M), name="A")
    return [a, topi.nn.softmax(a, axis=1)]


@auto_scheduler.register_workload
def softmax_abcd_auto_scheduler_test(a, b, c, d):
    """Softmax over the last axis of a 4-D tensor."""
    x = te.placeholder((a, b, c, d), name="A")
    return [x, topi.nn.softmax(x, axis=-1)]


@auto_scheduler.register_workload
def invalid_compute_definition():
    """A reduction whose two reduction axes share a name (ComputeDAG must reject it)."""
    a = te.placeholder((10, 10), name="A")
    r1 = te.reduce_axis((0, 2), name="r1")
    r2 = te.reduce_axis((0, 2), name="r1")  # deliberately the same name
    return [a, te.compute((10,), lambda i: te.sum(a[i][r1 + r2], axis=[r1, r2]), name="B")]


@auto_scheduler.register_workload
def zero_rank_reduce_auto_scheduler_test(N):
    """The sum of a vector into a 0-d tensor."""
    a = tvm.te.placeholder((N,), name="A")
    k = tvm.te.reduce_axis((0, N), name="k")
    return [a, tvm.te.compute((), lambda: tvm.te.sum(a[k], k), name="B")]


@auto_scheduler.register_workload
def zero_rank_compute_auto_scheduler_test(N):
    """The first element of a vector as a 0-d tensor."""
    a = tvm.te.placeholder((N,), name="A")
    return [a, tvm.te.compute((), lambda: a[0], name="B")]


@auto_scheduler.register_workload
def conv2d_winograd_nhwc_auto_scheduler_test(N, H, W, CI, CO, kernel_size=3, stride=1, padding=0, dilation=1):
    """Winograd F(4x4, 3x3) conv2d in NHWC with a pre-transformed kernel
    ``weight[alpha, alpha, CI, CO]`` (stride 1, no dilation).

    As in 0.8 the input tiles are read from ``data_pad`` without a bound check.
    0.8's TE lowering grew ``data_pad`` to what the tiles read; a TensorIR
    function keeps its declared shape, so give sizes whose output is a whole
    number of 4x4 tiles when running it."""
    tile = 4
    inputs = te.placeholder((N, H, W, CI), name="inputs")
    N, H, W, CI = get_const_tuple(inputs.shape)
    dil = (dilation, dilation) if isinstance(dilation, int) else tuple(dilation)
    strides = (stride, stride) if isinstance(stride, int) else tuple(stride)
    if dil != (1, 1) or strides != (1, 1):
        raise ValueError("conv2d_winograd_nhwc_auto_scheduler_test: stride 1 and no dilation only")
    pad_h, pad_w, _, _ = topi.nn.get_pad_tuple(padding, (kernel_size, kernel_size))
    data_pad = topi.nn.pad(inputs, (0, pad_h, pad_w, 0), (0, pad_h, pad_w, 0), name="data_pad")

    alpha = tile + kernel_size - 1
    mat_a, mat_b, _ = winograd_transform_matrices(tile, kernel_size, "float32")
    out_h = H + 2 * pad_h - kernel_size + 1
    out_w = W + 2 * pad_w - kernel_size + 1
    tiles_h, tiles_w = (out_h + tile - 1) // tile, (out_w + tile - 1) // tile
    num_tiles = N * tiles_h * tiles_w
    kernel_pack = te.placeholder((alpha, alpha, CI, CO), inputs.dtype, name="weight")
    div, mod = te.indexdiv, te.indexmod

    input_tile = te.compute(
        (alpha, alpha, num_tiles, CI),
        lambda eps, nu, p, ci: data_pad[div(p, tiles_h * tiles_w)][mod(div(p, tiles_w), tiles_h) * tile + eps][
            mod(p, tiles_w) * tile + nu][ci],
        name="input_tile")
    r_a = te.reduce_axis((0, alpha), "r_a")
    r_b = te.reduce_axis((0, alpha), "r_b")
    data_pack = te.compute(
        (alpha, alpha, num_tiles, CI),
        lambda eps, nu, p, ci: te.sum(input_tile[r_a][r_b][p][ci] * mat_b[r_a][eps] * mat_b[r_b][nu],
                                      axis=[r_a, r_b]),
        name="data_pack",
        attrs={"auto_scheduler_simplify_const_tensor_indices": ["eps", "nu", "r_a", "r_b"]})
    ci = te.reduce_axis((0, CI), name="ci")
    bgemm = te.compute(
        (alpha, alpha, num_tiles, CO),
        lambda eps, nu, p, co: te.sum(data_pack[eps][nu][p][ci] * kernel_pack[eps][nu][ci][co], axis=[ci]),
        name="bgemm")
    r_a = te.reduce_axis((0, alpha), "r_a")
    r_b = te.reduce_axis((0, alpha), "r_b")
    inverse = te.compute(
        (tile, tile, num_tiles, CO),
        lambda vh, vw, p, co: te.sum(bgemm[r_a][r_b][p][co] * mat_a[r_a][vh] * mat_a[r_b][vw], axis=[r_a, r_b]),
        name="inverse",
        attrs={"auto_scheduler_simplify_const_tensor_indices": ["vh", "vw", "r_a", "r_b"]})
    output = te.compute(
        (N, out_h, out_w, CO),
        lambda n, h, w, co: inverse[mod(h, tile), mod(w, tile),
                                    n * tiles_h * tiles_w + div(h, tile) * tiles_w + div(w, tile), co],
        name="conv2d_winograd")
    return [inputs, kernel_pack, output]


def get_tiled_matmul():
    """A 512^3 matmul's ComputeDAG and a state with both spatial loops split
    four ways (inner factors [4, 8, 8] and [8, 4, 4]) and the tiles interleaved.

    0.8 built the state with its loop-state API (``state.split``,
    ``state.reorder``); the fork's states are TensorIR traces, so the same
    tiling is recorded by a ``tvm.s_tir.Schedule`` and its trace is returned.
    """
    a, b, c = matmul_auto_scheduler_test(512, 512, 512)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    sch = tvm.s_tir.Schedule(dag.mod)
    i, j, k = sch.get_loops(sch.get_sblock(c.op.name))
    rows = sch.split(i, [None, 4, 8, 8])
    cols = sch.split(j, [None, 8, 4, 4])
    sch.reorder(*[loop for pair in zip(rows, cols) for loop in pair], k)
    return dag, sch.trace
