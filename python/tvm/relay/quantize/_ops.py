"""The operators of the quantizer: ``relay.op.annotation.simulated_quantize`` and
``annotation.cast_hint`` (0.8 names).

``simulated_quantize(data, dom_scale, clip_min, clip_max)`` computes in float
what the integer graph will compute: ``round(clip(data / dom_scale)) * dom_scale``
(the identity for kind IDENTITY). ``cast_hint(data, dtype)`` is the identity; it
marks where the partition pass wants a value stored in ``dtype``.
Both have a TOPI compute (for ``relay.build`` with ``do_simulation=True``) and a
NumPy kernel (for the reference interpreter).
"""
import numpy as np
from tvm import topi

from ..op._util import define, make_call
from ..op.op import OpPattern
from ..op.type_relations import identity_rel
from ..reference.ops.registry import register_kernel, _KERNELS
from ._config import QAnnotateKind

SIMQ = "relay.op.annotation.simulated_quantize"
CAST_HINT = "annotation.cast_hint"


def _simq_compute(attrs, inputs, out_type):  # pylint: disable=unused-argument
    data, scale, clip_min, clip_max = inputs
    if int(attrs.kind) == QAnnotateKind.IDENTITY:
        return [topi.identity(data)]
    scaled = topi.divide(data, scale)
    clipped = topi.maximum(topi.minimum(scaled, clip_max), clip_min)
    return [topi.multiply(topi.round(clipped), scale)]


def _register():
    from ..op import op as _op  # pylint: disable=import-outside-toplevel

    try:
        _op.get(SIMQ)
    except Exception:  # pylint: disable=broad-except
        define(SIMQ, identity_rel, OpPattern.ELEMWISE, _simq_compute, 4)
    try:
        _op.get(CAST_HINT)
    except Exception:  # pylint: disable=broad-except
        define(CAST_HINT, identity_rel, OpPattern.ELEMWISE,
               lambda attrs, inputs, out: [topi.identity(inputs[0])], 1)
    if SIMQ not in _KERNELS:

        @register_kernel(SIMQ)
        def _simq_kernel(attrs, args):
            data, scale, cmin, cmax = (np.asarray(a) for a in args)
            if int(attrs.kind) == QAnnotateKind.IDENTITY:
                return data
            out = np.round(np.clip(data / scale, cmin, cmax)) * scale
            return out.astype(data.dtype)

    if CAST_HINT not in _KERNELS:
        register_kernel(CAST_HINT)(lambda attrs, args: args[0])


_register()


def simulated_quantize(data, dom_scale, clip_min, clip_max, kind, sign=True, rounding="round"):
    """A ``simulated_quantize`` call; the scale and clip bounds are expressions
    (scalar constants once calibrated)."""
    return make_call(SIMQ, [data, dom_scale, clip_min, clip_max],
                     "relay.attrs.SimulatedQuantizeAttrs",
                     kind=int(kind), sign=bool(sign), rounding=str(rounding))


def cast_hint(data, dtype):
    """Mark ``data`` to be stored in ``dtype`` after realization (identity)."""
    return make_call(CAST_HINT, [data], "relay.attrs.CastHintAttrs", dtype=str(dtype))
