"""x86 schedules of depthwise conv2d (NCHW and NHWC) on TensorIR.

Depthwise convolution has no reduction over channels, so it is bound by
memory traffic more than by FMA throughput. The register tile reuses each
loaded input row for several output rows (NCHW: ``tile_oh`` rows of
``tile_ow`` vector lanes) or each loaded kernel vector for several output
columns (NHWC: ``tile_ow`` columns of ``tile_oc`` channel lanes).
"""
from ..generic.schedule_utils import with_fallback
from .config import ScheduleConfig
from .conv_common import anchor_shapes, schedule_anchor, split_stride_layout
from .tiling import best_divisor, vector_tile

__all__ = [
    "schedule_depthwise_conv2d_nchw",
    "schedule_depthwise_conv2d_nhwc",
    "fallback_depthwise_conv2d_nchw_config",
    "fallback_depthwise_conv2d_nhwc_config",
]


def fallback_depthwise_conv2d_nchw_config(op, cpu):
    """Fallback knobs: ``tile_ow`` (vector lanes), ``tile_oh`` (rows per tile), ``tile_c`` (1)."""
    (_, _, oh, ow), _ = anchor_shapes(op)
    tile_ow = vector_tile(ow, cpu.lanes)
    vectors = -(-tile_ow // cpu.lanes)
    tile_oh = best_divisor(oh, max(1, min(4, cpu.accumulators // vectors)))
    return ScheduleConfig("depthwise_conv2d_nchw", tile_c=1, tile_oh=tile_oh, tile_ow=tile_ow,
                          unroll_kw=True, inline_pad=False)


def fallback_depthwise_conv2d_nhwc_config(op, cpu):
    """Fallback knobs: ``tile_c`` (vector lanes), ``tile_ow`` (columns per tile), ``tile_oh`` (1),
    ``inline_pad`` (True).

    The padding is read in place (a select per load) rather than copied to a
    padded buffer first: the copy is a full extra pass over the activation,
    which costs as much as the depthwise convolution itself (measured, 96
    channels at 112x112 stride 2: 0.42 against 1.0 ms; 32 channels stride 1:
    0.34 against 0.46 ms).
    """
    (_, _, ow, c), _ = anchor_shapes(op)
    tile_c = vector_tile(c, cpu.lanes)
    vectors = -(-tile_c // cpu.lanes)
    tile_ow = best_divisor(ow, max(1, min(6, cpu.accumulators // vectors)))
    return ScheduleConfig("depthwise_conv2d_nhwc", tile_c=tile_c, tile_oh=1, tile_ow=tile_ow,
                          unroll_kw=True, inline_pad=True)


def _plan_nchw(op, cfg, cpu):
    del op, cpu
    return {
        "spatial_tiles": [1, cfg["tile_c"], cfg["tile_oh"], cfg["tile_ow"]],
        "vec_axis": 3,
        "unroll_reduce": bool(cfg["unroll_kw"]),
        "prepare": lambda sch, anchor, pads: split_stride_layout(sch, anchor, pads, 3),
        "uses_pad_stage": True,
    }


def _plan_nhwc(op, cfg, cpu):
    del op, cpu
    return {
        "spatial_tiles": [1, cfg["tile_oh"], cfg["tile_ow"], cfg["tile_c"]],
        "vec_axis": 3,
        "unroll_reduce": bool(cfg["unroll_kw"]),
    }


@with_fallback
def schedule_depthwise_conv2d_nchw(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.depthwise_conv2d_nchw``.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function.
    cfg : ScheduleConfig or dict, optional
        Knob values (see :func:`fallback_depthwise_conv2d_nchw_config`).
    """
    return schedule_anchor(sch, outs, ("depthwise_conv2d_nchw",),
                           fallback_depthwise_conv2d_nchw_config, _plan_nchw, cfg,
                           "depthwise_conv2d_nchw")


@with_fallback
def schedule_depthwise_conv2d_nhwc(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.depthwise_conv2d_nhwc``.

    See :func:`schedule_depthwise_conv2d_nchw`; knobs in
    :func:`fallback_depthwise_conv2d_nhwc_config`.
    """
    return schedule_anchor(sch, outs, ("depthwise_conv2d_nhwc",),
                           fallback_depthwise_conv2d_nhwc_config, _plan_nhwc, cfg,
                           "depthwise_conv2d_nhwc")
