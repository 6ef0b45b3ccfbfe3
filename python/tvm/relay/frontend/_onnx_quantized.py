"""ONNX converters of quantized operators, through Relay's QNN operators.

* ``QuantizeLinear`` / ``DequantizeLinear`` (per tensor or per axis) become
  ``qnn.quantize`` / ``qnn.dequantize``: QDQ graphs import as they are written.
* ``QLinearConv`` is ``qnn.conv2d`` (int32 accumulation) + bias + ``qnn.requantize``;
  ``QLinearMatMul`` an integer matrix product + ``qnn.requantize``;
  ``ConvInteger`` / ``MatMulInteger`` the int32 products alone.
* In a QDQ graph, a ``Conv``, ``MatMul`` or ``Gemm`` whose data and weight both
  come from ``DequantizeLinear`` of 8-bit tensors is computed by
  :func:`integer_conv` / :func:`integer_matmul`: the integer product of the
  quantized tensors (``qnn.conv2d`` / ``qnn.dense``), dequantized with the
  product of the scales, then the float bias. The heavy arithmetic runs on
  integers as ONNX Runtime runs such graphs, not on dequantized floats.

Integer products subtract the zero points from int32-widened operands, so
padding adds real zeros (ONNX pads quantized convolutions with the zero point).
"""
import numpy as np

from ..expr import Call, Constant
from ..op import nn as _nn
from ..op import tensor as _tensor
from ..op import transform as _transform
from ..qnn import op as _qnn
from . import _onnx_math, _onnx_nn
from ._onnx_common import const, normalize_axis, onnx_dtype, register

_8BIT = ("int8", "uint8")


def _zero_point(node, graph, index, dtype="uint8"):
    """Zero point input ``index`` (int32 expr) and the quantized dtype it implies."""
    expr = node.input(index)
    if expr is None:
        return const(0, "int32"), dtype
    return _transform.cast(expr, "int32"), graph.dtype(expr)


def _param_axis(node, graph, scale, ndim):
    """The axis of a per-axis scale (``-1`` for a per-tensor one)."""
    shape = graph.shape(scale)
    if len(shape) == 0 or int(np.prod(shape)) == 1:
        return -1
    if len(shape) != 1:
        raise node.error(f"scales must be scalars or 1-d, got shape {shape}")
    return normalize_axis(node.attr("axis", 1), ndim, node)


@register("QuantizeLinear")
def _quantize_linear(node, graph):
    data, scale = node.require(0, "x"), node.require(1, "y_scale")
    if node.attr("block_size", 0):
        raise node.unsupported("blocked quantization (block_size)")
    zero_point, out_dtype = _zero_point(node, graph, 2)
    if node.attr("output_dtype", 0):
        out_dtype = onnx_dtype(node.attr("output_dtype"))
    if out_dtype not in ("int8", "uint8", "int16", "uint16"):
        raise node.unsupported(f"quantizing to {out_dtype}")
    ndim = len(graph.shape(data))
    axis = _param_axis(node, graph, scale, ndim)
    precision = node.attr("precision", 0)  # an attribute from opset 23
    if precision not in (0, 1):  # unset, or onnx.TensorProto.FLOAT
        raise node.unsupported(f"the division in precision {onnx_dtype(precision)} (it is done in float32)")
    if graph.dtype(data) != "float32":
        data = _transform.cast(data, "float32")
    return _qnn.quantize(data, _transform.cast(scale, "float32"), zero_point, axis, out_dtype)


@register("DequantizeLinear")
def _dequantize_linear(node, graph):
    data, scale = node.require(0, "x"), node.require(1, "x_scale")
    if node.attr("block_size", 0):
        raise node.unsupported("blocked quantization (block_size)")
    dtype = graph.dtype(data)
    if dtype not in ("int8", "uint8", "int16", "uint16", "int32"):
        raise node.unsupported(f"dequantizing {dtype}")
    zero_point, _ = _zero_point(node, graph, 2)
    axis = _param_axis(node, graph, scale, len(graph.shape(data)))
    result = _qnn.dequantize(data, _transform.cast(scale, "float32"), zero_point, axis)
    # the output takes the scale's type, or output_dtype (an attribute from opset 23)
    out_dtype = onnx_dtype(node.attr("output_dtype")) if node.attr("output_dtype", 0) else graph.dtype(scale)
    return result if out_dtype == "float32" else _transform.cast(result, out_dtype)


def _check_8bit(node, graph, expr, what):
    dtype = graph.dtype(expr)
    if dtype not in _8BIT:
        raise node.error(f"{what} must be int8 or uint8, got {dtype}")


def _conv_attrs(node, graph, data, weight):
    shape = graph.static_shape(data, node, "x")
    wshape = graph.static_shape(weight, node, "w")
    if len(shape) != 4:
        raise node.unsupported(f"a quantized convolution of a rank-{len(shape)} input "
                               "(only 2-d NCHW)")
    kernel = tuple(node.attr("kernel_shape", wshape[2:]))
    strides, dilations = _onnx_nn.spatial_attrs(node, 2, kernel)
    pads = _onnx_nn.conv_pads(node, shape[2:], kernel, strides, dilations)
    return {"kernel_size": kernel, "channels": wshape[0], "strides": strides, "padding": pads,
            "dilation": dilations, "groups": node.attr("group", 1)}


def _integer_conv(node, graph, data, weight, data_zp, weight_zp, data_scale, weight_scale):
    """int32 accumulator of the convolution of the quantized ``data`` and ``weight``."""
    attrs = _conv_attrs(node, graph, data, weight)
    return _qnn.conv2d(data, weight, data_zp, weight_zp, data_scale, weight_scale, **attrs)


def _times(lhs, rhs):
    return _tensor.multiply(_transform.cast(lhs, "float32"), _transform.cast(rhs, "float32"))


@register("QLinearConv")
def _qlinear_conv(node, graph):
    data, weight = node.require(0, "x"), node.require(3, "w")
    _check_8bit(node, graph, data, "x")
    _check_8bit(node, graph, weight, "w")
    data_scale, weight_scale = node.require(1, "x_scale"), node.require(4, "w_scale")
    out_scale = node.require(6, "y_scale")
    data_zp, _ = _zero_point(node, graph, 2)
    weight_zp, _ = _zero_point(node, graph, 5)
    out_zp, out_dtype = _zero_point(node, graph, 7)
    acc = _integer_conv(node, graph, data, weight, data_zp, weight_zp, data_scale, weight_scale)
    if node.input(8) is not None:
        acc = _nn.bias_add(acc, _transform.cast(node.input(8), "int32"), axis=1)
    per_channel = int(np.prod(graph.shape(weight_scale))) > 1
    return _qnn.requantize(acc, _times(data_scale, weight_scale), const(0, "int32"), out_scale,
                           out_zp, axis=1 if per_channel else -1, out_dtype=out_dtype)


@register("ConvInteger")
def _conv_integer(node, graph):
    data, weight = node.require(0, "x"), node.require(1, "w")
    _check_8bit(node, graph, data, "x")
    _check_8bit(node, graph, weight, "w")
    data_zp, _ = _zero_point(node, graph, 2)
    weight_zp, _ = _zero_point(node, graph, 3)
    one = const(1.0, "float32")
    return _integer_conv(node, graph, data, weight, data_zp, weight_zp, one, one)


def _integer_matmul(node, graph, lhs, rhs, lhs_zp, rhs_zp):
    """int32 ``(lhs - lhs_zp) @ (rhs - rhs_zp)``; ``rhs_zp`` may be per column."""
    lshape = graph.static_shape(lhs, node, "A")
    rshape = graph.static_shape(rhs, node, "B")
    if len(rshape) == 2 and isinstance(rhs, Constant):
        # A constant 2-d weight: qnn.dense over the rows (the transpose folds).
        out = _qnn.dense(lhs, _transform.transpose(rhs, (1, 0)), lhs_zp, rhs_zp,
                         const(1.0, "float32"), const(1.0, "float32"), rshape[1])
        return out
    centered_lhs = _tensor.subtract(_transform.cast(lhs, "int32"), lhs_zp)
    centered_rhs = _tensor.subtract(_transform.cast(rhs, "int32"), rhs_zp)
    return _onnx_math.matmul(centered_lhs, centered_rhs, lshape, rshape, node)


@register("MatMulInteger")
def _matmul_integer(node, graph):
    lhs, rhs = node.require(0, "A"), node.require(1, "B")
    _check_8bit(node, graph, lhs, "A")
    _check_8bit(node, graph, rhs, "B")
    lhs_zp, _ = _zero_point(node, graph, 2)
    rhs_zp, _ = _zero_point(node, graph, 3)
    if int(np.prod(graph.shape(lhs_zp))) > 1:
        raise node.unsupported("a per-row zero point of A")
    return _integer_matmul(node, graph, lhs, rhs, lhs_zp, rhs_zp)


@register("QLinearMatMul")
def _qlinear_matmul(node, graph):
    lhs, rhs = node.require(0, "a"), node.require(3, "b")
    _check_8bit(node, graph, lhs, "a")
    _check_8bit(node, graph, rhs, "b")
    lhs_scale, rhs_scale = node.require(1, "a_scale"), node.require(4, "b_scale")
    lhs_zp, _ = _zero_point(node, graph, 2)
    rhs_zp, _ = _zero_point(node, graph, 5)
    out_zp, out_dtype = _zero_point(node, graph, 7)
    if int(np.prod(graph.shape(lhs_scale))) > 1 or int(np.prod(graph.shape(lhs_zp))) > 1:
        raise node.unsupported("per-row quantization of a")
    acc = _integer_matmul(node, graph, lhs, rhs, lhs_zp, rhs_zp)
    per_column = int(np.prod(graph.shape(rhs_scale))) > 1
    return _qnn.requantize(acc, _times(lhs_scale, rhs_scale), const(0, "int32"),
                           node.require(6, "y_scale"), out_zp, axis=-1 if not per_column
                           else len(graph.shape(acc)) - 1, out_dtype=out_dtype)


# -- QDQ: float operators on dequantized 8-bit tensors, computed on integers --------------


def _dequantized(expr, graph):
    """``(quantized, scale, zero point, axis)`` when ``expr`` is a ``qnn.dequantize`` of an
    8-bit tensor, else None."""
    if not (isinstance(expr, Call) and getattr(expr.op, "name", None) == "qnn.dequantize"):
        return None
    data, scale, zero_point = expr.args
    if graph.dtype(data) not in _8BIT:
        return None
    return data, scale, zero_point, int(expr.attrs.axis)


def _per_tensor(graph, param):
    return int(np.prod(graph.shape(param))) == 1


def integer_conv(node, graph):
    """A ``Conv`` of dequantized 8-bit data and weight as an integer convolution; None when
    the inputs are not both dequantized (the float converter then runs)."""
    x = _dequantized(node.input(0), graph)
    w = _dequantized(node.input(1), graph)
    if x is None or w is None or len(graph.shape(x[0])) != 4 or not _per_tensor(graph, x[1]):
        return None
    per_channel = not _per_tensor(graph, w[1])
    if per_channel and w[3] not in (0, -4):
        return None
    acc = _integer_conv(node, graph, x[0], w[0], x[2], w[2], x[1], w[1])
    out = _qnn.dequantize(acc, _times(x[1], w[1]), const(0, "int32"),
                          axis=1 if per_channel else -1)
    if node.input(2) is not None:
        out = _nn.bias_add(out, node.input(2), axis=1)
    return out


def integer_matmul(node, graph, lhs, rhs, transposed=False):
    """``lhs @ rhs`` (``rhs`` 2-d; ``rhs^T`` with ``transposed``, as Gemm's ``transB``) on the
    quantized tensors when both are dequantized 8-bit tensors (per-tensor, or per output
    column of ``rhs``), else None."""
    a = _dequantized(lhs, graph)
    b = _dequantized(rhs, graph)
    if a is None or b is None or not _per_tensor(graph, a[1]) or len(graph.shape(b[0])) != 2:
        return None
    per_column = not _per_tensor(graph, b[1])
    if per_column and b[3] != (0 if transposed else 1):
        return None
    if transposed:
        if not isinstance(b[0], Constant):
            return None
        units = graph.shape(b[0])[0]
        acc = _qnn.dense(a[0], b[0], a[2], b[2], const(1.0, "float32"), const(1.0, "float32"),
                         units)
    else:
        acc = _integer_matmul(node, graph, a[0], b[0], a[2], b[2])
    return _qnn.dequantize(acc, _times(a[1], b[1]), const(0, "int32"),
                           axis=len(graph.shape(lhs)) - 1 if per_column else -1)


@register("DynamicQuantizeLinear")
def _dynamic_quantize_linear(node, graph):
    """uint8 quantization with a scale and zero point computed from the data's range (which
    always includes 0), as ONNX defines it; the three outputs are computed at run time."""
    from ..op import reduce as _reduce  # pylint: disable=import-outside-toplevel

    data = node.require(0, "x")
    if graph.dtype(data) != "float32":
        raise node.unsupported(f"DynamicQuantizeLinear of {graph.dtype(data)}")
    zero = const(0.0, "float32")
    low = _tensor.minimum(_reduce.min(data), zero)
    high = _tensor.maximum(_reduce.max(data), zero)
    scale = _tensor.divide(_tensor.subtract(high, low), const(255.0, "float32"))
    zero_point = _tensor.clip(_tensor.round(_tensor.subtract(zero, _tensor.divide(low, scale))),
                              0.0, 255.0)
    zero_point = _transform.cast(zero_point, "uint8")
    quantized = _qnn.quantize(data, scale, _transform.cast(zero_point, "int32"), -1, "uint8")
    return [quantized, scale, zero_point]
