"""Annotation operators (TVM 0.8's ``relay.annotation``).

``checkpoint`` and ``stop_fusion`` are identity operators that carry a meaning
for passes: ``stop_fusion`` is opaque to ``FuseOps`` (no fusion across it),
``checkpoint`` marks a value to recompute rather than keep (it matters only to
automatic differentiation, which the fork does not have; evaluated, it is the
identity).

``on_device`` (0.8's ``OnDeviceAttrs``: ``device_type``, ``is_fixed``) says on
which device a value is stored; ``function_on_device`` records the devices of a
function's parameters and result as its ``param_device_types`` /
``result_device_type`` attributes. ``relay.transform.PlanDevices`` turns them
into a device for every expression plus explicit ``device_copy`` calls. Only
the device type is kept (as 0.8). The fork compiles for the CPU only: the
annotations and copies are accepted in any program, ``relay.build`` removes the
CPU ones and refuses another device.
"""
from tvm import topi

from ._util import define, make_call
from . import op as _op
from .op import OpPattern
from .type_relations import identity_rel

__all__ = ["checkpoint", "stop_fusion", "on_device", "function_on_device"]



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


def _device_type(device):
    """The DLPack device type (an int) of a ``tvm.device``, a device name
    (``"cpu"``, ``"cuda"``) or a device type given as an int."""
    import tvm  # pylint: disable=import-outside-toplevel

    if isinstance(device, bool):
        raise ValueError(f"expecting a Device or device name, but received {device!r}")
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = tvm.device(device)
    if isinstance(device, tvm.runtime.Device):
        return int(device.dlpack_device_type())
    raise ValueError(f"expecting a Device or device name, but received a {type(device)}")


# 0.8's "on_device": identity on any type (tensors, tuples, functions), opaque to
# fusion; the OnDeviceAttrs defaults are read by the text parser.
define("on_device", _checkpoint_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.identity(t) for t in inputs], 1,
       "relay.attrs.OnDeviceAttrs")
_op.get("on_device").set_attr("attrs_defaults", {"is_fixed": False})


def on_device(data, device, is_fixed=False):
    """Annotate ``data`` with the device on which its result is stored
    (0.8's ``relay.annotation.on_device``).

    Parameters
    ----------
    data : tvm.relay.Expr
        The expression to annotate.
    device : Union[tvm.runtime.Device, str]
        The device; only its type is kept.
    is_fixed : bool
        If false (the default), ``PlanDevices`` may insert a ``device_copy`` between
        ``data`` and the context using it; if true, the context is on ``device`` too
        (``PlanDevices`` writes its own annotations this way).

    Returns
    -------
    result : tvm.relay.Expr
        The ``on_device`` call.
    """
    return make_call("on_device", [data], "relay.attrs.OnDeviceAttrs",
                     device_type=_device_type(device), is_fixed=bool(is_fixed))


def function_on_device(function, param_devices, result_device):
    """``function`` with the devices of its parameters and result recorded as its
    ``param_device_types`` / ``result_device_type`` attributes (0.8's
    ``relay.annotation.function_on_device``; only the device types are kept).

    Parameters
    ----------
    function : tvm.relay.Function
    param_devices : list of Union[tvm.runtime.Device, str]
        One device per parameter.
    result_device : Union[tvm.runtime.Device, str]

    Returns
    -------
    result : tvm.relay.Function
    """
    param_types = [_device_type(d) for d in param_devices]
    if len(param_types) != len(function.params):
        raise ValueError(f"function_on_device: {len(param_types)} devices for "
                         f"{len(function.params)} parameters")
    return function.with_attr({"param_device_types": param_types,
                               "result_device_type": _device_type(result_device)})


# ---- compiler_begin / compiler_end (BYOC region boundaries; 0.8's CompilerAttrs) ----
# Identity on any type, opaque to fusion. relay.transform.AnnotateTarget inserts them,
# MergeCompilerRegions merges the regions they delimit, PartitionGraph lifts each region
# into a global function for the external code generator named by ``compiler``.
define("annotation.compiler_begin", _checkpoint_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.identity(t) for t in inputs], 1,
       "relay.attrs.CompilerAttrs")
define("annotation.compiler_end", _checkpoint_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.identity(t) for t in inputs], 1,
       "relay.attrs.CompilerAttrs")
__all__ += ["compiler_begin", "compiler_end"]


def compiler_begin(data, compiler):
    """Mark ``data`` as an input of a region handled by the external code
    generator ``compiler`` (0.8's ``relay.annotation.compiler_begin``).

    Parameters
    ----------
    data : tvm.relay.Expr
    compiler : str
        The code generator's name (``"default"`` means TVM itself).

    Returns
    -------
    result : tvm.relay.Expr
    """
    return make_call("annotation.compiler_begin", [data], "relay.attrs.CompilerAttrs",
                     compiler=str(compiler))


def compiler_end(data, compiler):
    """Mark ``data`` as an output of a region handled by the external code
    generator ``compiler`` (0.8's ``relay.annotation.compiler_end``).

    Parameters
    ----------
    data : tvm.relay.Expr
    compiler : str

    Returns
    -------
    result : tvm.relay.Expr
    """
    return make_call("annotation.compiler_end", [data], "relay.attrs.CompilerAttrs",
                     compiler=str(compiler))
