"""The one converter table of the PyTorch frontend, and what a converter is given.

Both entry points (TorchScript graphs and ``torch.export`` FX graphs) name an
operator by its ATen schema name, ``"aten::conv2d"``, without the overload
(``aten::add.Tensor`` and ``aten::add.Scalar`` share ``"aten::add"``), which is
the name upstream 0.8 used in ``custom_convert_map``. A converter is called as
``converter(ctx, inputs)``:

* ``inputs`` are the operator's arguments in schema order, every argument
  present (the FX walker fills keyword and default arguments from the schema, so
  converters see the same list from both walkers). A tensor is a ``relay.Expr``;
  scalars, lists, strings and ``None`` are Python values; a list may hold
  ``relay.Expr`` items (``aten::cat``).
* ``ctx`` is an :class:`OpContext`: the operator name, the default dtype, the
  torch dtype of each input when known, and the number of outputs.

It returns a ``relay.Expr``, a Python value, or a tuple/list with one item per
output of the operator.
"""
import tvm

from .. import common

__all__ = ["CONVERTERS", "register", "OpContext", "missing_ops", "wrap_custom_converter",
           "Unavailable", "check_available"]

#: ATen schema name -> converter(ctx, inputs)
CONVERTERS = {}


def register(*names):
    """Decorator: register the decorated function as the converter of ``names``."""

    def wrap(func):
        for name in names:
            if name in CONVERTERS:
                raise ValueError(f"two converters registered for {name}")
            CONVERTERS[name] = func
        return func

    return wrap


class OpContext:
    """What a converter knows besides its inputs.

    Attributes
    ----------
    op_name : str
        The ATen schema name, e.g. ``"aten::linear"``.
    default_dtype : str
        The dtype for values whose type torch does not give (``from_pytorch``'s
        ``default_dtype``).
    input_types : list of str
        One entry per input: the Relay dtype of a tensor input, ``"int64"`` /
        ``"float32"`` / ``"bool"`` for Python scalars, ``None`` otherwise. This is
        what upstream passed to converters as their second argument.
    num_outputs : int
        How many values the operator returns.
    """

    def __init__(self, op_name, inputs, default_dtype="float32", num_outputs=1):
        self.op_name = op_name
        self.default_dtype = default_dtype
        self.num_outputs = num_outputs
        self.input_types = [_value_type(v, default_dtype) for v in inputs]

    def unsupported(self, what):
        """An OpNotImplemented error for an unsupported use of this operator."""
        return tvm.error.OpNotImplemented(f"{self.op_name}: {what} is not supported")

    def __repr__(self):
        return f"OpContext({self.op_name})"


class Unavailable:
    """An output a converter does not compute (``max_pool2d_with_indices``' indices).

    Harmless while unused; :func:`check_available` raises when an operator reads it.
    """

    def __init__(self, reason):
        self.reason = reason

    def __repr__(self):
        return f"Unavailable({self.reason})"


def check_available(op_name, inputs):
    """Raise OpNotImplemented if an input of ``op_name`` is an :class:`Unavailable` output."""
    for value in inputs:
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, Unavailable):
                raise tvm.error.OpNotImplemented(f"{op_name} reads {item.reason}, which the "
                                                 "PyTorch frontend does not compute")


def _value_type(value, default_dtype):
    from ... import expr as _expr  # pylint: disable=import-outside-toplevel

    if isinstance(value, _expr.RelayExpr):
        try:
            return common.infer_dtype(value)
        except TypeError:
            return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return default_dtype
    return None


def wrap_custom_converter(func):
    """Adapt a 0.8-style custom converter ``func(inputs, input_types)`` to the table's form."""

    def converter(ctx, inputs):
        return func(inputs, ctx.input_types)

    converter.__name__ = getattr(func, "__name__", "custom_converter")
    return converter


def missing_ops(op_names, handled_by_walker, custom=None):
    """The sorted names in ``op_names`` that neither the walker nor a converter handles."""
    custom = custom or {}
    return sorted(
        name for name in set(op_names)
        if name not in handled_by_walker and name not in CONVERTERS and name not in custom
    )


def report_missing(op_names, handled_by_walker, custom, source):
    """Raise one OpNotImplemented naming every unsupported operator of a graph.

    Called before any conversion work, so that a user sees the whole list at once.
    """
    missing = missing_ops(op_names, handled_by_walker, custom)
    if missing:
        raise tvm.error.OpNotImplemented(
            f"The following operators of the {source} are not supported by the PyTorch "
            f"frontend: {', '.join(missing)} (supply converters for them in custom_convert_map)"
        )
