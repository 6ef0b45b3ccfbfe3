"""``device_copy`` (0.8's ``relay.op.device_copy``, ``DeviceCopyAttrs``).

A copy of a tensor (or tuple) from one device to another. ``PlanDevices`` inserts
it where an ``on_device`` annotation asks for a transition; the fork compiles for
the CPU only, so a CPU-to-CPU copy is the identity (``relay.build`` removes it,
the reference interpreter returns its argument) and any other copy is refused
by ``relay.build``.
"""
from tvm import topi

from ._util import define, make_call
from .annotation import _device_type
from .op import OpPattern

__all__ = ["device_copy"]


def _device_copy_rel(arg_types, attrs):  # pylint: disable=unused-argument
    """0.8's ``IdentityCompRel``: the result has the argument's type."""
    return arg_types[0]


define("device_copy", _device_copy_rel, OpPattern.OPAQUE,
       lambda attrs, inputs, out: [topi.identity(t) for t in inputs], 1,
       "relay.attrs.DeviceCopyAttrs")


def device_copy(data, src_dev, dst_dev):
    """Copy ``data`` from the source device to the destination device.

    Parameters
    ----------
    data : tvm.relay.Expr
        The tensor to copy.
    src_dev : Union[tvm.runtime.Device, str]
        The device the data is copied from (only its type is kept).
    dst_dev : Union[tvm.runtime.Device, str]
        The device the data is copied to (only its type is kept).

    Returns
    -------
    result : tvm.relay.Expr
        The ``device_copy`` call.
    """
    return make_call("device_copy", [data], "relay.attrs.DeviceCopyAttrs",
                     src_dev_type=_device_type(src_dev), dst_dev_type=_device_type(dst_dev))
