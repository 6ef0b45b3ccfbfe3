"""Attributes of operator calls and functions.

An :class:`Attrs` is an immutable record with a type key (upstream's attrs class
name, e.g. ``relay.attrs.Conv2DAttrs``) and named fields. Field values are plain
Python values: ints, floats, strings, ``None`` and tuples of them, so passes and
the printer read them without conversion. ``attrs.strides`` and
``attrs["strides"]`` both work, as upstream.
"""


class AttrArray(tuple):
    """A sequence field: a tuple that prints as 0.8's ``Array`` did (``[2, 3]``),
    so scripts comparing ``str(attrs.axes)`` with a list's text keep working."""

    __slots__ = ()

    def __repr__(self):
        return "[" + ", ".join(repr(v) for v in self) + "]"

    __str__ = __repr__

    def __reduce__(self):
        return (AttrArray, (tuple(self),))


def _freeze(value):
    if isinstance(value, list | tuple):
        return AttrArray(_freeze(v) for v in value)
    if hasattr(value, "value") and type(value).__name__ in ("IntImm", "FloatImm"):
        return value.value
    if type(value).__name__ == "String":
        return str(value)
    return value


class Attrs:
    """Immutable named fields of a call (``call.attrs``).

    Parameters
    ----------
    type_key : str
        Name of the attribute class, e.g. ``"relay.attrs.Conv2DAttrs"``.
    fields : dict
        Field name to value.
    """

    __slots__ = ("type_key", "_fields")

    def __init__(self, type_key="Attrs", fields=None):
        object.__setattr__(self, "type_key", type_key)
        object.__setattr__(
            self, "_fields", {k: _freeze(v) for k, v in (fields or {}).items()}
        )

    def __getattr__(self, name):
        fields = object.__getattribute__(self, "_fields")
        try:
            return fields[name]
        except KeyError:
            raise AttributeError(
                f"{object.__getattribute__(self, 'type_key')} has no field {name!r}"
            ) from None

    def __setattr__(self, key, value):
        raise AttributeError("attrs are immutable; use with_fields()")

    def __getitem__(self, name):
        return self._fields[name]

    def __contains__(self, name):
        return name in self._fields

    def get(self, name, default=None):
        return self._fields.get(name, default)

    def keys(self):
        return list(self._fields.keys())

    def items(self):
        return list(self._fields.items())

    def list_field_info(self):
        return list(self._fields.keys())

    def get_int_tuple(self, key):
        return tuple(int(x) for x in self._fields[key])

    def get_int(self, key):
        return int(self._fields[key])

    def get_str(self, key):
        return str(self._fields[key])

    def with_fields(self, **changes):
        """A copy with some fields replaced."""
        fields = dict(self._fields)
        fields.update(changes)
        return Attrs(self.type_key, fields)

    def __eq__(self, other):
        return (
            isinstance(other, Attrs)
            and self.type_key == other.type_key
            and self._fields.keys() == other._fields.keys()
            and all(_value_equal(v, other._fields[k]) for k, v in self._fields.items())
        )

    def __hash__(self):
        return hash((self.type_key, tuple(sorted((k, _hashable(v)) for k, v in self._fields.items()))))

    def __repr__(self):
        body = ", ".join(f"{k}={v!r}" for k, v in self._fields.items())
        return f"{self.type_key}({body})"

    def __reduce__(self):
        return (Attrs, (self.type_key, dict(self._fields)))


#: floats closer than this are equal, as in 0.8's structural equality (``atol = 1e-9``)
FLOAT_ATOL = 1e-9


def _value_equal(lhs, rhs):
    if isinstance(lhs, float) and isinstance(rhs, float | int) and not isinstance(rhs, bool):
        return abs(lhs - rhs) < FLOAT_ATOL
    if isinstance(rhs, float) and isinstance(lhs, int) and not isinstance(lhs, bool):
        return abs(lhs - rhs) < FLOAT_ATOL
    if isinstance(lhs, tuple | list) and isinstance(rhs, tuple | list):
        return len(lhs) == len(rhs) and all(_value_equal(a, b) for a, b in zip(lhs, rhs))
    return lhs == rhs


def _hashable(value):
    """A hashable stand-in for ``value`` consistent with :func:`_value_equal`: a
    float hashes as its nearest integer, so floats equal within the tolerance (and
    an int equal to a float) hash alike, but for values straddling a half."""
    if isinstance(value, float):
        return round(value) if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, tuple | list):
        return tuple(_hashable(v) for v in value)
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


class DictAttrs(Attrs):
    """Attributes of a function (``func.attrs``), e.g. ``{"Primitive": 1}``."""

    __slots__ = ()

    def __init__(self, fields=None):
        super().__init__("DictAttrs", fields)

    def __len__(self):
        """The number of attributes (an empty ``DictAttrs`` is falsy, as in 0.8)."""
        return len(self._fields)

    def with_fields(self, **changes):
        fields = dict(self._fields)
        fields.update(changes)
        return DictAttrs(fields)

    def __reduce__(self):
        return (DictAttrs, (dict(self._fields),))


def make_attrs(type_key, **fields):
    """Build an :class:`Attrs` (the counterpart of upstream's ``tvm.ir.make_node``); a
    ``"DictAttrs"`` key gives a :class:`DictAttrs`."""
    if type_key == "DictAttrs":
        return DictAttrs(fields)
    return Attrs(type_key, fields)
