"""The annotate stage: insert ``simulated_quantize`` where values change field.

A value is tracked with the field it is in (``QAnnotateExpr``): INPUT (low-bit
data fed to a quantized op), WEIGHT (a constant operand), ACTIVATION (the wide
result of a quantized op). Each rule decides which operands must first be
converted (``attach_simulated_quantize``) and which field its result is in;
these rules follow 0.8's. A value used by several consumers is converted to
INPUT once, so all of them read the same low-bit tensor (0.8 does the same).
The scales are placeholders here; the calibrate stage sets them.
"""
import warnings

from .. import expr as _expr
from ..analysis import check_constant
from ._config import QAnnotateKind, current_qconfig, quantize_context
from ._ops import SIMQ, simulated_quantize
from ._rewrite import forward_op, rewrite_function


class QAnnotateExpr:
    """An expression together with the field (``QAnnotateKind``) its value is in."""

    def __init__(self, expr, kind):
        self.expr = expr
        self.kind = kind

    def realize(self):
        return self.expr


def _get_expr_kind(value):
    if isinstance(value, QAnnotateExpr):
        return value.expr, value.kind
    return value, None


def attach_simulated_quantize(data, kind, sign=True, rounding="round"):
    """``simulated_quantize(data)`` into field ``kind`` (one node per data and kind)."""
    if isinstance(data, _expr.Call) and getattr(data.op, "name", None) == SIMQ:
        if int(data.attrs.kind) == kind and data.attrs.sign == sign and data.attrs.rounding == rounding:
            return data
    qctx = quantize_context()
    key = (id(data), int(kind), sign, rounding)
    if key in qctx.qnode_map:
        return qctx.qnode_map[key][1]
    node = simulated_quantize(data, _expr.const(1.0, "float32"), _expr.const(-127.0, "float32"),
                              _expr.const(127.0, "float32"), kind, sign, rounding)
    qctx.qnode_map[key] = (data, node)  # keeps data alive: the key is its id
    return node


_RULES = {}


def register_annotate_function(op_name, frewrite=None, level=10):  # pylint: disable=unused-argument
    """Register ``frewrite(ref_call, new_args, ctx)`` as the annotate rule of ``op_name``.

    The rule returns a ``QAnnotateExpr``, an expression, or ``None`` (no rewrite).
    With ``debug_enabled_ops`` set, ops it does not name are not rewritten.
    """

    def _register(func):
        def guarded(call, args):
            if not current_qconfig().guard(call):
                return None
            return func(call, args, None)

        _RULES[op_name] = guarded
        return func

    return _register(frewrite) if frewrite is not None else _register


def _operand(expr, kind_if_const=QAnnotateKind.WEIGHT):
    kind = kind_if_const if check_constant(expr) else QAnnotateKind.INPUT
    return attach_simulated_quantize(expr, kind)


def _matmul_like(call, args, ctx):  # pylint: disable=unused-argument
    """conv2d/conv1d/dense: data to INPUT, weight to WEIGHT, result ACTIVATION."""
    lhs, lkind = _get_expr_kind(args[0])
    rhs, rkind = _get_expr_kind(args[1])
    if lkind is None or lkind == QAnnotateKind.ACTIVATION:
        lhs = attach_simulated_quantize(lhs, QAnnotateKind.INPUT)
    if rkind is not None:
        raise ValueError(f"relay.quantize: the weight of {call.op.name} is itself a quantized "
                         "result; only constant or input weights are supported")
    rhs = attach_simulated_quantize(rhs, QAnnotateKind.WEIGHT)
    return QAnnotateExpr(forward_op(call, [lhs, rhs]), QAnnotateKind.ACTIVATION)


@register_annotate_function("nn.conv2d")
def _conv2d(call, args, ctx):
    if quantize_context().check_to_skip(call):
        return None
    return _matmul_like(call, args, ctx)


@register_annotate_function("nn.conv1d")
def _conv1d(call, args, ctx):
    if quantize_context().check_to_skip(call):
        return None
    return _matmul_like(call, args, ctx)


@register_annotate_function("nn.dense")
def _dense(call, args, ctx):
    if current_qconfig().skip_dense_layer or quantize_context().check_to_skip(call):
        return None
    return _matmul_like(call, args, ctx)


@register_annotate_function("nn.contrib_conv2d_NCHWc")
def _conv2d_nchwc(call, args, ctx):  # pylint: disable=unused-argument
    warnings.warn("relay.quantize: an NCHWc conv2d is not quantized; quantize before layout "
                  "transformations (at a lower opt_level)")


@register_annotate_function("nn.batch_matmul")
def _batch_matmul(call, args, ctx):  # pylint: disable=unused-argument
    if quantize_context().check_to_skip(call):
        return None
    new = []
    for arg in args:
        expr, kind = _get_expr_kind(arg)
        if kind is None or kind == QAnnotateKind.ACTIVATION:
            expr = _operand(expr)
        new.append(expr)
    return QAnnotateExpr(forward_op(call, new), QAnnotateKind.ACTIVATION)


@register_annotate_function("multiply")
def _multiply(call, args, ctx):  # pylint: disable=unused-argument
    if quantize_context().check_to_skip(call):
        return None
    lhs, lkind = _get_expr_kind(args[0])
    rhs, rkind = _get_expr_kind(args[1])
    if lkind is None and rkind is None:
        return None
    if lkind in (QAnnotateKind.ACTIVATION, QAnnotateKind.INPUT) and rkind is None:
        if lkind == QAnnotateKind.ACTIVATION:
            lhs = attach_simulated_quantize(lhs, QAnnotateKind.INPUT)
        rhs = _operand(rhs)
        return QAnnotateExpr(forward_op(call, [lhs, rhs]), QAnnotateKind.ACTIVATION)
    # a quantized right operand of a float left one: compute in float
    return forward_op(call, [lhs, rhs])


@register_annotate_function("add")
def _add(call, args, ctx):  # pylint: disable=unused-argument
    if quantize_context().check_to_skip(call):
        return None
    lhs, lkind = _get_expr_kind(args[0])
    rhs, rkind = _get_expr_kind(args[1])
    act, inp = QAnnotateKind.ACTIVATION, QAnnotateKind.INPUT
    if lkind is None and rkind is None:
        return None
    if lkind is None:
        lhs = attach_simulated_quantize(lhs, inp)
        return QAnnotateExpr(forward_op(call, [lhs, rhs]), inp if rkind == inp else act)
    if rkind is None:
        rhs = _operand(rhs)
        return QAnnotateExpr(forward_op(call, [lhs, rhs]), act)
    if lkind == inp and rkind == inp:
        return QAnnotateExpr(forward_op(call, [lhs, rhs]), inp)
    if lkind == act and rkind == act:
        rhs = attach_simulated_quantize(rhs, inp)
    return QAnnotateExpr(forward_op(call, [lhs, rhs]), act)


def _identity(call, args, ctx):  # pylint: disable=unused-argument
    if quantize_context().check_to_skip(call):
        return None
    expr, kind = _get_expr_kind(args[0])
    if kind is None:
        return None
    return QAnnotateExpr(forward_op(call, [expr] + [_get_expr_kind(a)[0] for a in args[1:]]), kind)


for _name in ("reshape", "clip", "nn.relu", "strided_slice", "nn.avg_pool2d", "nn.batch_flatten",
              "transpose", "annotation.stop_fusion"):
    register_annotate_function(_name, _identity)


def _to_input(call, args, ctx):  # pylint: disable=unused-argument
    """max pooling: the input is brought to INPUT (low-bit) first."""
    if quantize_context().check_to_skip(call):
        return None
    expr, kind = _get_expr_kind(args[0])
    if kind is None:
        return None
    if kind == QAnnotateKind.ACTIVATION:
        expr = attach_simulated_quantize(expr, QAnnotateKind.INPUT)
    return QAnnotateExpr(forward_op(call, [expr]), QAnnotateKind.INPUT)


register_annotate_function("nn.max_pool2d", _to_input)
register_annotate_function("nn.max_pool1d", _to_input)


@register_annotate_function("annotation.cast_hint")
def _cast_hint(call, args, ctx):
    expr, kind = _get_expr_kind(args[0])
    if quantize_context().check_to_skip(call):
        return expr
    if kind is None:
        return args[0]
    return _to_input(call, args, ctx)


@register_annotate_function("concatenate")
def _concatenate(call, args, ctx):  # pylint: disable=unused-argument
    if quantize_context().check_to_skip(call):
        return None
    # the tuple was rebuilt from plain expressions; its fields' values are kept aside
    entry = _TUPLE_FIELDS.get(id(args[0]))
    if entry is None or entry[0] is not args[0]:
        return None
    fields = [_get_expr_kind(v) for v in entry[1]]
    if all(k is None for _, k in fields):
        return None
    exprs = [e if k is not None else attach_simulated_quantize(e, QAnnotateKind.ACTIVATION)
             for e, k in fields]
    return QAnnotateExpr(forward_op(call, [_expr.Tuple(exprs)]), QAnnotateKind.ACTIVATION)


@register_annotate_function("nn.global_avg_pool2d")
def _global_avg_pool2d(call, args, ctx):  # pylint: disable=unused-argument
    if quantize_context().check_to_skip(call):
        return None
    expr, kind = _get_expr_kind(args[0])
    if kind is None:
        return None
    quantize_context().stop_quantize()  # everything after it stays in float (0.8)
    return forward_op(call, [expr])


def _multi_ref(value):
    if isinstance(value, QAnnotateExpr):
        return QAnnotateExpr(attach_simulated_quantize(value.expr, QAnnotateKind.INPUT),
                             QAnnotateKind.INPUT)
    return value


_TUPLE_FIELDS = {}


def annotate_function(func):
    """``func`` with ``simulated_quantize`` calls inserted (uncalibrated).

    The conv2d counter starts from 0 at each run, so the stage can also be run
    on its own (``relay.quantize.annotate()(mod)``) more than once."""
    quantize_context().reset()
    _TUPLE_FIELDS.clear()
    try:
        return rewrite_function(func, _RULES, lambda v: v.realize() if isinstance(v, QAnnotateExpr) else v,
                                _multi_ref, tuple_fields=_TUPLE_FIELDS)
    finally:
        _TUPLE_FIELDS.clear()
