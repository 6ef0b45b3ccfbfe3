"""0.8's ``tvm.relay.base``: source locations of Relay nodes.

``Span`` and ``SourceName`` are the base's ``tvm.ir`` classes (0.8's
``relay.base`` re-exported them too); ``Node`` is the base class of Relay
expressions in this fork (Python objects, see :mod:`tvm.relay.expr`).
"""
from tvm.ir import SourceName, Span  # noqa: F401

from .expr import RelayExpr as Node  # noqa: F401

__all__ = ["Span", "SourceName", "Node"]
