"""LazyGradientInit: tensors of ones and zeros made lazily (0.8's pass).

Meant to run after ``relay.transform.gradient``: a gradient program fills many
tensors with 0 or 1 (the initial gradients, the seed of back-propagation) and
then adds or multiplies them. This pass computes every tensor value of a
function as a ``GradCell[T]``, an ADT it adds to the module::

    type GradCell[T] { Raw(T), One(fn() -> T), Zero(fn() -> T) }

``ones``/``ones_like`` become ``One(fn() {...})`` and ``zeros``/``zeros_like``
``Zero(fn() {...})``: the tensor is only made if something needs its values
(``@FromGradCell``). ``add`` and ``multiply`` of two operands of the same type
become ``@AddGradCell`` / ``@MultiplyGradCell``, which skip the computation
when an operand is a known zero (``x + 0 = x``, ``x * 0 = 0``) or one
(``x * 1 = x``); every other operator gets its operands' tensors and its result
is ``Raw``. The function keeps its signature (tensors and tuples of tensors in
and out): its parameters are wrapped in ``Raw`` and its result unwrapped.

Functions of the module whose parameters or result are not tensors/tuples of
tensors, polymorphic functions and the ``GradCell`` helpers are left alone.
0.8 made ``zeros_like`` a ``One`` cell (a slip: multiplying by it then kept the
other operand); here it is ``Zero``.
"""
from ..adt import Clause, Constructor, Match, PatternConstructor, PatternTuple, PatternVar, PatternWildcard
from ..expr import Call, Constant, GlobalVar, If, Let, Tuple, TupleGetItem, Var
from ..expr_functor import ExprMutator
from ..function import Function
from ..op.op import Op
from ..ty import FuncType, GlobalTypeVar, RefType, TensorType, TupleType, TypeCall, TypeData, TypeVar
from .pass_infra import ModulePass, PassInfo

_HELPERS = ("FromGradCell", "AddGradCell", "MultiplyGradCell")


class _GradCell:
    """The GradCell ADT and its helper globals in one module (added once)."""

    def __init__(self, mod):
        names = {g.name_hint: g for g in mod.get_global_type_vars()}
        if "GradCell" in names:
            data = mod[names["GradCell"]]
            self.gtv = names["GradCell"]
            self.raw, self.one, self.zero = (
                {c.name_hint: c for c in data.constructors}[n] for n in ("Raw", "One", "Zero")
            )
            self.from_cell = mod.get_global_var("FromGradCell")
            self.add = mod.get_global_var("AddGradCell")
            self.multiply = mod.get_global_var("MultiplyGradCell")
            return
        self.gtv = GlobalTypeVar("GradCell")
        t = TypeVar("T")
        thunk = FuncType([], t)
        self.raw = Constructor("Raw", [t], self.gtv)
        self.one = Constructor("One", [thunk], self.gtv)
        self.zero = Constructor("Zero", [thunk], self.gtv)
        mod[self.gtv] = TypeData(self.gtv, [t], [self.raw, self.one, self.zero])
        self.from_cell = GlobalVar("FromGradCell")
        self.add = GlobalVar("AddGradCell")
        self.multiply = GlobalVar("MultiplyGradCell")

        # FromGradCell[T](g) = match g { Raw(x) => x, One(f) => f(), Zero(f) => f() }
        t1 = TypeVar("T")
        g = Var("g", TypeCall(self.gtv, [t1]))
        x, f1, f2 = Var("x"), Var("f"), Var("f")
        mod[self.from_cell] = Function([g], Match(g, [
            Clause(PatternConstructor(self.raw, [PatternVar(x)]), x),
            Clause(PatternConstructor(self.one, [PatternVar(f1)]), Call(f1, [])),
            Clause(PatternConstructor(self.zero, [PatternVar(f2)]), Call(f2, [])),
        ]), t1, [t1])

        mod[self.add] = self._binary(
            "add",
            lambda l, r, pw: [
                Clause(PatternTuple([PatternConstructor(self.zero, [pw()]), pw()]), r),
                Clause(PatternTuple([pw(), PatternConstructor(self.zero, [pw()])]), l),
            ],
        )
        mod[self.multiply] = self._binary(
            "multiply",
            lambda l, r, pw: [
                Clause(PatternTuple([PatternConstructor(self.zero, [pw()]), pw()]), l),
                Clause(PatternTuple([pw(), PatternConstructor(self.zero, [pw()])]), r),
                Clause(PatternTuple([PatternConstructor(self.one, [pw()]), pw()]), r),
                Clause(PatternTuple([pw(), PatternConstructor(self.one, [pw()])]), l),
            ],
        )

    def _binary(self, name, special_cases):
        """``fn[T](%fallback: fn(T, T) -> T, %l, %r) -> GradCell[T]`` with the shortcuts
        of ``special_cases`` and otherwise ``Raw(%fallback(FromGradCell(l), FromGradCell(r)))``."""
        t = TypeVar("T")
        cell = TypeCall(self.gtv, [t])
        fallback = Var(name, FuncType([t, t], t))
        l, r = Var("l", cell), Var("r", cell)
        clauses = special_cases(l, r, PatternWildcard)
        clauses.append(Clause(PatternWildcard(), Call(self.raw, [
            Call(fallback, [Call(self.from_cell, [l]), Call(self.from_cell, [r])])
        ])))
        return Function([fallback, l, r], Match(Tuple([l, r]), clauses), cell, [t])


def _signature_is_tensors(func):
    def ok(ty):
        if isinstance(ty, TensorType):
            return True
        if isinstance(ty, TupleType):
            return all(ok(f) for f in ty.fields)
        return False

    ftype = func._checked_type_  # pylint: disable=protected-access
    if not isinstance(ftype, FuncType) or func.type_params:
        return False
    return all(ok(t) for t in ftype.arg_types) and ok(ftype.ret_type)


class _LazyInit(ExprMutator):
    """Tensors to GradCells inside one function."""

    def __init__(self, cells):
        super().__init__()
        self.cells = cells
        self.vars = {}

    # -- types
    def cell_type(self, ty):
        if isinstance(ty, TensorType):
            return TypeCall(self.cells.gtv, [ty])
        if isinstance(ty, TupleType):
            return TupleType([self.cell_type(f) for f in ty.fields])
        if isinstance(ty, FuncType):
            return FuncType([self.cell_type(a) for a in ty.arg_types], self.cell_type(ty.ret_type),
                            ty.type_params, ty.type_constraints)
        if isinstance(ty, RefType):
            return RefType(self.cell_type(ty.value))
        return ty

    # -- wrapping values
    def wrap(self, expr, ty, bindings):
        """``expr`` of type ``ty`` (tensors) as GradCells (``Raw``)."""
        if isinstance(ty, TensorType):
            return Call(self.cells.raw, [expr])
        if isinstance(ty, TupleType):
            var = Var("t")
            bindings.append((var, expr))
            return Tuple([self.wrap(TupleGetItem(var, i), f, bindings) for i, f in enumerate(ty.fields)])
        return expr

    def unwrap(self, expr, ty, bindings):
        """``expr`` holding GradCells for a value of type ``ty``: the tensors."""
        if isinstance(ty, TensorType):
            return Call(self.cells.from_cell, [expr])
        if isinstance(ty, TupleType):
            var = Var("t")
            bindings.append((var, expr))
            return Tuple([self.unwrap(TupleGetItem(var, i), f, bindings) for i, f in enumerate(ty.fields)])
        return expr

    @staticmethod
    def let_all(bindings, body):
        for var, value in reversed(bindings):
            body = Let(var, value, body)
        return body

    # -- expressions
    def visit(self, expr):
        if isinstance(expr, Constant):  # every use of a constant is its own Raw cell
            return Call(self.cells.raw, [expr])
        return super().visit(expr)

    def visit_var(self, var):
        new = self.vars.get(var)
        if new is None:
            new = var
            if var.type_annotation is not None:
                new = Var(var.name_hint, self.cell_type(var.type_annotation))
            self.vars[var] = new
        return new

    def visit_function(self, fn):
        if fn.is_primitive:
            return fn
        params = [self.visit(p) for p in fn.params]
        ret = self.cell_type(fn.ret_type) if fn.ret_type is not None else None
        return Function(params, self.visit(fn.body), ret, fn.type_params, fn.attrs)

    def visit_let(self, let):
        return Let(self.visit(let.var), self.visit(let.value), self.visit(let.body))

    def visit_if(self, ite):
        bindings = []
        cond = self.unwrap(self.visit(ite.cond), self._type(ite.cond), bindings)
        return self.let_all(bindings, If(cond, self.visit(ite.true_branch), self.visit(ite.false_branch)))

    def visit_match(self, match):
        def pattern(p):
            if isinstance(p, PatternVar):
                return PatternVar(self.visit(p.var))
            if isinstance(p, PatternConstructor):
                return PatternConstructor(p.constructor, [pattern(s) for s in p.patterns])
            if isinstance(p, PatternTuple):
                return PatternTuple([pattern(s) for s in p.patterns])
            return p

        return Match(self.visit(match.data),
                     [Clause(pattern(c.lhs), self.visit(c.rhs)) for c in match.clauses], match.complete)

    @staticmethod
    def _type(expr):
        ty = expr._checked_type_  # pylint: disable=protected-access
        if ty is None:
            raise ValueError("LazyGradientInit: run relay.transform.InferType first")
        return ty

    def _operands(self, call, bindings):
        return [self.unwrap(self.visit(a), self._type(a), bindings) for a in call.args]

    def visit_call(self, call):
        op = call.op
        if not isinstance(op, Op):
            return super().visit_call(call)
        name = op.name
        out_type = self._type(call)
        bindings = []
        if name in ("add", "multiply") and len(call.args) == 2:
            lhs_t, rhs_t = self._type(call.args[0]), self._type(call.args[1])
            from ..structural import structural_equal  # pylint: disable=import-outside-toplevel

            if isinstance(lhs_t, TensorType) and structural_equal(lhs_t, rhs_t) and structural_equal(
                lhs_t, out_type
            ):
                a, b = Var("lhs", lhs_t), Var("rhs", lhs_t)
                fallback = Function([a, b], Call(op, [a, b], call.attrs), lhs_t)
                helper = self.cells.add if name == "add" else self.cells.multiply
                return Call(helper, [fallback, self.visit(call.args[0]), self.visit(call.args[1])])
        if name in ("ones", "zeros", "ones_like", "zeros_like") and isinstance(out_type, TensorType):
            # the operand cells are bound outside the thunk, so that the thunk does
            # not recompute them (the input may be a dataflow graph)
            operands = []
            for arg in call.args:
                cell = Var("cell")
                bindings.append((cell, self.visit(arg)))
                operands.append(self.unwrap(cell, self._type(arg), inner := []))
                operands[-1] = self.let_all(inner, operands[-1])
            thunk = Function([], Call(op, operands, call.attrs, call.type_args), out_type)
            con = self.cells.one if name.startswith("ones") else self.cells.zero
            return self.let_all(bindings, Call(con, [thunk]))
        result = Call(op, self._operands(call, bindings), call.attrs, call.type_args)
        return self.let_all(bindings, self._wrapped(result, out_type))

    def _wrapped(self, result, out_type):
        bindings = []
        wrapped = self.wrap(result, out_type, bindings)
        return self.let_all(bindings, wrapped)


def lazy_gradient_init(func, mod):
    """``func`` computing its tensors as GradCells of ``mod`` (see the module docstring)."""
    cells = _GradCell(mod)
    mutator = _LazyInit(cells)
    inner_params = [mutator.visit(p) for p in func.params]
    body = mutator.visit(func.body)
    bindings = []
    for param, inner in zip(func.params, inner_params):
        bindings.append((inner, mutator.wrap(param, param.checked_type, bindings)))
    result = Var("result")
    bindings.append((result, body))
    out = mutator.unwrap(result, func.checked_type.ret_type, bindings)
    return Function(func.params, mutator.let_all(bindings, out), func.ret_type, [], func.attrs)


def _transform_module(mod):
    from .type_infer import InferType  # pylint: disable=import-outside-toplevel

    mod = InferType()(mod)
    new_mod = mod.copy()
    targets = [
        (gvar, func) for gvar, func in mod.functions_items()
        if isinstance(func, Function) and not func.is_primitive and gvar.name_hint not in _HELPERS
        and _signature_is_tensors(func)
    ]
    for gvar, func in targets:
        new_mod[gvar] = lazy_gradient_init(func, new_mod)
    # typed, as 0.8's function passes left their result
    return InferType()(new_mod)


def LazyGradientInit():  # pylint: disable=invalid-name
    """Make tensors of ones and zeros lazily and skip additions of zeros and
    multiplications by zeros and ones (0.8's ``relay.transform.LazyGradientInit``,
    ``opt_level`` 2); run after ``relay.transform.gradient``.

    Returns
    -------
    Pass
    """
    return ModulePass(PassInfo(2, "LazyGradientInit"), lambda mod, _ctx: _transform_module(mod))


__all__ = ["LazyGradientInit", "lazy_gradient_init"]
