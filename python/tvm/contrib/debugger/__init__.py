"""Debugging tools of the graph executor (per-operator timing and outputs)."""
