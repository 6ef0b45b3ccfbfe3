"""Deprecated name of :mod:`tvm.contrib.graph_executor` (TVM 0.7/0.8 scripts).

Everything is re-exported unchanged; new code should import ``graph_executor``.
"""
from .graph_executor import GraphModule, create  # noqa: F401

__all__ = ["GraphModule", "create"]
