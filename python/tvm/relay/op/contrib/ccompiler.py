"""Operators the fork's C source code generator ``ccompiler`` compiles.

``ccompiler`` (0.8's example C code generator) turns a partitioned function of
element-wise ``add``, ``subtract`` and ``multiply`` on float32 tensors of equal
static shapes into C (see :mod:`tvm.relay.backend.contrib_codegen`). The
predicates below offer exactly those calls to ``AnnotateTarget("ccompiler")``.
"""
import tvm.ir

from ...ty import TensorType

SUPPORTED_OPS = ("add", "subtract", "multiply")


def _same_float32_shapes(expr):
    types = [arg.checked_type for arg in expr.args]
    return all(isinstance(t, TensorType) and t.dtype == "float32" for t in types) and all(
        tuple(int(d) for d in t.shape) == tuple(int(d) for d in types[0].shape) for t in types
    )


def _supported(expr):
    try:
        return _same_float32_shapes(expr)
    except (TypeError, ValueError, AttributeError):  # dynamic shapes, untyped operands
        return False


for _name in SUPPORTED_OPS:
    tvm.ir.register_op_attr(_name, "target.ccompiler", _supported)
