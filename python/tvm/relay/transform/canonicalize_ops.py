"""CanonicalizeOps: rewrite ``nn.bias_add`` as ``add`` (0.8's
``relay.transform.CanonicalizeOps``, ``opt_level`` 3).

``nn.bias_add(x, b, axis)`` becomes ``add(x, expand_dims(b, 1, ndim - axis - 1))``
(no ``expand_dims`` when ``axis`` is the last axis), so that later passes
(``FoldScaleAxis``, ``FuseOps``, layout rewrites) see one broadcast op. This is
the Relay pass; the lowering of quantized ops is
:func:`tvm.relay.qnn.transform.CanonicalizeOps`.
"""
from ._utils import TypedFunctionPass, TypeKeepingMutator, op_name


class _BiasAddCanonicalizer(TypeKeepingMutator):
    def visit_call(self, call):
        new = super().visit_call(call)
        if op_name(new) != "nn.bias_add":
            return new
        from ..op import tensor as _tensor  # pylint: disable=import-outside-toplevel
        from ..op import transform as _otransform  # pylint: disable=import-outside-toplevel

        ndim = len(call.args[0].checked_type.shape)
        axis = int(new.attrs.get("axis", 1))
        if axis < 0:
            axis += ndim
        bias = new.args[1]
        trailing = ndim - axis - 1
        if trailing > 0:
            bias = _otransform.expand_dims(bias, 1, trailing)
        return _tensor.add(new.args[0], bias)


def canonicalize_ops(expr):
    """``expr`` with every ``nn.bias_add`` rewritten as a broadcast ``add`` (needs types)."""
    return _BiasAddCanonicalizer().visit(expr)


def CanonicalizeOps():  # pylint: disable=invalid-name
    """Rewrite ``nn.bias_add`` as ``expand_dims`` + ``add``.

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(3, "CanonicalizeOps", lambda func, _mod, _ctx: canonicalize_ops(func))


__all__ = ["CanonicalizeOps", "canonicalize_ops"]
