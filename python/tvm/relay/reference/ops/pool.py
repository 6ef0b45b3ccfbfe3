"""NumPy reference kernels of Relay's pooling and space-rearranging operators.

Max/average pools of rank 1-3 in any layout with unsplit spatial axes
(padding, dilation, ``ceil_mode``, ``count_include_pad``), adaptive and global
pools, ``depth_to_space`` / ``space_to_depth``. Registered on import of
:mod:`tvm.relay.reference.ops`.
"""
import numpy as np

from .common import attr, contiguous, int_tuple, pad_pairs, sliding_windows
from .layout import convert_layout, parse_layout
from .registry import register_kernel


# ----------------------------------------------------------------------- pools
def _spatial_axes(layout, nspatial):
    tokens = parse_layout(layout)
    names = [a for a, _ in tokens]
    spatial = [a for a in "DHW" if a in names][-nspatial:]
    if len(spatial) != nspatial or any(a.lower() in names for a in spatial):
        raise ValueError(f"pooling layout {layout!r} needs unsplit {nspatial}-d spatial axes")
    return [names.index(a) for a in spatial]


def _pool(attrs, x, nspatial, default_layout, kind):
    layout = attr(attrs, "layout", default_layout)
    axes = _spatial_axes(layout, nspatial)
    kernel = int_tuple(attr(attrs, "pool_size"), nspatial, "pool_size")
    strides = int_tuple(attr(attrs, "strides", 1), nspatial, "strides")
    dilation = int_tuple(attr(attrs, "dilation", 1), nspatial, "dilation")
    before, after = pad_pairs(attr(attrs, "padding", 0), nspatial)
    ceil_mode = bool(attr(attrs, "ceil_mode", False))
    other = [a for a in range(x.ndim) if a not in axes]
    # Spatial axes last; leading axes flattened into one batch of channels.
    moved = np.transpose(x, other + axes)
    lead = moved.shape[: len(other)]
    sizes = moved.shape[len(other) :]
    data = moved.reshape((1, -1) + sizes)
    out_sizes, extra = [], []
    for size, k, s, d, b, a in zip(sizes, kernel, strides, dilation, before, after):
        span = (k - 1) * d + 1
        total = size + b + a - span
        out = (total + s - 1) // s + 1 if ceil_mode else total // s + 1
        if ceil_mode and (out - 1) * s >= size + b:
            # A window may not start in the right padding (TOPI's and the type
            # relation's rule, as PyTorch's).
            out -= 1
        out_sizes.append(out)
        extra.append(max((out - 1) * s + span - (size + b + a), 0))
    pad = [(0, 0), (0, 0)] + [(b, a + e) for b, a, e in zip(before, after, extra)]
    if kind == "max":
        fill = -np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
        padded = np.pad(data, pad, constant_values=fill)
        win = sliding_windows(padded, kernel, strides, dilation)
        win = win[(slice(None), slice(None)) + tuple(slice(0, o) for o in out_sizes)]
        result = np.max(win, axis=tuple(range(-nspatial, 0)))
    else:
        padded = np.pad(data.astype(np.float64), pad)
        win = sliding_windows(padded, kernel, strides, dilation)
        win = win[(slice(None), slice(None)) + tuple(slice(0, o) for o in out_sizes)]
        total = np.sum(win, axis=tuple(range(-nspatial, 0)))
        # Divisor: window positions inside the data (count_include_pad=False)
        # or inside data plus the user's padding (True); the extra padding
        # added for ceil_mode never counts.
        include_pad = bool(attr(attrs, "count_include_pad", False))
        count = np.ones((1, 1) + tuple(out_sizes))
        for i, (size, k, s, d, b, a) in enumerate(
            zip(sizes, kernel, strides, dilation, before, after)
        ):
            starts = np.arange(out_sizes[i]) * s - b
            taps = starts[:, None] + np.arange(k)[None, :] * d
            low, high = (-b, size + a) if include_pad else (0, size)
            valid = np.sum((taps >= low) & (taps < high), axis=1)
            shape = [1] * (2 + nspatial)
            shape[2 + i] = -1
            count = count * valid.reshape(shape)
        result = total / np.maximum(count, 1)
    result = result.reshape(lead + tuple(out_sizes)).astype(x.dtype)
    inverse = np.argsort(other + axes)
    return _to_out_layout(contiguous(np.transpose(result, inverse)), attrs, layout)


def _to_out_layout(result, attrs, layout):
    out_layout = attr(attrs, "out_layout", "") or layout
    return convert_layout(result, layout, out_layout)


for _n, _layout in ((1, "NCW"), (2, "NCHW"), (3, "NCDHW")):
    for _kind in ("max", "avg"):
        register_kernel(f"nn.{_kind}_pool{_n}d")(
            lambda attrs, args, n=_n, layout=_layout, kind=_kind: _pool(
                attrs, args[0], n, layout, kind
            )
        )


def _adaptive_pool(attrs, x, nspatial, default_layout, kind, output_size=None):
    layout = attr(attrs, "layout", default_layout)
    axes = _spatial_axes(layout, nspatial)
    if output_size is None:
        output_size = attr(attrs, "output_size", None) or ()
    output_size = list(output_size)
    if len(output_size) == 1 and nspatial > 1:
        output_size = output_size * nspatial
    out_sizes = [
        x.shape[a] if (i >= len(output_size) or output_size[i] is None) else int(output_size[i])
        for i, a in enumerate(axes)
    ]
    data = x.astype(np.float64) if kind == "avg" else x
    # Bins: [floor(i * in / out), ceil((i + 1) * in / out)) on each axis.
    for axis, out in zip(axes, out_sizes):
        size = data.shape[axis]
        pieces = []
        for i in range(out):
            start = (i * size) // out
            end = -((-(i + 1) * size) // out)
            window = np.take(data, np.arange(start, end), axis=axis)
            if kind == "avg":
                pieces.append(np.mean(window, axis=axis, keepdims=True))
            else:
                pieces.append(np.max(window, axis=axis, keepdims=True))
        data = np.concatenate(pieces, axis=axis)
    return _to_out_layout(data.astype(x.dtype), attrs, layout)


for _n, _layout in ((1, "NCW"), (2, "NCHW"), (3, "NCDHW")):
    for _kind in ("max", "avg"):
        register_kernel(f"nn.adaptive_{_kind}_pool{_n}d")(
            lambda attrs, args, n=_n, layout=_layout, kind=_kind: _adaptive_pool(
                attrs, args[0], n, layout, kind
            )
        )
    for _kind in ("max", "avg"):
        register_kernel(f"nn.global_{_kind}_pool{_n}d")(
            lambda attrs, args, n=_n, layout=_layout, kind=_kind: _adaptive_pool(
                attrs, args[0], n, layout, kind, output_size=(1,) * n
            )
        )


# ---------------------------------------------------------- space rearranging
@register_kernel("nn.depth_to_space")
def _depth_to_space(attrs, args):
    x = args[0]
    layout = attr(attrs, "layout", "NCHW")
    block = int(attr(attrs, "block_size"))
    mode = attr(attrs, "mode", "DCR")
    data = convert_layout(x, layout, "NCHW")
    n, c, h, w = data.shape
    if mode == "DCR":
        out = data.reshape(n, block, block, c // block**2, h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        out = data.reshape(n, c // block**2, block, block, h, w).transpose(0, 1, 4, 2, 5, 3)
    out = out.reshape(n, c // block**2, h * block, w * block)
    return convert_layout(contiguous(out), "NCHW", layout)


@register_kernel("nn.space_to_depth")
def _space_to_depth(attrs, args):
    x = args[0]
    layout = attr(attrs, "layout", "NCHW")
    block = int(attr(attrs, "block_size"))
    data = convert_layout(x, layout, "NCHW")
    n, c, h, w = data.shape
    out = data.reshape(n, c, h // block, block, w // block, block).transpose(0, 3, 5, 1, 2, 4)
    out = out.reshape(n, c * block * block, h // block, w // block)
    return convert_layout(contiguous(out), "NCHW", layout)


@register_kernel("nn.space_to_batch_nd")
def _space_to_batch_nd(attrs, args):
    x = args[0]
    block = [int(b) for b in attr(attrs, "block_shape")]
    pads = [tuple(int(p) for p in pair) for pair in attr(attrs, "paddings")]
    value = attr(attrs, "pad_value", 0.0)
    m = len(block)
    width = [(0, 0)] + pads + [(0, 0)] * (x.ndim - 1 - m)
    padded = np.pad(x, width, constant_values=np.asarray(value, x.dtype))
    batch = x.shape[0]
    # (batch, s1/b1, b1, ..., rest) -> (b1, ..., batch, s1/b1, ..., rest)
    split = [batch]
    for i, b in enumerate(block):
        size = padded.shape[1 + i]
        if size % b:
            raise ValueError(
                f"nn.space_to_batch_nd: padded axis {1 + i} of size {size} is not divisible "
                f"by block {b}"
            )
        split += [size // b, b]
    rest = list(padded.shape[1 + m :])
    grid = padded.reshape(split + rest)
    order = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    order += list(range(1 + 2 * m, grid.ndim))
    out = np.transpose(grid, order)
    return contiguous(out.reshape([batch * int(np.prod(block))] + split[1::2] + rest))


@register_kernel("nn.batch_to_space_nd")
def _batch_to_space_nd(attrs, args):
    x = args[0]
    block = [int(b) for b in attr(attrs, "block_shape")]
    crops = [tuple(int(c) for c in pair) for pair in attr(attrs, "crops")]
    m = len(block)
    batch = x.shape[0] // int(np.prod(block))
    spatial = list(x.shape[1 : 1 + m])
    rest = list(x.shape[1 + m :])
    grid = x.reshape(block + [batch] + spatial + rest)
    # (b1, ..., batch, s1, ..., rest) -> (batch, s1, b1, s2, b2, ..., rest)
    order = [m]
    for i in range(m):
        order += [m + 1 + i, i]
    order += list(range(1 + 2 * m, grid.ndim))
    out = np.transpose(grid, order).reshape([batch] + [s * b for s, b in zip(spatial, block)] + rest)
    index = [slice(None)] + [slice(c0, out.shape[1 + i] - c1) for i, (c0, c1) in enumerate(crops)]
    return contiguous(out[tuple(index)])
