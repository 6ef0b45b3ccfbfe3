"""Relay types: tensors, tuples, functions, and placeholders for inference.

Types are immutable Python values with structural ``==`` and ``hash``. A tensor
shape is a tuple whose entries are Python ints (static dimensions) or
:class:`Any` (a dimension known only at run time, ``relay.Any()``). Symbolic
sizes of 0.8 (``te.var("n")``, ``n // 4``) become :class:`Any`: their names and
relations between them are not kept.
"""


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


def _normalize_dim(dim):
    if isinstance(dim, Any):
        return dim
    if hasattr(dim, "value"):  # tvm IntImm
        return int(dim.value)
    try:
        return int(dim)
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


_BARE_DTYPES = {"int": "int32", "uint": "uint32", "float": "float32"}


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
        return (
            isinstance(other, FuncType)
            and self.arg_types == other.arg_types
            and self.ret_type == other.ret_type
        )

    def __hash__(self):
        return hash(("FuncType", self.arg_types, self.ret_type))


class IncompleteType(Type):
    """A type not yet known; type inference replaces it.

    Each instance is distinct: two incomplete types are equal only if they are
    the same object.
    """

    __slots__ = ("kind",)

    def __init__(self, kind=0):
        object.__setattr__(self, "kind", kind)

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


class TypeVar(Type):
    """A type variable (kept for API compatibility; Relay here is monomorphic)."""

    __slots__ = ("name_hint", "kind")

    def __init__(self, name_hint, kind=0):
        object.__setattr__(self, "name_hint", name_hint)
        object.__setattr__(self, "kind", kind)

    def __setattr__(self, key, value):
        raise AttributeError("relay types are immutable")

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


def is_complete(ty):
    """True if ``ty`` contains no :class:`IncompleteType`."""
    if isinstance(ty, IncompleteType) or ty is None:
        return False
    if isinstance(ty, TupleType):
        return all(is_complete(f) for f in ty.fields)
    if isinstance(ty, FuncType):
        return all(is_complete(a) for a in ty.arg_types) and is_complete(ty.ret_type)
    return True
