"""The pattern nodes of the Relay pattern language and the sugar that builds them.

Why plain Python objects: the Relay IR of this fork is made of Python nodes
(see :mod:`tvm.relay.expr`), and the matcher, the rewriter and the partitioner
are Python too, so a pattern never has to cross into C++. Patterns compare and
hash by identity, as upstream's (``node_map[self.x]`` in a callback looks a
pattern object up), and are immutable by convention.

Every constructor checks its arguments and says which one is wrong: a Relay
expression where a pattern is expected is the usual mistake (wrap it with
``is_expr``).
"""
from ..attrs import Attrs, DictAttrs
from ..expr import RelayExpr
from .. import ty as _ty

__all__ = [
    "DFPattern",
    "ExprPattern",
    "VarPattern",
    "ConstantPattern",
    "WildcardPattern",
    "CallPattern",
    "FunctionPattern",
    "IfPattern",
    "LetPattern",
    "TuplePattern",
    "TupleGetItemPattern",
    "AltPattern",
    "TypePattern",
    "DataTypePattern",
    "ShapePattern",
    "AttrPattern",
    "DominatorPattern",
    "is_var",
    "is_constant",
    "is_expr",
    "is_op",
    "is_tuple",
    "is_tuple_get_item",
    "is_if",
    "is_let",
    "wildcard",
    "has_type",
    "has_dtype",
    "has_shape",
    "has_attr",
    "dominates",
    "pattern_children",
]


def _check_pattern(value, where):
    if not isinstance(value, DFPattern):
        hint = " (wrap a relay expression with is_expr(...))" if isinstance(value, RelayExpr) else ""
        raise TypeError(f"{where} must be a DFPattern, got {type(value).__name__}: {value!r}{hint}")
    return value


def _check_pattern_list(values, where):
    """``None`` (any number of items) or a tuple of patterns."""
    if values is None:
        return None
    if isinstance(values, DFPattern) or not hasattr(values, "__iter__"):
        raise TypeError(f"{where} must be a list of DFPatterns or None, got {values!r}")
    values = tuple(values)
    for i, value in enumerate(values):
        _check_pattern(value, f"{where}[{i}]")
    return values


def _dim_value(dim):
    """An int for integer dimensions (``IntImm`` included), else the dimension itself."""
    if isinstance(dim, bool):
        return dim
    if isinstance(dim, int):
        return dim
    value = getattr(dim, "value", None)
    if isinstance(value, int) and type(dim).__name__ == "IntImm":
        return value
    try:
        import numpy as np  # pylint: disable=import-outside-toplevel

        if isinstance(dim, np.integer):
            return int(dim)
    except ImportError:  # pragma: no cover
        pass
    return dim


def _as_dict_attrs(attrs, where):
    """A relay ``DictAttrs`` from a dict, relay attrs, or the base's FFI
    ``DictAttrs`` (0.8 scripts build one with ``tvm.ir.make_node``)."""
    if isinstance(attrs, DictAttrs):
        return attrs
    if isinstance(attrs, Attrs):
        return DictAttrs(dict(attrs.items()))
    if isinstance(attrs, dict):
        return DictAttrs(attrs)
    keys = getattr(attrs, "keys", None)
    if callable(keys):
        try:
            return DictAttrs({str(k): attrs[k] for k in keys()})
        except (KeyError, TypeError):
            pass
    raise TypeError(f"{where} needs a dict of attribute values, got {attrs!r}")


class DFPattern:
    """Base class of all dataflow patterns.

    ``p(a, b)`` is a call pattern, ``p | q`` an alternative, ``p + q`` (and
    ``-``, ``*``, ``/``) the call of the arithmetic operator; ``match``,
    ``partition`` and the ``has_*`` constraints are methods as upstream.
    """

    __slots__ = ("__weakref__",)

    def __call__(self, *args):
        """A :class:`CallPattern` calling this pattern; ``p(None)`` matches any arguments."""
        if len(args) == 1 and args[0] is None:
            return CallPattern(self, None)
        return CallPattern(self, list(args))

    def __or__(self, other):
        return AltPattern(self, other)

    def __add__(self, other):
        return is_op("add")(self, other)

    def __sub__(self, other):
        return is_op("subtract")(self, other)

    def __mul__(self, other):
        return is_op("multiply")(self, other)

    def __truediv__(self, other):
        return is_op("divide")(self, other)

    def has_attr(self, attrs):
        """This pattern, constrained to nodes with these attributes (an :class:`AttrPattern`).

        Operators are checked against their registry attributes (``TOpPattern``),
        calls against their call attributes, functions against their function
        attributes.
        """
        return AttrPattern(self, _as_dict_attrs(attrs, "has_attr"))

    def has_type(self, ttype):
        """This pattern, constrained to expressions of type ``ttype``."""
        return has_type(ttype, self)

    def has_dtype(self, dtype):
        """This pattern, constrained to tensors of dtype ``dtype``."""
        return has_dtype(dtype, self)

    def has_shape(self, shape):
        """This pattern, constrained to tensors of shape ``shape``."""
        return has_shape(shape, self)

    def match(self, expr):
        """Whether ``expr`` matches this pattern."""
        from .matcher import match as _match  # pylint: disable=import-outside-toplevel

        return _match(self, expr)

    def partition(self, expr, attrs=None, check=lambda x: True):
        """``expr`` with each match of this pattern wrapped into a function call
        (see :func:`tvm.relay.dataflow_pattern.partition`)."""
        from .rewriter import partition as _partition  # pylint: disable=import-outside-toplevel

        return _partition(self, expr, attrs, check)

    def dominates(self, parent, path=None):
        """A :class:`DominatorPattern` in which this pattern is the child."""
        if path is None:
            path = wildcard()
        return DominatorPattern(parent, path, self)

    def optional(self, option_constructor):
        """This pattern or ``option_constructor(self)`` (e.g. an optional relu after it)."""
        if not callable(option_constructor):
            raise TypeError(
                f"optional needs a function building the optional pattern, got {option_constructor!r}"
            )
        return self | option_constructor(self)

    def __repr__(self):
        return _repr(self)

    __str__ = __repr__


class ExprPattern(DFPattern):
    """Matches an expression structurally equal to ``expr`` (``is_op`` makes one
    of an operator, ``is_expr`` of any expression)."""

    __slots__ = ("expr",)

    def __init__(self, expr):
        if not isinstance(expr, RelayExpr):
            raise TypeError(f"ExprPattern needs a relay expression, got {type(expr).__name__}: {expr!r}")
        self.expr = expr


class VarPattern(DFPattern):
    """Matches a variable; with a name, only a variable of that ``name_hint``."""

    __slots__ = ("name",)

    def __init__(self, name_hint=""):
        if not isinstance(name_hint, str):
            raise TypeError(f"VarPattern name must be a string, got {name_hint!r}")
        self.name = name_hint

    @property
    def name_hint(self):
        """The name to match ("" matches any variable)."""
        return self.name


class ConstantPattern(DFPattern):
    """Matches any constant."""

    __slots__ = ()


class WildcardPattern(DFPattern):
    """Matches any expression."""

    __slots__ = ()


class CallPattern(DFPattern):
    """Matches a call of something matching ``op`` with arguments matching
    ``args`` (``None``: any arguments). ``add`` and ``multiply`` calls also
    match with their two arguments swapped."""

    __slots__ = ("op", "args")

    def __init__(self, op, args):
        self.op = _check_pattern(op, "the callee of a CallPattern")
        self.args = _check_pattern_list(args, "CallPattern args")


class FunctionPattern(DFPattern):
    """Matches a function with parameters matching ``params`` (``None``: any)
    and a body matching ``body``."""

    __slots__ = ("params", "body")

    def __init__(self, params, body):
        self.params = _check_pattern_list(params, "FunctionPattern params")
        self.body = _check_pattern(body, "the body of a FunctionPattern")


class IfPattern(DFPattern):
    """Matches ``if (cond) {true_branch} else {false_branch}``."""

    __slots__ = ("cond", "true_branch", "false_branch")

    def __init__(self, cond, true_branch, false_branch):
        self.cond = _check_pattern(cond, "the condition of an IfPattern")
        self.true_branch = _check_pattern(true_branch, "the true branch of an IfPattern")
        self.false_branch = _check_pattern(false_branch, "the false branch of an IfPattern")


class LetPattern(DFPattern):
    """Matches ``let var = value; body``."""

    __slots__ = ("var", "value", "body")

    def __init__(self, var, value, body):
        self.var = _check_pattern(var, "the variable of a LetPattern")
        self.value = _check_pattern(value, "the value of a LetPattern")
        self.body = _check_pattern(body, "the body of a LetPattern")


class TuplePattern(DFPattern):
    """Matches a tuple whose fields match ``fields`` (``None``: any tuple)."""

    __slots__ = ("fields",)

    def __init__(self, fields):
        self.fields = _check_pattern_list(fields, "TuplePattern fields")

    def __getitem__(self, index):
        if self.fields is None:
            raise IndexError("a TuplePattern of any fields has no field patterns")
        if index >= len(self):
            raise IndexError("TuplePattern index out of range")
        return self.fields[index]

    def __len__(self):
        return 0 if self.fields is None else len(self.fields)

    def astype(self, _):
        raise TypeError("astype cannot be used on TuplePattern")


class TupleGetItemPattern(DFPattern):
    """Matches field ``index`` of a tuple matching ``tuple_value``; ``index``
    ``None`` (stored as -1, as upstream) matches any field."""

    __slots__ = ("tuple", "index")

    def __init__(self, tuple_value, index=None):
        self.tuple = _check_pattern(tuple_value, "the tuple of a TupleGetItemPattern")
        if index is None:
            index = -1
        if isinstance(index, bool) or not isinstance(_dim_value(index), int):
            raise TypeError(f"TupleGetItemPattern index must be an int or None, got {index!r}")
        self.index = int(_dim_value(index))


class AltPattern(DFPattern):
    """Matches what ``left`` matches, or else what ``right`` matches."""

    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = _check_pattern(left, "the left side of an AltPattern (|)")
        self.right = _check_pattern(right, "the right side of an AltPattern (|)")


class TypePattern(DFPattern):
    """Matches what ``pattern`` matches when its type equals ``ttype``."""

    __slots__ = ("pattern", "type")

    def __init__(self, pattern, ttype):
        self.pattern = _check_pattern(pattern, "the pattern of a TypePattern")
        if not isinstance(ttype, _ty.Type):
            raise TypeError(f"TypePattern needs a relay type, got {ttype!r}")
        self.type = ttype


class DataTypePattern(DFPattern):
    """Matches what ``pattern`` matches when it is a tensor of dtype ``dtype``."""

    __slots__ = ("pattern", "dtype")

    def __init__(self, pattern, dtype):
        self.pattern = _check_pattern(pattern, "the pattern of a DataTypePattern")
        if not isinstance(dtype, str):
            if type(dtype).__name__ not in ("DataType", "dtype", "String") and not hasattr(dtype, "name"):
                raise TypeError(f"DataTypePattern needs a dtype string, got {dtype!r}")
            dtype = str(dtype)
        self.dtype = dtype


class ShapePattern(DFPattern):
    """Matches what ``pattern`` matches when it is a tensor of shape ``shape``."""

    __slots__ = ("pattern", "shape")

    def __init__(self, pattern, shape):
        self.pattern = _check_pattern(pattern, "the pattern of a ShapePattern")
        if isinstance(shape, str) or not hasattr(shape, "__iter__"):
            raise TypeError(f"ShapePattern needs a list of dimensions, got {shape!r}")
        self.shape = tuple(_dim_value(d) for d in shape)


class AttrPattern(DFPattern):
    """Matches what ``pattern`` matches when it has the attributes ``attrs``
    (a ``DictAttrs``): registry attributes of an operator (``TOpPattern``),
    attributes of a call, or attributes of a function."""

    __slots__ = ("pattern", "attrs")

    def __init__(self, pattern, attrs):
        self.pattern = _check_pattern(pattern, "the pattern of an AttrPattern")
        self.attrs = _as_dict_attrs(attrs, "AttrPattern")


class DominatorPattern(DFPattern):
    """Matches ``child`` when it post-dominates a node matching ``parent`` and
    every node between them matches ``path``: a diamond of elementwise ops
    between a convolution and its final user, for instance."""

    __slots__ = ("parent", "path", "child")

    def __init__(self, parent, path, child):
        self.parent = _check_pattern(parent, "the parent of a DominatorPattern")
        self.path = _check_pattern(path, "the path of a DominatorPattern")
        self.child = _check_pattern(child, "the child of a DominatorPattern")


def pattern_children(pattern):
    """The sub-patterns of ``pattern`` in the order upstream's pattern graph
    visits them (callee before arguments, parent/path/child)."""
    if isinstance(pattern, CallPattern):
        return (pattern.op,) + (pattern.args or ())
    if isinstance(pattern, TuplePattern):
        return pattern.fields or ()
    if isinstance(pattern, TupleGetItemPattern):
        return (pattern.tuple,)
    if isinstance(pattern, FunctionPattern):
        return (pattern.params or ()) + (pattern.body,)
    if isinstance(pattern, AltPattern):
        return (pattern.left, pattern.right)
    if isinstance(pattern, TypePattern | DataTypePattern | ShapePattern | AttrPattern):
        return (pattern.pattern,)
    if isinstance(pattern, DominatorPattern):
        return (pattern.parent, pattern.path, pattern.child)
    if isinstance(pattern, IfPattern):
        return (pattern.cond, pattern.true_branch, pattern.false_branch)
    if isinstance(pattern, LetPattern):
        return (pattern.var, pattern.value, pattern.body)
    return ()


# -- printing ---------------------------------------------------------------------


def _repr(pattern, depth=0):
    if depth > 20:
        return "..."

    def sub(p):
        return _repr(p, depth + 1)

    def seq(items):
        return "None" if items is None else "[" + ", ".join(sub(p) for p in items) + "]"

    if isinstance(pattern, ExprPattern):
        expr = pattern.expr
        name = getattr(expr, "name", None)
        if isinstance(name, str) and type(expr).__name__ == "Op":
            return f"is_op({name!r})"
        return f"ExprPattern({expr.astext(show_meta_data=False) if hasattr(expr, 'astext') else expr})"
    if isinstance(pattern, VarPattern):
        return f"VarPattern({pattern.name})"
    if isinstance(pattern, ConstantPattern):
        return "ConstantPattern()"
    if isinstance(pattern, WildcardPattern):
        return "*"
    if isinstance(pattern, CallPattern):
        return f"CallPattern({sub(pattern.op)}, {seq(pattern.args)})"
    if isinstance(pattern, FunctionPattern):
        return f"FunctionPattern({seq(pattern.params)}, {sub(pattern.body)})"
    if isinstance(pattern, IfPattern):
        return f"IfPattern({sub(pattern.cond)}, {sub(pattern.true_branch)}, {sub(pattern.false_branch)})"
    if isinstance(pattern, LetPattern):
        return f"LetPattern({sub(pattern.var)}, {sub(pattern.value)}, {sub(pattern.body)})"
    if isinstance(pattern, TuplePattern):
        return f"TuplePattern({seq(pattern.fields)})"
    if isinstance(pattern, TupleGetItemPattern):
        return f"TupleGetItemPattern({sub(pattern.tuple)}, {pattern.index})"
    if isinstance(pattern, AltPattern):
        return f"AltPattern({sub(pattern.left)} | {sub(pattern.right)})"
    if isinstance(pattern, TypePattern):
        return f"TypePattern({sub(pattern.pattern)} has type {pattern.type})"
    if isinstance(pattern, DataTypePattern):
        return f"DataTypePattern({sub(pattern.pattern)} has dtype {pattern.dtype})"
    if isinstance(pattern, ShapePattern):
        return f"ShapePattern({sub(pattern.pattern)} has shape {list(pattern.shape)})"
    if isinstance(pattern, AttrPattern):
        return f"AttrPattern({sub(pattern.pattern)} has attributes {dict(pattern.attrs.items())})"
    if isinstance(pattern, DominatorPattern):
        return f"DominatorPattern({sub(pattern.parent)}, {sub(pattern.path)}, {sub(pattern.child)})"
    return object.__repr__(pattern)


# -- sugar ---------------------------------------------------------------------


def is_var(name=""):
    """A :class:`VarPattern`: any variable, or the one called ``name``."""
    return VarPattern(name)


def is_constant():
    """A :class:`ConstantPattern`."""
    return ConstantPattern()


def is_expr(expr):
    """An :class:`ExprPattern` matching expressions structurally equal to ``expr``."""
    return ExprPattern(expr)


def is_op(op_name):
    """An :class:`ExprPattern` of the operator called ``op_name``; an unknown
    name raises ``tvm.error.OpNotImplemented`` naming it."""
    if not isinstance(op_name, str):
        raise TypeError(f"is_op needs an operator name, got {op_name!r}")
    from ..op.op import get  # pylint: disable=import-outside-toplevel

    return ExprPattern(get(op_name))


def is_tuple(fields):
    """A :class:`TuplePattern` (``fields`` ``None``: any tuple)."""
    return TuplePattern(fields)


def is_tuple_get_item(tuple_value, index=None):
    """A :class:`TupleGetItemPattern` (``index`` ``None``: any field)."""
    return TupleGetItemPattern(tuple_value, index)


def is_if(cond, true_branch, false_branch):
    """An :class:`IfPattern`."""
    return IfPattern(cond, true_branch, false_branch)


def is_let(var, value, body):
    """A :class:`LetPattern`."""
    return LetPattern(var, value, body)


def wildcard():
    """A :class:`WildcardPattern`: matches anything (each call makes a new one;
    one wildcard object used twice must match the same expression twice)."""
    return WildcardPattern()


def has_type(ttype, pattern=None):
    """A :class:`TypePattern` on ``pattern`` (default: a wildcard)."""
    return TypePattern(wildcard() if pattern is None else pattern, ttype)


def has_dtype(dtype, pattern=None):
    """A :class:`DataTypePattern` on ``pattern`` (default: a wildcard)."""
    return DataTypePattern(wildcard() if pattern is None else pattern, dtype)


def has_shape(shape, pattern=None):
    """A :class:`ShapePattern` on ``pattern`` (default: a wildcard)."""
    return ShapePattern(wildcard() if pattern is None else pattern, shape)


def has_attr(attrs, pattern=None):
    """An :class:`AttrPattern` on ``pattern`` (default: a wildcard)."""
    if pattern is None:
        pattern = wildcard()
    _check_pattern(pattern, "the pattern of has_attr")
    return pattern.has_attr(attrs)


def dominates(parent, path, child):
    """A :class:`DominatorPattern`."""
    return DominatorPattern(parent, path, child)
