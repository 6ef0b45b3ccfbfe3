"""The calibrate stage: give every ``simulated_quantize`` its scale and clip range.

A WEIGHT-field quantization gets the largest magnitude of its constant
(rounded up to a power of two with ``weight_scale="power2"``). The others get
``global_scale``, or a scale measured on the ``dataset``: the float model (every
``simulated_quantize`` taken as the identity) is run on each sample with all
quantized tensors as outputs, ``calibrate_chunk_by`` tensors per run, and each
tensor's scale is chosen by KL divergence (``kl_divergence``) or as the 99.999th
percentile of its magnitudes (``percentile``).

A scale ``s`` for ``nbit`` signed bits becomes ``dom_scale = s / 2**(nbit-1)``
with clip range ``[-(2**(nbit-1) - 1), 2**(nbit-1) - 1]``, as in 0.8.

The model is run on the NumPy reference interpreter: it compiles nothing, so a
calibration costs only the evaluation (a compiled run would first compile every
fused kernel of the model, which costs more than evaluating a few samples).
"""
import numpy as np

from .. import expr as _expr
from ..expr import Call
from ..function import Function
from ..transform._utils import post_order
from ._config import QAnnotateKind, current_qconfig
from ._ops import SIMQ
from ._rewrite import forward_op, rewrite_function
from .kl_divergence import _find_scale_by_kl


def _is_simq(node):
    return isinstance(node, Call) and getattr(node.op, "name", None) == SIMQ


def _simq_nodes(func):
    return [n for n in post_order(func.body) if _is_simq(n)]


def _power2(value):
    return float(2.0 ** np.ceil(np.log2(value))) if value > 0 else 1.0


def _weight_scale(data):
    cfg = current_qconfig()
    peak = float(np.max(np.abs(data))) if data.size else 0.0
    if peak == 0:
        return 1.0
    return _power2(peak) if cfg.weight_scale == "power2" else peak


def _to_numpy(value):
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def collect_stats(mod, dataset, chunk_by=-1):
    """The values of the non-weight quantized tensors of ``mod['main']`` on each
    sample: a list (one entry per tensor) of lists (one array per sample)."""
    from ..backend import interpreter  # pylint: disable=import-outside-toplevel
    from tvm.ir import IRModule  # pylint: disable=import-outside-toplevel

    func = mod["main"]
    identity = {SIMQ: lambda call, args: args[0]}
    nodes = [n for n in _simq_nodes(func) if int(n.attrs.kind) != QAnnotateKind.WEIGHT]
    if not nodes:
        return []
    # the float model with the quantized tensors as outputs
    outs = Function(func.params, _expr.Tuple([n.args[0] for n in nodes]))
    outs = rewrite_function(outs, identity, lambda v: v)
    fields = list(outs.body.fields)
    chunk = len(fields) if chunk_by in (-1, None) else int(chunk_by)
    stats = [[] for _ in fields]
    for start in range(0, len(fields), chunk):
        part = Function(outs.params, _expr.Tuple(fields[start:start + chunk]))
        part_mod = IRModule.from_expr(part)
        run = interpreter.create_executor("debug", mod=part_mod).evaluate()
        for sample in dataset:
            args = []
            for param in func.params:
                if param.name_hint not in sample:
                    raise ValueError(f"relay.quantize.calibrate: the dataset sample has no input "
                                     f"{param.name_hint!r} (it has {sorted(sample)})")
                args.append(np.asarray(_to_numpy(sample[param.name_hint]),
                                       dtype=str(param.checked_type.dtype)))
            result = run(*args)
            values = result if isinstance(result, (list, tuple)) else [result]
            if hasattr(result, "__len__") and not isinstance(result, (list, tuple)):
                values = [result[i] for i in range(len(result))]
            for i, value in enumerate(values):
                stats[start + i].append(_to_numpy(value))
    return stats


def _data_scales(mod, dataset):
    cfg = current_qconfig()
    nodes = [n for n in _simq_nodes(mod["main"]) if int(n.attrs.kind) != QAnnotateKind.WEIGHT]
    if cfg.calibrate_mode == "global_scale":
        return {id(n): float(cfg.global_scale) for n in nodes}
    # a generator (as in 0.8's tutorial) is read once and kept: each chunk of
    # outputs runs over all the samples again
    dataset = list(dataset) if dataset is not None else []
    if not dataset:
        raise ValueError(f"relay.quantize: calibrate_mode={cfg.calibrate_mode!r} needs a dataset "
                         "(quantize(mod, params, dataset=[{input name: array}, ...]))")
    stats = collect_stats(mod, dataset, cfg.calibrate_chunk_by)
    scales = {}
    for node, samples in zip(nodes, stats):
        flat = np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in samples])
        if cfg.calibrate_mode == "kl_divergence":
            scale = _find_scale_by_kl(flat, "int8")
        else:
            scale = float(np.percentile(np.abs(flat), 99.999)) if flat.size else 1.0
        scales[id(node)] = scale if scale > 0 else 1.0
    return scales


def calibrate_module(mod, dataset=None):
    """``mod`` with every ``simulated_quantize`` of ``main`` calibrated."""
    cfg = current_qconfig()
    func = mod["main"]
    scales = _data_scales(mod, dataset)

    def rule(call, args):
        kind = int(call.attrs.kind)
        if kind == QAnnotateKind.IDENTITY:
            return None
        if kind == QAnnotateKind.WEIGHT:
            data = args[0]
            if not isinstance(data, _expr.Constant):
                raise ValueError("relay.quantize: a weight to quantize is not a constant; pass "
                                 "the weights in params (they are bound and folded first)")
            scale = _weight_scale(data.numpy())
        else:
            scale = scales[id(call)]
        nbit = cfg.get_nbit_by_kind(kind)
        valid = 2.0 ** (nbit - 1) if call.attrs.sign else 2.0 ** nbit
        consts = [_expr.const(np.float32(scale / valid)), _expr.const(np.float32(-(valid - 1))),
                  _expr.const(np.float32(valid - 1))]
        return forward_op(call, [args[0]] + consts)

    new = rewrite_function(func, {SIMQ: rule}, lambda v: v)
    new_mod = mod.copy()
    new_mod["main"] = new
    return new_mod


def calibrate(dataset=None):
    """0.8's ``calibrate(dataset)``: a function ``(mod, ctx) -> mod`` to wrap in
    ``tvm.transform.module_pass``."""

    def wrapped(mod, ctx):  # pylint: disable=unused-argument
        return calibrate_module(mod, dataset)

    return wrapped
