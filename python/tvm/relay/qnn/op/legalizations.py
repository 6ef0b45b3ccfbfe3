"""QNN legalizations (0.8's ``"FTVMQnnLegalize"``), run by :func:`tvm.relay.qnn.transform.Legalize`.

Each target prefers its own input dtypes for ``qnn.conv2d`` / ``qnn.dense``
(the rules of TVM 0.8, chosen by ``tvm.target.Target.current()``):

* Intel CPUs with fast int8 arithmetic (an ``-mcpu`` with SSE4.2 or later):
  ``uint8`` data times ``int8`` weights (VNNI's operand types); other dtypes
  are shifted by 128, with their zero points, and the QNN op is kept;
* ARM CPUs with ``+v8.2a,+dotprod`` (or AArch64 NHWC non-depthwise
  convolutions): both inputs of the same dtype (the data shifted to the
  weight's);
* CUDA: both inputs ``int8``;
* CPUs without fast int8 arithmetic: the QNN op becomes the float op
  (``nn.conv2d`` / ``nn.dense``) on ``int16`` inputs with the zero points
  subtracted (LLVM vectorises int16 products well there).

Shifting by 128 changes no value: ``q - zp == (q + 128) - (zp + 128)``.

Note the fork's plain ``"llvm"`` target means the local machine (its CPU name
is filled in as ``-mcpu``), so on a machine with SSE4.2 it takes the fast-int8
rule; 0.8 read a plain ``"llvm"`` as a CPU without it.
"""
import numpy as np

from ... import expr as _expr
from ...op import nn as _nn
from ...op import tensor as _tensor
from ...op import transform as _otransform
from ...op.op import get as _get_op
from ...op.type_relations import parse_layout
from . import qnn as _qnn  # noqa: F401  (the QNN ops are declared first)

__all__ = ["register_qnn_legalize", "register_qnn_canonicalize"]


def register_qnn_legalize(op_name, legal_op=None, level=10):
    """Register ``legal_op(attrs, inputs, types) -> expr or None`` as the QNN
    legalization of ``op_name`` (0.8's ``FTVMQnnLegalize``); usable as a decorator."""

    def _do(func):
        _get_op(op_name).set_attr("FTVMQnnLegalize", func, level)
        return func

    return _do(legal_op) if legal_op is not None else _do


def register_qnn_canonicalize(op_name, legal_op=None, level=10):
    """Register ``legal_op(attrs, inputs, types)`` as ``FTVMQnnCanonicalize`` of
    ``op_name`` (0.8's hook; the fork's :func:`~tvm.relay.qnn.transform.CanonicalizeOps`
    lowers its own operators and does not read it)."""

    def _do(func):
        _get_op(op_name).set_attr("FTVMQnnCanonicalize", func, level)
        return func

    return _do(legal_op) if legal_op is not None else _do


def _current_target():
    from tvm.target import Target  # pylint: disable=import-outside-toplevel

    return Target.current(allow_none=True)


_SSE42_CPUS = {
    "silvermont", "slm", "goldmont", "goldmont-plus", "tremont", "nehalem", "corei7", "westmere",
    "bdver1", "bdver2", "bdver3", "x86-64-v2",
}


def _has_sse42(mcpu):
    """Whether LLVM's CPU ``mcpu`` has SSE4.2 (0.8's ``target_has_sse42``)."""
    if not mcpu:
        return False
    if mcpu in _SSE42_CPUS:
        return True
    try:
        from tvm.topi.generic.cpu_features import (  # pylint: disable=import-outside-toplevel
            _llvm_features_of,
        )

        features = _llvm_features_of(mcpu, (), "x86_64-unknown-linux-gnu")
    except Exception:  # pylint: disable=broad-except
        return False
    return "sse4.2" in features or "avx" in features


def _attr(target, key, default=None):
    value = target.attrs.get(key, default) if target is not None else default
    return default if value is None else value


def _is_fast_int8_on_intel(target):
    return _has_sse42(str(_attr(target, "mcpu", "")))


def _is_fast_int8_on_arm(target):
    mattr = [str(m) for m in _attr(target, "mattr", [])]
    return "+v8.2a" in mattr and "+dotprod" in mattr


def _is_aarch64(target):
    return "aarch64" in str(_attr(target, "mtriple", ""))


def _scalar_value(expr):
    if not isinstance(expr, _expr.Constant) or expr.data.shape:
        raise ValueError("qnn legalization: a zero point to shift must be a scalar constant")
    return np.asarray(expr.data.numpy()).item()


def _shift(data, zero_point, out_dtype):
    """``data`` shifted by +128 (to uint8) or -128 (to int8), with its zero point."""
    shift = 128 if out_dtype == "uint8" else -128
    shifted = _otransform.cast(_tensor.add(_otransform.cast(data, "int32"),
                                           _expr.const(shift, "int32")), out_dtype)
    if isinstance(zero_point, _expr.Constant):
        new_zero_point = _expr.const(int(_scalar_value(zero_point)) + shift, "int32")
    else:
        new_zero_point = _tensor.add(zero_point, _expr.const(shift, "int32"))
    return shifted, new_zero_point


def _qnn_call(relay_op, attrs, new_inputs):
    """The QNN op again, on the shifted inputs, with the same attributes."""
    return _expr.Call(_get_op(relay_op), list(new_inputs), attrs)


def _to_uint8_int8(attrs, inputs, types, relay_op):
    data_dtype, kernel_dtype = types[0].dtype, types[1].dtype
    if data_dtype == "uint8" and kernel_dtype == "int8":
        return None
    data, kernel, input_zp, kernel_zp = inputs[:4]
    if data_dtype == "int8":
        data, input_zp = _shift(data, input_zp, "uint8")
    if kernel_dtype == "uint8":
        kernel, kernel_zp = _shift(kernel, kernel_zp, "int8")
    return _qnn_call(relay_op, attrs, [data, kernel, input_zp, kernel_zp] + list(inputs[4:]))


def _to_int8(attrs, inputs, types, relay_op):
    data_dtype, kernel_dtype = types[0].dtype, types[1].dtype
    if data_dtype == "int8" and kernel_dtype == "int8":
        return None
    data, kernel, input_zp, kernel_zp = inputs[:4]
    if data_dtype == "uint8":
        data, input_zp = _shift(data, input_zp, "int8")
    if kernel_dtype == "uint8":
        kernel, kernel_zp = _shift(kernel, kernel_zp, "int8")
    return _qnn_call(relay_op, attrs, [data, kernel, input_zp, kernel_zp] + list(inputs[4:]))


def _to_same_dtype(attrs, inputs, types, relay_op):
    data_dtype, kernel_dtype = types[0].dtype, types[1].dtype
    if data_dtype == kernel_dtype:
        return None
    data, kernel, input_zp, kernel_zp = inputs[:4]
    data, input_zp = _shift(data, input_zp, kernel_dtype)
    return _qnn_call(relay_op, attrs, [data, kernel, input_zp, kernel_zp] + list(inputs[4:]))


def _to_int16_float_op(attrs, inputs, types, float_op):
    """The float op on int16 inputs with their zero points subtracted."""
    data, kernel, input_zp, kernel_zp = inputs[:4]
    shifted_data = _tensor.subtract(_otransform.cast(data, "int16"),
                                    _otransform.cast(input_zp, "int16"))
    if len(types[3].shape) == 0:
        shifted_kernel = _tensor.subtract(_otransform.cast(kernel, "int16"),
                                          _otransform.cast(kernel_zp, "int16"))
    else:  # per output channel: broadcast along the kernel's O axis
        if "kernel_layout" in attrs.keys():
            axis = [letter for letter, _ in parse_layout(attrs["kernel_layout"])].index("O")
        else:
            axis = 0  # dense weights are (units, k)
        # 0.8 added the zero points here (bias_add of kzp); they are subtracted.
        shifted_kernel = _nn.bias_add(_otransform.cast(kernel, "int16"),
                                      _tensor.negative(_otransform.cast(kernel_zp, "int16")),
                                      axis)
    return _expr.Call(float_op, [shifted_data, shifted_kernel], attrs)


def _is_depthwise(attrs, types):
    layout = [letter for letter, _ in parse_layout(attrs["data_layout"])]
    if "C" not in layout:
        return False
    channels = types[0].shape[layout.index("C")]
    return int(attrs["groups"]) > 1 and int(attrs["groups"]) == int(channels)


def _legalize(attrs, inputs, types, relay_op, float_op_name, is_conv):
    target = _current_target()
    if target is None:
        return None
    keys = [str(k) for k in target.keys]
    if "cuda" in keys or "gpu" in keys:
        return _to_int8(attrs, inputs, types, relay_op)
    if "arm_cpu" in keys:
        use_int8 = is_conv and not _is_depthwise(attrs, types) and _is_aarch64(target) \
            and attrs["data_layout"] == "NHWC"
        if use_int8 or _is_fast_int8_on_arm(target):
            return _to_same_dtype(attrs, inputs, types, relay_op)
        return _to_int16_float_op(attrs, inputs, types, _get_op(float_op_name))
    if "cpu" in keys:
        if _is_fast_int8_on_intel(target):
            return _to_uint8_int8(attrs, inputs, types, relay_op)
        return _to_int16_float_op(attrs, inputs, types, _get_op(float_op_name))
    return None


@register_qnn_legalize("qnn.conv2d")
def _legalize_qnn_conv2d(attrs, inputs, types):
    return _legalize(attrs, inputs, types, "qnn.conv2d", "nn.conv2d", True)


@register_qnn_legalize("qnn.dense")
def _legalize_qnn_dense(attrs, inputs, types):
    return _legalize(attrs, inputs, types, "qnn.dense", "nn.dense", False)


@register_qnn_legalize("qnn.conv2d_transpose")
def _legalize_qnn_conv2d_transpose(attrs, inputs, types):  # pylint: disable=unused-argument
    """0.8's generic rule on every target: ``nn.conv2d_transpose`` on int16 inputs with
    the (scalar) zero points subtracted."""
    data, kernel, input_zp, kernel_zp = inputs[:4]
    shifted_data = _tensor.subtract(_otransform.cast(data, "int16"),
                                    _otransform.cast(input_zp, "int16"))
    shifted_kernel = _tensor.subtract(_otransform.cast(kernel, "int16"),
                                      _otransform.cast(kernel_zp, "int16"))
    return _expr.Call(_get_op("nn.conv2d_transpose"), [shifted_data, shifted_kernel], attrs)
