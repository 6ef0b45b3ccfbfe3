"""``relay.backend.te_compiler``: TVM 0.8's name for the compile engine's module.

0.8 moved the lowering of primitive functions from ``compile_engine`` to
``te_compiler`` (``te_compiler.get().clear()``, ``lower``, ``jit``); the
fork has one compile engine, which both names give, with its cache key
(:class:`CCacheKey`) and the implementation choice of an operator
(:func:`select_implementation`, :func:`get_valid_implementations`).
"""
from ..op.strategy.strategy import get_strategy
from ..op.strategy.strategy import select_implementation as _select
from .compile_engine import CCacheKey, CCacheValue, CompileEngine, get  # noqa: F401

__all__ = [
    "get",
    "CompileEngine",
    "CCacheKey",
    "CCacheValue",
    "get_valid_implementations",
    "select_implementation",
]


def get_valid_implementations(op, attrs, inputs, out_type, target):
    """The implementations of ``op`` that the strategy offers for this call on
    ``target`` (0.8's signature), highest ``plevel`` first."""
    strategy = get_strategy(op, attrs, inputs, out_type, _target(target))
    return sorted(strategy.implementations, key=lambda impl: -impl.plevel)


def select_implementation(op, attrs, inputs, out_type, target, use_autotvm=True):
    """The implementation of ``op`` chosen for this call and its output tensors,
    ``(implementation, outputs)`` (0.8's signature).

    ``use_autotvm`` is accepted for 0.8's callers: the fork's choice consults
    AutoTVM's records whenever AutoTVM is imported (it registers its hook in
    ``relay.backend.lowering``), and uses the highest ``plevel`` otherwise.
    """
    del use_autotvm
    return _select(op, attrs, inputs, out_type, _target(target))


def _target(target):
    from .compile_engine import _as_target  # pylint: disable=import-outside-toplevel

    return _as_target(target)
