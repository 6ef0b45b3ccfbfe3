"""Row-wise schedule shared by softmax, log_softmax and layer_norm.

These ops are chains of reductions and elementwise stages over the trailing
axes of their input. The leading axes (the rows) are fused and parallelised
once, every stage is computed per row under that loop (the row stays in
cache between the max, exp, sum and normalise passes) and the elementwise
stages are vectorised. A reduction over one trailing axis whose length is a
multiple of the vector width is split by ``rfactor`` into a vectorised
partial reduction (one accumulator per lane) and a short final reduction
over the lanes: a scalar ``max``/``sum`` over a row of 128 is a chain of 128
dependent instructions, the vectorised one a chain of 8. When the normalised
axes are not the trailing ones the generic reduction schedule is used instead.
"""
from ..generic.injective import PARALLEL_MIN_ELEMENTS
from ..generic.reduction import schedule_reduce
from ..generic.schedule_utils import (
    ScheduleError,
    all_blocks,
    as_list,
    is_reduction_block,
    const_int,
    loop_extent,
    target_info,
)

__all__ = ["schedule_rowwise"]


def _row_layout(sch):
    """(output block, number of row axes) or None when the shape is not row-wise."""
    root = sch.get_sblock("root")
    outputs = sch.get_output_blocks(root)
    if len(outputs) != 1:
        return None
    out = outputs[0]
    if is_reduction_block(sch, out):
        return None
    n_out = len(sch.get(out).iter_vars)
    n_rows = None
    for block in all_blocks(sch):
        node = sch.get(block)
        if not is_reduction_block(sch, block):
            continue
        spatial = sum(1 for iv in node.iter_vars if iv.iter_type == 0)
        kinds = [iv.iter_type for iv in node.iter_vars]
        if kinds != sorted(kinds):
            return None
        if n_rows is None:
            n_rows = spatial
        elif n_rows != spatial:
            return None
    if n_rows is None or n_rows == 0 or n_rows >= n_out:
        return None
    return out, n_rows


def _vectorize_inner(sch, block, lanes):
    loops = sch.get_loops(block)
    if not loops:
        return
    ext = loop_extent(sch, loops[-1])
    if ext is None or ext <= 1:
        return
    try:
        if ext % lanes == 0 and ext > lanes:
            _, inner = sch.split(loops[-1], [None, lanes])
            sch.vectorize(inner)
        elif ext <= 16:
            sch.vectorize(loops[-1])
    except ScheduleError:
        pass


def _rfactor_trailing_reductions(sch, lanes):
    """Split each single-axis reduction of length ``k * lanes`` (k >= 2) with ``rfactor``.

    Returns the partial-reduction blocks (their lane axis is vectorised once
    they sit under the row loop).
    """
    partials = []
    for block in all_blocks(sch):
        if not is_reduction_block(sch, block):
            continue
        loops = sch.get_loops(block)
        kinds = [iv.iter_type for iv in sch.get(block).iter_vars]
        if kinds.count(2) != 1 or not loops:
            continue
        extent = loop_extent(sch, loops[-1])
        if extent is None or extent % lanes or extent < 2 * lanes:
            continue
        try:
            _, lane_loop = sch.split(loops[-1], [None, lanes])
            partials.append(sch.rfactor(lane_loop, factor_axis=len(kinds) - 1))
        except ScheduleError:
            continue
    return partials


def _vectorize_lane_axis(sch, block, lanes):
    """Move the partial reduction's lane loop innermost and vectorise it.

    The lane loop is the one whose variable is bound to the block's spatial
    iterator of extent ``lanes`` that ``rfactor`` added.
    """
    loops = sch.get_loops(block)
    if not loops:
        return
    realize = sch.get(loops[-1]).body
    if not hasattr(realize, "iter_values"):
        return
    lane_loop = None
    for iv, value in zip(realize.block.iter_vars, realize.iter_values):
        if iv.iter_type != 0 or const_int(iv.dom.extent) != lanes:
            continue
        for loop in loops:
            if sch.get(loop).loop_var.same_as(value):
                lane_loop = loop
    if lane_loop is None:
        return
    try:
        if not sch.get(loops[-1]).same_as(sch.get(lane_loop)):
            sch.reorder(loops[-1], lane_loop)
        sch.vectorize(lane_loop)
    except ScheduleError:
        pass


def schedule_rowwise(sch, outs):
    """Schedule a softmax/log_softmax/layer_norm-like function row by row.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function.
    """
    as_list(outs)
    layout = _row_layout(sch)
    if layout is None:
        return schedule_reduce(sch, outs)
    out, n_rows = layout
    lanes, num_cores = target_info()
    loops = sch.get_loops(out)
    if any(loop_extent(sch, l) is None for l in loops):
        return schedule_reduce(sch, outs)
    partials = _rfactor_trailing_reductions(sch, lanes)
    # the row loops' iterators must be the leading iterators of every stage
    rows = loops[:n_rows]
    row_loop = sch.fuse(*rows) if len(rows) > 1 else rows[0]
    others = [b for b in all_blocks(sch) if not sch.get(b).same_as(sch.get(out))]
    moved = []
    for block in reversed(others):
        try:
            sch.compute_at(block, row_loop, preserve_unit_loops=True)
            moved.append(block)
        except ScheduleError:
            pass
    total = 1
    for l in sch.get_loops(out):
        total *= loop_extent(sch, l)
    if num_cores > 1 and total >= PARALLEL_MIN_ELEMENTS and loop_extent(sch, row_loop) > 1:
        sch.parallel(row_loop)
    for block in moved + [out]:
        if any(sch.get(block).same_as(sch.get(p)) for p in partials):
            _vectorize_lane_axis(sch, block, lanes)
        elif not is_reduction_block(sch, block):
            _vectorize_inner(sch, block, lanes)
    # stages that could not move under the row loop still need a schedule
    from ..generic.injective import finish_blocks  # pylint: disable=import-outside-toplevel

    done = [sch.get(out).name_hint]
    finish_blocks(sch, done, lanes, num_cores)
    return sch
