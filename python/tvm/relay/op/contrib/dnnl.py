"""Operators the DNNL (oneDNN) code generator accepts, and its composite patterns.

Only the annotation side of 0.8's DNNL integration: ``AnnotateTarget("dnnl")``
and ``MergeComposite(get_pattern_table("dnnl"))`` work; the fork has no DNNL
code generator, so building a function partitioned for ``dnnl`` is refused
with an error that says so.
"""
import tvm.ir

from ...dataflow_pattern import is_op, wildcard
from .register import register_pattern_table

#: operators offloaded to DNNL whatever their attributes
SUPPORTED_OPS = ("nn.batch_norm", "nn.conv2d", "nn.dense", "nn.relu", "add", "multiply")


def _always(expr):  # pylint: disable=unused-argument
    return True


for _name in SUPPORTED_OPS:
    tvm.ir.register_op_attr(_name, "target.dnnl", _always)


def make_pattern(with_bias=True):
    """``relu(conv2d(x, w) [+ b])``: DNNL runs it as one convolution with post-ops."""
    conv = is_op("nn.conv2d")(wildcard(), wildcard())
    if with_bias:
        conv = is_op("add")(conv, wildcard())
    return is_op("nn.relu")(conv)


@register_pattern_table("dnnl")
def pattern_table():
    """The composite operators of DNNL, most specific first."""
    return [("dnnl.conv2d_bias_relu", make_pattern(with_bias=True)),
            ("dnnl.conv2d_relu", make_pattern(with_bias=False))]
