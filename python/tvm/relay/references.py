"""Relay references: mutable cells (``RefCreate`` / ``RefRead`` / ``RefWrite``).

The nodes live in :mod:`.expr` (as upstream); this module keeps the older import
path. They are typed by ``InferType`` (``RefType``) and evaluated by the
interpreter (``create_executor("debug")``), whose reference values are
:class:`tvm.relay.backend.interpreter.RefValue`. ``relay.build`` (the graph
executor) does not run programs that use them.
"""
from .expr import RefCreate, RefRead, RefWrite

__all__ = ["RefCreate", "RefRead", "RefWrite"]
