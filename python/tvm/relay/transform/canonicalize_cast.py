"""CanonicalizeCast: give each element-wise user of a widening cast its own cast (0.8's pass).

When one upcast (``cast`` to a dtype of more bits, e.g. ``int8 -> int32``)
feeds several element-wise or broadcast ops, ``FuseOps`` can fuse it into
only one of them and the others read the wide tensor from memory. Duplicating
the cast for each such user (the first keeps the original) lets each fuse its
own cast and read the narrow tensor. The values are unchanged: every copy
computes the same cast of the same input.
"""
from ..expr import Call
from ..op.op import Op, OpPattern
from ._utils import TypeKeepingMutator, TypedFunctionPass


def _bits(dtype):
    digits = "".join(ch for ch in str(dtype) if ch.isdigit())
    return int(digits) if digits else (1 if str(dtype) == "bool" else 32)


class _CastCanonicalizer(TypeKeepingMutator):
    def __init__(self):
        super().__init__()
        self.uses = {}

    def _is_upcast(self, expr):
        if not (isinstance(expr, Call) and isinstance(expr.op, Op) and expr.op.name == "cast"):
            return False
        from_type = expr.args[0].checked_type
        return _bits(from_type.dtype) < _bits(expr.attrs.dtype)

    def _argument(self, arg):
        new = self.visit(arg)
        if self._is_upcast(arg):
            self.uses[id(arg)] = self.uses.get(id(arg), 0) + 1
            if self.uses[id(arg)] > 1:
                copy = Call(new.op, new.args, new.attrs, new.type_args)
                copy._checked_type_ = new._checked_type_  # pylint: disable=protected-access
                return copy
        return new

    def visit_call(self, call):
        if isinstance(call.op, Op):
            pattern = call.op.get_attr("TOpPattern")
            if pattern is not None and int(pattern) <= int(OpPattern.BROADCAST):
                args = [self._argument(a) for a in call.args]
                if all(a is b for a, b in zip(args, call.args)):
                    return call
                return Call(call.op, args, call.attrs, call.type_args, call.span)
        return super().visit_call(call)


def canonicalize_cast(expr):
    """``expr`` with shared widening casts duplicated per element-wise user."""
    return _CastCanonicalizer().visit(expr)


def CanonicalizeCast():  # pylint: disable=invalid-name
    """Duplicate a widening cast for each element-wise/broadcast user (0.8's
    ``relay.transform.CanonicalizeCast``, opt_level 3); see the module docstring.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    return TypedFunctionPass(3, "CanonicalizeCast", lambda func, _mod, _ctx: canonicalize_cast(func))


__all__ = ["CanonicalizeCast", "canonicalize_cast"]
