"""Deprecated name of :mod:`tvm.contrib.debugger.debug_executor` (as upstream 0.8)."""
# pylint: disable=unused-import
from .debug_executor import DebugResult, GraphModuleDebug, ProfileReport, create

__all__ = ["create", "GraphModuleDebug", "ProfileReport", "DebugResult"]
