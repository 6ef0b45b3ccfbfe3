"""The realize stage: turn the calibrated simulation into an integer graph.

Each quantized value is tracked as ``QRealizeIntExpr(expr, dom_scale, dtype)``:
an integer tensor whose real value is ``expr * dom_scale``.

- ``simulated_quantize`` of a float tensor becomes ``cast(clip(round(x / s)))``
  (computed in NumPy for a constant); of an integer one, a change of scale in
  int32 (``rescale``) followed by the clip and the cast.
- conv2d / conv1d / dense / batch_matmul of two integer operands run on them
  with ``out_dtype=dtype_activation`` (int8 x int8 accumulated in int32); the
  result's scale is the product of the operands' scales.
- add and concatenate (all fields integer) bring their operands to the finer of their scales;
  multiply multiplies scales; relu, max pooling, reshapes keep them; clip
  rescales its bounds.
- Any other consumer (and the function's output) gets the float value back:
  ``cast(x, "float32") * dom_scale``.

A change of scale by a factor ``f`` is, as in 0.8: a left shift when ``f`` is a
power of two above 1, a multiply when it is an integer, a rounding right shift
when ``1/f`` is a power of two, else a fixed-point multiply (int64 product by
a 31-bit multiplier and a rounding right shift).
"""
import math

import numpy as np

from .. import expr as _expr
from ..expr import Constant
from ..op import tensor as _tensor
from ..op import transform as _transform
from ..op.op import get as _get_op
from ._config import QAnnotateKind, current_qconfig
from ._ops import SIMQ
from ._rewrite import forward_op, rewrite_function


class QRealizeIntExpr:
    """An integer expression with the scale of its real value (0.8's name)."""

    def __init__(self, expr, dom_scale, dtype):
        self.expr = expr
        self.dom_scale = float(dom_scale)
        self.dtype = str(dtype)

    def realize(self):
        """The float value: ``cast(expr, float32) * dom_scale``."""
        return _tensor.multiply(_transform.cast(self.expr, "float32"),
                                _expr.const(np.float32(self.dom_scale)))


def _plain(value):
    return value.realize() if isinstance(value, QRealizeIntExpr) else value


def _call(name, args, attrs=None):
    return _expr.Call(_get_op(name), list(args), attrs)


def _scalar(value, dtype):
    return _expr.const(np.array(value, dtype=dtype))


def _is_power2(value):
    if value <= 0:
        return False
    exp = math.log2(value)
    return abs(exp - round(exp)) < 1e-9


def _cast(expr, from_dtype, to_dtype):
    return expr if from_dtype == to_dtype else _transform.cast(expr, to_dtype)


def rescale(value, to_scale, work_dtype):
    """``value`` (a QRealizeIntExpr) as a ``work_dtype`` tensor of scale ``to_scale``."""
    cfg = current_qconfig()
    data = _cast(value.expr, value.dtype, work_dtype)
    factor = value.dom_scale / to_scale
    if abs(factor - 1.0) < 1e-9:
        return data
    if factor > 1:
        if _is_power2(factor):
            return _tensor.left_shift(data, _scalar(int(round(math.log2(factor))), work_dtype))
        if abs(factor - round(factor)) < 1e-9:
            return _tensor.multiply(data, _scalar(int(round(factor)), work_dtype))
    elif _is_power2(1.0 / factor):
        shift = int(round(math.log2(1.0 / factor)))
        if cfg.round_for_shift:
            data = _tensor.add(data, _scalar(1 << (shift - 1), work_dtype))
        return _tensor.right_shift(data, _scalar(shift, work_dtype))
    return _fixed_point_multiply(data, factor, work_dtype, cfg.rounding)


def _fixed_point_multiply(data, factor, work_dtype, rounding):
    """``round(data * factor)`` in integers: ``factor = m * 2**-shift``, m < 2**31."""
    exponent = math.floor(math.log2(factor))
    shift = min(30 - exponent, 62)
    multiplier = int(round(factor * 2.0 ** shift))
    if multiplier >= 2 ** 31:
        multiplier //= 2
        shift -= 1
    wide = _transform.cast(data, "int64")
    bias = _scalar(1 << (shift - 1), "int64") if shift > 0 else _scalar(0, "int64")
    sh = _scalar(max(shift, 0), "int64")

    def _mul_shift(x):
        return _tensor.right_shift(_tensor.add(_tensor.multiply(x, _scalar(multiplier, "int64")), bias), sh)

    if rounding == "TONEAREST":
        # symmetric: round half away from zero on both signs
        negative = _tensor.less(wide, _scalar(0, "int64"))
        out = _transform.where(negative, _tensor.negative(_mul_shift(_tensor.negative(wide))),
                               _mul_shift(wide))
    else:  # UPWARD: round half towards +inf
        out = _mul_shift(wide)
    return _transform.cast(out, work_dtype)


def _quantize_float(data, dom_scale, cmin, cmax, dtype):
    if isinstance(data, Constant):
        arr = data.numpy().astype(np.float64)
        return _expr.const(np.clip(np.round(arr / dom_scale), cmin, cmax).astype(dtype))
    scaled = _tensor.round(_tensor.divide(data, _expr.const(np.float32(dom_scale))))
    return _transform.cast(_tensor.clip(scaled, cmin, cmax), dtype)


def _simq_rule(call, args):
    cfg = current_qconfig()
    kind = int(call.attrs.kind)
    if kind == QAnnotateKind.IDENTITY:
        return args[0]
    dom_scale, cmin, cmax = (float(a.numpy()) for a in call.args[1:])
    dtype = cfg.get_dtype_by_kind(kind)
    data = args[0]
    if isinstance(data, QRealizeIntExpr):
        work = cfg.dtype_activation
        out = rescale(data, dom_scale, work)
        out = _tensor.clip(out, cmin, cmax)
        return QRealizeIntExpr(_cast(out, work, dtype), dom_scale, dtype)
    return QRealizeIntExpr(_quantize_float(data, dom_scale, cmin, cmax, dtype), dom_scale, dtype)


def _matmul_rule(call, args):
    if not all(isinstance(a, QRealizeIntExpr) for a in args):
        return None
    out_dtype = current_qconfig().dtype_activation
    attrs = call.attrs.with_fields(out_dtype=out_dtype)
    expr = _expr.Call(call.op, [a.expr for a in args], attrs, call.type_args)
    return QRealizeIntExpr(expr, args[0].dom_scale * args[1].dom_scale, out_dtype)


def _unify(values):
    """The values at the finest of their scales, all in dtype_activation."""
    work = current_qconfig().dtype_activation
    scale = min(v.dom_scale for v in values)
    return [rescale(v, scale, work) for v in values], scale, work


def _add_rule(call, args):
    if not all(isinstance(a, QRealizeIntExpr) for a in args):
        return None
    exprs, scale, work = _unify(args)
    return QRealizeIntExpr(forward_op(call, exprs), scale, work)


def _multiply_rule(call, args):
    if not all(isinstance(a, QRealizeIntExpr) for a in args):
        return None
    work = current_qconfig().dtype_activation
    exprs = [_cast(a.expr, a.dtype, work) for a in args]
    return QRealizeIntExpr(forward_op(call, exprs), args[0].dom_scale * args[1].dom_scale, work)


def _keep_rule(call, args):
    """Ops that commute with a positive scale (relu, max pooling, layout ops)."""
    if not isinstance(args[0], QRealizeIntExpr):
        return None
    rest = [_plain(a) for a in args[1:]]
    return QRealizeIntExpr(forward_op(call, [args[0].expr] + rest), args[0].dom_scale, args[0].dtype)


def _widen_rule(call, args):
    """avg pooling: summing needs the wide dtype."""
    if not isinstance(args[0], QRealizeIntExpr):
        return None
    work = current_qconfig().dtype_activation
    data = _cast(args[0].expr, args[0].dtype, work)
    return QRealizeIntExpr(forward_op(call, [data]), args[0].dom_scale, work)


def _clip_rule(call, args):
    value = args[0]
    if not isinstance(value, QRealizeIntExpr):
        return None
    a_min = float(np.round(float(call.attrs.a_min) / value.dom_scale))
    a_max = float(np.round(float(call.attrs.a_max) / value.dom_scale))
    info = np.iinfo(value.dtype)
    a_min, a_max = max(a_min, info.min), min(a_max, info.max)
    expr = _expr.Call(call.op, [value.expr], call.attrs.with_fields(a_min=a_min, a_max=a_max),
                      call.type_args)
    return QRealizeIntExpr(expr, value.dom_scale, value.dtype)


_TUPLE_FIELDS = {}


def _concatenate_rule(call, args):
    """All fields integer: concatenated at the finest of their scales."""
    entry = _TUPLE_FIELDS.get(id(args[0]))
    if entry is None or entry[0] is not args[0]:
        return None
    fields = entry[1]
    if not all(isinstance(f, QRealizeIntExpr) for f in fields):
        return None
    exprs, scale, work = _unify(fields)
    return QRealizeIntExpr(forward_op(call, [_expr.Tuple(exprs)]), scale, work)


def _cast_hint_rule(call, args):  # pylint: disable=unused-argument
    return args[0]


_RULES = {
    SIMQ: _simq_rule,
    "nn.conv2d": _matmul_rule,
    "nn.conv1d": _matmul_rule,
    "nn.dense": _matmul_rule,
    "nn.batch_matmul": _matmul_rule,
    "add": _add_rule,
    "multiply": _multiply_rule,
    "clip": _clip_rule,
    "nn.avg_pool2d": _widen_rule,
    "annotation.cast_hint": _cast_hint_rule,
    "concatenate": _concatenate_rule,
}
for _name in ("nn.relu", "nn.max_pool2d", "nn.max_pool1d", "reshape", "transpose", "nn.batch_flatten",
              "strided_slice", "annotation.stop_fusion", "squeeze", "expand_dims"):
    _RULES[_name] = _keep_rule


def realize_function(func):
    """``func`` with its calibrated ``simulated_quantize`` calls realized in integers."""
    _TUPLE_FIELDS.clear()
    try:
        return rewrite_function(func, _RULES, _plain, tuple_fields=_TUPLE_FIELDS)
    finally:
        _TUPLE_FIELDS.clear()
