"""Choice of the register tile of the x86 conv-like schedules.

A register tile is ``vectors`` vector registers of output values along the
vectorised axis (output channels, mostly) times ``other`` values along a
broadcast axis (output columns): each step of the reduction loads the
``vectors`` weight vectors and ``other`` input values once and issues one FMA
per accumulator. :func:`fma_efficiency` models how much of the FMA units'
peak a tile can use; :func:`register_tile` and :func:`register_tile_ragged`
pick the tile of a layer from it and from the target's lanes and registers
(:class:`~tvm.topi.generic.cpu_features.CPUFeatures`).
"""
from .tiling import best_divisor

__all__ = ["fma_efficiency", "register_tile", "register_tile_ragged"]

#: FMA units and their latency in cycles (Haswell to Sapphire Rapids, Zen 2 to 4),
#: and vector loads per cycle
FMA_PORTS, FMA_LATENCY, LOAD_PORTS = 2, 4, 2


def fma_efficiency(vectors, other, registers=None):
    """Share of the FMA units' peak a ``vectors`` x ``other`` accumulator tile can use.

    Each step of the reduction issues ``vectors * other`` FMAs and loads
    ``vectors`` weight vectors and ``other`` broadcast values; when the
    accumulators, the weight vectors and a broadcast value do not fit in the
    ``registers`` vector registers, every FMA reloads its weight vector
    instead. A step takes at least the issue time of its FMAs, the FMA latency
    (each accumulator waits for its previous FMA) and the time of its loads.
    Fewer than ``FMA_PORTS * FMA_LATENCY`` = 8 accumulators leave the units
    idle: measured on an AVX2 Zen 4 pair, 3x3 and 1x1 convolutions with 7
    output columns ran at 125-139 GFLOPS with a 1 x 7 tile and at 160 with 8
    columns and a 2 x 4 one; at 14 columns a 4 x 2 tile beat 1 x 7 (154
    against 137), and a 4 x 3 tile (17 registers) lost to 2 x 4.
    """
    accumulators = vectors * other
    loads = vectors + other
    if registers is not None and accumulators + vectors + 1 > registers:
        loads = accumulators + other
    issue = accumulators / FMA_PORTS
    return issue / max(issue, FMA_LATENCY, loads / LOAD_PORTS)


def _lane_tile_choices(extent, lanes, max_vectors=3):
    """Candidate tiles of a vectorised axis and the registers each needs."""
    choices = []
    for tile in sorted({best_divisor(extent, lanes * k, lanes) for k in range(1, max_vectors + 1)} | (
            {extent} if extent <= 2 * lanes else set())):
        if tile <= 1 and extent > 1:
            continue
        choices.append((tile, -(-tile // lanes)))
    return choices or [(1, 1)]


def _tile_efficiency(vec_tile, vectors, other, cpu):
    useful = vec_tile / (vectors * cpu.lanes)
    return round(fma_efficiency(vectors, other, cpu.vector_registers) * useful, 3)


def register_tile(vec_extent, other_extent, cpu):
    """Pick (vector-axis tile, broadcast-axis tile), both dividing their axes.

    ``cpu`` gives the lanes of a vector and how many accumulator vectors fit
    in its registers (12 with AVX2's 16, 24 with AVX-512's 32). The tile of up
    to 3 vectors with the most useful lanes (more reuse of each load; full
    vectors preferred) is taken unless it leaves the FMA units idle: when
    another tile of up to 4 vectors, with any divisor of the broadcast axis,
    has a higher :func:`fma_efficiency` (times the share of useful lanes), the
    most efficient one is taken (e.g. 4 x 2 instead of 1 x 7 for 14 output
    columns with AVX2).
    """
    lanes, max_acc = cpu.lanes, cpu.accumulators
    best = None
    for vec_tile, vectors in _lane_tile_choices(vec_extent, lanes):
        other = best_divisor(other_extent, max(1, max_acc // vectors))
        useful = vec_tile * other
        waste = vectors * lanes - vec_tile
        key = (useful - waste * other, vec_tile)
        if best is None or key > best[0]:
            best = (key, vec_tile, other, _tile_efficiency(vec_tile, vectors, other, cpu))
    _, vec_tile, other, efficiency = best
    busiest = None
    for tile, vectors in _lane_tile_choices(vec_extent, lanes, max_vectors=4):
        limit = max(1, max_acc // vectors)
        for count in (d for d in range(1, limit + 1) if other_extent % d == 0):
            key = (_tile_efficiency(tile, vectors, count, cpu), tile * count, tile)
            if busiest is None or key > busiest[0]:
                busiest = (key, tile, count)
    if busiest[0][0] > efficiency:
        return busiest[1], busiest[2]
    return vec_tile, other


def register_tile_ragged(vec_extent, other_extent, cpu, max_tiles=2):
    """:func:`register_tile`, or a broadcast-axis tile that does not divide its axis.

    For a prime extent such as 7 output columns the only divisor tiles are
    1 x 7 columns (7 accumulators, latency-bound) or single columns. A tile of
    4 columns runs the axis as one tile of 4 and one of 3; the schedule
    unrolls the tile loop (at most ``max_tiles`` tiles, each a copy of the
    reduction loop nest) so that the bound test of the partial tile is a
    constant. The mean efficiency over the columns decides, ties going to the
    tile whose partial part is the more efficient. Measured on an AVX2 Zen 4
    pair, 512 channels at 7x7: 1 x 7 columns 86-92 GFLOPS, 2 x (4 + 3)
    108-123, 4 x (2 + 2 + 2 + 1) 95-113 (twice the weight vectors per FMA,
    four copies of the loop nest).

    Returns
    -------
    (vec_tile, other_tile, ragged) : (int, int, bool)
    """
    vec_tile, other = register_tile(vec_extent, other_extent, cpu)
    vectors = -(-vec_tile // cpu.lanes)
    best = ((_tile_efficiency(vec_tile, vectors, other, cpu), 1.0), vec_tile, other, False)
    for tile, vectors in _lane_tile_choices(vec_extent, cpu.lanes, max_vectors=4):
        for count in range(2, max(1, cpu.accumulators // vectors) + 1):
            full, rest = divmod(other_extent, count)
            if not rest or full == 0 or full + 1 > max_tiles:
                continue
            rest_efficiency = _tile_efficiency(tile, vectors, rest, cpu)
            mean = (full * count * _tile_efficiency(tile, vectors, count, cpu)
                    + rest * rest_efficiency) / other_extent
            key = (round(mean, 2), rest_efficiency)
            if key > best[0]:
                best = (key, tile, count, True)
    return best[1], best[2], best[3]
