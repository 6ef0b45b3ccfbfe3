"""x86 schedules of pooling on TensorIR.

Windowed pooling (``pool2d``/``pool1d``/``pool3d``, max or avg) is a small
reduction per output: the output's innermost axis is vectorised (columns for
NCHW-like layouts, whose padded input is stored de-interleaved by the stride;
channels for NHWC-like layouts) with the window loops outside it, and the
average's division is folded into the write-back. Global and adaptive pooling
reduce whole planes and use the generic reduction schedule.
"""
from ..generic.schedule_utils import with_fallback
from ..generic.reduction import schedule_reduce
from .config import ScheduleConfig
from .conv_common import anchor_shapes, schedule_anchor, split_stride_layout
from .tiling import best_divisor, vector_tile

__all__ = ["schedule_pool", "schedule_adaptive_pool", "schedule_global_pool",
           "fallback_pool_config"]


def _is_window_pool(tag):
    return tag in ("pool_max", "pool_sum")


def fallback_pool_config(op, cpu):
    """Fallback knobs: ``tile_inner`` (vector lanes on the output's last axis),
    ``tile_rows`` (outputs of the axis before it sharing a tile)."""
    out, _ = anchor_shapes(op)
    tile_inner = vector_tile(out[-1], cpu.lanes)
    vectors = -(-tile_inner // cpu.lanes)
    tile_rows = best_divisor(out[-2], max(1, 4 // vectors)) if len(out) >= 2 else 1
    return ScheduleConfig("pool", tile_inner=tile_inner, tile_rows=tile_rows, inline_pad=False)


def _plan(op, cfg, cpu):
    del cpu
    rank = len(op.axis)
    tiles = [1] * rank
    tiles[-1] = cfg["tile_inner"]
    if rank >= 2:
        tiles[-2] = cfg["tile_rows"]
    return {
        "spatial_tiles": tiles,
        "vec_axis": rank - 1,
        "unroll_reduce": True,
        "prepare": lambda sch, anchor, pads: split_stride_layout(sch, anchor, pads, rank - 1),
        "uses_pad_stage": True,
    }


@with_fallback
def schedule_pool(sch, outs, layout="NCHW", cfg=None):
    """Schedule a fused function whose anchor is a windowed pool (max or avg).

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function.
    layout : str
        Data layout (kept for the upstream signature: the vectorised axis is
        always the output's innermost one, whatever the layout).
    cfg : ScheduleConfig or dict, optional
        Knob values (see :func:`fallback_pool_config`).
    """
    del layout
    return schedule_anchor(sch, outs, _is_window_pool, fallback_pool_config, _plan, cfg, "pool")


@with_fallback
def schedule_adaptive_pool(sch, outs):
    """Schedule global/adaptive pooling (a plain reduction schedule)."""
    return schedule_reduce(sch, outs)


schedule_global_pool = schedule_adaptive_pool


