"""ONNX frontend: ``relay.frontend.from_onnx``.

The graph is converted node by node in topological order (ONNX requires the
graph to be sorted; an unsorted one is reordered). Shapes are static: graph inputs with
symbolic dimensions need their shape in ``shape=``. Whatever can be computed at
conversion time is computed then (a node whose inputs are all constants becomes
a constant), so the shape arithmetic of exported models (Shape -> Gather ->
Unsqueeze -> Concat -> Reshape, ConstantOfShape, Expand, masks built with
Where...) folds away and the Relay graph holds only the tensor computation.

Converters live in ``_onnx_math`` (elementwise, reductions, matrix products),
``_onnx_nn`` (convolution, pooling, normalisation, padding, resizing),
``_onnx_shape`` (layout, indexing and shape operators), ``_onnx_recurrent``
(LSTM, GRU, RNN), ``_onnx_control`` (Loop and Scan unrolled, If folded, at
conversion), ``_onnx_vision`` (GridSample, NonMaxSuppression) and
``_onnx_quantized`` (QuantizeLinear, DequantizeLinear, QLinearConv, ...,
through ``relay.qnn``; integer products for QDQ Conv/MatMul/Gemm).
"""
import logging
import os

import tvm

from .. import expr as _expr
from .. import function as _function
from ..module import IRModule
# Importing the converter modules registers their converters.
from . import (  # noqa: F401
    _onnx_control, _onnx_math, _onnx_nn, _onnx_quantized, _onnx_recurrent, _onnx_shape,
    _onnx_vision)
from ._onnx_common import CONVERTERS, GraphInfo, OnnxNode, onnx_dtype
from .common import fold_constant, infer_type

__all__ = ["from_onnx", "load_onnx_model", "supported_ops", "SUPPORTED_OPSETS"]

logger = logging.getLogger("relay")

_DEFAULT_DOMAINS = ("", "ai.onnx")

# Operators whose value may differ from run to run: never folded.
_NONDETERMINISTIC = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                     "Multinomial", "Bernoulli"}


#: The opsets of the default domain the converters implement (inclusive range).
SUPPORTED_OPSETS = (1, 28)


def supported_ops():
    """The ONNX operator types (default domain) that :func:`from_onnx` converts."""
    return sorted(CONVERTERS)


def _model_opset(model):
    for entry in model.opset_import:
        if entry.domain in _DEFAULT_DOMAINS:
            return int(entry.version)
    return 1


def _check_opset(opset, what):
    """Raise a ValueError when the converters do not implement ``opset``."""
    low, high = SUPPORTED_OPSETS
    if not low <= int(opset) <= high:
        raise ValueError(
            f"{what} uses opset {opset} of the default ONNX domain; the ONNX frontend supports opsets "
            f"{low} to {high} (convert the model to a supported opset, e.g. with "
            f"onnx.version_converter.convert_version, or pass opset= to from_onnx)"
        )


def _varint(data, pos):
    """``(value, next position)`` of the varint at ``pos``; position past the end when cut."""
    value, shift = 0, 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    return value, len(data) + 1


def _protobuf_end(data):
    """Where the top-level protobuf fields of ``data`` say the message ends, or None.

    Walks the fields (tag, then a varint, 8 bytes, a length and bytes, or 4
    bytes): a file cut short announces an end past its size. None when the
    bytes are not protobuf fields at all.
    """
    pos, fixed = 0, {1: 8, 5: 4}
    while pos < len(data):
        tag, pos = _varint(data, pos)
        wire_type = tag & 7
        if pos > len(data):
            return pos
        if wire_type == 0:
            _, pos = _varint(data, pos)
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            pos += length
        elif wire_type in fixed:
            pos += fixed[wire_type]
        else:
            return None
    return pos


def load_onnx_model(path, check_opset=True):
    """Read an ONNX model file, with clear errors for files that are not usable models.

    Parameters
    ----------
    path : Union[str, os.PathLike]
        The ``.onnx`` file (tensors stored in external data files next to it
        are loaded too).
    check_opset : bool
        Reject a model whose opset is outside :data:`SUPPORTED_OPSETS` (False
        when the caller converts with another opset, ``from_onnx(opset=...)``).

    Returns
    -------
    model : onnx.ModelProto

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        Naming the file and the cause: the file is truncated, is not an ONNX
        model, its external data cannot be read, or its opset is outside
        :data:`SUPPORTED_OPSETS`.
    """
    import onnx  # pylint: disable=import-outside-toplevel
    from google.protobuf.message import DecodeError  # pylint: disable=import-outside-toplevel
    from onnx.external_data_helper import load_external_data_for_model  # pylint: disable=import-outside-toplevel

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ONNX model file {path} does not exist")
    with open(path, "rb") as fin:
        data = fin.read()
    if not data:
        raise ValueError(f"{path}: the file is empty, not an ONNX model")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except DecodeError as err:
        end = _protobuf_end(data)
        if end is not None and end > len(data):
            raise ValueError(f"{path}: the file is truncated: it has {len(data)} bytes, its content "
                             f"announces at least {end}") from err
        raise ValueError(f"{path}: not an ONNX model (protobuf cannot parse it: {err})") from err
    if model.ir_version <= 0 or not model.HasField("graph") or not model.graph.output:
        raise ValueError(f"{path}: not an ONNX model (no IR version or no graph with outputs; "
                         f"a truncated file can look like this too)")
    if not model.opset_import:
        raise ValueError(f"{path}: the model declares no opset (opset_import is empty): the file is "
                         f"truncated or not an ONNX model")
    try:
        load_external_data_for_model(model, os.path.dirname(os.path.abspath(path)))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: cannot read the model's external data: {err}") from err
    if check_opset:
        _check_opset(_model_opset(model), path)
    return model


def _all_nodes(graph):
    """The nodes of ``graph`` and, recursively, of the subgraphs its nodes hold
    (``Loop``/``Scan`` bodies, ``If`` branches)."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _all_nodes(attr.g)
            for sub in attr.graphs:
                yield from _all_nodes(sub)


def _check_supported(graph, opset):
    """Raise one error listing every operator of ``graph`` (subgraphs included) that has no
    converter."""
    missing = []
    for node in _all_nodes(graph):
        if node.domain in _DEFAULT_DOMAINS:
            if node.op_type not in CONVERTERS:
                entry = f"{node.op_type} (opset {opset})"
                if entry not in missing:
                    missing.append(entry)
        else:
            entry = f"{node.domain}.{node.op_type} (domain {node.domain!r})"
            if entry not in missing:
                missing.append(entry)
    if missing:
        raise tvm.error.OpNotImplemented(
            f"The following operators are not supported by the ONNX frontend: "
            f"{', '.join(missing)}"
        )


def _tensor_dims(value_info):
    """Dims of a graph input: ints, or None for symbolic/unknown ones."""
    tensor_type = value_info.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    dims = []
    for dim in tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(int(dim.dim_value))
        else:
            dims.append(dim.dim_param or None)
    return dims


def _topological_order(graph, known):
    """The nodes of ``graph`` in an order where every value is defined before it is read.

    ONNX requires graphs to be sorted already; this keeps that order when it
    holds and repairs it when a producer tool did not.
    """
    nodes = list(graph.node)
    defined = set(known)
    produced = {out for node in nodes for out in node.output if out}
    ordered, pending = [], nodes
    while pending:
        waiting = []
        for node in pending:
            needs = [i for i in node.input if i and i in produced and i not in defined]
            if needs:
                waiting.append(node)
            else:
                ordered.append(node)
                defined.update(o for o in node.output if o)
        if len(waiting) == len(pending):  # a cycle: let conversion report the first culprit
            return ordered + waiting
        pending = waiting
    return ordered


class UnknownInputError(ValueError, AssertionError):
    """``shape=`` names an input the graph does not have. A ``ValueError``, and
    an ``AssertionError`` too because 0.8's importer asserted here and 0.8-era
    code (and its tests) catch that."""


class GraphProto(GraphInfo):
    """Converts one ONNX ``GraphProto`` into a relay function.

    Parameters
    ----------
    shape : dict of str to tuple of int
        Shapes of graph inputs (required for inputs with symbolic dims).
    dtype : str or dict of str to str
        Input dtypes where the model does not give them (a dict overrides per input).
    freeze_params : bool
        Whether initializers become constants of the graph.
    """

    def __init__(self, shape, dtype, freeze_params):
        super().__init__({})
        self._shape = dict(shape or {})
        self._dtype = dtype
        self._freeze_params = freeze_params
        self._nodes = {}  # ONNX value name -> relay expr
        self._inputs = []  # relay vars of the graph inputs, in order
        self._param_vars = []

    # -- inputs ------------------------------------------------------------------

    def _add_initializers(self, graph):
        from onnx import numpy_helper  # pylint: disable=import-outside-toplevel

        for init in graph.initializer:
            array = numpy_helper.to_array(init)
            keep_var = not self._freeze_params and array.dtype.kind in "fc" and array.ndim > 0
            if keep_var:
                var = _expr.var(init.name, shape=array.shape, dtype=array.dtype.name)
                self.params[init.name] = tvm.runtime.tensor(array)
                self._param_vars.append(var)
                self._nodes[init.name] = var
            else:
                self._nodes[init.name] = _expr.const(array)

    def _input_dtype(self, name, value_info):
        if isinstance(self._dtype, dict) and name in self._dtype:
            return str(self._dtype[name])
        elem_type = value_info.type.tensor_type.elem_type
        if elem_type:
            return onnx_dtype(elem_type)
        if isinstance(self._dtype, dict):
            raise ValueError(f"graph input {name!r} has no element type; give it in dtype=")
        return str(self._dtype)

    def _add_inputs(self, graph):
        names = {i.name for i in graph.input}
        unknown = [n for n in self._shape if n not in names]
        if unknown:
            raise UnknownInputError(
                f"shape= names {unknown} which are not inputs of the graph; "
                f"the inputs are {[i.name for i in graph.input if i.name not in self._nodes]}"
            )
        for value_info in graph.input:
            name = value_info.name
            if name in self._nodes:  # an initializer listed as an input (IR version < 4)
                if name in self._shape:
                    logger.warning("from_onnx: shape given for %r, which is an initializer", name)
                continue
            dims = _tensor_dims(value_info)
            if name in self._shape:
                shape = tuple(int(d) for d in self._shape[name])
                if dims is not None and (
                    len(dims) != len(shape)
                    or any(isinstance(d, int) and d != s for d, s in zip(dims, shape))
                ):
                    raise ValueError(
                        f"shape= gives {shape} for input {name!r}, which the model declares as "
                        f"{tuple(d if isinstance(d, int) else '?' for d in dims)}"
                    )
            elif dims is None or any(not isinstance(d, int) for d in dims):
                shown = "unknown" if dims is None else tuple(d if d else "?" for d in dims)
                raise ValueError(
                    f"input {name!r} has symbolic or unknown dimensions {shown}; give its "
                    f"static shape with shape={{{name!r}: (...)}}"
                )
            else:
                shape = tuple(dims)
            var = _expr.var(name, shape=shape, dtype=self._input_dtype(name, value_info))
            self._inputs.append(var)
            self._nodes[name] = var

    # -- nodes -------------------------------------------------------------------

    def _input_expr(self, node, name):
        if name == "":
            return None
        found = self._nodes.get(name)
        if found is None:
            raise ValueError(
                f"{node.op_type} node {node.name or '(unnamed)'!r} reads {name!r}, which no earlier "
                "node, input or initializer defines (is the graph topologically sorted?)"
            )
        return found

    def _convert_node(self, proto, opset):
        inputs = [self._input_expr(proto, name) for name in proto.input]
        node = OnnxNode(proto, opset, inputs)
        result = CONVERTERS[proto.op_type](node, self)
        outputs = list(result) if isinstance(result, list | tuple) else [result]
        if len(outputs) < len([o for o in proto.output if o]):
            raise RuntimeError(f"the converter of {node} gave {len(outputs)} outputs, "
                               f"the node has {len(proto.output)}")
        foldable = proto.op_type not in _NONDETERMINISTIC and all(
            i is None or isinstance(i, _expr.Constant) for i in inputs
        )
        for name, out in zip(proto.output, outputs):
            if not name:
                continue
            if isinstance(out, _expr.TupleWrapper):
                out = out.astuple()
            if foldable and not isinstance(out, _expr.Constant):
                out = fold_constant(out)
            infer_type(out)
            self._nodes[name] = out

    def convert_subgraph(self, graph, bindings, opset):
        """Convert a subgraph (a ``Loop``/``Scan`` body, an ``If`` branch) inline.

        Parameters
        ----------
        graph : onnx.GraphProto
        bindings : dict of str to relay.Expr
            The values of the subgraph's inputs.
        opset : int

        Returns
        -------
        outputs : list of relay.Expr
            The subgraph's outputs, in order. Values of the enclosing graphs stay
            visible by name (ONNX's outer-scope references); the subgraph's own names
            are dropped afterwards.
        """
        from onnx import numpy_helper  # pylint: disable=import-outside-toplevel

        outer = self._nodes
        self._nodes = dict(outer)
        try:
            for init in graph.initializer:
                self._nodes[init.name] = _expr.const(numpy_helper.to_array(init))
            self._nodes.update(bindings)
            for proto in _topological_order(graph, self._nodes):
                self._convert_node(proto, opset)
            missing = [v.name for v in graph.output if v.name not in self._nodes]
            if missing:
                raise ValueError(f"subgraph {graph.name!r}: outputs {missing} are not computed")
            return [self._nodes[v.name] for v in graph.output]
        finally:
            self._nodes = outer

    def from_onnx(self, graph, opset):
        """Convert ``graph``; returns ``(IRModule, params)``."""
        _check_supported(graph, opset)
        self._add_initializers(graph)
        self._add_inputs(graph)
        for proto in _topological_order(graph, self._nodes):
            self._convert_node(proto, opset)
        outputs = []
        for value_info in graph.output:
            if value_info.name not in self._nodes:
                raise ValueError(f"graph output {value_info.name!r} is not computed by any node")
            outputs.append(self._nodes[value_info.name])
        body = outputs[0] if len(outputs) == 1 else _expr.Tuple(outputs)
        func = _function.Function(self._inputs + self._param_vars, body)
        return IRModule.from_expr(func), dict(self.params)


def from_onnx(model, shape=None, dtype="float32", opset=None, freeze_params=True,
              convert_config=None):  # pylint: disable=unused-argument
    """Convert an ONNX model into a Relay module.

    Parameters
    ----------
    model : onnx.ModelProto or str
        The model, or the path of an ``.onnx`` file (read with
        :func:`load_onnx_model`).
    shape : dict of str to tuple of int, optional
        Static shapes of graph inputs. Required for every input with symbolic
        (``dim_param``) or unknown dimensions; otherwise the model's shapes are used.
    dtype : str or dict of str to str
        Dtype of inputs whose element type the model does not give; a dict
        overrides the dtype of the inputs it names.
    opset : int, optional
        Convert as if the model used this opset of the default domain
        (default: the model's own ``opset_import``).
    freeze_params : bool
        If True (the default here, unlike upstream 0.8 where it was False),
        every initializer becomes a constant of the graph, which lets shape
        computations fold. If False, floating-point initializers become
        parameters of ``main`` and are returned in ``params``; integer
        initializers (shapes, axes, indices) stay constants.
    convert_config : dict, optional
        Accepted for 0.8 compatibility (e.g. ``{"use_nt_batch_matmul": True}``);
        those switches chose between equivalent Relay forms and change nothing here.

    Returns
    -------
    mod : tvm.IRModule
        The relay module; ``main`` takes the graph inputs (then the parameters).
    params : dict of str to tvm.runtime.Tensor
        The parameters (empty if ``freeze_params``).

    Raises
    ------
    tvm.error.OpNotImplemented
        Listing every operator of the graph that is not supported, with the opset.
    ValueError
        If an input with symbolic dimensions has no ``shape``, or the opset is
        outside :data:`SUPPORTED_OPSETS`.
    """
    import onnx  # pylint: disable=import-outside-toplevel

    if isinstance(model, str | os.PathLike):
        model = load_onnx_model(model, check_opset=opset is None)
    if isinstance(model, onnx.ModelProto):
        graph = model.graph
        model_opset = _model_opset(model)
    elif isinstance(model, onnx.GraphProto):
        graph, model_opset = model, None
    else:
        raise TypeError(f"from_onnx expects an onnx.ModelProto, got {type(model).__name__}")
    if opset is None:
        if model_opset is None:
            raise ValueError("from_onnx: give opset= when converting a bare GraphProto")
        opset = model_opset
        _check_opset(opset, "from_onnx: the model")
    else:
        _check_opset(opset, "from_onnx: opset=")
        if model_opset is not None and int(opset) != model_opset:
            logger.warning("from_onnx: converting with opset %d; the model declares opset %d",
                           opset, model_opset)
    return GraphProto(shape, dtype, freeze_params).from_onnx(graph, int(opset))
