"""Converters: activation functions and softmax.

In-place variants (``aten::relu_``) convert like their functional forms.
"""
import math

import numpy as np

from ... import op as _op_registry  # noqa: F401
from ...op import nn as _nn
from ...op import tensor as _tensor
from ...op import transform as _transform
from ._helpers import dtype_of, is_expr, promote, relay_dtype, shape_of, static_int, to_expr
from ._registry import register

__all__ = []


def _inplace(*names):
    return tuple(names) + tuple(n + "_" for n in names)


@register(*_inplace("aten::clamp", "aten::clip"))
def _clamp(ctx, inputs):
    data, low, high = inputs[0], inputs[1], inputs[2]
    if is_expr(low) or is_expr(high):
        if low is not None:
            data = _tensor.maximum(*promote(data, low, ctx.default_dtype))
        if high is not None:
            data = _tensor.minimum(*promote(data, high, ctx.default_dtype))
        return data
    info = np.finfo if dtype_of(data).startswith("float") else np.iinfo
    limits = info(dtype_of(data))
    return _tensor.clip(data, limits.min if low is None else low,
                        limits.max if high is None else high)


@register(*_inplace("aten::hardtanh"))
def _hardtanh(ctx, inputs):
    return _tensor.clip(inputs[0], float(inputs[1]), float(inputs[2]))


@register(*_inplace("aten::relu6"))
def _relu6(ctx, inputs):
    return _tensor.clip(inputs[0], 0.0, 6.0)


def _hard_sigmoid(data):
    # relu6(x + 3) / 6, as torch defines it
    dtype = dtype_of(data)
    shifted = _tensor.add(data, to_expr(3.0, dtype))
    return _tensor.divide(_tensor.clip(shifted, 0.0, 6.0), to_expr(6.0, dtype))


@register(*_inplace("aten::hardsigmoid"))
def _hardsigmoid(ctx, inputs):
    return _hard_sigmoid(inputs[0])


@register(*_inplace("aten::hardswish"))
def _hardswish(ctx, inputs):
    return _tensor.multiply(inputs[0], _hard_sigmoid(inputs[0]))


@register(*_inplace("aten::silu"))
def _silu(ctx, inputs):
    return _tensor.multiply(inputs[0], _tensor.sigmoid(inputs[0]))


@register(*_inplace("aten::leaky_relu"))
def _leaky_relu(ctx, inputs):
    return _nn.leaky_relu(inputs[0], float(inputs[1]))


@register(*_inplace("aten::elu", "aten::selu", "aten::celu"))
def _elu_family(ctx, inputs):
    data = inputs[0]
    dtype = dtype_of(data)
    name = ctx.op_name.rstrip("_")
    if name == "aten::selu":
        alpha, scale, input_scale = 1.6732632423543772, 1.0507009873554805, 1.0
    elif name == "aten::celu":
        alpha = float(inputs[1])
        scale, input_scale = 1.0, 1.0 / alpha
    else:
        alpha, scale, input_scale = (float(v) for v in inputs[1:4])
    # scale * (max(0, x) + min(0, alpha * (exp(x * input_scale) - 1)))
    negative = _tensor.multiply(to_expr(alpha, dtype), _tensor.subtract(
        _tensor.exp(_tensor.multiply(data, to_expr(input_scale, dtype))), to_expr(1.0, dtype)))
    out = _transform.where(_tensor.greater(data, to_expr(0.0, dtype)), data, negative)
    return out if scale == 1.0 else _tensor.multiply(out, to_expr(scale, dtype))


@register("aten::log_sigmoid")
def _log_sigmoid(ctx, inputs):
    # log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|
    data = inputs[0]
    dtype = dtype_of(data)
    soft = _tensor.log(_tensor.add(to_expr(1.0, dtype), _tensor.exp(_tensor.negative(
        _tensor.abs(data)))))
    return _tensor.subtract(_tensor.minimum(data, to_expr(0.0, dtype)), soft)


@register(*_inplace("aten::threshold"))
def _threshold(ctx, inputs):
    data, threshold, value = inputs[0], inputs[1], inputs[2]
    dtype = dtype_of(data)
    return _transform.where(_tensor.greater(data, to_expr(threshold, dtype)), data,
                            to_expr(value, dtype))


@register("aten::prelu", "aten::_prelu_kernel")
def _prelu(ctx, inputs):
    data, weight = inputs[0], inputs[1]
    rank = len(shape_of(data))
    if rank > 1 and len(shape_of(weight)) == 1:
        weight = _transform.reshape(weight, (-1,) + (1,) * (rank - 2))
    return _transform.where(_tensor.greater(data, to_expr(0.0, dtype_of(data))), data,
                            _tensor.multiply(data, weight))


@register("aten::gelu")
def _gelu(ctx, inputs):
    data = inputs[0]
    approximate = inputs[1] if len(inputs) > 1 and inputs[1] is not None else "none"
    dtype = dtype_of(data)

    def c(value):
        return to_expr(value, dtype)

    half_x = _tensor.multiply(data, c(0.5))
    if approximate == "none":
        inner = _tensor.erf(_tensor.multiply(data, c(1.0 / math.sqrt(2.0))))
    elif approximate == "tanh":
        cube = _tensor.multiply(_tensor.multiply(data, data), data)
        poly = _tensor.add(data, _tensor.multiply(cube, c(0.044715)))
        inner = _tensor.tanh(_tensor.multiply(poly, c(math.sqrt(2.0 / math.pi))))
    else:
        raise ctx.unsupported(f"approximate={approximate!r}")
    return _tensor.multiply(half_x, _tensor.add(inner, c(1.0)))


def _softmax_input(ctx, inputs):
    data = inputs[0]
    dtype = inputs[2] if len(inputs) > 2 else None
    if isinstance(dtype, int) and not isinstance(dtype, bool):
        dtype = relay_dtype(dtype)
    if isinstance(dtype, str) and dtype != dtype_of(data):
        data = _transform.cast(data, dtype)
    return data


@register("aten::softmax", "aten::_softmax")
def _softmax(ctx, inputs):
    data = inputs[0] if ctx.op_name == "aten::_softmax" else _softmax_input(ctx, inputs)
    return _nn.softmax(data, static_int(inputs[1]))


@register("aten::log_softmax", "aten::_log_softmax")
def _log_softmax(ctx, inputs):
    data = inputs[0] if ctx.op_name == "aten::_log_softmax" else _softmax_input(ctx, inputs)
    return _nn.log_softmax(data, static_int(inputs[1]))
