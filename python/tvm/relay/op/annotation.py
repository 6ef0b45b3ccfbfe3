"""Annotation operators (TVM 0.8's ``relay.annotation``).

``checkpoint`` and ``stop_fusion`` are identity operators that carry a meaning
for passes: ``stop_fusion`` is opaque to ``FuseOps`` (no fusion across it),
``checkpoint`` marks a value to recompute rather than keep (it matters only to
automatic differentiation, which the fork does not have; evaluated, it is the
identity). ``on_device`` places a value on a device: the fork compiles for one
CPU, so it accepts only the CPU and returns the value.
"""
from tvm import topi

from ._util import define, make_call
from .op import OpPattern
from .type_relations import identity_rel

__all__ = ["checkpoint", "stop_fusion", "on_device"]



def _checkpoint_rel(arg_types, attrs):  # pylint: disable=unused-argument
    """0.8's ``IdentityRel`` for checkpoint: any type, a tuple of tensors included
    (a checkpointed tuple is recomputed as a whole)."""
    return arg_types[0]


# a tuple argument arrives flattened (one tensor per field): each field is copied
define("annotation.checkpoint", _checkpoint_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.identity(t) for t in inputs], 1)
define("annotation.stop_fusion", identity_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.identity(inputs[0])], 1)


def checkpoint(data):
    """Mark ``data`` for recomputation in the backward pass (identity here)."""
    return make_call("annotation.checkpoint", [data])


def stop_fusion(data):
    """Keep ``FuseOps`` from fusing across ``data`` (identity when evaluated)."""
    return make_call("annotation.stop_fusion", [data])


def on_device(data, device, constrain_result=False, constrain_body=True):  # pylint: disable=unused-argument
    """Place ``data`` on ``device``: the fork compiles for the CPU only, so only
    a CPU device is accepted (the annotation is then a no-op)."""
    import tvm  # pylint: disable=import-outside-toplevel

    if isinstance(device, str):
        device = tvm.device(device)
    elif isinstance(device, int):
        device = tvm.device(device, 0)
    if int(device.dlpack_device_type()) != 1:
        raise ValueError(f"relay.annotation.on_device: {device} is not the CPU; this fork "
                         "compiles for the CPU only")
    return data
