"""``get_total_mac_number``: multiply-accumulates of the matrix ops of a program.

As 0.8, four ops are counted, from their inferred types (run ``InferType``
first; an untyped call counts 0 with a warning):

* ``nn.conv2d`` / ``nn.conv2d_transpose``: every output element takes
  ``kh * kw * C_in / groups`` MACs (``C_in`` from the data layout, times the
  inner ``c`` block of a blocked layout such as ``NCHW8c``);
* ``nn.dense``: ``M * K * N``;
* ``nn.batch_matmul``: ``batch * M * K * N`` (``N`` and ``K`` read from the
  operands according to their ``transpose_a``/``transpose_b`` attributes).

Each call node is counted once, including calls inside fused functions.
"""
import logging

from . import _nodes

logger = logging.getLogger("relay")


def _shape(ty):
    return [int(d) for d in ty.shape]


def _prod(values):
    out = 1
    for value in values:
        out *= int(value)
    return out


def _conv_macs(call):
    attrs = call.attrs
    data_ty = call.args[0].checked_type
    layout = str(getattr(attrs, "data_layout", "NCHW") or "NCHW")
    data_shape = _shape(data_ty)
    if "C" not in layout:
        raise ValueError(f"{call.op.name}: data layout {layout} has no input channel axis")
    in_channels = data_shape[layout.index("C")]
    if "c" in layout:
        in_channels *= data_shape[layout.index("c")]
    kernel_size = getattr(attrs, "kernel_size", None)
    if kernel_size is None or len(kernel_size) == 0:
        kernel_layout = str(getattr(attrs, "kernel_layout", "OIHW") or "OIHW")
        weight_shape = _shape(call.args[1].checked_type)
        kernel_size = [weight_shape[kernel_layout.index("H")], weight_shape[kernel_layout.index("W")]]
    out_shape = _shape(call.checked_type)
    groups = int(getattr(attrs, "groups", 1) or 1)
    if in_channels % groups:
        raise ValueError(f"{call.op.name}: {in_channels} input channels are not divisible by {groups} groups")
    return _prod(out_shape) * _prod(kernel_size) * (in_channels // groups)


def _dense_macs(call):
    data_shape = _shape(call.args[0].checked_type)
    weight_shape = _shape(call.args[1].checked_type)
    if len(data_shape) != 2 or len(weight_shape) != 2:
        raise ValueError("nn.dense: MACs are counted for 2-d operands only")
    return data_shape[0] * data_shape[1] * weight_shape[0]


def _batch_matmul_macs(call):
    x_shape = _shape(call.args[0].checked_type)
    y_shape = _shape(call.args[1].checked_type)
    transpose_a = bool(getattr(call.attrs, "transpose_a", False))
    transpose_b = bool(getattr(call.attrs, "transpose_b", True))
    batch = max(x_shape[0], y_shape[0])
    m, k = (x_shape[2], x_shape[1]) if transpose_a else (x_shape[1], x_shape[2])
    n = y_shape[1] if transpose_b else y_shape[2]
    return batch * m * k * n


_COUNTERS = {
    "nn.conv2d": _conv_macs,
    "nn.conv2d_transpose": _conv_macs,
    "nn.dense": _dense_macs,
    "nn.batch_matmul": _batch_matmul_macs,
}


def get_total_mac_number(expr):
    """The number of multiply-accumulate operations of the conv2d,
    conv2d_transpose, dense and batch_matmul calls in ``expr``.

    Parameters
    ----------
    expr : tvm.relay.Expr
        A type-inferred expression.

    Returns
    -------
    result : int
    """
    total = 0
    for node in _nodes.post_order(expr):
        if _nodes.kind(node) != "Call" or not _nodes.is_op(node.op):
            continue
        counter = _COUNTERS.get(node.op.name)
        if counter is None:
            continue
        if node._checked_type_ is None:  # pylint: disable=protected-access
            logger.warning("get_total_mac_number: run InferType first; an untyped %s counts 0",
                           node.op.name)
            continue
        total += counter(node)
    return total


__all__ = ["get_total_mac_number"]
