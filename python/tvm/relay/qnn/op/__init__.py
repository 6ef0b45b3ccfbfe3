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
    simulated_dequantize,
    simulated_quantize,
    subtract,
)
from .legalizations import register_qnn_canonicalize, register_qnn_legalize

__all__ = ["add", "batch_matmul", "concatenate", "conv2d", "conv2d_transpose", "dense", "dequantize", "mul", "quantize",
           "requantize", "subtract", "simulated_quantize", "simulated_dequantize", "register_qnn_legalize", "register_qnn_canonicalize"]
