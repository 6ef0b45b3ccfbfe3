"""``count_layers``: the longest chain of given operators in a program (0.8's
``relay.analysis.count_layers``).

Two parallel convolutions are one layer; a convolution feeding another is two.
The count is the largest number of calls of the listed operators on any path
from an input to the output, computed over the whole dataflow graph (each
shared node's depth is computed once and used by all its users; 0.8's visitor
skipped the second path into a shared node, which could undercount).
"""
import tvm

from ..expr import Call
from ..function import Function
from . import _nodes


def count_layers(expr, valid_ops):
    """The number of layers of the operators ``valid_ops`` in ``expr``.

    Parameters
    ----------
    expr : Union[tvm.relay.Expr, tvm.IRModule]
        An expression, a function, or a module (its ``main``).
    valid_ops : list of str
        Operator names that count as layers (e.g. ``["nn.conv2d", "nn.dense"]``).

    Returns
    -------
    layer_count : int
    """
    if isinstance(expr, tvm.ir.IRModule):
        expr = expr["main"]
    names = set(valid_ops)
    depth = {}
    for node in _nodes.post_order(expr):
        kids = _nodes.children(node)
        if isinstance(node, Function):
            kids = (node.body,)
        below = max((depth.get(id(k), 0) for k in kids), default=0)
        here = isinstance(node, Call) and _nodes.is_op(node.op) and node.op.name in names
        depth[id(node)] = below + (1 if here else 0)
    return depth.get(id(expr), 0)


__all__ = ["count_layers"]
