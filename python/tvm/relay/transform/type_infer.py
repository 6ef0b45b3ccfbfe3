"""Type inference: ``relay.transform.InferType()``.

The inferencer walks each function of a module once, bottom-up, computing the
type of every expression:

* an operator call applies the op's type relation (``"FInferType"``, see
  :mod:`tvm.relay.op.type_relations`) to its argument types; a relation may
  deduce the type of an argument that is a variable declared without a type
  (``relay.var("fc1_weight")`` under ``nn.dense(..., units=10)``);
* a variable without annotation starts as an :class:`IncompleteType`; once a
  relation or a call deduces it, the solution is recorded and every use of the
  variable sees it;
* calls of functions (global, local, or a function literal such as a fused
  ``Primitive`` function) unify argument types with parameter types; the
  parameters of a function literal called directly take the types of the
  arguments when they have no annotation;
* ``Let``, ``If`` (the condition is a bool scalar, the branches must agree),
  ``Tuple`` and ``TupleGetItem`` follow their usual rules.

Results are written into each node's ``checked_type`` (nodes are annotated in
place: they are immutable otherwise, so an expression shared by several
modules gets the same types). A variable declared without a type gets the
deduced type as its ``type_annotation`` too, as upstream's InferType does, so
passes that later rewrite its uses keep its type. The pass returns a new
module holding the typed functions. Errors raise :class:`~tvm.relay.op.type_relations.RelayTypeError`
(a ``tvm.error.DiagnosticError`` and a ``ValueError``) naming the op and the
shapes or dtypes involved.

Polymorphism, ADTs and references (0.8's higher-order Relay):

* a function with ``type_params`` (``fn [A](%x: A) -> A``) and a constructor of
  an ADT with type variables have polymorphic types; each use is instantiated
  with fresh incomplete types (at a call, or where the polymorphic value meets
  a monomorphic function type), so ``@map`` can be used at different types in
  one program. Inside its own body a type parameter is rigid: it equals only
  itself;
* a global function may call itself (and other globals may call each other)
  before its type is known: its parameter and return types start as the
  annotations or as incomplete types that the body then solves; a let-bound
  function may call itself the same way;
* ``Match`` checks every pattern against the matched value's type, binds the
  pattern variables and unifies the clauses' types; a constructor's type comes
  from its definition in the module (``IRModule.add_def``);
* ``RefCreate`` / ``RefRead`` / ``RefWrite`` have ``RefType``; a write is ``()``.

Parameters of a function whose types can be deduced only from a later call,
when the body needs them first (an op's type relation over an unknown
argument), still need annotations.
"""
from ..adt import Constructor, Match, PatternConstructor, PatternTuple, PatternVar, PatternWildcard
from ..attrs import DictAttrs
from ..expr import (
    Call,
    Constant,
    GlobalVar,
    If,
    Let,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
)
from ..function import Function
from ..module import IRModule
from ..op.op import Op
from ..op.type_relations import RelationError, RelayTypeError, shape_str
from ..ty import (
    FuncType,
    GlobalTypeVar,
    IncompleteType,
    RefType,
    TensorType,
    TupleType,
    Type,
    TypeCall,
    TypeVar,
    is_complete,
    subst_type,
)
from .pass_infra import module_pass

__all__ = ["InferType", "InferTypeLocal", "infer_type", "TypeSolver"]


def _type_str(ty):
    if isinstance(ty, TensorType):
        return f"Tensor[{shape_str(ty.shape)}, {ty.dtype}]"
    return str(ty)


def _name(expr):
    if isinstance(expr, Var | GlobalVar):
        return repr(expr.name_hint)
    if isinstance(expr, Function):
        return "a local function"
    return type(expr).__name__


class _Inferencer:
    def __init__(self, mod=None):
        self.mod = mod
        self.memo = {}  # id(expr) -> (expr, type)
        self.var_types = {}  # Var -> type
        self.solution = {}  # IncompleteType -> type
        self.global_types = {}  # name -> FuncType
        self.in_progress = set()
        self.dispatch = {
            Call: self.visit_call,
            Var: self.visit_var,
            Constant: self.visit_constant,
            Tuple: self.visit_tuple,
            TupleGetItem: self.visit_tuple_getitem,
            Function: self.visit_function,
            Let: self.visit_let,
            If: self.visit_if,
            GlobalVar: self.visit_global_var,
            Match: self.visit_match,
            Constructor: self.visit_constructor,
            RefCreate: self.visit_ref_create,
            RefRead: self.visit_ref_read,
            RefWrite: self.visit_ref_write,
        }
        self.provisional = {}  # global name -> FuncType assumed while its body is inferred
        self.call_type_args = {}  # id(call) -> (call, [type]): 0.8's Call.type_args

    # -- solutions -------------------------------------------------------------

    def resolve(self, ty):
        """``ty`` with every solved :class:`IncompleteType` replaced."""
        while isinstance(ty, IncompleteType):
            solved = self.solution.get(ty)
            if solved is None:
                return ty
            ty = solved
        if isinstance(ty, TupleType):
            fields = [self.resolve(f) for f in ty.fields]
            if any(a is not b for a, b in zip(fields, ty.fields)):
                return TupleType(fields)
        elif isinstance(ty, FuncType):
            args = [self.resolve(a) for a in ty.arg_types]
            ret = self.resolve(ty.ret_type)
            if ret is not ty.ret_type or any(a is not b for a, b in zip(args, ty.arg_types)):
                return FuncType(args, ret, ty.type_params, ty.type_constraints)
        elif isinstance(ty, TypeCall):
            args = [self.resolve(a) for a in ty.args]
            if any(a is not b for a, b in zip(args, ty.args)):
                return TypeCall(ty.func, args)
        elif isinstance(ty, RefType):
            value = self.resolve(ty.value)
            if value is not ty.value:
                return RefType(value)
        elif isinstance(ty, GlobalTypeVar):
            # ``nat`` written without brackets is ``nat[]``.
            return TypeCall(ty, ())
        return ty

    @staticmethod
    def instantiate(ty, call=None, record=None):
        """A polymorphic function type with fresh incomplete types for its type
        parameters (monomorphic types unchanged); with ``call``, the fresh types
        are recorded as the call's type arguments."""
        if not isinstance(ty, FuncType) or not ty.type_params:
            return ty
        fresh = {tv: IncompleteType(tv.kind) for tv in ty.type_params}
        if call is not None:
            record[id(call)] = (call, list(fresh.values()))
        return FuncType(
            [subst_type(a, fresh) for a in ty.arg_types], subst_type(ty.ret_type, fresh)
        )

    def occurs(self, hole, ty):
        """True if the incomplete type ``hole`` occurs inside ``ty`` (resolved)."""
        ty = self.resolve(ty)
        if ty is hole:
            return True
        if isinstance(ty, TupleType):
            return any(self.occurs(hole, f) for f in ty.fields)
        if isinstance(ty, FuncType):
            return any(self.occurs(hole, a) for a in ty.arg_types) or self.occurs(hole, ty.ret_type)
        if isinstance(ty, TypeCall):
            return any(self.occurs(hole, a) for a in ty.args)
        if isinstance(ty, RefType):
            return self.occurs(hole, ty.value)
        return False

    def solve(self, hole, ty, where):
        if self.occurs(hole, ty):
            raise RelayTypeError(f"{where}: a type cannot contain itself ({_type_str(ty)})")
        self.solution[hole] = ty
        return ty

    def unify(self, expected, actual, where):
        """Check ``actual`` against ``expected``, solving incomplete types; return the result."""
        expected, actual = self.resolve(expected), self.resolve(actual)
        if expected is actual:
            return expected
        if isinstance(expected, IncompleteType):
            return self.solve(expected, actual, where)
        if isinstance(actual, IncompleteType):
            return self.solve(actual, expected, where)
        if isinstance(expected, FuncType) and isinstance(actual, FuncType):
            if bool(expected.type_params) != bool(actual.type_params):
                # A polymorphic function used where a monomorphic one is expected
                # (``@id`` passed to ``@map``): this use is an instance of it.
                expected, actual = self.instantiate(expected), self.instantiate(actual)
            elif expected.type_params:
                if len(expected.type_params) != len(actual.type_params):
                    raise RelayTypeError(
                        f"{where}: polymorphic functions with {len(expected.type_params)} and "
                        f"{len(actual.type_params)} type parameters"
                    )
                renaming = dict(zip(actual.type_params, expected.type_params))
                actual = FuncType(
                    [subst_type(a, renaming) for a in actual.arg_types],
                    subst_type(actual.ret_type, renaming),
                )
                unified = self.unify(
                    FuncType(expected.arg_types, expected.ret_type), actual, where
                )
                # still polymorphic: later uses instantiate it
                return FuncType(unified.arg_types, unified.ret_type, expected.type_params)
        if isinstance(expected, TypeVar) or isinstance(actual, TypeVar):
            raise RelayTypeError(
                f"{where}: expected {_type_str(expected)}, got {_type_str(actual)} "
                "(a type parameter equals only itself)"
            )
        if isinstance(expected, TypeCall) and isinstance(actual, TypeCall):
            if expected.func != actual.func:
                raise RelayTypeError(
                    f"{where}: expected {_type_str(expected)}, got {_type_str(actual)}"
                )
            if len(expected.args) != len(actual.args):
                raise RelayTypeError(
                    f"{where}: {_type_str(expected)} and {_type_str(actual)} have different "
                    "numbers of type arguments"
                )
            return TypeCall(expected.func, [
                self.unify(e, a, f"{where}, type argument {i} of {expected.func.name_hint}")
                for i, (e, a) in enumerate(zip(expected.args, actual.args))
            ])
        if isinstance(expected, RefType) and isinstance(actual, RefType):
            return RefType(self.unify(expected.value, actual.value, f"{where}, referenced value"))
        if isinstance(expected, TensorType) and isinstance(actual, TensorType):
            if expected.dtype != actual.dtype:
                raise RelayTypeError(
                    f"{where}: dtype mismatch: expected {expected.dtype}, got {actual.dtype} "
                    f"({_type_str(expected)} vs {_type_str(actual)})"
                )
            if len(expected.shape) != len(actual.shape) or not all(
                _dim_ok(a, b) for a, b in zip(expected.shape, actual.shape)
            ):
                raise RelayTypeError(
                    f"{where}: shape mismatch: expected {shape_str(expected.shape)}, "
                    f"got {shape_str(actual.shape)}"
                )
            return expected
        if isinstance(expected, TupleType) and isinstance(actual, TupleType):
            if len(expected.fields) != len(actual.fields):
                raise RelayTypeError(
                    f"{where}: expected a tuple of {len(expected.fields)} fields, got "
                    f"{len(actual.fields)}"
                )
            return TupleType(
                [self.unify(e, a, f"{where}, field {i}")
                 for i, (e, a) in enumerate(zip(expected.fields, actual.fields))]
            )
        if isinstance(expected, FuncType) and isinstance(actual, FuncType):
            if len(expected.arg_types) != len(actual.arg_types):
                raise RelayTypeError(f"{where}: functions of different arity")
            args = [self.unify(e, a, f"{where}, parameter {i}")
                    for i, (e, a) in enumerate(zip(expected.arg_types, actual.arg_types))]
            return FuncType(args, self.unify(expected.ret_type, actual.ret_type, f"{where}, result"))
        raise RelayTypeError(f"{where}: expected {_type_str(expected)}, got {_type_str(actual)}")

    # -- visiting --------------------------------------------------------------

    def visit(self, expr):
        found = self.memo.get(id(expr))
        if found is not None:
            return found[1]
        handler = self.dispatch.get(type(expr))
        if handler is None:
            handler = self._fallback(expr)
        ty = handler(expr)
        self.memo[id(expr)] = (expr, ty)
        return ty

    def _fallback(self, expr):
        for cls, handler in self.dispatch.items():
            if isinstance(expr, cls):
                return handler
        if isinstance(expr, Op):
            raise RelayTypeError(
                f"operator {expr.name} is used as a value; only calls of operators are supported"
            )
        raise RelayTypeError(f"cannot infer the type of {type(expr).__name__}: {expr!r}")

    def visit_constant(self, const):
        return const._checked_type_ or TensorType(const.numpy().shape, str(const.numpy().dtype))

    def visit_var(self, var):
        ty = self.var_types.get(var)
        if ty is None:
            ty = var.type_annotation if var.type_annotation is not None else IncompleteType()
            self.var_types[var] = ty
        return ty

    def visit_global_var(self, gvar):
        name = gvar.name_hint
        ty = self.global_types.get(name)
        if ty is not None:
            return ty
        if self.mod is None or name not in self.mod:
            raise RelayTypeError(f"global function @{name} is not defined in the module")
        func = self.mod[name]
        if not isinstance(func, Function):
            raise RelayTypeError(f"@{name} is not a relay function and cannot be called here")
        if name in self.in_progress:
            # A recursive reference: the type assumed while the body is inferred.
            return self.provisional[name]
        return self.infer_global(name)

    def infer_global(self, name):
        ty = self.global_types.get(name)
        if ty is None:
            func = self.mod[name]
            provisional = None
            if isinstance(func, Function):
                param_types = []
                for param in func.params:
                    pty = self.var_types.get(param)
                    if pty is None:
                        pty = param.type_annotation or IncompleteType()
                        self.var_types[param] = pty
                    param_types.append(pty)
                ret = func.ret_type if func.ret_type is not None else IncompleteType()
                provisional = FuncType(param_types, ret, func.type_params)
                self.provisional[name] = provisional
            self.in_progress.add(name)
            try:
                ty = self.visit(func)
            finally:
                self.in_progress.discard(name)
            if provisional is not None:
                self.unify(
                    FuncType(provisional.arg_types, provisional.ret_type),
                    FuncType(ty.arg_types, ty.ret_type),
                    f"recursive uses of @{name}",
                )
                ty = self.resolve(ty)
            self.global_types[name] = ty
        return ty

    def visit_function(self, fn):
        param_types = []
        for param in fn.params:
            ty = self.var_types.get(param)
            if ty is None:
                ty = param.type_annotation if param.type_annotation is not None else IncompleteType()
                self.var_types[param] = ty
            elif param.type_annotation is not None:
                ty = self.unify(param.type_annotation, ty, f"parameter {param.name_hint!r}")
            self.memo[id(param)] = (param, ty)  # typed even if the body never uses it
            param_types.append(ty)
        body = self.visit(fn.body)
        if fn.ret_type is not None:
            body = self.unify(fn.ret_type, body, "the function's declared return type")
        return FuncType(param_types, body, fn.type_params)

    def visit_call(self, call):
        op = call.op
        if isinstance(op, Op):
            return self.call_op(op, call)
        if isinstance(op, Function) and id(op) not in self.memo:
            # A function literal called in place (a fused kernel): its untyped
            # parameters take the argument types before the body is inferred.
            arg_types = [self.visit(a) for a in call.args]
            if len(arg_types) == len(op.params):
                for param, ty in zip(op.params, arg_types):
                    if param.type_annotation is None and param not in self.var_types:
                        self.var_types[param] = self.resolve(ty)
        fn_type = self.resolve(self.visit(op))
        if isinstance(fn_type, IncompleteType):
            # A function not typed yet (a let-bound function calling itself, a
            # parameter that is called): it takes the arguments' types.
            fn_type = self.solve(
                fn_type,
                FuncType([IncompleteType() for _ in call.args], IncompleteType()),
                f"call of {_name(op)}",
            )
        fn_type = self.instantiate(fn_type, call, self.call_type_args)
        if not isinstance(fn_type, FuncType):
            raise RelayTypeError(f"{_name(op)} is called but has type {_type_str(fn_type)}")
        if len(fn_type.arg_types) != len(call.args):
            raise RelayTypeError(
                f"call of {_name(op)}: expects {len(fn_type.arg_types)} arguments, "
                f"got {len(call.args)}"
            )
        for i, (param_ty, arg) in enumerate(zip(fn_type.arg_types, call.args)):
            self.unify(param_ty, self.visit(arg), f"call of {_name(op)}, argument {i}")
        return self.resolve(fn_type.ret_type)

    def call_op(self, op, call):
        arg_types = [self.resolve(self.visit(a)) for a in call.args]
        if op.num_inputs >= 0 and len(arg_types) != op.num_inputs:
            raise RelayTypeError(
                f"{op.name}: expects {op.num_inputs} arguments, got {len(arg_types)}"
            )
        rel = op.get_attr("FInferType")
        if rel is None:
            raise RelayTypeError(f"{op.name}: the operator has no type relation")
        attrs = call.attrs
        if attrs is None and op.attrs_type_key == "DictAttrs":
            attrs = DictAttrs()  # a user op's generic attributes: none given is an empty dict
        elif op.attrs_type_key and attrs is None:
            raise RelayTypeError(
                f"{op.name}: the call has no attributes (expected {op.attrs_type_key})"
            )
        refined = list(arg_types)
        self.call_type_args[id(call)] = (call, refined)
        try:
            out = rel(refined, attrs)
        except RelationError as err:
            raise RelayTypeError(f"{op.name}: {err}") from None
        for old, new in zip(arg_types, refined):
            if new is not old and isinstance(old, IncompleteType):
                self.solution[old] = new
        if not isinstance(out, Type):
            raise RelayTypeError(f"{op.name}: the type relation returned {out!r}, not a type")
        return out

    def visit_tuple(self, tup):
        return TupleType([self.visit(f) for f in tup.fields])

    def visit_tuple_getitem(self, item):
        ty = self.resolve(self.visit(item.tuple_value))
        if not isinstance(ty, TupleType):
            raise RelayTypeError(
                f"TupleGetItem index {item.index} applied to a non-tuple of type {_type_str(ty)}"
            )
        if not 0 <= item.index < len(ty.fields):
            raise RelayTypeError(
                f"TupleGetItem index {item.index} is out of range for a tuple of "
                f"{len(ty.fields)} fields"
            )
        return ty.fields[item.index]

    def visit_let(self, let):
        if isinstance(let.value, Function):
            # The bound function may call itself: its name is typed before its body.
            declared = self.var_types.get(let.var)
            if declared is None:
                declared = let.var.type_annotation or IncompleteType()
                self.var_types[let.var] = declared
            value = self.unify(declared, self.visit(let.value), f"let {let.var.name_hint!r}")
        else:
            value = self.visit(let.value)
            if let.var.type_annotation is not None:
                value = self.unify(let.var.type_annotation, value, f"let {let.var.name_hint!r}")
        self.var_types[let.var] = value
        self.memo[id(let.var)] = (let.var, value)
        return self.visit(let.body)

    # -- ADTs and references ------------------------------------------------------

    def type_data(self, ctor):
        """The definition of the ADT of a constructor (from the module, else the
        definition the constructor was created in)."""
        data = None
        if self.mod is not None:
            try:
                data = self.mod.type_definitions.get(ctor.belong_to)
            except AttributeError:
                data = None
        if data is None:
            data = ctor._type_data  # pylint: disable=protected-access
        if data is None:
            raise RelayTypeError(
                f"constructor {ctor.name_hint!r}: its type {ctor.belong_to.name_hint!r} is not "
                "defined in the module (IRModule.add_def)"
            )
        return data

    def visit_constructor(self, ctor):
        data = self.type_data(ctor)
        inputs = ctor.inputs
        if ctor not in data.constructors:
            # A constructor of an equal definition made elsewhere (a function
            # re-read from text): its fields are those of the module's own.
            same = [c for c in data.constructors if c.name_hint == ctor.name_hint]
            if not same:
                raise RelayTypeError(
                    f"constructor {ctor.name_hint!r} is not a constructor of "
                    f"{data.header.name_hint!r} in the module"
                )
            inputs = same[0].inputs
        ret = TypeCall(data.header, data.type_vars)
        return FuncType(inputs, ret, data.type_vars)

    def check_pattern(self, pattern, ty, where):
        ty = self.resolve(ty)
        if isinstance(pattern, PatternWildcard):
            return
        if isinstance(pattern, PatternVar):
            var = pattern.var
            if var.type_annotation is not None:
                ty = self.unify(var.type_annotation, ty, f"{where}: pattern variable {var.name_hint!r}")
            self.var_types[var] = ty
            self.memo[id(var)] = (var, ty)
            return
        if isinstance(pattern, PatternConstructor):
            ctor = pattern.constructor
            ctor_ty = self.instantiate(self.visit_constructor(ctor))
            self.unify(ctor_ty.ret_type, ty, f"{where}: constructor {ctor.name_hint!r}")
            if len(pattern.patterns) != len(ctor_ty.arg_types):
                raise RelayTypeError(
                    f"{where}: constructor {ctor.name_hint!r} has {len(ctor_ty.arg_types)} "
                    f"fields, the pattern gives {len(pattern.patterns)}"
                )
            for i, (sub, field_ty) in enumerate(zip(pattern.patterns, ctor_ty.arg_types)):
                self.check_pattern(sub, field_ty, f"{where}, field {i} of {ctor.name_hint!r}")
            return
        if isinstance(pattern, PatternTuple):
            if isinstance(ty, IncompleteType):
                ty = self.unify(ty, TupleType([IncompleteType() for _ in pattern.patterns]), where)
            if not isinstance(ty, TupleType) or len(ty.fields) != len(pattern.patterns):
                raise RelayTypeError(
                    f"{where}: a tuple pattern of {len(pattern.patterns)} fields cannot match a "
                    f"value of type {_type_str(ty)}"
                )
            for i, (sub, field_ty) in enumerate(zip(pattern.patterns, ty.fields)):
                self.check_pattern(sub, field_ty, f"{where}, tuple field {i}")
            return
        raise RelayTypeError(f"{where}: unknown pattern {pattern!r}")

    def visit_match(self, match):
        data_ty = self.visit(match.data)
        result = IncompleteType()
        if not match.clauses:
            raise RelayTypeError("match has no clauses")
        for i, clause in enumerate(match.clauses):
            self.check_pattern(clause.lhs, data_ty, f"match clause {i}")
            result = self.unify(result, self.visit(clause.rhs), f"match clause {i}: the clauses disagree")
        return result

    def visit_ref_create(self, ref):
        return RefType(self.visit(ref.value))

    def visit_ref_read(self, ref):
        value = IncompleteType()
        self.unify(RefType(value), self.visit(ref.ref), "RefRead: the operand must be a reference")
        return self.resolve(value)

    def visit_ref_write(self, ref):
        self.unify(
            self.visit(ref.ref),
            RefType(self.visit(ref.value)),
            "RefWrite: the reference and the written value",
        )
        return TupleType([])

    def visit_if(self, ite):
        cond = self.resolve(self.visit(ite.cond))
        if not (isinstance(cond, TensorType) and cond.shape == () and cond.dtype == "bool"):
            raise RelayTypeError(
                f"If: the condition must be a bool scalar, got {_type_str(cond)}"
            )
        then_ty = self.resolve(self.visit(ite.true_branch))
        else_ty = self.resolve(self.visit(ite.false_branch))
        return _merge(then_ty, else_ty, self)

    # -- results ---------------------------------------------------------------

    def annotate(self):
        for call, types in self.call_type_args.values():
            call.type_args = tuple(self.resolve(t) for t in types)
        for expr, ty in self.memo.values():
            ty = self.resolve(ty)
            if isinstance(expr, Var):
                if isinstance(ty, IncompleteType):
                    raise RelayTypeError(
                        f"the type of variable {expr.name_hint!r} could not be inferred; "
                        "give it a type annotation"
                    )
                if expr.type_annotation is None and is_complete(ty):
                    # As upstream, a deduced variable type becomes its annotation, so
                    # later passes that rewrite the uses (SimplifyInference turning
                    # batch_norm into arithmetic on its parameters) keep the type.
                    expr.type_annotation = ty
            elif (
                isinstance(expr, Function)
                and expr.ret_type is None
                and isinstance(ty, FuncType)
                and is_complete(ty.ret_type)
            ):
                # As upstream, a function's inferred return type becomes its
                # ret_type (nested and fused functions included).
                expr.ret_type = ty.ret_type
            expr._checked_type_ = ty


def _dim_ok(a, b):
    from ..ty import Any  # pylint: disable=import-outside-toplevel

    return isinstance(a, Any) or isinstance(b, Any) or a == b


def _merge(then_ty, else_ty, inferencer):
    """The type of an ``If``: both branches agree (dims unknown in one become ``Any``)."""
    from ..ty import Any  # pylint: disable=import-outside-toplevel

    if isinstance(then_ty, TensorType) and isinstance(else_ty, TensorType):
        if then_ty.dtype != else_ty.dtype or len(then_ty.shape) != len(else_ty.shape) or not all(
            _dim_ok(a, b) for a, b in zip(then_ty.shape, else_ty.shape)
        ):
            raise RelayTypeError(
                f"If: the branches disagree: then-branch is {_type_str(then_ty)}, "
                f"else-branch is {_type_str(else_ty)}"
            )
        shape = [a if a == b else Any() for a, b in zip(then_ty.shape, else_ty.shape)]
        return TensorType(shape, then_ty.dtype)
    if isinstance(then_ty, TupleType) and isinstance(else_ty, TupleType):
        if len(then_ty.fields) != len(else_ty.fields):
            raise RelayTypeError(
                f"If: the branches disagree: tuples of {len(then_ty.fields)} and "
                f"{len(else_ty.fields)} fields"
            )
        return TupleType([_merge(a, b, inferencer) for a, b in zip(then_ty.fields, else_ty.fields)])
    return inferencer.unify(then_ty, else_ty, "If: the branches disagree")


def _infer_module(mod, ctx=None):  # pylint: disable=unused-argument
    inferencer = _Inferencer(mod)
    for gvar, func in mod.functions_items():
        if isinstance(func, Function):
            try:
                inferencer.infer_global(gvar.name_hint)
            except RelayTypeError as err:
                if len(mod) > 1 and f"@{gvar.name_hint}" not in str(err):
                    err = RelayTypeError(f"in @{gvar.name_hint}: {err}")
                # 0.8 reported type errors through the diagnostic renderer first
                from tvm.ir import diagnostics  # pylint: disable=import-outside-toplevel

                diagnostics.render_error(err, mod)
                raise err from None
    inferencer.annotate()
    return mod.copy()


def infer_globals(mod, names):
    """Type the global functions ``names`` of ``mod`` in place (and the globals they
    call); the module's other functions are left as they are. Used for definitions
    added to a module, as 0.8 typed the standard files it parsed in."""
    inferencer = _Inferencer(mod)
    for name in names:
        inferencer.infer_global(name)
    inferencer.annotate()


def InferType():  # pylint: disable=invalid-name
    """The type-inference pass (opt_level 0: it always runs).

    Returns
    -------
    ret : relay.transform.Pass
        A module pass that annotates every expression's ``checked_type``.
    """
    return module_pass(_infer_module, opt_level=0, name="InferType")


def infer_type(expr, mod=None):
    """Infer the types inside a standalone expression (globals resolved in ``mod``).

    Returns
    -------
    ty : relay.Type
        The type of ``expr``; every sub-expression gets its ``checked_type``.
    """
    inferencer = _Inferencer(mod)
    ty = inferencer.visit(expr)
    inferencer.annotate()
    return inferencer.resolve(ty)


def InferTypeLocal(expr):  # pylint: disable=invalid-name
    """Type-check ``expr`` alone and return its type (upstream 0.9 name)."""
    return infer_type(expr)


# -- the type solver on its own (0.8's ``relay.analysis._ffi_api._test_type_solver``) --------


class TypeSolver(_Inferencer):
    """The inferencer's unifier and resolver over explicit type relations.

    0.8 exposed its C++ ``TypeSolver`` to tests only: relations are added as
    :class:`~tvm.relay.ty.TypeRelation` constraints (their ``func`` an
    ``EnvFunc`` named ``tvm.relay.type_relation.<Name>``, see
    :data:`SOLVER_RELATIONS`), ``Solve`` applies them until none makes
    progress, ``Unify`` / ``Resolve`` are the inferencer's own. Two points
    differ from :class:`_Inferencer` because 0.8's solver had them: a
    ``GlobalTypeVar`` resolves to itself (not to ``TypeCall(gtv, [])``), and
    two polymorphic function types with different numbers of type
    parameters unify, the extra parameters of the longer list becoming
    fresh incomplete types (the result keeps the shorter list).
    Calling the solver with a method name (``solver("Solve")``) gives the
    method, as 0.8's test entry point did.
    """

    def __init__(self):
        super().__init__(None)
        self.relations = []  # [TypeRelation, solved?]

    def __call__(self, name):
        return {
            "Solve": self.Solve,
            "Unify": self.Unify,
            "Resolve": self.Resolve,
            "AddConstraint": self.AddConstraint,
        }[name]

    # -- 0.8's four methods ----------------------------------------------------

    def AddConstraint(self, constraint):  # pylint: disable=invalid-name
        """Add a :class:`~tvm.relay.ty.TypeRelation` to solve."""
        self.relations.append([constraint, False])

    def Unify(self, lhs, rhs):  # pylint: disable=invalid-name
        """Unify two types; raise :class:`RelayTypeError` if they do not agree."""
        return self.resolve(self.unify(lhs, rhs, "Unify"))

    def Resolve(self, ty):  # pylint: disable=invalid-name
        """``ty`` with every solved incomplete type replaced by its solution."""
        return self.resolve(ty)

    def Solve(self):  # pylint: disable=invalid-name
        """Apply the relations until none makes progress; True if all were solved."""
        progress = True
        while progress:
            progress = False
            for entry in self.relations:
                if entry[1]:
                    continue
                rel = entry[0]
                types = [self.resolve(t) for t in rel.args]
                if _relation_of(rel.func)(types, rel.num_inputs, rel.attrs, self):
                    entry[1] = progress = True
        return all(solved for _, solved in self.relations)

    # -- reporter (0.8's ``TypeReporter``, which relations receive) ------------

    def Assign(self, dst, src):  # pylint: disable=invalid-name
        """Unify ``dst`` with ``src`` (a relation deducing a type)."""
        self.unify(dst, src, "type relation")

    # -- 0.8 solver semantics --------------------------------------------------

    def resolve(self, ty):
        if isinstance(ty, GlobalTypeVar):
            return ty
        return super().resolve(ty)

    def unify(self, expected, actual, where):
        lhs, rhs = self.resolve(expected), self.resolve(actual)
        if (
            isinstance(lhs, FuncType)
            and isinstance(rhs, FuncType)
            and (lhs.type_params or rhs.type_params)
            and len(lhs.arg_types) == len(rhs.arg_types)
        ):
            if len(lhs.type_params) < len(rhs.type_params):
                lhs, rhs = rhs, lhs
            mapping = dict(zip(lhs.type_params, rhs.type_params))
            for extra in lhs.type_params[len(rhs.type_params):]:
                mapping[extra] = IncompleteType(extra.kind)
            ret = self.unify(subst_type(lhs.ret_type, mapping), rhs.ret_type, f"{where}, result")
            args = [
                self.unify(subst_type(a, mapping), b, f"{where}, parameter {i}")
                for i, (a, b) in enumerate(zip(lhs.arg_types, rhs.arg_types))
            ]
            return FuncType(args, ret, rhs.type_params)
        return super().unify(expected, actual, where)


def _identity_relation(types, num_inputs, attrs, reporter):  # pylint: disable=unused-argument
    """0.8's ``Identity``: every type equals the first."""
    for ty in types[1:]:
        reporter.Assign(ty, types[0])
    return True


def _fork_relation(rel):
    """A fork op relation (``rel(input_types, attrs) -> output type``) as a
    solver relation: applied once every input type is known."""

    def relation(types, num_inputs, attrs, reporter):
        inputs = list(types[:num_inputs])
        if not all(is_complete(t) for t in inputs):
            return False
        try:
            out = rel(inputs, attrs)
        except RelationError as err:
            raise RelayTypeError(str(err)) from None
        reporter.Assign(types[num_inputs], out)
        return True

    return relation


def _solver_relations():
    from ..op import type_relations as rels  # pylint: disable=import-outside-toplevel

    return {
        "Identity": _identity_relation,
        "Broadcast": _fork_relation(rels.broadcast_rel),
        "BroadcastComp": _fork_relation(rels.broadcast_bool_rel),
    }


#: 0.8's relation names (``tvm.ir.EnvFunc.get("tvm.relay.type_relation." + name)``)
#: and the solver relation each names.
SOLVER_RELATIONS = _solver_relations()


def _relation_of(func):
    """The solver relation of a ``TypeRelation.func``: an ``EnvFunc`` of
    :data:`SOLVER_RELATIONS` or a Python callable ``(types, num_inputs, attrs, reporter)``."""
    name = getattr(func, "name", None)
    if isinstance(name, str) and name.startswith(_RELATION_PREFIX):
        short = name[len(_RELATION_PREFIX):]
        if short in SOLVER_RELATIONS:
            return SOLVER_RELATIONS[short]
    if callable(func) and not hasattr(func, "name"):
        return func
    raise RelayTypeError(f"type relation {name or func!r} is not known to the type solver")


_RELATION_PREFIX = "tvm.relay.type_relation."


def _register_relation_names():
    """Make ``EnvFunc.get("tvm.relay.type_relation.<Name>")`` resolve: the
    registered global functions are the solver relations themselves."""
    import tvm_ffi  # pylint: disable=import-outside-toplevel

    for short, relation in SOLVER_RELATIONS.items():
        name = _RELATION_PREFIX + short
        if tvm_ffi.get_global_func(name, allow_missing=True) is None:
            tvm_ffi.register_global_func(name, relation)


_register_relation_names()
