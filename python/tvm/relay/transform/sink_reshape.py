"""SinkReshape: move a reshape below the elementwise ops that follow it.

ONNX's ``MatMul`` of a 3-d activation by a weight becomes
``reshape(dense(reshape(x, [B*S, K]), W), [B, S, N])``, and the bias ``Add``
and the activation (GELU, ReLU...) follow the outer reshape. ``FuseOps`` fuses
elementwise consumers into a dense but not a reshape, so the bias and the
activation become a second kernel that reads and writes the whole activation
again. This pass rewrites

    op(reshape(y, T), c)  ->  reshape(op(y, c'), T)

for elementwise and broadcast ops whose other operands are either reshapes of
a tensor of ``y``'s shape or vectors along the last axis (``c`` of shape
``[N]``, ``[1, ..., N]`` or a scalar, with ``N`` the last axis of both ``y``
and ``T``), so the epilogue fuses into the dense and the reshapes meet and
cancel (``SimplifyExpr``). Values are unchanged: the ops are elementwise and a
row-major reshape that keeps the last axis keeps which vector element meets
which value.

A fork pass (upstream has none); ``relay.build`` runs it before ``FuseOps``.
"""
from ..expr import Call, Constant
from ..op.op import Op
from ..ty import TensorType
from ._utils import TypedFunctionPass, TypeKeepingMutator, op_name

_ELEMWISE, _BROADCAST = 0, 1


def _static_shape(expr):
    ty = expr._checked_type_
    if not isinstance(ty, TensorType) or ty.is_dynamic():
        return None
    return tuple(int(d) for d in ty.shape)


def _sinkable_op(call):
    """Elementwise/broadcast op whose attributes name neither axes nor a shape
    (``broadcast_to``, ``collapse_sum_to`` fix their output's shape)."""
    if not isinstance(call.op, Op):
        return False
    pattern = call.op.get_attr("TOpPattern")
    if pattern is None or int(pattern) > _BROADCAST:
        return False
    attrs = call.attrs
    if attrs is not None and any(
        attrs.get(key) is not None for key in ("axis", "axes", "shape", "newshape")
    ):
        return False
    return True


def _lane_vector(arg, last):
    """``arg`` as a scalar or an ``[last]`` vector, or None when it broadcasts otherwise."""
    shape = _static_shape(arg)
    if shape is None:
        return None
    squeezed = list(shape)
    while squeezed and squeezed[0] == 1:
        squeezed.pop(0)
    if squeezed not in ([], [1], [last]):
        return None
    if tuple(squeezed) == shape:
        return arg
    target = tuple(squeezed)
    if isinstance(arg, Constant):
        folded = Constant(arg.numpy().reshape(target))
        folded._checked_type_ = TensorType(target, arg._checked_type_.dtype)
        return folded
    from ..op import transform as _otransform  # pylint: disable=import-outside-toplevel

    result = _otransform.reshape(arg, list(target))
    result._checked_type_ = TensorType(target, arg._checked_type_.dtype)
    return result


class ReshapeSinker(TypeKeepingMutator):
    """The rewriting behind :func:`SinkReshape` (needs types; keeps them set)."""

    def visit_call(self, call):
        new = super().visit_call(call)
        if isinstance(new, Call) and _sinkable_op(new):
            return self._sink(new, call) or new
        return new

    def _sink(self, new, call):
        out = _static_shape(call)
        reshaped = [
            a for a in new.args if op_name(a) == "reshape" and _static_shape(a) == out
        ]
        if out is None or not out or not reshaped:
            return None
        source_shape = _static_shape(reshaped[0].args[0])
        if source_shape is None or not source_shape or source_shape[-1] != out[-1]:
            return None
        args = []
        for arg in new.args:
            if op_name(arg) == "reshape" and _static_shape(arg) == out:
                if _static_shape(arg.args[0]) != source_shape:
                    return None
                args.append(arg.args[0])
                continue
            vector = _lane_vector(arg, out[-1])
            if vector is None:
                return None
            args.append(vector)
        inner = Call(new.op, args, new.attrs)
        inner._checked_type_ = TensorType(source_shape, call._checked_type_.dtype)
        from ..op import transform as _otransform  # pylint: disable=import-outside-toplevel

        result = _otransform.reshape(inner, list(out))
        result._checked_type_ = call._checked_type_
        return result


def sink_reshape(expr):
    """``expr`` with reshapes moved below elementwise ops (needs types)."""
    return ReshapeSinker().visit(expr)


def SinkReshape():  # pylint: disable=invalid-name
    """Move reshapes below the elementwise and broadcast ops that follow them,
    so those ops fuse into the kernel that produced the reshaped tensor (a fork
    pass; ``opt_level`` 1).

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(1, "SinkReshape", lambda func, _mod, _ctx: sink_reshape(func))


__all__ = ["SinkReshape", "sink_reshape", "ReshapeSinker"]
