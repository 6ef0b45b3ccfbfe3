"""Layout strings of the reference kernels: ``NCHW``, ``NHWC``, ``NCHW8c``, ``OIHW4i4o``...

Upper-case letters are primal axes, lower-case letters (with their factor)
the split-off inner part of the primal axis of the same letter. Data in any
layout is converted through its *primal* form (sub-axes merged back), which
lets one convolution or pooling kernel serve every layout. This module has
no kernels and imports no other kernel module, so every kernel module can
import it.
"""
import re

import numpy as np


_LAYOUT_TOKEN = re.compile(r"(\d*)([A-Za-z])")


def parse_layout(layout):
    """``"NCHW8c"`` -> ``[("N", None), ("C", None), ("H", None), ("W", None), ("c", 8)]``."""
    tokens = []
    pos = 0
    for match in _LAYOUT_TOKEN.finditer(layout):
        if match.start() != pos:
            raise ValueError(f"malformed layout {layout!r}")
        factor, axis = match.groups()
        if axis.islower() and not factor:
            factor = None
        tokens.append((axis, int(factor) if factor else None))
        pos = match.end()
    if pos != len(layout):
        raise ValueError(f"malformed layout {layout!r}")
    return tokens


def to_primal(x, layout):
    """Undo the sub-axis splits of ``layout``: ``NCHW8c`` data -> ``NCHW``; returns the primal layout."""
    tokens = parse_layout(layout)
    if x.ndim != len(tokens):
        raise ValueError(f"tensor of rank {x.ndim} does not have layout {layout!r}")
    primal = [axis for axis, _ in tokens if axis.isupper()]
    # Order: each primal axis followed by its sub-axis (if any), then merge.
    order, shape = [], []
    for axis in primal:
        outer = next(i for i, (a, _) in enumerate(tokens) if a == axis)
        inner = [i for i, (a, _) in enumerate(tokens) if a == axis.lower()]
        order.append(outer)
        size = x.shape[outer]
        for i in inner:
            order.append(i)
            size *= x.shape[i]
        shape.append(size)
    return np.transpose(x, order).reshape(shape), "".join(primal)


def from_primal(x, primal, layout):
    """Lay out primal-ordered data (axes ``primal``) as ``layout`` (with sub-axes)."""
    tokens = parse_layout(layout)
    factors = {a.upper(): f for a, f in tokens if a.islower()}
    # Split each primal axis into (outer, inner) when the target has a sub-axis.
    split_shape, names = [], []
    for i, axis in enumerate(primal):
        dim = x.shape[i]
        factor = factors.get(axis)
        if factor:
            if dim % factor:
                pad = [(0, 0)] * x.ndim
                pad[i] = (0, factor - dim % factor)
                x = np.pad(x, pad)
                dim = x.shape[i]
            split_shape += [dim // factor, factor]
            names += [axis, axis.lower()]
        else:
            split_shape.append(dim)
            names.append(axis)
    split = x.reshape(split_shape)
    wanted = [a for a, _ in tokens]
    if sorted(wanted) != sorted(names):
        raise ValueError(f"layout {layout!r} does not have the axes of {primal!r}")
    return _contiguous(np.transpose(split, [names.index(a) for a in wanted]))


def convert_layout(x, src, dst):
    """Data in layout ``src`` rearranged to layout ``dst`` (same primal axes)."""
    if src == dst:
        return x
    primal_x, primal = to_primal(x, src)
    dst_primal = "".join(a for a, _ in parse_layout(dst) if a.isupper())
    if sorted(primal) != sorted(dst_primal):
        raise ValueError(f"cannot transform layout {src!r} to {dst!r}: different axes")
    reordered = np.transpose(primal_x, [primal.index(a) for a in dst_primal])
    return from_primal(reordered, dst_primal, dst)




def _contiguous(array):
    return array if array.flags.c_contiguous else array.copy(order="C")
