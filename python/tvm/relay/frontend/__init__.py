"""Frontends: import models from other frameworks into Relay.

Only ONNX is provided (:func:`from_onnx`); :mod:`.common` holds the helpers a
frontend needs (incremental type inference, static values, op lookup).
"""
from . import common
from .onnx import from_onnx

__all__ = ["from_onnx", "common"]
