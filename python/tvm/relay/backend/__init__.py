"""Relay backends: compile engine, graph codegen, interpreter."""
