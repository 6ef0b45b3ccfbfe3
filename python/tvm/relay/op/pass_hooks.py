"""Registration of the per-op hooks that optimisation passes consult.

0.8 registered these with ``tvm.ir.register_op_attr``; here they are
attributes of the fork's op registry (:mod:`.op`), with the same names, levels
and decorator use:

``"FTVMLegalize"``
    ``legal(attrs, inputs, types) -> expr or None``, read by
    :func:`tvm.relay.transform.Legalize` (``types`` holds the argument types
    followed by the output type);
``"FTVMMixedPrecisionConversionType"``
    ``f(call, mixed_precision_type) -> [category, accumulation_dtype,
    output_dtype]``, read by :func:`tvm.relay.transform.ToMixedPrecision`
    (categories in :mod:`tvm.relay.transform.mixed_precision`).

``"FTVMFakeQuantizationToInteger"``
    ``rule(expr, type_map) -> [new_expr, affine_type]``, read by
    :func:`tvm.relay.transform.FakeQuantizationToInteger` (see
    :mod:`tvm.relay.transform.fake_quantization_to_integer`).

``register_alter_op_layout`` (``"FTVMAlterOpLayout"``) lives in :mod:`.op`,
which also re-exports these (0.8's ``relay.op.op.register_legalize`` ...).
"""
from .op import get


def _register(op_name, attr_name, func, level):
    def _do(f):
        get(op_name).set_attr(attr_name, f, level)
        return f

    return _do(func) if func is not None else _do


def register_legalize(op_name, legal_op=None, level=10):
    """Register ``legal_op(attrs, inputs, types) -> expr or None`` as the
    legalisation of ``op_name`` (0.8's ``FTVMLegalize``); usable as a decorator.

    Parameters
    ----------
    op_name : str
    legal_op : callable, optional
    level : int
        A later registration with a higher level wins.
    """
    return _register(op_name, "FTVMLegalize", legal_op, level)


def register_mixed_precision_conversion(op_name, func=None, level=10):
    """Register how ``ToMixedPrecision`` treats ``op_name`` (0.8's
    ``FTVMMixedPrecisionConversionType``); usable as a decorator.

    ``func(call_node, mixed_precision_type) -> [category, accumulation_dtype,
    output_dtype]`` with ``category`` 0 (always convert), 1 (follow the
    inputs) or 2 (never convert).
    """
    return _register(op_name, "FTVMMixedPrecisionConversionType", func, level)


def register_fake_quantization_to_integer(op_name, func=None, level=10):
    """Register ``func(expr, type_map) -> [new_expr, affine_type]``, the integer
    rewrite of ``op_name`` used by ``FakeQuantizationToInteger`` (0.8's
    ``FTVMFakeQuantizationToInteger``); usable as a decorator. ``level``: a later
    registration with a higher level replaces an earlier one."""
    return _register(op_name, "FTVMFakeQuantizationToInteger", func, level)


__all__ = ["register_fake_quantization_to_integer", "register_legalize",
           "register_mixed_precision_conversion"]
