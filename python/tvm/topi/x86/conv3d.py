"""x86 schedules of conv3d (NCDHW and NDHWC) on TensorIR.

The same register tiling as conv2d with one more spatial and reduction axis:
NCDHW vectorises output columns against broadcast kernel values, NDHWC
vectorises output channels against broadcast inputs.
"""
from ..generic.schedule_utils import with_fallback
from .config import ScheduleConfig
from .conv2d import register_tile
from .conv_common import anchor_shapes, schedule_anchor, split_stride_layout

__all__ = ["schedule_conv3d_ncdhw", "schedule_conv3d_ndhwc",
           "fallback_conv3d_ncdhw_config", "fallback_conv3d_ndhwc_config"]


def fallback_conv3d_ncdhw_config(op, cpu):
    """Fallback knobs: ``tile_ow`` (vector lanes), ``tile_oc``, ``unroll_kw``."""
    (_, oc, _, _, ow), _ = anchor_shapes(op)
    tile_ow, tile_oc = register_tile(ow, oc, cpu)
    return ScheduleConfig("conv3d_ncdhw", tile_oc=tile_oc, tile_ow=tile_ow, unroll_kw=True,
                          inline_pad=False)


def fallback_conv3d_ndhwc_config(op, cpu):
    """Fallback knobs: ``tile_oc`` (vector lanes), ``tile_ow``, ``unroll_kw``."""
    (_, _, _, ow, oc), _ = anchor_shapes(op)
    tile_oc, tile_ow = register_tile(oc, ow, cpu)
    return ScheduleConfig("conv3d_ndhwc", tile_oc=tile_oc, tile_ow=tile_ow, unroll_kw=True,
                          inline_pad=False)


def _plan_ncdhw(op, cfg, cpu):
    del op, cpu
    return {
        "spatial_tiles": [1, cfg["tile_oc"], 1, 1, cfg["tile_ow"]],
        "vec_axis": 4,
        "unroll_reduce": bool(cfg["unroll_kw"]),
        "prepare": lambda sch, anchor, pads: split_stride_layout(sch, anchor, pads, 4),
        "uses_pad_stage": True,
    }


def _plan_ndhwc(op, cfg, cpu):
    del op, cpu
    return {
        "spatial_tiles": [1, 1, 1, cfg["tile_ow"], cfg["tile_oc"]],
        "vec_axis": 4,
        "reduce_order": [3, 0, 1, 2],  # rc, rd, ry, rx
        "unroll_reduce": bool(cfg["unroll_kw"]),
        "outer_order": [4, 0, 1, 2, 3],
    }


@with_fallback
def schedule_conv3d_ncdhw(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.conv3d_ncdhw``.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function.
    cfg : ScheduleConfig or dict, optional
        Knob values (see :func:`fallback_conv3d_ncdhw_config`).
    """
    return schedule_anchor(sch, outs, ("conv3d_ncdhw", "group_conv3d_ncdhw"),
                           fallback_conv3d_ncdhw_config, _plan_ncdhw, cfg, "conv3d_ncdhw")


@with_fallback
def schedule_conv3d_ndhwc(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.conv3d_ndhwc`` (DHWIO kernel)."""
    return schedule_anchor(sch, outs, ("conv3d_ndhwc", "group_conv3d_ndhwc"),
                           fallback_conv3d_ndhwc_config, _plan_ndhwc, cfg, "conv3d_ndhwc")
