"""Bit-serial operators of TVM 0.8: ``nn.bitpack``, ``nn.bitserial_conv2d`` and
``nn.bitserial_dense`` (constructors, type relations and TOPI computes).

NumPy reference kernels are registered here too.

``bitpack`` packs the low ``bits`` bits of integers along ``pack_axis`` into words of
``pack_type`` (one bit plane per index of the new ``bit_axis``); the bit-serial
convolution and dense layer quantize their inputs to ``activation_bits`` /
``weight_bits`` bits, pack them and accumulate popcounts (``unipolar``: weights are
{-1, 1} rather than {0, 1}).

The computes are the fork's, not the base's ``topi.nn.bitserial_*``: those subtract the
two popcounts of the unipolar form in ``uint32``, which the base's LLVM codegen treats
as a subtraction that cannot wrap, so every negative partial sum came out wrong (0 on an
AVX2 host, right only where LLVM vectorised the popcounts with AVX-512 VPOPCNTDQ). Here
each popcount is cast to the signed output type before the subtraction.
"""
from tvm import te, tirx, topi

from ...attrs import Attrs
from ...expr import Call
from ...ty import TensorType
from ..op import get as get_op
from .._util import define, int_tuple, make_call
from ..op import OpPattern
from ..type_relations import RelationError, dim_conv_out, from_primal, tensor_arg, to_primal

__all__ = ["bitpack", "bitserial_conv2d", "bitserial_dense"]

_WORD_BITS = {"uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64, "int8": 8, "int16": 16,
              "int32": 32, "int64": 64}


def _bitpack_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    ndim = len(data.shape)
    pack_axis, bit_axis = int(attrs.pack_axis), int(attrs.bit_axis)
    if not 0 <= pack_axis < ndim or not 0 <= bit_axis <= ndim:
        raise RelationError(f"pack_axis {pack_axis} / bit_axis {bit_axis} out of range for "
                            f"rank {ndim}")
    word = _WORD_BITS.get(str(attrs.pack_type))
    if word is None:
        raise RelationError(f"pack_type must be an integer type, got {attrs.pack_type}")
    shape = []
    for i, dim in enumerate(data.shape):
        if i == bit_axis:
            shape.append(int(attrs.bits))
        shape.append(dim // word if i == pack_axis else dim)
    if bit_axis == ndim:
        shape.append(int(attrs.bits))
    return TensorType(shape, attrs.pack_type)


define("nn.bitpack", _bitpack_rel, OpPattern.INJECTIVE,
       lambda attrs, inputs, out: [topi.nn.bitpack(inputs[0], int(attrs.bits),
                                                   int(attrs.pack_axis), int(attrs.bit_axis),
                                                   str(attrs.pack_type), str(attrs.name))],
       1, "relay.attrs.BitPackAttrs")


def bitpack(data, bits=1, pack_axis=1, bit_axis=2, pack_type="uint32", name="BitPack"):
    """Pack the low ``bits`` bits of ``data`` along ``pack_axis`` into ``pack_type``
    words, bit planes along the new axis ``bit_axis``."""
    fields = {"bits": int(bits), "pack_axis": int(pack_axis), "bit_axis": int(bit_axis),
              "pack_type": str(pack_type), "name": str(name)}
    return Call(get_op("nn.bitpack"), [data], Attrs("relay.attrs.BitPackAttrs", fields))


def _bitserial_conv2d_rel(arg_types, attrs):
    """0.8's ``BinaryConv2DRel``: the output from the data and the attributes."""
    data = tensor_arg(arg_types, 0, "data")
    if attrs.channels is None or attrs.kernel_size is None:
        raise RelationError("bitserial_conv2d needs channels and kernel_size")
    dsz = to_primal(data.shape, attrs.data_layout, "NCHW", "data_layout")
    top, left, bottom, right = attrs.padding
    sizes = {"N": dsz["N"], "C": int(attrs.channels),
             "H": dim_conv_out(dsz["H"], attrs.kernel_size[0], attrs.strides[0], top, bottom),
             "W": dim_conv_out(dsz["W"], attrs.kernel_size[1], attrs.strides[1], left, right)}
    return TensorType(from_primal(sizes, attrs.data_layout, "data_layout"), attrs.out_dtype)


def _popcount_product(data_word, weight_word, unipolar, out_dtype):
    """One packed word pair's contribution: ``popcount(d & w)``, minus ``popcount(d & ~w)``
    when ``unipolar`` (weights read as -1/+1), in the signed ``out_dtype``."""
    ones = tirx.popcount(data_word & weight_word).astype(out_dtype)
    if not unipolar:
        return ones
    return ones - tirx.popcount(data_word & ~weight_word).astype(out_dtype)


def _bitserial_conv2d(data, kernel, strides, padding, activation_bits, weight_bits, pack_dtype,
                      out_dtype, unipolar, layout):
    """Bit-serial 2-d convolution, ``NCHW`` data with ``OIHW`` kernel or ``NHWC`` with ``HWIO``."""
    nchw = layout == "NCHW"
    # packed: NCHW data (N, C/w, bits, H, W), kernel (O, C/w, KH, KW, bits);
    #         NHWC data (N, H, W, C/w, bits), kernel (KH, KW, C/w, O, bits)
    data_q = topi.nn.bitpack(data, activation_bits, pack_axis=1 if nchw else 3,
                             bit_axis=2 if nchw else 4, pack_type=pack_dtype)
    kernel_q = topi.nn.bitpack(kernel, weight_bits, pack_axis=1 if nchw else 2, bit_axis=4,
                               pack_type=pack_dtype)
    top, left, bottom, right = padding
    if nchw:
        batch, words, _, height, width = (int(d) for d in data_q.shape)
        filters, _, kernel_h, kernel_w, _ = (int(d) for d in kernel_q.shape)
        pad_before, pad_after = [0, 0, 0, top, left], [0, 0, 0, bottom, right]
    else:
        batch, height, width, words, _ = (int(d) for d in data_q.shape)
        kernel_h, kernel_w, _, filters, _ = (int(d) for d in kernel_q.shape)
        pad_before, pad_after = [0, top, left, 0, 0], [0, bottom, right, 0, 0]
    padded = topi.nn.pad(data_q, pad_before, pad_after, name="pad_temp")
    stride_h, stride_w = strides
    out_h = (height + top + bottom - kernel_h) // stride_h + 1
    out_w = (width + left + right - kernel_w) // stride_w + 1
    rc = te.reduce_axis((0, words), name="rc")
    ry = te.reduce_axis((0, kernel_h), name="ry")
    rx = te.reduce_axis((0, kernel_w), name="rx")
    b1 = te.reduce_axis((0, activation_bits), name="b1")
    b2 = te.reduce_axis((0, weight_bits), name="b2")

    def term(n, f, y, x):
        iy, ix = y * stride_h + ry, x * stride_w + rx
        if nchw:
            word, weight = padded[n, rc, b1, iy, ix], kernel_q[f, rc, ry, rx, b2]
        else:
            word, weight = padded[n, iy, ix, rc, b1], kernel_q[ry, rx, rc, f, b2]
        return te.sum(_popcount_product(word, weight, unipolar, out_dtype) << (b1 + b2).astype(out_dtype),
                      axis=[rc, ry, rx, b2, b1])

    if nchw:
        return te.compute((batch, filters, out_h, out_w), term, name="Conv2dOutput",
                          tag="bitserial_conv2d_nchw")
    return te.compute((batch, out_h, out_w, filters), lambda n, y, x, f: term(n, f, y, x),
                      name="Conv2dOutput", tag="bitserial_conv2d_nhwc")


def _bitserial_conv2d_compute(attrs, inputs, out_type):
    layout = str(attrs.data_layout)
    if layout not in ("NCHW", "NHWC"):
        raise ValueError(f"nn.bitserial_conv2d: no compute for layout {layout}")
    return [_bitserial_conv2d(inputs[0], inputs[1], [int(s) for s in attrs.strides],
                              [int(p) for p in attrs.padding], int(attrs.activation_bits),
                              int(attrs.weight_bits), str(attrs.pack_dtype), out_type.dtype,
                              bool(attrs.unipolar), layout)]


define("nn.bitserial_conv2d", _bitserial_conv2d_rel, OpPattern.OPAQUE, _bitserial_conv2d_compute,
       2, "relay.attrs.BinaryConv2DAttrs")


def bitserial_conv2d(data, weight, strides=(1, 1), padding=(0, 0), channels=None,
                     kernel_size=(3, 3), activation_bits=1, weight_bits=1, data_layout="NCHW",
                     kernel_layout="OIHW", pack_dtype="uint32", out_dtype="int16",
                     unipolar=True):
    """2-d bit-serial convolution (0.8's ``nn.bitserial_conv2d``); ``channels`` and
    ``kernel_size`` give the output shape."""
    padding = (int(padding),) if isinstance(padding, int) else tuple(int(p) for p in padding)
    padding = {1: padding * 4, 2: padding + padding, 4: padding}.get(len(padding))
    if padding is None:
        raise ValueError("bitserial_conv2d: padding must have 1, 2 or 4 values")
    return make_call("nn.bitserial_conv2d", [data, weight], "relay.attrs.BinaryConv2DAttrs",
                     strides=int_tuple(strides, 2, "strides"), padding=tuple(padding),
                     channels=None if channels is None else int(channels),
                     kernel_size=int_tuple(kernel_size, 2, "kernel_size"),
                     activation_bits=int(activation_bits), weight_bits=int(weight_bits),
                     data_layout=str(data_layout), kernel_layout=str(kernel_layout),
                     pack_dtype=str(pack_dtype), out_dtype=str(out_dtype),
                     unipolar=bool(unipolar))


def _bitserial_dense_rel(arg_types, attrs):
    """0.8's ``BinaryDenseRel``: the data's shape with the last axis ``units``."""
    data = tensor_arg(arg_types, 0, "data")
    if attrs.units is None:
        raise RelationError("bitserial_dense needs units")
    shape = list(data.shape[:-1]) + [int(attrs.units)]
    return TensorType(shape, attrs.out_dtype or data.dtype)


def _bitserial_dense(data, weight, data_bits, weight_bits, pack_dtype, out_dtype, unipolar):
    """Bit-serial dense layer: ``data (batch, k)``, ``weight (units, k)``."""
    data_q = topi.nn.bitpack(data, data_bits, pack_axis=1, bit_axis=1, pack_type=pack_dtype)
    weight_q = topi.nn.bitpack(weight, weight_bits, pack_axis=1, bit_axis=1, pack_type=pack_dtype)
    batch, _, words = (int(d) for d in data_q.shape)
    units = int(weight_q.shape[0])
    k = te.reduce_axis((0, words), name="k")
    db = te.reduce_axis((0, data_bits), name="db")
    wb = te.reduce_axis((0, weight_bits), name="wb")
    return te.compute(
        (batch, units),
        lambda i, j: te.sum(_popcount_product(data_q[i, db, k], weight_q[j, wb, k], unipolar, out_dtype)
                            << (db + wb).astype(out_dtype), axis=[wb, db, k]),
        tag="bitserial_dense_unipolar" if unipolar else "bitserial_dense")


define("nn.bitserial_dense", _bitserial_dense_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [_bitserial_dense(
           inputs[0], inputs[1], int(attrs.data_bits), int(attrs.weight_bits),
           str(attrs.pack_dtype), out.dtype, bool(attrs.unipolar))],
       2, "relay.attrs.BinaryDenseAttrs")


def bitserial_dense(data, weight, units=None, data_bits=1, weight_bits=1, pack_dtype="uint32",
                    out_dtype="int16", unipolar=True):
    """Bit-serial dense layer (0.8's ``nn.bitserial_dense``): ``data (..., k)``,
    ``weight (units, k)``."""
    return make_call("nn.bitserial_dense", [data, weight], "relay.attrs.BinaryDenseAttrs",
                     units=None if units is None else int(units), data_bits=int(data_bits),
                     weight_bits=int(weight_bits), pack_dtype=str(pack_dtype),
                     out_dtype=str(out_dtype), unipolar=bool(unipolar))


# -- NumPy reference kernels (the interpreter and FoldConstant) -----------------------
def _bitpack_reference(attrs, args):
    import numpy as np  # pylint: disable=import-outside-toplevel

    data = np.asarray(args[0]).astype("int64")
    pack_axis, bit_axis, word = int(attrs["pack_axis"]), int(attrs["bit_axis"]), \
        _WORD_BITS[str(attrs["pack_type"])]
    planes = []
    for bit in range(int(attrs["bits"])):
        plane = np.moveaxis((data >> bit) & 1, pack_axis, -1)
        groups = plane.reshape(plane.shape[:-1] + (plane.shape[-1] // word, word))
        weights = np.left_shift(1, np.arange(word - 1, -1, -1, dtype="int64"))  # MSB first
        planes.append(np.moveaxis((groups * weights).sum(-1), -1, pack_axis))
    return np.stack(planes, axis=bit_axis).astype(str(attrs["pack_type"]))


def _bitserial_values(data, weight, attrs, data_bits_key):
    """The quantized data and the effective weights: ``unipolar`` reads each weight bit
    plane as -1/+1."""
    import numpy as np  # pylint: disable=import-outside-toplevel

    data_bits, weight_bits = int(attrs[data_bits_key]), int(attrs["weight_bits"])
    data = np.asarray(data).astype("int64") & ((1 << data_bits) - 1)
    weight = np.asarray(weight).astype("int64") & ((1 << weight_bits) - 1)
    if attrs["unipolar"]:
        weight = 2 * weight - ((1 << weight_bits) - 1)
    return data, weight


def _bitserial_dense_reference(attrs, args):
    data, weight = _bitserial_values(args[0], args[1], attrs, "data_bits")
    return (data @ weight.T).astype(str(attrs["out_dtype"]))


def _bitserial_conv2d_reference(attrs, args):
    from ...reference.ops.nn import conv_nchw  # pylint: disable=import-outside-toplevel

    data, weight = _bitserial_values(args[0], args[1], attrs, "activation_bits")
    if attrs["data_layout"] == "NHWC":
        data, weight = data.transpose(0, 3, 1, 2), weight.transpose(3, 2, 0, 1)  # HWIO -> OIHW
    top, left, bottom, right = (int(p) for p in attrs["padding"])
    out = conv_nchw(data, weight, tuple(int(s) for s in attrs["strides"]), (top, left), (bottom, right),
                    (1, 1), 1, "int64")
    if attrs["data_layout"] == "NHWC":
        out = out.transpose(0, 2, 3, 1)
    return out.astype(str(attrs["out_dtype"]))


def _register_references():
    from ...reference.ops.registry import register_kernel  # pylint: disable=import-outside-toplevel

    register_kernel("nn.bitpack")(_bitpack_reference)
    register_kernel("nn.bitserial_dense")(_bitserial_dense_reference)
    register_kernel("nn.bitserial_conv2d")(_bitserial_conv2d_reference)


_register_references()
