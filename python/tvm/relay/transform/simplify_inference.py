"""SimplifyInference: rewrite training-time normalisations into inference arithmetic.

At inference ``batch_norm`` uses its moving statistics, so

    y = (x - mean) / sqrt(var + eps) * gamma + beta
      = x * scale + shift,   scale = gamma / sqrt(var + eps),
                             shift = beta - mean * scale

with ``scale`` and ``shift`` reshaped to broadcast along the channel axis.
Once the parameters are bound as constants, ``FoldConstant`` turns ``scale``
and ``shift`` into two constants and ``FoldScaleAxis`` can move the multiply
into a neighbouring convolution. ``dropout`` is the identity at inference.
``layer_norm``, ``instance_norm``, ``group_norm`` and ``l2_normalize`` become
their reductions and element-wise arithmetic, which FuseOps can then fuse.
"""
from ..expr import Call, const
from ..expr_functor import ExprMutator
from ..op.op import Op
from ._utils import TypedFunctionPass


def _ops():
    # The op constructors live in the op library; import on use so that the
    # pass module does not fix the import order of the op package.
    from ..op import reduce as _reduce  # pylint: disable=import-outside-toplevel
    from ..op import tensor as _tensor  # pylint: disable=import-outside-toplevel
    from ..op import transform as _otransform  # pylint: disable=import-outside-toplevel

    return _tensor, _otransform, _reduce


def _tensor_type(expr, what):
    ty = expr._checked_type_
    if ty is None or not hasattr(ty, "shape"):
        raise ValueError(f"SimplifyInference: the input of {what} has no inferred tensor type")
    return ty


def _normalize_axis(axis, ndim, what):
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"SimplifyInference: axis {axis} of {what} is out of range for rank {ndim}")
    return axis % ndim


def expand_to_axis(vec, ndim, axis):
    """Reshape a per-channel vector so it broadcasts along ``axis`` of a rank-``ndim`` tensor."""
    _, otransform, _ = _ops()
    trailing = ndim - axis - 1
    if trailing > 0:
        return otransform.expand_dims(vec, axis=1, num_newaxis=trailing)
    return vec


def batch_norm_to_arith(data, gamma, beta, moving_mean, moving_var, attrs, data_type):
    """``batch_norm(...)[0]`` at inference as ``data * scale + shift``."""
    tensor, _, _ = _ops()
    ndim = len(data_type.shape)
    dtype = data_type.dtype
    axis = _normalize_axis(attrs.get("axis", 1), ndim, "nn.batch_norm")
    eps = const(float(attrs.get("epsilon", 1e-5)), dtype)
    scale = tensor.divide(const(1.0, dtype), tensor.sqrt(tensor.add(moving_var, eps)))
    if attrs.get("scale", True):
        scale = tensor.multiply(scale, gamma)
    shift = tensor.multiply(tensor.negative(moving_mean), scale)
    if attrs.get("center", True):
        shift = tensor.add(shift, beta)
    scale = expand_to_axis(scale, ndim, axis)
    shift = expand_to_axis(shift, ndim, axis)
    return tensor.add(tensor.multiply(data, scale), shift)


def _normalize(data, axes, eps, dtype):
    """``(data - mean) / sqrt(var + eps)`` over ``axes`` (population variance)."""
    tensor, _, reduce = _ops()
    mean = reduce.mean(data, axis=list(axes), keepdims=True)
    diff = tensor.subtract(data, mean)
    var = reduce.mean(tensor.multiply(diff, diff), axis=list(axes), keepdims=True)
    return tensor.divide(diff, tensor.sqrt(tensor.add(var, const(eps, dtype))))


def _scale_shift(out, gamma, beta, attrs, ndim, axis):
    tensor, _, _ = _ops()
    if attrs.get("scale", True):
        out = tensor.multiply(out, expand_to_axis(gamma, ndim, axis))
    if attrs.get("center", True):
        out = tensor.add(out, expand_to_axis(beta, ndim, axis))
    return out


def layer_norm_to_arith(data, gamma, beta, attrs, data_type):
    ndim = len(data_type.shape)
    axis = _normalize_axis(attrs.get("axis", -1), ndim, "nn.layer_norm")
    out = _normalize(data, [axis], float(attrs.get("epsilon", 1e-5)), data_type.dtype)
    return _scale_shift(out, gamma, beta, attrs, ndim, axis)


def instance_norm_to_arith(data, gamma, beta, attrs, data_type):
    ndim = len(data_type.shape)
    axis = _normalize_axis(attrs.get("axis", 1), ndim, "nn.instance_norm")
    axes = [i for i in range(1, ndim) if i != axis]
    out = _normalize(data, axes, float(attrs.get("epsilon", 1e-5)), data_type.dtype)
    return _scale_shift(out, gamma, beta, attrs, ndim, axis)


def group_norm_to_arith(data, gamma, beta, attrs, data_type):
    """Split the channel axis into (groups, channels per group), normalise per group."""
    _, otransform, _ = _ops()
    shape = data_type.concrete_shape
    ndim = len(shape)
    axis = _normalize_axis(attrs.get("axis", 1), ndim, "nn.group_norm")
    groups = int(attrs.get("num_groups"))
    channels = shape[axis]
    if groups <= 0 or channels % groups:
        raise ValueError(
            f"SimplifyInference: nn.group_norm with {groups} groups cannot split {channels} channels"
        )
    grouped = shape[:axis] + (groups, channels // groups) + shape[axis + 1 :]
    axes = [i for i in range(1, ndim + 1) if i != axis]
    out = _normalize(
        otransform.reshape(data, grouped), axes, float(attrs.get("epsilon", 1e-5)), data_type.dtype
    )
    out = otransform.reshape(out, shape)
    return _scale_shift(out, gamma, beta, attrs, ndim, axis)


def l2_normalize_to_arith(data, attrs, data_type):
    tensor, _, reduce = _ops()
    ndim = len(data_type.shape)
    axes = attrs.get("axis", None)
    axes = list(range(ndim)) if axes is None else [_normalize_axis(a, ndim, "nn.l2_normalize") for a in axes]
    total = reduce.sum(tensor.multiply(data, data), axis=axes, keepdims=True)
    eps = const(float(attrs.get("eps", 1e-10)), data_type.dtype)
    return tensor.divide(data, tensor.sqrt(tensor.maximum(total, eps)))


def _op_name(expr):
    if isinstance(expr, Call) and isinstance(expr.op, Op):
        return expr.op.name
    return None


class InferenceSimplifier(ExprMutator):
    """The rewriting behind :func:`SimplifyInference`; ops named in ``keep`` stay as they are."""

    def __init__(self, keep=()):
        super().__init__()
        self.keep = frozenset(keep)

    def visit_tuple_getitem(self, op):
        producer = op.tuple_value
        name = _op_name(producer)
        if op.index == 0 and name == "nn.batch_norm":
            args = [self.visit(a) for a in producer.args]
            data_type = _tensor_type(producer.args[0], "nn.batch_norm")
            return batch_norm_to_arith(*args, producer.attrs, data_type)
        if op.index == 0 and name == "nn.dropout":
            return self.visit(producer.args[0])
        return super().visit_tuple_getitem(op)

    def visit_call(self, call):
        name = _op_name(call)
        if name in self.keep:
            return super().visit_call(call)
        if name == "nn.layer_norm":
            args = [self.visit(a) for a in call.args]
            return layer_norm_to_arith(*args, call.attrs, _tensor_type(call.args[0], name))
        if name == "nn.instance_norm":
            args = [self.visit(a) for a in call.args]
            return instance_norm_to_arith(*args, call.attrs, _tensor_type(call.args[0], name))
        if name == "nn.group_norm":
            args = [self.visit(a) for a in call.args]
            return group_norm_to_arith(*args, call.attrs, _tensor_type(call.args[0], name))
        if name == "nn.l2_normalize":
            data = self.visit(call.args[0])
            return l2_normalize_to_arith(data, call.attrs, _tensor_type(call.args[0], name))
        return super().visit_call(call)


def simplify_inference(func, keep=()):
    """The function with its normalisation ops rewritten (the body of the pass)."""
    return InferenceSimplifier(keep).visit(func)


def SimplifyInference(keep=()):  # pylint: disable=invalid-name
    """Rewrite batch_norm, dropout, layer_norm, instance_norm, group_norm and
    l2_normalize into inference-time arithmetic (upstream
    ``relay.transform.SimplifyInference``, ``opt_level`` 0).

    Parameters
    ----------
    keep : tuple of str
        Ops left as they are (a fork extension; upstream rewrites them all).
        ``relay.build`` keeps ``nn.layer_norm``: its row-wise kernel reads
        the row once and runs about 5x faster than the four fused functions
        the arithmetic becomes (mean, centre, variance, scale).

    Returns
    -------
    Pass
    """
    keep = tuple(keep)
    unknown = [name for name in keep if name not in _REWRITTEN_OPS]
    if unknown:
        raise ValueError(
            f"SimplifyInference(keep=...): {unknown} are not ops it rewrites; choose from {sorted(_REWRITTEN_OPS)}"
        )
    return TypedFunctionPass(
        0, "SimplifyInference", lambda func, _mod, _ctx: simplify_inference(func, keep)
    )


_REWRITTEN_OPS = frozenset(
    ["nn.batch_norm", "nn.dropout", "nn.layer_norm", "nn.instance_norm", "nn.group_norm", "nn.l2_normalize"]
)


__all__ = ["SimplifyInference", "simplify_inference", "batch_norm_to_arith", "expand_to_axis"]
