"""Target-independent strategies and the helpers that build strategies.

Every op strategy of the fork pairs a TE compute with a TOPI schedule from
``tvm.topi.generic`` (any target) or ``tvm.topi.x86`` (``cpu`` targets, see
:mod:`.x86`). Ops registered with only a compute get a strategy from their
fusion pattern (:func:`strategy_from_pattern`).
"""
import importlib

from ..op import OpPattern
from .strategy import OpStrategy


def topi_schedule(module_name, func_name):
    """An ``fschedule`` calling ``tvm.topi.<module_name>.<func_name>(sch, outs)``.

    The schedule module is imported on first use, so registering strategies
    costs nothing at ``import tvm.relay``.
    """

    def fschedule(attrs, sch, outs, target):  # pylint: disable=unused-argument
        module = importlib.import_module(f"tvm.topi.{module_name}")
        return getattr(module, func_name)(sch, outs)

    fschedule.__name__ = f"{module_name}.{func_name}"
    fschedule.__qualname__ = fschedule.__name__
    return fschedule


def registered_compute(op):
    """The op's own ``FTVMCompute`` as a strategy compute."""
    fcompute = op.get_attr("FTVMCompute")
    if fcompute is None:
        return None
    return fcompute


#: Generic schedule per fusion pattern, for ops that only register a compute.
_PATTERN_SCHEDULES = {
    OpPattern.ELEMWISE: "schedule_injective",
    OpPattern.BROADCAST: "schedule_injective",
    OpPattern.INJECTIVE: "schedule_injective",
    OpPattern.COMM_REDUCE: "schedule_reduce",
}


def strategy_from_pattern(op, target):  # pylint: disable=unused-argument
    """A one-implementation strategy from the op's compute and fusion pattern.

    Injective and reduction ops use ``topi.generic.schedule_injective`` /
    ``schedule_reduce``; any other op with a compute uses
    ``topi.generic.default_schedule`` (correct for every op, not tuned).
    Returns None when the op has no compute.
    """
    fcompute = registered_compute(op)
    if fcompute is None:
        return None
    pattern = op.get_attr("TOpPattern")
    schedule_name = _PATTERN_SCHEDULES.get(pattern, "default_schedule")
    strategy = OpStrategy()
    strategy.add_implementation(
        fcompute, topi_schedule("generic", schedule_name), name=f"{op.name}.generic"
    )
    return strategy
