"""Helpers shared by the optimisation passes (typing, use counts, op lookup).

Several passes need the inferred types of the expressions they rewrite (FuseOps
reads shapes to tell broadcast from element-wise edges, FoldScaleAxis reads
layouts and shapes). Upstream lists ``InferType`` as a required pass; here a
pass that needs types calls :func:`ensure_typed`, which runs ``InferType`` only
when some node of the module has no type yet.
"""
import functools

from ..adt import Match
from ..expr import Call, GlobalVar, If, Let, RefCreate, RefRead, RefWrite, Tuple, TupleGetItem
from ..expr_functor import ExprMutator
from ..function import Function
from ..op.op import Op
from .pass_infra import PassInfo, Pass


class TypeKeepingMutator(ExprMutator):
    """An ``ExprMutator`` whose rewritten nodes keep the type of the node they
    replace, so later rules (and the next pass) read shapes without another
    type inference. For rewrites that preserve types."""

    def visit(self, expr):
        result = super().visit(expr)
        if result._checked_type_ is None:
            result._checked_type_ = expr._checked_type_
        return result


def children(expr):
    """Sub-expressions of ``expr`` in visiting order (operators and the inside
    of primitive functions excluded)."""
    if isinstance(expr, Call):
        head = () if isinstance(expr.op, Op) else (expr.op,)
        return head + expr.args
    if isinstance(expr, Tuple):
        return expr.fields
    if isinstance(expr, TupleGetItem):
        return (expr.tuple_value,)
    if isinstance(expr, Let):
        return (expr.var, expr.value, expr.body)
    if isinstance(expr, If):
        return (expr.cond, expr.true_branch, expr.false_branch)
    if isinstance(expr, Function):
        if expr.is_primitive:
            return ()
        return expr.params + (expr.body,)
    if isinstance(expr, Match):
        return (expr.data,) + tuple(clause.rhs for clause in expr.clauses)
    if isinstance(expr, RefCreate):
        return (expr.value,)
    if isinstance(expr, RefRead):
        return (expr.ref,)
    if isinstance(expr, RefWrite):
        return (expr.ref, expr.value)
    return ()


def post_order(expr):
    """Every node of ``expr`` once, children first, in the order of a recursive
    depth-first walk (done with an explicit stack: graphs may be deep)."""
    order = []
    done = set()
    stack = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            order.append(node)
            continue
        if key in done:
            continue
        done.add(key)
        stack.append((node, True))
        for child in reversed(children(node)):
            if id(child) not in done:
                stack.append((child, False))
    return order


def _untyped(expr):
    for node in post_order(expr):
        if isinstance(node, Op | GlobalVar):
            continue
        if node._checked_type_ is None:
            return True
    return False


def ensure_typed(mod):
    """``mod`` itself if every node of its Relay functions is typed, else
    ``InferType()(mod)``."""
    for _, func in mod.functions_items():
        if isinstance(func, Function) and _untyped(func):
            from .type_infer import InferType  # pylint: disable=import-outside-toplevel

            return InferType()(mod)
    return mod


def op_name(call):
    """The operator name of a call of a primitive operator, else ``None``."""
    if isinstance(call, Call) and isinstance(call.op, Op):
        return call.op.name
    return None


def use_counts(expr):
    """``{id(node): number of distinct parent nodes using it}`` over ``expr``,
    with the root counted as used once (by the outside world)."""
    counts = {id(expr): 1}
    for node in post_order(expr):
        for child in set(map(id, children(node))):
            counts[child] = counts.get(child, 0) + 1
    return counts


def _typed_function_transform(transform_function, typed, mod, ctx):
    if typed:
        mod = ensure_typed(mod)
    new_mod = mod.copy()
    for gvar, func in mod.functions_items():
        if isinstance(func, Function) and not func.is_primitive:
            new_mod[gvar] = keep_signature(func, transform_function(func, mod, ctx))
    return new_mod


def keep_signature(old, new):
    """``new`` with the declared return type of ``old`` when a rewrite dropped it.

    The optimisation passes keep a function's signature; 0.8 re-ran type
    inference after each function pass, so their results carry a ``ret_type``.
    Carrying it over gives the same result without a second inference."""
    if isinstance(new, Function) and new is not old and new.ret_type is None and old.ret_type is not None \
            and len(new.params) == len(old.params):
        new.ret_type = old.ret_type
    return new


class TypedFunctionPass(Pass):
    """A pass applied to each non-primitive Relay function of a module.

    ``transform_function(func, mod, ctx) -> func``; with ``typed`` (the
    default) it sees a module on which type inference has run (see
    :func:`ensure_typed`).
    """

    def __init__(self, opt_level, name, transform_function, typed=True):
        super().__init__(
            PassInfo(opt_level, name, []),
            functools.partial(_typed_function_transform, transform_function, typed),
        )


__all__ = [
    "children",
    "post_order",
    "ensure_typed",
    "op_name",
    "use_counts",
    "TypedFunctionPass",
]
