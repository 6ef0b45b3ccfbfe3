"""The ONNX converter registry and what every converter sees.

A converter is a function ``convert(node, graph)`` registered for one or more
ONNX operator types of the default domain. ``node`` (:class:`OnnxNode`) gives
the relay expressions of the node's inputs, its attributes and the opset the
model was exported with; ``graph`` answers questions about what has been built
so far (static shapes, dtypes, constant values). A converter returns one relay
expression, or a list with one entry per ONNX output.
"""
import numpy as np

import tvm

from .. import expr as _expr
from .common import infer_dtype, infer_shape, is_static_shape

# op_type -> converter
CONVERTERS = {}

# op_type -> (lowest, highest) opset the converter handles, where narrower than the opsets in
# which ONNX defines the operator (None: no bound of its own).
CONVERTER_OPSETS = {}


def register(*op_types, opsets=(None, None)):
    """Decorator: register the decorated function as the converter of ``op_types``.

    ``opsets``: ``(lowest, highest)`` opset the converter supports when it does not cover
    every version of the operators (e.g. ``(9, None)``: from opset 9 on); the generated
    table of supported operators (docs/frontends.md) shows it.
    """

    def wrap(func):
        for op_type in op_types:
            if op_type in CONVERTERS:
                raise ValueError(f"ONNX operator {op_type} has two converters")
            CONVERTERS[op_type] = func
            if opsets != (None, None):
                CONVERTER_OPSETS[op_type] = tuple(opsets)
        return func

    return wrap


def onnx_dtype(elem_type):
    """The numpy dtype name of an ONNX ``TensorProto`` element type."""
    from onnx import helper  # pylint: disable=import-outside-toplevel

    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).name
    except (KeyError, TypeError, ValueError):
        raise tvm.error.OpNotImplemented(
            f"ONNX element type {elem_type} has no equivalent dtype"
        ) from None


class OnnxNode:
    """One ONNX node, with its inputs already converted.

    Attributes
    ----------
    op_type, name : str
        The ONNX operator type and node name.
    opset : int
        The opset of the default domain the model uses.
    inputs : list of relay.Expr or None
        The converted inputs; ``None`` where an optional input is omitted.
    outputs : list of str
        The names of the node's outputs (``""`` for omitted optional ones).
    """

    def __init__(self, proto, opset, inputs):
        from onnx import helper  # pylint: disable=import-outside-toplevel

        self.proto = proto
        self.op_type = proto.op_type
        self.name = proto.name or proto.op_type
        self.opset = opset
        self.inputs = inputs
        self.outputs = list(proto.output)
        self.attrs = {a.name: helper.get_attribute_value(a) for a in proto.attribute}
        for key, value in self.attrs.items():
            if isinstance(value, bytes):
                self.attrs[key] = value.decode("utf-8")
            elif isinstance(value, list) and value and isinstance(value[0], bytes):
                self.attrs[key] = [v.decode("utf-8") for v in value]

    def __repr__(self):
        return f"{self.op_type} node {self.name!r}"

    def attr(self, name, default=None):
        """The attribute ``name`` (ints as int, lists as tuples), or ``default``."""
        value = self.attrs.get(name, default)
        if isinstance(value, list):
            value = tuple(value)
        return value

    def input(self, index):
        """Input ``index``, or None if it is omitted."""
        if index < len(self.inputs):
            return self.inputs[index]
        return None

    def require(self, index, what):
        """Input ``index``, which must be given."""
        value = self.input(index)
        if value is None:
            raise tvm.error.OpAttributeRequired(f"{self}: input {index} ({what}) is required")
        return value

    def output_used(self, index):
        """Whether output ``index`` exists and has a name."""
        return index < len(self.outputs) and self.outputs[index] != ""

    def error(self, message, kind=None):
        """A clear error about this node."""
        kind = kind or tvm.error.OpAttributeInvalid
        return kind(f"{self}: {message}")

    def unsupported(self, message):
        """An error for a valid ONNX feature that this frontend does not implement."""
        return tvm.error.OpAttributeUnImplemented(f"{self}: {message} is not supported")


class GraphInfo:
    """What converters may ask about the graph under construction."""

    def __init__(self, params):
        # Values of the initializers that stayed relay variables (freeze_params=False).
        self.params = params

    def shape(self, expr):
        """Static shape of ``expr`` (dims not known statically are ``relay.Any``)."""
        return infer_shape(expr)

    def static_shape(self, expr, node, what="input"):
        """Static shape of ``expr``, which must be fully known."""
        shape = infer_shape(expr)
        if not is_static_shape(shape):
            raise node.error(f"the shape of its {what} must be static, got {shape}",
                             tvm.error.OpAttributeUnImplemented)
        return shape

    def dtype(self, expr):
        """The dtype of ``expr``."""
        return infer_dtype(expr)

    def value(self, expr):
        """The NumPy value of ``expr`` if it is known at conversion time, else None."""
        if isinstance(expr, _expr.Constant):
            return expr.numpy()
        if isinstance(expr, _expr.Var) and expr.name_hint in self.params:
            value = self.params[expr.name_hint]
            return value.numpy() if hasattr(value, "numpy") else np.asarray(value)
        return None

    def static(self, expr, node, what):
        """The value of ``expr``, which must be known at conversion time."""
        value = self.value(expr)
        if value is None:
            raise node.error(
                f"{what} must be a constant (or computed from static shapes only); "
                "dynamic values are not supported", tvm.error.OpAttributeUnImplemented)
        return value


def normalize_axis(axis, ndim, node, what="axis"):
    """``axis`` in ``[0, ndim)``; negative values count from the end."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise node.error(f"{what} {axis} is out of range for rank {ndim}")
    return axis + ndim if axis < 0 else axis


def const(value, dtype):
    """A relay constant of ``dtype``."""
    return _expr.const(np.asarray(value, dtype=dtype))
