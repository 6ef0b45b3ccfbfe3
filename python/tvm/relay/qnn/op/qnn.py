"""QNN operators: constructors (names, arguments and defaults of TVM 0.8) and registration.

Scales and zero points are Relay expressions (usually constants): a scalar
for per-tensor quantization, or a vector along ``axis`` for per-axis
(per-channel) quantization. Real values relate to quantized ones by
``real = scale * (q - zero_point)``.

The operators carry a type relation but no compute: ``CanonicalizeOps``
(:mod:`tvm.relay.qnn.transform`) lowers them before fusion. Their reference
kernels (for ``FoldConstant`` and the interpreter) evaluate that same
lowering, so both paths share one definition of the semantics.
"""
import numpy as np

from ... import expr as _expr
from ...expr import Call, Tuple
from ...ty import TensorType
from ...op import get as _get_op
from ...op import nn as _nn
from ...op import tensor as _tensor
from ...op._util import define, make_call
from ...op.op import OpPattern
from ...op.type_relations import RelationError, shape_str, tensor_arg

__all__ = ["quantize", "dequantize", "requantize", "conv2d", "conv2d_transpose", "dense",
           "batch_matmul", "add", "subtract", "mul", "concatenate", "simulated_quantize",
           "simulated_dequantize"]

_ROUNDING = ("UPWARD", "TONEAREST")
_QUANTIZED = ("int8", "uint8", "int16", "uint16", "int32")


def _as_expr(value, dtype):
    if isinstance(value, _expr.RelayExpr):
        return value
    return _expr.const(np.asarray(value, dtype=dtype))


def _check_dtype(dtype, what, allowed=_QUANTIZED):
    if str(dtype) not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, got {dtype!r}")
    return str(dtype)


def quantize(data, output_scale, output_zero_point, axis=-1, out_dtype="int8"):
    """Quantize float ``data``: ``clip(round(data / scale) + zero_point)``.

    Rounding is to the nearest integer, ties to even (as ONNX ``QuantizeLinear``).

    Parameters
    ----------
    data : relay.Expr
        float32 tensor.
    output_scale : relay.Expr or float
    output_zero_point : relay.Expr or int
    axis : int
        The channel axis of per-axis scales/zero points.
    out_dtype : str
        ``int8``, ``uint8``, ``int16``, ``uint16`` or ``int32``.
    """
    return make_call("qnn.quantize", [data, _as_expr(output_scale, "float32"),
                                      _as_expr(output_zero_point, "int32")],
                     "relay.attrs.QuantizeAttrs", axis=int(axis),
                     out_dtype=_check_dtype(out_dtype, "qnn.quantize out_dtype"))


def dequantize(data, input_scale, input_zero_point, axis=-1):
    """Dequantize: ``scale * (data - zero_point)`` as float32.

    Parameters
    ----------
    data : relay.Expr
        Quantized tensor (int8, uint8, int16, uint16 or int32).
    input_scale : relay.Expr or float
    input_zero_point : relay.Expr or int
    axis : int
    """
    return make_call("qnn.dequantize", [data, _as_expr(input_scale, "float32"),
                                        _as_expr(input_zero_point, "int32")],
                     "relay.attrs.DequantizeAttrs", axis=int(axis))


def requantize(data, input_scale, input_zero_point, output_scale, output_zero_point, axis=-1,
               rounding="UPWARD", out_dtype="int8"):
    """Change the quantization parameters of ``data``.

    ``clip(round((data - in_zp) * in_scale / out_scale) + out_zp)``.

    Parameters
    ----------
    data : relay.Expr
        Quantized tensor (often the int32 accumulator of ``qnn.conv2d``/``qnn.dense``).
    input_scale, input_zero_point, output_scale, output_zero_point : relay.Expr
    axis : int
        Channel axis of per-axis input scales.
    rounding : str
        ``"UPWARD"`` (ties towards +inf) or ``"TONEAREST"`` (ties away from zero).
    out_dtype : str
    """
    if rounding not in _ROUNDING:
        raise ValueError(f"qnn.requantize: rounding must be one of {_ROUNDING}, got {rounding!r}")
    return make_call("qnn.requantize",
                     [data, _as_expr(input_scale, "float32"), _as_expr(input_zero_point, "int32"),
                      _as_expr(output_scale, "float32"), _as_expr(output_zero_point, "int32")],
                     "relay.attrs.RequantizeAttrs", axis=int(axis), rounding=rounding,
                     out_dtype=_check_dtype(out_dtype, "qnn.requantize out_dtype"))


def conv2d(data, kernel, input_zero_point, kernel_zero_point, input_scale, kernel_scale,
           kernel_size, channels, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
           data_layout="NCHW", kernel_layout="OIHW", out_layout="", out_dtype="int32"):
    """Quantized 2-d convolution: ``conv2d(data - input_zp, kernel - kernel_zp)`` in int32.

    The result is the int32 accumulator, whose scale is ``input_scale *
    kernel_scale`` and zero point 0 (follow with ``requantize``). Padding adds
    real zeros (``input_zero_point`` in the quantized domain). ``kernel_zero_point``
    and ``kernel_scale`` may be per output channel. The scales are not used by the
    computation; they are kept for passes that need them, as in TVM 0.8.

    Parameters are those of :func:`tvm.relay.nn.conv2d`, plus the zero points and
    scales.
    """
    conv = _nn.conv2d(data, kernel, strides=strides, padding=padding, dilation=dilation,
                      groups=groups, channels=channels, kernel_size=kernel_size,
                      data_layout=data_layout, kernel_layout=kernel_layout,
                      out_layout=out_layout, out_dtype=out_dtype)
    return Call(_get_op("qnn.conv2d"),
                [data, kernel, _as_expr(input_zero_point, "int32"),
                 _as_expr(kernel_zero_point, "int32"), _as_expr(input_scale, "float32"),
                 _as_expr(kernel_scale, "float32")], conv.attrs)


def dense(data, weight, input_zero_point, kernel_zero_point, input_scale, kernel_scale, units,
          out_dtype="int32"):
    """Quantized dense: ``dense(data - input_zp, weight - kernel_zp)`` in int32.

    ``weight`` is ``(units, k)``; ``kernel_zero_point``/``kernel_scale`` may be per unit.
    """
    call = _nn.dense(data, weight, units=units, out_dtype=out_dtype)
    return Call(_get_op("qnn.dense"),
                [data, weight, _as_expr(input_zero_point, "int32"),
                 _as_expr(kernel_zero_point, "int32"), _as_expr(input_scale, "float32"),
                 _as_expr(kernel_scale, "float32")], call.attrs)


def conv2d_transpose(data, weight, input_zero_point, kernel_zero_point, input_scale,
                     kernel_scale, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                     channels=None, kernel_size=None, data_layout="NCHW", kernel_layout="IOHW",
                     out_layout="", output_padding=(0, 0), out_dtype="int32"):
    """Quantized 2-d transposed convolution: ``conv2d_transpose(data - input_zp,
    weight - kernel_zp)`` accumulated in int32 (scale ``input_scale * kernel_scale``,
    zero point 0), as TVM 0.8.

    ``kernel_layout`` reads its letters as TVM 0.8's ``qnn.conv2d_transpose``
    did: ``I`` is the data's channels and ``O`` the output channels per group
    (the default ``"IOHW"`` weight is ``(in_channels, channels // groups, kh,
    kw)``, ``"HWOI"`` is ``(kh, kw, channels // groups, in_channels)``).
    ``kernel_zero_point`` and ``kernel_scale`` may be per output channel. Other
    parameters are those of :func:`tvm.relay.nn.conv2d_transpose`.
    """
    from ...attrs import Attrs  # pylint: disable=import-outside-toplevel

    call = _nn.conv2d_transpose(data, weight, strides=strides, padding=padding,
                                dilation=dilation, groups=groups, channels=channels,
                                kernel_size=kernel_size, data_layout=data_layout,
                                kernel_layout="IOHW", out_layout=out_layout,
                                output_padding=output_padding, out_dtype=out_dtype)
    fields = {key: call.attrs[key] for key in call.attrs.keys()}
    fields["kernel_layout"] = _literal_kernel_layout(kernel_layout)
    return Call(_get_op("qnn.conv2d_transpose"),
                [data, weight, _as_expr(input_zero_point, "int32"),
                 _as_expr(kernel_zero_point, "int32"), _as_expr(input_scale, "float32"),
                 _as_expr(kernel_scale, "float32")], Attrs(call.attrs.type_key, fields))


def _literal_kernel_layout(layout):
    layout = str(layout)
    if sorted(layout) != sorted("IOHW"):
        raise ValueError(f"qnn.conv2d_transpose: kernel_layout must order I, O, H, W, got "
                         f"{layout!r}")
    return layout


def batch_matmul(x, y, x_zero_point, y_zero_point, x_scale, y_scale, out_dtype="int32"):
    """Quantized batch matrix product ``(x - x_zp) @ (y - y_zp)^T`` per batch, in
    int32 (scale ``x_scale * y_scale``, zero point 0), as TVM 0.8: ``x`` is
    ``(batch, m, k)`` and ``y`` ``(batch, n, k)``; the result is ``(batch, m, n)``.
    The zero points and scales are scalars."""
    call = _nn.batch_matmul(x, y, out_dtype=out_dtype, transpose_a=False, transpose_b=True)
    return Call(_get_op("qnn.batch_matmul"),
                [x, y, _as_expr(x_zero_point, "int32"), _as_expr(y_zero_point, "int32"),
                 _as_expr(x_scale, "float32"), _as_expr(y_scale, "float32")], call.attrs)


def _binary(name, lhs, rhs, lhs_scale, lhs_zero_point, rhs_scale, rhs_zero_point, output_scale,
            output_zero_point):
    return make_call(name, [lhs, rhs, _as_expr(lhs_scale, "float32"),
                            _as_expr(lhs_zero_point, "int32"), _as_expr(rhs_scale, "float32"),
                            _as_expr(rhs_zero_point, "int32"), _as_expr(output_scale, "float32"),
                            _as_expr(output_zero_point, "int32")])


def add(lhs, rhs, lhs_scale, lhs_zero_point, rhs_scale, rhs_zero_point, output_scale,
        output_zero_point):
    """Quantized broadcasting addition; the result has ``lhs``'s dtype and the output
    quantization parameters."""
    return _binary("qnn.add", lhs, rhs, lhs_scale, lhs_zero_point, rhs_scale, rhs_zero_point,
                   output_scale, output_zero_point)


def subtract(lhs, rhs, lhs_scale, lhs_zero_point, rhs_scale, rhs_zero_point, output_scale,
             output_zero_point):
    """Quantized broadcasting subtraction (see :func:`add`)."""
    return _binary("qnn.subtract", lhs, rhs, lhs_scale, lhs_zero_point, rhs_scale,
                   rhs_zero_point, output_scale, output_zero_point)


def mul(lhs, rhs, lhs_scale, lhs_zero_point, rhs_scale, rhs_zero_point, output_scale,
        output_zero_point):
    """Quantized broadcasting multiplication (see :func:`add`)."""
    return _binary("qnn.mul", lhs, rhs, lhs_scale, lhs_zero_point, rhs_scale, rhs_zero_point,
                   output_scale, output_zero_point)


def concatenate(data, input_scales, input_zero_points, output_scale, output_zero_point, axis):
    """Concatenate quantized tensors, each requantized to the output parameters.

    Parameters
    ----------
    data : list of relay.Expr or relay.Tuple
    input_scales, input_zero_points : list of relay.Expr or relay.Tuple
        One per input.
    output_scale, output_zero_point : relay.Expr
    axis : int
    """
    fields = list(data.fields) if isinstance(data, Tuple) else list(data)
    scales = list(input_scales.fields) if isinstance(input_scales, Tuple) else list(input_scales)
    zero_points = (list(input_zero_points.fields) if isinstance(input_zero_points, Tuple)
                   else list(input_zero_points))
    if not len(fields) == len(scales) == len(zero_points):
        raise ValueError(f"qnn.concatenate: {len(fields)} inputs, {len(scales)} scales and "
                         f"{len(zero_points)} zero points")
    call = _tensor.concatenate(fields, axis)
    return Call(_get_op("qnn.concatenate"),
                [call.args[0], Tuple([_as_expr(s, "float32") for s in scales]),
                 Tuple([_as_expr(z, "int32") for z in zero_points]),
                 _as_expr(output_scale, "float32"), _as_expr(output_zero_point, "int32")],
                call.attrs)


# -- type relations ------------------------------------------------------------------


def _param_check(arg_types, indices, op_name):
    for index in indices:
        ty = arg_types[index]
        if isinstance(ty, TensorType) and len(ty.shape) > 1:
            raise RelationError(f"{op_name}: scales and zero points must be scalars or vectors, "
                                f"argument {index} is {shape_str(ty.shape)}")


def _quantize_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if data.dtype != "float32":
        raise RelationError(f"data must be float32, got {data.dtype}")
    _param_check(arg_types, (1, 2), "qnn.quantize")
    return TensorType(data.shape, attrs.out_dtype)


def _dequantize_rel(arg_types, attrs):  # pylint: disable=unused-argument
    data = tensor_arg(arg_types, 0, "data")
    if data.dtype not in _QUANTIZED:
        raise RelationError(f"data must be quantized ({', '.join(_QUANTIZED)}), got {data.dtype}")
    _param_check(arg_types, (1, 2), "qnn.dequantize")
    return TensorType(data.shape, "float32")


def _requantize_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if data.dtype not in _QUANTIZED:
        raise RelationError(f"data must be quantized ({', '.join(_QUANTIZED)}), got {data.dtype}")
    _param_check(arg_types, (1, 2, 3, 4), "qnn.requantize")
    return TensorType(data.shape, attrs.out_dtype)


def _borrowed_rel(op_name, count, params):
    """The relation of the float op ``op_name`` on the first ``count`` arguments."""

    def rel(arg_types, attrs):
        for index in range(count):
            ty = arg_types[index]
            if isinstance(ty, TensorType) and ty.dtype not in _QUANTIZED:
                raise RelationError(f"argument {index} must be quantized, got {ty.dtype}")
        _param_check(arg_types, params, op_name)
        return _get_op(op_name).get_attr("FInferType")(arg_types[:count], attrs)

    return rel


def _iohw_axes(kernel_layout):
    """Positions of I, O, H, W in a (literal) qnn.conv2d_transpose kernel layout."""
    return [str(kernel_layout).index(axis) for axis in "IOHW"]


def _conv2d_transpose_rel(arg_types, attrs):
    """0.8's relation: the weight is read through its literal layout, checked as
    ``nn.conv2d_transpose`` with an ``IOHW`` kernel; the scales and zero points
    are scalars or vectors."""
    from ...attrs import Attrs  # pylint: disable=import-outside-toplevel

    for index in range(2):
        ty = arg_types[index]
        if isinstance(ty, TensorType) and ty.dtype not in _QUANTIZED:
            raise RelationError(f"argument {index} must be quantized, got {ty.dtype}")
    _param_check(arg_types, (2, 3, 4, 5), "qnn.conv2d_transpose")
    fields = {key: attrs[key] for key in attrs.keys()}
    fields["kernel_layout"] = "IOHW"
    weight = arg_types[1]
    if isinstance(weight, TensorType):
        weight = TensorType([weight.shape[a] for a in _iohw_axes(attrs.kernel_layout)],
                            weight.dtype)
    return _get_op("nn.conv2d_transpose").get_attr("FInferType")(
        [arg_types[0], weight], Attrs(attrs.type_key, fields))


def _binary_rel(float_op):
    def rel(arg_types, attrs):
        lhs = tensor_arg(arg_types, 0, "lhs")
        rhs = tensor_arg(arg_types, 1, "rhs")
        if lhs.dtype != rhs.dtype or lhs.dtype not in _QUANTIZED:
            raise RelationError(f"lhs and rhs must have the same quantized dtype, got {lhs.dtype} "
                                f"and {rhs.dtype}")
        return _get_op(float_op).get_attr("FInferType")(arg_types[:2], attrs)

    return rel


define("qnn.quantize", _quantize_rel, OpPattern.OPAQUE, None, 3, "relay.attrs.QuantizeAttrs")
define("qnn.dequantize", _dequantize_rel, OpPattern.OPAQUE, None, 3,
       "relay.attrs.DequantizeAttrs")
define("qnn.requantize", _requantize_rel, OpPattern.OPAQUE, None, 5,
       "relay.attrs.RequantizeAttrs")
define("qnn.conv2d", _borrowed_rel("nn.conv2d", 2, (2, 3, 4, 5)), OpPattern.OPAQUE, None, 6,
       "relay.attrs.Conv2DAttrs")
define("qnn.dense", _borrowed_rel("nn.dense", 2, (2, 3, 4, 5)), OpPattern.OPAQUE, None, 6,
       "relay.attrs.DenseAttrs")
define("qnn.conv2d_transpose", _conv2d_transpose_rel, OpPattern.OPAQUE, None, 6,
       "relay.attrs.Conv2DTransposeAttrs")
define("qnn.batch_matmul", _borrowed_rel("nn.batch_matmul", 2, (2, 3, 4, 5)), OpPattern.OPAQUE,
       None, 6, "relay.attrs.BatchMatmulAttrs")
define("qnn.concatenate", _borrowed_rel("concatenate", 1, (3, 4)), OpPattern.OPAQUE, None, 5,
       "relay.attrs.ConcatenateAttrs")
for _name, _float_op in (("qnn.add", "add"), ("qnn.subtract", "subtract"),
                         ("qnn.mul", "multiply")):
    define(_name, _binary_rel(_float_op), OpPattern.OPAQUE, None, 8)


# -- simulated quantization (0.8) ---------------------------------------------------
# Float in, float out: the values a quantize/dequantize would give, with the dtype, scales
# and zero points given at run time (an int32 dtype code of topi.nn.qnn.SQNN_DTYPE_TO_CODE,
# 0 = pass through). Unlike the other QNN ops they have kernels of their own (TOPI's
# simulated_quantize/dequantize) and CanonicalizeOps leaves them alone.


def _dtype_code(dtype):
    from tvm.topi.nn.qnn import SQNN_DTYPE_TO_CODE  # pylint: disable=import-outside-toplevel

    if isinstance(dtype, str):
        if dtype not in SQNN_DTYPE_TO_CODE:
            raise ValueError(f"simulated quantization dtype must be one of "
                             f"{sorted(SQNN_DTYPE_TO_CODE)}, got {dtype!r}")
        return _expr.const(SQNN_DTYPE_TO_CODE[dtype], "int32")
    return dtype


def _simulated(name, data, scale, zero_point, axis, dtype):
    from ...op import transform as _otransform  # pylint: disable=import-outside-toplevel

    # 0.8 flattens the parameters so that scalars and vectors index alike.
    scale = _otransform.reshape(_as_expr(scale, "float32"), [-1])
    zero_point = _otransform.reshape(_as_expr(zero_point, "int32"), [-1])
    return make_call(name, [data, _dtype_code(dtype), scale, zero_point],
                     "relay.attrs.SimulatedQuantizeAttrs", axis=int(axis))


def simulated_quantize(data, output_scale, output_zero_point, axis=-1, out_dtype="int8"):
    """Quantize ``data`` and keep the values as floats (0.8's ``qnn.simulated_quantize``):
    ``clip(round(data / scale) + zero_point)`` to the range of ``out_dtype``.

    Parameters
    ----------
    data : relay.Expr
        Float tensor.
    output_scale, output_zero_point : relay.Expr
        Scalars or vectors along ``axis`` (their length may be known only at run time).
    axis : int
    out_dtype : str or relay.Expr
        ``"int8"``, ``"uint8"``, ``"int32"`` or ``"disable"`` (pass through), or an int32
        scalar expression holding the code of one (``topi.nn.qnn.SQNN_DTYPE_TO_CODE``).
    """
    return _simulated("qnn.simulated_quantize", data, output_scale, output_zero_point, axis,
                      out_dtype)


def simulated_dequantize(data, input_scale, input_zero_point, axis=-1, in_dtype="int8"):
    """Dequantize float-held quantized values (0.8's ``qnn.simulated_dequantize``):
    ``(data - zero_point) * scale``, or ``data`` itself when ``in_dtype`` is ``"disable"``.
    Parameters as :func:`simulated_quantize`."""
    return _simulated("qnn.simulated_dequantize", data, input_scale, input_zero_point, axis,
                      in_dtype)


def _simulated_rel(arg_types, attrs):  # pylint: disable=unused-argument
    data = tensor_arg(arg_types, 0, "data")
    dtype = tensor_arg(arg_types, 1, "dtype")
    if len(dtype.shape) != 0 or not str(dtype.dtype).startswith("int"):
        raise RelationError(f"the dtype code must be an int scalar, got "
                            f"{shape_str(dtype.shape)} {dtype.dtype}")
    _param_check(arg_types, (2, 3), "qnn.simulated_quantize")
    return TensorType(data.shape, data.dtype)


def _simulated_compute(quantize_values):
    """The kernel: the run-time dtype code selects the range (TOPI's
    ``simulated_quantize`` compares a tensor to an int, which the base's TE refuses)."""

    def compute(attrs, inputs, out_type):  # pylint: disable=unused-argument
        from tvm import te, tirx  # pylint: disable=import-outside-toplevel
        from tvm.topi.nn.qnn import SQNN_DTYPE_TO_CODE  # pylint: disable=import-outside-toplevel

        data, code, scale, zero_point = inputs
        ndim = len(data.shape)
        axis = int(attrs.axis) % ndim if ndim else 0
        dtype = data.dtype

        def body(*indices):
            value = data(*indices)
            channel = indices[axis] if ndim else 0
            s = scale[tirx.indexmod(channel, scale.shape[0])].astype(dtype)
            z = zero_point[tirx.indexmod(channel, zero_point.shape[0])].astype(dtype)
            if not quantize_values:
                result = (value - z) * s
                return tirx.Select(code() == SQNN_DTYPE_TO_CODE["disable"], value, result)
            result = value
            for name in ("int8", "uint8", "int32"):
                low = tirx.min_value(name).astype(dtype)
                high = tirx.max_value(name).astype(dtype)
                quantized = te.max(te.min(te.round(value / s) + z, high), low)
                result = tirx.Select(code() == SQNN_DTYPE_TO_CODE[name], quantized, result)
            return result

        return [te.compute(data.shape, body, name="simulated_qnn", tag="elemwise")]

    return compute


def _simulated_reference(quantize_values):
    def kernel(attrs, args):
        from tvm.topi.nn.qnn import SQNN_CODE_TO_DTYPE  # pylint: disable=import-outside-toplevel

        data, code, scale, zero_point = (np.asarray(a) for a in args)
        dtype = SQNN_CODE_TO_DTYPE[int(code)]
        if dtype == "disable":
            return data
        axis = int(attrs["axis"]) % data.ndim
        shape = [1] * data.ndim
        index = np.arange(data.shape[axis])
        shape[axis] = data.shape[axis]
        scale = scale.reshape(-1)[index % scale.size].reshape(shape)
        zero_point = zero_point.reshape(-1)[index % zero_point.size].reshape(shape)
        if quantize_values:
            info = np.iinfo(dtype)
            value = np.clip(np.rint(data / scale) + zero_point, info.min, info.max)
        else:
            value = (data - zero_point) * scale
        return value.astype(data.dtype)

    return kernel


for _name, _quantize in (("qnn.simulated_quantize", True), ("qnn.simulated_dequantize", False)):
    define(_name, _simulated_rel, OpPattern.ELEMWISE, _simulated_compute(_quantize), 4,
           "relay.attrs.SimulatedQuantizeAttrs")


def _register_simulated_reference():
    from ...reference.ops.registry import register_kernel  # pylint: disable=import-outside-toplevel

    register_kernel("qnn.simulated_quantize")(_simulated_reference(True))
    register_kernel("qnn.simulated_dequantize")(_simulated_reference(False))


_register_simulated_reference()
