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

__all__ = ["add", "batch_matmul", "concatenate", "conv2d", "conv2d_transpose", "dense", "dequantize", "mul", "quantize",
           "requantize", "subtract"]
