"""Relay backends: compile engine, graph codegen, memory planning, executor factory.

``backend.interpreter`` only re-exports the NumPy reference interpreter, which
lives in :mod:`tvm.relay.reference`.
"""
from . import compile_engine, te_compiler
