"""Register tiling of a reduction block, the core of the x86 conv/dense schedules.

The tiled loop nest is::

    parallel  for outer spatial tiles (fused)
      for reduction loops (outer parts, then inner parts)
        unrolled  for inner spatial tile loops
          vectorised  for the inner tile of the vector axis
            acc[...] += ...              # acc: a small per-tile stack array
    for inner tile: out[...] = epilogue(acc[...])   # bias, activation, residual

The accumulator tile lives in registers once LLVM has unrolled and promoted
it; the epilogue of the fused function (elementwise consumers) is folded into
the write-back of the tile, so the anchor's full output is never stored.
"""
from ..generic.schedule_utils import ScheduleError, inline_epilogue, loop_extent, positional_index_map

__all__ = ["tile_reduction", "best_divisor", "vector_tile", "vector_chunk"]


def best_divisor(extent, limit, prefer_multiple_of=1):
    """Largest divisor of ``extent`` not above ``limit``.

    Divisors that are multiples of ``prefer_multiple_of`` win over larger ones
    that are not (a vector tile of 8 beats one of 14 on 8-lane hardware only
    if it also divides the extent).
    """
    limit = max(1, min(limit, extent))
    divisors = [d for d in range(1, limit + 1) if extent % d == 0]
    preferred = [d for d in divisors if d % prefer_multiple_of == 0]
    return max(preferred) if preferred else max(divisors)


def vector_tile(extent, lanes, max_vectors=2):
    """Tile of a vectorised axis: a divisor of ``extent``, ideally a multiple of ``lanes``.

    An extent not above ``lanes * max_vectors`` is taken whole (a 7- or
    14-lane vector is still one or two registers).
    """
    if extent <= lanes * max_vectors:
        return extent
    for vectors in range(max_vectors, 0, -1):
        if extent % (lanes * vectors) == 0:
            return lanes * vectors
    return best_divisor(extent, lanes * max_vectors)


def _vector_axis_innermost(sch, block, vec_axis, rank):
    """Lay the accumulator tile out with the vector axis innermost.

    The tile is indexed like the output; when the vector lanes run along an
    axis that is not the output's last (NCHW with the output channels as
    lanes), each vector of accumulators would be strided in the ``local``
    buffer. LLVM then cannot keep it in registers: with AVX-512 it emits
    scatter/gather to memory for every multiply-add (measured: 4-9 GFLOPS
    against 95 with the same tile on AVX2, where the strided vector happened
    to be scalarised and promoted). With the vector axis innermost every
    accumulator vector is one contiguous register on both ISAs.
    """
    order = [a for a in range(rank) if a != vec_axis] + [vec_axis]
    sch.transform_layout(block, ("write", 0),
                         positional_index_map(lambda *idx: tuple(idx[a] for a in order), rank))


def vector_chunk(extent, lanes):
    """Lanes of one vector instruction for a vectorised loop of ``extent``.

    LLVM turns a vector whose length is not a power of two (24, 28 or 48
    floats) into masked or scalarised memory operations: measured here, 1x1
    convolutions with a 48-lane tile (3 AVX-512 vectors) or a 24-lane one (3
    AVX2 vectors) ran at 2-3 GFLOPS against 30-140 with the same tile
    vectorised one register at a time. A loop longer than ``lanes`` is
    therefore vectorised in chunks of ``lanes`` (or, when ``lanes`` does not
    divide it, of its largest power-of-two divisor) under an unrolled loop.
    """
    if lanes is None or extent <= lanes:
        return extent
    if extent % lanes == 0:
        return lanes
    chunk = 1
    while extent % (chunk * 2) == 0 and chunk * 2 <= lanes:
        chunk *= 2
    return chunk if chunk >= 4 else extent


def _vectorize_in_chunks(sch, loop, lanes):
    """Vectorise ``loop`` one register at a time (see :func:`vector_chunk`); return the
    unrolled outer loop or None."""
    extent = loop_extent(sch, loop)
    chunk = vector_chunk(extent, lanes) if extent else None
    if chunk is None or chunk >= extent:
        sch.vectorize(loop)
        return None
    outer, inner = sch.split(loop, [None, chunk])
    sch.unroll(outer)
    sch.vectorize(inner)
    return outer


def tile_reduction(sch, block, spatial_tiles, vec_axis=None, reduce_order=None,
                   reduce_tiles=None, unroll_reduce=False, num_cores=1,
                   fuse_epilogue=True, cache_local=True, outer_order=None, lanes=None,
                   ragged_axis=None):
    """Apply register tiling to an untouched reduction block.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
    block : BlockRV
        A block made by ``te.create_prim_func``: its loops are its iterators,
        spatial ones first.
    spatial_tiles : list of int
        Inner tile of each spatial axis (1: not tiled; the extent: the whole
        axis is inner). Tiles that do not divide their extent are lowered to
        the largest divisor below them.
    vec_axis : int, optional
        Spatial axis whose inner tile is vectorised (and moved innermost). The
        write-back of the tile is vectorised too when it is the last tiled
        axis (else it is unrolled: a strided store).
    reduce_order : list of int, optional
        Order of the reduction axes (indices among the reduction axes).
    reduce_tiles : list of int, optional
        Inner split of each reduction axis (1 or 0: no split); the inner parts
        are placed after all outer parts.
    unroll_reduce : bool
        Unroll the innermost reduction loop.
    num_cores : int
        Outer tiles are fused and parallelised when there is more than one core.
    fuse_epilogue : bool
        Fold elementwise consumers into the accumulator write-back.
    cache_local : bool
        Accumulate in a per-tile buffer (needed for the epilogue fusion).
    outer_order : list of int, optional
        Order of the outer tile loops by spatial axis (default: axis order).
        Putting the output-channel axis first keeps a weight slice in cache
        while the spatial tiles that use it run.
    lanes : int, optional
        float32 lanes of the target's vectors: a vector tile longer than that
        is vectorised one register at a time (see :func:`vector_chunk`).
    ragged_axis : int, optional
        A spatial axis (not the vector axis) whose tile need not divide its
        extent: the last tile is partial (a bound test on the tile's values).
        Its tile loop runs inside the parallel loop and is unrolled, so that
        each copy's bound test is a constant (use it for a few tiles only).

    Returns
    -------
    info : dict
        ``outer`` (outer loops, before fusion), ``parallel`` (the fused loop
        or None), ``write_back`` (the write-back block or None).
    """
    node = sch.get(block)
    kinds = [iv.iter_type for iv in node.iter_vars]
    loops = sch.get_loops(block)
    n_sp = sum(1 for k in kinds if k == 0)
    if len(loops) != len(kinds) or kinds[:n_sp] != [0] * n_sp or any(k != 2 for k in kinds[n_sp:]):
        raise ValueError(f"tile_reduction expects an untouched reduction block, got {node.name_hint}")
    sp_loops, rd_loops = loops[:n_sp], loops[n_sp:]
    extents = [loop_extent(sch, l) for l in loops]
    if any(e is None for e in extents):
        raise ValueError(f"tile_reduction needs static shapes ({node.name_hint})")
    if len(spatial_tiles) != n_sp:
        raise ValueError(f"{node.name_hint}: {len(spatial_tiles)} tiles for {n_sp} spatial axes")
    # the write-back follows the output's axis order: its innermost loop is
    # the vector axis only when no later axis is tiled
    vec_is_last = vec_axis is not None and all(int(t) <= 1 for t in spatial_tiles[vec_axis + 1:])
    outer_of, inner, vec_loop = {}, [], None
    ragged = None  # the outer loop of the axis whose last tile is partial
    for axis, (loop, tile, ext) in enumerate(zip(sp_loops, spatial_tiles, extents[:n_sp])):
        tile = int(tile)
        if tile > 1 and ext % tile and axis == ragged_axis and axis != vec_axis and tile < ext:
            ragged, lin = sch.split(loop, [None, tile])
            inner.append(lin)
            continue
        if tile > 1 and ext % tile:
            tile = best_divisor(ext, tile)
        if tile <= 1:
            outer_of[axis] = loop
            continue
        if tile >= ext:
            lin = loop
        else:
            lout, lin = sch.split(loop, [None, tile])
            outer_of[axis] = lout
        if axis == vec_axis:
            vec_loop = lin
        else:
            inner.append(lin)
    axes = list(outer_order) if outer_order is not None else list(range(n_sp))
    axes += [a for a in range(n_sp) if a not in axes]
    outer = [outer_of[a] for a in axes if a in outer_of]
    if ragged is not None:  # the last outer loop, left out of the parallel fusion
        outer.append(ragged)
    r_ext = extents[n_sp:]
    order = list(reduce_order) if reduce_order is not None else list(range(len(rd_loops)))
    r_tiles = list(reduce_tiles) if reduce_tiles is not None else [1] * len(rd_loops)
    r_outer, r_inner = [], []
    for idx in order:
        loop, tile, ext = rd_loops[idx], int(r_tiles[idx] or 1), r_ext[idx]
        if tile > 1 and ext % tile:
            tile = best_divisor(ext, tile)
        if 1 < tile < ext:
            lo, li = sch.split(loop, [None, tile])
            r_outer.append(lo)
            r_inner.append(li)
        else:
            r_outer.append(loop)
    new_order = outer + r_outer + r_inner + inner + ([vec_loop] if vec_loop is not None else [])
    sch.reorder(*new_order)

    write_back = None
    if cache_local and outer and (inner or vec_loop is not None):
        # scope "global": the base lowers a small constant-size "global" buffer
        # of a CPU function to a stack array, which LLVM then keeps in registers,
        # but every "local" one to a TVMBackendAllocWorkspace call per tile, whose
        # zeroing and write-back go through memory. Measured on an AVX2 Zen 4
        # pair: 1x1 16->96 channels at 112x112 65 -> 139 GFLOPS, 24->144 at
        # 56x56 95 -> 146, 256->1024 at 14x14 107 -> 132; long reductions
        # unchanged. (A tile of more than 1 KiB, AVX-512's 24 accumulators,
        # still gets a workspace.)
        write_back = sch.cache_write(block, 0, "global")
        if vec_loop is not None and not vec_is_last:
            _vector_axis_innermost(sch, block, vec_axis, n_sp)
        if fuse_epilogue:
            inline_epilogue(sch, write_back)
        sch.reverse_compute_at(write_back, outer[-1], preserve_unit_loops=True)
    elif fuse_epilogue and outer:
        # no accumulator tile: the epilogue can still follow each outer tile
        consumers = sch.get_consumers(block)
        if len(consumers) == 1:
            try:
                sch.reverse_compute_at(consumers[0], outer[-1], preserve_unit_loops=True)
            except ScheduleError:
                pass

    parallel = None
    parallel_loops = outer[:-1] if ragged is not None else outer
    if num_cores > 1 and parallel_loops:
        parallel = sch.fuse(*parallel_loops) if len(parallel_loops) > 1 else parallel_loops[0]
        sch.parallel(parallel)
    vec_outer = _vectorize_in_chunks(sch, vec_loop, lanes) if vec_loop is not None else None
    for loop in inner:
        sch.unroll(loop)
    innermost_reduce = (r_inner or r_outer)[-1] if (r_inner or r_outer) else None
    if unroll_reduce and innermost_reduce is not None and (inner or vec_loop is not None):
        sch.unroll(innermost_reduce)
    if write_back is not None:
        wb_loops = sch.get_loops(write_back)
        n_shared = (len(sch.get_loops(block)) - len(r_outer) - len(r_inner) - len(inner)
                    - (vec_loop is not None) - (vec_outer is not None))
        own = wb_loops[n_shared:]
        if own:
            if vec_loop is not None and vec_is_last:
                _vectorize_in_chunks(sch, own[-1], lanes)
                own = own[:-1]
            for loop in own:
                if loop_extent(sch, loop) and loop_extent(sch, loop) > 1:
                    sch.unroll(loop)
    first_reduce = (r_outer or r_inner)[0] if (r_outer or r_inner) else None
    if ragged is not None:
        # one copy of the tile loop nest per tile: the bound test of each is
        # then a constant once the tile loops are unrolled too
        sch.unroll(ragged)
    if first_reduce is not None:
        sch.decompose_reduction(block, first_reduce)
    return {"outer": outer, "parallel": parallel, "write_back": write_back}
