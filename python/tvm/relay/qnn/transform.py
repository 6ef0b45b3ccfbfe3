"""``CanonicalizeOps``: lower the QNN operators to integer and float Relay operators.

Correctness first, as upstream's canonicalization of 0.8 (whose fixed-point
requantization and zero-point decomposition of convolutions are optimisations
of the same arithmetic):

* ``qnn.conv2d`` / ``qnn.dense`` / ``qnn.conv2d_transpose`` / ``qnn.batch_matmul``:
  the inputs are widened to int32, their zero points subtracted, and the float
  op (``nn.conv2d`` ...) accumulates in int32
  (padding then adds real zeros, as ONNX ``QLinearConv`` pads with the zero point);
* ``qnn.quantize``: ``clip(round(x / scale) + zp)``, ties to even;
* ``qnn.dequantize``: ``(int32(q) - zp) * scale``;
* ``qnn.requantize``: ``(int32(q) - in_zp) * (in_scale / out_scale)`` in float32,
  rounded (UPWARD: ties to +inf; TONEAREST: ties away from zero), shifted by the
  output zero point and clipped; float32 represents every accumulator up to
  2**24 exactly and rounds larger ones by less than one part in 2**24, far
  inside one quantization step;
* ``qnn.add`` / ``subtract``: both operands requantized to the output parameters,
  then added/subtracted in int32 (0.8's definition); ``qnn.mul``: the product of the
  zero-point-free operands in int32, requantized from ``lhs_scale * rhs_scale``;
  ``qnn.concatenate``: every input requantized to the output parameters.

Per-axis scales and zero points are reshaped to broadcast along their axis;
constant ones fold (``FoldConstant`` runs after this pass).
"""
import numpy as np

from ..expr import Call, const
from ..expr_functor import ExprMutator
from ..op import get as _get_op
from ..op import tensor as _tensor
from ..op import transform as _otransform
from ..op.op import Op
from ..transform._utils import TypedFunctionPass, post_order

__all__ = ["CanonicalizeOps", "Legalize", "canonicalize", "lower_call"]

_RANGES = {
    "int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "uint16": (0, 65535),
    "int32": (-(2 ** 31), 2 ** 31 - 1),
}


def _shape(ty):
    return tuple(int(d) for d in ty.shape)


def _along(param, axis, ndim, shape):
    """A scale or zero point of ``shape``, reshaped to broadcast along ``axis`` of a
    rank-``ndim`` tensor."""
    if len(shape) == 0 or int(np.prod(shape)) == 1:
        return _otransform.reshape(param, ()) if shape != () else param
    axis = axis + ndim if axis < 0 else axis
    if not 0 <= axis < ndim:
        raise ValueError(f"qnn: axis {axis} is out of range for rank {ndim}")
    return _otransform.reshape(param, [1] * axis + [shape[0]] + [1] * (ndim - axis - 1))


def _i32(expr):
    return _otransform.cast(expr, "int32")


def _f32(expr):
    return _otransform.cast(expr, "float32")


def _saturate(real, zero_point, dtype):
    """``cast(clip(real + zp))`` for rounded float ``real``."""
    low, high = _RANGES[dtype]
    shifted = _tensor.add(real, _f32(zero_point))
    return _otransform.cast(_tensor.clip(shifted, float(low), float(high)), dtype)


def quantize(args, shapes, axis, out_dtype):
    data, scale, zero_point = args
    ndim = len(shapes[0])
    scaled = _tensor.divide(data, _along(scale, axis, ndim, shapes[1]))
    return _saturate(_tensor.round(scaled), _along(zero_point, axis, ndim, shapes[2]), out_dtype)


def dequantize(args, shapes, axis):
    data, scale, zero_point = args
    ndim = len(shapes[0])
    centered = _tensor.subtract(_i32(data), _i32(_along(zero_point, axis, ndim, shapes[2])))
    return _tensor.multiply(_f32(centered), _along(scale, axis, ndim, shapes[1]))


def _round(value, rounding):
    if rounding == "TONEAREST":  # ties away from zero
        magnitude = _tensor.floor(_tensor.add(_tensor.abs(value), const(0.5, "float32")))
        return _tensor.multiply(_tensor.sign(value), magnitude)
    return _tensor.floor(_tensor.add(value, const(0.5, "float32")))  # UPWARD


def requantize(args, shapes, axis, rounding, out_dtype):
    data, in_scale, in_zp, out_scale, out_zp = args
    ndim = len(shapes[0])
    centered = _f32(_tensor.subtract(_i32(data), _i32(_along(in_zp, axis, ndim, shapes[2]))))
    multiplier = _tensor.divide(_along(in_scale, axis, ndim, shapes[1]),
                                _along(out_scale, axis, ndim, shapes[3]))
    real = _tensor.multiply(centered, multiplier)
    return _saturate(_round(real, rounding), _along(out_zp, axis, ndim, shapes[4]), out_dtype)


def _centered(data, zero_point, axis, ndim, zp_shape):
    return _tensor.subtract(_i32(data), _i32(_along(zero_point, axis, ndim, zp_shape)))


def _conv2d(call, args, shapes):
    data, kernel, data_zp, kernel_zp = args[:4]
    out_axis = str(call.attrs.kernel_layout).index("O")
    return Call(_get_op("nn.conv2d"),
                [_centered(data, data_zp, 0, 4, shapes[2]),
                 _centered(kernel, kernel_zp, out_axis, 4, shapes[3])],
                _with_int32(call.attrs))


def _dense(call, args, shapes):
    data, weight, data_zp, weight_zp = args[:4]
    return Call(_get_op("nn.dense"),
                [_centered(data, data_zp, 0, len(shapes[0]), shapes[2]),
                 _centered(weight, weight_zp, 0, 2, shapes[3])],
                _with_int32(call.attrs))


def _conv2d_transpose(call, args, shapes):
    """0.8's arithmetic: ``nn.conv2d_transpose`` of the zero-point-free int32 data and
    kernel. The kernel is transposed from its literal layout to ``IOHW`` (a
    constant kernel folds), so the ``nn`` op reads it the same way under any
    convention of its own kernel letters."""
    from ..attrs import Attrs  # pylint: disable=import-outside-toplevel

    data, kernel, data_zp, kernel_zp = args[:4]
    layout = str(call.attrs.kernel_layout)
    data_c = str(call.attrs.data_layout).index("C")
    centered_kernel = _centered(kernel, kernel_zp, layout.index("O"), 4, shapes[3])
    axes = [layout.index(axis) for axis in "IOHW"]
    if axes != [0, 1, 2, 3]:
        centered_kernel = _otransform.transpose(centered_kernel, axes)
    attrs = _with_int32(call.attrs)
    fields = {key: attrs[key] for key in attrs.keys()}
    fields["kernel_layout"] = "IOHW"
    return Call(_get_op("nn.conv2d_transpose"),
                [_centered(data, data_zp, data_c, 4, shapes[2]), centered_kernel],
                Attrs(attrs.type_key, fields))


def _batch_matmul(call, args, shapes):
    x, y, x_zp, y_zp = args[:4]
    return Call(_get_op("nn.batch_matmul"),
                [_centered(x, x_zp, 0, 3, shapes[2]), _centered(y, y_zp, 0, 3, shapes[3])],
                _with_int32(call.attrs))


def _with_int32(attrs):
    """The float op's attrs, accumulating in the QNN op's out_dtype (int32 by default)."""
    from ..attrs import Attrs  # pylint: disable=import-outside-toplevel

    fields = {key: attrs[key] for key in attrs.keys()}
    fields["out_dtype"] = fields.get("out_dtype") or "int32"
    return Attrs(attrs.type_key, fields)


def _scalar(param, shape):
    """A per-tensor parameter as a scalar (also when given as a 1-element vector)."""
    return _otransform.reshape(param, ()) if shape != () else param


def _to_output(value, scale, zp, shapes, out_scale, out_zp):
    """int32 ``value`` (with ``scale``/``zp``) requantized to the output parameters, int32."""
    return requantize([value, scale, zp, out_scale, out_zp], shapes, -1, "UPWARD", "int32")


def _add_sub(call, args, shapes):
    """TVM 0.8's arithmetic: each operand requantized to the output parameters, then
    ``lhs +/- rhs -/+ out_zp`` in int32, clipped to the output dtype."""
    lhs, rhs, lhs_scale, lhs_zp, rhs_scale, rhs_zp, out_scale, out_zp = args
    dtype = str(call.args[0].checked_type.dtype)
    out_shapes = shapes[6:8]
    lhs_q = _to_output(lhs, lhs_scale, lhs_zp, [shapes[0], shapes[2], shapes[3]] + out_shapes,
                       out_scale, out_zp)
    rhs_q = _to_output(rhs, rhs_scale, rhs_zp, [shapes[1], shapes[4], shapes[5]] + out_shapes,
                       out_scale, out_zp)
    zero_point = _i32(_scalar(out_zp, shapes[7]))
    if call.op.name == "qnn.add":
        total = _tensor.subtract(_tensor.add(lhs_q, rhs_q), zero_point)
    else:
        total = _tensor.add(_tensor.subtract(lhs_q, rhs_q), zero_point)
    low, high = _RANGES[dtype]
    return _otransform.cast(_tensor.clip(total, low, high), dtype)


def _mul(call, args, shapes):
    """``(lhs - lhs_zp) * (rhs - rhs_zp)`` in int32, requantized from the scale
    ``lhs_scale * rhs_scale`` to the output parameters (TVM 0.8's arithmetic)."""
    lhs, rhs, lhs_scale, lhs_zp, rhs_scale, rhs_zp, out_scale, out_zp = args
    dtype = str(call.args[0].checked_type.dtype)
    product = _tensor.multiply(
        _tensor.subtract(_i32(lhs), _i32(_scalar(lhs_zp, shapes[3]))),
        _tensor.subtract(_i32(rhs), _i32(_scalar(rhs_zp, shapes[5]))))
    scale = _tensor.multiply(_scalar(lhs_scale, shapes[2]), _scalar(rhs_scale, shapes[4]))
    return requantize([product, scale, const(0, "int32"), out_scale, out_zp],
                      [(), (), (), shapes[6], shapes[7]], -1, "UPWARD", dtype)


def _concatenate(call, args, shapes):
    """Each input requantized to the output parameters, then concatenated."""
    data, scales, zero_points, out_scale, out_zp = args
    types = call.args[0].checked_type.fields
    scale_types = call.args[1].checked_type.fields
    zp_types = call.args[2].checked_type.fields
    dtype = str(types[0].dtype)
    parts = []
    for k, field in enumerate(data.fields):
        parts.append(requantize(
            [field, scales.fields[k], zero_points.fields[k], out_scale, out_zp],
            [_shape(types[k]), _shape(scale_types[k]), _shape(zp_types[k])] + shapes[3:5], -1,
            "UPWARD", dtype))
    return _tensor.concatenate(parts, int(call.attrs.axis))


def lower_call(call, args):
    """The canonical (QNN-free) form of the QNN call ``call`` with lowered arguments ``args``.

    ``call`` must be type-checked (its arguments' types give ranks and dtypes).
    """
    name = call.op.name
    attrs = call.attrs
    shapes = [None if not hasattr(a.checked_type, "shape") else _shape(a.checked_type)
              for a in call.args]
    if name == "qnn.quantize":
        return quantize(args, shapes, int(attrs.axis), str(attrs.out_dtype))
    if name == "qnn.dequantize":
        return dequantize(args, shapes, int(attrs.axis))
    if name == "qnn.requantize":
        return requantize(args, shapes, int(attrs.axis), str(attrs.rounding),
                          str(attrs.out_dtype))
    if name == "qnn.conv2d":
        return _conv2d(call, args, shapes)
    if name == "qnn.dense":
        return _dense(call, args, shapes)
    if name == "qnn.conv2d_transpose":
        return _conv2d_transpose(call, args, shapes)
    if name == "qnn.batch_matmul":
        return _batch_matmul(call, args, shapes)
    if name in ("qnn.add", "qnn.subtract"):
        return _add_sub(call, args, shapes)
    if name == "qnn.mul":
        return _mul(call, args, shapes)
    if name == "qnn.concatenate":
        return _concatenate(call, args, shapes)
    raise ValueError(f"CanonicalizeOps: no lowering for {name}")


# QNN ops with kernels of their own (not lowered).
_KERNEL_OPS = ("qnn.simulated_quantize", "qnn.simulated_dequantize")


def _lowered_qnn(node):
    return (isinstance(node, Call) and isinstance(node.op, Op)
            and node.op.name.startswith("qnn.") and node.op.name not in _KERNEL_OPS)


class _Canonicalizer(ExprMutator):
    def visit_call(self, call):
        new = super().visit_call(call)
        if _lowered_qnn(call):
            lowered = lower_call(call, list(new.args))
            return lowered
        return new


def _has_qnn(func):
    return any(_lowered_qnn(node) for node in post_order(func))


def canonicalize(func):
    """``func`` with every QNN call lowered (the body of :func:`CanonicalizeOps`).

    A function without QNN calls is returned as it is (one iterative scan, no rewrite)."""
    if not _has_qnn(func):
        return func
    return _Canonicalizer().visit(func)


def CanonicalizeOps():  # pylint: disable=invalid-name
    """Lower QNN operators to integer and float Relay operators (upstream
    ``relay.qnn.transform.CanonicalizeOps``, ``opt_level`` 0).

    ``relay.build`` and ``relay.optimize`` run it before constant folding and
    fusion, so QNN graphs need no extra step.

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(0, "CanonicalizeOps", lambda func, _mod, _ctx: canonicalize(func))


def Legalize():  # pylint: disable=invalid-name
    """Apply the QNN legalizations (``"FTVMQnnLegalize"``, 0.8's
    ``relay.qnn.transform.Legalize``): each QNN op may rewrite its calls for the current
    target's preferred input dtypes (see :mod:`tvm.relay.qnn.op.legalizations`).

    Returns
    -------
    Pass
        :func:`tvm.relay.transform.Legalize` reading ``"FTVMQnnLegalize"``.
    """
    from ..transform.legalize import Legalize as _Legalize  # pylint: disable=import-outside-toplevel

    return _Legalize("FTVMQnnLegalize")
