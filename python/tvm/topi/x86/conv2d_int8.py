"""int8 conv2d on x86 with the u8 x s8 -> s32 dot-product instructions.

The compute (:func:`conv2d_int8`) takes NCHW/OIHW or NHWC/HWIO operands,
``uint8`` or ``int8`` data, ``int8`` kernel and an ``int32`` output, and
builds the convolution from the unit the instructions compute (see
:mod:`.tensor_intrin`): 4 input channels x ``lanes`` output channels.

* The input is copied (with its spatial padding) into ``[N, H, W, IC4]``,
  channels padded with zeros to a multiple of 4, so the 4 bytes one step
  reads are contiguous. ``int8`` data is shifted to ``uint8`` by adding 128
  in that copy (the spatial padding becomes 128 too: the shifted zero), and
  the output is compensated by ``128 * sum(kernel)`` over the reduction axes
  of each output channel: ``sum((x + 128) * w) - 128 * sum(w) = sum(x * w)``.
  This is TVM 0.8's legalization of int8 x int8 convolutions to the u8 x s8
  instructions, done in the compute (the fork has no Relay legalize pass).
* The kernel is blocked as ``[OC/lanes, KH, KW, IC4/4, lanes, 4]`` (zero
  padded), one ``lanes x 4`` block per step.
* The convolution accumulates ``[N, OH, OW, OC/lanes, lanes]`` in int32; the
  output stage unpacks it to the requested layout (and drops padded channels);
  the fused epilogue is applied there.

:func:`schedule_conv2d_int8` tiles output columns in registers, runs the
reduction ``kh, kw, ic/4`` around them and tensorizes the innermost
``lanes x 4`` step with the target's intrinsic; the batch, output-channel
block and row loops run in parallel.
"""
import tvm
from tvm import te

from ..generic.cpu_features import cpu_features
from ..generic.injective import finish_blocks
from ..generic.schedule_utils import (
    AnchorNotFoundError,
    ScheduleError,
    as_list,
    compute_ops,
    const_int,
    find_op,
    get_block,
    inline_all,
    loop_extent,
)
from .tensor_intrin import dot_intrin_lanes, select_dot_intrin
from .tiling import best_divisor

__all__ = ["conv2d_int8", "schedule_conv2d_int8", "conv2d_int8_applicable"]

_TAG = "conv2d_int8"


def conv2d_int8_applicable(data_dtype, kernel_dtype, out_dtype, target=None):
    """True when the target has a dot-product intrinsic for these dtypes.

    uint8 or int8 data (int8 is shifted to uint8), int8 kernel, int32 output.
    uint8 kernels have no such instruction (pmaddubsw multiplies unsigned by
    signed bytes) and keep the plain convolution.
    """
    return (str(data_dtype) in ("uint8", "int8") and str(kernel_dtype) == "int8"
            and str(out_dtype) == "int32" and select_dot_intrin(target) is not None)


def _pair(value):
    if isinstance(value, (list, tuple)) or hasattr(value, "__len__"):
        vals = [const_int(v) for v in value]
        return (vals[0], vals[0]) if len(vals) == 1 else (vals[0], vals[1])
    return (const_int(value), const_int(value))


def conv2d_int8(data, kernel, strides, padding, dilation, data_layout="NCHW", out_dtype="int32",
                lanes=None):
    """int8 conv2d computed in the blocks of the dot-product instructions.

    Parameters
    ----------
    data : te.Tensor
        uint8 or int8, NCHW or NHWC.
    kernel : te.Tensor
        int8, OIHW (with NCHW) or HWIO (with NHWC).
    strides, padding, dilation
        As ``topi.nn.conv2d_nchw``.
    data_layout : str
        ``"NCHW"`` or ``"NHWC"`` (the output has the same layout).
    out_dtype : str
        int32.
    lanes : int, optional
        Output channels per step: the lanes of the target's intrinsic
        (:func:`~.tensor_intrin.select_dot_intrin`; 16, 8 or 4).

    Returns
    -------
    output : te.Tensor
    """
    from ..nn.utils import get_pad_tuple  # pylint: disable=import-outside-toplevel

    if lanes is None:
        intrin = select_dot_intrin()
        lanes = dot_intrin_lanes(intrin) if intrin is not None else 16
    nchw = data_layout == "NCHW"
    if nchw:
        batch, in_c, in_h, in_w = (const_int(d) for d in data.shape)
        out_c, k_in, k_h, k_w = (const_int(d) for d in kernel.shape)
    else:
        batch, in_h, in_w, in_c = (const_int(d) for d in data.shape)
        k_h, k_w, k_in, out_c = (const_int(d) for d in kernel.shape)
    if k_in != in_c:
        raise ValueError(f"conv2d_int8: kernel input channels {k_in} != data channels {in_c}")
    stride_h, stride_w = _pair(strides)
    dil_h, dil_w = _pair(dilation)
    pad_top, pad_left, pad_down, pad_right = get_pad_tuple(
        padding, ((k_h - 1) * dil_h + 1, (k_w - 1) * dil_w + 1))
    pad_top, pad_left, pad_down, pad_right = (const_int(p) for p in
                                              (pad_top, pad_left, pad_down, pad_right))
    ic4 = -(-in_c // 4) * 4
    oc_blocks = -(-out_c // lanes)
    out_h = (in_h + pad_top + pad_down - (k_h - 1) * dil_h - 1) // stride_h + 1
    out_w = (in_w + pad_left + pad_right - (k_w - 1) * dil_w - 1) // stride_w + 1
    signed = str(data.dtype) == "int8"
    shift = 128 if signed else 0

    def read_data(n, y, x, c):
        value = data[n, c, y, x] if nchw else data[n, y, x, c]
        if signed:
            return (value.astype("int32") + 128).astype("uint8")
        return value

    def pad_value(n, y, x, c):
        y0, x0 = y - pad_top, x - pad_left
        inside = tvm.tirx.all(y0 >= 0, y0 < in_h, x0 >= 0, x0 < in_w)
        return tvm.tirx.if_then_else(
            c < in_c,
            tvm.tirx.if_then_else(inside, read_data(n, y0, x0, tvm.tirx.min(c, in_c - 1)),
                                  tvm.tirx.const(shift, "uint8")),
            tvm.tirx.const(0, "uint8"))

    data_pad = te.compute((batch, in_h + pad_top + pad_down, in_w + pad_left + pad_right, ic4),
                          pad_value, name="data_pad_u8", tag="injective,pad")

    def pack_value(ob, h, w, cb, o, i):
        oc = ob * lanes + o
        ic = cb * 4 + i
        safe_oc, safe_ic = tvm.tirx.min(oc, out_c - 1), tvm.tirx.min(ic, in_c - 1)
        value = kernel[safe_oc, safe_ic, h, w] if nchw else kernel[h, w, safe_ic, safe_oc]
        return tvm.tirx.if_then_else(tvm.tirx.all(oc < out_c, ic < in_c), value,
                                     tvm.tirx.const(0, "int8"))

    kernel_pack = te.compute((oc_blocks, k_h, k_w, ic4 // 4, lanes, 4), pack_value,
                             name="kernel_pack_i8", tag="injective")
    ry = te.reduce_axis((0, k_h), name="ry")
    rx = te.reduce_axis((0, k_w), name="rx")
    rcb = te.reduce_axis((0, ic4 // 4), name="rcb")
    rci = te.reduce_axis((0, 4), name="rci")
    conv = te.compute(
        (batch, out_h, out_w, oc_blocks, lanes),
        lambda n, y, x, ob, o: te.sum(
            data_pad[n, y * stride_h + ry * dil_h, x * stride_w + rx * dil_w,
                     rcb * 4 + rci].astype("int32")
            * kernel_pack[ob, ry, rx, rcb, o, rci].astype("int32"),
            axis=[ry, rx, rcb, rci]),
        name="conv2d_int8_acc", tag=_TAG)
    if signed:
        kr = [te.reduce_axis((0, e), name=n) for e, n in ((in_c, "ki"), (k_h, "kh"), (k_w, "kw"))]
        if nchw:
            ksum = te.compute((out_c,), lambda o: te.sum(
                kernel[o, kr[0], kr[1], kr[2]].astype("int32"), axis=kr), name="kernel_sum")
        else:
            ksum = te.compute((out_c,), lambda o: te.sum(
                kernel[kr[1], kr[2], kr[0], o].astype("int32"), axis=kr), name="kernel_sum")

    def unpack(n, c, y, x):
        value = conv[n, y, x, c // lanes, c % lanes]
        if signed:
            value = value - ksum[c] * 128
        return value.astype(out_dtype) if out_dtype != "int32" else value

    if nchw:
        return te.compute((batch, out_c, out_h, out_w), unpack, name="conv2d_int8",
                          tag="conv2d_int8_output,injective")
    return te.compute((batch, out_h, out_w, out_c), lambda n, y, x, c: unpack(n, c, y, x),
                      name="conv2d_int8", tag="conv2d_int8_output,injective")


def schedule_conv2d_int8(sch, outs, intrin=None):
    """Schedule a fused function whose anchor is :func:`conv2d_int8`.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function (the convolution and its epilogue).
    intrin : str, optional
        Tensor intrinsic (default: the current target's,
        :func:`~.tensor_intrin.select_dot_intrin`); its lanes must be those
        the compute was made with.

    Returns
    -------
    sch : tvm.s_tir.Schedule
    """
    outs = as_list(outs)
    op = find_op(outs, (_TAG,))
    if op is None:
        raise AnchorNotFoundError(f"schedule_conv2d_int8: no op tagged {_TAG} "
                                  f"(tags found: {[o.tag for o in compute_ops(outs)]})")
    if intrin is None:
        intrin = select_dot_intrin()
    lanes = const_int(op.output(0).shape[4])
    if intrin is None or dot_intrin_lanes(intrin) != lanes:
        raise ValueError(f"schedule_conv2d_int8: the target's intrinsic {intrin} does not "
                         f"compute {lanes} lanes")
    cpu = cpu_features()
    anchor = get_block(sch, op, outs)
    anchor_name = sch.get(anchor).name_hint
    keep = {anchor_name}
    for tensor in op.input_tensors:
        keep.add(sch.get(get_block(sch, tensor.op, outs)).name_hint)
    inline_all(sch, keep=keep)
    block = sch.get_sblock(anchor_name)
    n, y, x, ob, o, ry, rx, rcb, rci = sch.get_loops(block)
    out_w = loop_extent(sch, x)
    # accumulators: one vector per output column of the tile, 3/4 of the registers
    tile_w = best_divisor(out_w, max(1, cpu.accumulators - 2 if lanes == 16 else 12))
    x_o, x_i = sch.split(x, [None, tile_w])
    sch.reorder(n, ob, y, x_o, ry, rx, rcb, x_i, o, rci)
    outer = sch.fuse(n, ob, y)
    sch.parallel(outer)
    acc = sch.cache_write(block, 0, "global")  # the intrinsics name global buffers; a small tile becomes a stack array
    sch.reverse_compute_at(acc, x_o)
    init = sch.decompose_reduction(block, ry)
    _vectorize_inner(sch, init, lanes)
    _vectorize_inner(sch, acc, lanes)
    sch.unroll(x_i)
    sch.tensorize(o, intrin)
    finish_blocks(sch, done=(anchor_name,), lanes=cpu.lanes, num_cores=cpu.num_cores)
    return sch


def _vectorize_inner(sch, block, lanes):
    loops = sch.get_loops(block)
    try:
        if loop_extent(sch, loops[-1]) == lanes:
            sch.vectorize(loops[-1])
        if len(loops) >= 2:
            sch.unroll(loops[-2])
    except ScheduleError:
        pass
