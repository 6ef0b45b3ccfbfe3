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
from .depthwise_conv2d import (
    fallback_depthwise_conv2d_nchw_config,
    fallback_depthwise_conv2d_nhwc_config,
    schedule_depthwise_conv2d_nchw,
    schedule_depthwise_conv2d_nhwc,
)
from .conv3d import (
    fallback_conv3d_ncdhw_config,
    fallback_conv3d_ndhwc_config,
    schedule_conv3d_ncdhw,
    schedule_conv3d_ndhwc,
)
from .conv2d_transpose import fallback_conv2d_transpose_nchw_config, schedule_conv2d_transpose_nchw
from .dense import (
    fallback_dense_config,
    schedule_batch_matmul,
    schedule_dense,
    schedule_dense_nopack,
    schedule_dense_pack,
    schedule_matmul,
)
from .pooling import fallback_pool_config, schedule_adaptive_pool, schedule_global_pool, schedule_pool
from .nn import schedule_layer_norm, schedule_log_softmax, schedule_softmax
from .reduction import schedule_concatenate, schedule_injective, schedule_reduce
from ..generic.schedule_utils import target_info
from .conv2d_nchwc import conv2d_NCHWc_block_sizes, fallback_conv2d_NCHWc_config, schedule_conv2d_NCHWc
from .conv2d_int8 import conv2d_int8, conv2d_int8_applicable, schedule_conv2d_int8
from .tensor_intrin import dot_intrin_lanes, select_dot_intrin
