"""Blocked copies of a kernel's weight, pre-transformed at build time when constant.

The fast x86 schedules read a weight in a blocked layout (a tile of output
channels contiguous, one vector). :func:`pack_weight` makes that copy a
separate stage of the function and, when it copies a function parameter,
marks it as a *layout-rewrite* stage (MetaSchedule's
``meta_schedule.layout_rewrite_preproc`` annotation, the same one the
auto-scheduler's ``RewriteLayout`` uses). The compile engine then takes the
stage out of the kernel, which reads the parameter already blocked, and the
graph codegen transforms constant weights once at build time (a non-constant
input gets a transform kernel in the graph instead). Built on its own, e.g.
while AutoTVM measures a template, the function keeps the copy and stays
correct.
"""
import tvm

from ..generic.schedule_utils import LAYOUT_REWRITE_PREPROC, positional_index_map

__all__ = ["pack_weight"]


def _is_parameter(sch, buffer):
    return any(buffer.same_as(param) for param in sch.mod["main"].params)


def pack_weight(sch, block, read_index, index_map):
    """Copy the ``read_index``-th input of ``block`` into the layout ``index_map``.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
    block : SBlockRV
        The block reading the weight.
    read_index : int
        Index of the weight among the block's reads.
    index_map : callable
        Maps an index of the weight to its index in the blocked copy. Blocks
        that do not divide the weight are padded with zeros.

    Returns
    -------
    packed : SBlockRV
        The copy stage (annotated for pre-transformation when it copies a
        parameter and pads nothing).
    """
    source = sch.get(block).reads[read_index].source
    rank = len(source.shape)
    packed = sch.cache_read(block, read_index, "global")
    zero = tvm.tirx.const(0, source.dtype)  # int8 weights of quantized models too
    sch.transform_layout(packed, ("write", 0), positional_index_map(index_map, rank), pad_value=zero)
    stage = sch.get(packed)
    copies_in_order = len(stage.reads) == 1 and len(stage.writes) == 1
    if copies_in_order and _is_parameter(sch, source) and _is_plain_copy(stage):
        sch.annotate(packed, LAYOUT_REWRITE_PREPROC, True)
    return packed


def _is_plain_copy(stage):
    """True when the stage stores the weight element by element (no padding branch)."""
    store = stage.body
    return isinstance(store, tvm.tirx.BufferStore) and hasattr(store.value, "indices") and [
        str(i) for i in store.value.indices] == [str(iv.var) for iv in stage.iter_vars]
