"""x86 TOPI schedules on TensorIR (``tvm.s_tir.Schedule``).

Each ``schedule_*`` takes ``(sch, outs, cfg=None)``: ``sch`` is a schedule of
``te.create_prim_func(inputs + outs)``, ``outs`` the TE outputs of the fused
function whose anchor op the schedule is for. Knob values come from ``cfg``
when given, else from the op's ``fallback_*_config`` function.
"""
from .config import ScheduleConfig, knob
from .conv2d import (
    fallback_conv2d_nchw_config,
    fallback_conv2d_nhwc_config,
    schedule_conv2d_nchw,
    schedule_conv2d_nhwc,
    schedule_group_conv2d_nchw,
    schedule_group_conv2d_nhwc,
)
