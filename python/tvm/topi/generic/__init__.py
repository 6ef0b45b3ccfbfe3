"""Generic TOPI schedules on TensorIR (``tvm.s_tir.Schedule``).

Every schedule takes ``(sch, outs)``: ``sch`` is a schedule of
``te.create_prim_func(inputs + outs)`` and ``outs`` the TE outputs of the
fused function; it modifies ``sch`` in place and returns it. The generic
schedules are correct for any function and used where no target-specific
schedule exists.
"""
from .injective import (
    default_schedule,
    schedule_broadcast,
    schedule_elemwise,
    schedule_extern,
    schedule_injective,
    schedule_injective_block,
    finish_blocks,
)
from .reduction import schedule_reduce, schedule_reduce_block
from . import schedule_utils
