"""PyTorch frontend: ``relay.frontend.from_pytorch`` and ``from_exported_program``.

Two ways out of PyTorch lead here, and both reach the same converters:

* :func:`from_pytorch` takes a TorchScript module (``torch.jit.trace`` or
  ``torch.jit.script``), with upstream TVM 0.8's signature and contract.
* :func:`from_exported_program` takes a ``torch.export.ExportedProgram``, the
  capture path torch recommends since 2.x.

Why a sibling function rather than one entry point for both: the two inputs
carry different information. A TorchScript graph does not always know its input
shapes, so ``from_pytorch`` requires ``input_infos`` (as in 0.8); an exported
program records the shape and dtype of every input, so ``input_infos`` is
optional there and only renames (or checks) the inputs. One function whose
required arguments depend on the type of its first argument would make both
contracts harder to read; 0.8 scripts keep calling ``from_pytorch`` unchanged.

The package: :mod:`._registry` holds the one converter table, keyed by ATen
schema name (``"aten::conv2d"``); ``_ops_math``, ``_ops_activation``, ``_ops_nn``,
``_ops_shape``, ``_ops_index``, ``_ops_attention``, ``_ops_recurrent`` and
``_ops_quantized`` fill it;
:mod:`.torchscript` and :mod:`.exported_program` walk the two graph kinds.
torch itself is imported only when a conversion starts: this package never
imports it at module level.
"""
from . import (  # noqa: F401  (each module registers its converters)
    _ops_activation, _ops_attention, _ops_index, _ops_math, _ops_nn, _ops_quantized,
    _ops_recurrent, _ops_shape)
from ._registry import CONVERTERS

__all__ = ["from_pytorch", "from_exported_program", "supported_ops"]


def _require_torch():
    try:
        import torch  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError as err:
        raise ImportError(
            "the PyTorch frontend needs torch, an optional dependency of tvmfork: install it "
            'with  pip install -e ".[torch]"  (or pip install torch)'
        ) from err


def supported_ops():
    """The ATen operator names (``"aten::linear"``...) the converters handle, sorted."""
    return sorted(CONVERTERS)


def from_pytorch(script_module, input_infos, custom_convert_map=None, default_dtype="float32",
                 use_parser_friendly_name=False, keep_quantized_weight=False):
    """Convert a TorchScript module into a Relay module and its parameters.

    Parameters
    ----------
    script_module : torch.jit.ScriptModule
        A module from ``torch.jit.trace(model, example_inputs)`` (or
        ``torch.jit.script``: its graph must use only supported operators, with
        no data-dependent control flow). Trace in ``eval()`` mode.
    input_infos : list of tuple
        One ``(name, shape)`` or ``(name, (shape, dtype))`` per graph input, in
        order, e.g. ``[("input0", (1, 3, 224, 224))]`` or
        ``[("input_ids", ((1, 128), "int64"))]``. The names become the names of
        the Relay inputs (``set_input`` uses them). As in 0.8, the dtype
        recorded in the traced graph is used when there is one (a different
        dtype in ``input_infos`` is reported in a warning), else the dtype in
        ``input_infos``, else ``default_dtype``.
    custom_convert_map : dict of str to callable, optional
        Converters for operators by ATen name (``"aten::foo"``), in 0.8's form
        ``func(inputs, input_types) -> relay.Expr``: ``inputs`` are Relay
        expressions and Python values in schema order, ``input_types`` their
        dtypes. They take precedence over the built-in converters.
    default_dtype : str
        The dtype of inputs and values whose type the graph does not give.
    use_parser_friendly_name : bool
        Name parameters with ``_`` instead of ``.`` (``"conv1_weight"``), as
        Relay's text parser reads ``a.b`` as a tuple access.
    keep_quantized_weight : bool
        Accepted for 0.8 compatibility. Quantized models (``torch.ao.quantization``,
        traced) always get their weights as int8 constants with their scales,
        which is what 0.8 did with ``keep_quantized_weight=True``; the result of
        ``relay.build`` is the same either way.

    Returns
    -------
    mod : tvm.IRModule
        ``main`` takes the inputs in ``input_infos`` order, then the parameters.
    params : dict of str to tvm.runtime.Tensor
        The weights and buffers, named by their ``state_dict`` keys.

    Raises
    ------
    ImportError
        If torch is not installed.
    tvm.error.OpNotImplemented
        Listing every operator of the graph without a converter, before any
        conversion work.
    TypeError, ValueError
        For malformed ``input_infos`` or inputs that disagree with the graph.
    """
    _require_torch()
    del keep_quantized_weight
    from .torchscript import convert_script_module  # pylint: disable=import-outside-toplevel

    return convert_script_module(script_module, input_infos, custom_convert_map, default_dtype,
                                 use_parser_friendly_name)


def from_exported_program(exported_program, input_infos=None, custom_convert_map=None,
                          default_dtype="float32", use_parser_friendly_name=False):
    """Convert a ``torch.export.ExportedProgram`` into a Relay module and its parameters.

    Parameters
    ----------
    exported_program : torch.export.ExportedProgram
        From ``torch.export.export(model.eval(), example_args)``, as exported or
        after ``run_decompositions()``. Dimensions must be static.
    input_infos : list of tuple, optional
        ``(name, shape)`` or ``(name, (shape, dtype))`` per user input, in order:
        renames the inputs and checks their shapes (a dtype given here
        overrides the exported one). By default the inputs keep the names of
        the program's placeholders (the ``forward`` argument names).
    custom_convert_map : dict of str to callable, optional
        As for :func:`from_pytorch`, keyed by ATen name without overload.
    default_dtype : str
        The dtype for Python floats the graph does not type.
    use_parser_friendly_name : bool
        As for :func:`from_pytorch`.

    Returns
    -------
    mod : tvm.IRModule
    params : dict of str to tvm.runtime.Tensor
        Parameters, buffers and lifted tensor constants, named by their
        ``state_dict`` keys.

    Raises
    ------
    ImportError
        If torch is not installed.
    tvm.error.OpNotImplemented
        Listing every unsupported operator at once, before conversion.
    """
    _require_torch()
    # pylint: disable-next=import-outside-toplevel
    from .exported_program import convert_exported_program

    return convert_exported_program(exported_program, input_infos, custom_convert_map,
                                    default_dtype, use_parser_friendly_name)

