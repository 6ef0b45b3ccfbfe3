"""EliminateCommonSubexpr: compute each distinct operator call once.

Walking the graph bottom-up, a call of an operator is replaced by an earlier
call with the same operator, equal attributes and the same arguments, where
"the same" means the very same (already deduplicated) node, or two scalar
constants of equal dtype and value. Equal ``TupleGetItem`` nodes are merged the
same way. Random operators are never merged. ``fskip(expr) -> bool`` lets the
caller keep some calls apart, as upstream.
"""
import numpy as np

from ..expr import Call, Constant, TupleGetItem
from ..expr_functor import ExprMutator
from ..op.op import Op
from ._utils import TypedFunctionPass


def _same_arg(lhs, rhs):
    if lhs is rhs:
        return True
    if isinstance(lhs, Constant) and isinstance(rhs, Constant):
        a, b = lhs.numpy(), rhs.numpy()
        return a.ndim == 0 and b.ndim == 0 and a.dtype == b.dtype and np.array_equal(a, b)
    return False


class CommonSubexprEliminator(ExprMutator):
    """The rewriting behind :func:`EliminateCommonSubexpr`."""

    def __init__(self, fskip=None):
        super().__init__()
        self.fskip = fskip
        self.calls = {}  # (op name, number of args) -> [Call]
        self.getitems = {}  # (id(tuple), index) -> TupleGetItem

    def visit_function(self, fn):
        if fn.is_primitive:
            return fn
        return super().visit_function(fn)

    def visit_call(self, call):
        new = super().visit_call(call)
        if not isinstance(new, Call) or not isinstance(new.op, Op) or not new.args:
            return new
        if new.op.name.startswith("random.") or (self.fskip is not None and self.fskip(new)):
            return new
        key = (new.op.name, len(new.args))
        candidates = self.calls.setdefault(key, [])
        for cand in candidates:
            if cand.attrs == new.attrs and all(
                _same_arg(a, b) for a, b in zip(cand.args, new.args)
            ):
                return cand
        candidates.append(new)
        return new

    def visit_tuple_getitem(self, op):
        new = super().visit_tuple_getitem(op)
        if not isinstance(new, TupleGetItem):
            return new
        key = (id(new.tuple_value), new.index)
        found = self.getitems.get(key)
        if found is not None and found.tuple_value is new.tuple_value:
            return found
        self.getitems[key] = new
        return new


def eliminate_common_subexpr(expr, fskip=None):
    """``expr`` with duplicated operator calls merged."""
    return CommonSubexprEliminator(fskip).visit(expr)


def EliminateCommonSubexpr(fskip=None):  # pylint: disable=invalid-name
    """Merge identical operator calls (upstream ``relay.transform.EliminateCommonSubexpr``,
    ``opt_level`` 3).

    Parameters
    ----------
    fskip : callable, optional
        ``fskip(call) -> bool``; calls for which it returns True are kept apart.

    Returns
    -------
    Pass
    """
    if fskip is not None and not callable(fskip):
        raise TypeError(f"EliminateCommonSubexpr: fskip must be callable, got {fskip!r}")
    return TypedFunctionPass(
        3,
        "EliminateCommonSubexpr",
        lambda func, _mod, _ctx: CommonSubexprEliminator(fskip).visit(func),
        typed=True,  # 0.8 required InferType first; the result keeps the signature's types
    )


__all__ = ["EliminateCommonSubexpr", "eliminate_common_subexpr", "CommonSubexprEliminator"]
