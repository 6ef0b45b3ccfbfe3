"""Helpers shared by the TensorIR-based TOPI schedules.

A TOPI schedule here is a program over ``tvm.s_tir.Schedule`` applied to
``te.create_prim_func(inputs + outs)``. These helpers connect the two worlds:
they walk the TE graph of ``outs`` (where ops keep their ``tag``), map a TE op
to the TensorIR block that ``create_prim_func`` made of it, and read the
target's vector width and core count.
"""
import inspect

import tvm
from tvm import te
from tvm.s_tir import ScheduleError

from .cpu_features import cpu_features

__all__ = [
    "LAYOUT_REWRITE_PREPROC",
    "positional_index_map",
    "ScheduleError",
    "as_list",
    "target_info",
    "all_ops",
    "compute_ops",
    "find_op",
    "get_block",
    "all_blocks",
    "root_block",
    "is_extern_block",
    "has_extern_block",
    "is_reduction_block",
    "is_output_block",
    "loop_extent",
    "inline_all",
    "inline_epilogue",
    "const_int",
    "AnchorNotFoundError",
    "with_fallback",
]


#: Annotation of a block that copies a layout-free weight into the layout a
#: schedule reads (MetaSchedule's RewriteLayout postproc puts it on its
#: stages; the x86 TOPI schedules on their weight copies). Such a copy may be
#: done once, ahead of time.
LAYOUT_REWRITE_PREPROC = "meta_schedule.layout_rewrite_preproc"


def positional_index_map(index_map, rank):
    """``index_map`` with a signature of ``rank`` positional arguments.

    ``Schedule.transform_layout`` reads the arity of a Python index map from
    its signature; a function of ``*idx`` (any rank) gets one here.
    """

    def mapped(*idx):
        return index_map(*idx)

    mapped.__signature__ = inspect.Signature(
        [inspect.Parameter(f"i{k}", inspect.Parameter.POSITIONAL_ONLY) for k in range(rank)])
    return mapped


def as_list(outs):
    """Return ``outs`` as a list of tensors (a single tensor is wrapped)."""
    if isinstance(outs, te.Tensor):
        return [outs]
    return list(outs)


def const_int(value):
    """Return ``value`` as a Python int, or ``None`` when it is symbolic."""
    if isinstance(value, int):
        return value
    if isinstance(value, tvm.tirx.IntImm):
        return int(value.value)
    return None


def target_info(target=None):
    """Vector lanes (float32) and core count for the schedules.

    A shorthand for the two fields of :func:`~.cpu_features.cpu_features` that
    most schedules need; see there for how they derive from the target.

    Returns
    -------
    lanes : int
    num_cores : int
    """
    features = cpu_features(target)
    return features.lanes, features.num_cores


def all_ops(outs):
    """Every op reachable from ``outs`` (placeholders, extern ops...), producers first.

    The one walk of a TE graph that the schedules, the compile engine and the
    auto-scheduler's Relay bridge share. Inputs of extern ops are followed
    too; op attributes are not.
    """
    order, seen = [], set()
    stack = [(out.op, False) for out in reversed(as_list(outs))]
    while stack:
        op, expanded = stack.pop()
        if expanded:
            order.append(op)
            continue
        if op in seen:
            continue
        seen.add(op)
        stack.append((op, True))
        stack.extend((t.op, False) for t in reversed(list(op.input_tensors)) if t.op not in seen)
    return order


def compute_ops(outs):
    """All compute ops reachable from ``outs``, producers first (post-order)."""
    return [op for op in all_ops(outs) if isinstance(op, te.ComputeOp)]


class AnchorNotFoundError(ValueError):
    """The fused function has no op that the schedule is for (a caller's mistake)."""


def find_op(outs, predicate):
    """The first compute op (producers first) of ``outs`` whose tag matches.

    Parameters
    ----------
    outs : list of te.Tensor
        Outputs of the fused function.
    predicate : str, tuple of str or callable
        A tag, several tags, or a function ``tag -> bool``.
    """
    if isinstance(predicate, str):
        tags = (predicate,)
        predicate = lambda tag: tag in tags  # noqa: E731
    elif isinstance(predicate, (tuple, list, set)):
        tags = tuple(predicate)
        predicate = lambda tag: tag in tags  # noqa: E731
    for op in compute_ops(outs):
        if predicate(op.tag):
            return op
    return None


def root_block(sch):
    """The outermost block of the function ``sch`` works on.

    ``create_prim_func`` names it ``"root"`` when it wraps several stages; a
    function made of a single extern op (``te.extern``) has that op's block as
    its outermost block instead, and no block named ``"root"``.
    """
    try:
        return sch.get_sblock("root")
    except ScheduleError:
        pass
    func = sch.mod[sch.func_working_on] if sch.func_working_on is not None else sch.mod["main"]
    return sch.get_sblock(func.body.block.name_hint)


def is_extern_block(sch, block):
    """True for the opaque block of an extern op (``te.extern`` / ir_builder).

    Such a block has no iterators and declares no buffer access: what it reads
    and writes is hidden in its body (often a packed call), so no schedule
    primitive may move, inline or split around it.
    """
    node = sch.get(block)
    return not node.iter_vars and not node.reads and not node.writes


def has_extern_block(sch):
    """True when the function contains the block of an extern op."""
    root = root_block(sch)
    if sch.get(root).name_hint != "root" and is_extern_block(sch, root):
        return True
    return any(is_extern_block(sch, rv) for rv in all_blocks(sch))


def all_blocks(sch):
    """Every block of ``sch`` except the root, in program order."""
    result = []

    def visit(block):
        for child in sch.get_child_blocks(block):
            result.append(child)
            visit(child)

    visit(root_block(sch))
    return result


def _num_iters(op):
    return len(op.axis) + len(op.reduce_axis)


def get_block(sch, op, outs=None):
    """The block that ``te.create_prim_func`` made of the TE op ``op``.

    ``create_prim_func`` names a block after its op and de-duplicates repeated
    names with ``_1``, ``_2``...; several candidates are told apart by their
    iterator count and output shape, then by topological order.
    """
    base = op.name
    shape = [const_int(s) for s in op.output(0).shape]
    candidates = []
    for rv in all_blocks(sch):
        block = sch.get(rv)
        name = block.name_hint
        if name != base and not (name.startswith(base + "_") and name[len(base) + 1:].isdigit()):
            continue
        if len(block.iter_vars) != _num_iters(op):
            continue
        written = block.writes[0].source if block.writes else None
        if written is not None and [const_int(s) for s in written.shape] != shape:
            continue
        candidates.append(rv)
    if not candidates:
        raise ValueError(f"no TensorIR block corresponds to the TE op '{op.name}' (tag '{op.tag}')")
    if len(candidates) == 1:
        return candidates[0]
    for rv in candidates:
        if sch.get(rv).name_hint == base:
            exact = rv
            break
    else:
        exact = None
    if outs is not None:
        same = [o for o in compute_ops(outs) if o.name == base and _num_iters(o) == _num_iters(op)]
        if len(same) == len(candidates):
            return candidates[same.index(op)]
    if exact is not None:
        return exact
    return candidates[0]


def is_reduction_block(sch, block):
    """True when the block has a reduction iterator."""
    return any(iv.iter_type == 2 for iv in sch.get(block).iter_vars)


def is_output_block(sch, block):
    """True when the block writes a buffer of the function's signature."""
    outputs = sch.get_output_blocks(root_block(sch))
    return any(sch.get(o).same_as(sch.get(block)) for o in outputs)


def loop_extent(sch, loop):
    """Constant extent of ``loop`` (``None`` when symbolic)."""
    return const_int(sch.get(loop).extent)


def inline_all(sch, keep=()):
    """Inline every inlinable block that is neither an output nor in ``keep``.

    Inlining is tried repeatedly until nothing changes, so chains of injective
    blocks collapse into their consumers. Blocks TensorIR refuses to inline
    (reductions, blocks read with a non-affine pattern...) are left in place.
    Returns the names of the blocks that were inlined.
    """
    keep = set(keep)
    inlined = []
    changed = True
    while changed:
        changed = False
        for rv in all_blocks(sch):
            block = sch.get(rv)
            if block.name_hint in keep or is_output_block(sch, rv):
                continue
            if is_reduction_block(sch, rv):
                continue
            try:
                sch.compute_inline(rv)
            except ScheduleError:
                continue
            inlined.append(block.name_hint)
            changed = True
            break
    return inlined


def inline_epilogue(sch, producer):
    """Fold the elementwise consumer chain of ``producer`` into it.

    Repeatedly ``reverse_compute_inline`` the single consumer of ``producer``
    (bias add, activation, residual add...). Stops at the first consumer that
    cannot be folded (several consumers, a layout change, a reduction).
    Returns the number of consumers folded.
    """
    count = 0
    while True:
        consumers = sch.get_consumers(producer)
        if len(consumers) != 1:
            return count
        try:
            sch.reverse_compute_inline(consumers[0])
        except ScheduleError:
            return count
        count += 1


def with_fallback(schedule_fn):
    """Make an anchor schedule degrade to ``default_schedule`` instead of failing.

    The schedule is first tried on a copy of ``sch``; when it raises (an
    unexpected fused pattern the schedule cannot handle), a warning is logged
    and the generic schedule is applied to ``sch`` instead. Explicit knob
    values (``cfg`` given) are not second-guessed: their errors propagate.
    """
    import functools  # pylint: disable=import-outside-toplevel
    import inspect  # pylint: disable=import-outside-toplevel
    import logging  # pylint: disable=import-outside-toplevel

    signature = inspect.signature(schedule_fn)

    @functools.wraps(schedule_fn)
    def wrapper(sch, outs, *args, **kwargs):
        cfg = signature.bind(sch, outs, *args, **kwargs).arguments.get("cfg")
        if cfg is not None:
            return schedule_fn(sch, outs, *args, **kwargs)
        trial = sch.copy()
        try:
            schedule_fn(trial, outs, *args, **kwargs)
        except AnchorNotFoundError:
            raise
        except Exception as err:  # pylint: disable=broad-except
            logging.getLogger("topi").warning(
                "%s failed on this function (%s); using the generic schedule",
                schedule_fn.__name__, str(err).splitlines()[0] if str(err) else type(err).__name__)
            from .injective import default_schedule  # pylint: disable=import-outside-toplevel

            return default_schedule(sch, outs)
        return schedule_fn(sch, outs, *args, **kwargs)

    return wrapper
