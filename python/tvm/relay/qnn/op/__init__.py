"""QNN operator constructors (``relay.qnn.op``)."""
from .qnn import (
    add,
    concatenate,
    conv2d,
    dense,
    dequantize,
    mul,
    quantize,
    requantize,
    subtract,
)

__all__ = ["add", "concatenate", "conv2d", "dense", "dequantize", "mul", "quantize",
           "requantize", "subtract"]
