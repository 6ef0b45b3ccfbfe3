"""Builders of the dynamic operators' calls (0.8's ``relay.op.dyn._make``).

The public builders (``relay.reshape``, ``relay.zeros``, ``relay.topk``...) call
these when a shape argument is a non-constant Relay expression
(:func:`is_dynamic`); a relay constant is read and gives the static operator,
as in TVM 0.8.
"""
from ...expr import Constant, RelayExpr, TupleWrapper, const
from .._util import make_call
from . import _ops  # noqa: F401  (declares the ops)


def is_dynamic(value):
    """True for a Relay expression that is not a constant (a value known only at run time)."""
    return isinstance(value, RelayExpr) and not isinstance(value, Constant)


def any_dynamic(*values):
    """True if one of ``values`` is :func:`is_dynamic`."""
    return any(is_dynamic(v) for v in values)


def as_tensor(value, dtype=None):
    """``value`` as a Relay expression (a list or number becomes a constant)."""
    if isinstance(value, RelayExpr):
        return value
    return const(value, dtype)


def reshape(data, newshape):
    """``dyn.reshape``: ``newshape`` is a 1-d integer tensor."""
    return make_call("dyn.reshape", [data, newshape], "relay.attrs.ReshapeAttrs")


def squeeze(data, axis):
    """``dyn.squeeze``: ``axis`` is a 1-d integer tensor."""
    return make_call("dyn.squeeze", [data, axis], "relay.attrs.SqueezeAttrs")


def expand_dims(data, axis, num_newaxis=1):
    """``dyn.expand_dims``: ``axis`` is a scalar integer tensor."""
    return make_call("dyn.expand_dims", [data, axis], "relay.attrs.ExpandDimsAttrs",
                     num_newaxis=int(num_newaxis))


def tile(data, reps):
    """``dyn.tile``: ``reps`` is a 1-d integer tensor."""
    return make_call("dyn.tile", [data, reps], "relay.attrs.TileAttrs")


def broadcast_to(data, shape):
    """``dyn.broadcast_to``: ``shape`` is a 1-d integer tensor."""
    return make_call("dyn.broadcast_to", [data, shape], "relay.attrs.InitOpAttrs",
                     dtype="")


def zeros(shape, dtype):
    """``dyn.zeros``: ``shape`` is a 1-d integer tensor."""
    return make_call("dyn.zeros", [shape], "relay.attrs.InitOpAttrs", dtype=dtype)


def ones(shape, dtype):
    """``dyn.ones``: ``shape`` is a 1-d integer tensor."""
    return make_call("dyn.ones", [shape], "relay.attrs.InitOpAttrs", dtype=dtype)


def full(fill_value, shape, dtype=""):
    """``dyn.full``: ``shape`` is a 1-d integer tensor."""
    return make_call("dyn.full", [as_tensor(fill_value, dtype or None), shape],
                     "relay.attrs.InitOpAttrs", dtype=dtype)


def one_hot(indices, on_value, off_value, depth, axis, dtype):
    """``dyn.one_hot``: ``depth`` is a scalar integer tensor."""
    return make_call("dyn.one_hot", [indices, as_tensor(on_value, dtype),
                                     as_tensor(off_value, dtype), depth],
                     "relay.attrs.OneHotAttrs", axis=int(axis), dtype=dtype)


def strided_slice(data, begin, end, strides, slice_mode="end"):
    """``dyn.strided_slice``: ``begin``, ``end``, ``strides`` are 1-d integer tensors
    (lists become constants)."""
    begin = as_tensor(begin)
    end = as_tensor(end)
    strides = as_tensor(strides)
    return make_call("dyn.strided_slice", [data, begin, end, strides],
                     "relay.attrs.StridedSliceAttrs", slice_mode=slice_mode)


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value):
    """``dyn.sparse_to_dense``: ``output_shape`` is a 1-d integer tensor (the call's last
    argument, as 0.8)."""
    return make_call("dyn.sparse_to_dense",
                     [sparse_indices, sparse_values, as_tensor(default_value), output_shape])


def topk(data, k, axis=-1, ret_type="both", is_ascend=False, dtype="int32"):
    """``dyn.topk``: ``k`` is a scalar integer tensor."""
    if ret_type not in ("both", "values", "indices"):
        raise ValueError(f"topk ret_type must be both, values or indices, got {ret_type!r}")
    call = make_call("dyn.topk", [data, k], "relay.attrs.TopKAttrs", axis=int(axis),
                     ret_type=ret_type, is_ascend=bool(is_ascend), dtype=dtype)
    return TupleWrapper(call, 2) if ret_type == "both" else call


def arange(start, stop=None, step=None, dtype="float32"):
    """``dyn.arange``: ``start``, ``stop``, ``step`` are scalar tensors (numbers become
    constants of ``dtype``).

    TVM 0.8's ``arange`` always took its bounds as tensors; the fork's static ``arange``
    holds them as attributes (its output length is known when it is built), so bounds
    known only at run time give this dynamic form, which ``DynamicToStatic`` makes static
    again once they are constants."""
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    args = [as_tensor(v, dtype if not isinstance(v, RelayExpr) else None)
            for v in (start, stop, step)]
    return make_call("dyn.arange", args, "relay.attrs.ArangeAttrs", dtype=dtype)
