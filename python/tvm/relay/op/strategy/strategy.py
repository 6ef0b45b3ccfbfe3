"""Op strategies: how an operator is computed and scheduled on a target.

An :class:`OpStrategy` lists :class:`OpImplementation` s, each a TOPI compute
paired with a schedule and a priority level (``plevel``). The compile engine
asks an op's strategy function (registered per target key with
:class:`TargetDispatch`) for the strategy, then :func:`select_implementation`
picks one: the highest ``plevel`` or, when AutoTVM is plugged into the
compile engine (``relay.backend.lowering``) and has a tuned config, the tuned
implementation.

Strategies hear the lowering mode: a strategy function may take a fifth
argument ``mode`` (a ``relay.backend.lowering.LoweringMode``) to offer
implementations meant for one mode only (e.g. Winograd for the
auto-scheduler); upstream's four-argument strategy functions still work.

Contracts
---------
``fcompute(attrs, inputs, out_type) -> [te.Tensor]``
    the op's TE compute (usually the op's registered ``FTVMCompute``).
``fschedule(attrs, sch, outs, target) -> sch``
    a TensorIR schedule program: ``sch`` is a ``tvm.s_tir.Schedule`` over
    ``te.create_prim_func(inputs + outs)`` of the WHOLE fused function, whose
    anchor is this op; ``outs`` are the fused function's output tensors.
``template_args(attrs, inputs, out_type) -> tuple`` (optional)
    declares the implementation as the AutoTVM template of the same name
    (``autotvm.register_topi_compute(name)``), called with these arguments
    when AutoTVM is plugged in; the plain ``fcompute``/``fschedule`` are the
    template under its fallback config.
"""
import functools
import inspect
import tvm


class OpImplementation:
    """A compute and a schedule for one op, with a name and a priority level.

    ``chosen_by_cost``: an alternative algorithm (Winograd) that the
    auto-scheduler uses only where it measures faster. Task extraction then
    records the function lowered both with it and without it, and a tuned
    build picks the variant whose best record (searched or the measured TOPI
    baseline) is faster; without records, the other implementation.
    """

    def __init__(self, fcompute, fschedule, name="default", plevel=10, template_args=None, chosen_by_cost=False):
        self.fcompute = fcompute
        self.fschedule = fschedule
        self.name = name
        self.plevel = plevel
        self.template_args = template_args
        self.chosen_by_cost = chosen_by_cost
        #: True when AutoTVM configured this implementation from a tuning record.
        self.tuned = False

    def compute(self, attrs, inputs, out_type):
        """The TE output tensors of the op."""
        outs = self.fcompute(attrs, inputs, out_type)
        if isinstance(outs, tvm.te.Tensor):
            outs = [outs]
        return list(outs)

    def schedule(self, attrs, sch, outs, target):
        """Apply the schedule to ``sch`` (in place) and return it."""
        result = self.fschedule(attrs, sch, outs, target)
        return sch if result is None else result

    def __repr__(self):
        return f"OpImplementation({self.name}, plevel={self.plevel})"


class OpStrategy:
    """The implementations of one op for one target and one call."""

    def __init__(self):
        self.implementations = []

    def add_implementation(self, compute, schedule, name="default", plevel=10, template_args=None,
                           chosen_by_cost=False):
        """Add an implementation (upstream signature; ``template_args``: see the module docstring;
        ``chosen_by_cost``: see :class:`OpImplementation`)."""
        self.implementations.append(OpImplementation(compute, schedule, name, plevel, template_args,
                                                     chosen_by_cost))


class TargetDispatch:
    """A function dispatched on the target's keys (upstream's ``generic_func``).

    ``f = TargetDispatch("conv2d_strategy", default)``; ``@f.register("cpu")``
    registers an override for targets whose ``keys`` include ``"cpu"``; the
    first key of the target (most specific first) with an override wins.
    """

    def __init__(self, name, default=None):
        self.name = name
        self.default = default
        self.overrides = {}

    def register(self, keys, override=True):
        """Decorator registering the function for one or more target keys."""
        keys = [keys] if isinstance(keys, str) else list(keys)

        def _register(func):
            for key in keys:
                if key in self.overrides and not override:
                    raise ValueError(f"{self.name} already has an implementation for key {key!r}")
                self.overrides[key] = func
            return func

        return _register

    def dispatch(self, target):
        """The function that applies to ``target`` (or the default)."""
        for key in target.keys:
            func = self.overrides.get(str(key))
            if func is not None:
                return func
        return self.default

    def __call__(self, attrs, inputs, out_type, target, mode=None):
        func = self.dispatch(target)
        if func is None:
            return None
        return call_strategy(func, attrs, inputs, out_type, target, mode)


@functools.lru_cache(maxsize=None)
def _hears_mode(func):
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 5 or any(p.kind == p.VAR_POSITIONAL for p in params)


def call_strategy(func, attrs, inputs, out_type, target, mode):
    """Call a strategy function, with ``mode`` if it takes a fifth argument."""
    if _hears_mode(func):
        return func(attrs, inputs, out_type, target, mode)
    return func(attrs, inputs, out_type, target)


def get_strategy(op, attrs, inputs, out_type, target, mode=None):
    """The :class:`OpStrategy` of ``op`` for ``target``.

    An op with a registered strategy uses it; an op with only a compute gets one
    from its fusion pattern (injective and reduction ops are scheduled by the
    generic schedules of their class, as upstream's ``register_injective_schedule``).
    Raises ``tvm.error.OpNotImplemented`` naming the op and the target if neither
    applies.
    """
    fstrategy = op.get_attr("FTVMStrategy")
    strategy = None
    if fstrategy is not None:
        strategy = call_strategy(fstrategy, attrs, inputs, out_type, target, mode)
    if strategy is None or not strategy.implementations:
        from . import generic  # pylint: disable=import-outside-toplevel

        strategy = generic.strategy_from_pattern(op, target)
    if strategy is None or not strategy.implementations:
        raise tvm.error.OpNotImplemented(
            f"operator {op.name!r} has no implementation for target {target.kind.name} "
            f"(keys {list(map(str, target.keys))}): no strategy registered for it and no compute"
        )
    return strategy


def select_implementation(op, attrs, inputs, out_type, target, mode=None):
    """Pick the implementation of ``op`` and return ``(implementation, outputs)``.

    The highest ``plevel`` wins (first added on ties), unless the AutoTVM hook
    of the compile engine (``relay.backend.lowering``, registered when AutoTVM
    is imported) picks one: in TOPI mode it runs the AutoTVM template of an
    implementation that declares one, and prefers the implementation with the
    best tuned record, as upstream. The returned implementation's ``tuned``
    says whether a record configured it.

    Parameters
    ----------
    mode : relay.backend.lowering.LoweringMode, optional
        The compile engine's lowering mode (None: TOPI); strategies and the
        AutoTVM hook hear it.
    """
    from ...backend.lowering import LoweringMode, get_hook  # pylint: disable=import-outside-toplevel

    mode = LoweringMode.topi() if mode is None else mode
    strategy = get_strategy(op, attrs, inputs, out_type, target, mode)
    impls = sorted(strategy.implementations, key=lambda impl: -impl.plevel)
    if mode.excluded:  # the alternative of an implementation chosen by cost
        impls = [impl for impl in impls if impl.name not in mode.excluded] or impls
    autotvm = get_hook("autotvm")
    if autotvm is not None:
        chosen = autotvm.select_implementation(op, impls, attrs, inputs, out_type, target, mode)
        if chosen is not None:
            return chosen
    best = impls[0]
    return best, best.compute(attrs, inputs, out_type)
