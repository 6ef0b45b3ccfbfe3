"""FoldConstant: evaluate the parts of a program that depend only on constants.

A call of an operator whose arguments are all constants (or tuples of
constants) is evaluated once, at compile time, by the NumPy reference
interpreter (:func:`tvm.relay.reference.eval_expr`) and replaced by its value.
Folding is bottom-up, so whole constant subtrees collapse: after parameters are
bound, ``SimplifyInference``'s ``gamma / sqrt(var + eps)`` becomes one constant.

``relay.build`` runs this pass, so the reference interpreter is part of the
compiler path: in a built module, folded constants are computed by the
reference kernels of :mod:`tvm.relay.reference.ops` and everything else by the
compiled TOPI kernels. The tests check the two implementations against each
other.

Also, as upstream: ``shape_of`` / ``ndarray_size`` of a tensor with a static
shape become constants; ``let x = <constant>`` is substituted into its body;
``(a, b, ...)[i]`` of an explicit tuple becomes its field.

Not folded: operators marked ``TNonComputational``, annotation / device /
memory / VM operators, random number generators, ``dropout``, calls without
arguments (``zeros``/``ones`` stay cheap to rebuild, as upstream) and the
inside of ``"Primitive"`` functions (already fused kernels). A call the
interpreter cannot evaluate is left as it is, with a warning naming the op.
"""
import logging

import numpy as np

from ..expr import Call, Constant, Tuple
from ..expr_functor import ExprMutator
from ..function import Function
from ..module import IRModule
from ..op.op import Op
from ._utils import TypedFunctionPass

logger = logging.getLogger("relay")

_NEVER_FOLD = frozenset(
    {
        "annotation.stop_fusion",
        "on_device",
        "device_copy",
        "nn.dropout",
    }
)
_NEVER_FOLD_PREFIXES = ("annotation.", "memory.", "vm.", "random.", "qnn.")

_warned_ops = set()


def _foldable_op(op):
    name = op.name
    if name in _NEVER_FOLD or name.startswith(_NEVER_FOLD_PREFIXES):
        return False
    return not op.get_attr("TNonComputational")


def _is_constant(expr):
    if isinstance(expr, Constant):
        return True
    if isinstance(expr, Tuple):
        return all(_is_constant(f) for f in expr.fields)
    return False


def _to_expr(value):
    if isinstance(value, tuple):
        return Tuple([_to_expr(v) for v in value])
    return Constant(np.asarray(value))


def _static_shape(expr):
    ty = expr._checked_type_
    if ty is None or not hasattr(ty, "shape") or ty.is_dynamic():
        return None
    return tuple(int(d) for d in ty.shape)


class ConstantFolder(ExprMutator):
    """The rewriting behind :func:`FoldConstant`."""

    def __init__(self, mod=None):
        super().__init__()
        if mod is not None and not isinstance(mod, IRModule):
            # Upstream scripts pass ``tvm.IRModule()`` (the base's module class);
            # an empty one carries nothing the evaluation could need.
            if len(getattr(mod, "functions", {})) != 0:
                raise TypeError(
                    f"FoldConstant needs a relay IRModule for global functions, got {type(mod).__name__}"
                )
            mod = None
        self.mod = mod
        self.let_values = {}

    def visit_function(self, fn):
        if fn.is_primitive:
            return fn
        return super().visit_function(fn)

    def visit_var(self, var):
        return self.let_values.get(var, var)

    def visit_let(self, let):
        value = self.visit(let.value)
        if isinstance(value, Constant):
            self.let_values[let.var] = value
            return self.visit(let.body)
        return super().visit_let(let)

    def visit_if(self, ite):
        """An ``if`` on a constant condition is the branch it takes (as 0.8)."""
        cond = self.visit(ite.cond)
        if isinstance(cond, Constant) and cond.data.shape == ():
            return self.visit(ite.true_branch if bool(cond.numpy()) else ite.false_branch)
        return super().visit_if(ite)

    def visit_tuple_getitem(self, op):
        new = super().visit_tuple_getitem(op)
        if isinstance(new.tuple_value, Tuple):
            return new.tuple_value.fields[new.index]
        return new

    def visit_call(self, call):
        new = super().visit_call(call)
        if not isinstance(call.op, Op) or not isinstance(new, Call):
            return new
        name = call.op.name
        if name in ("shape_of", "ndarray_size"):
            shape = _static_shape(call.args[0])
            if shape is not None:
                dtype = call.attrs.get("dtype", "int32") if call.attrs is not None else "int32"
                value = shape if name == "shape_of" else int(np.prod(shape, dtype="int64"))
                return Constant(np.array(value, dtype=str(dtype)))
        if not new.args or not _foldable_op(call.op):
            return new
        if not all(_is_constant(a) for a in new.args):
            return new
        return self._evaluate(new, name)

    def _evaluate(self, call, name):
        from ..reference import eval_expr  # pylint: disable=import-outside-toplevel

        try:
            value = eval_expr(call, self.mod)
        except Exception as err:  # pylint: disable=broad-except
            # Folding is an optimisation: keep the call if it cannot be
            # evaluated, and say so once per operator.
            if name not in _warned_ops:
                _warned_ops.add(name)
                logger.warning("FoldConstant: cannot evaluate %s, left unfolded: %s", name, err)
            return call
        return _to_expr(value)


def fold_constant(expr, mod=None):
    """``expr`` with its constant subexpressions evaluated (upstream ``relay.transform.fold_constant``)."""
    return ConstantFolder(mod).visit(expr)


def FoldConstantExpr(expr, mod=None):  # pylint: disable=invalid-name
    """Fold the constants of one expression (upstream ``relay.transform.FoldConstantExpr``)."""
    return fold_constant(expr, mod)


def FoldConstant(fold_qnn=False):  # pylint: disable=invalid-name
    """Fold constant subexpressions (upstream ``relay.transform.FoldConstant``, ``opt_level`` 2).

    Parameters
    ----------
    fold_qnn : bool
        Accepted for API compatibility; QNN operators are never folded here.

    Returns
    -------
    Pass
    """
    del fold_qnn

    def transform_function(func, mod, _ctx):
        result = ConstantFolder(mod).visit(func)
        if not isinstance(result, Function):
            raise TypeError("FoldConstant: a function did not stay a function")
        return result

    return TypedFunctionPass(2, "FoldConstant", transform_function)


__all__ = ["FoldConstant", "FoldConstantExpr", "fold_constant", "ConstantFolder"]
