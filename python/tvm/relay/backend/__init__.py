"""Relay backends: compile engine, graph codegen, interpreter."""
from . import compile_engine
