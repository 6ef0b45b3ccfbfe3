"""The lowering mode, and the one hook point where the tuners plug into the compile engine.

**The mode.** ``use_topi_schedule`` (the RFC's flag) decides who schedules a
fused function. Inside the compiler it travels as a :class:`LoweringMode`, a
value decided once by the entry point and passed down as an argument::

    relay.build              LoweringMode.for_build()   TOPI, or APPLY_AUTO_SCHEDULER
                                                        under a tuned ApplyHistoryBest
    auto_scheduler.extract_tasks   LoweringMode.trace(recorder)
    autotvm.task.extract_from_program   LoweringMode.topi(task_recorder)
     └ BuildModule._build / lower_program(..., mode)
        └ GraphRuntimeCodegen(..., use_topi_schedule=mode)
           └ CompileEngine.lower(func, target, use_topi_schedule=mode)
              ├ CCacheKey(func, target, mode)        the mode is part of the cache key
              ├ select_implementation(..., mode)      strategies hear it (Winograd
              │                                       is offered to the auto-scheduler only)
              └ the auto-scheduler hook, called with the fused compute and the mode

The public parameters keep upstream's name ``use_topi_schedule`` and also
accept upstream's bool; :meth:`LoweringMode.resolve` turns a bool into a mode
at that entry (True: TOPI; False: tracing if an auto-scheduler task recorder is
active, else applying the auto-scheduler's current dispatch context).

**The hook point.** Relay imports neither tuner. Each tuner's Relay bridge
registers one object here when it is imported
(``tvm.autotvm.task.relay_integration``, ``tvm.auto_scheduler.relay_integration``):

``register_hook("autotvm", hook)``
    ``hook.active_context()``: the AutoTVM dispatch context a build should use
    (None when only the fallback context is active).
    ``hook.select_implementation(op, impls, attrs, inputs, out_type, target, mode)``:
    in TOPI mode, the AutoTVM template of an implementation that declares one
    (``OpImplementation.template_args``), tuned when the context has a record;
    returns ``(implementation, outputs, tuned)`` or None.
``register_hook("auto_scheduler", hook)``
    ``hook.active_dispatch_context()``: the tuned dispatch context, or None.
    ``hook.active_recorder()``: the task recorder of a running extraction, or None.
    ``hook.current_dispatch_context()``: the innermost dispatch context, the
    fallback root included (what upstream's ``use_topi_schedule=False`` applies).
    ``hook.schedule(compute, mode)``: for a :class:`FusedCompute`, in the
    auto-scheduler modes, record the task (TRACE) or return the tuned
    ``(tvm.s_tir.Schedule, input_transforms)`` (APPLY); None means "use the
    TOPI schedule".

A plain ``relay.build`` with neither tuner imported finds no hook and uses the
TOPI schedules with their fallback configurations.
"""
import enum

__all__ = ["LoweringKind", "LoweringMode", "FusedCompute", "register_hook", "get_hook"]


class LoweringKind(enum.Enum):
    """Who schedules the fused functions."""

    TOPI = "topi"  #: the anchor op's TOPI schedule (AutoTVM config if any)
    TRACE_AUTO_SCHEDULER = "trace_auto_scheduler"  #: record auto-scheduler tasks
    APPLY_AUTO_SCHEDULER = "apply_auto_scheduler"  #: apply auto-scheduler records


class LoweringMode:
    """A lowering kind and the context it was decided with.

    Parameters
    ----------
    kind : LoweringKind
    source : object, optional
        What the kind works from: TOPI, the AutoTVM dispatch context or task
        recorder (None: fallback configurations); TRACE, the auto-scheduler's
        task recorder; APPLY, the auto-scheduler's dispatch context.

    excluded : frozenset of str, optional
        Names of op implementations not to select (see :meth:`without`).

    Two modes are equal when their kinds and exclusions are equal and their
    sources are the same object, so kernels lowered under one tuning context
    are never reused under another (the mode is part of the compile engine's
    cache key).
    """

    __slots__ = ("kind", "source", "excluded")

    def __init__(self, kind, source=None, excluded=frozenset()):
        if not isinstance(kind, LoweringKind):
            raise TypeError(f"kind must be a LoweringKind, got {type(kind).__name__}")
        self.kind = kind
        self.source = source
        self.excluded = frozenset(excluded)

    def without(self, implementation_names):
        """This mode, with the named op implementations never selected.

        The compile engine lowers a function a second time in such a mode to
        get the alternative of an implementation chosen by cost (Winograd
        against direct convolution; see ``OpImplementation.chosen_by_cost``).
        """
        return LoweringMode(self.kind, self.source, self.excluded | frozenset(implementation_names))

    @classmethod
    def topi(cls, source=None):
        """TOPI schedules, configured by ``source`` (an AutoTVM context) if given."""
        return cls(LoweringKind.TOPI, source)

    @classmethod
    def trace(cls, recorder):
        """Record auto-scheduler tasks into ``recorder``; TOPI schedules are made (not compiled)."""
        return cls(LoweringKind.TRACE_AUTO_SCHEDULER, recorder)

    @classmethod
    def apply(cls, context):
        """Apply the tuned states of ``context``; untuned functions get TOPI schedules."""
        return cls(LoweringKind.APPLY_AUTO_SCHEDULER, context)

    @property
    def use_topi_schedule(self):
        """Upstream's flag: True in TOPI mode."""
        return self.kind is LoweringKind.TOPI

    @property
    def uses_autotvm(self):
        """True in TOPI mode configured by an AutoTVM context (extraction or tuned records)."""
        return self.kind is LoweringKind.TOPI and self.source is not None

    @property
    def uses_auto_scheduler(self):
        """True when the auto-scheduler traces or applies (strategies offer its implementations)."""
        return self.kind is not LoweringKind.TOPI

    @classmethod
    def for_build(cls):
        """The mode of ``relay.build``: decided once, from the hooks' active contexts.

        APPLY_AUTO_SCHEDULER under a tuned auto-scheduler context (the RFC: the
        user adds no flag), else TOPI with the active AutoTVM context.
        """
        auto_scheduler = get_hook("auto_scheduler")
        context = auto_scheduler.active_dispatch_context() if auto_scheduler is not None else None
        if context is not None:
            return cls.apply(context)
        autotvm = get_hook("autotvm")
        return cls.topi(autotvm.active_context() if autotvm is not None else None)

    @classmethod
    def resolve(cls, use_topi_schedule):
        """A mode from a public ``use_topi_schedule`` argument (a mode or upstream's bool)."""
        if isinstance(use_topi_schedule, LoweringMode):
            return use_topi_schedule
        if not isinstance(use_topi_schedule, bool):
            raise TypeError(
                "use_topi_schedule must be a bool or a LoweringMode, got "
                f"{type(use_topi_schedule).__name__}"
            )
        if use_topi_schedule:
            autotvm = get_hook("autotvm")
            return cls.topi(autotvm.active_context() if autotvm is not None else None)
        auto_scheduler = get_hook("auto_scheduler")
        if auto_scheduler is None:
            raise ValueError(
                "use_topi_schedule=False lowers for the auto-scheduler: import tvm.auto_scheduler "
                "and trace (auto_scheduler.extract_tasks) or apply (auto_scheduler.ApplyHistoryBest)"
            )
        recorder = auto_scheduler.active_recorder()
        if recorder is not None:
            return cls.trace(recorder)
        return cls.apply(auto_scheduler.current_dispatch_context())

    def __eq__(self, other):
        return (isinstance(other, LoweringMode) and self.kind is other.kind and self.source is other.source
                and self.excluded == other.excluded)

    def __hash__(self):
        return hash((self.kind, id(self.source), self.excluded))

    def __repr__(self):
        source = "" if self.source is None else f", {type(self.source).__name__}"
        excluded = f", without {sorted(self.excluded)}" if self.excluded else ""
        return f"LoweringMode({self.kind.value}{source}{excluded})"


class FusedCompute:
    """What the auto-scheduler hook receives for one fused function.

    Attributes
    ----------
    func_name : str
        The kernel's name.
    ccache_key : CCacheKey
        The engine's cache key (its entry's ``use_count`` is the task weight).
    inputs, outputs : list of te.Tensor
        The kernel's arguments in order: inputs (pre-transformed ones replaced
        by the placeholder the compute reads), then outputs.
    has_complex_op : bool
        Whether the compute has a reduction (the default task filter).
    is_dynamic : bool
        Whether the Relay function has dynamic shapes.
    target : tvm.target.Target
    topi_trace : tvm.s_tir.Trace or None
        While tracing: the trace of the function's TOPI schedule (the task's
        baseline state when the DAG's tensors are the kernel's arguments).
    """

    __slots__ = ("func_name", "ccache_key", "inputs", "outputs", "has_complex_op", "is_dynamic", "target",
                 "topi_trace")

    def __init__(self, func_name, ccache_key, inputs, outputs, has_complex_op, is_dynamic, target,
                 topi_trace=None):
        self.func_name = func_name
        self.ccache_key = ccache_key
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.has_complex_op = has_complex_op
        self.is_dynamic = is_dynamic
        self.target = target
        self.topi_trace = topi_trace


_HOOK_NAMES = ("autotvm", "auto_scheduler")
_HOOKS = dict.fromkeys(_HOOK_NAMES)


def register_hook(name, hook):
    """Plug a tuner into the compile engine (``"autotvm"`` or ``"auto_scheduler"``).

    Registering again replaces the previous hook; ``None`` unplugs it.
    """
    if name not in _HOOKS:
        raise ValueError(f"unknown lowering hook {name!r}; one of {list(_HOOK_NAMES)}")
    _HOOKS[name] = hook


def get_hook(name):
    """The registered hook ``name``, or None."""
    if name not in _HOOKS:
        raise ValueError(f"unknown lowering hook {name!r}; one of {list(_HOOK_NAMES)}")
    return _HOOKS[name]
