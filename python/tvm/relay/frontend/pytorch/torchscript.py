"""Convert a TorchScript module (``torch.jit.trace`` / ``torch.jit.script``) to Relay.

The module's graph is copied and inlined (calls of submodules become their
bodies), then walked node by node. The walker itself handles the ``prim::``
nodes that only move values around (constants, attribute reads, list and tuple
packing); every ``aten::`` node goes to the shared converter table
(:mod:`._registry`).

Attribute reads (``prim::GetAttr`` chains from ``self``) that end at a tensor
become parameters named by their dotted path, ``"layer1.0.conv1.weight"`` (the
``state_dict`` key, as in 0.8), or with ``_`` separators when
``use_parser_friendly_name`` is set. A tensor reached by two paths (shared
weights) is one parameter.
"""
import logging

import numpy as np

import tvm

from ... import expr as _expr
from ... import function as _function
from ...analysis import free_vars
from ...module import IRModule
from ...ty import TensorType, TupleType
from . import _ops_quantized, _registry
from ._helpers import is_expr, relay_dtype

__all__ = ["convert_script_module", "WALKER_OPS"]

logger = logging.getLogger("relay")

#: operators the walker handles itself (never looked up in the converter table)
WALKER_OPS = frozenset({
    "prim::Constant", "prim::GetAttr", "prim::ListConstruct", "prim::ListUnpack",
    "prim::TupleConstruct", "prim::TupleUnpack", "prim::NumToTensor", "prim::device",
    "prim::dtype", "prim::TupleIndex", "prim::unchecked_cast", "prim::If",
    "prim::RaiseException", "prim::Uninitialized", "aten::__is__", "aten::__isnot__",
    "aten::__not__", "aten::len", "aten::warn", "aten::format", "aten::__getitem__",
    "prim::Loop", "aten::append", "aten::__contains__",
})

#: unrolling a prim::Loop stops here (a guard against loops whose bound is not really static)
MAX_UNROLLED_ITERATIONS = 10000


def _all_nodes(block):
    for node in block.nodes():
        yield node
        for sub in node.blocks():
            yield from _all_nodes(sub)


class _Module:
    """A submodule reached by GetAttr: the object and its dotted path."""

    def __init__(self, obj, path):
        self.obj = obj
        self.path = path


class TorchScriptConverter:
    """Walks one inlined TorchScript graph; see :func:`convert_script_module`."""

    def __init__(self, converters, default_dtype, separator):
        self.converters = converters
        self.default_dtype = default_dtype
        self.separator = separator
        self.values = {}
        self.params = {}  # name -> numpy array
        self.param_vars = {}  # name -> relay Var
        self._param_by_id = {}

    # -- inputs and parameters --------------------------------------------------------

    def bind_inputs(self, graph_inputs, input_infos):
        """Relay variables for the graph inputs, typed from ``input_infos`` and the graph."""
        if not isinstance(input_infos, list | tuple):
            raise TypeError("input_infos must be a list of (name, shape) or "
                            "(name, (shape, dtype)) pairs")
        if len(graph_inputs) != len(input_infos):
            raise ValueError(f"the module takes {len(graph_inputs)} inputs "
                             f"({', '.join(i.debugName() for i in graph_inputs)}); input_infos "
                             f"lists {len(input_infos)}")
        variables = []
        for index, (value, info) in enumerate(zip(graph_inputs, input_infos)):
            name, spec, dtype = _parse_input_info(index, info)
            var = _expr.var(name, self._input_type(name, spec, dtype, value.type()))
            self.values[value.debugName()] = _tuple_fields(var, var.type_annotation)
            variables.append(var)
        return variables

    def _input_type(self, name, spec, dtype, ty):
        """The Relay type of an input from its ``input_infos`` spec and its TorchScript
        type: a tensor, or (as in 0.8) a tuple of them, nested as the spec is."""
        if ty.kind() == "OptionalType":
            return self._input_type(name, spec, dtype, ty.getElementType())
        if ty.kind() == "TupleType":
            elements = ty.elements()
            if not isinstance(spec, list | tuple) or len(spec) != len(elements):
                raise TypeError(f"input {name!r} is a tuple of {len(elements)}: give one shape per "
                                f"element, as a tuple, got {spec!r}")
            return TupleType([self._input_type(f"{name}[{i}]", s, dtype, t)
                              for i, (s, t) in enumerate(zip(spec, elements))])
        if ty.kind() != "TensorType":
            raise TypeError(f"input {name!r}: only tensor inputs and tuples of them are supported, "
                            f"the graph declares {ty}")
        shape = _input_shape(name, spec)
        graph_dtype = ty.scalarType()
        if graph_dtype is not None:
            graph_dtype = relay_dtype(graph_dtype)
        sizes = ty.sizes() if ty.dim() is not None else None
        if sizes is not None and (len(sizes) != len(shape) or any(
                s is not None and s != d for s, d in zip(sizes, shape))):
            raise ValueError(f"input {name!r}: input_infos gives shape {tuple(shape)}, the "
                             f"traced graph has {tuple(sizes)}")
        if dtype and graph_dtype and dtype != graph_dtype:
            # 0.8 behaviour: the graph's dtype wins over the one in input_infos
            logger.warning("input %r: the traced graph says %s, input_infos %s; using %s",
                           name, graph_dtype, dtype, graph_dtype)
        return TensorType(shape, graph_dtype or dtype or self.default_dtype)

    def _param(self, tensor, path):
        """The Relay variable of a module tensor (one per distinct tensor)."""
        key = id(tensor)
        if key in self._param_by_id:
            return self._param_by_id[key]
        array = tensor.detach().cpu().numpy()
        var = _expr.var(path, shape=array.shape, dtype=relay_dtype(str(tensor.dtype)))
        self.params[path] = array
        self.param_vars[path] = var
        self._param_by_id[key] = var
        return var

    def _get_attr(self, node):
        owner = self.values[node.inputsAt(0).debugName()]
        name = node.s("name")
        if not isinstance(owner, _Module):
            raise TypeError(f"prim::GetAttr {name!r} of a value that is not a module")
        path = name if not owner.path else owner.path + self.separator + name
        attr = getattr(owner.obj, name)
        import torch  # pylint: disable=import-outside-toplevel

        if isinstance(attr, torch.Tensor):
            return self._param(attr, path)
        if isinstance(attr, torch.nn.Module | torch.jit.ScriptModule):
            return _Module(attr, path)
        return attr

    # -- nodes --------------------------------------------------------------------------

    def _constant(self, node):
        import torch  # pylint: disable=import-outside-toplevel

        value = node.output().toIValue()
        if isinstance(value, torch.Tensor):
            array = value.detach().cpu().numpy()
            return _expr.const(array, relay_dtype(str(value.dtype)))
        if isinstance(value, torch.device):
            return str(value)
        return value

    def convert_node(self, node):
        kind = node.kind()
        inputs = [self.values[i.debugName()] for i in node.inputs()]
        outputs = list(node.outputs())
        if kind == "prim::Constant":
            result = [self._constant(node)]
        elif kind == "prim::GetAttr":
            result = [self._get_attr(node)]
        elif kind == "prim::ListConstruct":
            result = [list(inputs)]
        elif kind == "prim::TupleConstruct":
            result = [tuple(inputs)]
        elif kind in ("prim::ListUnpack", "prim::TupleUnpack"):
            result = _unpack(inputs[0], len(outputs))
        elif kind == "prim::TupleIndex":
            result = [_unpack(inputs[0], None)[int(inputs[1])]]
        elif kind in ("prim::NumToTensor", "prim::unchecked_cast"):
            result = [inputs[0]]
        elif kind == "prim::device":
            result = ["cpu"]
        elif kind == "prim::dtype":
            result = [_dtype_code(inputs[0])]
        elif kind == "prim::If":
            result = self._convert_if(node, inputs[0])
        elif kind == "prim::RaiseException":
            raise ValueError(f"the scripted model raises for these inputs: {inputs[0]}")
        elif kind in ("prim::Uninitialized", "aten::warn"):
            result = [None] * len(outputs)
        elif kind in ("aten::__is__", "aten::__isnot__"):
            same = inputs[0] is inputs[1] or (inputs[0] is None and inputs[1] is None)
            result = [same if kind == "aten::__is__" else not same]
        elif kind == "aten::__not__":
            result = [not inputs[0]]
        elif kind == "aten::len":
            value = inputs[0]
            result = [len(value) if not is_expr(value) else _static_shape(value)[0]]
        elif kind == "prim::Loop":
            result = self._convert_loop(node, inputs)
        elif kind == "aten::__getitem__":
            result = [inputs[0][inputs[1]]]
        elif kind == "aten::append":  # lists are mutable in TorchScript: append in place
            inputs[0].append(inputs[1])
            result = [inputs[0]]
        elif kind == "aten::__contains__":
            if is_expr(inputs[1]):
                raise tvm.error.OpNotImplemented(
                    "aten::__contains__: membership of a value computed by the model is not "
                    "supported; only values known at conversion time are")
            result = [inputs[1] in inputs[0]]
        elif kind == "aten::format":
            result = [str(inputs[0]).format(*inputs[1:])]
        else:
            _registry.check_available(kind, inputs)
            ctx = _registry.OpContext(kind, inputs, self.default_dtype, len(outputs))
            converted = _ops_quantized.call(ctx, self.converters[kind], inputs)
            result = [converted] if len(outputs) == 1 else _unpack(converted, len(outputs))
        for value, out in zip(outputs, result):
            self.values[value.debugName()] = out

    def _convert_if(self, node, condition):
        """Convert the branch a condition known at conversion time selects."""
        if is_expr(condition) or not isinstance(condition, bool | int):
            raise tvm.error.OpNotImplemented(
                "prim::If on a value computed by the model (data-dependent control flow) is not "
                "supported; only conditions known at conversion time (shapes, flags) are")
        block = list(node.blocks())[0 if condition else 1]
        for inner in block.nodes():
            self.convert_node(inner)
        return [self.values[v.debugName()] for v in block.returnNode().inputs()]

    def _convert_loop(self, node, inputs):
        """Unroll a ``prim::Loop`` whose trip count and conditions are known at conversion time.

        A loop carries values from one iteration to the next; they may be Relay
        expressions, but the number of iterations must not depend on tensor data.
        """
        trip_count, condition, carried = inputs[0], inputs[1], list(inputs[2:])
        block = list(node.blocks())[0]
        params = list(block.inputs())
        iteration = 0
        while True:
            if is_expr(condition):
                raise tvm.error.OpNotImplemented(
                    "prim::Loop whose condition is computed from tensor data is not supported")
            if not condition or (trip_count is not None and iteration >= trip_count):
                break
            if iteration >= MAX_UNROLLED_ITERATIONS:
                raise tvm.error.OpNotImplemented(
                    f"prim::Loop: more than {MAX_UNROLLED_ITERATIONS} iterations to unroll")
            self.values[params[0].debugName()] = iteration
            for param, value in zip(params[1:], carried):
                self.values[param.debugName()] = value
            for inner in block.nodes():
                self.convert_node(inner)
            returned = [self.values[v.debugName()] for v in block.returnNode().inputs()]
            condition, carried = returned[0], returned[1:]
            iteration += 1
        return carried

    def convert(self, graph):
        for node in graph.nodes():
            self.convert_node(node)
        returned = [self.values[v.debugName()] for v in graph.return_node().inputs()]
        return returned[0] if len(returned) == 1 else tuple(returned)


def _static_shape(value):
    from .. import common  # pylint: disable=import-outside-toplevel

    return common.infer_shape(value)


def _dtype_code(value):
    from ._helpers import SCALAR_TYPE_CODES, dtype_of  # pylint: disable=import-outside-toplevel

    dtype = dtype_of(value)
    return {v: k for k, v in SCALAR_TYPE_CODES.items()}[dtype]


def _unpack(value, count):
    if isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, _expr.TupleWrapper):
        items = [value[i] for i in range(len(value))]
    elif is_expr(value):
        from .. import common  # pylint: disable=import-outside-toplevel

        ty = common.infer_type(value).checked_type
        items = [_expr.TupleGetItem(value, i) for i in range(len(ty.fields))]
    else:
        raise TypeError(f"cannot unpack {type(value).__name__}")
    if count is not None and len(items) != count:
        raise ValueError(f"expected {count} values to unpack, got {len(items)}")
    return items


def _parse_input_info(index, info):
    """``(name, shape spec, dtype or None)`` from ``(name, shape)`` or
    ``(name, (shape, dtype))``; a tuple input's spec holds one shape per element."""
    if not isinstance(info, list | tuple) or len(info) != 2 or not isinstance(info[0], str):
        raise TypeError(f"input_infos[{index}] = {info!r}: expected (name, shape) or "
                        "(name, (shape, dtype))")
    name, spec = info
    dtype = None
    if isinstance(spec, list | tuple) and len(spec) == 2 and isinstance(spec[1], str):
        spec, dtype = spec
        dtype = relay_dtype(dtype)
    return name, spec, dtype


def _input_shape(name, spec):
    try:
        return [int(d) for d in spec]
    except (TypeError, ValueError) as err:
        raise TypeError(f"input {name!r}: the shape must be a sequence of ints, got "
                        f"{spec!r}") from err


def _tuple_fields(value, ty):
    """A tuple-typed input as the walker holds tuples: a Python tuple of its fields."""
    if not isinstance(ty, TupleType):
        return value
    return tuple(_tuple_fields(_expr.TupleGetItem(value, i), field) for i, field in enumerate(ty.fields))


def flatten_outputs(value):
    """The Relay body for a returned value: nested tuples and lists become one flat Tuple."""
    flat = []

    def visit(item):
        if isinstance(item, list | tuple):
            for sub in item:
                visit(sub)
        elif isinstance(item, _expr.Tuple):
            for sub in item.fields:
                visit(sub)
        elif is_expr(item):
            from .. import common  # pylint: disable=import-outside-toplevel

            ty = common.infer_type(item).checked_type
            if isinstance(ty, TensorType):
                flat.append(item)
            else:
                for i in range(len(ty.fields)):
                    visit(_expr.TupleGetItem(item, i))
        elif item is None:
            return
        elif isinstance(item, _ops_quantized.QTensor):
            flat.append(item.value)
        else:
            flat.append(_expr.const(np.asarray(item)))

    visit(value)
    if not flat:
        raise ValueError("the model returns no tensor")
    return flat[0] if len(flat) == 1 else _expr.Tuple(flat)


def build_module(inputs, body, param_vars, params):
    """``(IRModule, params)``: ``main`` takes the inputs, then the parameters it uses."""
    used = {id(v) for v in free_vars(body)}
    input_ids = {id(v) for v in inputs}
    stray = [v.name_hint for v in free_vars(body)
             if id(v) not in input_ids and v.name_hint not in param_vars]
    if stray:
        raise ValueError(f"the converted graph reads unbound variables: {stray}")
    used_params = [(name, var) for name, var in param_vars.items() if id(var) in used]
    func = _function.Function(list(inputs) + [var for _, var in used_params], body)
    tvm_params = {name: tvm.runtime.tensor(params[name]) for name, _ in used_params}
    return IRModule.from_expr(func), tvm_params


def convert_script_module(script_module, input_infos, custom_convert_map=None,
                          default_dtype="float32", use_parser_friendly_name=False):
    """See :func:`tvm.relay.frontend.from_pytorch`."""
    import torch  # pylint: disable=import-outside-toplevel

    if not isinstance(script_module, torch.jit.ScriptModule | torch.jit.ScriptFunction):
        raise TypeError(f"from_pytorch expects a torch.jit.trace'd or scripted module, got "
                        f"{type(script_module).__name__} (trace it with torch.jit.trace, or use "
                        "from_exported_program for a torch.export.ExportedProgram)")
    graph = script_module.graph.copy()
    torch._C._jit_pass_inline(graph)  # pylint: disable=protected-access
    converters = dict(_registry.CONVERTERS)
    custom = {name: _registry.wrap_custom_converter(f)
              for name, f in (custom_convert_map or {}).items()}
    converters.update(custom)
    _registry.report_missing([n.kind() for n in _all_nodes(graph)], WALKER_OPS, custom,
                             "TorchScript graph")

    walker = TorchScriptConverter(converters, default_dtype,
                                  "_" if use_parser_friendly_name else ".")
    graph_inputs = list(graph.inputs())
    if isinstance(script_module, torch.jit.ScriptModule):
        walker.values[graph_inputs[0].debugName()] = _Module(script_module, "")
        graph_inputs = graph_inputs[1:]
    inputs = walker.bind_inputs(graph_inputs, input_infos)
    body = flatten_outputs(walker.convert(graph))
    return build_module(inputs, body, walker.param_vars, walker.params)
