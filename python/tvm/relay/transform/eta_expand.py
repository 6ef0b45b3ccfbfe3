"""EtaExpand: wrap global functions and constructors used as values in functions (0.8's pass).

``expand_global_var``: every global variable of a Relay function ``@g`` in
the module becomes ``fn (%p1, ..., %pn) { @g(%p1, ..., %pn) }``, with
parameters typed as ``@g``'s and ``@g``'s return type and type parameters.
As 0.8, this applies to a global in call position too (the call then applies
the wrapper, which computes the same value).

``expand_constructor``: a constructor not in call position becomes
``fn [A...](%p1: T1, ...) -> D[A...] { Con(%p1, ...) }`` whose type
parameters are fresh copies of its ADT's type variables (one fresh variable
per original one for the whole pass, as 0.8).

At least one of the two must be requested.
"""
from ..analysis import _nodes
from ..expr import Call, GlobalVar, Var
from ..function import Function
from .. import ty as _ty
from .pass_infra import Pass, PassInfo


class _TypeVarFresh:
    """Replace type variables by fresh ones (the same fresh one each time)."""

    def __init__(self):
        self.fresh = {}

    def __call__(self, ty):
        name = _nodes.kind(ty)
        if name == "TypeVar":
            if ty not in self.fresh:
                self.fresh[ty] = _ty.TypeVar("A", getattr(ty, "kind", 0))
            return self.fresh[ty]
        if name == "TupleType":
            return _ty.TupleType([self(f) for f in ty.fields])
        if name == "FuncType":
            return _ty.FuncType([self(a) for a in ty.arg_types], self(ty.ret_type),
                                [self(p) for p in ty.type_params],
                                list(getattr(ty, "type_constraints", ()) or ()))
        if name == "TypeCall":
            return type(ty)(ty.func, [self(a) for a in ty.args])
        if name == "RefType":
            return type(ty)(self(ty.value))
        return ty


class _EtaExpander(_nodes.AnyNodeMutator):
    def __init__(self, mod, expand_constructor, expand_global_var, fresh):
        super().__init__()
        self.mod = mod
        self.expand_constructor = expand_constructor
        self.expand_global_var = expand_global_var
        self.fresh = fresh

    def visit_call(self, call):
        op = call.op if _nodes.kind(call.op) == "Constructor" else self.visit(call.op)
        args = [self.visit(a) for a in call.args]
        if op is call.op and all(a is b for a, b in zip(args, call.args)):
            return call
        return Call(op, args, call.attrs, call.type_args, call.span)

    def visit_constructor(self, con):
        if not self.expand_constructor:
            return con
        from .. import module as _module  # pylint: disable=import-outside-toplevel

        params = [Var("eta_expand_param", self.fresh(t)) for t in con.inputs]
        data = _module.lookup_type_def(self.mod, con.belong_to)
        type_params = [self.fresh(v) for v in data.type_vars]
        ret_type = _ty.TypeCall(con.belong_to, type_params)
        return Function(params, Call(con, params), ret_type, type_params)

    def visit_global_var(self, gvar):
        if not self.expand_global_var or gvar.name_hint not in self.mod:
            return gvar
        func = self.mod[gvar.name_hint]
        if not isinstance(func, Function):
            return gvar
        params = [Var("eta_expand_param", p.type_annotation) for p in func.params]
        return Function(params, Call(gvar, params), func.ret_type, func.type_params)


def eta_expand(mod, expand_constructor=False, expand_global_var=False):
    """``mod`` with globals and/or constructors eta-expanded (a new module)."""
    if not (expand_constructor or expand_global_var):
        raise ValueError("EtaExpand must expand at least one language feature")
    new_mod = mod.copy()
    fresh = _TypeVarFresh()
    for gvar, func in mod.functions_items():
        if isinstance(func, Function):
            new_func = _EtaExpander(mod, expand_constructor, expand_global_var, fresh).visit(func)
            if new_func is not func:
                new_mod[gvar] = new_func
    return new_mod


def EtaExpand(expand_constructor=False, expand_global_var=False):  # pylint: disable=invalid-name
    """Eta-expand global variables and/or constructors (0.8's
    ``relay.transform.EtaExpand``, opt_level 1); see the module docstring.

    Parameters
    ----------
    expand_constructor : bool
        Expand constructors not in call position.
    expand_global_var : bool
        Expand global variables.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    if not (expand_constructor or expand_global_var):
        raise ValueError("EtaExpand must expand at least one language feature")
    return Pass(
        PassInfo(1, "EtaExpand", []),
        lambda mod, _ctx: eta_expand(mod, expand_constructor, expand_global_var),
    )


__all__ = ["EtaExpand", "eta_expand"]
