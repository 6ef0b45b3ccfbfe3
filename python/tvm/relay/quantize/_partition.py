"""The partition stage: mark where quantized sections end.

A conv2d result starts a section; element-wise successors that can stay in
integers (relu, clip, max_pool2d, an add of another section or of a constant, a
multiply) extend it. Where a section meets a consumer without such a rule (or
the function's output), its value is closed with ``stop_fusion(cast_hint(x,
"int8"))``: annotate then stores it as an INPUT-field (int8) value, which is
what 0.8 does (so a ``batch_flatten`` after a conv2d runs on int8).
"""
from ..analysis import check_constant
from ..op.annotation import stop_fusion
from ._ops import cast_hint
from ._rewrite import forward_op


class QPartitionExpr:
    """A value inside a quantized section (0.8's name)."""

    def __init__(self, expr):
        self.expr = expr

    def realize(self):
        return stop_fusion(cast_hint(self.expr, "int8"))


def _plain(value):
    return value.realize() if isinstance(value, QPartitionExpr) else value


_RULES = {}


def register_partition_function(op_name, frewrite=None, level=10):  # pylint: disable=unused-argument
    """Register ``frewrite(ref_call, new_args, ctx)`` as the partition rule of ``op_name``."""

    def _register(func):
        _RULES[op_name] = lambda call, args: func(call, args, None)
        return func

    return _register(frewrite) if frewrite is not None else _register


@register_partition_function("nn.conv2d")
def _conv2d(call, args, ctx):  # pylint: disable=unused-argument
    return QPartitionExpr(forward_op(call, [_plain(args[0]), _plain(args[1])]))


def _identity(call, args, ctx):  # pylint: disable=unused-argument
    if isinstance(args[0], QPartitionExpr):
        return QPartitionExpr(forward_op(call, [args[0].expr] + [_plain(a) for a in args[1:]]))
    return None


for _name in ("clip", "nn.relu", "nn.max_pool2d"):
    register_partition_function(_name, _identity)


@register_partition_function("add")
def _add(call, args, ctx):  # pylint: disable=unused-argument
    lhs, rhs = args
    lq, rq = isinstance(lhs, QPartitionExpr), isinstance(rhs, QPartitionExpr)
    if lq and rq:
        return QPartitionExpr(forward_op(call, [lhs.realize(), rhs.realize()]))
    if lq and check_constant(rhs):
        return QPartitionExpr(forward_op(call, [lhs.expr, rhs]))
    if lq or rq:
        return forward_op(call, [_plain(lhs), _plain(rhs)])
    return None


@register_partition_function("multiply")
def _multiply(call, args, ctx):  # pylint: disable=unused-argument
    lhs, rhs = args
    if isinstance(lhs, QPartitionExpr):
        return QPartitionExpr(forward_op(call, [lhs.realize(), _plain(rhs)]))
    return None


@register_partition_function("nn.global_avg_pool2d")
def _global_avg_pool2d(call, args, ctx):  # pylint: disable=unused-argument
    data = args[0]
    data = data.realize() if isinstance(data, QPartitionExpr) else QPartitionExpr(data).realize()
    return forward_op(call, [data])


def partition_function(func):
    from ._rewrite import rewrite_function  # pylint: disable=import-outside-toplevel

    return rewrite_function(func, _RULES, _plain)
