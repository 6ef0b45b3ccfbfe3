"""Relay types: tensors, tuples, functions, and placeholders for inference.

Types are immutable Python values with structural ``==`` and ``hash``. A tensor
shape is a tuple whose entries are Python ints (static dimensions) or
:class:`Any` (a dimension known only at run time, ``relay.Any()``). Symbolic
sizes of 0.8 (``te.var("n")``, ``n // 4``) become :class:`Any`: their names and
relations between them are not kept.
"""
from enum import IntEnum


class TypeKind(IntEnum):
    """The kind of a type variable (0.8's ``tvm.ir.TypeKind``)."""

    Type = 0
    ShapeVar = 1
    BaseType = 2
    Constraint = 4
    AdtHandle = 5
    TypeData = 6


class Type:
    """Base class of Relay types."""

    __slots__ = ()

    def __str__(self):
        from .printer import type_to_str  # pylint: disable=import-outside-toplevel

        return type_to_str(self)

    def __repr__(self):
        return str(self)

    def is_dynamic(self):
        """True if some tensor dimension inside this type is :class:`Any`."""
        return False


class Any:
    """A dimension whose size is known only at run time (``relay.Any()``).

    Every ``Any`` is equal to every other: Relay does not relate two unknown
    dimensions to each other.
    """

    __slots__ = ()

    def __eq__(self, other):
        return isinstance(other, Any)

    def __hash__(self):
        return hash("relay.Any")

    def __repr__(self):
        return "?"

    __str__ = __repr__


class IntDim(int):
    """A static tensor dimension: an ``int`` that also answers ``.value``, as
    0.8's ``IntImm`` dimensions did (``ty.shape[0].value``)."""

    __slots__ = ()

    @property
    def value(self):
        return int(self)

    __repr__ = int.__repr__
    __str__ = int.__repr__

    def __reduce__(self):
        return (IntDim, (int(self),))


def _normalize_dim(dim):
    if isinstance(dim, Any | IntDim):
        return dim
    if hasattr(dim, "value"):  # tvm IntImm
        return IntDim(int(dim.value))
    try:
        return IntDim(int(dim))
    except TypeError as err:
        if type(dim).__name__ in ("Var", "SizeVar", "Any"):
            return Any()
        if _is_symbolic_expr(dim):
            # 0.8 kept symbolic sizes such as ``n // 4``; the fork's types know
            # only static sizes and Any, so any size built from variables is Any.
            return Any()
        raise TypeError(f"tensor dimension must be an int or relay.Any(), got {dim!r}") from err


def _is_symbolic_expr(dim):
    """True for an integer TIR expression over variables (e.g. ``te.var("n") // 4``)."""
    from tvm.ir.expr import Expr  # pylint: disable=import-outside-toplevel

    if not isinstance(dim, Expr):
        return False
    dtype = getattr(dim, "dtype", None) or getattr(dim, "ty", "")  # the base names it ``ty``
    return str(dtype).startswith(("int", "uint"))


# "uint1" is TVM's spelling of bool (0.8 scripts declare conditions with it).
_BARE_DTYPES = {"int": "int32", "uint": "uint32", "float": "float32", "uint1": "bool"}


class TensorType(Type):
    """The type of a tensor: a shape and an element dtype.

    Parameters
    ----------
    shape : tuple of int or Any
        The shape; ``()`` for a scalar.
    dtype : str
        The element type, e.g. ``"float32"``.
    """

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype="float32"):
        object.__setattr__(self, "shape", tuple(_normalize_dim(d) for d in shape))
        # TVM's dtype spelling: a bare "int" / "uint" / "float" means 32 bits.
        dtype = str(dtype)
        object.__setattr__(self, "dtype", _BARE_DTYPES.get(dtype, dtype))

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    @property
    def concrete_shape(self):
        """The shape as a tuple of ints (raises for dynamic shapes)."""
        if self.is_dynamic():
            raise ValueError(f"shape {self.shape} is not static")
        return self.shape

    @property
    def ndim(self):
        return len(self.shape)

    def is_dynamic(self):
        return any(isinstance(d, Any) for d in self.shape)

    def __eq__(self, other):
        return (
            isinstance(other, TensorType) and self.shape == other.shape and self.dtype == other.dtype
        )

    def __hash__(self):
        return hash(("TensorType", self.shape, self.dtype))


def scalar_type(dtype):
    """The type of a 0-d tensor of ``dtype``."""
    return TensorType((), dtype)


class TupleType(Type):
    """The type of a tuple of values."""

    __slots__ = ("fields",)

    def __init__(self, fields):
        object.__setattr__(self, "fields", tuple(fields))

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def is_dynamic(self):
        return any(f.is_dynamic() for f in self.fields)

    def __eq__(self, other):
        return isinstance(other, TupleType) and self.fields == other.fields

    def __hash__(self):
        return hash(("TupleType", self.fields))

    def __len__(self):
        return len(self.fields)

    def __getitem__(self, index):
        return self.fields[index]


class FuncType(Type):
    """The type of a function: argument types to a return type."""

    __slots__ = ("arg_types", "ret_type", "type_params", "type_constraints")

    def __init__(self, arg_types, ret_type, type_params=None, type_constraints=None):
        object.__setattr__(self, "arg_types", tuple(arg_types))
        object.__setattr__(self, "ret_type", ret_type)
        object.__setattr__(self, "type_params", tuple(type_params or ()))
        object.__setattr__(self, "type_constraints", tuple(type_constraints or ()))

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def is_dynamic(self):
        return any(t.is_dynamic() for t in self.arg_types) or self.ret_type.is_dynamic()

    def __eq__(self, other):
        if not isinstance(other, FuncType) or len(self.type_params) != len(other.type_params):
            return False
        if any(a.kind != b.kind for a, b in zip(self.type_params, other.type_params)):
            return False
        if len(self.type_constraints) != len(other.type_constraints):
            return False
        if self.type_params and self.type_params != other.type_params:
            # Polymorphic types are equal up to renaming of their type parameters.
            renaming = dict(zip(other.type_params, self.type_params))
            return (
                self.arg_types == tuple(subst_type(a, renaming) for a in other.arg_types)
                and self.ret_type == subst_type(other.ret_type, renaming)
                and self.type_constraints
                == tuple(subst_type(c, renaming) for c in other.type_constraints)
            )
        return (
            self.arg_types == other.arg_types
            and self.ret_type == other.ret_type
            and self.type_constraints == other.type_constraints
        )

    def __hash__(self):
        if self.type_params:
            return hash(
                ("FuncType", len(self.arg_types), len(self.type_params), len(self.type_constraints))
            )
        return hash(("FuncType", self.arg_types, self.ret_type, len(self.type_constraints)))


class _IdentityEq:
    """Equality is identity: each instance is a distinct entity (a hole of
    inference, a type variable, an ADT definition), whatever its fields.
    Slot-less, so the types mixing it in keep their own ``__slots__``."""

    __slots__ = ()

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


class IncompleteType(_IdentityEq, Type):
    """A type not yet known; type inference replaces it.

    Each instance is distinct: two incomplete types are equal only if they are
    the same object.
    """

    __slots__ = ("kind",)

    def __init__(self, kind=TypeKind.Type):
        object.__setattr__(self, "kind", TypeKind(int(kind)))

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")


class TypeVar(_IdentityEq, Type):
    """A type variable: a parameter of a polymorphic function or an ADT.

    Each instance is a distinct variable (equality is identity, as upstream);
    the name is only a hint. ``a(t1, ...)`` builds a :class:`TypeCall`.
    """

    __slots__ = ("name_hint", "kind")

    def __init__(self, name_hint, kind=TypeKind.Type):
        object.__setattr__(self, "name_hint", str(name_hint))
        object.__setattr__(self, "kind", TypeKind(int(kind)))

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def __call__(self, *args):
        return TypeCall(self, args)


class GlobalTypeVar(Type):
    """The name of an algebraic data type of a module (``List``, ``Option``).

    Two global type variables with the same name denote the same type (as two
    ``GlobalVar`` s with the same name denote the same global in this fork):
    a module holds one definition per name. ``List(a)`` builds the
    :class:`TypeCall` ``List[a]``.
    """

    __slots__ = ("name_hint", "kind")

    def __init__(self, name_hint, kind=TypeKind.AdtHandle):
        object.__setattr__(self, "name_hint", str(name_hint))
        object.__setattr__(self, "kind", TypeKind(int(kind)))

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def __eq__(self, other):
        return isinstance(other, GlobalTypeVar) and other.name_hint == self.name_hint

    def __hash__(self):
        return hash(("GlobalTypeVar", self.name_hint))

    def __call__(self, *args):
        return TypeCall(self, args)


class TypeCall(Type):
    """An ADT applied to type arguments: ``List[Tensor[(), int32]]``.

    Parameters
    ----------
    func : GlobalTypeVar or TypeVar
        The type constructor.
    args : list of Type
        Its arguments (empty for an ADT without type parameters).
    """

    __slots__ = ("func", "args")

    def __init__(self, func, args):
        object.__setattr__(self, "func", func)
        object.__setattr__(self, "args", tuple(args))
        for arg in self.args:
            if not isinstance(arg, Type):
                raise TypeError(f"type argument of {func} must be a relay type, got {arg!r}")

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def is_dynamic(self):
        return any(a.is_dynamic() for a in self.args)

    def __eq__(self, other):
        return isinstance(other, TypeCall) and self.func == other.func and self.args == other.args

    def __hash__(self):
        return hash(("TypeCall", self.func, self.args))


class RefType(Type):
    """The type of a mutable reference cell holding a ``value`` (``ref(T)``)."""

    __slots__ = ("value",)

    def __init__(self, value):
        object.__setattr__(self, "value", value)

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def is_dynamic(self):
        return self.value.is_dynamic()

    def __eq__(self, other):
        return isinstance(other, RefType) and self.value == other.value

    def __hash__(self):
        return hash(("RefType", self.value))


#: 0.8's name in ``tvm.ir``.
RelayRefType = RefType


class TypeConstraint(Type):
    """Base class of type constraints (kept for API compatibility)."""

    __slots__ = ()


class TypeRelation(TypeConstraint):
    """A relation between types (0.8's ``relay.TypeRelation``), kept as data:
    the fork's type inference applies an op's relation directly and does not
    read these. ``func`` is the relation (an ``EnvFunc`` or a Python callable),
    ``args`` the related types, ``num_inputs`` how many of them are inputs."""

    __slots__ = ("func", "args", "num_inputs", "attrs")

    def __init__(self, func, args, num_inputs, attrs):
        object.__setattr__(self, "func", func)
        object.__setattr__(self, "args", tuple(args))
        object.__setattr__(self, "num_inputs", int(num_inputs))
        object.__setattr__(self, "attrs", attrs)

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def __eq__(self, other):
        return (
            isinstance(other, TypeRelation)
            and relation_key(self.func) == relation_key(other.func)
            and self.args == other.args
            and self.num_inputs == other.num_inputs
            and _attrs_equal(self.attrs, other.attrs)
        )

    def __hash__(self):
        return hash(("TypeRelation", relation_key(self.func), self.args, self.num_inputs))


def _attrs_equal(lhs, rhs):
    if lhs is None or rhs is None:
        return lhs is rhs
    import tvm  # pylint: disable=import-outside-toplevel

    return lhs is rhs or bool(tvm.ir.structural_equal(lhs, rhs))


def relation_key(func):
    """What identifies a relation function: an ``EnvFunc``'s name (each
    ``EnvFunc.get`` gives a new handle of the same function), else the object."""
    name = getattr(func, "name", None)
    return ("EnvFunc", name) if isinstance(name, str) else ("object", id(func))


class TypeData(_IdentityEq, Type):
    """The definition of an algebraic data type (``type List[A] { Cons(A, List[A]), Nil }``).

    Parameters
    ----------
    header : GlobalTypeVar
        The type's name.
    type_vars : list of TypeVar
        Its type parameters.
    constructors : list of relay.Constructor
        Its constructors, each with ``belong_to`` equal to ``header``.

    Equality is identity; structural equality compares definitions.
    """

    __slots__ = ("header", "type_vars", "constructors")

    def __init__(self, header, type_vars, constructors):
        if not isinstance(header, GlobalTypeVar):
            raise TypeError(f"TypeData header must be a GlobalTypeVar, got {header!r}")
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "type_vars", tuple(type_vars))
        object.__setattr__(self, "constructors", tuple(constructors))
        for ctor in self.constructors:
            if ctor.belong_to != header:
                raise ValueError(
                    f"constructor {ctor.name_hint!r} belongs to {ctor.belong_to.name_hint!r}, "
                    f"not to {header.name_hint!r}"
                )
            # Type inference without a module finds the definition through this.
            ctor._type_data = self  # pylint: disable=protected-access

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")


def is_complete(ty):
    """True if ``ty`` contains no :class:`IncompleteType`."""
    if isinstance(ty, IncompleteType) or ty is None:
        return False
    if isinstance(ty, TupleType):
        return all(is_complete(f) for f in ty.fields)
    if isinstance(ty, FuncType):
        return all(is_complete(a) for a in ty.arg_types) and is_complete(ty.ret_type)
    if isinstance(ty, TypeCall):
        return all(is_complete(a) for a in ty.args)
    if isinstance(ty, RefType):
        return is_complete(ty.value)
    return True


def subst_type(ty, mapping):
    """``ty`` with the type variables of ``mapping`` (``{TypeVar: Type}``) replaced.

    Type parameters bound by a polymorphic ``FuncType`` inside ``ty`` shadow the
    mapping."""
    if not mapping:
        return ty
    if isinstance(ty, TypeVar):
        return mapping.get(ty, ty)
    if isinstance(ty, TupleType):
        return TupleType([subst_type(f, mapping) for f in ty.fields])
    if isinstance(ty, FuncType):
        inner = mapping
        if ty.type_params:
            inner = {k: v for k, v in mapping.items() if k not in ty.type_params}
        return FuncType(
            [subst_type(a, inner) for a in ty.arg_types],
            subst_type(ty.ret_type, inner),
            ty.type_params,
            [subst_type(c, inner) for c in ty.type_constraints],
        )
    if isinstance(ty, TypeRelation):
        return TypeRelation(
            ty.func, [subst_type(a, mapping) for a in ty.args], ty.num_inputs, ty.attrs
        )
    if isinstance(ty, TypeCall):
        return TypeCall(subst_type(ty.func, mapping), [subst_type(a, mapping) for a in ty.args])
    if isinstance(ty, RefType):
        return RefType(subst_type(ty.value, mapping))
    return ty


def free_type_vars(ty, bound=()):
    """The type variables of ``ty`` not bound by a polymorphic function type, in order."""
    result = []

    def walk(t, bound):
        if isinstance(t, TypeVar):
            if t not in bound and t not in result:
                result.append(t)
        elif isinstance(t, TupleType):
            for f in t.fields:
                walk(f, bound)
        elif isinstance(t, FuncType):
            inner = tuple(bound) + tuple(t.type_params)
            for a in t.arg_types:
                walk(a, inner)
            walk(t.ret_type, inner)
        elif isinstance(t, TypeCall):
            walk(t.func, bound)
            for a in t.args:
                walk(a, bound)
        elif isinstance(t, RefType):
            walk(t.value, bound)

    walk(ty, tuple(bound))
    return result


def ShapeVar(name):  # pylint: disable=invalid-name
    """A type variable of kind ``ShapeVar`` (0.8's ``relay.ShapeVar``)."""
    return TypeVar(name, kind=TypeKind.ShapeVar)


class TypeFunctor:
    """Dispatch on the class of a type to ``visit_<kind>`` (0.8's
    ``relay.TypeFunctor``); every ``visit_*`` raises ``NotImplementedError``
    here. Results are memoised per type object."""

    _DISPATCH = (
        ("TypeVar", "visit_type_var"),
        ("IncompleteType", "visit_incomplete_type"),
        ("TensorType", "visit_tensor_type"),
        ("FuncType", "visit_func_type"),
        ("TupleType", "visit_tuple_type"),
        ("TypeRelation", "visit_type_relation"),
        ("RefType", "visit_ref_type"),
        ("GlobalTypeVar", "visit_global_type_var"),
        ("TypeCall", "visit_type_call"),
        ("TypeData", "visit_type_data"),
    )

    def __init__(self):
        self.memo_map = {}

    def visit(self, typ):
        """Apply the functor to ``typ`` (once per type object)."""
        key = id(typ)
        if key in self.memo_map:
            return self.memo_map[key][1]
        for cls_name, method in self._DISPATCH:
            if isinstance(typ, globals()[cls_name]):
                result = getattr(self, method)(typ)
                break
        else:
            raise TypeError(f"{type(self).__name__} cannot visit {type(typ).__name__}: {typ!r}")
        self.memo_map[key] = (typ, result)
        return result

    def visit_type_var(self, tv):
        raise NotImplementedError()

    def visit_incomplete_type(self, it):
        raise NotImplementedError()

    def visit_tensor_type(self, tt):
        raise NotImplementedError()

    def visit_func_type(self, ft):
        raise NotImplementedError()

    def visit_tuple_type(self, tt):
        raise NotImplementedError()

    def visit_type_relation(self, tr):
        raise NotImplementedError()

    def visit_ref_type(self, rt):
        raise NotImplementedError()

    def visit_global_type_var(self, gtv):
        raise NotImplementedError()

    def visit_type_call(self, tc):
        raise NotImplementedError()

    def visit_type_data(self, td):
        raise NotImplementedError()


class TypeVisitor(TypeFunctor):
    """Walk every type inside a type; override ``visit_*`` and call ``super()`` to recurse."""

    def visit_type_var(self, tv):
        pass

    def visit_incomplete_type(self, it):
        pass

    def visit_tensor_type(self, tt):
        pass

    def visit_func_type(self, ft):
        for t in ft.arg_types + (ft.ret_type,) + ft.type_params + ft.type_constraints:
            self.visit(t)

    def visit_tuple_type(self, tt):
        for field in tt.fields:
            self.visit(field)

    def visit_type_relation(self, tr):
        for arg in tr.args:
            self.visit(arg)

    def visit_ref_type(self, rt):
        self.visit(rt.value)

    def visit_global_type_var(self, gtv):
        pass

    def visit_type_call(self, tc):
        self.visit(tc.func)
        for arg in tc.args:
            self.visit(arg)

    def visit_type_data(self, td):
        self.visit(td.header)
        for tv in td.type_vars:
            self.visit(tv)
        for ctor in td.constructors:
            for field in ctor.inputs:
                self.visit(field)


class TypeMutator(TypeFunctor):
    """Rebuild a type bottom-up (type variables and global type variables are
    kept: they are names)."""

    def visit_type_var(self, tv):
        return tv

    def visit_incomplete_type(self, it):
        return it

    def visit_tensor_type(self, tt):
        return TensorType(tt.shape, tt.dtype)

    def visit_func_type(self, ft):
        return FuncType(
            [self.visit(a) for a in ft.arg_types],
            self.visit(ft.ret_type),
            [self.visit(t) for t in ft.type_params],
            [self.visit(c) for c in ft.type_constraints],
        )

    def visit_tuple_type(self, tt):
        return TupleType([self.visit(f) for f in tt.fields])

    def visit_type_relation(self, tr):
        return TypeRelation(tr.func, [self.visit(a) for a in tr.args], tr.num_inputs, tr.attrs)

    def visit_ref_type(self, rt):
        return RefType(self.visit(rt.value))

    def visit_global_type_var(self, gtv):
        return gtv

    def visit_type_call(self, tc):
        return TypeCall(self.visit(tc.func), [self.visit(a) for a in tc.args])

    def visit_type_data(self, td):
        # The constructors are kept (their identity is what values are tagged with).
        return td
