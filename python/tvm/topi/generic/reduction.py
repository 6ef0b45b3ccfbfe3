"""Generic schedule for reductions (sum, max, min, mean, argmax, ...).

Two cases, told apart by the access pattern of the reduced input:

* the reduced axes include the input's innermost (contiguous) axis: the
  fused reduction loop is split by the vector width and ``rfactor`` turns
  the inner part into a vectorised partial-sum stage, followed by a short
  horizontal reduction;
* the input's innermost axis is kept: the reduction loops move outside the
  innermost spatial loop, which is vectorised.

In both cases the outer spatial loops are fused and parallelised.
"""
import logging

import tvm

from .schedule_utils import (
    ScheduleError,
    as_list,
    has_extern_block,
    inline_all,
    is_reduction_block,
    loop_extent,
    root_block,
    target_info,
)

__all__ = ["schedule_reduce", "schedule_reduce_block"]

logger = logging.getLogger("topi")

PARALLEL_MIN_ELEMENTS = 4096


def _innermost_read_vars(sch, block):
    """Iterator vars used by the last index of each buffer the block reads."""
    used = set()
    for region in sch.get(block).reads:
        if not region.region:
            continue
        last = region.region[-1].min
        for var in tvm.tirx.analysis.undefined_vars(last):
            used.add(var)
    return used


def _parallel(sch, loops, work, num_cores):
    if num_cores > 1 and loops and work >= PARALLEL_MIN_ELEMENTS:
        fused = sch.fuse(*loops) if len(loops) > 1 else loops[0]
        sch.parallel(fused)
        return fused
    return None


def _give_loopless_blocks_a_loop(sch):
    """Put a unit loop over every loop-less block directly under the root.

    A 0-d stage (the mean's division of a full reduction, a scalar constant)
    is a block with no loop. ``rfactor`` of a sibling reduction fails on such
    a function in the base (an internal "block_realize ==
    old_block_realize_" check); with a unit loop over the 0-d blocks it
    succeeds, and the generated code is the same.
    """
    for rv in sch.get_child_blocks(root_block(sch)):
        if not sch.get_loops(rv):
            sch.add_unit_loop(rv)


def _rfactor_lanes(sch, block, spatial, reduce_, lanes, work, num_cores):
    """Vectorised partial results over ``lanes`` lanes, then a short final sum."""
    _give_loopless_blocks_a_loop(sch)
    rloop = sch.fuse(*reduce_) if len(reduce_) > 1 else reduce_[0]
    _, ri = sch.split(rloop, [None, lanes])
    rf_block = sch.rfactor(ri, factor_axis=len(spatial))
    rf_loops = sch.get_loops(rf_block)
    # rf block loops: spatial..., ro, ri: the innermost one holds the lanes
    sch.vectorize(rf_loops[-1])
    n_sp = len(spatial)
    if n_sp:
        # the final block sums the lanes right after the partial sums
        sch.reverse_compute_at(block, rf_loops[n_sp - 1])
        _parallel(sch, list(sch.get_loops(rf_block)[:n_sp]), work, num_cores)
    return sch


def schedule_reduce_block(sch, block, lanes=None, num_cores=None):
    """Schedule one untouched reduction block (loops: spatial then reduce)."""
    if lanes is None or num_cores is None:
        lanes, num_cores = target_info()
    node = sch.get(block)
    loops = sch.get_loops(block)
    kinds = [iv.iter_type for iv in node.iter_vars]
    if len(loops) != len(kinds) or any(loop_extent(sch, l) is None for l in loops):
        if loops and kinds and kinds[0] == 0:
            sch.parallel(loops[0])
        return sch
    # loop i binds iter var i for blocks made by create_prim_func
    spatial = [l for l, k in zip(loops, kinds) if k == 0]
    reduce_ = [l for l, k in zip(loops, kinds) if k == 2]
    if len(spatial) + len(reduce_) != len(loops) or kinds != sorted(kinds):
        if spatial:
            _parallel(sch, spatial, 1 << 30, num_cores)
        return sch
    s_ext = [loop_extent(sch, l) for l in spatial]
    r_ext = [loop_extent(sch, l) for l in reduce_]
    s_total = 1
    for e in s_ext:
        s_total *= e
    r_total = 1
    for e in r_ext:
        r_total *= e
    work = s_total * r_total
    inner_vars = _innermost_read_vars(sch, block)
    spatial_vars = [iv.var for iv, k in zip(node.iter_vars, kinds) if k == 0]
    reduce_vars = [iv.var for iv, k in zip(node.iter_vars, kinds) if k == 2]
    reduces_inner = any(v in inner_vars for v in reduce_vars)
    keeps_inner = bool(spatial_vars) and spatial_vars[-1] in inner_vars and not reduces_inner

    if keeps_inner and s_ext[-1] > 1:
        # vectorise the innermost spatial loop under the reduction loops
        last = spatial[-1]
        ext = s_ext[-1]
        vec = lanes if ext % lanes == 0 else (ext if ext <= 16 else 1)
        try:
            if vec > 1 and vec < ext:
                lo, li = sch.split(last, [None, vec])
                sch.reorder(*spatial[:-1], lo, *reduce_, li)
                outer = spatial[:-1] + [lo]
            elif vec == ext:
                sch.reorder(*spatial[:-1], *reduce_, last)
                li = last
                outer = spatial[:-1]
            else:
                li = None
                outer = spatial
            # annotate first: a decomposed update block (no init) can no
            # longer be vectorised or parallelised
            if li is not None:
                sch.vectorize(li)
            _parallel(sch, outer, work, num_cores)
            if li is not None:
                sch.decompose_reduction(block, reduce_[0])
        except ScheduleError:
            pass
        return sch

    if reduces_inner and r_total >= 2 * lanes and r_total % lanes == 0 and len(reduce_) >= 1:
        # Planned on a copy first: besides ScheduleErrors, rfactor can fail
        # inside the base with an internal error that leaves the schedule
        # half-rewritten. On failure the reduction stays serial (correct).
        try:
            _rfactor_lanes(sch.copy(), block, spatial, reduce_, lanes, work, num_cores)
        except RuntimeError as err:  # ScheduleError and tvm.error.InternalError
            logger.debug("rfactor of %s failed (%s); reduction left serial",
                         node.name_hint, str(err).splitlines()[0] if str(err) else type(err).__name__)
        else:
            return _rfactor_lanes(sch, block, spatial, reduce_, lanes, work, num_cores)
    if spatial:
        try:
            _parallel(sch, spatial, work, num_cores)
        except ScheduleError:
            pass
    return sch


def schedule_reduce(sch, outs):
    """Schedule a reduction function (with injective producers/consumers).

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : te.Tensor or list of te.Tensor
        Outputs of the fused function.
    """
    from .injective import finish_blocks  # pylint: disable=import-outside-toplevel

    as_list(outs)
    if has_extern_block(sch):
        return sch
    inline_all(sch)
    lanes, num_cores = target_info()
    root = root_block(sch)
    done = []
    for block in sch.get_child_blocks(root):
        if is_reduction_block(sch, block):
            schedule_reduce_block(sch, block, lanes, num_cores)
            done.append(sch.get(block).name_hint)
    return finish_blocks(sch, done, lanes, num_cores)
