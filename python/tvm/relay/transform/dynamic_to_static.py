"""DynamicToStatic: 0.8's pass turning ``dyn.*`` operators whose shape arguments
are constants into their static forms.

``relay.reshape(x, relay.shape_of(y))`` builds ``dyn.reshape`` (its output type
has ``Any`` dimensions); when ``y``'s shape is static, ``shape_of(y)`` is a
constant and the call can be ``reshape(x, newshape=[...])``. The pass does this
for every dynamic operator of :mod:`tvm.relay.op.dyn`, as 0.8's did:

1. the calls are visited operands first, so a static result (``reshape``) makes
   the ``shape_of`` of a later call constant (four chained reshapes become static
   in one run);
2. each shape argument that is not yet a constant is type-inferred and folded on
   its own (``FoldConstant``: ``shape_of`` of a static tensor, arithmetic on
   constants); the call becomes static when all its shape arguments are constants,
   the other arguments are kept as they were;
3. an ``if`` whose condition folds to a constant is replaced by its branch (0.8's
   final ``FoldConstant`` did so), before anything is typed, so a program is accepted
   whatever the condition's dtype;
4. the function's return type is dropped, and the module is type-inferred, folded
   and type-inferred again (0.8's ``FoldConstant``/``InferType`` on the result).

A call whose shape arguments stay unknown is left dynamic.
"""
from ..analysis import free_vars
from ..expr import Call, Constant, If
from ..expr_functor import ExprMutator
from ..function import Function
from ..module import IRModule
from ..op.dyn import get_dyn_op
from ..op.op import Op
from .fold_constant import FoldConstant, fold_constant
from .pass_infra import ModulePass, PassInfo
from .type_infer import InferType


def _fold_alone(expr, mod):
    """``expr`` type-inferred and constant-folded on its own (its free variables
    become parameters). Returns the folded expression, or ``expr`` if it cannot be
    typed (e.g. it uses a variable whose type is only known in context)."""
    if isinstance(expr, Constant):
        return expr
    try:
        func = Function(free_vars(expr), expr)
        local = IRModule.from_expr(func, functions=_globals(mod))
        local = InferType()(local)
        return fold_constant(local["main"].body, local)
    except Exception:  # pylint: disable=broad-except
        return expr


def _globals(mod):
    if mod is None:
        return None
    out = {}
    for gvar, func in mod.functions_items():
        if gvar.name_hint != "main":
            out[gvar] = func
    return out or None


class _DynamicToStaticMutator(ExprMutator):
    def __init__(self, mod):
        super().__init__()
        self.mod = mod

    def visit_if(self, ite):
        cond = _fold_alone(self.visit(ite.cond), self.mod)
        if isinstance(cond, Constant) and cond.data.shape == ():
            return self.visit(ite.true_branch if bool(cond.numpy()) else ite.false_branch)
        return If(cond, self.visit(ite.true_branch), self.visit(ite.false_branch))

    def visit_call(self, call):
        new = super().visit_call(call)
        if not isinstance(new, Call) or not isinstance(new.op, Op):
            return new
        spec = get_dyn_op(new.op.name)
        if spec is None:
            return new
        values = {}
        for index in spec.shape_args:
            folded = _fold_alone(new.args[index], self.mod)
            if not isinstance(folded, Constant):
                return new
            values[index] = folded.numpy()
        static = spec.to_static(new.attrs, list(new.args), values)
        return static.astuple() if hasattr(static, "astuple") else static


def dynamic_to_static(func, mod=None):
    """``func`` with its dynamic operators made static where their shape arguments
    fold to constants (the rewrite of :func:`DynamicToStatic`, without the final
    type inference). The result has no declared return type."""
    body = _DynamicToStaticMutator(mod).visit(func.body)
    return Function(func.params, body, None, func.type_params, func.attrs)


def DynamicToStatic():  # pylint: disable=invalid-name
    """0.8's ``relay.transform.DynamicToStatic`` (opt_level 2, as 0.8); see the module docstring.

    Returns
    -------
    Pass
    """

    def transform(mod, ctx):
        del ctx
        new_mod = mod.copy()
        changed = False
        for gvar, func in mod.functions_items():
            if isinstance(func, Function) and not func.is_primitive:
                new_mod[gvar] = dynamic_to_static(func, mod)
                changed = True
        if not changed:
            return InferType()(new_mod)
        new_mod = InferType()(new_mod)
        new_mod = FoldConstant()(new_mod)
        return InferType()(new_mod)

    return ModulePass(PassInfo(2, "DynamicToStatic", []), transform)


__all__ = ["DynamicToStatic", "dynamic_to_static"]
