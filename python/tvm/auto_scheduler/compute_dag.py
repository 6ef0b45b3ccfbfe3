"""The compute DAG of a workload and the schedule states applied to it.

Upstream TVM 0.8 kept its own loop-state IR (``State`` with transform steps) in
C++. The base wheel no longer has TE schedules, so in this fork a *state* is a
TensorIR schedule trace (:class:`tvm.s_tir.Trace`) over
``te.create_prim_func(io_tensors)``: replaying the trace on a fresh
:class:`tvm.s_tir.Schedule` of that function reproduces the schedule exactly.
States are stored in logs as ``tvm.ir.save_json(trace.as_json())``.

The DAG itself (tensors, canonical text, hash, workload key, FLOP count) is the
fork's own. The FLOP count follows TVM 0.8's contract (``_FlopEstimator``): it is
read from the TE compute bodies, and a compute's ``FLOP`` attribute replaces the
estimate for that compute.
"""
import hashlib
import json
import re

import tvm
from tvm import te, tirx
from tvm.s_tir import Schedule, Trace
from tvm.sym import Analyzer
from tvm.topi.generic.input_transform import extract_layout_transforms, find_layout_rewrite_blocks

from . import feature  # noqa: F401  (0.8's auto_scheduler.feature, loaded with the package)
from .loop_state import State
from .utils import as_target, get_const_tuple
from .workload_registry import workload_key_to_tensors


class InvalidComputeError(tvm.TVMError, ValueError):
    """A compute definition the auto-scheduler cannot handle.

    Raised by :class:`ComputeDAG`. It is a ``tvm.TVMError`` because TVM 0.8
    raised one (its C++ check failed), and a ``ValueError`` because the
    compute handed in is at fault.
    """


class LayoutRewriteOption:
    """Options for applying layout rewrite (values as upstream).

    NO_REWRITE
        Never rewrite the layout of a weight.
    INSERT_TRANSFORM_STAGE
        The schedule may read a layout-free weight (``layout_free_buffers`` of
        the PrimFunc) in a new layout; a transform stage inside the function
        converts it at every call. Measurements include that stage.
    REWRITE_FOR_PRE_TRANSFORMED
        As above, but the function built by
        ``apply_steps_from_state(state, layout_rewrite=REWRITE_FOR_PRE_TRANSFORMED)``
        takes the weight already transformed; the caller transforms constant
        weights once with :meth:`ComputeDAG.layout_transforms`.
    """

    NO_REWRITE = 0
    INSERT_TRANSFORM_STAGE = 1
    REWRITE_FOR_PRE_TRANSFORMED = 2

    @staticmethod
    def get_target_default(target, in_relay_integration=False):
        """Default option of a target: rewrite on CPUs, not on GPUs (as upstream)."""
        target = as_target(target)
        if target is not None and target.kind.name == "llvm":
            if in_relay_integration:
                return LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED
            return LayoutRewriteOption.INSERT_TRANSFORM_STAGE
        return LayoutRewriteOption.NO_REWRITE


_DECL_LINE = re.compile(r"^\s*[\w.]+ = T\.(Buffer|int32|int64|var|handle)\(.*\)\s*$")


def _block_text(stmt):
    """Text of a statement without the buffer/var declarations the printer adds."""
    lines = [ln for ln in str(stmt).splitlines() if ln.strip() and not _DECL_LINE.match(ln)]
    return " ".join(ln.strip() for ln in lines)


def state_to_trace(state):
    """Normalise a state: Trace, Schedule, JSON text of a trace, or None (empty)."""
    if state is None:
        return Trace([], {})
    if isinstance(state, Trace):
        return state
    if isinstance(state, Schedule):
        return state.trace
    if isinstance(state, State):
        return state.trace
    if isinstance(state, str):
        return state  # JSON text; replayed with Trace.apply_json_to_schedule
    raise TypeError(
        "a state must be an auto_scheduler.State, a tvm.s_tir.Trace, a tvm.s_tir.Schedule or "
        "the JSON text of a trace, got %s"
        % type(state).__name__
    )


def state_to_json(state):
    """The JSON text of a state, as stored in records."""
    trace = state_to_trace(state)
    if isinstance(trace, str):
        return trace
    return tvm.ir.save_json(trace.as_json())


def _dtype_code(expr):
    """The DLPack type code of an expression's dtype (None if it has no scalar type)."""
    dtype = getattr(getattr(expr, "ty", None), "dtype", None)
    if dtype is None:
        return None
    return tvm.DataType(str(dtype)).type_code


def _const_extent(extent):
    if isinstance(extent, int):
        return extent
    if isinstance(extent, tirx.IntImm):
        return int(extent.value)
    return None


class _FlopEstimator:
    """FLOP count of a list of operations, with TVM 0.8's rules.

    * A compute with a ``FLOP`` attribute counts that number, whatever its body.
    * Otherwise: (number of output elements) x (operations per element), where
      an arithmetic, comparison or logical operation counts 1 when one of its
      operands has the type class (float, int, ...) of the compute's output, so
      index arithmetic of a float compute is not counted; a reduction counts
      (reduction iterations) x (combiner + source); ``Select`` and
      ``if_then_else`` count their condition plus the larger branch; casts,
      calls and lets count their operands only; loads and constants count 0.
    * Anything else (an op that is neither a placeholder nor a compute, a
      non-constant extent, an expression node without a rule) makes the whole
      estimate fail: the result is -1, as in 0.8.

    Beyond 0.8: shifts and bitwise operations count like the other binary
    operations (0.8 failed on them; TOPI's vectorising ``exp`` uses them, so a
    float softmax counts only its float arithmetic), and a reduction extent
    that depends on the output's axes counts when it simplifies to a constant
    (0.8 failed on global pooling written as adaptive pooling).
    """

    _BINARY = (
        tirx.Add, tirx.Sub, tirx.Mul, tirx.Div, tirx.Mod, tirx.FloorDiv, tirx.FloorMod,
        tirx.Max, tirx.Min, tirx.EQ, tirx.NE, tirx.LT, tirx.LE, tirx.GT, tirx.GE,
        tirx.And, tirx.Or,
        # not in 0.8's list (it failed on them); TOPI's vectorising exp uses shifts
        tirx.LShift, tirx.RShift, tirx.BitwiseAnd, tirx.BitwiseOr, tirx.BitwiseXor,
    )

    def __init__(self):
        self.fail = False
        self.cur_type_code = None
        self.analyzer = None

    def estimate(self, ops):
        """Total FLOPs of ``ops``, or -1.0 when some part cannot be estimated."""
        total = 0.0
        for op in ops:
            if isinstance(op, te.PlaceholderOp):
                continue
            if not isinstance(op, te.ComputeOp):
                return -1.0
            attrs = op.attrs
            if attrs is not None and "FLOP" in attrs:
                total += float(int(attrs["FLOP"]))
                continue
            num_element = 1
            for iv in op.axis:
                extent = _const_extent(iv.dom.extent)
                if extent is None:
                    return -1.0
                num_element *= extent
            self.cur_type_code = tvm.DataType(str(op.output(0).dtype)).type_code
            # A reduction extent written in terms of the output's axes (adaptive
            # pooling) counts when it simplifies to a constant over their ranges.
            self.analyzer = Analyzer()
            for iv in op.axis:
                self.analyzer.bind(iv.var, iv.dom)
            per_element = sum(self.visit(body) for body in op.body)
            if self.fail:
                return -1.0
            total += num_element * per_element
        return total

    def visit(self, expr):  # pylint: disable=too-many-return-statements
        """Operations of one evaluation of ``expr``."""
        if isinstance(expr, (tirx.IntImm, tirx.FloatImm, tvm.ir.expr.StringImm)):
            return 0.0
        if isinstance(expr, (tvm.ir.expr.Var, tirx.Var)):
            return 0.0
        if isinstance(expr, self._BINARY):
            counted = self.cur_type_code in (_dtype_code(expr.a), _dtype_code(expr.b))
            return (1.0 if counted else 0.0) + self.visit(expr.a) + self.visit(expr.b)
        if isinstance(expr, (tirx.Not, tirx.BitwiseNot)):
            counted = _dtype_code(expr) == self.cur_type_code
            return (1.0 if counted else 0.0) + self.visit(expr.a)
        if isinstance(expr, tirx.Cast):
            return self.visit(expr.value)
        if isinstance(expr, tirx.Select):
            return self.visit(expr.condition) + max(
                self.visit(expr.true_value), self.visit(expr.false_value)
            )
        if isinstance(expr, tirx.Reduce):
            num_iter = 1
            for iv in expr.axis:
                extent = _const_extent(iv.dom.extent)
                if extent is None and self.analyzer is not None:
                    extent = _const_extent(self.analyzer.simplify(iv.dom.extent))
                if extent is None:
                    self.fail = True
                    return -1.0
                num_iter *= extent
            body = 0.0
            for result, source in zip(expr.combiner.result, expr.source):
                body += self.visit(result) + self.visit(source)
            return num_iter * body
        if isinstance(expr, tirx.Let):
            return self.visit(expr.value) + self.visit(expr.body)
        if isinstance(expr, tvm.ir.expr.Call):
            op_name = getattr(expr.op, "name", None)
            if op_name == "te.tensor_load":
                return 0.0  # a load; its indices are not arithmetic of the compute
            if op_name == "prim.if_then_else":
                cond, then_value, else_value = expr.args
                return self.visit(cond) + max(self.visit(then_value), self.visit(else_value))
            return sum(self.visit(arg) for arg in expr.args)
        self.fail = True
        return -1.0


def check_compute_validity(tensors):
    """Raise :class:`InvalidComputeError` for a compute the auto-scheduler cannot handle.

    As TVM 0.8: every op must be a placeholder or a compute, and the iterators
    of a compute (its spatial and reduction axes) must have distinct names,
    since states and records name loops by their iterator's name.
    """
    seen, stack = set(), [t.op for t in tensors]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if isinstance(op, te.PlaceholderOp):
            continue
        if not isinstance(op, te.ComputeOp):
            raise InvalidComputeError(
                "ComputeDAG: unsupported operation '%s' (%s): only placeholders and "
                "te.compute operations can form a compute DAG" % (op.name, type(op).__name__)
            )
        names = set()
        for iv in list(op.axis) + list(op.reduce_axis):
            name = str(iv.var.name)
            if name in names:
                raise InvalidComputeError(
                    "ComputeDAG: duplicated iterator name '%s' in the compute '%s'. "
                    "Please use different names for different iterators." % (name, op.name)
                )
            names.add(name)
        stack.extend(t.op for t in op.input_tensors)


class ComputeDAG:
    """The computation of a workload: its input and output TE tensors.

    Parameters
    ----------
    compute_or_sche : Union[List[te.Tensor], str]
        The input tensors then the output tensors, or a registered workload key.

    Notes
    -----
    Upstream also accepted a TE schedule here; the base has no TE schedules.
    """

    def __init__(self, compute_or_sche):
        if isinstance(compute_or_sche, str):
            tensors = workload_key_to_tensors(compute_or_sche)
        elif isinstance(compute_or_sche, (list, tuple)) or hasattr(compute_or_sche, "__len__"):
            tensors = list(compute_or_sche)
        else:
            raise TypeError(
                "ComputeDAG expects a list of te.Tensor or a workload key, got %s"
                % type(compute_or_sche).__name__
            )
        if not tensors:
            raise ValueError("ComputeDAG needs at least one tensor")
        for tensor in tensors:
            if not isinstance(tensor, te.Tensor):
                raise TypeError("ComputeDAG: expected te.Tensor, got %s" % type(tensor).__name__)
        check_compute_validity(tensors)
        self._init(tensors)

    def _init(self, tensors):
        self.tensors = tensors
        self._prim_func = None
        self._text = None
        self._flop_ct = None

    # -- the TensorIR view -------------------------------------------------
    @property
    def prim_func(self):
        """``te.create_prim_func(tensors)`` (global symbol ``main``)."""
        if self._prim_func is None:
            self._prim_func = te.create_prim_func(self.tensors).with_attr("global_symbol", "main")
        return self._prim_func

    @property
    def mod(self):
        """The IRModule ``{"main": prim_func}`` that states are applied to."""
        return tvm.IRModule({"main": self.prim_func})

    @property
    def ops(self):
        """The operations of the DAG in topological order."""
        seen, order = set(), []

        def visit(op):
            if op in seen:
                return
            seen.add(op)
            for inp in getattr(op, "input_tensors", []):
                visit(inp.op)
            order.append(op)

        for tensor in self.tensors:
            visit(tensor.op)
        return order

    @property
    def flop_ct(self):
        """Floating point operations of one execution, -1 if they cannot be estimated.

        Counted on the TE computes with TVM 0.8's rules (see ``_FlopEstimator``);
        a compute with a ``FLOP`` attribute (``te.compute(..., attrs={"FLOP": n})``)
        counts ``n``.
        """
        if self._flop_ct is None:
            self._flop_ct = float(_FlopEstimator().estimate(self.ops))
        return self._flop_ct

    # -- canonical text, hash, key -------------------------------------------
    def _canonical_text(self):
        if self._text is None:
            func = self.prim_func
            lines = []
            for tensor in self.tensors:
                if isinstance(tensor.op, te.PlaceholderOp):
                    lines.append("%s = PLACEHOLDER %s %s" % (
                        tensor.op.name, list(get_const_tuple(tensor.shape)), tensor.dtype))
            sch = Schedule(func)
            for block_rv in sch.get_child_blocks(sch.get_sblock("root")):
                block = sch.get(block_rv)
                if block.init is not None:
                    lines.append("%s init: %s" % (block.name_hint, _block_text(block.init)))
                lines.append("%s: %s" % (block.name_hint, _block_text(block.body)))
            free = func.attrs.get("layout_free_buffers", None) if func.attrs else None
            if free:
                lines.append("layout_free_buffers: %s" % [int(x) for x in free])
            self._text = "\n".join(lines)
        return self._text

    def __str__(self):
        return self._canonical_text()

    def hash_key(self):
        """MD5 of the canonical text of the DAG (deterministic across processes), or what
        the global function ``auto_scheduler.compute_dag.hash_func`` returns for that
        text when one is registered (0.8's hook for a custom hash)."""
        custom = tvm.get_global_func("auto_scheduler.compute_dag.hash_func", allow_missing=True)
        if custom is not None:
            value = custom(self._canonical_text())
            return int(value) if isinstance(value, int) else str(value)
        return hashlib.md5(self._canonical_text().encode("utf-8")).hexdigest()

    def workload_key(self):
        """The workload key: ``'["<hash>", [shape of tensor 0], ...]'`` as upstream."""
        shapes = [list(get_const_tuple(t.shape)) for t in self.tensors]
        return json.dumps([self.hash_key()] + shapes)

    # -- states --------------------------------------------------------------
    def get_init_state(self):
        """The initial :class:`~tvm.auto_scheduler.loop_state.State` (no schedule steps).

        0.8's loop-state API (stages, split, compute_at, ...) works on it; its
        ``trace`` is the TensorIR trace that records store.
        """
        return State(self)

    @property
    def init_state(self):
        """The initial state (see :meth:`get_init_state`)."""
        return self.get_init_state()

    def apply_steps_from_state(self, state, layout_rewrite=LayoutRewriteOption.NO_REWRITE):
        """Replay a state on the DAG.

        Parameters
        ----------
        state : Union[State, Trace, Schedule, str]
            The state (a loop state, a schedule trace or its JSON text).
        layout_rewrite : int
            A :class:`LayoutRewriteOption`. Unless ``NO_REWRITE``, a state
            without a weight-transform stage gets one (MetaSchedule's
            ``RewriteLayout``: the layout-free weights are read in the order
            of the loops). With ``REWRITE_FOR_PRE_TRANSFORMED`` the
            weight-transform blocks are then removed and the function reads
            each rewritten weight as a parameter in its new layout (see
            :meth:`layout_transforms`); ``args`` holds a placeholder of that
            shape. Otherwise the transform stage stays inside the function.

        Returns
        -------
        sch : tvm.s_tir.Schedule
            The schedule of ``te.create_prim_func(tensors)`` (function ``main``).
        args : List[te.Tensor]
            The input and output tensors, in order.
        """
        trace = state_to_trace(state)
        sch = Schedule(self.mod)
        if isinstance(trace, str):
            Trace.apply_json_to_schedule(tvm.ir.load_json(trace), sch)
        else:
            trace.apply_to_schedule(sch, remove_postproc=False)
        if layout_rewrite != LayoutRewriteOption.NO_REWRITE and not self._has_preproc(sch.mod):
            # A state made by hand (0.8's loop-state API) has no rewrite stage
            # yet: 0.8 derived the new layout from the loops here, as does
            # MetaSchedule's RewriteLayout (the postproc the search applies).
            from tvm.s_tir.meta_schedule.postproc import RewriteLayout  # pylint: disable=import-outside-toplevel

            RewriteLayout().apply(sch)
        if layout_rewrite == LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED and self._has_preproc(sch.mod):
            from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock  # pylint: disable=import-outside-toplevel

            sch = Schedule(RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(sch.mod))
            return sch, self._args_of(sch.mod["main"])
        return sch, list(self.tensors)

    def _args_of(self, func):
        """The io tensors, with a placeholder of the new shape for each weight
        that the function takes pre-transformed (0.8 returned those too)."""
        args = []
        for tensor, param in zip(self.tensors, func.params):
            shape = get_const_tuple(param.ty.shape)  # a parameter's type is its buffer type
            if shape != get_const_tuple(tensor.shape) and isinstance(tensor.op, te.PlaceholderOp):
                tensor = te.placeholder(shape, dtype=tensor.dtype, name=tensor.op.name)
            args.append(tensor)
        return args

    @staticmethod
    def _has_preproc(mod):
        return bool(find_layout_rewrite_blocks(mod["main"]))

    def layout_transforms(self, state):
        """How the weights must be pre-transformed for ``REWRITE_FOR_PRE_TRANSFORMED``.

        Parameters
        ----------
        state : Union[Trace, Schedule, str]
            A state whose schedule rewrites the layout of layout-free weights.

        Returns
        -------
        transforms : Dict[int, LayoutTransform]
            For each rewritten input (index into ``self.tensors``): its index map,
            old and new shapes, a PrimFunc ``main(original, rewritten)`` and
            ``apply_numpy(weight)``. Empty when nothing is rewritten.
        """
        sch, _ = self.apply_steps_from_state(state)
        return extract_layout_transforms(sch.mod["main"], [t.op.name for t in self.tensors])

    def print_python_code_from_state(self, state):
        """The Python schedule code (``tvm.s_tir.Schedule`` calls) of a state."""
        sch, _ = self.apply_steps_from_state(state)
        return str(sch.trace)

    def infer_bound_from_state(self, state):
        """A copy of ``state`` with the extents of all iterators known.

        TensorIR schedules carry their loop bounds already, so this is a copy;
        a trace (or its JSON text, as read from a record) becomes a
        :class:`~tvm.auto_scheduler.loop_state.State` of this DAG.
        """
        if isinstance(state, State):
            return state.copy()
        trace = state_to_trace(state)
        return State(self, trace)

    # -- serialisation (worker processes) --------------------------------------
    def __getstate__(self):
        return {"tensors": tvm.ir.save_json(list(self.tensors))}

    def __setstate__(self, data):
        self._init(list(tvm.ir.load_json(data["tensors"])))

    def __repr__(self):
        return "ComputeDAG(%s)" % self.workload_key()
