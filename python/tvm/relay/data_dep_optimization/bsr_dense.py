"""0.8's dense to block-sparse dense conversion (not available: no ``nn.sparse_dense``)."""
from ._sparse_unavailable import sparse_unavailable


def convert(func, params, blocksize, sparsity_threshold):
    """0.8's ``bsr_dense.convert``: raises ``tvm.error.OpNotImplemented``."""
    del func, params, blocksize, sparsity_threshold
    sparse_unavailable("bsr_dense.convert")
