"""Legalize: let each op rewrite its own calls (0.8's ``relay.transform.Legalize``).

For every call of an operator that has the registry attribute
``legalize_map_attr_name`` (``"FTVMLegalize"`` by default, registered with
:func:`tvm.relay.op.register_legalize`), the pass calls
``legal(call.attrs, new_args, types)`` where ``new_args`` are the call's
arguments after their own legalisation and ``types`` the argument types of the
original call followed by its output type. A returned expression replaces the
call (it must be a call, as upstream); ``None`` keeps it. A function
registered for an op may read ``tvm.target.Target.current()``: the pass runs
in the caller's target context (``relay.build`` sets it), as 0.8's did.

QNN's ``Legalize`` is the same pass run with ``"FTVMQnnLegalize"`` and then
``"FTVMQnnCanonicalize"``.
"""
from ..expr import Call
from ..op.op import Op
from ._utils import TypedFunctionPass, TypeKeepingMutator


class _Legalizer(TypeKeepingMutator):
    def __init__(self, attr_name):
        super().__init__()
        self.attr_name = attr_name

    def visit_call(self, call):
        new = super().visit_call(call)
        if not isinstance(call.op, Op):
            return new
        legal = call.op.get_attr(self.attr_name)
        if legal is None:
            return new
        types = [arg.checked_type for arg in call.args] + [call.checked_type]
        result = legal(call.attrs, list(new.args), types)
        if result is None:
            return new
        if hasattr(result, "astuple"):  # a TupleWrapper from a multi-output op
            result = result.astuple()
        if not isinstance(result, Call):
            raise TypeError(
                f"{self.attr_name} of {call.op.name} returned {type(result).__name__}; "
                "a legalisation must replace the call with another call"
            )
        return result


def legalize(expr, legalize_map_attr_name="FTVMLegalize"):
    """``expr`` with the registered legalisations applied (needs types)."""
    return _Legalizer(legalize_map_attr_name).visit(expr)


def Legalize(legalize_map_attr_name="FTVMLegalize"):  # pylint: disable=invalid-name
    """Rewrite calls with their ops' registered legalisation functions.

    Parameters
    ----------
    legalize_map_attr_name : str
        The registry attribute holding the functions (``"FTVMLegalize"``; QNN
        uses ``"FTVMQnnLegalize"`` and ``"FTVMQnnCanonicalize"``).

    Returns
    -------
    Pass
        ``opt_level`` 1, name ``"Legalize"``.
    """
    return TypedFunctionPass(
        1, "Legalize", lambda func, _mod, _ctx: legalize(func, legalize_map_attr_name)
    )


__all__ = ["Legalize", "legalize"]
