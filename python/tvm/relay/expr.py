"""Relay expressions.

Why plain Python objects rather than FFI nodes: every pass of this fork (type
inference, fusion, the compile engine's walk, the interpreter) is written in
Python and reads node fields in tight loops; plain objects with ``__slots__``
are read at Python speed, carry attributes as plain Python values and constants
as NumPy arrays, and need no registration with the base's C++ type system. What
the FFI would have given for free is provided here in small modules: structural
equality and an alpha-equivalent structural hash (:mod:`.structural`), a text
printer (:mod:`.printer`), visitors and mutators (:mod:`.expr_functor`).

Nodes are immutable by convention (passes build new nodes); the one mutable
slot is the type that inference fills in, read through ``checked_type``.
Equality (``==``) and ``hash`` are by identity, as upstream; use
``tvm.ir.structural_equal`` for structure.
"""
import numpy as np

from . import ty as _ty
from .attrs import Attrs


class NodeArray(tuple):
    """The nodes of a field such as ``Call.args`` or ``Tuple.fields``: a tuple
    that also equals a list of the same nodes, as 0.8's ``Array`` compared
    with the converted list it was built from (``call.args == args`` where
    ``args = tvm.runtime.convert([...])``)."""

    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, list):
            return len(self) == len(other) and all(a is b or a == b for a, b in zip(self, other))
        return tuple.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    __hash__ = tuple.__hash__


class RelayExpr:
    """Base class of Relay expressions."""

    __slots__ = ("_checked_type_", "span", "__weakref__")

    def __init__(self):
        self._checked_type_ = None
        self.span = None

    @property
    def checked_type(self):
        """The type inferred for this expression (run ``relay.transform.InferType`` first)."""
        if self._checked_type_ is None:
            raise ValueError(
                "the type of this expression is not inferred yet; "
                "run relay.transform.InferType() on its module first"
            )
        return self._checked_type_

    def astext(self, show_meta_data=True, annotate=None):  # pylint: disable=unused-argument
        """The Relay text form of this expression, after the format's version
        line as 0.8's ``astext``; with ``show_meta_data`` (the default, as 0.8)
        the constants follow in a ``#[metadata]`` section, so
        ``tvm.parser.parse_expr`` reads the text back. ``str(expr)`` is the
        text without the version line."""
        from .printer import VERSION_HEADER, astext  # pylint: disable=import-outside-toplevel

        return VERSION_HEADER + "\n" + astext(self, show_meta_data)

    def __str__(self):
        from .printer import astext  # pylint: disable=import-outside-toplevel

        return astext(self, show_meta_data=False)

    def __repr__(self):
        return str(self)

    def __call__(self, *args):
        """``f(x, y)``: a call of this expression (a variable or global of
        function type, as upstream's ExprWithOp)."""
        return Call(self, args)

    # Arithmetic sugar as upstream's ExprWithOp. Imports are lazy: the IR does
    # not depend on the op library.
    def _binary(self, name, other, reverse=False):
        from .op import tensor as _tensor  # pylint: disable=import-outside-toplevel

        if not isinstance(other, RelayExpr):
            if isinstance(other, int | float | np.number | np.ndarray):
                dtype = None
                try:
                    dtype = self.checked_type.dtype
                except (ValueError, AttributeError):
                    pass
                other = const(other, dtype)
            else:
                return NotImplemented
        lhs, rhs = (other, self) if reverse else (self, other)
        return getattr(_tensor, name)(lhs, rhs)

    def __add__(self, other):
        return self._binary("add", other)

    def __radd__(self, other):
        return self._binary("add", other, True)

    def __sub__(self, other):
        return self._binary("subtract", other)

    def __rsub__(self, other):
        return self._binary("subtract", other, True)

    def __mul__(self, other):
        return self._binary("multiply", other)

    def __rmul__(self, other):
        return self._binary("multiply", other, True)

    def __truediv__(self, other):
        return self._binary("divide", other)

    def __rtruediv__(self, other):
        return self._binary("divide", other, True)

    def __lt__(self, other):
        return self._binary("less", other)

    def __gt__(self, other):
        return self._binary("greater", other)

    def __le__(self, other):
        return self._binary("less_equal", other)

    def __ge__(self, other):
        return self._binary("greater_equal", other)

    def __neg__(self):
        from .op import tensor as _tensor  # pylint: disable=import-outside-toplevel

        return _tensor.negative(self)

    def astype(self, dtype):
        """Cast to ``dtype`` (``relay.cast``)."""
        from .op import transform as _transform  # pylint: disable=import-outside-toplevel

        return _transform.cast(self, dtype)

    __hash__ = object.__hash__

    def same_as(self, other):
        """Identity (0.8's ``ObjectRef.same_as``)."""
        return self is other

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other


class Var(RelayExpr):
    """A local variable: a function parameter or a let-bound name.

    Parameters
    ----------
    name_hint : str
        The name (for printing and ``set_input``; not an identity).
    type_annotation : Type, optional
        The declared type; ``None`` leaves it to type inference.
    """

    __slots__ = ("name_hint", "type_annotation")

    def __init__(self, name_hint, type_annotation=None):
        super().__init__()
        if not isinstance(name_hint, str):
            raise TypeError(f"variable name must be a string, got {name_hint!r}")
        if type_annotation is not None and not isinstance(type_annotation, _ty.Type):
            raise TypeError(
                f"type annotation of variable {name_hint!r} must be a relay type, "
                f"got {type_annotation!r}"
            )
        self.name_hint = name_hint
        self.type_annotation = type_annotation

    @property
    def vid(self):
        return self


class GlobalVar(RelayExpr):
    """The name of a global function of an :class:`IRModule`."""

    __slots__ = ("name_hint",)

    def __init__(self, name_hint):
        super().__init__()
        self.name_hint = str(name_hint)

    # Two GlobalVars with the same name denote the same global.
    def __eq__(self, other):
        return isinstance(other, GlobalVar) and other.name_hint == self.name_hint

    def __hash__(self):
        return hash(("GlobalVar", self.name_hint))


class Constant(RelayExpr):
    """A constant tensor.

    ``data`` is a ``tvm.runtime.Tensor`` (``tvm.nd.NDArray`` in 0.8 scripts), as
    upstream: the very tensor the constant was made from, if it was made from
    one (``relay.Constant(arr).data == arr``, as 0.8). A NumPy copy of the
    value is kept and read by :meth:`numpy` without a further copy.
    """

    __slots__ = ("_array", "_tensor")

    def __init__(self, data):
        super().__init__()
        if isinstance(data, np.ndarray):
            array = data
        elif hasattr(data, "numpy"):
            array = data.numpy()
        else:
            array = np.asarray(data)
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array).reshape(array.shape)
        self._array = array.copy() if array.flags.writeable else array
        self._array.setflags(write=False)
        self._tensor = data if _is_runtime_tensor(data) else None
        self._checked_type_ = _ty.TensorType(self._array.shape, str(self._array.dtype))

    @property
    def data(self):
        """The value as a runtime tensor."""
        if self._tensor is None:
            import tvm  # pylint: disable=import-outside-toplevel

            self._tensor = tvm.runtime.tensor(np.array(self._array), tvm.cpu(0))
        return self._tensor

    def numpy(self):
        """The value as a read-only NumPy array."""
        return self._array

    @property
    def is_scalar(self):
        return self._array.ndim == 0


def _is_runtime_tensor(value):
    import tvm  # pylint: disable=import-outside-toplevel

    return isinstance(value, tvm.runtime.Tensor)


class Call(RelayExpr):
    """A call of an operator or a function.

    Parameters
    ----------
    op : Op, Function, GlobalVar or Var
        What is called.
    args : list of RelayExpr
        The arguments.
    attrs : Attrs, optional
        The operator attributes.
    type_args : list of Type, optional
        Kept for API compatibility.
    """

    __slots__ = ("op", "args", "attrs", "type_args")

    def __init__(self, op, args, attrs=None, type_args=None, span=None):
        super().__init__()
        self.op = op
        self.args = NodeArray(args)
        for i, arg in enumerate(self.args):
            if not isinstance(arg, RelayExpr):
                raise TypeError(
                    f"argument {i} of a call to {getattr(op, 'name', op)!r} is not a relay "
                    f"expression: {arg!r}"
                )
        if attrs is not None and not isinstance(attrs, Attrs):
            raise TypeError(f"call attrs must be relay Attrs, got {attrs!r}")
        self.attrs = attrs
        self.type_args = tuple(type_args or ())
        self.span = span


class Tuple(RelayExpr):
    """A tuple of expressions."""

    __slots__ = ("fields",)

    def __init__(self, fields, span=None):
        super().__init__()
        self.fields = NodeArray(fields)
        for i, field in enumerate(self.fields):
            if not isinstance(field, RelayExpr):
                raise TypeError(f"tuple field {i} is not a relay expression: {field!r}")
        self.span = span

    def astuple(self):
        """The tuple itself (0.8's ``TupleWrapper.astuple``; some ops that returned
        a wrapper there return a ``Tuple`` here)."""
        return self

    def __len__(self):
        return len(self.fields)

    def __getitem__(self, index):
        return self.fields[index]

    def astype(self, _):
        raise TypeError("astype cannot be used on a tuple")


class TupleGetItem(RelayExpr):
    """Field ``index`` of a tuple-valued expression."""

    __slots__ = ("tuple_value", "index")

    def __init__(self, tuple_value, index):
        super().__init__()
        if not isinstance(tuple_value, RelayExpr):
            raise TypeError(f"TupleGetItem needs a relay expression, got {tuple_value!r}")
        self.tuple_value = tuple_value
        self.index = int(index)


class Let(RelayExpr):
    """``let var = value; body``."""

    __slots__ = ("var", "value", "body")

    def __init__(self, variable, value, body):
        super().__init__()
        if not isinstance(variable, Var):
            raise TypeError(f"let binds a relay Var, got {variable!r}")
        self.var = variable
        self.value = value
        self.body = body


class If(RelayExpr):
    """``if (cond) { true_branch } else { false_branch }``."""

    __slots__ = ("cond", "true_branch", "false_branch")

    def __init__(self, cond, true_branch, false_branch):
        super().__init__()
        self.cond = cond
        self.true_branch = true_branch
        self.false_branch = false_branch


class TupleWrapper:
    """A multi-output call viewed as a Python sequence (``relay.split(...)[0]``)."""

    def __init__(self, tuple_value, size):
        self.tuple_value = tuple_value
        self.size = size

    def astuple(self):
        return self.tuple_value

    def astext(self, show_meta_data=True, annotate=None):
        return self.tuple_value.astext(show_meta_data, annotate)

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError("tuple index out of range")
        return TupleGetItem(self.tuple_value, index)

    def __len__(self):
        return self.size

    def __repr__(self):
        return f"TupleWrapper({self.tuple_value.astext(show_meta_data=False)}, {self.size})"


def var(name_hint, type_annotation=None, shape=None, dtype="float32"):
    """A new local variable (upstream ``relay.var``).

    ``relay.var("x", shape=(1, 3), dtype="float32")``,
    ``relay.var("x", relay.TensorType((1, 3)))`` and ``relay.var("x", "float32")``
    (a scalar) are accepted; ``relay.var("w")`` leaves the type to inference.
    """
    if type_annotation is not None and shape is not None:
        raise ValueError("give either type_annotation or shape, not both")
    if shape is not None:
        type_annotation = _ty.TensorType(shape, dtype)
    elif isinstance(type_annotation, str):
        type_annotation = _ty.TensorType((), type_annotation)
    return Var(name_hint, type_annotation)


def const(value, dtype=None):
    """A constant (upstream ``relay.const``).

    Python floats default to float32 and ints to int32, as upstream.
    """
    if isinstance(dtype, _ty.TensorType):
        dtype = dtype.dtype  # ``relay.const(0, relay.scalar_type("int32"))`` (0.8 accepted it)
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray | np.generic):
        value = value.numpy()
    if isinstance(value, bool):
        array = np.array(value, dtype=dtype or "bool")
    elif isinstance(value, float):
        array = np.array(value, dtype=dtype or "float32")
    elif isinstance(value, int):
        array = np.array(value, dtype=dtype or "int32")
    elif isinstance(value, np.ndarray | np.generic | list | tuple):
        array = np.asarray(value)
        if dtype is not None:
            array = array.astype(dtype)
        elif array.dtype == np.float64 and not isinstance(value, np.ndarray | np.generic):
            array = array.astype("float32")
        elif array.dtype == np.int64 and not isinstance(value, np.ndarray | np.generic):
            array = array.astype("int32")
    else:
        raise TypeError(f"relay.const cannot make a constant of {type(value).__name__}: {value!r}")
    return Constant(array)


def bind(expr, binds):
    """Replace free variables of ``expr`` (``{Var: Expr}``) without touching bound ones."""
    from .expr_functor import bind as _bind  # pylint: disable=import-outside-toplevel

    return _bind(expr, binds)


class RefCreate(RelayExpr):
    """``ref(value)``: a new mutable reference cell holding ``value``."""

    __slots__ = ("value",)

    def __init__(self, value):
        super().__init__()
        if not isinstance(value, RelayExpr):
            raise TypeError(f"RefCreate needs a relay expression, got {value!r}")
        self.value = value


class RefRead(RelayExpr):
    """``ref_read(ref)``: the value held by a reference cell."""

    __slots__ = ("ref",)

    def __init__(self, ref):
        super().__init__()
        if not isinstance(ref, RelayExpr):
            raise TypeError(f"RefRead needs a relay expression, got {ref!r}")
        self.ref = ref


class RefWrite(RelayExpr):
    """``ref_write(ref, value)``: store ``value`` in a reference cell; evaluates to ``()``."""

    __slots__ = ("ref", "value")

    def __init__(self, ref, value):
        super().__init__()
        for what, node in (("reference", ref), ("value", value)):
            if not isinstance(node, RelayExpr):
                raise TypeError(f"RefWrite {what} must be a relay expression, got {node!r}")
        self.ref = ref
        self.value = value
