"""The compile engine: lower fused Relay functions to scheduled TensorIR.

``CompileEngine.lower(source_func, target, use_topi_schedule)`` turns a
``"Primitive"`` Relay function into a :class:`CachedFunc`: the TE tensors of its
inputs and outputs and a scheduled ``PrimFunc``. :class:`ScheduleGetter` walks
the function body and asks each op's strategy (:mod:`tvm.relay.op.strategy`)
for a TOPI compute; the op with the highest fusion pattern is the *anchor*.

``use_topi_schedule`` decides who schedules the whole function:

* ``True``: the anchor implementation's TOPI schedule (under an AutoTVM
  context with its tuned config, else its fallback config);
* ``False``: the auto-scheduler, through its one hook
  ``tvm.auto_scheduler.relay_integration.auto_schedule_topi_compute``, which
  records a task while tracing or applies a tuned state; when it returns
  nothing (untuned function) the TOPI schedule is the fallback.

Results are cached on :class:`CCacheKey` (an alpha-equivalent structural hash of
the function plus the target), and each entry counts how often it was asked for
(``use_count``): the auto-scheduler's task weights are those counts.
"""
import threading

import tvm
from tvm import te
from tvm.topi.generic.input_transform import take_out_pre_transforms
from tvm.topi.generic.schedule_utils import all_ops

from .. import ty as _ty
from ..expr_functor import ExprFunctor
from ..function import Function
from ..op.op import Op, OpPattern
from ..op.strategy import select_implementation
from ..structural import structural_equal, structural_hash

_CURRENT = threading.local()


def get_current_ccache_key():
    """The :class:`CCacheKey` being lowered right now (None outside ``lower``)."""
    return getattr(_CURRENT, "key", None)


def _as_target(target):
    if target is None:
        target = tvm.target.Target.current(allow_none=True)
        if target is None:
            raise ValueError("no target given and none is active (use `with tvm.target.Target(...)`)")
    if not isinstance(target, tvm.target.Target):
        target = tvm.target.Target(target)
    return target


class CCacheKey:
    """Cache key of the compile engine: a primitive function and a target.

    Two keys are equal when their functions are structurally equal up to
    variable renaming and their targets print the same.
    """

    def __init__(self, source_func, target):
        if not isinstance(source_func, Function):
            raise TypeError(f"CCacheKey needs a relay Function, got {type(source_func).__name__}")
        self.source_func = source_func
        self.target = _as_target(target)
        self._target_str = str(self.target)
        self._hash = hash((structural_hash(source_func), self._target_str))

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return (
            isinstance(other, CCacheKey)
            and self._hash == other._hash
            and self._target_str == other._target_str
            and structural_equal(self.source_func, other.source_func)
        )

    def __repr__(self):
        return f"CCacheKey(target={self._target_str})"


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

    @property
    def funcs(self):
        """The kernel as a ``tvm.IRModule`` ``{func_name: prim_func}``."""
        return tvm.IRModule({self.func_name: self.prim_func})

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

    def __init__(self, target):
        super().__init__()
        self.target = target
        self.anchor = None  # (op, attrs, implementation)
        self.anchor_pattern = -1
        self.op_names = []

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
        impl, outs = select_implementation(call.op, call.attrs, inputs, out_type, self.target)
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

    def _key(self, source_func, target):
        if isinstance(source_func, CCacheKey):
            return source_func
        return CCacheKey(source_func, target)

    def lower(self, source_func, target=None, use_topi_schedule=True, mod_name="default"):
        """Lower a primitive function to a :class:`CachedFunc` (cached).

        Parameters
        ----------
        source_func : Function or CCacheKey
            A type-checked function with the ``"Primitive"`` attribute.
        target : tvm.target.Target or str
        use_topi_schedule : bool
            True: schedule with the anchor op's TOPI schedule. False: ask the
            auto-scheduler first (trace or apply), TOPI schedule as fallback.
        mod_name : str
            Prefix of kernel names, as upstream.
        """
        key = self._key(source_func, target)
        value = self._cache.get(key) if self.use_cache else None
        if value is None:
            value = CCacheValue(self._lower(key, use_topi_schedule, mod_name))
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

    def _lower(self, key, use_topi_schedule, mod_name):
        func = key.source_func
        target = key.target
        previous = get_current_ccache_key()
        _CURRENT.key = key
        try:
            with target:
                getter = ScheduleGetter(target)
                inputs, outputs = getter.create(func)
                # inputs the compute reads transformed (Winograd kernels) become
                # parameters in their transformed form
                inputs, pre_transforms = take_out_pre_transforms(inputs, outputs)
                fused_name = "_".join(n.replace(".", "_") for n in getter.op_names) or "identity"
                prefix = f"tvmgen_{mod_name}_" if mod_name and mod_name != "default" else ""
                func_name = self._unique_name(f"{prefix}fused_{fused_name}"[:80])
                prim_func, scheduled_by, transforms = None, "topi", {}
                if not use_topi_schedule:
                    result = self._auto_schedule(getter, inputs, outputs, func, func_name)
                    if result is not None:
                        prim_func, transforms = result
                        scheduled_by = "auto_scheduler"
                trace = None
                if prim_func is None:
                    sch = self._topi_schedule(getter, inputs, outputs, target)
                    trace = sch.trace
                    # weights the TOPI schedule reads blocked are blocked at build time
                    prim_func, transforms = _take_out_layout_rewrites(sch.mod)
                transforms = _merge_transforms(pre_transforms, transforms, func_name)
        finally:
            _CURRENT.key = previous
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
        return cached

    @staticmethod
    def _topi_schedule(getter, inputs, outputs, target):
        prim_func = te.create_prim_func(inputs + outputs)
        sch = tvm.s_tir.Schedule(tvm.IRModule({"main": prim_func}))
        if getter.anchor is not None:
            _, attrs, impl = getter.anchor
            sch = impl.schedule(attrs, sch, outputs, target)
        return sch

    @staticmethod
    def _auto_schedule(getter, inputs, outputs, func, func_name):
        """The auto-scheduler hook: ``(PrimFunc, input_transforms)``, or None to fall back."""
        from tvm.auto_scheduler import relay_integration  # pylint: disable=import-outside-toplevel

        result = relay_integration.auto_schedule_topi_compute(
            outputs, has_reduction(outputs), inputs=inputs, is_dynamic=_is_dynamic(func),
            func_name=func_name,
        )
        if result is None:
            return None
        sch, transforms = result
        return sch.mod["main"], transforms


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


def _take_out_layout_rewrites(mod):
    # the auto-scheduler package is imported lazily: it imports relay
    from tvm.auto_scheduler.layout_rewrite import take_out_layout_rewrites  # pylint: disable=import-outside-toplevel

    return take_out_layout_rewrites(mod)


def get():
    """The global compile engine (upstream ``relay.backend.compile_engine.get()``)."""
    return CompileEngine.global_engine()
