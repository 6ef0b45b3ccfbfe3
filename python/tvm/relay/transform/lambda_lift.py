"""LambdaLift: turn every local function into a global one (0.8's pass).

Each function literal inside a global function (not ``"Primitive"`` ones)
becomes a global named ``lifted_name<hash>`` (its structural hash, so equal
literals share one global):

* a literal without free variables is lifted as it is and replaced by its
  global;
* a literal that captures variables becomes a *closure constructor*: a global
  ``fn (captured...) { fn (params) { body } }`` with the ``"Closure"``
  attribute, whose captured parameters are fresh variables typed with the
  captured variables' types; the literal is replaced by a call of that global
  on the captured variables (which returns the closure);
* a let-bound recursive literal (``let %f = fn (...) { ... %f(...) ... }``)
  refers to itself through its global: its recursive calls become calls of
  the global (applied to the captured variables first when it has some).

Global functions themselves stay where they are. Types of captured
variables come from type inference (``InferType`` is run when something is
untyped). The program computes the same values: a closure built by the
constructor sees the same captured values the literal saw.
"""
from ..analysis import _nodes
from ..analysis.variables import free_type_vars, free_vars
from ..expr import Call, GlobalVar, Let, Var
from ..function import Function
from .. import ty as _ty
from .pass_infra import Pass, PassInfo


def _type_of(var):
    return var._checked_type_ if var._checked_type_ is not None else var.type_annotation  # pylint: disable=protected-access


def _function_type(func):
    """The declared type of a function literal, when all of it is declared."""
    if func.ret_type is None or any(p.type_annotation is None for p in func.params):
        ty = func._checked_type_  # pylint: disable=protected-access
        return ty if isinstance(ty, _ty.FuncType) else None
    return _ty.FuncType([p.type_annotation for p in func.params], func.ret_type, func.type_params)


def _lifted_name(func):
    from ..structural import structural_hash  # pylint: disable=import-outside-toplevel

    return "lifted_name" + str(structural_hash(func) & 0xFFFFFFFFFFFFFFFF)


class _LambdaLifter(_nodes.AnyNodeMutator):
    def __init__(self, mod):
        super().__init__()
        self.mod = mod
        self.nesting = 0
        self.letrec = []
        self.lambda_map = {}

    def visit_let(self, let):
        is_lambda = isinstance(let.value, Function) and not let.value.is_primitive
        if is_lambda:
            self.letrec.append(let.var)
        value = self.visit(let.value)
        if is_lambda:
            self.letrec.pop()
        body = self.visit(let.body)
        if value is let.value and body is let.body:
            return let
        return Let(let.var, value, body)

    def visit_call(self, call):
        new = super().visit_call(call)
        if isinstance(call.op, Var) and self.letrec and call.op is self.letrec[-1]:
            return Call(self.lambda_map[call.op], new.args, call.attrs, call.type_args)
        return new

    def visit_function(self, fn):
        if fn.is_primitive:
            return fn
        self.nesting += 1
        try:
            if self.nesting == 1:
                body = self.visit(fn.body)
                if body is fn.body:
                    return fn
                return Function(fn.params, body, fn.ret_type, fn.type_params, fn.attrs)
            return self._lift(fn)
        finally:
            self.nesting -= 1

    def _lift(self, fn):
        name = _lifted_name(fn)
        gvar = GlobalVar(name)
        recursive_var = self.letrec[-1] if self.letrec else None
        captured = [v for v in free_vars(fn) if v is not recursive_var]
        recursive = recursive_var is not None and recursive_var in free_vars(fn)
        type_params = free_type_vars(fn)
        fresh = [Var(v.name_hint, _type_of(v)) for v in captured]
        if recursive:
            self.lambda_map[recursive_var] = Call(gvar, captured) if captured else gvar
        body = self.visit(fn.body)
        if not captured and not type_params:
            lifted = Function(fn.params, body, fn.ret_type, fn.type_params, fn.attrs)
        else:
            inner = Function(fn.params, _nodes.substitute(body, dict(zip(captured, fresh))),
                             fn.ret_type, fn.type_params, fn.attrs)
            lifted = Function(fresh, inner, _function_type(fn), type_params, {"Closure": 1})
        if name in self.mod:
            from ..structural import structural_equal  # pylint: disable=import-outside-toplevel

            if not structural_equal(lifted, self.mod[name]):
                raise ValueError(f"LambdaLift: structural hash collision on {name}")
            gvar = self.mod.get_global_var(name)
        else:
            self.mod[gvar] = lifted
        return Call(gvar, captured) if captured else gvar


def lambda_lift(mod):
    """``mod`` with its local functions lifted to globals (a new module)."""
    from ._utils import ensure_typed  # pylint: disable=import-outside-toplevel

    mod = ensure_typed(mod).copy()
    for gvar, func in mod.functions_items():
        if isinstance(func, Function):
            new_func = _LambdaLifter(mod).visit(func)
            if new_func is not func:
                mod[gvar] = new_func
    return mod


def LambdaLift():  # pylint: disable=invalid-name
    """Lift local functions to global functions (0.8's
    ``relay.transform.LambdaLift``, opt_level 1); see the module docstring.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    return Pass(PassInfo(1, "LambdaLift", []), lambda mod, _ctx: lambda_lift(mod))


__all__ = ["LambdaLift", "lambda_lift"]
