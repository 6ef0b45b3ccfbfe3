"""QNN operator constructors (``relay.qnn.op``)."""
from .qnn import (
    add,
    batch_matmul,
    concatenate,
    conv2d,
    conv2d_transpose,
    dense,
    dequantize,
    mul,
    quantize,
    requantize,
    subtract,
)
from .legalizations import register_qnn_canonicalize, register_qnn_legalize

__all__ = ["add", "batch_matmul", "concatenate", "conv2d", "conv2d_transpose", "dense", "dequantize", "mul", "quantize",
           "requantize", "subtract", "register_qnn_legalize", "register_qnn_canonicalize"]
