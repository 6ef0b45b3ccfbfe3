"""x86 schedule of conv2d_transpose (NCHW) on TensorIR.

``topi.nn.conv2d_transpose_nchw`` dilates and pads the input, flips the
kernel, then runs a stride-1 convolution; that convolution gets the NCHW
conv2d register tiling (the flipped-kernel stage is inlined into it, the
dilate+pad stage stays one parallel copy).
"""
from ..generic.schedule_utils import with_fallback
from .config import ScheduleConfig
from .tile_choice import register_tile
from .conv_common import anchor_shapes, schedule_anchor

__all__ = ["schedule_conv2d_transpose_nchw", "fallback_conv2d_transpose_nchw_config"]


def fallback_conv2d_transpose_nchw_config(op, cpu):
    """Fallback knobs: ``tile_ow`` (vector lanes), ``tile_oc``, ``unroll_kw``."""
    (_, oc, _, ow), _ = anchor_shapes(op)
    tile_ow, tile_oc = register_tile(ow, oc, cpu)
    return ScheduleConfig("conv2d_transpose_nchw", tile_oc=tile_oc, tile_ow=tile_ow,
                          unroll_kw=True, inline_pad=False)


def _plan(op, cfg, cpu):
    del op, cpu
    return {
        "spatial_tiles": [1, cfg["tile_oc"], 1, cfg["tile_ow"]],
        "vec_axis": 3,
        "unroll_reduce": bool(cfg["unroll_kw"]),
    }


@with_fallback
def schedule_conv2d_transpose_nchw(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.conv2d_transpose_nchw``.

    Also handles ``group_conv2d_transpose_nchw``.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function.
    cfg : ScheduleConfig or dict, optional
        Knob values (see :func:`fallback_conv2d_transpose_nchw_config`).
    """
    return schedule_anchor(sch, outs, ("conv2d_transpose_nchw", "group_conv2d_transpose_nchw"),
                           fallback_conv2d_transpose_nchw_config, _plan, cfg,
                           "conv2d_transpose_nchw")
