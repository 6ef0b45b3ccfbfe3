"""The compile engine: lower fused Relay functions to scheduled TensorIR.

``CompileEngine.lower(source_func, target, use_topi_schedule)`` turns a
``"Primitive"`` Relay function into a :class:`CachedFunc`: the TE tensors of its
inputs and outputs and a scheduled ``PrimFunc``. :class:`ScheduleGetter` walks
the function body and asks each op's strategy (:mod:`tvm.relay.op.strategy`)
for a TOPI compute; the op with the highest fusion pattern is the *anchor*.

``use_topi_schedule`` (upstream's name) carries the lowering mode
(:class:`~.lowering.LoweringMode`; upstream's bool is resolved once at this
entry). It decides who schedules the whole function:

* TOPI: the anchor implementation's TOPI schedule (configured by AutoTVM
  when AutoTVM's hook picks a tuned config, else the fallback config);
* TRACE / APPLY auto-scheduler: the auto-scheduler's hook
  (:mod:`.lowering`), called with the fused compute and the mode, records a
  task or returns a tuned schedule; when it returns nothing (untuned
  function) the TOPI schedule is the fallback.

The mode is part of :class:`CCacheKey` (with an alpha-equivalent structural
hash of the function and the target), so one engine serves every mode. Each
entry counts how often it was asked for (``use_count``): the auto-scheduler's
task weights are those counts.
"""
import logging

import tvm
from tvm import te
from tvm.topi.generic.input_transform import take_out_layout_rewrites, take_out_pre_transforms
from tvm.topi.generic.schedule_utils import all_ops

from .. import ty as _ty
from ..expr_functor import ExprFunctor
from ..function import Function
from ..op.op import Op, OpPattern
from ..op.strategy import select_implementation
from ..structural import structural_equal, structural_hash
from .lowering import FusedCompute, LoweringKind, LoweringMode, get_hook

logger = logging.getLogger("relay")


def _as_target(target):
    if target is None:
        target = tvm.target.Target.current(allow_none=True)
        if target is None:
            raise ValueError("no target given and none is active (use `with tvm.target.Target(...)`)")
    if not isinstance(target, tvm.target.Target):
        target = tvm.target.Target(target)
    return target


class CCacheKey:
    """Cache key of the compile engine: a primitive function, a target and a lowering mode.

    Two keys are equal when their functions are structurally equal up to
    variable renaming, their targets print the same and their modes are equal
    (same kind, same tuning context).

    Parameters
    ----------
    source_func : Function
    target : tvm.target.Target or str
    mode : LoweringMode or bool, optional
        Upstream's ``use_topi_schedule`` bool is accepted (True by default).
    """

    def __init__(self, source_func, target, mode=True):
        if not isinstance(source_func, Function):
            raise TypeError(f"CCacheKey needs a relay Function, got {type(source_func).__name__}")
        self.source_func = source_func
        self.target = _as_target(target)
        self.mode = LoweringMode.resolve(mode)
        self._target_str = str(self.target)
        self._hash = hash((structural_hash(source_func), self._target_str, self.mode))

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return (
            isinstance(other, CCacheKey)
            and self._hash == other._hash
            and self._target_str == other._target_str
            and self.mode == other.mode
            and structural_equal(self.source_func, other.source_func)
        )

    def __repr__(self):
        return f"CCacheKey(target={self._target_str}, {self.mode})"


class CachedFunc:
    """A lowered primitive function.

    Attributes
    ----------
    target : tvm.target.Target
    func_name : str
        The symbol of the kernel in the compiled library.
    inputs, outputs : list of te.Tensor
        The kernel's arguments, inputs first (flattened in parameter order).
    prim_func : tvm.tirx.PrimFunc
        The scheduled TensorIR function (``global_symbol`` = ``func_name``).
    anchor_op, anchor_implementation : str
        The op that chose the schedule and its implementation name.
    scheduled_by : str
        ``"topi"`` or ``"auto_scheduler"``.
    uses_fallback_config : bool
        The anchor implementation is an AutoTVM template scheduled with its
        fallback config (no tuning record): ``relay.build`` counts these.
    has_complex_op : bool
        Whether the function contains an op with a reduction or other complex
        pattern (the auto-scheduler's default task filter).
    input_transforms : dict of int to InputTransform
        Inputs the kernel reads transformed (``topi.generic.input_transform``:
        a weight blocked by the schedule, a Winograd kernel transform declared
        by the compute): input index -> the transform (``prim_func``
        ``main(original, transformed)``, ``new_shape``, ``dtype``, ``apply``).
        ``inputs`` hold the transformed placeholders. The graph codegen
        transforms constant weights once at build time.
    """

    def __init__(self, target, func_name, inputs, outputs, prim_func, anchor_op,
                 anchor_implementation, scheduled_by, has_complex_op, input_transforms=None):
        self.target = target
        self.func_name = func_name
        self.inputs = inputs
        self.outputs = outputs
        self.prim_func = prim_func
        self.anchor_op = anchor_op
        self.anchor_implementation = anchor_implementation
        self.scheduled_by = scheduled_by
        self.has_complex_op = has_complex_op
        self.input_transforms = dict(input_transforms or {})
        #: The schedule trace of a TOPI-scheduled kernel (None otherwise): over
        #: ``te.create_prim_func(inputs + outputs)``, so it is also a state of
        #: the auto-scheduler's DAG of the same tensors (a tuning baseline).
        self.schedule_trace = None
        self.uses_fallback_config = False

    @property
    def funcs(self):
        """The kernel as a ``tvm.IRModule`` ``{func_name: prim_func}``."""
        return tvm.IRModule({self.func_name: self.prim_func})

    def same_as(self, other):
        """True if ``other`` is this very cached function (0.8's ``same_as``:
        ``lower`` of an equal function returns the cached object)."""
        return self is other

    def __repr__(self):
        return (
            f"CachedFunc({self.func_name}, anchor={self.anchor_op}, "
            f"impl={self.anchor_implementation}, scheduled_by={self.scheduled_by})"
        )


class CCacheValue:
    """An entry of the engine's cache: the lowered function and its use count."""

    def __init__(self, cached_func):
        self.cached_func = cached_func
        self.use_count = 0
        self.packed_func = None


def _flatten(value):
    if isinstance(value, te.Tensor):
        return [value]
    out = []
    for item in value:
        out.extend(_flatten(item))
    return out


def _placeholders(ty, name):
    if isinstance(ty, _ty.TensorType):
        shape = [
            tvm.tirx.Var(f"{name}_dim{i}", "int64") if isinstance(d, _ty.Any) else d
            for i, d in enumerate(ty.shape)
        ]
        return te.placeholder(shape, ty.dtype, name=name)
    if isinstance(ty, _ty.TupleType):
        return [_placeholders(field, f"{name}_{i}") for i, field in enumerate(ty.fields)]
    raise TypeError(f"primitive function parameter {name} has unsupported type {ty}")


class ScheduleGetter(ExprFunctor):
    """Build the TE compute of a primitive function and find its anchor op."""

    def __init__(self, target, mode):
        super().__init__()
        self.target = target
        self.mode = mode
        self.anchor = None  # (op, attrs, implementation)
        self.anchor_pattern = -1
        self.op_names = []
        self.chosen_by_cost = []  # names of selected implementations that have an alternative
        self.current_op = None  # the op being computed, for error messages

    def create(self, func):
        """Return ``(inputs, outputs)`` TE tensors of ``func``."""
        inputs = []
        for param in func.params:
            ty = param.checked_type
            tensors = _placeholders(ty, param.name_hint or "p")
            self.memo_map[id(param)] = (param, tensors)
            inputs.extend(_flatten(tensors))
        result = self.visit(func.body)
        outputs = _flatten(result)
        # A kernel must compute its outputs: an output that is an input (an
        # identity function) is copied.
        input_ops = {t.op for t in inputs}
        outputs = [
            te.compute(t.shape, lambda *i, t=t: t(*i), name="copy") if t.op in input_ops else t
            for t in outputs
        ]
        return inputs, outputs

    def visit_var(self, var):
        raise ValueError(f"free variable {var.name_hint} in a primitive function")

    def visit_constant(self, const):
        array = const.numpy()
        if array.ndim != 0:
            raise ValueError(
                f"primitive function holds a non-scalar constant of shape {array.shape}; "
                "FuseOps passes such constants as parameters"
            )
        value = tvm.tirx.const(array.item(), str(array.dtype))
        return te.compute((), lambda: value, name="compile_engine_const", tag="broadcast")

    def visit_call(self, call):
        if not isinstance(call.op, Op):
            raise ValueError(
                "a primitive function may only call operators; found a call of "
                f"{type(call.op).__name__}"
            )
        inputs = []
        for arg in call.args:
            inputs.extend(_flatten(self.visit(arg)))
        out_type = call.checked_type
        self.current_op = call.op.name
        impl, outs = select_implementation(call.op, call.attrs, inputs, out_type, self.target, self.mode)
        if impl.chosen_by_cost:
            self.chosen_by_cost.append(impl.name)
        pattern = call.op.get_attr("TOpPattern")
        pattern = OpPattern.OPAQUE if pattern is None else pattern
        if pattern >= self.anchor_pattern:
            self.anchor_pattern = pattern
            self.anchor = (call.op, call.attrs, impl)
        self.op_names.append(call.op.name)
        if isinstance(out_type, _ty.TupleType):
            return list(outs)
        if len(outs) != 1:
            raise ValueError(f"{call.op.name} returned {len(outs)} tensors for a tensor type")
        return outs[0]

    def visit_tuple(self, tup):
        return [self.visit(field) for field in tup.fields]

    def visit_tuple_getitem(self, op):
        return self.visit(op.tuple_value)[op.index]

    def visit_let(self, let):
        self.memo_map[id(let.var)] = (let.var, self.visit(let.value))
        return self.visit(let.body)

    def _unsupported(self, node):
        raise ValueError(f"{type(node).__name__} is not allowed inside a primitive function")

    visit_function = visit_if = visit_global_var = visit_op = _unsupported


def has_reduction(outputs):
    """Whether the TE compute of ``outputs`` contains a reduction.

    This is the auto-scheduler's notion of a "complex" function (upstream's
    test for its default task filter); it is read from the compute rather
    than from fusion patterns, so e.g. ``shape_of`` (an opaque op without a
    reduction) is simple.
    """
    for op in all_ops(outputs):
        if isinstance(op, te.ComputeOp):
            if any(isinstance(expr, tvm.tirx.Reduce) for expr in op.body):
                return True
        elif not isinstance(op, te.PlaceholderOp):
            return True  # extern/scan ops count as complex, as upstream
    return False


def _is_dynamic(func):
    return any(p.checked_type.is_dynamic() for p in func.params) or func.checked_type.ret_type.is_dynamic()


class CompileEngine:
    """Lower primitive functions, with a cache keyed on :class:`CCacheKey`.

    Parameters
    ----------
    use_cache : bool
        With False every ``lower`` builds afresh (and ``use_count`` stays 1 per
        entry); ``disable_cache()`` / ``enable_cache()`` switch later.
    """

    _global = None

    def __init__(self, use_cache=True):
        self._cache = {}
        self._names = {}
        self.use_cache = use_cache

    @classmethod
    def global_engine(cls):
        """The process-wide engine (``relay.backend.compile_engine.get()``)."""
        if cls._global is None:
            cls._global = CompileEngine()
        return cls._global

    def enable_cache(self):
        self.use_cache = True

    def disable_cache(self):
        self.use_cache = False

    @staticmethod
    def _key(source_func, target, use_topi_schedule=True):
        if isinstance(source_func, CCacheKey):
            return source_func
        return CCacheKey(source_func, target, use_topi_schedule)

    def lower(self, source_func, target=None, use_topi_schedule=True, mod_name="default"):
        """Lower a primitive function to a :class:`CachedFunc` (cached).

        Parameters
        ----------
        source_func : Function or CCacheKey
            A type-checked function with the ``"Primitive"`` attribute (a key
            carries its own target and mode).
        target : tvm.target.Target or str
        use_topi_schedule : LoweringMode or bool
            The lowering mode (:mod:`.lowering`). Upstream's bool is accepted:
            True schedules with the anchor op's TOPI schedule; False asks the
            auto-scheduler first (trace or apply), TOPI schedule as fallback.
        mod_name : str
            Prefix of kernel names, as upstream.
        """
        key = self._key(source_func, target, use_topi_schedule)
        value = self._cache.get(key) if self.use_cache else None
        if value is None:
            value = CCacheValue(self._lower(key, mod_name))
            if self.use_cache:
                self._cache[key] = value
        value.use_count += 1
        return value.cached_func

    def jit(self, source_func, target=None):
        """Lower and compile one primitive function.

        Returns a function of the primitive function's arguments (inputs then
        outputs, runtime tensors); inputs the kernel reads in another layout
        (``CachedFunc.input_transforms``) are transformed at every call.
        """
        key = self._key(source_func, target)
        cached = self.lower(key)
        value = self._cache.get(key) if self.use_cache else None
        if value is not None and value.packed_func is not None:
            return value.packed_func
        packed_func = tvm.compile(cached.funcs, target=key.target).mod[cached.func_name]
        if cached.input_transforms:
            packed_func = _with_input_transforms(packed_func, cached.input_transforms)
        if value is not None:
            value.packed_func = packed_func
        return packed_func

    def items(self):
        """``[(CCacheKey, CCacheValue)]`` of the cache."""
        return list(self._cache.items())

    def clear(self):
        """Empty the cache (and forget kernel names)."""
        self._cache.clear()
        self._names.clear()

    def _unique_name(self, name):
        count = self._names.get(name, 0)
        self._names[name] = count + 1
        return name if count == 0 else f"{name}_{count}"

    def _lower(self, key, mod_name):
        func, target, mode = key.source_func, key.target, key.mode
        variant = _Variant(ScheduleGetter(target, mode))
        func_name = None
        try:
            with target:
                variant.create(func)
                fused_name = "_".join(n.replace(".", "_") for n in variant.getter.op_names) or "identity"
                prefix = f"tvmgen_{mod_name}_" if mod_name and mod_name != "default" else ""
                func_name = self._unique_name(f"{prefix}fused_{fused_name}"[:80])
                result = None
                if mode.uses_auto_scheduler:
                    variant, result = _auto_schedule(func, key, func_name, variant)
                trace = None
                if result is not None:
                    sch, transforms = result
                    prim_func, scheduled_by = sch.mod["main"], "auto_scheduler"
                else:
                    sch = variant.topi_schedule(target)
                    trace, scheduled_by = sch.trace, "topi"
                    # weights the TOPI schedule reads blocked are blocked at build time
                    prim_func, transforms = take_out_layout_rewrites(sch.mod)
                transforms = _merge_transforms(variant.pre_transforms, transforms, func_name)
        except Exception as err:
            raise _lowering_error(err, func, func_name, variant.getter) from err
        getter, inputs, outputs = variant.getter, variant.inputs, variant.outputs
        anchor_op, _, impl = getter.anchor if getter.anchor else (None, None, None)
        cached = CachedFunc(
            target,
            func_name,
            inputs,
            outputs,
            prim_func.with_attr("global_symbol", func_name),
            anchor_op.name if anchor_op is not None else None,
            impl.name if impl is not None else None,
            scheduled_by,
            has_reduction(outputs),
            transforms,
        )
        cached.schedule_trace = trace
        cached.uses_fallback_config = (
            scheduled_by == "topi" and impl is not None and impl.template_args is not None and not impl.tuned
        )
        return cached


class _Variant:
    """One lowering of a Relay function: its TE compute and, made once, its TOPI schedule."""

    def __init__(self, getter):
        self.getter = getter
        self.inputs = self.outputs = self.pre_transforms = None
        self._topi = None

    def create(self, func):
        self.inputs, self.outputs = self.getter.create(func)
        # inputs the compute reads transformed (Winograd kernels) become
        # parameters in their transformed form
        self.inputs, self.pre_transforms = take_out_pre_transforms(self.inputs, self.outputs)
        self.getter.current_op = None
        return self

    def topi_schedule(self, target):
        if self._topi is None:
            getter = self.getter
            prim_func = te.create_prim_func(self.inputs + self.outputs)
            sch = tvm.s_tir.Schedule(tvm.IRModule({"main": prim_func}))
            if getter.anchor is not None:
                getter.current_op = getter.anchor[0].name
                _, attrs, impl = getter.anchor
                sch = impl.schedule(attrs, sch, self.outputs, target)
                getter.current_op = None
            self._topi = sch
        return self._topi

    def compute(self, func, key, func_name, with_topi_trace):
        """The :class:`FusedCompute` the auto-scheduler hook receives."""
        topi_trace = self.topi_schedule(key.target).trace if with_topi_trace else None
        return FusedCompute(func_name, key, self.inputs, self.outputs, has_reduction(self.outputs),
                            _is_dynamic(func), key.target, topi_trace)


def _auto_schedule(func, key, func_name, variant):
    """Trace or apply the auto-scheduler on a function; ``(variant used, hook result or None)``.

    When the function selected an implementation chosen by cost (Winograd),
    it is lowered a second time without it. Tracing records both variants as
    tasks (each with its TOPI schedule as baseline); applying uses the
    variant whose best record is faster, the alternative when the chosen one
    has none.
    """
    mode = key.mode
    hook = _auto_scheduler_hook(mode)
    variants = [variant]
    if variant.getter.chosen_by_cost:
        other = ScheduleGetter(key.target, mode.without(variant.getter.chosen_by_cost))
        variants.append(_Variant(other).create(func))
    tracing = mode.kind is LoweringKind.TRACE_AUTO_SCHEDULER
    computes = [v.compute(func, key, func_name, tracing) for v in variants]
    if tracing:
        for compute in computes:
            hook.schedule(compute, mode)
        return variants[0], None
    chosen = 0
    if len(variants) > 1:
        costs = [hook.best_cost(compute, mode) for compute in computes]
        chosen = 0 if costs[0] is not None and (costs[1] is None or costs[0] < costs[1]) else 1
        logger.debug("%s: %s (best recorded costs %s)", func_name,
                     "uses " + ", ".join(variant.getter.chosen_by_cost) if chosen == 0 else
                     "does not use " + ", ".join(variant.getter.chosen_by_cost), costs)
    return variants[chosen], hook.schedule(computes[chosen], mode)


def _auto_scheduler_hook(mode):
    hook = get_hook("auto_scheduler")
    if hook is None:
        raise ValueError(f"{mode} needs the auto-scheduler: import tvm.auto_scheduler")
    return hook


def _short_text(func, limit=400):
    try:
        text = str(func)
    except Exception:  # pylint: disable=broad-except
        return "<function that cannot be printed>"
    return text if len(text) <= limit else text[:limit] + " ..."


class LoweringError(RuntimeError):
    """Lowering a fused function failed (the message names the function and the op)."""


def _lowering_error(err, func, func_name, getter):
    """``err`` re-raised with the fused function's name, its op and a short text of it.

    The original exception type is kept when it can be built from a message
    (ValueError, TypeError, tvm.error.OpNotImplemented, ...), so callers that
    catch it keep working.
    """
    name = func_name or "fused function (" + "_".join(getter.op_names or ["?"]) + ")"
    where = f" in op {getter.current_op}" if getter.current_op else ""
    message = f"lowering {name}{where} failed: {err}\n  the function: {_short_text(func)}"
    try:
        return type(err)(message)
    except Exception:  # pylint: disable=broad-except
        return LoweringError(message)


def _with_input_transforms(kernel, transforms):
    def call(*args):
        args = list(args)
        for index, transform in transforms.items():
            args[index] = transform.apply(args[index])
        return kernel(*args)

    return call


def _merge_transforms(pre_transforms, layout_transforms, func_name):
    clash = set(pre_transforms) & set(layout_transforms)
    if clash:
        raise ValueError(f"{func_name}: parameters {sorted(clash)} are both pre-transformed by the "
                         "compute and layout-rewritten by the schedule")
    return {**pre_transforms, **layout_transforms}


def get():
    """The global compile engine (upstream ``relay.backend.compile_engine.get()``)."""
    return CompileEngine.global_engine()
