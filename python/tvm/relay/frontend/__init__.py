"""Frontends: import models from other frameworks into Relay.

ONNX (:func:`from_onnx`) and PyTorch (:func:`from_pytorch` for TorchScript,
:func:`from_exported_program` for ``torch.export``; torch is imported only when
they are called); :mod:`.common` holds the helpers a frontend needs
(incremental type inference, static values, op lookup).
"""
from . import common
from .onnx import from_onnx
from .pytorch import from_exported_program, from_pytorch

__all__ = ["from_onnx", "from_pytorch", "from_exported_program", "common"]
