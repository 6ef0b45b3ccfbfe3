"""FastMath: replace ``exp``, ``erf``, ``tanh`` and ``nn.softmax`` with their
``fast_*`` approximations (0.8's ``relay.transform.FastMath``, ``opt_level`` 4).

The fast ops (``fast_exp``, ``fast_erf``, ``fast_tanh``, ``nn.fast_softmax``)
are TOPI's polynomial approximations (float32; other dtypes fall back to the
exact functions inside TOPI). The pass has ``opt_level`` 4, so ``relay.build``
at ``opt_level=3`` runs it only when asked:
``PassContext(opt_level=3, required_pass=["FastMath"])``.
"""
from ..expr import Call
from ._utils import TypedFunctionPass, TypeKeepingMutator, op_name

#: op name -> its fast counterpart (attributes carried over unchanged).
FAST_OPS = {
    "exp": "fast_exp",
    "erf": "fast_erf",
    "tanh": "fast_tanh",
    "nn.softmax": "nn.fast_softmax",
}


class _FastMathRewriter(TypeKeepingMutator):
    def visit_call(self, call):
        new = super().visit_call(call)
        fast = FAST_OPS.get(op_name(new))
        if fast is None:
            return new
        from ..op.op import get  # pylint: disable=import-outside-toplevel

        return Call(get(fast), new.args, new.attrs, new.type_args, new.span)


def fast_math(expr):
    """``expr`` with the exact transcendental ops replaced by their fast forms."""
    return _FastMathRewriter().visit(expr)


def FastMath():  # pylint: disable=invalid-name
    """Use the fast approximations of ``exp``, ``erf``, ``tanh`` and softmax.

    Returns
    -------
    Pass
        ``opt_level`` 4, name ``"FastMath"`` (so ``required_pass=["FastMath"]``
        enables it in a build).
    """
    return TypedFunctionPass(4, "FastMath", lambda func, _mod, _ctx: fast_math(func), typed=False)


__all__ = ["FastMath", "fast_math", "FAST_OPS"]
