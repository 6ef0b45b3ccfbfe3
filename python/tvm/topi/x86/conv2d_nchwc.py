"""x86 schedule of ``topi.nn.conv2d_NCHWc`` (channel-blocked layout) on TensorIR.

The blocked layout is upstream's way to make NCHW convolution fast on x86:
data ``NCHW[x]c`` (``[N, C/ic_bn, H, W, ic_bn]``), kernel
``OIHW[x]i[y]o`` (``[OC/oc_bn, IC/ic_bn, KH, KW, ic_bn, oc_bn]``) and output
``NCHW[y]c``. The ``oc_bn`` output channels of a block are one vector,
contiguous in the output and in the kernel for every stride, and each input
value is broadcast.

How a layout pass uses it (the Relay AlterOpLayout side is not here): choose
the block sizes with :func:`conv2d_NCHWc_block_sizes`, transform the data to
``NCHW{ic_bn}c`` and the constant kernel to ``OIHW{ic_bn}i{oc_bn}o`` once at
compile time, then call, inside the target context::

    out = topi.nn.conv2d_NCHWc(data, kernel, strides, padding, dilation,
                               f"NCHW{ic_bn}c", f"NCHW{oc_bn}c", out_dtype)

and schedule the fused function with :func:`schedule_conv2d_NCHWc`.
"""
from ..generic.schedule_utils import with_fallback
from .config import ScheduleConfig
from .conv_common import anchor_shapes, schedule_anchor
from .tiling import best_divisor

__all__ = ["schedule_conv2d_NCHWc", "fallback_conv2d_NCHWc_config", "conv2d_NCHWc_block_sizes"]


def conv2d_NCHWc_block_sizes(in_channels, out_channels, lanes=None):
    """Channel block sizes ``(ic_bn, oc_bn)`` for the blocked layout.

    Each is the largest divisor of the channel count not above the vector
    width (upstream's fallback rule); ``lanes`` defaults to the current
    target's float32 lanes.
    """
    if lanes is None:
        from ..generic.schedule_utils import target_info  # pylint: disable=import-outside-toplevel

        lanes, _ = target_info()
    return best_divisor(int(in_channels), lanes), best_divisor(int(out_channels), lanes)


def fallback_conv2d_NCHWc_config(op, cpu):
    """Fallback knobs: ``tile_ow`` (output columns per register tile), ``unroll_kw``."""
    (_, _, _, ow, oc_bn), _ = anchor_shapes(op)
    vectors = -(-oc_bn // cpu.lanes)
    tile_ow = best_divisor(ow, max(1, cpu.accumulators // vectors))
    if tile_ow < 4 and ow <= 14 // vectors:
        tile_ow = ow
    return ScheduleConfig("conv2d_NCHWc", tile_ow=tile_ow, unroll_kw=True, inline_pad=False)


def _plan(op, cfg, cpu):
    del cpu
    (_, _, _, _, oc_bn), ins = anchor_shapes(op)
    ic_bn = ins[1][4] if len(ins) > 1 and len(ins[1]) == 6 else 1
    return {
        "spatial_tiles": [1, 1, 1, cfg["tile_ow"], oc_bn],
        "vec_axis": 4,
        "reduce_tiles": [ic_bn, 1, 1],  # ic -> (ic_chunk, ic_block): ic_block innermost
        "unroll_reduce": bool(cfg["unroll_kw"]),
        "outer_order": [1, 0, 2, 3],
    }


@with_fallback
def schedule_conv2d_NCHWc(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.conv2d_NCHWc``.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function.
    cfg : ScheduleConfig or dict, optional
        Knob values (see :func:`fallback_conv2d_NCHWc_config`).
    """
    return schedule_anchor(sch, outs, ("conv2d_NCHWc",), fallback_conv2d_NCHWc_config, _plan, cfg,
                           "conv2d_NCHWc")
