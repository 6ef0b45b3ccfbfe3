"""Automatic quantization of Relay models (TVM 0.8's ``relay.quantize``).

See :mod:`.quantize` for the procedure and :mod:`._config` for ``qconfig``.
"""
from ._config import QAnnotateKind, QConfig, QuantizeContext, current_qconfig, kind2str, qconfig
from ._config import quantize_context
from ._ops import simulated_quantize, cast_hint
from ._annotate import QAnnotateExpr, attach_simulated_quantize, register_annotate_function
from ._partition import QPartitionExpr, register_partition_function
from ._realize import QRealizeIntExpr
from ._calibrate import calibrate, collect_stats
from .kl_divergence import _find_scale_by_kl
from .quantize import annotate, partition, prerequisite_optimize, quantize, realize

__all__ = [
    "QAnnotateKind", "QConfig", "qconfig", "current_qconfig", "quantize_context", "kind2str",
    "simulated_quantize", "cast_hint", "attach_simulated_quantize", "register_annotate_function",
    "register_partition_function", "QAnnotateExpr", "QPartitionExpr", "QRealizeIntExpr",
    "calibrate", "collect_stats", "partition", "annotate", "realize", "prerequisite_optimize",
    "quantize",
]
