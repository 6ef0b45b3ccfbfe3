"""Op strategies: how an operator is computed and scheduled on a target.

An :class:`OpStrategy` lists :class:`OpImplementation` s, each a TOPI compute
paired with a schedule and a priority level (``plevel``). The compile engine
asks an op's strategy function (registered per target key with
:class:`TargetDispatch`) for the strategy, then :func:`select_implementation`
picks one: the highest ``plevel`` or, under an AutoTVM dispatch context with a
tuned config, the tuned implementation.

Contracts
---------
``fcompute(attrs, inputs, out_type) -> [te.Tensor]``
    the op's TE compute (usually the op's registered ``FTVMCompute``).
``fschedule(attrs, sch, outs, target) -> sch``
    a TensorIR schedule program: ``sch`` is a ``tvm.s_tir.Schedule`` over
    ``te.create_prim_func(inputs + outs)`` of the WHOLE fused function, whose
    anchor is this op; ``outs`` are the fused function's output tensors.
"""
import logging

import tvm

logger = logging.getLogger("relay")


class OpImplementation:
    """A compute and a schedule for one op, with a name and a priority level."""

    def __init__(self, fcompute, fschedule, name="default", plevel=10):
        self.fcompute = fcompute
        self.fschedule = fschedule
        self.name = name
        self.plevel = plevel

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

    def add_implementation(self, compute, schedule, name="default", plevel=10):
        """Add an implementation (upstream signature)."""
        self.implementations.append(OpImplementation(compute, schedule, name, plevel))


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

    def __call__(self, attrs, inputs, out_type, target):
        func = self.dispatch(target)
        if func is None:
            return None
        return func(attrs, inputs, out_type, target)


def get_strategy(op, attrs, inputs, out_type, target):
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
        strategy = fstrategy(attrs, inputs, out_type, target)
    if strategy is None or not strategy.implementations:
        from . import generic  # pylint: disable=import-outside-toplevel

        strategy = generic.strategy_from_pattern(op, target)
    if strategy is None or not strategy.implementations:
        raise tvm.error.OpNotImplemented(
            f"operator {op.name!r} has no implementation for target {target.kind.name} "
            f"(keys {list(map(str, target.keys))}): no strategy registered for it and no compute"
        )
    return strategy


def select_implementation(op, attrs, inputs, out_type, target, use_autotvm=True):
    """Pick the implementation of ``op`` and return ``(implementation, outputs)``.

    Without AutoTVM records the highest ``plevel`` wins (first added on ties).
    With ``use_autotvm`` and an active AutoTVM dispatch context that has a tuned
    config for one of the implementations' workloads, the implementation with
    the best measured cost wins, as upstream.
    """
    strategy = get_strategy(op, attrs, inputs, out_type, target)
    impls = sorted(strategy.implementations, key=lambda impl: -impl.plevel)
    best = impls[0]
    if use_autotvm and len(impls) > 1:
        tuned = _autotvm_best(impls, attrs, inputs, out_type, target)
        if tuned is not None:
            return tuned
    return best, best.compute(attrs, inputs, out_type)


def _autotvm_best(impls, attrs, inputs, out_type, target):
    """The tuned implementation under an AutoTVM context, or None.

    AutoTVM is consulted only if it is imported (a user who never imported it
    cannot have a dispatch context active).
    """
    import sys  # pylint: disable=import-outside-toplevel

    autotvm = sys.modules.get("tvm.autotvm")
    if autotvm is None or not hasattr(autotvm, "select_tuned_implementation"):
        return None
    return autotvm.select_tuned_implementation(impls, attrs, inputs, out_type, target)
