"""Relay backends: compile engine, graph codegen, memory planning, executor factory.

``backend.interpreter`` only re-exports the NumPy reference interpreter, which
lives in :mod:`tvm.relay.reference`.
"""
from . import compile_engine, te_compiler
from . import graph_plan_memory as _backend  # 0.8's FFI module name of GraphPlanMemory
from .target_configs import Executor, Runtime  # 0.8's executor and runtime configurations
