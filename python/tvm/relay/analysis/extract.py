"""Analyses that look at what a module computes: its fused kernels, its
operators, and the values flowing through its external functions.

* :func:`extract_fused_functions` - the distinct primitive (fused) functions
  ``FuseOps`` makes of ``main``, keyed by their structural hash, as 0.8
  (``SimplifyInference``, ``FuseOps(3)``, then the extraction).
* :func:`list_op_freqs` - how many calls of each operator ``main`` makes,
  inside fused functions too.
* :func:`get_calibration_data` - the inputs and outputs of every call of a
  ``"Compiler"`` function in ``main`` for given inputs (0.8's calibration of
  external codegens): ``main`` is rewritten to return all of them, those
  functions are inlined and the result runs on the graph executor.
"""
import tvm

from ..expr import Call, GlobalVar, Tuple, TupleGetItem
from ..function import Function
from . import _nodes


def _main(mod):
    if "main" not in mod:
        raise ValueError("the module has no main function")
    return mod["main"]


def extract_fused_functions(mod):
    """The fused primitive functions of ``mod``'s ``main``.

    Runs ``SimplifyInference`` and ``FuseOps(3)`` (after ``InferType``), then
    collects every function with the ``"Primitive"`` attribute.

    Parameters
    ----------
    mod : tvm.IRModule

    Returns
    -------
    ret : Dict[tvm.relay.GlobalVar, tvm.relay.Function]
        Keyed as 0.8: a ``GlobalVar`` whose name is the function's structural
        hash, so structurally equal kernels appear once.
    """
    from ..structural import structural_hash  # pylint: disable=import-outside-toplevel
    from ..transform import FuseOps, InferType, SimplifyInference  # pylint: disable=import-outside-toplevel

    mod = InferType()(mod)
    mod = SimplifyInference()(mod)
    mod = InferType()(mod)
    mod = FuseOps(3)(mod)
    found = {}
    for node in _nodes.post_order(_main(mod)):
        if isinstance(node, Function) and node.is_primitive:
            found.setdefault(str(structural_hash(node)), node)
    return {GlobalVar(key): func for key, func in found.items()}


def _op_calls(expr):
    """Calls of operators in ``expr``, each call node once, fused bodies included."""
    for node in _nodes.post_order(expr):
        if isinstance(node, Call) and _nodes.is_op(node.op):
            yield node


def list_op_freqs(mod):
    """How many times each operator is called in ``mod``'s ``main`` (each
    call node once; the bodies of fused functions are counted).

    Parameters
    ----------
    mod : tvm.IRModule

    Returns
    -------
    ret : Dict[str, int]
        Operator name to number of calls.
    """
    freqs = {}
    for call in _op_calls(_main(mod)):
        freqs[call.op.name] = freqs.get(call.op.name, 0) + 1
    return freqs


def _external(mod, call):
    """The ``"Compiler"`` function ``call`` calls, else None."""
    if not (isinstance(call, Call) and isinstance(call.op, GlobalVar)):
        return None
    if call.op.name_hint not in mod:
        raise ValueError(f"function {call.op.name_hint} is not defined in the module")
    func = mod[call.op.name_hint]
    if isinstance(func, Function) and func.attrs.get("Compiler") is not None:
        return func
    return None


def _calibration_module(mod):
    """``(module, {GlobalVar: (offset, n_inputs, n_outputs)})``: ``main``
    returns the flattened inputs and outputs of every external call."""
    from ..transform import InferType  # pylint: disable=import-outside-toplevel

    mod = InferType()(mod)
    main = _main(mod)
    outputs, layout, offset = [], {}, 0
    for node in _nodes.post_order(main.body):
        func = _external(mod, node)
        if func is None:
            continue
        if node.op.name_hint in {g.name_hint for g in layout}:
            raise ValueError(f"repeated call of {node.op.name_hint} is not supported")
        n_out = len(func.body.fields) if isinstance(func.body, Tuple) else 1
        layout[node.op] = (offset, len(node.args), n_out)
        offset += len(node.args) + n_out
        outputs.extend(node.args)
        outputs.append(node)
    fields = []
    for value in outputs:
        ty = value.checked_type
        if _nodes.kind(ty) == "TupleType":
            if not isinstance(value, Call):
                raise ValueError("calibration: a tuple-typed input of an external function is not supported")
            fields.extend(TupleGetItem(value, i) for i in range(len(ty.fields)))
        else:
            fields.append(value)
    new_mod = mod.copy()
    new_mod["main"] = Function(main.params, Tuple(fields), None, main.type_params, main.attrs)
    for gvar, func in mod.functions_items():
        if isinstance(func, Function) and func.attrs.get("Compiler") is not None:
            new_mod[gvar] = func.without_attr("Compiler").with_attr("Inline", 1)
    return new_mod, layout


def get_calibration_data(mod, data):
    """Inputs and outputs of each external (``"Compiler"``) function called
    by ``main``, for the inputs ``data`` (0.8's calibration data).

    Limitations (0.8's): no control flow in ``main``, no tuple-typed inputs
    of external functions (tuple outputs are fine), top-level functions only,
    each called once.

    Parameters
    ----------
    mod : tvm.IRModule
    data : Dict[str, NDArray]
        Values of ``main``'s parameters by name.

    Returns
    -------
    data : Dict[tvm.relay.GlobalVar, Dict[str, List[NDArray]]]
        ``data[gvar]["inputs"]`` and ``data[gvar]["outputs"]``.
    """
    from ..build_module import create_executor  # pylint: disable=import-outside-toplevel
    from ..transform import Inline  # pylint: disable=import-outside-toplevel

    calib_mod, layout = _calibration_module(mod)
    calib_mod = Inline()(calib_mod)
    result = create_executor("graph", mod=calib_mod, device=tvm.cpu(0)).evaluate()(**data)
    if not isinstance(result, list | tuple):
        result = [result[i] for i in range(len(result))] if hasattr(result, "__len__") else [result]
    calib = {}
    for gvar, (offset, n_in, n_out) in layout.items():
        calib[gvar] = {
            "inputs": list(result[offset:offset + n_in]),
            "outputs": list(result[offset + n_in:offset + n_in + n_out]),
        }
    return calib


__all__ = ["extract_fused_functions", "list_op_freqs", "get_calibration_data"]
