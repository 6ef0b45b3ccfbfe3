"""``meshgrid`` (a TVM 0.8 op), composed of reshape and broadcasting.

0.8 had a dedicated operator; the same values come from existing ones: input
``i`` is reshaped to a vector along its own output axis (size-1 axes elsewhere)
and broadcast like the sum of all such vectors, which has the grid's shape.
Composing keeps the fused kernels the same as a dedicated op would give (all
broadcasts), without a new type relation and compute.
"""
from ..expr import Tuple, TupleWrapper
from ._util import as_expr


def meshgrid(data, indexing="ij"):
    """Coordinate grids from 1-d (or scalar) tensors, as ``numpy.meshgrid``.

    Parameters
    ----------
    data : list of relay.Expr
        The coordinate vectors (a scalar counts as a vector of length 1).
    indexing : str
        ``"ij"`` (matrix indexing: output axis ``k`` follows input ``k``) or
        ``"xy"`` (Cartesian: the first two axes swapped).

    Returns
    -------
    relay.TupleWrapper
        One grid per input, each of shape ``(len(data[0]), len(data[1]), ...)``
        (first two lengths swapped with ``"xy"``).
    """
    from . import transform as _transform  # pylint: disable=import-outside-toplevel

    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    inputs = [as_expr(d) for d in data]
    count = len(inputs)
    if count == 0:
        raise ValueError("meshgrid: needs at least one input")
    axes = list(range(count))
    if indexing == "xy" and count >= 2:
        axes[0], axes[1] = 1, 0
    vectors = []
    for tensor, axis in zip(inputs, axes):
        shape = [1] * count
        shape[axis] = -1
        vectors.append(_transform.reshape(tensor, shape))
    grid = vectors[0]
    for vector in vectors[1:]:
        grid = grid + vector
    outputs = [_transform.broadcast_to_like(vector, grid) for vector in vectors]
    return TupleWrapper(Tuple(outputs), count)


__all__ = ["meshgrid"]
