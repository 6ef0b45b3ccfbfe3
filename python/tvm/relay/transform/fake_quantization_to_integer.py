"""FakeQuantizationToInteger: run "fake quantized" regions of a graph in integers.

Quantization-aware exporters (ONNX ``QuantizeLinear``/``DequantizeLinear``,
TFLite) write quantized models as float graphs framed by quantization nodes::

    x(int8) -> qnn.dequantize -> nn.conv2d -> nn.relu -> qnn.quantize -> (int8)
    w(int8) -> qnn.dequantize -'

Between the ``qnn.dequantize`` calls and a ``qnn.quantize`` every value is a
float that represents an affine quantized tensor ``real = scale * (q - zp)``.
This pass (TVM 0.8's ``relay.transform.FakeQuantizationToInteger``) rewrites
such a region so that it computes on the quantized values: ``nn.conv2d``
becomes ``qnn.conv2d``, ``add`` becomes ``qnn.add``, ops that commute with the
affine map (``reshape``, ``transpose``, ``nn.max_pool2d`` ...) run directly on
the integers, and the final ``qnn.quantize`` becomes a ``qnn.requantize`` (or
disappears when the parameters already agree).

How a region is found: starting at each ``qnn.quantize``, the float graph is
walked towards the inputs until ``qnn.dequantize`` calls. The region is
rewritten only if it is pure dataflow (calls, tuples, tuple projections,
constants; a variable or a function inside means a float input that was never
quantized) and every operator in it has a rule; otherwise it is left as it
is. Regions are rewritten outputs-last, so a region's dequantized inputs may be
the already rewritten integer outputs of the regions before it.

Rules: ``rule(expr, type_map) -> [new_expr, affine_type]`` registered per
operator with :func:`register_fake_quantization_to_integer`, as in 0.8.
``expr`` is the call rebuilt on the rewritten (integer) arguments, ``type_map``
maps each rewritten expression to its :class:`TensorAffineType` (or
:class:`TupleAffineType`); ``type_map[expr]`` holds the type of the region's
final ``qnn.quantize``, for rules that cannot derive their output parameters
from their inputs (``concatenate``, the binary ops). A rule that cannot handle
its case raises :class:`UnsupportedRewrite` and the region stays in float.

Differences from 0.8 (each a choice, documented where it is made): affine types
are compared by value, not by object identity; constants (a clip's bounds, a pad
value, the constant operand of a binary op) are quantized here with NumPy
rather than by leaving ``qnn.quantize`` calls on constants for FoldConstant (the
fork's FoldConstant does not evaluate QNN ops); per-channel parameters pass
through ``transpose`` (axis remapped) and pooling, and make the other
layout-changing ops keep their region in float instead of carrying a wrong axis.
"""
import logging

import numpy as np

from ..expr import Call, Constant, Tuple, TupleGetItem, const
from ..expr_functor import ExprMutator
from ..op import get as _get_op
from ..op import tensor as _tensor
from ..op import transform as _otransform
from ..op.op import Op
from ..op.pass_hooks import register_fake_quantization_to_integer
from .. import qnn as _qnn  # noqa: F401  (declares the qnn ops the rules are registered on)
from ..structural import structural_equal
from ._utils import TypedFunctionPass
from .fold_constant import fold_constant

logger = logging.getLogger("relay")

_RULE_ATTR = "FTVMFakeQuantizationToInteger"

_RANGES = {
    "int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "uint16": (0, 65535),
    "int32": (-(2 ** 31), 2 ** 31 - 1),
}


# -- affine types -------------------------------------------------------------------------


class TensorAffineType:
    """The quantization of a tensor: ``real = scale * (q - zero_point)`` (0.8's
    ``tvm.ir.TensorAffineType``, here a plain Python value since the fork's Relay
    expressions are Python objects).

    Parameters
    ----------
    scale : relay.Expr
        float32 scalar, or a vector along ``axis``.
    zero_point : relay.Expr
        int32 scalar, or a vector along ``axis``.
    dtype : str
        The dtype of the quantized values.
    axis : int
        The axis of per-channel parameters.
    """

    __slots__ = ("scale", "zero_point", "dtype", "axis")

    def __init__(self, scale, zero_point, dtype, axis=-1):
        self.scale = scale
        self.zero_point = zero_point
        self.dtype = str(dtype)
        self.axis = int(axis)

    def same_as(self, other):
        """Equal parameters and dtype (constants compared by value)."""
        return (isinstance(other, TensorAffineType) and self.dtype == other.dtype
                and _same_param(self.scale, other.scale)
                and _same_param(self.zero_point, other.zero_point)
                and (_is_per_tensor(self) or self.axis == other.axis))

    def __eq__(self, other):
        return self.same_as(other)

    def __ne__(self, other):
        return not self.same_as(other)

    __hash__ = object.__hash__

    def __repr__(self):
        return (f"TensorAffineType({_param_repr(self.scale)}, {_param_repr(self.zero_point)}, "
                f"{self.dtype}, axis={self.axis})")


class TupleAffineType:
    """The affine types of the fields of a tuple (0.8's ``tvm.ir.TupleAffineType``)."""

    __slots__ = ("types",)

    def __init__(self, types):
        self.types = list(types)

    def __eq__(self, other):
        return (isinstance(other, TupleAffineType) and len(self.types) == len(other.types)
                and all(a == b for a, b in zip(self.types, other.types)))

    def __ne__(self, other):
        return not self == other

    __hash__ = object.__hash__

    def __repr__(self):
        return f"TupleAffineType({self.types!r})"


class UnsupportedRewrite(Exception):
    """Raised by a rule that cannot rewrite its call; the region stays in float."""


class _NotQuantized(KeyError):
    """An argument of a region op has no affine type (a float value that no
    ``qnn.dequantize`` produced)."""


class AffineTypeMap:
    """Expression -> affine type, keyed by node identity (as 0.8's ``Map<Expr,
    AffineType>``). ``type_map[expr]`` of an expression without a type raises a
    ``KeyError``; ``expr in type_map`` tests for one.

    :meth:`float_type` gives the type the expression had in the float graph
    (its shape is the shape of the rewritten value), for rules that need ranks.
    """

    def __init__(self):
        self._types = {}
        self._float_types = {}

    def __getitem__(self, expr):
        entry = self._types.get(id(expr))
        if entry is None:
            raise _NotQuantized(f"no affine type for {type(expr).__name__} in the region")
        return entry[1]

    def __setitem__(self, expr, affine_type):
        self._types[id(expr)] = (expr, affine_type)

    def __contains__(self, expr):
        return id(expr) in self._types

    def get(self, expr, default=None):
        entry = self._types.get(id(expr))
        return default if entry is None else entry[1]

    def set_float_type(self, expr, ty):
        self._float_types[id(expr)] = (expr, ty)

    def float_type(self, expr):
        """The checked type of the float expression ``expr`` stands for (``None``
        if unknown)."""
        entry = self._float_types.get(id(expr))
        if entry is not None:
            return entry[1]
        return expr._checked_type_


# -- registration -------------------------------------------------------------------------
# Rules live in the op registry under _RULE_ATTR, registered with
# relay.op.register_fake_quantization_to_integer (re-exported here, as 0.8's module path).


def _rule(call):
    if isinstance(call.op, Op):
        return call.op.get_attr(_RULE_ATTR)
    return None


# -- helpers on parameters ----------------------------------------------------------------


def _value(expr):
    """The NumPy value of a constant parameter (folded if it is a constant
    expression), else ``None``."""
    if isinstance(expr, Constant):
        return expr.numpy()
    folded = fold_constant(expr)
    if isinstance(folded, Constant):
        return folded.numpy()
    return None


def _param_repr(expr):
    value = _value(expr)
    return repr(value.tolist()) if value is not None else type(expr).__name__


def _same_param(a, b):
    if a is b:
        return True
    va, vb = _value(a), _value(b)
    if va is not None and vb is not None:
        return va.shape == vb.shape and bool(np.all(va == vb))
    return structural_equal(a, b)


def _is_per_tensor(t):
    for param in (t.scale, t.zero_point):
        value = _value(param)
        if value is None or value.size != 1:
            return False
    return True


def _scalar(value):
    return value.reshape(-1)[0].item()


def _fold(expr):
    return fold_constant(expr)


def _product_scale(a, b):
    """``a * b`` of two scales, evaluated now when both are constants (float32, as
    the float graph's own arithmetic)."""
    va, vb = _value(a), _value(b)
    if va is not None and vb is not None:
        return const(np.multiply(va.astype("float32"), vb.astype("float32")))
    return _fold(_tensor.multiply(a, b))


def _zeros_for(scale):
    value = _value(scale)
    if value is None:
        raise UnsupportedRewrite("a non-constant scale whose shape is unknown")
    return const(np.zeros(value.shape, "int32"))


def _along_axis(value, axis, rank):
    """A per-channel vector reshaped to broadcast along ``axis`` of a rank-``rank``
    tensor; scalars stay scalars."""
    value = np.asarray(value)
    if value.size == 1:
        return value.reshape(())
    axis = axis + rank if axis < 0 else axis
    return value.reshape([1] * axis + [value.size] + [1] * (rank - axis - 1))


def _quantize_np(real, t, rank=None):
    """Quantize a float array with ``t``'s parameters, as ``qnn.quantize`` does
    (round half to even, add the zero point, saturate)."""
    scale, zero_point = _value(t.scale), _value(t.zero_point)
    if scale is None or zero_point is None:
        raise UnsupportedRewrite("quantizing a constant needs constant scale and zero point")
    if scale.size > 1 or zero_point.size > 1:
        if rank is None:
            raise UnsupportedRewrite("per-channel quantization of a constant of unknown rank")
        scale = _along_axis(scale, t.axis, rank)
        zero_point = _along_axis(zero_point, t.axis, rank)
    else:
        scale, zero_point = scale.reshape(()), zero_point.reshape(())
    low, high = _RANGES[t.dtype]
    real = np.asarray(real, "float32")
    q = np.round(real / scale.astype("float32")) + zero_point.astype("float32")
    return np.clip(q, low, high).astype(t.dtype)


def _rank(expr, type_map):
    ty = type_map.float_type(expr)
    if ty is None or not hasattr(ty, "shape"):
        raise UnsupportedRewrite("the rank of a per-channel operand is unknown")
    return len(ty.shape)


def _requantize(expr, src, dst):
    """``expr`` (quantized with ``src``) with ``dst``'s parameters and dtype."""
    from ..qnn.op import requantize  # pylint: disable=import-outside-toplevel

    if src == dst:
        return expr
    return requantize(expr, src.scale, src.zero_point, dst.scale, dst.zero_point,
                      axis=src.axis, out_dtype=dst.dtype)


def _per_channel_axis_unchanged(expr, type_map, what):
    t = type_map[expr.args[0]]
    if not _is_per_tensor(t):
        raise UnsupportedRewrite(f"{what} of a per-channel quantized tensor")
    return t


# -- the rules of TVM 0.8 -------------------------------------------------------------------


@register_fake_quantization_to_integer("qnn.dequantize")
def _dequantize(expr, type_map):
    """The integer input itself, with the dequantize's parameters."""
    return [expr.args[0], type_map[expr]]


@register_fake_quantization_to_integer("qnn.quantize")
def _quantize(expr, type_map):
    """A requantize to the quantize's parameters, or nothing when they agree."""
    data = expr.args[0]
    src = type_map[data]
    dst = TensorAffineType(expr.args[1], expr.args[2], expr.attrs.out_dtype, expr.attrs.axis)
    if isinstance(src, TupleAffineType):
        raise UnsupportedRewrite("qnn.quantize of a tuple")
    return [_requantize(data, src, dst), dst]


def register_unary_identity(op_name):
    """Register ``op_name`` as commuting with a per-tensor affine map: it runs on
    the quantized values and keeps their parameters. (0.8 registered the same
    list; a per-channel input is refused, since these ops may move or cut the
    channel axis.)"""

    def identity(expr, type_map):
        if len(expr.args) != 1:
            raise UnsupportedRewrite(f"{op_name} with {len(expr.args)} arguments")
        return [expr, _per_channel_axis_unchanged(expr, type_map, op_name)]

    return register_fake_quantization_to_integer(op_name, identity)


for _name in ("reshape", "squeeze", "strided_slice", "expand_dims", "nn.batch_flatten",
              "nn.depth_to_space"):
    register_unary_identity(_name)


@register_fake_quantization_to_integer("transpose")
def _transpose(expr, type_map):
    """Runs on the quantized values; a per-channel axis moves with the permutation."""
    t = type_map[expr.args[0]]
    if _is_per_tensor(t):
        return [expr, t]
    rank = _rank(expr.args[0], type_map)
    axes = expr.attrs.get("axes")
    axes = list(reversed(range(rank))) if not axes else [int(a) % rank for a in axes]
    axis = axes.index(t.axis % rank)
    return [expr, TensorAffineType(t.scale, t.zero_point, t.dtype, axis)]


def _channel_axis(layout):
    return str(layout).index("C")


@register_fake_quantization_to_integer("nn.max_pool2d")
def _max_pool2d(expr, type_map):
    """Max commutes with an increasing affine map (positive scales); pooling keeps
    the channel axis, so per-channel parameters stay valid."""
    t = type_map[expr.args[0]]
    if not _is_per_tensor(t):
        rank = _rank(expr.args[0], type_map)
        if t.axis % rank != _channel_axis(expr.attrs.layout):
            raise UnsupportedRewrite("nn.max_pool2d with per-channel parameters off the C axis")
    return [expr, t]


def _pool_in_int32(expr, type_map):
    """Average in int32 (no overflow of the sum) and cast back: the mean of
    affine values is the affine value of the mean."""
    t = type_map[expr.args[0]]
    if not _is_per_tensor(t):
        rank = _rank(expr.args[0], type_map)
        if t.axis % rank != _channel_axis(expr.attrs.layout):
            raise UnsupportedRewrite(f"{expr.op.name} with per-channel parameters off the C axis")
    wide = _otransform.cast(expr.args[0], "int32")
    pooled = Call(expr.op, [wide], expr.attrs)
    return [_otransform.cast(pooled, t.dtype), t]


register_fake_quantization_to_integer("nn.avg_pool2d", _pool_in_int32)
register_fake_quantization_to_integer("nn.global_avg_pool2d", _pool_in_int32)


@register_fake_quantization_to_integer("nn.bias_add")
def _bias_add(expr, type_map):
    """The bias requantized to the data's parameters (usually the int32
    accumulator of a convolution), then added in that domain."""
    data, bias = expr.args
    data_t, bias_t = type_map[data], type_map[bias]
    if not _is_per_tensor(data_t) and data_t.axis % _rank(data, type_map) != \
            int(expr.attrs.axis) % _rank(data, type_map):
        raise UnsupportedRewrite("nn.bias_add whose per-channel axis is not the bias axis")
    bias_dst = TensorAffineType(data_t.scale, data_t.zero_point, data_t.dtype, 0)
    bias_src = TensorAffineType(bias_t.scale, bias_t.zero_point, bias_t.dtype, 0)
    bias = _requantize(bias, bias_src, bias_dst)
    return [Call(expr.op, [data, bias], expr.attrs), data_t]


@register_fake_quantization_to_integer("nn.conv2d")
def _conv2d(expr, type_map):
    """``qnn.conv2d``: an int32 accumulator with scale ``data_scale *
    kernel_scale`` (per output channel if the kernel's is) and zero point 0."""
    data, kernel = expr.args
    data_t, kernel_t = type_map[data], type_map[kernel]
    if not _is_per_tensor(data_t):
        raise UnsupportedRewrite("nn.conv2d of per-channel quantized data")
    if not _is_per_tensor(kernel_t) and \
            kernel_t.axis % 4 != str(expr.attrs.kernel_layout).index("O"):
        raise UnsupportedRewrite("nn.conv2d with a kernel quantized off its O axis")
    attrs = expr.attrs.with_fields(out_dtype="int32")
    out = Call(_get_op("qnn.conv2d"),
               [data, kernel, data_t.zero_point, kernel_t.zero_point, data_t.scale,
                kernel_t.scale], attrs)
    scale = _product_scale(data_t.scale, kernel_t.scale)
    out_layout = expr.attrs.get("out_layout") or expr.attrs.data_layout
    return [out, TensorAffineType(scale, _zeros_for(scale), "int32", _channel_axis(out_layout))]


@register_fake_quantization_to_integer("nn.dense")
def _dense(expr, type_map):
    """``qnn.dense``: an int32 accumulator, per unit (last axis) if the weight is
    quantized per unit."""
    data, weight = expr.args
    data_t, weight_t = type_map[data], type_map[weight]
    if not _is_per_tensor(data_t):
        raise UnsupportedRewrite("nn.dense of per-channel quantized data")
    if not _is_per_tensor(weight_t) and weight_t.axis % 2 != 0:
        raise UnsupportedRewrite("nn.dense with a weight quantized off its units axis")
    out = Call(_get_op("qnn.dense"),
               [data, weight, data_t.zero_point, weight_t.zero_point, data_t.scale,
                weight_t.scale], expr.attrs.with_fields(out_dtype="int32"))
    scale = _product_scale(data_t.scale, weight_t.scale)
    axis = _rank(data, type_map) - 1 if not _is_per_tensor(weight_t) else -1
    return [out, TensorAffineType(scale, _zeros_for(scale), "int32", axis)]


@register_fake_quantization_to_integer("nn.batch_matmul")
def _batch_matmul(expr, type_map):
    """``qnn.batch_matmul`` (per-tensor parameters, ``y`` transposed as 0.8's
    default ``nn.batch_matmul``)."""
    x, y = expr.args
    x_t, y_t = type_map[x], type_map[y]
    if not (_is_per_tensor(x_t) and _is_per_tensor(y_t)):
        raise UnsupportedRewrite("nn.batch_matmul with per-channel parameters")
    if expr.attrs is not None and (expr.attrs.get("transpose_a", False)
                                   or not expr.attrs.get("transpose_b", True)):
        raise UnsupportedRewrite("nn.batch_matmul other than x @ y^T (qnn.batch_matmul's form)")
    from ..qnn.op import batch_matmul  # pylint: disable=import-outside-toplevel

    out = batch_matmul(x, y, x_t.zero_point, y_t.zero_point, x_t.scale, y_t.scale)
    scale = _product_scale(x_t.scale, y_t.scale)
    return [out, TensorAffineType(scale, _zeros_for(scale), "int32", x_t.axis)]


@register_fake_quantization_to_integer("concatenate")
def _concatenate(expr, type_map):
    """``qnn.concatenate`` to the parameters of the region's quantize."""
    from ..qnn.op import concatenate  # pylint: disable=import-outside-toplevel

    tuple_t = type_map[expr.args[0]]
    out_t = type_map[expr]
    if not all(_is_per_tensor(t) for t in tuple_t.types) or not _is_per_tensor(out_t):
        raise UnsupportedRewrite("concatenate with per-channel parameters")
    fields = expr.args[0]
    fields = fields.fields if isinstance(fields, Tuple) else \
        [TupleGetItem(fields, i) for i in range(len(tuple_t.types))]
    out = concatenate(list(fields), [t.scale for t in tuple_t.types],
                      [t.zero_point for t in tuple_t.types], out_t.scale, out_t.zero_point,
                      int(expr.attrs.axis))
    if out_t.dtype != tuple_t.types[0].dtype:
        # qnn.concatenate keeps its inputs' dtype
        out_t = TensorAffineType(out_t.scale, out_t.zero_point, tuple_t.types[0].dtype,
                                 out_t.axis)
    return [out, out_t]


@register_fake_quantization_to_integer("split")
def _split(expr, type_map):
    """Each part keeps the input's parameters."""
    t = _per_channel_axis_unchanged(expr, type_map, "split")
    sections = expr.attrs.indices_or_sections
    count = int(sections) if isinstance(sections, int | np.integer) else len(sections) + 1
    return [expr, TupleAffineType([t] * count)]


def _bounds_like(arg, t, type_map, real):
    """The float bound ``real`` quantized with ``t`` (a scalar, or a per-channel
    constant broadcasting along ``t.axis``)."""
    rank = None if _is_per_tensor(t) else _rank(arg, type_map)
    return _quantize_np(np.asarray(real, "float32"), t, rank)


@register_fake_quantization_to_integer("clip")
def _clip(expr, type_map):
    """The bounds quantized with the input's parameters (rounded as quantize
    rounds, so clipping commutes with the final quantize exactly)."""
    arg = expr.args[0]
    t = type_map[arg]
    low = _bounds_like(arg, t, type_map, expr.attrs.a_min)
    high = _bounds_like(arg, t, type_map, expr.attrs.a_max)
    if low.ndim == 0 and high.ndim == 0:
        return [_tensor.clip(arg, int(low), int(high)), t]
    out = _tensor.minimum(_tensor.maximum(arg, const(low)), const(high))
    return [out, t]


@register_fake_quantization_to_integer("nn.relu")
def _relu(expr, type_map):
    """``maximum(q, zero_point)``: real zero is the zero point."""
    arg = expr.args[0]
    t = type_map[arg]
    zero = _bounds_like(arg, t, type_map, 0.0)
    return [_tensor.maximum(arg, const(zero)), t]


@register_fake_quantization_to_integer("nn.pad")
def _pad(expr, type_map):
    """The pad value in the data's parameters: requantized if it comes from a
    dequantize, quantized here if it is a float constant (TF2ONNX writes it so)."""
    data, pad_value = expr.args
    t = type_map[data]
    if not _is_per_tensor(t):
        raise UnsupportedRewrite("nn.pad of a per-channel quantized tensor (one pad value)")
    if pad_value in type_map:
        pad_value = _requantize(pad_value, type_map[pad_value], t)
    elif isinstance(pad_value, Constant):
        pad_value = const(_quantize_np(pad_value.numpy(), t))
    else:
        raise UnsupportedRewrite("nn.pad with a float pad value that is not a constant")
    return [Call(expr.op, [data, pad_value], expr.attrs), t]


def _binary_types(expr, type_map):
    """The operands and affine types of a binary op; a float constant operand is
    quantized with the other operand's parameters (then the output keeps them).
    The output takes the left operand's dtype, as the qnn binary ops do."""
    left, right = expr.args
    left_t, right_t = type_map.get(left), type_map.get(right)
    out_t = type_map[expr]
    if left_t is None and right_t is None:
        raise UnsupportedRewrite("a binary op with no quantized operand")
    if left_t is None or right_t is None:
        known, known_t = (right, right_t) if left_t is None else (left, left_t)
        constant = left if left_t is None else right
        if not isinstance(constant, Constant):
            raise UnsupportedRewrite("a binary op with a float operand that is not a constant")
        rank = None if _is_per_tensor(known_t) else _rank(known, type_map)
        quantized = const(_quantize_np(constant.numpy(), known_t, rank))
        if left_t is None:
            left, left_t = quantized, known_t
        else:
            right, right_t = quantized, known_t
        out_t = known_t
    if left_t.dtype != out_t.dtype:
        out_t = left_t
    return left, right, left_t, right_t, out_t


def register_binary_qnn(op_name, qnn_op):
    """Register ``op_name`` as rewritten to the QNN binary op ``qnn_op(lhs, rhs,
    lhs_scale, lhs_zp, rhs_scale, rhs_zp, out_scale, out_zp)``."""

    def binary(expr, type_map):
        left, right, left_t, right_t, out_t = _binary_types(expr, type_map)
        if not all(_is_per_tensor(t) for t in (left_t, right_t, out_t)):
            raise UnsupportedRewrite(f"{op_name} with per-channel parameters")
        out = qnn_op(left, right, left_t.scale, left_t.zero_point, right_t.scale,
                     right_t.zero_point, out_t.scale, out_t.zero_point)
        return [out, out_t]

    return register_fake_quantization_to_integer(op_name, binary)


def _qnn_binary(name):
    def make(*args):
        from ..qnn import op as _qnn_op  # pylint: disable=import-outside-toplevel

        return getattr(_qnn_op, name)(*args)

    return make


register_binary_qnn("add", _qnn_binary("add"))
register_binary_qnn("multiply", _qnn_binary("mul"))
register_binary_qnn("subtract", _qnn_binary("subtract"))


def register_binary_identity(op_name, op):
    """Register ``op_name`` as a binary op that commutes with one (increasing)
    affine map: both operands requantized to the output's parameters, then
    ``op`` on the integers."""

    def binary(expr, type_map):
        left, right, left_t, right_t, out_t = _binary_types(expr, type_map)
        return [op(_requantize(left, left_t, out_t), _requantize(right, right_t, out_t)), out_t]

    return register_fake_quantization_to_integer(op_name, binary)


register_binary_identity("minimum", _tensor.minimum)
register_binary_identity("maximum", _tensor.maximum)


# -- the pass ----------------------------------------------------------------------------------


def _is_call_of(expr, name):
    return isinstance(expr, Call) and isinstance(expr.op, Op) and expr.op.name == name


def _region(quantize):
    """The nodes between ``quantize`` and its dequantize inputs, or ``None`` when
    that part of the graph is not a fake-quantized region this pass can rewrite."""
    nodes, seen, stack = [], set(), [quantize.args[0]]
    dequantized = False
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Constant):
            continue
        if isinstance(node, Call) and isinstance(node.op, Op):
            if node.op.name == "qnn.quantize":
                return None  # quantized values used as floats: not a float region
            if _rule(node) is None:
                logger.debug("FakeQuantizationToInteger: no rule for %s", node.op.name)
                return None
            nodes.append(node)
            if node.op.name == "qnn.dequantize":
                dequantized = True
            else:
                stack.extend(node.args)
        elif isinstance(node, Tuple):
            nodes.append(node)
            stack.extend(node.fields)
        elif isinstance(node, TupleGetItem):
            nodes.append(node)
            stack.append(node.tuple_value)
        else:
            # a variable, function, let, if ...: a float value from outside any dequantize
            return None
    return nodes if dequantized else None


class _RegionRewriter:
    """Rewrites one region (given as nodes of the original, typed graph); the
    region's inputs come from ``outer`` (the rewritten rest of the graph)."""

    def __init__(self, outer, out_type):
        self.outer = outer
        self.out_type = out_type
        self.types = AffineTypeMap()
        self.memo = {}

    def rewrite(self, node):
        found = self.memo.get(id(node))
        if found is not None:
            return found[1]
        if isinstance(node, Constant):
            out = node
        elif isinstance(node, Call):
            out = self._call(node)
        elif isinstance(node, Tuple):
            fields = [self.rewrite(f) for f in node.fields]
            out = Tuple(fields, node.span)
            self.types[out] = TupleAffineType([self.types[f] for f in fields])
        elif isinstance(node, TupleGetItem):
            inner = self.rewrite(node.tuple_value)
            out = TupleGetItem(inner, node.index)
            tuple_t = self.types[inner]
            if not isinstance(tuple_t, TupleAffineType):
                raise UnsupportedRewrite("a tuple projection of a tensor")
            self.types[out] = tuple_t.types[node.index]
        else:
            raise UnsupportedRewrite(f"a {type(node).__name__} inside the region")
        if node._checked_type_ is not None:
            self.types.set_float_type(out, node._checked_type_)
        self.memo[id(node)] = (node, out)
        return out

    def _call(self, node):
        if node.op.name == "qnn.dequantize":
            args = [self.outer.visit(a) for a in node.args]
            new = Call(node.op, args, node.attrs, node.type_args, node.span)
            data_type = node.args[0].checked_type
            t = TensorAffineType(args[1], args[2], data_type.dtype, node.attrs.axis)
            earlier = self.types.get(args[0])
            if earlier is not None and earlier != t:
                # the rewritten value is the integer input itself: one node, one type
                raise UnsupportedRewrite("one tensor dequantized with two sets of parameters")
            self.types[new] = t
            self.types.set_float_type(args[0], data_type)
        elif node.op.name == "qnn.quantize":
            args = [self.rewrite(node.args[0])] + [self.outer.visit(a) for a in node.args[1:]]
            new = Call(node.op, args, node.attrs, node.type_args, node.span)
            self.types[new] = self.out_type
        else:
            args = [self.rewrite(a) for a in node.args]
            new = Call(node.op, args, node.attrs, node.type_args, node.span)
            # rules that cannot derive their output parameters use the quantize's
            self.types[new] = self.out_type
        result = _rule(node)(new, self.types)
        if len(result) != 2:
            raise ValueError(f"the FakeQuantizationToInteger rule of {node.op.name} returned "
                             f"{len(result)} values, expected [expr, affine_type]")
        out, out_t = result
        self.types[out] = out_t
        if node._checked_type_ is not None:
            self.types.set_float_type(out, node._checked_type_)
        return out


class _FakeQuantizationRewriter(ExprMutator):
    def visit_call(self, call):
        if _is_call_of(call, "qnn.quantize"):
            rewritten = self._rewrite_region(call)
            if rewritten is not None:
                return rewritten
        return super().visit_call(call)

    def _rewrite_region(self, quantize):
        if _region(quantize) is None:
            return None
        out_type = TensorAffineType(self.visit(quantize.args[1]), self.visit(quantize.args[2]),
                                    quantize.attrs.out_dtype, quantize.attrs.axis)
        try:
            return _RegionRewriter(self, out_type).rewrite(quantize)
        except (UnsupportedRewrite, _NotQuantized) as err:
            logger.info("FakeQuantizationToInteger: region kept in float: %s", err)
            return None


def fake_quantization_to_integer(expr):
    """``expr`` (typed) with its fake-quantized regions rewritten to integer ops."""
    return _FakeQuantizationRewriter().visit(expr)


def FakeQuantizationToInteger():  # pylint: disable=invalid-name
    """Rewrite the regions between ``qnn.dequantize`` and ``qnn.quantize`` calls
    into integer (QNN) operations (upstream
    ``relay.transform.FakeQuantizationToInteger``, ``opt_level`` 0).

    .. code-block:: text

        x    w
        |    |
        dq   dq
         \\   /
          op1
           |
          op2
           |
           q

    becomes integer versions of ``op1`` and ``op2`` on ``x`` and ``w``, followed
    by a ``qnn.requantize`` when the parameters change. The per-op rules are in
    this module (:func:`register_fake_quantization_to_integer`).

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(0, "FakeQuantizationToInteger",
                             lambda func, _mod, _ctx: fake_quantization_to_integer(func))


__all__ = [
    "AffineTypeMap",
    "FakeQuantizationToInteger",
    "TensorAffineType",
    "TupleAffineType",
    "UnsupportedRewrite",
    "fake_quantization_to_integer",
    "register_binary_identity",
    "register_binary_qnn",
    "register_fake_quantization_to_integer",
    "register_unary_identity",
]
