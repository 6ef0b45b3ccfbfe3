"""Shared driver of the x86 convolution-like schedules.

Every conv-like schedule does the same four things: find the anchor op by tag
in the TE graph of the fused function, inline the injective producers (except
a padding stage that pads something or is re-laid out by the plan: it stays a
separate parallel copy so the hot loop has no boundary tests), register-tile
the anchor with the epilogue folded in, and give every leftover stage the
generic parallel/vectorised schedule.
"""
import tvm

from ..generic.injective import finish_blocks
from ..generic.schedule_utils import (
    ScheduleError,
    AnchorNotFoundError,
    as_list,
    compute_ops,
    const_int,
    find_op,
    get_block,
    inline_all,
    positional_index_map,
)
from ..generic.cpu_features import cpu_features
from .config import merge_config
from .tiling import tile_reduction

__all__ = ["schedule_anchor", "anchor_shapes"]


def anchor_shapes(op):
    """Constant shapes of the anchor's output and its inputs."""
    out = [const_int(s) for s in op.output(0).shape]
    ins = [[const_int(s) for s in t.shape] for t in op.input_tensors]
    return out, ins


def _pad_producers(op):
    """The padding/dilation stages (TE ops) that feed ``op`` directly."""
    names = []
    for tensor in op.input_tensors:
        producer = tensor.op
        tag = getattr(producer, "tag", "")
        if hasattr(producer, "axis") and ("pad" in tag or "dilate" in tag or "injective" in tag):
            if "pad" in producer.name or "pad" in tag or "dilate" in tag:
                names.append(producer)
    return names


def _is_identity_copy(stage):
    """True when a padding stage has the shape of its input (nothing is padded)."""
    if len(stage.input_tensors) != 1:
        return False
    src = [const_int(d) for d in stage.input_tensors[0].shape]
    dst = [const_int(d) for d in stage.output(0).shape]
    return None not in src and src == dst


def schedule_anchor(sch, outs, tags, fallback, plan, cfg=None, what="conv2d"):
    """Find the anchor by tag and schedule the fused function around it.

    Parameters
    ----------
    sch : tvm.s_tir.Schedule
    outs : list of te.Tensor
    tags : tuple of str
        Tags of the anchor op.
    fallback : callable
        ``fallback(op, cpu) -> ScheduleConfig``, ``cpu`` the target's
        :class:`~tvm.topi.generic.cpu_features.CPUFeatures`.
    plan : callable
        ``plan(op, cfg, cpu) -> dict`` of keyword arguments for
        :func:`tile_reduction` (``spatial_tiles``, ``vec_axis``...).
    cfg : ScheduleConfig or dict, optional
        Tuned knob values overriding the fallback ones.
    what : str
        Operator name for error messages.
    """
    outs = as_list(outs)
    op = find_op(outs, tags)
    if op is None:
        raise AnchorNotFoundError(f"schedule for {what}: no op tagged {tags} in the function "
                         f"(tags found: {[o.tag for o in compute_ops(outs)]})")
    cpu = cpu_features()
    config = merge_config(fallback(op, cpu), cfg)
    anchor = get_block(sch, op, outs)
    anchor_name = sch.get(anchor).name_hint
    keep = {anchor_name}
    kwargs = dict(plan(op, config, cpu))
    prepare = kwargs.pop("prepare", None)
    uses_pad_stage = kwargs.pop("uses_pad_stage", False)
    identity_copies = []
    if not config.get("inline_pad", False):
        for pad in _pad_producers(op):
            # a stage that pads nothing is a plain copy: inline it, unless the
            # plan may re-lay it out (stride de-interleaving)
            if _is_identity_copy(pad) and not uses_pad_stage:
                continue
            name = sch.get(get_block(sch, pad, outs)).name_hint
            keep.add(name)
            if _is_identity_copy(pad):
                identity_copies.append((name, len(pad.output(0).shape)))
    inline_all(sch, keep=keep)
    anchor = sch.get_sblock(anchor_name)
    if prepare is not None:
        pad_names = [n for n in keep if n != anchor_name]
        prepare(sch, anchor, pad_names)
        for name, rank in identity_copies:
            block = sch.get_sblock(name)
            if len(sch.get(block).writes[0].source.shape) == rank:  # not re-laid out
                try:
                    sch.compute_inline(block)
                except ScheduleError:
                    pass
        anchor = sch.get_sblock(anchor_name)
    tile_reduction(sch, anchor, num_cores=cpu.num_cores, lanes=cpu.lanes, **kwargs)
    finish_blocks(sch, lanes=cpu.lanes, num_cores=cpu.num_cores)
    return sch


def split_stride_layout(sch, anchor, pad_names, spatial_axis):
    """Store the padded input de-interleaved by the stride along its last axis.

    With stride ``s`` the anchor reads columns ``x * s + k``; storing column
    ``w`` of the padded input at ``[..., w % s, w // s]`` makes those reads
    contiguous in ``x``, so the vectorised loop loads whole vectors instead
    of gathering. Only the (internal) padding buffer changes layout.
    """
    block = sch.get(anchor)
    xvar = block.iter_vars[spatial_axis].var
    for name in pad_names:
        pad_block = sch.get_sblock(name)
        buf = sch.get(pad_block).writes[0].source
        for region in block.reads:
            if not region.source.same_as(buf) or not region.region:
                continue
            coeffs = tvm.sym.detect_linear_equation(region.region[-1].min, [xvar])
            if len(coeffs) != 2:
                continue
            stride = const_int(coeffs[0])
            if stride is None or stride <= 1:
                continue
            def index_map(*idx, _s=stride):
                return (*idx[:-1], idx[-1] % _s, idx[-1] // _s)

            mapping = positional_index_map(index_map, len(buf.shape))
            sch.transform_layout(pad_block, ("write", 0), mapping, pad_value=tvm.tirx.const(0, buf.dtype))
            # iterate in the stored order too: the innermost loop then writes
            # contiguously and is vectorised (in input order it was a scalar
            # strided scatter that cost more than a stride-2 depthwise
            # convolution itself: 2.5 of 5 ms for 96 channels at 112x112)
            try:
                sch.transform_block_layout(pad_block, mapping)
            except ScheduleError:
                pass
            break
