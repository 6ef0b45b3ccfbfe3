"""ONNX converters: elementwise math, activations, softmax, reductions, matrix products."""
import math

import numpy as np

import tvm

from ..op import algorithm as _algorithm
from ..op import nn as _nn
from ..op import reduce as _reduce
from ..op import tensor as _tensor
from ..op import transform as _transform
from ._onnx_common import const, normalize_axis, onnx_dtype, register

# -- elementwise ------------------------------------------------------------------

_UNARY = {
    "Abs": _tensor.abs, "Acos": _tensor.acos, "Acosh": _tensor.acosh, "Asin": _tensor.asin,
    "Asinh": _tensor.asinh, "Atan": _tensor.atan, "Atanh": _tensor.atanh,
    "Ceil": _tensor.ceil, "Cos": _tensor.cos, "Erf": _tensor.erf,
    "Exp": _tensor.exp, "Floor": _tensor.floor, "IsNaN": _tensor.isnan, "Log": _tensor.log,
    "Neg": _tensor.negative, "Not": _tensor.logical_not, "Relu": _nn.relu,
    "Round": _tensor.round, "Sigmoid": _tensor.sigmoid, "Sign": _tensor.sign,
    "Sin": _tensor.sin, "Sqrt": _tensor.sqrt, "Tan": _tensor.tan,
    "Tanh": _tensor.tanh,
}

_BINARY = {
    "Add": _tensor.add, "Sub": _tensor.subtract, "Mul": _tensor.multiply,
    "Equal": _tensor.equal, "Less": _tensor.less, "LessOrEqual": _tensor.less_equal,
    "Greater": _tensor.greater, "GreaterOrEqual": _tensor.greater_equal,
    "And": _tensor.logical_and, "Or": _tensor.logical_or, "Xor": _tensor.logical_xor,
}


@register(*_UNARY)
def _unary(node, graph):  # pylint: disable=unused-argument
    return _UNARY[node.op_type](node.require(0, "X"))


@register(*_BINARY)
def _binary(node, graph):  # pylint: disable=unused-argument
    return _BINARY[node.op_type](node.require(0, "A"), node.require(1, "B"))


@register("Cosh", "Sinh")
def _hyperbolic(node, graph):
    # Through exp: the base's LLVM code generator has no cosh/sinh intrinsics.
    data = node.require(0, "input")
    pos, neg = _tensor.exp(data), _tensor.exp(_tensor.negative(data))
    func = _tensor.add if node.op_type == "Cosh" else _tensor.subtract
    return _tensor.multiply(func(pos, neg), const(0.5, graph.dtype(data)))


def _is_int(dtype):
    return dtype.startswith(("int", "uint"))


@register("Div")
def _div(node, graph):  # pylint: disable=unused-argument
    # For integers relay's divide truncates toward zero, as ONNX specifies.
    return _tensor.divide(node.require(0, "A"), node.require(1, "B"))


@register("Mod")
def _mod(node, graph):
    lhs, rhs = node.require(0, "A"), node.require(1, "B")
    if node.attr("fmod", 0):  # C fmod: the sign of the dividend
        return _tensor.mod(lhs, rhs)
    if not _is_int(graph.dtype(lhs)) and node.opset < 28:
        raise node.error("fmod=0 is only defined for integer inputs before opset 28")
    # A - floor(A / B) * B: Python's %, the sign of the divisor (floats from opset 28)
    return _tensor.floor_mod(lhs, rhs)


@register("Pow")
def _pow(node, graph):
    base, exponent = node.require(0, "X"), node.require(1, "Y")
    dtype = graph.dtype(base)
    if graph.dtype(exponent) != dtype:
        exponent = _transform.cast(exponent, dtype)
    value = graph.value(exponent)
    if value is not None and value.size == 1 and not _is_int(dtype):
        # x ** 2 and x ** 0.5 are common in exported normalisations; the
        # multiplication and the square root are exact where pow may not be.
        if float(value.reshape(())) == 2.0:
            return _tensor.multiply(base, base)
        if float(value.reshape(())) == 0.5:
            return _tensor.sqrt(base)
    return _tensor.power(base, exponent)


@register("Reciprocal")
def _reciprocal(node, graph):
    data = node.require(0, "X")
    return _tensor.divide(const(1, graph.dtype(data)), data)


@register("Max", "Min", "Sum", "Mean")
def _variadic(node, graph):
    args = [a for a in node.inputs if a is not None]
    if not args:
        raise node.error("needs at least one input")
    func = {"Max": _tensor.maximum, "Min": _tensor.minimum}.get(node.op_type, _tensor.add)
    out = args[0]
    for arg in args[1:]:
        out = func(out, arg)
    if node.op_type == "Mean":
        out = _tensor.divide(out, const(len(args), graph.dtype(args[0])))
    return out


@register("Cast")
def _cast(node, graph):  # pylint: disable=unused-argument
    to = node.attr("to")
    if to is None:
        raise node.error("attribute 'to' is required", tvm.error.OpAttributeRequired)
    return _transform.cast(node.require(0, "input"), onnx_dtype(to))


@register("CastLike")
def _cast_like(node, graph):
    return _transform.cast(node.require(0, "input"), graph.dtype(node.require(1, "target_type")))


@register("Clip")
def _clip(node, graph):
    data = node.require(0, "input")
    dtype = graph.dtype(data)
    if node.opset < 11:
        lo, hi = node.attr("min"), node.attr("max")
    else:
        lo = hi = None
        for index, name in ((1, "min"), (2, "max")):
            expr = node.input(index)
            if expr is None:
                continue
            value = graph.value(expr)
            if value is None:
                # A computed bound: clamp with max/min, exact for any value.
                func = _tensor.maximum if name == "min" else _tensor.minimum
                data = func(data, expr)
            elif name == "min":
                lo = value.item()
            else:
                hi = value.item()
    if lo is None and hi is None:
        return data
    info = np.finfo(dtype) if dtype.startswith("float") else np.iinfo(dtype)
    lo = info.min if lo is None else lo
    hi = info.max if hi is None else hi
    return _tensor.clip(data, float(lo), float(hi))


# -- activations ------------------------------------------------------------------


@register("LeakyRelu")
def _leaky_relu(node, graph):  # pylint: disable=unused-argument
    return _nn.leaky_relu(node.require(0, "X"), node.attr("alpha", 0.01))


@register("PRelu")
def _prelu(node, graph):
    data, slope = node.require(0, "X"), node.require(1, "slope")
    shape, slope_shape = graph.shape(data), graph.shape(slope)
    try:
        np.broadcast_shapes(shape, slope_shape)
    except ValueError:
        # Exporters of opset < 7 give one slope per channel (axis 1).
        if len(slope_shape) != 1 or len(shape) < 2 or slope_shape[0] != shape[1]:
            raise node.error(f"slope {slope_shape} does not broadcast to X {shape}") from None
        slope = _transform.reshape(slope, (shape[1],) + (1,) * (len(shape) - 2))
    zero = const(0, graph.dtype(data))
    # The slope broadcasts unidirectionally to X, which nn.prelu (one axis) does not cover.
    return _transform.where(_tensor.less(data, zero), _tensor.multiply(data, slope), data)


@register("Shrink")
def _shrink(node, graph):
    data = node.require(0, "input")
    dtype = graph.dtype(data)
    lambd, bias = const(node.attr("lambd", 0.5), dtype), const(node.attr("bias", 0.0), dtype)
    low = _transform.where(_tensor.less(data, _tensor.negative(lambd)),
                           _tensor.add(data, bias), const(0, dtype))
    return _transform.where(_tensor.greater(data, lambd), _tensor.subtract(data, bias), low)


@register("Elu", "Celu")
def _elu(node, graph):
    data = node.require(0, "X")
    dtype = graph.dtype(data)
    alpha = const(node.attr("alpha", 1.0), dtype)
    scaled = data if node.op_type == "Elu" else _tensor.divide(data, alpha)
    neg = _tensor.multiply(alpha, _tensor.subtract(_tensor.exp(scaled), const(1, dtype)))
    return _transform.where(_tensor.greater(data, const(0, dtype)), data,
                            _tensor.minimum(neg, const(0, dtype)) if node.op_type == "Celu"
                            else neg)


@register("Selu")
def _selu(node, graph):
    data = node.require(0, "X")
    dtype = graph.dtype(data)
    alpha = const(node.attr("alpha", 1.67326319217681884765625), dtype)
    gamma = const(node.attr("gamma", 1.05070102214813232421875), dtype)
    neg = _tensor.multiply(alpha, _tensor.subtract(_tensor.exp(data), const(1, dtype)))
    return _tensor.multiply(
        gamma, _transform.where(_tensor.greater(data, const(0, dtype)), data, neg))


@register("HardSigmoid", "HardSwish")
def _hard_sigmoid(node, graph):
    data = node.require(0, "X")
    dtype = graph.dtype(data)
    if node.op_type == "HardSwish":
        alpha, beta = 1.0 / 6, 0.5
    else:
        alpha, beta = node.attr("alpha", 0.2), node.attr("beta", 0.5)
    out = _tensor.add(_tensor.multiply(data, const(alpha, dtype)), const(beta, dtype))
    out = _tensor.clip(out, 0.0, 1.0)
    return _tensor.multiply(data, out) if node.op_type == "HardSwish" else out


@register("Softplus")
def _softplus(node, graph):
    data = node.require(0, "X")
    return _tensor.log(_tensor.add(_tensor.exp(data), const(1, graph.dtype(data))))


@register("Softsign")
def _softsign(node, graph):
    data = node.require(0, "X")
    return _tensor.divide(data, _tensor.add(_tensor.abs(data), const(1, graph.dtype(data))))


@register("Gelu")
def _gelu(node, graph):
    data = node.require(0, "X")
    dtype = graph.dtype(data)
    approximate = node.attr("approximate", "none")
    half = _tensor.multiply(data, const(0.5, dtype))
    if approximate == "none":
        inner = _tensor.erf(_tensor.multiply(data, const(1 / math.sqrt(2), dtype)))
    elif approximate == "tanh":
        cube = _tensor.multiply(_tensor.multiply(data, data), data)
        inner = _tensor.add(data, _tensor.multiply(cube, const(0.044715, dtype)))
        inner = _tensor.tanh(_tensor.multiply(inner, const(math.sqrt(2 / math.pi), dtype)))
    else:
        raise node.error(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return _tensor.multiply(half, _tensor.add(inner, const(1, dtype)))


@register("Softmax", "LogSoftmax")
def _softmax(node, graph):
    data = node.require(0, "input")
    func = _nn.softmax if node.op_type == "Softmax" else _nn.log_softmax
    shape = graph.shape(data)
    ndim = len(shape)
    if node.opset >= 13:
        return func(data, normalize_axis(node.attr("axis", -1), ndim, node))
    # Before opset 13 the input is viewed as 2-d: [prod(shape[:axis]), prod(shape[axis:])].
    axis = normalize_axis(node.attr("axis", 1), ndim, node)
    if axis == ndim - 1:
        return func(data, axis)
    shape = graph.static_shape(data, node)
    flat = _transform.reshape(data, (int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))))
    return _transform.reshape(func(flat, 1), shape)


# -- reductions -------------------------------------------------------------------

_REDUCE = {
    "ReduceMean": _reduce.mean, "ReduceSum": _reduce.sum, "ReduceMax": _reduce.max,
    "ReduceMin": _reduce.min, "ReduceProd": _reduce.prod,
}
# Opset in which each reduction took its axes as an input instead of an attribute.
_AXES_INPUT_SINCE = {"ReduceSum": 13}


@register(*_REDUCE, "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ReduceLogSum")
def _reduction(node, graph):
    data = node.require(0, "data")
    ndim = len(graph.shape(data))
    keepdims = bool(node.attr("keepdims", 1))
    if node.opset >= _AXES_INPUT_SINCE.get(node.op_type, 18):
        axes_expr = node.input(1)
        axes = None if axes_expr is None else graph.static(axes_expr, node, "axes")
        axes = None if axes is None or axes.size == 0 else tuple(int(a) for a in axes.ravel())
        if axes is None and node.attr("noop_with_empty_axes", 0):
            return data
    else:
        axes = node.attr("axes")
    axes = tuple(range(ndim)) if axes is None else tuple(
        sorted(normalize_axis(a, ndim, node, "axes") for a in axes))
    if not keepdims and len(axes) == ndim:
        # A full reduction to 0-d: reduce keeping dims, then drop them (the x86
        # schedule of a 0-d mean fails in the base's rfactor).
        return _transform.reshape(_reduce_expr(node.op_type, data, axes, True), ())
    return _reduce_expr(node.op_type, data, axes, keepdims)


def _reduce_expr(op_type, data, axes, keepdims):
    if op_type in _REDUCE:
        return _REDUCE[op_type](data, axes, keepdims)
    if op_type == "ReduceL1":
        return _reduce.sum(_tensor.abs(data), axes, keepdims)
    if op_type == "ReduceSumSquare":
        return _reduce.sum(_tensor.multiply(data, data), axes, keepdims)
    if op_type == "ReduceL2":
        return _tensor.sqrt(_reduce.sum(_tensor.multiply(data, data), axes, keepdims))
    if op_type == "ReduceLogSum":
        return _tensor.log(_reduce.sum(data, axes, keepdims))
    return _reduce.logsumexp(data, axes, keepdims)


@register("ArgMax", "ArgMin")
def _arg_reduce(node, graph):
    data = node.require(0, "data")
    ndim = len(graph.shape(data))
    axis = normalize_axis(node.attr("axis", 0), ndim, node)
    func = _reduce.argmax if node.op_type == "ArgMax" else _reduce.argmin
    out = func(data, axis=(axis,), keepdims=bool(node.attr("keepdims", 1)),
               select_last_index=bool(node.attr("select_last_index", 0)))
    return _transform.cast(out, "int64")


# -- matrix products ----------------------------------------------------------------


def _matmul2d(lhs, rhs):
    """``lhs @ rhs`` for 2-d operands as ``nn.dense`` (FoldConstant transposes a constant weight)."""
    return _nn.dense(lhs, _transform.transpose(rhs, (1, 0)))


@register("MatMul")
def _matmul(node, graph):
    from ._onnx_quantized import integer_matmul  # pylint: disable=import-outside-toplevel

    lhs, rhs = node.require(0, "A"), node.require(1, "B")
    lshape, rshape = graph.static_shape(lhs, node, "A"), graph.static_shape(rhs, node, "B")
    integer = integer_matmul(node, graph, lhs, rhs)  # QDQ: dequantized operands
    if integer is not None:
        return integer
    return matmul(lhs, rhs, lshape, rshape, node)


def matmul(lhs, rhs, lshape, rshape, node):
    """NumPy-style ``lhs @ rhs`` of static shapes (also used on int32 operands by the
    integer matrix products of ``_onnx_quantized``)."""
    if not lshape or not rshape:
        raise node.error("MatMul operands must have at least one dimension")
    row_vector, column_vector = len(lshape) == 1, len(rshape) == 1
    if row_vector:  # (k,) @ (..., k, n)
        lhs, lshape = _transform.reshape(lhs, (1, lshape[0])), (1, lshape[0])
    if column_vector:  # (..., m, k) @ (k,)
        rhs, rshape = _transform.reshape(rhs, (rshape[0], 1)), (rshape[0], 1)
    if lshape[-1] != rshape[-2]:
        raise node.error(f"inner dimensions differ: {lshape} @ {rshape}")
    m, k, n = lshape[-2], lshape[-1], rshape[-1]
    batch = tuple(np.broadcast_shapes(lshape[:-2], rshape[:-2]))
    if len(rshape) == 2:
        # (..., m, k) @ (k, n): one dense over all rows.
        rows = int(np.prod(lshape[:-1]))
        flat = lhs if len(lshape) == 2 else _transform.reshape(lhs, (rows, k))
        out = _matmul2d(flat, rhs)
        out_shape = tuple(lshape[:-1]) + (n,)
        if len(lshape) != 2:
            out = _transform.reshape(out, out_shape)
    else:
        count = int(np.prod(batch)) if batch else 1

        def as_3d(expr, shape):
            if tuple(shape[:-2]) != batch:
                expr = _transform.broadcast_to(expr, batch + tuple(shape[-2:]))
            return _transform.reshape(expr, (count,) + tuple(shape[-2:]))

        out = _nn.batch_matmul(as_3d(lhs, lshape), as_3d(rhs, rshape), transpose_b=False)
        out_shape = batch + (m, n)
        out = _transform.reshape(out, out_shape)
    if row_vector or column_vector:
        final = out_shape[:-2] + (() if row_vector else (m,)) + (() if column_vector else (n,))
        out = _transform.reshape(out, final)
    return out


@register("Gemm")
def _gemm(node, graph):
    a, b, c = node.require(0, "A"), node.require(1, "B"), node.input(2)
    dtype = graph.dtype(a)
    if len(graph.shape(a)) != 2 or len(graph.shape(b)) != 2:
        raise node.error("A and B must be 2-d")
    alpha, beta = float(node.attr("alpha", 1.0)), float(node.attr("beta", 1.0))
    out = None
    if not node.attr("transA", 0):
        from ._onnx_quantized import integer_matmul  # pylint: disable=import-outside-toplevel

        out = integer_matmul(node, graph, a, b, transposed=bool(node.attr("transB", 0)))
    if out is None:
        if node.attr("transA", 0):
            a = _transform.transpose(a, (1, 0))
        # nn.dense multiplies by the transposed weight: B is the weight when transB is set.
        weight = b if node.attr("transB", 0) else _transform.transpose(b, (1, 0))
        out = _nn.dense(a, weight)
    if alpha != 1.0:
        out = _tensor.multiply(out, const(alpha, dtype))
    if c is not None and beta != 0.0:
        if beta != 1.0:
            c = _tensor.multiply(c, const(beta, dtype))
        out = _tensor.add(out, c)
    return out



@register("Einsum")
def _einsum(node, graph):  # pylint: disable=unused-argument
    equation = node.attr("equation", "")
    if "..." in equation:
        raise node.unsupported("an Einsum equation with an ellipsis")
    return _transform.einsum([a for a in node.inputs if a is not None], equation.replace(" ", ""))


@register("Mish")
def _mish(node, graph):
    data = node.require(0, "X")
    softplus = _tensor.log(_tensor.add(_tensor.exp(data), const(1, graph.dtype(data))))
    return _tensor.multiply(data, _tensor.tanh(softplus))


@register("ThresholdedRelu")
def _thresholded_relu(node, graph):
    data = node.require(0, "X")
    dtype = graph.dtype(data)
    above = _tensor.greater(data, const(node.attr("alpha", 1.0), dtype))
    return _transform.where(above, data, const(0, dtype))


@register("IsInf")
def _isinf(node, graph):
    data = node.require(0, "X")
    inf = _tensor.isinf(data)
    negative, positive = node.attr("detect_negative", 1), node.attr("detect_positive", 1)
    if negative and positive:
        return inf
    zero = const(0, graph.dtype(data))
    if negative:
        return _tensor.logical_and(inf, _tensor.less(data, zero))
    if positive:
        return _tensor.logical_and(inf, _tensor.greater(data, zero))
    return _tensor.logical_and(inf, _tensor.logical_not(inf))


# -- ordering and scans -----------------------------------------------------------------


@register("TopK")
def _topk(node, graph):
    data = node.require(0, "X")
    ndim = len(graph.shape(data))
    axis = normalize_axis(node.attr("axis", -1), ndim, node)
    if node.opset >= 10:
        k_expr = node.require(1, "K")
        k = graph.value(k_expr)
        # K known at run time: dyn.topk (the module runs on the VM)
        k = _transform.reshape(k_expr, ()) if k is None else int(np.asarray(k).ravel()[0])
    else:
        k = int(node.attr("k"))
    # sorted=0 allows any order of the k results; the sorted order is one of them.
    values, indices = _algorithm.topk(data, k=k, axis=axis, ret_type="both",
                                      is_ascend=not node.attr("largest", 1), dtype="int64")
    return [values, indices]


@register("CumSum")
def _cumsum(node, graph):
    data = node.require(0, "x")
    ndim = len(graph.shape(data))
    axis = graph.static(node.require(1, "axis"), node, "axis")
    axis = normalize_axis(int(np.asarray(axis).ravel()[0]), ndim, node)
    exclusive = bool(node.attr("exclusive", 0))
    if node.attr("reverse", 0):  # a sum from the end: reverse, scan, reverse back
        flipped = _transform.reverse(data, axis)
        return _transform.reverse(_transform.cumsum(flipped, axis, exclusive=exclusive), axis)
    return _transform.cumsum(data, axis, exclusive=exclusive)
