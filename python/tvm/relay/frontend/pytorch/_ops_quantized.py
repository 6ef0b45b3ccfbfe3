"""Converters: models quantized with ``torch.ao.quantization`` (eager mode, traced).

A quantized tensor of torch carries its scale and zero point; here it is a
:class:`QTensor`: the integer Relay expression (uint8 / int8) with its
quantization parameters as Python numbers. The quantized operators become
Relay's QNN operators, as in TVM 0.8: ``aten::quantize_per_tensor`` ->
``qnn.quantize``, ``quantized::conv2d(_relu)`` -> ``qnn.conv2d`` + int32 bias +
``qnn.requantize``, ``quantized::linear(_relu)`` -> ``qnn.dense`` + bias +
``qnn.requantize``, ``quantized::add(_relu)`` -> ``qnn.add``, ``aten::dequantize``
-> ``qnn.dequantize``. Weights are unpacked from torch's packed parameters
(``quantized::conv2d_unpack`` / ``linear_unpack``) into int8 constants with
per-tensor or per-channel scales.

Layout operators (reshape, flatten, max pooling, dropout...) act on the integers
and keep the parameters (:data:`PASSTHROUGH`); ``relu`` clamps at the zero
point; average pooling runs on dequantized values and quantizes back. Results
may differ from torch's kernels by one quantization step (rounding).
"""
import numpy as np

from ... import expr as _expr
from ... import op as _op_registry  # noqa: F401
from ...op import nn as _nn
from ...op import tensor as _tensor
from ..common import infer_dtype
from ._registry import register

__all__ = ["QTensor", "PASSTHROUGH", "QUANTIZED_AWARE"]

#: operators applied to a quantized tensor's integers, its parameters unchanged
PASSTHROUGH = frozenset({
    "aten::flatten", "aten::view", "aten::reshape", "aten::contiguous", "aten::max_pool2d",
    "aten::dropout", "aten::permute", "aten::transpose", "aten::unsqueeze", "aten::squeeze",
    "aten::select", "aten::slice", "aten::detach", "aten::clone",
})

#: torch's quantized ScalarType codes -> Relay storage dtype
_QDTYPES = {12: "int8", 13: "uint8", 14: "int32"}


class QTensor:
    """A quantized tensor: integer values with a per-tensor scale and zero point."""

    def __init__(self, value, scale, zero_point):
        self.value = value
        self.scale = float(scale)
        self.zero_point = int(zero_point)

    @property
    def dtype(self):
        return infer_dtype(self.value)

    def __repr__(self):
        return f"QTensor(scale={self.scale}, zero_point={self.zero_point})"


def _f32(value):
    return _expr.const(np.asarray(value, dtype="float32"))


def _i32(value):
    return _expr.const(np.asarray(value, dtype="int32"))


def _qnn():
    from ...qnn import op as qnn  # pylint: disable=import-outside-toplevel

    return qnn


def _clip_relu(ctx, value, zero_point, dtype):
    info = np.iinfo(dtype)
    return _tensor.clip(value, float(max(zero_point, info.min)), float(info.max))


@register("aten::quantize_per_tensor")
def _quantize(ctx, inputs):
    data, scale, zero_point, dtype = inputs[:4]
    out_dtype = _QDTYPES.get(dtype)
    if out_dtype is None:
        raise ctx.unsupported(f"quantized dtype code {dtype}")
    value = _qnn().quantize(data, _f32(scale), _i32(zero_point), out_dtype=out_dtype)
    return QTensor(value, scale, zero_point)


@register("aten::dequantize")
def _dequantize(ctx, inputs):
    data = inputs[0]
    if not isinstance(data, QTensor):
        return data
    return _qnn().dequantize(data.value, _f32(data.scale), _i32(data.zero_point))


def _weight_params(weight):
    """int8 values, scales and zero points of a quantized torch weight, and the axis."""
    import torch  # pylint: disable=import-outside-toplevel

    values = weight.int_repr().numpy()
    if weight.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        scales = weight.q_per_channel_scales().numpy().astype("float32")
        zero_points = weight.q_per_channel_zero_points().numpy().astype("int32")
        if np.any(zero_points):
            raise TypeError("per-channel weights with non-zero zero points are not supported")
        return values, scales, 0
    return values, np.float32(weight.q_scale()), int(weight.q_zero_point())


def _finish(ctx, acc, data, w_scales, bias, out_scale, out_zero_point, relu, axis):
    """int32 accumulator + bias -> requantized output (optionally relu'd) as a QTensor."""
    qnn = _qnn()
    acc_scales = np.asarray(data.scale * np.asarray(w_scales), dtype="float32")
    if bias is not None:
        bias_values = bias.detach().numpy()
        bias_int = np.round(bias_values / acc_scales).astype("int32")
        acc = _nn.bias_add(acc, _expr.const(bias_int), axis=axis)
    per_channel = acc_scales.ndim > 0 and acc_scales.size > 1
    out = qnn.requantize(acc, _expr.const(acc_scales), _i32(0), _f32(out_scale),
                         _i32(out_zero_point), axis=axis if per_channel else -1,
                         rounding="TONEAREST", out_dtype=data.dtype)
    if relu:
        out = _clip_relu(ctx, out, out_zero_point, data.dtype)
    return QTensor(out, out_scale, out_zero_point)


@register("quantized::conv2d", "quantized::conv2d_relu")
def _qconv2d(ctx, inputs):
    import torch  # pylint: disable=import-outside-toplevel

    data, packed, out_scale, out_zero_point = inputs[:4]
    weight, bias = torch.ops.quantized.conv2d_unpack(packed)
    values, w_scales, w_zero_point = _weight_params(weight)
    if packed.transpose():
        raise ctx.unsupported("quantized transposed convolution")
    groups = int(packed.groups())
    acc = _qnn().conv2d(
        data.value, _expr.const(values.astype("int8")), _i32(data.zero_point),
        _i32(w_zero_point), _f32(data.scale), _expr.const(np.asarray(w_scales, "float32")),
        kernel_size=values.shape[2:], channels=values.shape[0],
        strides=tuple(packed.stride()), padding=tuple(packed.padding()),
        dilation=tuple(packed.dilation()), groups=groups)
    return _finish(ctx, acc, data, w_scales, bias, out_scale, out_zero_point,
                   ctx.op_name.endswith("_relu"), 1)


@register("quantized::linear", "quantized::linear_relu")
def _qlinear(ctx, inputs):
    import torch  # pylint: disable=import-outside-toplevel

    data, packed, out_scale, out_zero_point = inputs[:4]
    weight, bias = torch.ops.quantized.linear_unpack(packed)
    values, w_scales, w_zero_point = _weight_params(weight)
    acc = _qnn().dense(data.value, _expr.const(values.astype("int8")), _i32(data.zero_point),
                       _i32(w_zero_point), _f32(data.scale),
                       _expr.const(np.asarray(w_scales, "float32")), units=values.shape[0])
    return _finish(ctx, acc, data, w_scales, bias, out_scale, out_zero_point,
                   ctx.op_name.endswith("_relu"), 1)


@register("quantized::add", "quantized::add_relu")
def _qadd(ctx, inputs):
    lhs, rhs, out_scale, out_zero_point = inputs[:4]
    out = _qnn().add(lhs.value, rhs.value, _f32(lhs.scale), _i32(lhs.zero_point),
                     _f32(rhs.scale), _i32(rhs.zero_point), _f32(out_scale),
                     _i32(out_zero_point))
    if ctx.op_name.endswith("_relu"):
        out = _clip_relu(ctx, out, out_zero_point, lhs.dtype)
    return QTensor(out, out_scale, out_zero_point)


def quantized_relu(ctx, data):
    return QTensor(_clip_relu(ctx, data.value, data.zero_point, data.dtype), data.scale,
                   data.zero_point)


def quantized_avg_pool(ctx, converter, data, inputs):
    """Average pooling of a quantized tensor: on dequantized values, quantized back."""
    qnn = _qnn()
    real = qnn.dequantize(data.value, _f32(data.scale), _i32(data.zero_point))
    pooled = converter(ctx, [real] + list(inputs[1:]))
    value = qnn.quantize(pooled, _f32(data.scale), _i32(data.zero_point), out_dtype=data.dtype)
    return QTensor(value, data.scale, data.zero_point)


#: converters that take QTensor inputs themselves
QUANTIZED_AWARE = frozenset({
    "aten::quantize_per_tensor", "aten::dequantize", "quantized::conv2d",
    "quantized::conv2d_relu", "quantized::linear", "quantized::linear_relu", "quantized::add",
    "quantized::add_relu",
})


def call(ctx, converter, inputs):
    """Run ``converter`` on inputs that may hold QTensors (see the module docstring)."""
    quantized = [v for v in inputs if isinstance(v, QTensor)]
    if not quantized or ctx.op_name in QUANTIZED_AWARE:
        return converter(ctx, inputs)
    first = quantized[0]
    if ctx.op_name in ("aten::relu", "aten::relu_"):
        return quantized_relu(ctx, first)
    if ctx.op_name in ("aten::adaptive_avg_pool2d", "aten::avg_pool2d"):
        return quantized_avg_pool(ctx, converter, first, inputs)
    if ctx.op_name not in PASSTHROUGH:
        import tvm  # pylint: disable=import-outside-toplevel

        raise tvm.error.OpNotImplemented(
            f"{ctx.op_name} on a quantized tensor is not supported (dequantize first)")
    plain = [v.value if isinstance(v, QTensor) else v for v in inputs]
    out = converter(ctx, plain)
    if isinstance(out, list | tuple):
        return type(out)(QTensor(o, first.scale, first.zero_point) for o in out)
    return QTensor(out, first.scale, first.zero_point)
