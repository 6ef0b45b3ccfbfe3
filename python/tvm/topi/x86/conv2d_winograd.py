"""Winograd conv2d for x86 (NHWC, 3x3, stride 1): compute and schedule.

F(m x m, 3 x 3) computes an ``m x m`` output tile from an ``(m + 2)^2``
input tile with ``(m + 2)^2`` multiplications per channel pair instead of
``9 m^2`` (4x fewer for ``m = 4``). The output is

    Y = A^T [ (G g G^T) . (B^T d B) ] A

summed over the input channels. Three loop nests:

* ``winograd_input``: ``V = B^T d B`` for every tile ``p`` and input
  channel, computed as two one-dimensional passes (rows, then columns:
  ``2 alpha^3`` multiply-adds instead of ``alpha^4``);
* ``winograd_batch_gemm``: ``M[e, u] = V[e, u] x U[e, u]``, one
  ``P x CI x CO`` matrix product per point ``(e, u)`` of the transformed
  tile: almost all of the work;
* ``winograd_output``: ``Y = A^T M A``, again in two passes, folded with the
  gather of the tiles into the NHWC output and the fused epilogue.

The kernel transform ``U = G g G^T`` depends on the weight only. The compute
declares it a build-time input transform (:mod:`..generic.input_transform`):
the function reads ``U`` as a parameter, already blocked as
``[alpha, alpha, CO / cb, CI, cb]`` so each vector of output channels is one
contiguous load, and the compile engine computes it once for a constant
weight. This is upstream's ``conv2d_winograd_without_weight_transform`` with
the weight transform folded at build time, without an AlterOpLayout pass.

Not a rewrite of ``topi.nn.conv2d_winograd_nhwc`` of the base: that compute
transforms the kernel inside the function and computes ``B^T d B`` in one
``alpha^4`` reduction.
"""
import dataclasses

from tvm import te, topi
from tvm.topi.nn.utils import get_pad_tuple
from tvm.topi.nn.winograd_util import winograd_transform_matrices

from ..generic.input_transform import declare_pre_transform
from ..generic.schedule_utils import (
    AnchorNotFoundError,
    all_ops,
    as_list,
    const_int,
    find_op,
    get_block,
    inline_all,
    with_fallback,
)
from ..generic.cpu_features import cpu_features
from ..generic.injective import finish_blocks
from .config import ScheduleConfig, merge_config
from .tile_choice import register_tile
from .tiling import tile_reduction

__all__ = [
    "conv2d_winograd_nhwc",
    "schedule_conv2d_winograd_nhwc",
    "winograd_applicable",
    "fallback_conv2d_winograd_nhwc_config",
    "WINOGRAD_TAG",
]

WINOGRAD_TAG = "conv2d_nhwc_winograd"


def _pair(value):
    if isinstance(value, int):
        return value, value
    value = [const_int(v) for v in value]
    return (value[0], value[0]) if len(value) == 1 else (value[0], value[1])


def winograd_applicable(data_shape, kernel_shape, strides, dilation, groups=1):
    """True when :func:`conv2d_winograd_nhwc` computes this NHWC/HWIO convolution.

    3x3 kernels, stride 1, no dilation, no groups, static shapes.
    """
    shapes = [const_int(d) for d in list(data_shape) + list(kernel_shape)]
    if None in shapes or len(kernel_shape) != 4:
        return False
    kh, kw = shapes[4], shapes[5]
    return (groups == 1 and (kh, kw) == (3, 3) and _pair(strides) == (1, 1)
            and _pair(dilation) == (1, 1))


def conv2d_winograd_nhwc(data, weight, strides, padding, dilation, out_dtype="float32",
                         tile_size=None, channel_block=8):
    """NHWC conv2d with a 3x3 HWIO kernel by Winograd F(tile_size, 3).

    Parameters
    ----------
    data : te.Tensor
        ``[N, H, W, CI]``.
    weight : te.Tensor
        ``[3, 3, CI, CO]``.
    strides, padding, dilation :
        As for ``topi.nn.conv2d_nhwc``; strides and dilation must be 1.
    out_dtype : str
    tile_size : int, optional
        Output tile ``m`` (2 or 4). 4 does fewer multiplications; 2 is closer
        to direct convolution numerically, wastes less on small planes and
        keeps the transformed kernel smaller (``(m + 2)^2 / 9`` times the
        weight). Default: 4, or 2 when the output is smaller than 8x8
        (measured here, 512 channels at 7x7: 1.5 ms with 2 against 2.0 ms
        with 4).
    channel_block : int
        Output channels per block of the transformed kernel (the vector
        width); the channels are padded to a multiple of it.

    Returns
    -------
    output : te.Tensor
        ``[N, OH, OW, CO]``, tagged ``conv2d_nhwc_winograd``. The kernel is
        read through a declared pre-transform (see the module docstring).
    """
    if not winograd_applicable(data.shape, weight.shape, strides, dilation):
        raise ValueError("conv2d_winograd_nhwc needs a 3x3 kernel with stride 1 and no dilation, "
                         f"got kernel {list(weight.shape)}, strides {strides}, dilation {dilation}")
    n, height, width, in_channels = [const_int(d) for d in data.shape]
    out_channels = const_int(weight.shape[3])
    if const_int(weight.shape[2]) != in_channels:
        raise ValueError(f"conv2d_winograd_nhwc: kernel has {weight.shape[2]} input channels, "
                         f"data has {in_channels}")
    pad_t, pad_l, pad_b, pad_r = [const_int(p) for p in get_pad_tuple(padding, (3, 3))]
    out_h = height + pad_t + pad_b - 2
    out_w = width + pad_l + pad_r - 2
    m = int(tile_size) if tile_size else (4 if min(out_h, out_w) >= 8 else 2)
    alpha = m + 2
    cb = int(channel_block)
    tiles_h, tiles_w = -(-out_h // m), -(-out_w // m)
    num_tiles = n * tiles_h * tiles_w
    co_blocks = -(-out_channels // cb)
    mat_a, mat_b, mat_g = winograd_transform_matrices(m, 3, out_dtype)

    # the kernel transform U = G g G^T, blocked by output channels
    rkh = te.reduce_axis((0, 3), name="rkh")
    rkw = te.reduce_axis((0, 3), name="rkw")

    def kernel_value(co, ci, kh, kw):
        return te.if_then_else(co < out_channels, weight[kh, kw, ci, te.min(co, out_channels - 1)],
                               te.const(0, weight.dtype)).astype(out_dtype)

    transformed = te.compute(
        (alpha, alpha, co_blocks, in_channels, cb),
        lambda e, u, cob, ci, cv: te.sum(
            kernel_value(cob * cb + cv, ci, rkh, rkw) * mat_g[e, rkh] * mat_g[u, rkw], axis=[rkh, rkw]),
        name="winograd_kernel_transform",
    )
    kernel, pre_transform_attrs = declare_pre_transform(transformed, "winograd_kernel")

    data_pad = topi.nn.pad(
        data, [0, pad_t, pad_l, 0],
        [0, tiles_h * m + 2 - height - pad_t, tiles_w * m + 2 - width - pad_l, 0],
        name="data_pad")

    def tile_origin(p):
        return p // (tiles_h * tiles_w), (p // tiles_w) % tiles_h * m, p % tiles_w * m

    rb = te.reduce_axis((0, alpha), name="rb")
    rows = te.compute(
        (alpha, alpha, num_tiles, in_channels),
        lambda a, u, p, c: te.sum(
            data_pad[tile_origin(p)[0], tile_origin(p)[1] + a, tile_origin(p)[2] + rb, c].astype(out_dtype)
            * mat_b[rb, u], axis=rb),
        name="winograd_input_rows",
    )
    ra = te.reduce_axis((0, alpha), name="ra")
    transformed_input = te.compute(
        (alpha, alpha, num_tiles, in_channels),
        lambda e, u, p, c: te.sum(mat_b[ra, e] * rows[ra, u, p, c], axis=ra),
        name="winograd_input",
    )
    rc = te.reduce_axis((0, in_channels), name="rc")
    # output channels blocked like the kernel: a register tile of several
    # blocks reads whole vectors of each
    product = te.compute(
        (alpha, alpha, num_tiles, co_blocks, cb),
        lambda e, u, p, cob, cv: te.sum(
            transformed_input[e, u, p, rc] * kernel[e, u, cob, rc, cv], axis=rc),
        name="winograd_batch_gemm",
        attrs=pre_transform_attrs,
    )
    ru = te.reduce_axis((0, alpha), name="ru")
    out_rows = te.compute(
        (alpha, m, num_tiles, out_channels),
        lambda e, vw, p, co: te.sum(product[e, ru, p, co // cb, co % cb] * mat_a[ru, vw], axis=ru),
        name="winograd_output_rows",
    )
    re_ = te.reduce_axis((0, alpha), name="re")
    inverse = te.compute(
        (m, m, num_tiles, out_channels),
        lambda vh, vw, p, co: te.sum(mat_a[re_, vh] * out_rows[re_, vw, p, co], axis=re_),
        name="winograd_output",
    )
    return te.compute(
        (n, out_h, out_w, out_channels),
        lambda b, h, w, co: inverse[h % m, w % m, b * tiles_h * tiles_w + h // m * tiles_w + w // m, co],
        name="conv2d_winograd",
        tag=WINOGRAD_TAG,
    )


def fallback_conv2d_winograd_nhwc_config(op, cpu):
    """Fallback knobs: ``tile_p`` x ``tile_co`` register tile of the batched GEMM.

    The output channels are the lanes (contiguous in the transformed kernel),
    the tiles ``p`` are broadcast.
    """
    product = _stage(op, "winograd_batch_gemm")
    _, _, num_tiles, co_blocks, block = [const_int(d) for d in product.output(0).shape]
    lanes = max(cpu.lanes, block)
    tile_co, tile_p = register_tile(co_blocks * block, num_tiles,
                                    dataclasses.replace(cpu, lanes=lanes))
    return ScheduleConfig("conv2d_winograd_nhwc", tile_p=tile_p, tile_co=tile_co)


def _stage(op, name):
    """The producer of ``op`` (transitively) called ``name``."""
    found = [stage for stage in all_ops([op.output(0)]) if stage.name == name]
    if not found:
        raise AnchorNotFoundError(f"conv2d_winograd_nhwc: no stage {name} under {op.name}")
    return found[0]


def _vectorise_tile(sch, block, outer_depth):
    """Unroll a per-tile stage's own loops with its channel axis (spatial axis 3) vectorised innermost.

    Every tile axis is unrolled, so the transform matrices fold into constants.
    """
    loops = sch.get_loops(block)[outer_depth:]
    n_spatial = sum(1 for iv in sch.get(block).iter_vars if iv.iter_type == 0)
    channel = loops[3]
    rest = [loop for k, loop in enumerate(loops) if k != 3]
    sch.reorder(*rest, channel)
    for loop in rest:
        sch.unroll(loop)
    sch.vectorize(channel)
    if len(rest) >= n_spatial:
        sch.decompose_reduction(block, rest[n_spatial - 1])


@with_fallback
def schedule_conv2d_winograd_nhwc(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is :func:`conv2d_winograd_nhwc`.

    The input transform runs per (tile, channel vector) in parallel, the batched
    GEMM is register-tiled like a dense layer, the inverse transform runs per
    output tile with the epilogue applied as it writes the output.
    """
    outs = as_list(outs)
    op = find_op(outs, (WINOGRAD_TAG,))
    if op is None:
        raise AnchorNotFoundError("schedule_conv2d_winograd_nhwc: no op tagged conv2d_nhwc_winograd")
    cpu = cpu_features()
    lanes, num_cores = cpu.lanes, cpu.num_cores
    config = merge_config(fallback_conv2d_winograd_nhwc_config(op, cpu), cfg)
    names = ["winograd_input_rows", "winograd_input", "winograd_batch_gemm",
             "winograd_output_rows", "winograd_output"]
    blocks = {name: sch.get(get_block(sch, _stage(op, name), outs)).name_hint for name in names}
    out_block = sch.get(get_block(sch, outs[0].op, outs)).name_hint
    inline_all(sch, keep=set(blocks.values()) | {out_block})

    # input transform: parallel over (tile, channel vector)
    v_block = sch.get_sblock(blocks["winograd_input"])
    e, u, p, c, ra = sch.get_loops(v_block)
    in_channels = const_int(sch.get(v_block).iter_vars[3].dom.extent)
    c_lanes = lanes if in_channels % lanes == 0 else 1
    c_out, c_in = sch.split(c, [None, c_lanes])
    sch.reorder(p, c_out, u, e, ra, c_in)
    fused = sch.fuse(p, c_out)
    sch.parallel(fused)
    # one column of the row pass at a time: a few registers, no stack buffer
    sch.compute_at(sch.get_sblock(blocks["winograd_input_rows"]), u, preserve_unit_loops=True)
    _vectorise_tile(sch, sch.get_sblock(blocks["winograd_input_rows"]), 2)
    sch.unroll(u)
    sch.unroll(e)
    sch.unroll(ra)
    sch.vectorize(c_in)
    sch.decompose_reduction(v_block, ra)

    # batched GEMM: register tile tile_p x tile_co, output channels outermost
    gemm = sch.get_sblock(blocks["winograd_batch_gemm"])
    block = const_int(sch.get(gemm).iter_vars[4].dom.extent)
    tile_reduction(sch, gemm, spatial_tiles=[1, 1, config["tile_p"], max(1, config["tile_co"] // block), block],
                   vec_axis=4, num_cores=num_cores, fuse_epilogue=False, outer_order=[0, 1, 3, 2, 4],
                   lanes=lanes)

    # inverse transform per output tile, written with the epilogue
    out = sch.get_sblock(out_block)
    m = const_int(sch.get(sch.get_sblock(blocks["winograd_output"])).iter_vars[0].dom.extent)
    b, h, w, co = sch.get_loops(out)
    out_channels = const_int(sch.get(out).iter_vars[3].dom.extent)
    co_lanes = lanes if out_channels % lanes == 0 else 1
    h_out, h_in = sch.split(h, [None, m])
    w_out, w_in = sch.split(w, [None, m])
    co_out, co_in = sch.split(co, [None, co_lanes])
    sch.reorder(b, h_out, w_out, co_out, h_in, w_in, co_in)
    fused = sch.fuse(b, h_out, w_out, co_out)
    sch.parallel(fused)
    sch.compute_at(sch.get_sblock(blocks["winograd_output"]), fused, preserve_unit_loops=True)
    sch.compute_at(sch.get_sblock(blocks["winograd_output_rows"]), fused, preserve_unit_loops=True)
    for name in ("winograd_output_rows", "winograd_output"):
        _vectorise_tile(sch, sch.get_sblock(blocks[name]), 1)
    sch.unroll(h_in)
    sch.unroll(w_in)
    sch.vectorize(co_in)
    finish_blocks(sch, done=set(blocks.values()) | {out_block}, lanes=lanes, num_cores=num_cores)
    return sch
