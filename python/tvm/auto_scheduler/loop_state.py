"""TVM 0.8's loop-state API (``State``, ``Stage``, ``Iterator``) over TensorIR.

In 0.8 a state was a C++ object listing the stages of a compute DAG and the
transform steps (split, fuse, compute_at, cache_read, ...) applied to them.
The base wheel has no TE schedules, so here a :class:`State` owns a
:class:`tvm.s_tir.Schedule` of ``te.create_prim_func(dag.tensors)`` and each
0.8 step is applied to it as the equivalent TensorIR primitive. The TensorIR
trace of that schedule is what records store (``State.trace``), so a state
replays exactly; the 0.8 steps are kept too (``transform_steps``) because
``follow_split`` and ``follow_fused_split`` read their split factors.

How the 0.8 view maps onto TensorIR
-----------------------------------
* A stage is a placeholder (no block) or a TensorIR block. Stages keep 0.8's
  order: the operations in depth-first post-order of the DAG; a ``cache_read``
  stage follows its source, a ``cache_write`` or ``rfactor`` stage precedes
  the stage it was made from.
* The iterators of a stage are the loops of its block, from the loop below its
  ``compute_at`` point (or from the root) down. ``compute_at`` keeps the loops
  of extent 1 (``preserve_unit_loops``), so an iterator keeps the position it
  had in 0.8 (``stage.iters[4]`` is still the first reduction of a
  computed-at convolution).
* ``cache_write`` in TensorIR leaves the computation in the original block and
  copies the cache out in a new block; in 0.8 the new stage computes and the
  original stage copies. The returned stage is therefore the computing block.
* Iterators are values (name, range, annotation); an iterator handed to a step
  is found among the stage's current loops by its name.
* ``compute_root`` has no TensorIR primitive (a block cannot be moved back to
  the root, an inlined block cannot be restored). The state is rebuilt from its
  steps without the stage's earlier ``compute_at``/``compute_inline``; a later
  step that used a loop of the dropped attachment raises an error naming it.
"""
import copy as _copy
import logging

import tvm
from tvm import te
from tvm.s_tir import Schedule, Trace
from tvm.s_tir.schedule.schedule import ScheduleError
from tvm.s_tir.stmt import SBlockRealize
from tvm.tirx.analysis import undefined_vars

logger = logging.getLogger("auto_scheduler")


class _Range:
    """``min`` and ``extent`` of an iterator (Python ints when constant)."""

    def __init__(self, min_value, extent):
        self.min = min_value
        self.extent = extent

    def __eq__(self, other):
        return isinstance(other, _Range) and (self.min, self.extent) == (other.min, other.extent)

    def __hash__(self):
        return hash((self.min, self.extent))

    def __repr__(self):
        return "(%s,%s)" % (self.min, self.extent)


def _as_int(expr):
    if isinstance(expr, int):
        return expr
    if isinstance(expr, tvm.tirx.IntImm):
        return int(expr.value)
    return expr


class Iterator:
    """A loop of a stage: ``name``, ``range`` (``min``, ``extent``),
    ``annotation`` (a value of :attr:`State.ANNOTATION_TRANS_TABLE`) and
    ``iter_kind`` (0 spatial, 1 reduction, 2 mixed, 3 special, as 0.8)."""

    def __init__(self, name, range_, annotation, iter_kind):
        self.name = name
        self.range = range_
        self.annotation = annotation
        self.iter_kind = iter_kind

    def __eq__(self, other):
        return isinstance(other, Iterator) and (
            self.name, self.range, self.annotation, self.iter_kind
        ) == (other.name, other.range, other.annotation, other.iter_kind)

    def __hash__(self):
        return hash((self.name, self.annotation))

    def __repr__(self):
        return "Iterator(%s, %s)" % (self.name, self.range)


class StageOp:
    """The operation of a stage made by a step (``cache_read``, ``cache_write``,
    ``rfactor``): TensorIR blocks have no TE operation. It has a ``name`` and
    can be passed wherever a stage is expected."""

    def __init__(self, name):
        self.name = name

    def output(self, index):  # pylint: disable=unused-argument
        """The stage itself (0.8 returned an operation; this stands for its tensor)."""
        return self

    @property
    def op(self):
        return self

    def __repr__(self):
        return "StageOp(%s)" % self.name


class Stage:
    """A stage of a state: ``op``, ``op_type`` (0 placeholder, 1 compute),
    ``iters`` and ``compute_at`` (0 root, 1 inlined, 2 at an iterator)."""

    COMPUTE_AT_ROOT, COMPUTE_AT_INLINED, COMPUTE_AT_ITER = 0, 1, 2
    COMPUTE_AT_TRANS_TABLE = {"root": 0, "inlined": 1, "iter": 2}

    def __init__(self, op, op_type, iters, compute_at, n_axes=0, block=None):
        self.op = op
        self.op_type = op_type
        self.iters = iters
        # fork additions: the number of block iterators (axes, reductions
        # included) and the TensorIR block name of the stage
        self.n_axes = n_axes
        self.block = block
        self.compute_at = compute_at

    def __repr__(self):
        return "Stage(%s)" % self.op.name


class _StageRec:
    """Book-keeping of one stage: its key, op, block name and attachment."""

    def __init__(self, key, op, block):
        self.key = key
        self.op = op
        self.block = block  # None for a placeholder
        self.attach = ("root",)


class _Step:
    """One 0.8 transform step: ``kind`` (0.8's record tag), the stage key and
    the step's arguments. ``active`` is False once ``compute_root`` undid it."""

    def __init__(self, kind, stage_key, **args):
        self.kind = kind
        self.stage_key = stage_key
        self.args = args
        self.active = True
        self.lengths = args.get("lengths")

    def __repr__(self):
        return "%s(%s, %s)" % (self.kind, self.stage_key, self.args)


def _dfs_ops(tensors):
    """Operations in depth-first post-order of the inputs (0.8's stage order)."""
    order = []

    def visit(op):
        if any(op.same_as(seen) for seen in order):
            return
        for inp in getattr(op, "input_tensors", []):
            visit(inp.op)
        order.append(op)

    # from the outputs, as 0.8 (inputs are reached through them); unused inputs last
    for tensor in tensors:
        if not isinstance(tensor.op, te.PlaceholderOp):
            visit(tensor.op)
    for tensor in tensors:
        visit(tensor.op)
    return order


_ANNOTATION_OF_KIND = {0: 0, 1: 3, 2: 2, 3: 1}  # ForKind -> 0.8 annotation


class State:
    """A schedule state of a :class:`ComputeDAG` (0.8's ``auto_scheduler.State``).

    Create one with ``dag.get_init_state()``; each primitive mutates it and
    returns what 0.8 returned. ``state.trace`` is the TensorIR trace.
    """

    ANNOTATION_TRANS_TABLE = {
        "none": 0,
        "unroll": 1,
        "vectorize": 2,
        "parallel": 3,
        "vthread": 4,
        "blockIdx.x": 5,
        "threadIdx.x": 6,
        "blockIdx.y": 7,
        "threadIdx.y": 8,
        "blockIdx.z": 9,
        "threadIdx.z": 10,
        "tensorize": 11,
    }

    def __init__(self, dag, base_trace=None):
        self.dag = dag
        self._base_trace = base_trace
        self._steps = []
        self._reset()

    # -- construction -------------------------------------------------------
    def _reset(self):
        self._sch = Schedule(self.dag.mod)
        self._recs = []
        compute_ops = [op for op in _dfs_ops(self.dag.tensors) if not isinstance(op, te.PlaceholderOp)]
        root = self._sch.get_sblock("root")
        block_names = [self._sch.get(b).name_hint for b in self._sch.get_child_blocks(root)]
        remaining = list(block_names)
        for op in _dfs_ops(self.dag.tensors):
            if isinstance(op, te.PlaceholderOp):
                self._recs.append(_StageRec("placeholder:%s" % op.name, op, None))
                continue
            name = self._match_block(op, remaining, compute_ops)
            self._recs.append(_StageRec("block:%s" % name, op, name))
        if self._base_trace is not None:
            self._apply_base_trace()
        for step in self._steps:
            if step.active:
                self._apply(step)

    @staticmethod
    def _match_block(op, remaining, compute_ops):
        """The block ``te.create_prim_func`` made for ``op`` (same name, suffix ``_<n>``)."""
        for name in remaining:
            suffix = name[len(op.name) + 1:]
            if name == op.name or (name.startswith(op.name + "_") and suffix.isdigit()):
                remaining.remove(name)
                return name
            if name.startswith(op.name + "_v") and suffix[1:].isdigit():
                # a multi-output compute: one block per output; the stage is the first
                for other in [n for n in remaining if n.startswith(op.name + "_v")]:
                    remaining.remove(other)
                return name
        raise ValueError(
            "State: no TensorIR block for the operation '%s' among %s (%d computes)"
            % (op.name, remaining, len(compute_ops))
        )

    def _apply_base_trace(self):
        trace = self._base_trace
        if isinstance(trace, str):
            Trace.apply_json_to_schedule(tvm.ir.load_json(trace), self._sch)
        else:
            trace.apply_to_schedule(self._sch, remove_postproc=False)
        existing = set(self._block_names())
        known = set()
        for rec in self._recs:
            if rec.block is not None:
                known.add(rec.block)
                if rec.block not in existing:
                    rec.attach = ("inline",)
        for name in self._block_names():
            if name not in known:
                self._recs.append(_StageRec("block:%s" % name, StageOp(name), name))
        self._detect_attachments()

    def _detect_attachments(self):
        """Attachments of a state replayed from a trace (no 0.8 steps to read them from).

        Blocks that share loops were put together by compute_at or
        reverse_compute_at; as in 0.8, the last of them in program order owns
        the loops (it is at the root) and each earlier one is attached at the
        deepest loop it shares with a later block.
        """
        sch = self._sch
        order = self._block_names()
        by_block = {rec.block: rec for rec in self._recs if rec.block is not None and rec.attach[0] != "inline"}
        for rec in by_block.values():
            loops = sch.get_loops(sch.get_sblock(rec.block))
            pos = order.index(rec.block)
            for loop in reversed(loops):
                later = [sch.get(b).name_hint for b in sch.get_child_blocks(loop)]
                later = [b for b in later if b in by_block and order.index(b) > pos]
                if later:
                    owner = by_block[later[-1]]
                    rec.attach = ("iter", owner.key, sch.get(loop).loop_var.name)
                    break

    def _block_names(self):
        names = []

        def visit(stmt):
            if isinstance(stmt, SBlockRealize):
                if stmt.block.name_hint != "root":
                    names.append(stmt.block.name_hint)
                visit(stmt.block.body)
            elif isinstance(stmt, tvm.tirx.For):
                visit(stmt.body)
            elif isinstance(stmt, tvm.tirx.SeqStmt):
                for sub in stmt.seq:
                    visit(sub)
            elif hasattr(stmt, "then_case"):
                visit(stmt.then_case)
            elif hasattr(stmt, "body"):
                visit(stmt.body)

        visit(self._sch.mod["main"].body)
        return names

    # -- 0.8 properties -----------------------------------------------------
    @property
    def trace(self):
        """The TensorIR trace of the state (what records store)."""
        return self._sch.trace

    @property
    def schedule(self):
        """The :class:`tvm.s_tir.Schedule` of the state (do not modify it)."""
        return self._sch

    @property
    def stages(self):
        """The stages, in 0.8's order."""
        return [self._make_stage(rec) for rec in self._recs]

    @property
    def transform_steps(self):
        """The 0.8 steps applied so far."""
        return list(self._steps)

    @property
    def stage_ops(self):
        """The operation of each stage."""
        return [rec.op for rec in self._recs]

    # -- lookup -------------------------------------------------------------
    def _rec(self, stage):
        if isinstance(stage, int):
            return self._recs[stage]
        if isinstance(stage, Stage):
            stage = stage.op
        if isinstance(stage, te.Tensor):
            stage = stage.op
        if isinstance(stage, StageOp):
            for rec in self._recs:
                if isinstance(rec.op, StageOp) and rec.op.name == stage.name:
                    return rec
        else:
            for rec in self._recs:
                if not isinstance(rec.op, StageOp) and rec.op.same_as(stage):
                    return rec
        raise ValueError(
            "Invalid stage: %r. Expect an int, an Operation, a Tensor or a stage op of this state"
            % (stage,)
        )

    def _rec_by_key(self, key):
        for rec in self._recs:
            if rec.key == key:
                return rec
        raise ValueError("State: the stage %s no longer exists" % key)

    def _block(self, rec):
        if rec.block is None:
            raise ValueError("State: the placeholder '%s' has no loops" % rec.op.name)
        if rec.attach[0] == "inline":
            raise ValueError("State: the stage '%s' is inlined" % rec.op.name)
        return self._sch.get_sblock(rec.block)

    def _loops(self, rec):
        """The loop RVs of a stage (below its compute_at point)."""
        if rec.block is None or rec.attach[0] == "inline":
            return []
        loops = self._sch.get_loops(self._block(rec))
        if rec.attach[0] == "iter":
            target = self._rec_by_key(rec.attach[1])
            target_loop = self._find_loop(target, rec.attach[2], search_all=True)
            target_node = self._sch.get(target_loop)
            for pos, loop in enumerate(loops):
                if self._sch.get(loop).same_as(target_node):
                    return loops[pos + 1:]
        return loops

    def _find_loop(self, rec, iterator, search_all=False):
        name = iterator.name if isinstance(iterator, Iterator) else str(iterator)
        loops = self._sch.get_loops(self._block(rec)) if search_all else self._loops(rec)
        for loop in loops:
            if self._sch.get(loop).loop_var.name == name:
                return loop
        raise ValueError(
            "State: the stage '%s' has no iterator '%s' (it has %s)"
            % (rec.op.name, name, [self._sch.get(l).loop_var.name for l in loops])
        )

    def _iterator(self, rec, loop):
        node = self._sch.get(loop)
        kind = int(node.kind)
        annotation = _ANNOTATION_OF_KIND.get(kind, 0)
        if node.thread_binding is not None:
            tag = str(node.thread_binding.thread_tag)
            tag = "vthread" if tag.startswith("vthread") else tag
            annotation = self.ANNOTATION_TRANS_TABLE.get(tag, 0)
        return Iterator(
            str(node.loop_var.name),
            _Range(_as_int(node.min), _as_int(node.extent)),
            annotation,
            self._iter_kind(rec, node),
        )

    def _iter_kind(self, rec, loop_node):
        block = self._sch.get(self._block(rec))
        kinds = set()
        binds = self._bindings(rec)
        for ivar, value in zip(block.iter_vars, binds):
            if _uses_var(value, loop_node.loop_var):
                kinds.add(1 if int(ivar.iter_type) == 2 else 0)
        if not kinds:
            return 0
        return kinds.pop() if len(kinds) == 1 else 2

    def _bindings(self, rec):
        block = self._sch.get(self._block(rec))
        found = []

        def visit(stmt):
            if isinstance(stmt, SBlockRealize):
                if stmt.block.same_as(block):
                    found.append(list(stmt.iter_values))
                    return
                visit(stmt.block.body)
            elif isinstance(stmt, tvm.tirx.SeqStmt):
                for sub in stmt.seq:
                    visit(sub)
            elif hasattr(stmt, "then_case"):
                visit(stmt.then_case)
            elif hasattr(stmt, "body"):
                visit(stmt.body)

        visit(self._sch.mod["main"].body)
        return found[0] if found else []

    def _make_stage(self, rec):
        if rec.block is None:
            return Stage(rec.op, 0, [], Stage.COMPUTE_AT_ROOT)
        if rec.attach[0] == "inline":
            return Stage(rec.op, 1, [], Stage.COMPUTE_AT_INLINED)
        iters = [self._iterator(rec, loop) for loop in self._loops(rec)]
        compute_at = Stage.COMPUTE_AT_ITER if rec.attach[0] == "iter" else Stage.COMPUTE_AT_ROOT
        n_axes = len(self._sch.get(self._block(rec)).iter_vars)
        return Stage(rec.op, 1, iters, compute_at, n_axes, rec.block)

    def __getitem__(self, key):
        return self._make_stage(self._rec(key))

    # -- steps ----------------------------------------------------------------
    def _do(self, kind, stage, **args):
        rec = self._rec(stage)
        step = _Step(kind, rec.key, **args)
        result = self._apply(step)
        self._steps.append(step)
        return result

    def _apply(self, step):  # pylint: disable=too-many-branches,too-many-locals,too-many-statements
        sch = self._sch
        rec = self._rec_by_key(step.stage_key)
        args = step.args
        kind = step.kind
        try:
            if kind == "SP":
                loop = self._find_loop(rec, args["iterator"])
                lengths = [None if v is None else int(v) for v in args["lengths"]]
                factors = [None] + lengths if args["inner_to_outer"] else lengths + [None]
                new_loops = sch.split(loop, factors=factors)
                return [self._iterator(rec, l) for l in new_loops]
            if kind == "FU":
                loops = [self._find_loop(rec, it) for it in args["iters"]]
                fused = sch.fuse(*loops) if len(loops) > 1 else loops[0]
                return self._iterator(rec, fused)
            if kind == "RE":
                loops = [self._find_loop(rec, it) for it in args["order"]]
                sch.reorder(*loops)
                return None
            if kind == "AN":
                loop = self._find_loop(rec, args["iterator"])
                ann = args["annotation"]
                if ann == "parallel":
                    sch.parallel(loop)
                elif ann == "vectorize":
                    sch.vectorize(loop)
                elif ann == "unroll":
                    sch.unroll(loop)
                elif ann in ("vthread",) or "Idx" in ann:
                    sch.bind(loop, "vthread.x" if ann == "vthread" else ann)
                else:
                    raise ValueError("State: unknown annotation '%s'" % ann)
                return self._iterator(rec, loop)
            if kind == "PR":
                loop = self._find_loop(rec, args["iterator"])
                pragma = args["pragma_type"]
                if "$" in pragma:
                    key, value = pragma.split("$", 1)
                    sch.annotate(loop, "pragma_" + key, int(value))
                else:
                    sch.annotate(loop, "pragma_" + pragma, 1)
                return None
            if kind == "SA":
                block = self._block(rec)
                loop_node = sch.get(self._find_loop(rec, args["iterator"]))
                axis = self._buffer_axis(rec, loop_node)
                if axis is None:
                    # TE aligned only the output axes of a stage and ignored any
                    # other iterator (a reduction one): 0.8 recorded a no-op
                    logger.warning(
                        "storage_align: the iterator '%s' of stage '%s' indexes no dimension of "
                        "its buffer; ignored, as TVM 0.8 did", loop_node.loop_var.name, rec.op.name)
                    return None
                sch.storage_align(block, 0, axis, int(args["factor"]), int(args["offset"]))
                return None
            if kind == "CA":
                target = self._rec_by_key(args["target"])
                loop = self._find_loop(target, args["target_iter"])
                block = self._block(rec)
                sch.compute_at(block, loop, preserve_unit_loops=True)
                rec.attach = ("iter", target.key, sch.get(loop).loop_var.name)
                return None
            if kind == "CI":
                sch.compute_inline(self._block(rec))
                rec.attach = ("inline",)
                return None
            if kind == "CR":
                rec.attach = ("root",)
                return None
            if kind == "CHR":
                return self._cache_read(rec, args["scope"], [self._rec_by_key(k) for k in args["readers"]])
            if kind == "CHW":
                return self._cache_write(rec, args["scope"])
            if kind == "RF":
                return self._rfactor(rec, args["iterator"], int(args["factor_iter_id"]))
            if kind in ("FSP", "FFSP"):
                loop = self._find_loop(rec, args["iterator"])
                lengths = self._follow_lengths(step)
                inner_to_outer = True if kind == "FSP" else bool(args["factor_or_nparts"])
                factors = [None] + lengths if inner_to_outer else lengths + [None]
                new_loops = sch.split(loop, factors=factors)
                return [self._iterator(rec, l) for l in new_loops]
        except (tvm.TVMError, ScheduleError) as err:
            raise ValueError(
                "State: the step %s of stage '%s' has no valid TensorIR equivalent here: %s"
                % (kind, rec.op.name, str(err).strip().splitlines()[-1] if str(err).strip() else err)
            ) from err
        raise ValueError("State: unknown step kind %s" % kind)

    def _follow_lengths(self, step):
        if step.kind == "FSP":
            src = self._steps[step.args["src_step_id"]]
            n_split = int(step.args["n_split"])
            if src.lengths is None or n_split > len(src.lengths) + 1:
                raise ValueError("follow_split: step %d is not a split with %d parts"
                                 % (step.args["src_step_id"], n_split))
            lengths = list(src.lengths[: n_split - 1])
            last = 1
            for value in src.lengths[n_split - 1:]:
                if value is None:
                    last = None
                    break
                last *= int(value)
            return lengths + [last]
        level = int(step.args["level"])
        length = 1
        for sid in step.args["src_step_ids"]:
            value = self._steps[sid].lengths[level]
            if value is None:
                return [None]
            length *= int(value)
        return [length]

    def _buffer_axis(self, rec, loop_node):
        """The dimension of the stage's output buffer that ``loop_node`` indexes, or None."""
        block = self._sch.get(self._block(rec))
        region = block.writes[0].region
        for ivar, value in zip(block.iter_vars, self._bindings(rec)):
            if _uses_var(value, loop_node.loop_var):
                for axis, rng in enumerate(region):
                    if _uses_var(rng.min, ivar.var):
                        return axis
        return None

    def _cache_read(self, rec, scope, readers):
        sch = self._sch
        reader_blocks = [self._block(r) for r in readers]
        buf_name = self._out_buffer_name(rec)
        first = sch.get(reader_blocks[0])
        index = None
        for i, region in enumerate(first.reads):
            if _region_name(region) == buf_name:
                index = i
                break
        if index is None:
            raise ValueError("cache_read: the stage '%s' does not read '%s'"
                             % (readers[0].op.name, rec.op.name))
        new_block = sch.cache_read(reader_blocks[0], index, scope, consumer_blocks=reader_blocks)
        name = sch.get(new_block).name_hint
        new_rec = _StageRec("block:%s" % name, StageOp("%s.%s" % (rec.op.name, scope)), name)
        self._recs.insert(self._recs.index(rec) + 1, new_rec)
        return new_rec.op

    def _out_buffer_name(self, rec):
        if rec.block is None:
            return rec.op.name
        return _region_name(self._sch.get(self._block(rec)).writes[0])

    def _cache_write(self, rec, scope):
        sch = self._sch
        copy_block = sch.cache_write(self._block(rec), 0, scope)
        copy_name = sch.get(copy_block).name_hint
        # the original block now computes into the cache: it is 0.8's new stage
        new_rec = _StageRec(rec.key + "." + scope, StageOp("%s.%s" % (rec.op.name, scope)), rec.block)
        new_rec.attach = rec.attach
        rec.block = copy_name
        rec.attach = ("root",)
        self._recs.insert(self._recs.index(rec), new_rec)
        for other in self._recs:
            if other.attach[0] == "iter" and other.attach[1] == rec.key:
                other.attach = ("iter", new_rec.key, other.attach[2])
        return new_rec.op

    def _rfactor(self, rec, iterator, factor_iter_id):
        sch = self._sch
        loop = self._find_loop(rec, iterator)
        loop_name = sch.get(loop).loop_var.name
        rf_block = sch.rfactor(loop, factor_iter_id)
        name = sch.get(rf_block).name_hint
        new_rec = _StageRec("block:%s" % name, StageOp("%s.rf" % rec.op.name), name)
        self._recs.insert(self._recs.index(rec), new_rec)
        # 0.8's rfactor stage iterates the factored axis right after the spatial ones
        loops = self._loops(new_rec)
        names = [sch.get(l).loop_var.name for l in loops]
        kinds = [self._iter_kind(new_rec, sch.get(l)) for l in loops]
        pos = names.index(loop_name)
        first_red = next((i for i, k in enumerate(kinds) if k == 1), pos)
        if first_red < pos:
            sch.reorder(*([loops[pos]] + loops[first_red:pos]))
        return new_rec.op

    # -- 0.8 primitives ---------------------------------------------------------
    def bind(self, stage, iterator, thread_name):
        """Bind an iterator to a thread axis (``blockIdx.x``, ``threadIdx.y``, ``vthread``...)."""
        if thread_name not in State.ANNOTATION_TRANS_TABLE:
            raise ValueError("Invalid thread_name: " + thread_name)
        return self._do("AN", stage, iterator=_name(iterator), annotation=thread_name)

    def parallel(self, stage, iterator):
        """Parallelise an iterator."""
        return self._do("AN", stage, iterator=_name(iterator), annotation="parallel")

    def unroll(self, stage, iterator, max_unroll=None):
        """Unroll an iterator (``max_unroll`` is accepted as in 0.8 and not used:
        TensorIR unrolls the whole loop)."""
        del max_unroll
        return self._do("AN", stage, iterator=_name(iterator), annotation="unroll")

    def vectorize(self, stage, iterator):
        """Vectorise an iterator."""
        return self._do("AN", stage, iterator=_name(iterator), annotation="vectorize")

    def fuse(self, stage, iters):
        """Fuse consecutive iterators; returns the fused iterator."""
        return self._do("FU", stage, iters=[_name(it) for it in iters])

    def pragma(self, stage, iterator, pragma_type):
        """Add a pragma (``"auto_unroll_max_step$64"`` -> annotation
        ``pragma_auto_unroll_max_step=64``)."""
        self._do("PR", stage, iterator=_name(iterator), pragma_type=pragma_type)

    def reorder(self, stage, order):
        """Reorder the iterators of a stage."""
        self._do("RE", stage, order=[_name(it) for it in order])

    def split(self, stage, iterator, lengths, inner_to_outer=True):
        """Split an iterator; ``lengths`` are the inner extents (the outermost
        gets the rest) or, with ``inner_to_outer=False``, the outer ones."""
        return self._do("SP", stage, iterator=_name(iterator), lengths=list(lengths),
                        inner_to_outer=bool(inner_to_outer))

    def follow_split(self, stage, iterator, src_step_id, n_split):
        """Split with the factors of the split step ``src_step_id``."""
        return self._do("FSP", stage, iterator=_name(iterator), src_step_id=int(src_step_id),
                        n_split=int(n_split))

    def follow_fused_split(self, stage, iterator, src_step_ids, level, factor_or_nparts):
        """Split by the product of the ``level``-th factors of several split steps."""
        return self._do("FFSP", stage, iterator=_name(iterator),
                        src_step_ids=[int(s) for s in src_step_ids], level=int(level),
                        factor_or_nparts=bool(factor_or_nparts))

    def storage_align(self, stage, iterator, factor, offset):
        """Align the buffer dimension that ``iterator`` indexes."""
        self._do("SA", stage, iterator=_name(iterator), factor=int(factor), offset=int(offset))

    def compute_at(self, stage, target_stage, target_iter):
        """Compute ``stage`` inside ``target_iter`` of ``target_stage``."""
        target = self._rec(target_stage)
        self._do("CA", stage, target=target.key, target_iter=_name(target_iter))

    def compute_inline(self, stage):
        """Inline a stage into its consumers."""
        self._do("CI", stage)

    def compute_root(self, stage):
        """Move a stage back to the root (rebuilds the state without its earlier
        compute_at/compute_inline; see the module docstring)."""
        rec = self._rec(stage)
        saved = (self._sch, self._recs, [step.active for step in self._steps])
        for step in self._steps:
            if step.stage_key == rec.key and step.kind in ("CA", "CI"):
                step.active = False
        self._steps.append(_Step("CR", rec.key))
        try:
            self._reset()
        except ValueError as err:
            self._steps.pop()
            self._sch, self._recs = saved[0], saved[1]
            for step, active in zip(self._steps, saved[2]):
                step.active = active
            raise ValueError(
                "compute_root('%s'): TensorIR cannot move a block back to the root, so the state "
                "is replayed without the stage's compute_at/compute_inline, and a later step "
                "then fails: %s" % (rec.op.name, err)
            ) from err

    def cache_read(self, stage, scope_name, reader_stages):
        """Read ``stage``'s output through a cache in ``scope_name``; returns the new stage op."""
        rec = self._rec(stage)
        readers = [self._rec(r).key for r in reader_stages]
        return self._do("CHR", stage, scope=scope_name, readers=readers)

    def cache_write(self, stage, scope_name):
        """Compute ``stage`` into a cache in ``scope_name``; returns the new (computing) stage op."""
        return self._do("CHW", stage, scope=scope_name)

    def rfactor(self, stage, iterator, factor_iter_id):
        """Factor a reduction over ``iterator``; returns the new rfactor stage op."""
        return self._do("RF", stage, iterator=_name(iterator), factor_iter_id=int(factor_iter_id))

    # -- misc -------------------------------------------------------------------
    def copy(self):
        """A deep copy of the state."""
        new = State.__new__(State)
        new.dag = self.dag
        new._base_trace = self._base_trace
        new._steps = [_copy.copy(s) for s in self._steps]
        new._sch = self._sch.copy()
        new._recs = [_copy.copy(r) for r in self._recs]
        return new

    def __eq__(self, other):
        if not isinstance(other, State):
            return NotImplemented
        return tvm.ir.structural_equal(self._sch.mod, other._sch.mod)

    def __hash__(self):
        return tvm.ir.structural_hash(self._sch.mod)

    def __getstate__(self):
        return {"dag": self.dag, "trace": tvm.ir.save_json(self.trace.as_json())}

    def __setstate__(self, data):
        self.__init__(data["dag"], data["trace"])

    def __str__(self):
        return _print_state(self)

    def __repr__(self):
        return self.__str__()


def _region_name(region):
    """Name of the buffer of a block's read/write region (``buffer`` or ``source``)."""
    buf = getattr(region, "buffer", None)
    if buf is None:
        buf = region.source
    return str(buf.name)


def _name(iterator):
    if isinstance(iterator, Iterator):
        return iterator.name
    if isinstance(iterator, str):
        return iterator
    raise TypeError("expected an auto_scheduler Iterator, got %s" % type(iterator).__name__)


def _uses_var(expr, var):
    return any(v.same_as(var) for v in undefined_vars(expr))


_KIND_WORD = {0: "for", 1: "parallel", 2: "vectorize", 3: "unroll"}


def _print_state(state):
    lines = []
    placeholders = [r.op.name for r in state._recs if r.block is None]  # pylint: disable=protected-access
    lines.append("Placeholder: " + ", ".join(placeholders))

    def visit(stmt, indent):
        pad = "  " * indent
        if isinstance(stmt, SBlockRealize):
            if stmt.block.name_hint == "root":
                visit(stmt.block.body, indent)
                return
            lines.append("%s%s = ..." % (pad, stmt.block.name_hint))
        elif isinstance(stmt, tvm.tirx.For):
            word = _KIND_WORD.get(int(stmt.kind), "for")
            if stmt.thread_binding is not None:
                word = str(stmt.thread_binding.thread_tag)
            lines.append("%s%s %s (%s,%s)" % (pad, word, stmt.loop_var.name,
                                              _as_int(stmt.min), _as_int(stmt.extent)))
            visit(stmt.body, indent + 1)
        elif isinstance(stmt, tvm.tirx.SeqStmt):
            for sub in stmt.seq:
                visit(sub, indent)
        elif hasattr(stmt, "then_case"):
            visit(stmt.then_case, indent)
        elif hasattr(stmt, "body"):
            visit(stmt.body, indent)

    visit(state._sch.mod["main"].body, 0)  # pylint: disable=protected-access
    return "\n".join(lines) + "\n"
