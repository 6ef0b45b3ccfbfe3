"""Optimisations that look at parameter values (TVM 0.8's ``relay.data_dep_optimization``).

``simplify_fc_transpose.convert`` pre-transposes the weights of
``nn.dense(x, transpose(w))``. The block-sparse conversions ``bsr_dense`` and
``bsr_conv2d`` need the ``nn.sparse_dense`` / ``nn.sparse_conv2d`` operators,
which the fork does not provide: they raise an error that says so.
"""
from . import bsr_conv2d, bsr_dense, simplify_fc_transpose

__all__ = ["bsr_dense", "bsr_conv2d", "simplify_fc_transpose"]
