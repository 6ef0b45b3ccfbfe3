"""Generic schedules for injective (elementwise, broadcast, layout) functions.

Correct for any function: every block keeps its semantics, the schedule only
inlines producers into consumers and annotates loops. Spatial blocks get a
parallel fused outer loop and a vectorised inner loop when the innermost
extent allows it; reduction blocks left over go through ``schedule_reduce``'s
block rule. A function holding an extern op (sort, scan, scatter... written
with the IR builder) is left as it is: its opaque block hides its buffer
accesses, so nothing may be inlined into it or moved around it.
"""
from .schedule_utils import (
    ScheduleError,
    all_blocks,
    as_list,
    has_extern_block,
    inline_all,
    is_reduction_block,
    loop_extent,
    root_block,
    target_info,
)

__all__ = ["schedule_injective", "schedule_injective_block", "schedule_elemwise",
           "schedule_broadcast", "default_schedule", "schedule_extern", "finish_blocks"]

# Below this many elements a parallel region costs more than it saves.
PARALLEL_MIN_ELEMENTS = 4096
# Largest innermost extent vectorised in one piece when it is not a multiple of the lanes.
MAX_ODD_VECTOR = 16


def schedule_injective_block(sch, block, lanes=None, num_cores=None, parallel=True):
    """Parallelise and vectorise one spatial block whose loops are still plain.

    The innermost loop is split by the vector width when divisible (the inner
    part is vectorised); a short innermost loop (at most 16) is vectorised
    whole. The remaining outer loops are fused and parallelised when the
    block is big enough to pay for the threads.
    """
    if lanes is None or num_cores is None:
        lanes, num_cores = target_info()
    loops = sch.get_loops(block)
    if not loops:
        return sch
    extents = [loop_extent(sch, l) for l in loops]
    if any(e is None for e in extents):
        # symbolic shapes: only parallelise the outermost loop
        if parallel:
            sch.parallel(loops[0])
        return sch
    total = 1
    for e in extents:
        total *= e
    inner = extents[-1]
    outer_loops = list(loops[:-1])
    try:
        if inner % lanes == 0 and inner > lanes:
            lo, li = sch.split(loops[-1], [None, lanes])
            sch.vectorize(li)
            outer_loops.append(lo)
        elif 1 < inner <= MAX_ODD_VECTOR:
            sch.vectorize(loops[-1])
        elif inner == 1 or len(loops) == 1:
            outer_loops.append(loops[-1])
        # else: a long innermost loop of odd extent stays serial (LLVM's loop
        # vectoriser handles it); fusing it would add a division per element
    except ScheduleError:
        outer_loops = list(sch.get_loops(block))[:-1]
    if parallel and total >= PARALLEL_MIN_ELEMENTS and num_cores > 1 and outer_loops:
        try:
            fused = sch.fuse(*outer_loops) if len(outer_loops) > 1 else outer_loops[0]
            sch.parallel(fused)
        except ScheduleError:
            pass
    return sch


def finish_blocks(sch, done=(), lanes=None, num_cores=None):
    """Schedule every root-level block not in ``done`` with the generic rules.

    Used at the end of each op schedule so that stages the op schedule did not
    claim (an epilogue that could not be fused, a layout copy...) still run in
    parallel and vectorised.
    """
    from .reduction import schedule_reduce_block  # pylint: disable=import-outside-toplevel

    if lanes is None or num_cores is None:
        lanes, num_cores = target_info()
    done = set(done)
    if has_extern_block(sch):
        return sch
    root = root_block(sch)
    for block in sch.get_child_blocks(root):
        name = sch.get(block).name_hint
        if name in done:
            continue
        # Only blocks whose loops are untouched (a direct child of the root
        # with no annotated loops) are scheduled here.
        loops = sch.get_loops(block)
        if any(sch.get(l).kind != 0 for l in loops):
            continue
        if is_reduction_block(sch, block):
            schedule_reduce_block(sch, block, lanes, num_cores)
        else:
            schedule_injective_block(sch, block, lanes, num_cores)
    return sch


def schedule_injective(sch, outs):
    """Schedule an injective function (elementwise, broadcast, reshape, ...).

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : te.Tensor or list of te.Tensor
        Outputs of the fused function.

    Returns
    -------
    sch : tvm.s_tir.Schedule
        The same schedule.
    """
    as_list(outs)
    if has_extern_block(sch):
        return schedule_extern(sch, outs)
    inline_all(sch)
    return finish_blocks(sch)


schedule_elemwise = schedule_injective
schedule_broadcast = schedule_injective


def default_schedule(sch, outs, auto_inline=True):
    """A correct schedule for any function: inline, parallelise, vectorise.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule to modify in place.
    outs : te.Tensor or list of te.Tensor
        Outputs of the fused function.
    auto_inline : bool
        Inline injective producers first (upstream's argument of the same name).
    """
    as_list(outs)
    if has_extern_block(sch):
        return schedule_extern(sch, outs)
    if auto_inline:
        inline_all(sch)
    return finish_blocks(sch)


def schedule_extern(sch, outs):
    """Leave a function of extern ops (``te.extern`` / IR builder) as it is.

    Extern kernels carry their own loops; their opaque blocks declare no
    buffer access, so the schedule primitives cannot reason about them. The
    generic schedules (``default_schedule``, ``schedule_injective``,
    ``schedule_reduce``) hand such functions here.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; returned unchanged.
    outs : te.Tensor or list of te.Tensor
        Outputs of the fused function.
    """
    as_list(outs)
    return sch


