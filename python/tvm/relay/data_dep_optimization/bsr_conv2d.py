"""0.8's conv2d to block-sparse conv2d conversion (not available: no ``nn.sparse_conv2d``)."""
from ._sparse_unavailable import sparse_unavailable


def convert(func, params, blocksize, sparsity_threshold, layout="NHWC", kernel_size=1):
    """0.8's ``bsr_conv2d.convert``: raises ``tvm.error.OpNotImplemented``."""
    del func, params, blocksize, sparsity_threshold, layout, kernel_size
    sparse_unavailable("bsr_conv2d.convert")


def convert2(func, params, blocksize, sparsity_threshold, layout, kernel_size):
    """0.8's ``bsr_conv2d.convert2``: raises ``tvm.error.OpNotImplemented``."""
    del func, params, blocksize, sparsity_threshold, layout, kernel_size
    sparse_unavailable("bsr_conv2d.convert2")
