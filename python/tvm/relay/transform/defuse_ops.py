"""DefuseOps: undo FuseOps (0.8's pass).

Each call of a function literal whose body is a call (what ``FuseOps`` makes:
``fn (%p0, %p1, Primitive=1) { add(%p0, %p1) }(%a, %b)``) is replaced by the
body with the parameters replaced by the arguments, so the fused graph
becomes the plain operator graph again and computes the same values. Calls
are rebuilt children first, so nested fused functions are flattened too.
"""
from ..analysis import _nodes
from ..expr import Call
from ..function import Function
from ._utils import TypedFunctionPass


class _Defuser(_nodes.AnyNodeMutator):
    def visit_call(self, call):
        new = super().visit_call(call)
        func = new.op
        if isinstance(new, Call) and isinstance(func, Function) and isinstance(func.body, Call):
            if len(func.params) != len(new.args):
                raise ValueError(
                    f"DefuseOps: a fused function of {len(func.params)} parameters is called "
                    f"with {len(new.args)} arguments"
                )
            return _nodes.substitute(func.body, dict(zip(func.params, new.args)))
        return new


def defuse_ops(expr):
    """``expr`` with the calls of fused functions replaced by their bodies."""
    return _Defuser().visit(expr)


def DefuseOps():  # pylint: disable=invalid-name
    """Inline the fused functions ``FuseOps`` made back into the graph
    (0.8's ``relay.transform.DefuseOps``, opt_level 3).

    Returns
    -------
    ret : tvm.transform.Pass
    """
    return TypedFunctionPass(3, "DefuseOps", lambda func, _mod, _ctx: defuse_ops(func))


__all__ = ["DefuseOps", "defuse_ops"]
