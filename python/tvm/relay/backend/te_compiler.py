"""``relay.backend.te_compiler``: TVM 0.8's name for the compile engine's module.

0.8 moved the lowering of primitive functions from ``compile_engine`` to
``te_compiler`` (``te_compiler.get().clear()``, ``lower``, ``jit``); the
fork has one compile engine, which both names give.
"""
from .compile_engine import CompileEngine, get  # noqa: F401

__all__ = ["get", "CompileEngine"]
