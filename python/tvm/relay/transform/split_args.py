"""SplitArgs: split concatenations of too many tensors (0.8's pass).

Some targets limit how many buffers a kernel takes (``Target("metal")
.max_function_args`` is 31). A ``concatenate`` of ``n`` tensors becomes a
kernel of ``n`` inputs plus its output, so when ``n`` reaches the limit
(less the outputs) the tuple is cut into groups of at most that many; each
group is concatenated on its own, behind ``annotation.stop_fusion`` so the
groups stay separate kernels, and the partial results are concatenated along
the same axis, which gives the same tensor. A limit that is ``None`` or
negative (a target without one) changes nothing.
"""
from ..expr import Call, Tuple
from ..op.op import Op
from ._utils import TypeKeepingMutator, TypedFunctionPass


class _ArgumentSplitter(TypeKeepingMutator):
    def __init__(self, max_function_args):
        super().__init__()
        self.max_function_args = max_function_args

    def visit_call(self, call):
        new = super().visit_call(call)
        if not (isinstance(new.op, Op) and new.op.name == "concatenate"):
            return new
        fields = new.args[0]
        if not isinstance(fields, Tuple):
            return new
        from ..op.annotation import stop_fusion  # pylint: disable=import-outside-toplevel
        from ..op.tensor import concatenate  # pylint: disable=import-outside-toplevel

        out_type = call._checked_type_  # pylint: disable=protected-access
        outputs = len(out_type.fields) if out_type is not None and hasattr(out_type, "fields") else 1
        limit = self.max_function_args - outputs
        count = len(fields.fields)
        if limit <= 0 or count < limit:
            return new
        axis = int(new.attrs.axis)
        groups = [fields.fields[i:i + limit] for i in range(0, count, limit)]
        parts = [stop_fusion(concatenate(Tuple(list(g)), axis)) for g in groups]
        return concatenate(Tuple(parts), axis)


def split_args(expr, max_function_args):
    """``expr`` with over-long concatenations split (see the module docstring)."""
    if max_function_args is None or int(max_function_args) < 0:
        return expr
    return _ArgumentSplitter(int(max_function_args)).visit(expr)


def SplitArgs(max_function_args):  # pylint: disable=invalid-name
    """Split ``concatenate`` calls with more inputs than a kernel may take
    (0.8's ``relay.transform.SplitArgs``, opt_level 1).

    Parameters
    ----------
    max_function_args : int or None
        The target's limit on kernel arguments (``Target.max_function_args``);
        ``None`` or a negative value disables the pass.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    return TypedFunctionPass(1, "SplitArgs", lambda func, _mod, _ctx: split_args(func, max_function_args))


__all__ = ["SplitArgs", "split_args"]
