"""x86 schedules of softmax, log_softmax and layer_norm (upstream's ``x86/nn.py``)."""
from ..generic.schedule_utils import with_fallback
from .rowwise import schedule_rowwise

__all__ = ["schedule_softmax", "schedule_log_softmax", "schedule_layer_norm"]


@with_fallback
def schedule_softmax(sch, outs):
    """Schedule ``topi.nn.softmax`` / ``fast_softmax`` (and what is fused after it).

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function.
    """
    return schedule_rowwise(sch, outs)


@with_fallback
def schedule_log_softmax(sch, outs):
    """Schedule ``topi.nn.log_softmax``; see :func:`schedule_softmax`."""
    return schedule_rowwise(sch, outs)


@with_fallback
def schedule_layer_norm(sch, outs):
    """Schedule ``topi.nn.layer_norm``; see :func:`schedule_softmax`."""
    return schedule_rowwise(sch, outs)
