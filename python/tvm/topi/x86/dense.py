"""x86 schedules of dense / matmul / batch_matmul on TensorIR.

Three plans, picked by the fallback config from the shape and the layout of
the second operand ``B`` (``dense`` reads the weight as ``W[j, k]``):

``gemv`` (few rows, ``M < 16``)
    The reduction over ``k`` is split by the vector width and ``rfactor``-ed
    so each lane accumulates a contiguous slice of ``k`` of both operands;
    ``tile_n`` output columns share each load of the data row.
``packed`` (``B`` is read along ``k``, many rows)
    ``B`` is copied inside the function into ``[N/tile_n, K, tile_n]``
    blocks (upstream's ``dense_pack`` layout), so ``tile_n`` output columns
    are one contiguous vector; the output is register-tiled
    ``tile_m x tile_n``. The copy is O(N*K) against O(M*N*K) compute.
``direct`` (``B`` is already contiguous along ``j``)
    The same register tiling without the copy.
"""

from ..generic.schedule_utils import with_fallback
from ..generic.cpu_features import cpu_features
from ..generic.injective import finish_blocks
from ..generic.schedule_utils import (
    ScheduleError,
    AnchorNotFoundError,
    as_list,
    const_int,
    find_op,
    get_block,
    inline_all,
    loop_extent,
    target_info,
)
from .config import ScheduleConfig, merge_config
from .tiling import best_divisor, tile_reduction, vector_tile
from .weight_pack import pack_weight

import tvm

__all__ = ["schedule_dense", "schedule_matmul", "schedule_batch_matmul", "schedule_dense_pack",
           "schedule_dense_nopack",
           "fallback_dense_config", "GEMV_MAX_ROWS"]

# Below this many rows the weight copy of the packed plan does not pay.
GEMV_MAX_ROWS = 16


def _operands(sch, block):
    """(index of B among the block's reads, B contiguous along j?)."""
    node = sch.get(block)
    n_sp = sum(1 for iv in node.iter_vars if iv.iter_type == 0)
    jvar = node.iter_vars[n_sp - 1].var
    for idx, region in enumerate(node.reads):
        used = [set(tvm.tirx.analysis.undefined_vars(r.min)) for r in region.region]
        if any(jvar in u for u in used):
            return idx, bool(used) and jvar in used[-1]
    return None, False


def fallback_dense_config(op, cpu, b_contiguous=False):
    """Fallback knobs of the matmul-like schedules.

    ``plan`` (``"gemv"``, ``"packed"`` or ``"direct"``), ``tile_m``,
    ``tile_n``, ``tile_k`` (reduction split: the rfactor width for gemv, the
    cache block otherwise). ``tile_m`` and ``tile_n`` fill the accumulator
    registers; where the extent has no divisor near that size (a prime like
    197) the tile is kept and the schedule pads the extent up to a multiple
    of it (:func:`_pad_to_tiles`).
    """
    lanes = cpu.lanes
    shape = [const_int(s) for s in op.output(0).shape]
    m, n = shape[-2], shape[-1]
    k = const_int(op.reduce_axis[0].dom.extent)
    if m < GEMV_MAX_ROWS and not b_contiguous and k % lanes == 0:
        tile_k = 2 * lanes if k % (2 * lanes) == 0 else lanes
        return ScheduleConfig("dense", plan="gemv", tile_m=1, tile_n=best_divisor(n, 4),
                              tile_k=tile_k)
    tile_n = vector_tile(n, lanes)
    if tile_n < lanes // 2:  # no useful divisor (n = 197): pad n to whole vectors
        tile_n = lanes
    vectors = -(-tile_n // lanes)
    rows = max(1, cpu.accumulators // vectors)
    tile_m = best_divisor(m, rows)
    if tile_m < rows // 2:  # m = 197 (ViT's 196 patches + class token): pad m instead
        tile_m = min(rows, m)
    tile_k = best_divisor(k, 256) if k > 512 else 1
    plan = "direct" if b_contiguous else "packed"
    return ScheduleConfig("dense", plan=plan, tile_m=tile_m, tile_n=tile_n, tile_k=tile_k)


def _schedule_gemv(sch, block, cfg, num_cores):
    kloop = sch.get_loops(block)[-1]
    n_lead = len(sch.get_loops(block)) - 2
    _, ki = sch.split(kloop, [None, cfg["tile_k"]])
    rf = sch.rfactor(ki, factor_axis=n_lead + 1)
    # rfactor moves the original loops to the partial-sum block: re-query them
    *spatial, jloop, ko, ki = sch.get_loops(rf)
    jo, ji = sch.split(jloop, [None, cfg["tile_n"]])
    sch.reorder(*spatial, jo, ko, ji, ki)
    sch.reverse_compute_at(block, jo, preserve_unit_loops=True)
    consumers = sch.get_consumers(block)
    if len(consumers) == 1:
        try:
            sch.reverse_compute_at(consumers[0], jo, preserve_unit_loops=True)
        except ScheduleError:
            pass
    outer = [*spatial, jo]
    work = 1
    for loop in outer:
        work *= loop_extent(sch, loop)
    if num_cores > 1 and work > 1:
        fused = sch.fuse(*outer) if len(outer) > 1 else outer[0]
        sch.parallel(fused)
    sch.vectorize(ki)
    sch.unroll(ji)
    sch.decompose_reduction(rf, ko)


def _pack_b(sch, block, b_index, tile_n):
    def index_map(*idx):
        *lead, j, k = idx
        return (*lead, j // tile_n, k, j % tile_n)

    return pack_weight(sch, block, b_index, index_map)


def _pad_to_tiles(sch, block, tiles):
    """Pad the spatial extents of a matmul block up to multiples of ``tiles``; True if padded.

    Only where the best divisor of an extent is less than half the tile: a
    197x197 attention matmul would otherwise get 1x1 tiles and no vectors
    (1.5 GFLOPS). ``pad_einsum`` computes on zero-padded copies of the
    operands and copies the valid part of the result out.
    """
    node = sch.get(block)
    extents = [int(iv.dom.extent) for iv in node.iter_vars]
    multiples = [1] * len(extents)  # pad_einsum pads each axis to a multiple of this
    for axis, tile in enumerate(tiles):
        tile = int(tile)
        if tile > 1 and extents[axis] % tile and best_divisor(extents[axis], tile) < tile // 2:
            multiples[axis] = tile
    if multiples == [1] * len(extents):
        return False
    sch.pad_einsum(block, multiples)
    return True


def _schedule_matmul(sch, outs, tags, cfg, what):
    outs = as_list(outs)
    op = find_op(outs, tags)
    if op is None:
        raise AnchorNotFoundError(f"schedule for {what}: no op tagged {tags} in the function")
    if len(op.reduce_axis) != 1:
        raise ValueError(f"schedule for {what}: expected one reduction axis, got {len(op.reduce_axis)}")
    cpu = cpu_features()
    lanes, num_cores = cpu.lanes, cpu.num_cores
    block = get_block(sch, op, outs)
    name = sch.get(block).name_hint
    inline_all(sch, keep={name})
    block = sch.get_sblock(name)
    b_index, b_contiguous = _operands(sch, block)
    config = merge_config(fallback_dense_config(op, cpu, b_contiguous), cfg)
    n_sp = len(op.axis)
    plan = config["plan"]
    if plan == "gemv":
        k = const_int(op.reduce_axis[0].dom.extent)
        if k % config["tile_k"]:
            raise ValueError(f"{what}: gemv plan needs tile_k to divide K={k}")
        _schedule_gemv(sch, block, config, num_cores)
    else:
        tiles = [1] * (n_sp - 2) + [config["tile_m"], config["tile_n"]]
        padded = _pad_to_tiles(sch, block, tiles)  # before the weight copy: an einsum still
        if padded:  # the block now reads the padded operands
            block = sch.get_sblock(name)
            b_index, _ = _operands(sch, block)
        if plan == "packed":
            if b_index is None:
                raise ValueError(f"{what}: cannot find the operand indexed by the output column")
            _pack_b(sch, block, b_index, config["tile_n"])
        elif plan != "direct":
            raise ValueError(f"{what}: unknown plan {plan!r} (gemv, packed, direct)")
        # a padded result is copied out by its own (predicated) stage; folding that
        # copy into the tile's write-back would drop the predicate and write past
        # the output, so the epilogue then follows the copy instead
        tile_reduction(sch, block, tiles, vec_axis=n_sp - 1, reduce_tiles=[config["tile_k"]],
                       num_cores=num_cores, lanes=lanes, fuse_epilogue=not padded)
    finish_blocks(sch, lanes=lanes, num_cores=num_cores)
    return sch


@with_fallback
def schedule_dense(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.dense`` (or ``matmul``).

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function (dense plus bias/activation...).
    cfg : ScheduleConfig or dict, optional
        Knob values (see :func:`fallback_dense_config`).
    """
    return _schedule_matmul(sch, outs, ("dense", "matmul"), cfg, "dense")


schedule_matmul = schedule_dense


@with_fallback
def schedule_batch_matmul(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.batch_matmul``.

    Handles every ``transpose_a``/``transpose_b`` combination; the plan is
    chosen as for :func:`schedule_dense`.
    """
    return _schedule_matmul(sch, outs, ("batch_matmul",), cfg, "batch_matmul")


def _with_plan(cfg, plan):
    merged = {"plan": plan}
    if cfg is not None:
        merged.update(dict(cfg.items()) if hasattr(cfg, "items") else cfg)
    return merged


def schedule_dense_pack(sch, outs, cfg=None):
    """Upstream's ``schedule_dense_pack``: the ``packed`` plan of :func:`schedule_dense`
    (the weight is blocked inside the function)."""
    return schedule_dense(sch, outs, cfg=_with_plan(cfg, "packed"))


def schedule_dense_nopack(sch, outs, cfg=None):
    """Upstream's ``schedule_dense_nopack``: no weight copy (the ``gemv`` plan,
    or ``direct`` when the weight is already contiguous along the output columns)."""
    op = find_op(as_list(outs), ("dense", "matmul"))
    if op is None:
        raise AnchorNotFoundError("schedule_dense_nopack: no dense/matmul op in the function")
    lanes, _ = target_info()
    k = const_int(op.reduce_axis[0].dom.extent)
    plan = "gemv" if k % lanes == 0 else "direct"
    merged = _with_plan(cfg, plan)
    if plan == "gemv" and "tile_k" not in merged:
        merged["tile_k"] = lanes
    return schedule_dense(sch, outs, cfg=merged)
