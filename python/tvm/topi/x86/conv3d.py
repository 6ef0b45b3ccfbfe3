"""x86 schedules of conv3d (NCDHW and NDHWC) on TensorIR, and their AutoTVM templates.

The same register tiling as conv2d with one more spatial and reduction axis:

* NCDHW, ``vector="ow"``: output columns are the lanes, kernel values are
  broadcast (for a stride above 1 the padded input is stored de-interleaved
  by the stride, so the columns a vector reads are contiguous);
* NCDHW, ``vector="oc"``: output channels are the lanes, read from a copy of
  the kernel blocked as ``[O/tile_oc, I, KD, KH, KW, tile_oc]`` (moved to
  build time for a constant weight, see :mod:`.weight_pack`), input values
  are broadcast;
* NDHWC: output channels are the lanes, input values are broadcast.

The register tile is ``tile_oc`` channels x ``tile_oh`` rows x ``tile_ow``
columns of one output depth. Knob values come from ``cfg`` or from the
``fallback_*_config`` functions (derived from the shape and the target's
vector width and registers).

The AutoTVM templates ``conv3d_ncdhw.x86`` and ``conv3d_ndhwc.x86`` that tune
these knobs are in :mod:`.tunable`.
"""
from ..generic.schedule_utils import with_fallback
from .config import ScheduleConfig
from .tile_choice import register_tile
from .conv_common import anchor_shapes, schedule_anchor, split_stride_layout
from .weight_pack import pack_weight

__all__ = ["schedule_conv3d_ncdhw", "schedule_conv3d_ndhwc",
           "fallback_conv3d_ncdhw_config", "fallback_conv3d_ndhwc_config", "CONV3D_KNOBS"]

#: Knobs of the conv3d schedules that the AutoTVM templates (:mod:`.tunable`) tune.
CONV3D_KNOBS = ("vector", "tile_oc", "tile_oh", "tile_ow", "pack_kernel", "reduce_order",
                "unroll_kw", "inline_pad")


def fallback_conv3d_ncdhw_config(op, cpu):
    """Fallback knobs of the NCDHW schedule.

    ``vector`` (``"oc"``: output channels are the lanes, read from the kernel
    blocked by ``tile_oc``, input values broadcast; ``"ow"``: output columns
    are the lanes, kernel values broadcast), ``tile_oc``, ``tile_ow``,
    ``tile_oh`` (1), ``unroll_kw`` (True), ``inline_pad`` (False).
    ``register_tile`` sizes the tile to the target's lanes and accumulator
    registers.

    As for conv2d, ``"oc"`` is chosen when the output channels fill whole
    vectors and there are at least 16 input channels (every ResNet3D layer
    but the stem); ``"ow"`` otherwise. Measured here (AVX-512, 2 cores) on
    ResNet3D-18 layers, ``"oc"`` against ``"ow"``: 64 channels at 56x56
    28 against 102 ms, 128 at 28x28 30 against 51 ms, 256 at 14x14 9.6
    against 10.3 ms, the stride-2 64->128 layer 12 against 34 ms.
    """
    (_, oc, _, _, ow), ins = anchor_shapes(op)
    in_channels = ins[1][1] if len(ins) > 1 and len(ins[1]) == 5 else 0
    if op.tag == "conv3d_ncdhw" and oc % cpu.lanes == 0 and in_channels >= 16:
        tile_oc, tile_ow = register_tile(oc, ow, cpu)
        vector = "oc"
    else:
        tile_ow, tile_oc = register_tile(ow, oc, cpu)
        vector = "ow"
    return ScheduleConfig("conv3d_ncdhw", vector=vector, tile_oc=tile_oc, tile_oh=1,
                          tile_ow=tile_ow, unroll_kw=True, inline_pad=False)


def fallback_conv3d_ndhwc_config(op, cpu):
    """Fallback knobs of the NDHWC schedule.

    ``tile_oc`` (the vector lanes), ``tile_ow`` (input values broadcast
    against them), ``tile_oh`` (1), ``pack_kernel`` (True: the DHWIO kernel
    is copied into ``[O/tile_oc, KD, KH, KW, I, tile_oc]``, moved to build
    time for a constant weight), ``reduce_order`` (``"dhwc"``: input
    channels innermost, contiguous in the input and the packed kernel),
    ``unroll_kw`` (True), ``inline_pad`` (False). Measured here (AVX-512,
    2 cores), packed ``"dhwc"`` against the unpacked ``"cdhw"`` order:
    256 channels at 14x14 7.3 against 23 ms, 128 at 28x28 14 against 26 ms,
    equal or better on the other ResNet3D-18 layers.
    """
    (_, _, _, ow, oc), _ = anchor_shapes(op)
    tile_oc, tile_ow = register_tile(oc, ow, cpu)
    return ScheduleConfig("conv3d_ndhwc", tile_oc=tile_oc, tile_oh=1, tile_ow=tile_ow,
                          pack_kernel=op.tag == "conv3d_ndhwc", reduce_order="dhwc",
                          unroll_kw=True, inline_pad=False)


def _check_vector(value):
    if value not in ("ow", "oc"):
        raise ValueError(f"conv3d_ncdhw: knob 'vector' must be 'ow' or 'oc', got {value!r}")
    return value


def _plan_ncdhw(op, cfg, cpu):
    del op, cpu
    if _check_vector(cfg.get("vector", "ow")) == "oc":
        tile_oc = cfg["tile_oc"]

        def prepare(sch, anchor, pads):
            del pads
            pack_weight(sch, anchor, 1,
                        lambda o, i, d, h, w: (o // tile_oc, i, d, h, w, o % tile_oc))

        return {
            "spatial_tiles": [1, tile_oc, 1, cfg.get("tile_oh", 1), cfg["tile_ow"]],
            "vec_axis": 1,
            "reduce_order": [0, 1, 2, 3],  # rc, rd, ry, rx
            "unroll_reduce": bool(cfg["unroll_kw"]),
            "outer_order": [1, 0, 2, 3, 4],  # channel tiles outermost: weight reuse
            "prepare": prepare,
        }
    return {
        "spatial_tiles": [1, cfg["tile_oc"], 1, cfg.get("tile_oh", 1), cfg["tile_ow"]],
        "vec_axis": 4,
        "unroll_reduce": bool(cfg["unroll_kw"]),
        "prepare": lambda sch, anchor, pads: split_stride_layout(sch, anchor, pads, 4),
        "uses_pad_stage": True,
    }


def _plan_ndhwc(op, cfg, cpu):
    del op, cpu
    tile_oc = cfg["tile_oc"]
    order = cfg.get("reduce_order", "cdhw")
    if order not in ("cdhw", "dhwc"):
        raise ValueError(f"conv3d_ndhwc: knob 'reduce_order' must be 'cdhw' or 'dhwc', got {order!r}")
    plan = {
        "spatial_tiles": [1, 1, cfg.get("tile_oh", 1), cfg["tile_ow"], tile_oc],
        "vec_axis": 4,
        # rc, rd, ry, rx or rd, ry, rx, rc (input channels innermost: contiguous
        # in the input and in the packed kernel)
        "reduce_order": [3, 0, 1, 2] if order == "cdhw" else [0, 1, 2, 3],
        "unroll_reduce": bool(cfg["unroll_kw"]),
        "outer_order": [4, 0, 1, 2, 3],  # channel tiles outermost: weight reuse
    }
    if cfg.get("pack_kernel", False):

        def prepare(sch, anchor, pads):
            del pads
            pack_weight(sch, anchor, 1,
                        lambda d, h, w, i, o: (o // tile_oc, d, h, w, i, o % tile_oc))

        plan["prepare"] = prepare
    return plan


@with_fallback
def schedule_conv3d_ncdhw(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.conv3d_ncdhw``.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
        Schedule of ``te.create_prim_func(inputs + outs)``; modified in place.
    outs : list of te.Tensor
        Outputs of the fused function.
    cfg : ScheduleConfig or dict, optional
        Knob values (see :func:`fallback_conv3d_ncdhw_config`); missing ones
        take the fallback values.
    """
    return schedule_anchor(sch, outs, ("conv3d_ncdhw", "group_conv3d_ncdhw"),
                           fallback_conv3d_ncdhw_config, _plan_ncdhw, cfg, "conv3d_ncdhw")


@with_fallback
def schedule_conv3d_ndhwc(sch, outs, cfg=None):
    """Schedule a fused function whose anchor is ``topi.nn.conv3d_ndhwc`` (DHWIO kernel).

    See :func:`schedule_conv3d_ncdhw` for the arguments and
    :func:`fallback_conv3d_ndhwc_config` for the knobs.
    """
    return schedule_anchor(sch, outs, ("conv3d_ndhwc", "group_conv3d_ndhwc"),
                           fallback_conv3d_ndhwc_config, _plan_ndhwc, cfg, "conv3d_ndhwc")
