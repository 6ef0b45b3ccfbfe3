"""Operators the fork's C source code generator ``ccompiler`` compiles.

``ccompiler`` (0.8's example C code generator) turns a partitioned function of
element-wise ``add``, ``subtract`` and ``multiply`` on float32 tensors of one
static shape (or scalars) into C (see :mod:`tvm.relay.backend.contrib_codegen`). The
predicates below offer exactly those calls to ``AnnotateTarget("ccompiler")``.
"""
import tvm.ir

from ...ty import TensorType

SUPPORTED_OPS = ("add", "subtract", "multiply")


def _same_float32_shapes(expr):
    out = expr.checked_type
    types = [arg.checked_type for arg in expr.args]
    if not all(isinstance(t, TensorType) and t.dtype == "float32" for t in types + [out]):
        return False
    shape = tuple(int(d) for d in out.shape)
    # operands of the result's shape, or scalars (broadcast by the generated loop)
    return all(tuple(int(d) for d in t.shape) in (shape, ()) for t in types)


def _supported(expr):
    try:
        return _same_float32_shapes(expr)
    except (TypeError, ValueError, AttributeError):  # dynamic shapes, untyped operands
        return False


for _name in SUPPORTED_OPS:
    tvm.ir.register_op_attr(_name, "target.ccompiler", _supported)
