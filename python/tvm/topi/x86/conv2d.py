"""x86 schedules of conv2d (NCHW, NHWC, grouped) on TensorIR.

Direct convolution with a register tile of output values; the function's
arguments keep their layouts (internal copies may be blocked):

* NCHW, ``vector="ow"``: the tile is ``tile_oc`` output channels x
  ``tile_oh`` rows x ``tile_ow`` output columns; the columns are the vector
  lanes (contiguous in the output and, for stride 1, in the input; for a
  larger stride the padded input is stored de-interleaved by the stride),
  kernel values are broadcast;
* NCHW, ``vector="oc"`` (widths that are not a multiple of the vector
  width, e.g. 28 or 14): the output channels are the lanes, read from a copy
  of the kernel blocked by ``tile_oc`` made inside the function, input
  values are broadcast;
* NHWC: the tile is ``tile_ow`` output columns x ``tile_oc`` output
  channels; the channels are the lanes (contiguous in the output and in the
  HWIO kernel, which is also copied into channel blocks), input values are
  broadcast.

The reduction loops run outside the tile, the padding stage is a separate
parallel copy and the fused elementwise epilogue (bias, activation,
residual add) is applied when the tile is written back. Knob values come
from ``cfg`` or from the ``fallback_*_config`` functions.
"""
from ..generic.schedule_utils import with_fallback
from .config import ScheduleConfig
from .conv_common import anchor_shapes, schedule_anchor, split_stride_layout
from .tile_choice import register_tile, register_tile_ragged
from .weight_pack import pack_weight

__all__ = [
    "schedule_conv2d_nchw",
    "schedule_conv2d_nhwc",
    "schedule_group_conv2d_nchw",
    "schedule_group_conv2d_nhwc",
    "fallback_conv2d_nchw_config",
    "fallback_conv2d_nhwc_config",
    "register_tile",
]


def fallback_conv2d_nchw_config(op, cpu):
    """Fallback knobs of the NCHW conv2d schedule.

    ``vector`` (``"ow"``: output columns are the lanes, kernel values are
    broadcast; ``"oc"``: output channels are the lanes, read from the kernel
    blocked as ``[OC/tile_oc, IC, KH, KW, tile_oc]``, input values are
    broadcast), ``tile_ow``, ``tile_oc``, ``tile_oh`` (1), ``unroll_kw``
    (True), ``inline_pad`` (False).

    ``"oc"`` is chosen when the output channels fill whole vectors and there
    are enough input channels (16) for the reduction to dominate; ``"ow"``
    otherwise (the 3-channel stem convolution). The blocked kernel is a copy
    stage of the function that the compile engine moves to build time for a
    constant weight (see :mod:`.weight_pack`), so small output planes pay
    nothing for it. Measured here: channel lanes were faster for 1x1 and 3x3
    layers at 56, 28 and 14 pixels wide and on whole ResNet-18/MobileNet
    builds, and, with the kernel blocked at build time, at 7x7 too (512
    channels 3x3: 58 against 42 GFLOPS on one thread).
    """
    (_, oc, _, ow), ins = anchor_shapes(op)
    in_channels = ins[1][1] if len(ins) > 1 and len(ins[1]) == 4 else 0
    if oc % cpu.lanes == 0 and in_channels >= 16:
        tile_oc, tile_ow = register_tile(oc, ow, cpu)
        vector = "oc"
    else:
        tile_ow, tile_oc = register_tile(ow, oc, cpu)
        vector = "ow"
    return ScheduleConfig("conv2d_nchw", vector=vector, tile_oc=tile_oc, tile_oh=1,
                          tile_ow=tile_ow, unroll_kw=True, inline_pad=False)


def fallback_conv2d_nhwc_config(op, cpu):
    """Fallback knobs of the NHWC conv2d schedule.

    ``tile_oc`` (vector lanes, a divisor of the channels), ``tile_ow``
    (output columns broadcast against it), ``ragged_ow`` (``tile_ow`` need
    not divide the width: the last tile of a row is partial, see
    :func:`~.tile_choice.register_tile_ragged`), ``tile_oh`` (1),
    ``pack_kernel`` (True: the HWIO kernel is copied inside the function
    into ``[O/tile_oc, KH, KW, I, tile_oc]`` so each channel tile streams
    one contiguous block), ``reduce_order`` (``"hwc"``: input channels
    innermost, contiguous in input and packed kernel), ``tile_ic`` (1),
    ``unroll_kw`` (False), ``inline_pad`` (False). Measured here: packing
    and the hwc order beat the unpacked kernel at every ResNet layer size.

    ``outer``: which tile loop is outermost. ``"oc"`` (output-channel
    tiles: each weight slice is used by every pixel while in cache) where the
    weights are at least as large as the output, ``"pixel"`` otherwise: a
    pixel tile then runs all its channel tiles in a row, so the output (and a
    fused residual) is written (read) row after row, in memory order, instead
    of one channel slice of every row per sweep. Measured here (AVX-512, 2
    cores) inside ResNet-50, kernels run in sequence as in the graph: 31.6
    -> 27.8 ms; 1x1 128->512 at 28x28 with a residual, alone: 456 -> 390 us.
    """
    out_shape, ins = anchor_shapes(op)
    tile_oc, tile_ow, ragged = register_tile_ragged(out_shape[3], out_shape[2], cpu)
    weights = _volume(ins[1]) if len(ins) > 1 else 0
    outer = "pixel" if weights < _volume(out_shape) else "oc"
    return ScheduleConfig("conv2d_nhwc", tile_oc=tile_oc, tile_oh=1, tile_ow=tile_ow,
                          ragged_ow=ragged, pack_kernel=True, reduce_order="hwc", tile_ic=1,
                          unroll_kw=False, inline_pad=False, outer=outer)


def _volume(shape):
    size = 1
    for dim in shape:
        size *= dim
    return size


def pack_kernel_oc(sch, anchor, tile_oc, kernel_read=1):
    """Copy the OIHW kernel into ``[O/tile_oc, I, KH, KW, tile_oc]`` inside the function.

    Makes ``tile_oc`` output channels one contiguous vector; the copy is
    O(kernel) against O(kernel * OH * OW) multiply-adds.
    """
    return pack_weight(sch, anchor, kernel_read,
                       lambda o, i, h, w: (o // tile_oc, i, h, w, o % tile_oc))


def _plan_nchw(op, cfg, cpu):
    del op, cpu
    if cfg.get("vector", "ow") == "oc":
        tile_oc = cfg["tile_oc"]

        def prepare(sch, anchor, pads):
            del pads
            pack_kernel_oc(sch, anchor, tile_oc)

        return {
            "spatial_tiles": [1, tile_oc, cfg["tile_oh"], cfg["tile_ow"]],
            "vec_axis": 1,
            "reduce_order": [0, 1, 2],
            "unroll_reduce": bool(cfg["unroll_kw"]),
            "outer_order": [1, 0, 2, 3],
            "prepare": prepare,
        }
    return {
        "spatial_tiles": [1, cfg["tile_oc"], cfg["tile_oh"], cfg["tile_ow"]],
        "vec_axis": 3,
        "reduce_order": [0, 1, 2],  # rc, ry, rx
        "unroll_reduce": bool(cfg["unroll_kw"]),
        "prepare": lambda sch, anchor, pads: split_stride_layout(sch, anchor, pads, 3),
        "uses_pad_stage": True,
    }


def pack_kernel_hwio(sch, anchor, tile_oc, kernel_read=1):
    """Copy the HWIO kernel into ``[O/tile_oc, KH, KW, I, tile_oc]`` inside the function.

    Each output-channel tile then reads one contiguous block of weights
    instead of one vector every ``O`` floats.
    """
    return pack_weight(sch, anchor, kernel_read,
                       lambda h, w, i, o: (o // tile_oc, h, w, i, o % tile_oc))


def _plan_nhwc(op, cfg, cpu):
    del op, cpu
    tile_oc = cfg["tile_oc"]
    prepare = None
    if cfg.get("pack_kernel", False):

        def prepare(sch, anchor, pads):
            del pads
            pack_kernel_hwio(sch, anchor, tile_oc)

    hwc = cfg.get("reduce_order", "hwc") == "hwc"
    plan = {
        "spatial_tiles": [1, cfg["tile_oh"], cfg["tile_ow"], tile_oc],
        "vec_axis": 3,
        # ry, rx, rc: the input channels are contiguous in the input and in
        # the (packed) kernel; chw puts the kernel width innermost instead
        "reduce_order": [0, 1, 2] if hwc else [2, 0, 1],
        "reduce_tiles": [1, 1, cfg.get("tile_ic", 1)] if hwc else None,
        "unroll_reduce": bool(cfg["unroll_kw"]),
        # output-channel tiles outermost (each weight slice stays in cache while the
        # pixels that use it run) or innermost (each pixel tile writes whole rows
        # of the output, and reads whole rows of a fused residual, in order)
        "outer_order": [3, 0, 1, 2] if cfg.get("outer", "oc") == "oc" else [0, 1, 2, 3],
        "ragged_axis": 2 if cfg.get("ragged_ow", False) else None,
    }
    if prepare is not None:
        plan["prepare"] = prepare
    return plan


@with_fallback
def schedule_conv2d_nchw(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.conv2d_nchw``.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function (conv2d plus its epilogue).
    cfg : ScheduleConfig or dict, optional
        Knob values (see :func:`fallback_conv2d_nchw_config`); missing ones
        take the fallback values.

    Returns
    -------
    sch : tvm.s_tir.Schedule
    """
    return schedule_anchor(sch, outs, ("conv2d_nchw",), fallback_conv2d_nchw_config,
                           _plan_nchw, cfg, "conv2d_nchw")


@with_fallback
def schedule_conv2d_nhwc(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.conv2d_nhwc`` (HWIO kernel).

    See :func:`schedule_conv2d_nchw` for the arguments and
    :func:`fallback_conv2d_nhwc_config` for the knobs.
    """
    return schedule_anchor(sch, outs, ("conv2d_nhwc",), fallback_conv2d_nhwc_config,
                           _plan_nhwc, cfg, "conv2d_nhwc")


@with_fallback
def schedule_group_conv2d_nchw(sch, outs, cfg=None):
    """Schedule ``topi.nn.group_conv2d_nchw`` (same tiling as NCHW conv2d)."""
    return schedule_anchor(sch, outs, ("group_conv2d_nchw",), fallback_conv2d_nchw_config,
                           _plan_nchw, cfg, "group_conv2d_nchw")


@with_fallback
def schedule_group_conv2d_nhwc(sch, outs, cfg=None):
    """Schedule ``topi.nn.group_conv2d_nhwc`` (same tiling as NHWC conv2d)."""
    return schedule_anchor(sch, outs, ("group_conv2d_nhwc",), fallback_conv2d_nhwc_config,
                           _plan_nhwc, cfg, "group_conv2d_nhwc")
