"""The error the block-sparse conversions raise."""
import tvm.error


def sparse_unavailable(entry):
    """Raise ``OpNotImplemented`` for the block-sparse conversion ``entry``."""
    raise tvm.error.OpNotImplemented(
        f"relay.data_dep_optimization.{entry}: block-sparse operators (nn.sparse_dense, "
        "nn.sparse_conv2d) are not available in this fork; keep the dense model "
        "(use_sparse=False in the 0.8 tutorials)"
    )
