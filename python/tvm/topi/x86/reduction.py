"""x86 schedules of reductions and injective functions (the generic ones).

The generic schedules already parallelise and vectorise for the target's
width; x86 keeps upstream's names for them.
"""
from ..generic.schedule_utils import with_fallback
from ..generic.injective import schedule_injective, schedule_injective_block
from ..generic.reduction import schedule_reduce

__all__ = ["schedule_reduce", "schedule_injective", "schedule_injective_block",
           "schedule_concatenate"]


@with_fallback
def schedule_concatenate(sch, outs):
    """Schedule concatenate (injective)."""
    return schedule_injective(sch, outs)
