"""NumPy reference functions of TVM 0.8's ``tvm.topi.testing`` that the base
wheel lacks or that fail on NumPy 2.

The base's ``depth_to_space_python``, ``space_to_depth_python``,
``space_to_batch_nd_python`` and ``batch_to_space_nd_python`` call
``np.reshape(a, newshape=...)``, a keyword NumPy 2.4 removed, so they raise
``TypeError`` before computing anything. This module holds the fork's own
implementations with 0.8's signatures and results, and
``grid_sample_nchw_python`` (0.8's name; the base only has the general
``grid_sample_python``). :func:`install` puts them into ``tvm.topi.testing``
when that package is imported (the ``topi_testing_v08`` patch of
:mod:`tvmfork.compat`), so 0.8 test files that call
``tvm.topi.testing.depth_to_space_python(...)`` run unchanged.
"""
import numpy as np

#: The functions :func:`install` sets on ``tvm.topi.testing`` (replacing the base's).
REPLACED = (
    "depth_to_space_python",
    "space_to_depth_python",
    "space_to_batch_nd_python",
    "batch_to_space_nd_python",
)
#: 0.8 names the base does not have at all.
ADDED = ("grid_sample_nchw_python",)


def depth_to_space_python(data, block_size, mode="DCR"):
    """Move ``block_size x block_size`` groups of channels of NCHW ``data`` into
    space: the result is ``(n, c / block_size^2, h * block_size, w * block_size)``.

    ``mode="DCR"`` (depth-column-row, TensorFlow's order) takes the block offset
    from the outer part of the channel index, any other mode (``"CRD"``,
    PyTorch's ``pixel_shuffle``) from the inner part."""
    n, c, h, w = data.shape
    b = int(block_size)
    out_c = c // (b * b)
    if mode == "DCR":
        # channel index = (row_offset * b + col_offset) * out_c + out_channel
        blocks = data.reshape(n, b, b, out_c, h, w)
        moved = blocks.transpose(0, 3, 4, 1, 5, 2)
    else:
        # "CRD", and any other string, as 0.8's reference did (its tests pass "CDR"):
        # channel index = out_channel * b * b + row_offset * b + col_offset
        blocks = data.reshape(n, out_c, b, b, h, w)
        moved = blocks.transpose(0, 1, 4, 2, 5, 3)
    return moved.reshape(n, out_c, h * b, w * b)


def space_to_depth_python(data, block_size):
    """The inverse of ``depth_to_space_python`` in DCR mode, for NCHW ``data``:
    ``(n, c * block_size^2, h / block_size, w / block_size)``, the block offset
    in the outer part of the output channel index."""
    n, c, h, w = data.shape
    b = int(block_size)
    tiles = data.reshape(n, c, h // b, b, w // b, b)
    moved = tiles.transpose(0, 3, 5, 1, 2, 4)
    return moved.reshape(n, c * b * b, h // b, w // b)


def space_to_batch_nd_python(data, block_shape, pad_before, pad_after, pad_value=0):
    """TensorFlow's ``space_to_batch_nd`` for ``data`` of shape
    ``(batch, spatial..., remaining...)`` with ``len(block_shape)`` spatial axes.

    The spatial axes are padded (``pad_before`` / ``pad_after`` with
    ``pad_value``), each is split into ``(size / block, block)``, and the block
    offsets move in front of the batch axis: the result is
    ``(batch * prod(block_shape), padded_1 / block_1, ..., remaining...)``."""
    block_shape = [int(b) for b in block_shape]
    m = len(block_shape)
    widths = [(0, 0)] + [(int(lo), int(hi)) for lo, hi in zip(pad_before, pad_after)]
    widths += [(0, 0)] * (data.ndim - 1 - m)
    padded = np.pad(data, widths, mode="constant", constant_values=pad_value)
    batch = padded.shape[0]
    rest = list(padded.shape[1 + m:])
    split = [batch]
    for axis, block in enumerate(block_shape):
        split += [padded.shape[1 + axis] // block, block]
    split += rest
    tiles = padded.reshape(split)
    block_axes = [2 + 2 * i for i in range(m)]
    outer_axes = [1 + 2 * i for i in range(m)]
    rest_axes = list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    moved = tiles.transpose(block_axes + [0] + outer_axes + rest_axes)
    out_shape = [batch * int(np.prod(block_shape))]
    out_shape += [padded.shape[1 + axis] // block for axis, block in enumerate(block_shape)]
    return moved.reshape(out_shape + rest)


def batch_to_space_nd_python(data, block_shape, crop_begin_list, crop_end_list):
    """TensorFlow's ``batch_to_space_nd``, the inverse of
    ``space_to_batch_nd_python``: the batch axis of ``data`` is split into
    ``(block_1, ..., block_m, batch / prod(block_shape))``, each block offset is
    interleaved with its spatial axis, and each spatial axis is then cropped by
    ``crop_begin_list[i]`` at the start and ``crop_end_list[i]`` at the end."""
    block_shape = [int(b) for b in block_shape]
    m = len(block_shape)
    batch = data.shape[0] // int(np.prod(block_shape))
    spatial = list(data.shape[1:1 + m])
    rest = list(data.shape[1 + m:])
    tiles = data.reshape(block_shape + [batch] + spatial + rest)
    # axes of tiles: blocks 0..m-1, batch m, spatial m+1..2m, rest 2m+1..
    order = [m]
    for i in range(m):
        order += [m + 1 + i, i]
    order += list(range(2 * m + 1, 2 * m + 1 + len(rest)))
    moved = tiles.transpose(order)
    full = moved.reshape([batch] + [s * b for s, b in zip(spatial, block_shape)] + rest)
    index = [slice(None)]
    for i in range(m):
        index.append(slice(int(crop_begin_list[i]), full.shape[1 + i] - int(crop_end_list[i])))
    return full[tuple(index)]


def grid_sample_nchw_python(data, grid, method="bilinear"):
    """0.8's ``grid_sample_nchw_python``: bilinear sampling of NCHW ``data`` at
    the normalised ``(x, y)`` positions of ``grid`` (``(n, 2, out_h, out_w)``),
    ``-1`` and ``1`` being the centres of the corner pixels (align_corners) and
    samples outside the image counting as zeros."""
    if method != "bilinear":
        raise ValueError(f"grid_sample_nchw_python: only bilinear, got {method!r}")
    n, c, h, w = data.shape
    x = (grid[:, 0].astype(np.float64) + 1.0) * (w - 1) / 2.0
    y = (grid[:, 1].astype(np.float64) + 1.0) * (h - 1) / 2.0
    x0 = np.floor(x).astype(np.int64)
    y0 = np.floor(y).astype(np.int64)
    out = np.zeros((n, c) + x.shape[1:], dtype=np.float64)
    batch = np.arange(n)[:, None, None]
    for dy in (0, 1):
        for dx in (0, 1):
            yy, xx = y0 + dy, x0 + dx
            weight = (1.0 - np.abs(y - yy)) * (1.0 - np.abs(x - xx))
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            values = data[batch, :, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
            # values: (n, out_h, out_w, c)
            values = np.moveaxis(values, -1, 1)
            out += values * (weight * inside)[:, None]
    return out.astype(data.dtype)


def install(module):
    """Set the functions of :data:`REPLACED` and :data:`ADDED` on the
    ``tvm.topi.testing`` package ``module`` (and the replaced ones on the
    base's submodules that define them, for ``from ... import`` users)."""
    import sys  # pylint: disable=import-outside-toplevel

    for name in REPLACED + ADDED:
        setattr(module, name, globals()[name])
    for name in REPLACED:
        sub = sys.modules.get(f"{module.__name__}.{name[: -len('_python')]}")
        if sub is not None and hasattr(sub, name):
            setattr(sub, name, globals()[name])
