"""Bit-serial operators of TVM 0.8: ``nn.bitpack``, ``nn.bitserial_conv2d`` and
``nn.bitserial_dense`` (constructors, type relations and TOPI computes).

NumPy reference kernels are registered here too.

``bitpack`` packs the low ``bits`` bits of integers along ``pack_axis`` into words of
``pack_type`` (one bit plane per index of the new ``bit_axis``); the bit-serial
convolution and dense layer quantize their inputs to ``activation_bits`` /
``weight_bits`` bits, pack them and accumulate popcounts (``unipolar``: weights are
{-1, 1} rather than {0, 1}).
"""
from tvm import topi

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


def _bitserial_conv2d_compute(attrs, inputs, out_type):
    layout = str(attrs.data_layout)
    compute = {"NCHW": topi.nn.bitserial_conv2d_nchw, "NHWC": topi.nn.bitserial_conv2d_nhwc}
    if layout not in compute:
        raise ValueError(f"nn.bitserial_conv2d: no compute for layout {layout}")
    top, left, bottom, right = attrs.padding
    return [compute[layout](inputs[0], inputs[1], list(attrs.strides), [top, left, bottom, right],
                            int(attrs.activation_bits), int(attrs.weight_bits),
                            str(attrs.pack_dtype), out_type.dtype, bool(attrs.unipolar))]


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


define("nn.bitserial_dense", _bitserial_dense_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.nn.bitserial_dense(
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
    import numpy as np  # pylint: disable=import-outside-toplevel

    data, weight = _bitserial_values(args[0], args[1], attrs, "activation_bits")
    if attrs["data_layout"] == "NHWC":
        data, weight = data.transpose(0, 3, 1, 2), weight.transpose(3, 2, 0, 1)  # HWIO -> OIHW
    top, left, bottom, right = (int(p) for p in attrs["padding"])
    data = np.pad(data, ((0, 0), (0, 0), (top, bottom), (left, right)))
    (s_h, s_w), (k_h, k_w) = attrs["strides"], weight.shape[2:]
    out_h = (data.shape[2] - k_h) // s_h + 1
    out_w = (data.shape[3] - k_w) // s_w + 1
    out = np.zeros((data.shape[0], weight.shape[0], out_h, out_w), "int64")
    for y in range(k_h):
        for x in range(k_w):
            window = data[:, :, y:y + s_h * out_h:s_h, x:x + s_w * out_w:s_w]
            out += np.einsum("nchw,oc->nohw", window, weight[:, :, y, x])
    if attrs["data_layout"] == "NHWC":
        out = out.transpose(0, 2, 3, 1)
    return out.astype(str(attrs["out_dtype"]))


def _register_references():
    from ...reference.ops.registry import register_kernel  # pylint: disable=import-outside-toplevel

    register_kernel("nn.bitpack")(_bitpack_reference)
    register_kernel("nn.bitserial_dense")(_bitserial_dense_reference)
    register_kernel("nn.bitserial_conv2d")(_bitserial_conv2d_reference)


_register_references()
