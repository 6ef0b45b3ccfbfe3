"""Convert a ``torch.export.ExportedProgram`` (an ATen-level FX graph) to Relay.

``torch.export`` lifts parameters, buffers and tensor constants into graph
placeholders and says which is which in ``graph_signature.input_specs``; user
inputs carry their shape and dtype as a fake tensor in ``node.meta["val"]``.
Calls are ``OpOverload`` objects (``torch.ops.aten.conv2d.default``): the walker
names them by schema name (``"aten::conv2d"``) and passes their arguments in
schema order with keyword and default arguments filled in, so the converters
written for TorchScript serve unchanged.

Relay shapes are static: a dimension exported as dynamic (``torch.export.Dim``)
takes the size given in ``input_infos``, or else its example size.

The program is converted as given, in whichever ATen dialect it is: the default
export IR (``aten.linear``, ``aten.layer_norm``, ``aten.scaled_dot_product_attention``)
or the core ATen IR after ``run_decompositions()`` (``aten.addmm``,
``aten.native_layer_norm``, ``aten._native_batch_norm_legit_no_training``).
"""
import logging
import operator

from ... import expr as _expr
from ...ty import TensorType
from . import _registry
from ._helpers import relay_dtype
from .torchscript import _parse_input_info, _unpack, build_module, flatten_outputs

__all__ = ["convert_exported_program", "WALKER_OPS", "op_name_of"]

logger = logging.getLogger("relay")

#: call targets the walker handles itself
WALKER_OPS = frozenset({"getitem"})


def op_name_of(target):
    """The converter-table name of an FX call target."""
    if target is operator.getitem:
        return "getitem"
    schema = getattr(target, "_schema", None)
    if schema is not None:
        return schema.name
    return getattr(target, "__name__", str(target))


def _schema_args(node):
    """The call's arguments in schema order, keyword and default arguments filled in."""
    args, kwargs = list(node.args), dict(node.kwargs)
    schema = getattr(node.target, "_schema", None)
    if schema is None:
        return args
    full = []
    for index, arg in enumerate(schema.arguments):
        if index < len(args) and not arg.kwarg_only:
            full.append(args[index])
        elif arg.name in kwargs:
            full.append(kwargs[arg.name])
        elif arg.has_default_value():
            full.append(arg.default_value)
        else:
            full.append(None)
    return full


class ExportedProgramConverter:
    """Walks the graph of one ExportedProgram; see :func:`convert_exported_program`."""

    def __init__(self, converters, default_dtype, separator):
        self.converters = converters
        self.default_dtype = default_dtype
        self.separator = separator
        self.values = {}
        self.params = {}
        self.param_vars = {}

    def _map(self, arg):
        import torch  # pylint: disable=import-outside-toplevel

        if isinstance(arg, torch.fx.Node):
            return self.values[arg.name]
        if isinstance(arg, list | tuple):
            return type(arg)(self._map(a) for a in arg)
        if isinstance(arg, torch.dtype):
            return relay_dtype(str(arg))
        if isinstance(arg, torch.device):
            return str(arg)
        return arg

    def bind_placeholders(self, program, input_infos):
        """Relay variables for user inputs and parameters (lifted placeholders)."""
        import torch  # pylint: disable=import-outside-toplevel
        # pylint: disable-next=import-outside-toplevel
        from torch.export.graph_signature import InputKind

        specs = {spec.arg.name: spec for spec in program.graph_signature.input_specs}
        user = [n for n in program.graph.nodes
                if n.op == "placeholder" and specs[n.name].kind == InputKind.USER_INPUT]
        if input_infos is not None and len(input_infos) != len(user):
            raise ValueError(f"the program takes {len(user)} user inputs "
                             f"({', '.join(n.name for n in user)}); input_infos lists "
                             f"{len(input_infos)}")
        inputs = []
        for index, node in enumerate(user):
            fake = node.meta.get("val")
            if not isinstance(fake, torch.Tensor):
                raise TypeError(f"input {node.name!r}: only tensor inputs are supported")
            dynamic = [isinstance(d, torch.SymInt) for d in fake.shape]
            # a dynamic dimension reads as its example size
            shape = [int(d) for d in fake.shape]
            dtype = relay_dtype(str(fake.dtype))
            name = node.name
            if input_infos is not None:
                name, given, given_dtype = _parse_input_info(index, input_infos[index])
                if len(given) != len(shape) or any(
                        g != d and not dyn for g, d, dyn in zip(given, shape, dynamic)):
                    raise ValueError(f"input {name!r}: input_infos gives shape {tuple(given)}, "
                                     f"the program was exported with {tuple(shape)}")
                shape = list(given)
                dtype = given_dtype or dtype
            elif any(dynamic):
                logger.warning("input %r has dynamic dimensions; converting for the example "
                               "shape %s (give input_infos to choose another)", name,
                               tuple(shape))
            var = _expr.var(name, TensorType(shape, dtype))
            self.values[node.name] = var
            inputs.append(var)
        state = dict(program.state_dict)
        state.update(getattr(program, "constants", {}) or {})
        for node in program.graph.nodes:
            if node.op != "placeholder" or node.name not in specs:
                continue
            spec = specs[node.name]
            if spec.kind == InputKind.USER_INPUT:
                continue
            if spec.target not in state:
                raise ValueError(f"placeholder {node.name!r} ({spec.kind.name}) has no value "
                                 f"{spec.target!r} in the program")
            tensor = state[spec.target]
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"{spec.target!r}: only tensor constants are supported")
            array = tensor.detach().cpu().numpy()
            name = spec.target.replace(".", self.separator)
            var = _expr.var(name, shape=array.shape, dtype=relay_dtype(str(tensor.dtype)))
            self.params[name] = array
            self.param_vars[name] = var
            self.values[node.name] = var
        return inputs

    def convert(self, program):
        output = None
        for node in program.graph.nodes:
            if node.op == "placeholder":
                continue
            if node.op == "output":
                output = self._map(node.args[0])
                break
            if node.op != "call_function":
                raise TypeError(f"FX node {node.name!r}: {node.op} nodes are not supported")
            name = op_name_of(node.target)
            if name == "getitem":
                source, index = self._map(node.args[0]), node.args[1]
                self.values[node.name] = _unpack(source, None)[index]
                continue
            inputs = [self._map(a) for a in _schema_args(node)]
            outputs = getattr(node.target, "_schema", None)
            count = len(outputs.returns) if outputs is not None else 1
            _registry.check_available(name, inputs)
            ctx = _registry.OpContext(name, inputs, self.default_dtype, count)
            self.values[node.name] = self.converters[name](ctx, inputs)
        return output


def convert_exported_program(exported_program, input_infos=None, custom_convert_map=None,
                             default_dtype="float32", use_parser_friendly_name=False):
    """See :func:`tvm.relay.frontend.from_exported_program`."""
    import torch  # pylint: disable=import-outside-toplevel

    if not isinstance(exported_program, torch.export.ExportedProgram):
        raise TypeError(f"from_exported_program expects a torch.export.ExportedProgram, got "
                        f"{type(exported_program).__name__}")
    converters = dict(_registry.CONVERTERS)
    custom = {name: _registry.wrap_custom_converter(f)
              for name, f in (custom_convert_map or {}).items()}
    converters.update(custom)
    names = [op_name_of(n.target) for n in exported_program.graph.nodes
             if n.op == "call_function"]
    _registry.report_missing(names, WALKER_OPS, custom, "exported program")
    walker = ExportedProgramConverter(converters, default_dtype,
                                      "_" if use_parser_friendly_name else ".")
    inputs = walker.bind_placeholders(exported_program, input_infos)
    output = walker.convert(exported_program)
    body = flatten_outputs(output)
    return build_module(inputs, body, walker.param_vars, walker.params)

