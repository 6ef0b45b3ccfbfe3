"""Relay references (``RefCreate`` / ``RefRead`` / ``RefWrite``): not supported.

0.8's Relay had mutable reference cells, used by the higher-order interpreter
and the VM. The fork's Relay is the first-order, graph-executor subset, so the
names exist (0.8 scripts import them) and building one raises an error that says
so.
"""
import tvm.error


class _Unsupported:
    def __init__(self, *args, **kwargs):
        del args, kwargs
        raise tvm.error.OpNotImplemented(
            f"relay.{type(self).__name__}: Relay references are not supported by this fork "
            "(its Relay is the first-order subset the graph executor runs)"
        )


class RefCreate(_Unsupported):
    """A new reference cell (not supported)."""


class RefRead(_Unsupported):
    """Read a reference cell (not supported)."""


class RefWrite(_Unsupported):
    """Write a reference cell (not supported)."""
