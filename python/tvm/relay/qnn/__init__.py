"""Quantized operators (upstream ``relay.qnn``).

:mod:`.op` declares the QNN operators of TVM 0.8 (``qnn.quantize``,
``qnn.dequantize``, ``qnn.requantize``, ``qnn.conv2d``, ``qnn.dense``,
``qnn.add``, ``qnn.mul``, ``qnn.concatenate``) with their type relations.
They have no kernels of their own: :func:`.transform.CanonicalizeOps`, which
``relay.build`` / ``relay.optimize`` run before fusion, rewrites them into
integer Relay operators (int8/uint8 inputs, int32 accumulation) and the float
arithmetic of (re)quantization.
"""
from . import op, transform
from . import _reference  # noqa: F401  (registers the reference kernels)

__all__ = ["op", "transform"]
