"""FoldScaleAxis: move per-channel multiplies into convolution (and dense) weights.

After ``SimplifyInference`` a batch norm is ``x * scale + shift`` with a per-channel
``scale``; when the multiply sits next to a convolution it can be folded into the
convolution's weight (a constant once parameters are bound), leaving only the
addition. The algorithm and the expressions it writes are TVM 0.8's
(``src/relay/transforms/fold_scale_axis.cc``), re-implemented here:

Forward (``ForwardFoldScaleAxis``, the multiply precedes convolutions)::

    conv(relu(x * s + b), w)  ->  conv(relu(x + b / s'), w * s'')

A backward sweep first tells each expression which axes its consumers could absorb
a scale on (a convolution: the data's ``C`` axis, and ``c`` of a blocked layout;
``relu``/``leaky_relu``, ``add``/``subtract`` with a bias broadcasting along those
axes: what their own consumers can absorb, relus asking for a non-negative scale);
an expression used by anything else can absorb nothing. Then a forward rewrite
turns each ``multiply`` whose consumers all agree into its other operand, carrying
the scale (squeezed to the kept axes: ``squeeze(s, axis=[...])``) to the
consumers: a bias is divided by the scale expanded to its rank
(``expand_dims``, or ``reshape`` for two axes), a convolution multiplies its
weight by the scale along the kernel's ``I`` axis (``O`` for a depthwise
convolution; ``reshape`` onto ``I``/``i`` of a blocked kernel such as
``OIHW2i4o``).

Backward (``BackwardFoldScaleAxis``, the multiply follows the convolution)::

    relu(conv(x, w) + b) * s  ->  relu(conv(x, w * s') + b * s'')

A forward sweep marks each expression used exactly once that comes from a
convolution (or dense) through ``relu``/``leaky_relu`` and bias
``add``/``subtract`` (or an ``add`` of two such values); a multiply of a marked
value by a tensor broadcasting along the marked axes is removed and its scale
pushed down: into the weight along ``O`` (``O``/``o`` when blocked) and into the
biases.

The scale may be any expression (a constant, or an expression of constants after
``FoldConstant``); where a ``relu`` is crossed it must be a non-negative constant
(possibly behind ``reshape``/``expand_dims``/``squeeze``/``transpose``). The new
scale arithmetic is left as operators on the scale, which the ``FoldConstant`` step
of ``FoldScaleAxis`` evaluates.

Beyond 0.8 (kept from the fork's earlier pass): ``nn.conv1d``/``nn.conv3d`` fold
like ``nn.conv2d``, ``nn.dense`` takes a backward scale on its units, a
``nn.bias_add`` on the scaled axis is a bias like ``add``, and a forward fold is
refused when the constant scale has a zero (0.8 divided the bias by it).
"""
import functools

import numpy as np

from ..expr import Call, Constant, If, Let, Tuple
from ..expr_functor import ExprMutator
from ..function import Function
from ..op.op import Op
from ..op.type_relations import parse_layout
from ..ty import TensorType
from ._utils import TypedFunctionPass, children, op_name, post_order
from .fold_constant import FoldConstant
from .pass_infra import Pass, PassInfo

_CONVS = {"nn.conv1d": ("NCW", "OIW"), "nn.conv2d": ("NCHW", "OIHW"),
          "nn.conv3d": ("NCDHW", "OIDHW")}
_RELUS = ("nn.relu", "nn.leaky_relu")
_ADD_SUB = ("add", "subtract")


# ------------------------------------------------------------------ helpers
class _Message:
    """Axes a consumer can absorb a scale on, and whether the scale must be >= 0."""

    __slots__ = ("axes", "positive")

    def __init__(self, axes, positive):
        self.axes = tuple(axes)
        self.positive = positive


def _intersect(lhs, rhs):
    if lhs is None or rhs is None:
        return None
    axes = [a for a in lhs.axes if a in rhs.axes]
    return _Message(axes, lhs.positive or rhs.positive)


def _ttype(expr):
    ty = expr.checked_type
    return ty if isinstance(ty, TensorType) else None


def _static(dim):
    try:
        return int(dim)
    except TypeError:
        return None


def _match_broadcast_to_left_axes(tlhs, trhs, axes, rhs=None):
    """0.8's ``MatchBroadcastToLeftAxes``: ``trhs`` broadcasts onto ``tlhs`` varying
    only along ``axes`` of ``tlhs``. Returns ``(ok, rhs squeezed to those axes)``."""
    if tlhs is None or trhs is None or len(tlhs.shape) < len(trhs.shape):
        return False, rhs
    base = len(tlhs.shape) - len(trhs.shape)
    squeeze_axes = []
    for i, dim in enumerate(tlhs.shape):
        if i in axes:
            if i < base or _static(dim) is None or _static(dim) != _static(trhs.shape[i - base]):
                return False, rhs
        elif i >= base:
            if _static(trhs.shape[i - base]) != 1:
                return False, rhs
            squeeze_axes.append(i - base)
    if rhs is not None and squeeze_axes:
        rhs = _otr().squeeze(rhs, axis=squeeze_axes)
    return True, rhs


def _otr():
    from ..op import transform as _transform  # pylint: disable=import-outside-toplevel

    return _transform


def _tensor_ops():
    from ..op import tensor as _tensor  # pylint: disable=import-outside-toplevel

    return _tensor


def _expand_to_match_axis(bias, ndim, axes):
    """0.8's ``ExpandBiasToMatchAxis``: ``expand_dims`` so that a tensor over
    ``axes`` broadcasts against a rank-``ndim`` tensor."""
    for i in range(len(axes), 0, -1):
        if i == len(axes):
            count = ndim - axes[i - 1] - 1
        else:
            count = axes[i] - axes[i - 1]
        if count > 0:
            bias = _otr().expand_dims(bias, axis=i, num_newaxis=count)
    return bias


def _reshape_to_match_axis(scale, shape, axes):
    new_shape = []
    for i, dim in enumerate(shape):
        if i in axes:
            if _static(dim) is None:
                return None
            new_shape.append(_static(dim))
        else:
            new_shape.append(1)
    return _otr().reshape(scale, new_shape)


def _reshape_or_expand(scale, shape, axes):
    if len(axes) > 1:
        return _reshape_to_match_axis(scale, shape, axes)
    return _expand_to_match_axis(scale, len(shape), axes)


_PEEL = ("expand_dims", "reshape", "transpose", "squeeze")


def _constant_behind(expr):
    while isinstance(expr, Call) and isinstance(expr.op, Op) and expr.op.name in _PEEL:
        expr = expr.args[0]
    return expr.numpy() if isinstance(expr, Constant) else None


def _all_positive_constant(expr):
    """0.8's ``IsAllPositiveConstant``: a constant (behind reshapes) with no negative value."""
    value = _constant_behind(expr)
    if value is None or str(value.dtype) not in ("float32", "float64", "int8", "int32",
                                                   "uint8", "uint32"):
        return False
    return bool(np.all(value >= 0))


def _has_zero(expr):
    value = _constant_behind(expr)
    return value is not None and bool(np.any(value == 0))


def _axis_of(layout, letter):
    letters = [name for name, _ in parse_layout(layout)]
    return letters.index(letter) if letter in letters else -1


def _conv_info(call):
    """Layout facts of a convolution: (data layout, kernel layout, out layout)."""
    default_data, default_kernel = _CONVS[call.op.name]
    data_layout = call.attrs.get("data_layout", default_data) or default_data
    kernel_layout = call.attrs.get("kernel_layout", default_kernel) or default_kernel
    out_layout = call.attrs.get("out_layout", "") or data_layout
    return data_layout, kernel_layout, out_layout


def _primal_size(shape, layout, letter):
    """Size of primal axis ``letter`` (times its block ``letter.lower()``), or None."""
    big, small = _axis_of(layout, letter), _axis_of(layout, letter.lower())
    if big < 0 or len(shape) != len(parse_layout(layout)):
        return None
    size = _static(shape[big])
    if small >= 0 and size is not None:
        inner = _static(shape[small])
        size = None if inner is None else size * inner
    return size


def _is_depthwise(call, kernel_layout):
    """0.8's ``IsDepthwiseConv2D``: the weight is ``(groups, 1, ...)`` in OIHW terms."""
    weight = _ttype(call.args[1])
    if weight is None:
        return False
    out_c = _primal_size(weight.shape, kernel_layout, "O")
    in_c = _primal_size(weight.shape, kernel_layout, "I")
    return out_c == int(call.attrs.get("groups", 1)) and in_c == 1


def _conv_message(call, layout):
    """The axes (``C``, and ``c`` when blocked) of ``layout`` a convolution can take a
    scale on, or None (grouped convolutions, mixed blocked/simple layouts)."""
    _, kernel_layout, _ = _conv_info(call)
    if int(call.attrs.get("groups", 1)) != 1 and not _is_depthwise(call, kernel_layout):
        return None
    c_big, c_small = _axis_of(layout, "C"), _axis_of(layout, "c")
    ko_small, ki_small = _axis_of(kernel_layout, "o"), _axis_of(kernel_layout, "i")
    if c_big < 0:
        return None
    simple = ko_small < 0 and ki_small < 0 and c_small < 0
    blocked = ko_small >= 0 and ki_small >= 0 and c_small >= 0
    if not (simple or blocked):
        return None
    return _Message([c_big] + ([c_small] if c_small >= 0 else []), False)


def _scaled_weight(call, weight, scale, letter):
    """``weight * scale`` along the kernel's ``letter`` axis (and its block), or None."""
    _, kernel_layout, _ = _conv_info(call)
    big, small = _axis_of(kernel_layout, letter), _axis_of(kernel_layout, letter.lower())
    if small < 0:
        factor = _expand_to_match_axis(scale, len(parse_layout(kernel_layout)), [big])
    else:
        factor = _reshape_to_match_axis(scale, _ttype(call.args[1]).shape, [big, small])
        if factor is None:
            return None
    return _tensor_ops().multiply(weight, factor)


def _rebuild(call, args):
    return Call(call.op, list(args), call.attrs, call.type_args, call.span)


# --------------------------------------------------------------------- forward
class _Scaled:
    """A value ``value`` whose ``axes`` still have to be multiplied by ``scale``."""

    __slots__ = ("value", "axes", "scale", "shape")

    def __init__(self, value, axes, scale, shape):
        self.value = value
        self.axes = tuple(axes)
        self.scale = scale
        self.shape = tuple(shape)


def _forward_prep_call(call, out):
    """Messages to the arguments of ``call`` given the message ``out`` it received."""
    name = op_name(call)
    none = [None] * len(call.args)
    if name in _RELUS:
        return [None if out is None else _Message(out.axes, True)]
    if name in _ADD_SUB:
        if out is not None:
            tlhs, trhs = _ttype(call.args[0]), _ttype(call.args[1])
            if _match_broadcast_to_left_axes(tlhs, trhs, out.axes)[0]:
                return [out, None]
            if _match_broadcast_to_left_axes(trhs, tlhs, out.axes)[0]:
                return [None, out]
        return none
    if name == "nn.bias_add":
        ndim = len(_ttype(call).shape) if _ttype(call) is not None else 0
        if out is not None and ndim and out.axes == (int(call.attrs.get("axis", 1)) % ndim,):
            return [out, None]
        return none
    if name in _CONVS:
        data_layout = _conv_info(call)[0]
        return [_conv_message(call, data_layout), None]
    return none


def _forward_messages(body):
    messages = {}
    nodes = post_order(body)

    def update(node, message):
        key = id(node)
        messages[key] = _intersect(messages[key], message) if key in messages else message

    update(body, None)
    for node in reversed(nodes):
        if isinstance(node, Call):
            if isinstance(node.op, Op):
                in_messages = _forward_prep_call(node, messages.get(id(node)))
            else:
                in_messages = [None] * len(node.args)
            for arg, message in zip(node.args, in_messages):
                update(arg, message)
        elif isinstance(node, Tuple):
            for field in node.fields:
                update(field, None)
        elif isinstance(node, If):
            for part in (node.cond, node.true_branch, node.false_branch):
                update(part, None)
        elif isinstance(node, Let):
            update(node.value, None)
            update(node.body, None)
        elif isinstance(node, Function):
            update(node.body, None)
    return messages


class _ForwardRewriter(ExprMutator):
    def __init__(self, messages):
        super().__init__()
        self.messages = messages

    def visit(self, expr):
        return self._realize(super().visit(expr))

    def _raw(self, expr):
        return super().visit(expr)

    @staticmethod
    def _realize(value):
        if not isinstance(value, _Scaled):
            return value
        # 0.8 stopped with "outstanding scale" here; multiplying it back is exact.
        factor = _reshape_or_expand(value.scale, value.shape, list(value.axes))
        if factor is None:
            raise RuntimeError("ForwardFoldScaleAxis: outstanding scale")
        return _tensor_ops().multiply(value.value, factor)

    def visit_call(self, call):
        if not isinstance(call.op, Op):
            return super().visit_call(call)
        new_args = [self._raw(arg) for arg in call.args]
        result = self._rewrite(call, new_args)
        if result is not None:
            return result
        args = [self._realize(arg) for arg in new_args]
        if all(a is b for a, b in zip(args, call.args)):
            return call
        return _rebuild(call, args)

    def _rewrite(self, call, args):
        name = op_name(call)
        if name == "multiply":
            return self._multiply(call, args)
        if name in _RELUS:
            if not isinstance(args[0], _Scaled):
                return None
            src = args[0]
            return _Scaled(_rebuild(call, [src.value]), src.axes, src.scale, src.shape)
        if name in _ADD_SUB or name == "nn.bias_add":
            return self._add_sub(call, args)
        if name in _CONVS:
            return self._conv(call, args)
        return None

    def _multiply(self, call, args):
        message = self.messages.get(id(call))
        if message is None or not message.axes:
            return None
        if any(isinstance(a, _Scaled) for a in args):
            return None
        tlhs, trhs = _ttype(call.args[0]), _ttype(call.args[1])
        for value, other, tvalue, tother in ((args[0], args[1], tlhs, trhs),
                                             (args[1], args[0], trhs, tlhs)):
            ok, scale = _match_broadcast_to_left_axes(tvalue, tother, message.axes, other)
            if not ok or (message.positive and not _all_positive_constant(scale)):
                continue
            if _has_zero(scale):
                return None  # the biases would be divided by zero
            return _Scaled(value, message.axes, scale, tvalue.shape)
        return None

    def _add_sub(self, call, args):
        lhs, rhs = args
        if not isinstance(lhs, _Scaled) and not isinstance(rhs, _Scaled):
            return None
        if isinstance(lhs, _Scaled) and isinstance(rhs, _Scaled):
            return None
        if op_name(call) == "nn.bias_add":
            if not isinstance(lhs, _Scaled) or len(lhs.axes) != 1:
                return None
            new_rhs = _tensor_ops().divide(rhs, lhs.scale)
            return _Scaled(_rebuild(call, [lhs.value, new_rhs]), lhs.axes, lhs.scale, lhs.shape)
        if isinstance(lhs, _Scaled):
            scale = _reshape_or_expand(lhs.scale, _ttype(call.args[0]).shape, list(lhs.axes))
            if scale is None:
                return None
            value = _rebuild(call, [lhs.value, _tensor_ops().divide(rhs, scale)])
            return _Scaled(value, lhs.axes, lhs.scale, lhs.shape)
        scale = _reshape_or_expand(rhs.scale, _ttype(call.args[1]).shape, list(rhs.axes))
        if scale is None:
            return None
        value = _rebuild(call, [_tensor_ops().divide(lhs, scale), rhs.value])
        return _Scaled(value, rhs.axes, rhs.scale, rhs.shape)

    def _conv(self, call, args):
        data, weight = args
        if not isinstance(data, _Scaled) or isinstance(weight, _Scaled):
            return None
        kernel_layout = _conv_info(call)[1]
        letter = "O" if _is_depthwise(call, kernel_layout) else "I"
        new_weight = _scaled_weight(call, weight, data.scale, letter)
        if new_weight is None:
            return None
        return _rebuild(call, [data.value, new_weight])


def forward_fold_scale_axis(func):
    """``func`` with multiplies before convolutions folded into their weights."""
    messages = _forward_messages(func.body)
    if not any(m is not None for m in messages.values()):
        return func
    body = _ForwardRewriter(messages).visit(func.body)
    if body is func.body:
        return func
    return Function(func.params, body, None, func.type_params, func.attrs)


# -------------------------------------------------------------------- backward
def _reference_counts(body):
    """How many times each node is referenced (the body once, by the function)."""
    counts = {id(body): 1}
    for node in post_order(body):
        for child in children(node):
            counts[id(child)] = counts.get(id(child), 0) + 1
    return counts


def _backward_prep_call(call, in_messages):
    name = op_name(call)
    if name in _RELUS:
        return None if in_messages[0] is None else _Message(in_messages[0].axes, True)
    if name in _ADD_SUB:
        lhs, rhs = in_messages
        tlhs, trhs = _ttype(call.args[0]), _ttype(call.args[1])
        if lhs is not None and _match_broadcast_to_left_axes(tlhs, trhs, lhs.axes)[0]:
            return lhs
        if rhs is not None and _match_broadcast_to_left_axes(trhs, tlhs, rhs.axes)[0]:
            return rhs
        if lhs is not None and rhs is not None and lhs.axes == rhs.axes and \
                tlhs is not None and trhs is not None and tuple(tlhs.shape) == tuple(trhs.shape):
            return lhs
        return None
    if name == "nn.bias_add":
        ndim = len(_ttype(call).shape) if _ttype(call) is not None else 0
        lhs = in_messages[0]
        if lhs is not None and ndim and lhs.axes == (int(call.attrs.get("axis", 1)) % ndim,):
            return lhs
        return None
    if name in _CONVS:
        return _conv_message(call, _conv_info(call)[2])
    if name == "nn.dense":
        out = _ttype(call)
        return None if out is None else _Message([len(out.shape) - 1], False)
    return None


def _backward_messages(body):
    counts = _reference_counts(body)
    messages = {}
    for node in post_order(body):
        if not (isinstance(node, Call) and isinstance(node.op, Op)):
            continue
        if counts.get(id(node), 0) != 1:
            continue
        message = _backward_prep_call(node, [messages.get(id(a)) for a in node.args])
        if message is not None:
            messages[id(node)] = message
    return messages


class _BackwardTransformer(ExprMutator):
    def __init__(self, messages):
        super().__init__()
        self.messages = messages
        self.call_memo = {}

    def visit_call(self, call):
        return self.transform(call, None, None)

    def transform(self, expr, message, scale):
        if not isinstance(expr, Call):
            return self.visit(expr)
        if message is None and id(expr) in self.call_memo:
            return self.call_memo[id(expr)][1]
        new = None
        if isinstance(expr.op, Op):
            new = self._transform_call(expr, message, scale)
        if new is None:
            new = super().visit_call(expr)
        self.call_memo[id(expr)] = (expr, new)
        return new

    def _normal(self, call):
        return super().visit_call(call)

    def _transform_call(self, call, message, scale):
        name = op_name(call)
        if name == "multiply":
            return self._multiply(call)
        if message is None:
            return None
        if name in _RELUS:
            return _rebuild(call, [self.transform(call.args[0], message, scale)])
        if name in _ADD_SUB:
            return self._add_sub(call, message, scale)
        if name == "nn.bias_add":
            lhs = self.transform(call.args[0], message, scale)
            rhs = self.transform(call.args[1], None, None)
            return _rebuild(call, [lhs, _tensor_ops().multiply(rhs, scale)])
        if name in _CONVS:
            data = self.transform(call.args[0], None, None)
            weight = self.transform(call.args[1], None, None)
            new_weight = _scaled_weight(call, weight, scale, "O")
            if new_weight is None:
                raise RuntimeError("BackwardFoldScaleAxis: the weight's shape is not static")
            return _rebuild(call, [data, new_weight])
        if name == "nn.dense":
            data = self.transform(call.args[0], None, None)
            weight = self.transform(call.args[1], None, None)
            # (not in 0.8.0: a constant scale is reshaped now, any other expanded)
            if isinstance(scale, Constant):
                factor = Constant(scale.numpy().reshape(-1, 1))
            else:
                factor = _expand_to_match_axis(scale, 2, [0])
            return _rebuild(call, [data, _tensor_ops().multiply(weight, factor)])
        raise RuntimeError(f"BackwardFoldScaleAxis: outstanding scale at {name}")

    def _add_sub(self, call, message, scale):
        lhs_message = self.messages.get(id(call.args[0]))
        rhs_message = self.messages.get(id(call.args[1]))
        if lhs_message is not None and rhs_message is not None:
            lhs = self.transform(call.args[0], message, scale)
            rhs = self.transform(call.args[1], message, scale)
            return _rebuild(call, [lhs, rhs])
        if lhs_message is not None:
            lhs = self.transform(call.args[0], message, scale)
            rhs = self.transform(call.args[1], None, None)
            factor = _reshape_or_expand(scale, _ttype(call.args[0]).shape, list(message.axes))
            return _rebuild(call, [lhs, _tensor_ops().multiply(rhs, factor)])
        lhs = self.transform(call.args[0], None, None)
        rhs = self.transform(call.args[1], message, scale)
        factor = _reshape_or_expand(scale, _ttype(call.args[1]).shape, list(message.axes))
        return _rebuild(call, [_tensor_ops().multiply(lhs, factor), rhs])

    def _foldable(self, call, message):
        """Whether the scale can be pushed from ``call`` down to its convolutions: the
        reshapes it needs (blocked kernels, two-axis biases) need static shapes. 0.8
        dropped the scale silently when such a reshape failed; here the multiply stays."""
        if not isinstance(call, Call) or id(call) not in self.messages:
            return False
        name = op_name(call)
        if name in _CONVS:
            if _axis_of(_conv_info(call)[1], "o") < 0:
                return True
            weight = _ttype(call.args[1])
            return weight is not None and all(_static(d) is not None for d in weight.shape)
        if name == "nn.dense":
            return True
        if name in _RELUS or name == "nn.bias_add":
            return self._foldable(call.args[0], message)
        if name in _ADD_SUB:
            scaled = [a for a in call.args if id(a) in self.messages]
            if len(message.axes) > 1:
                shape = _ttype(scaled[0]).shape
                if any(_static(shape[a]) is None for a in message.axes):
                    return False
            return all(self._foldable(a, message) for a in scaled)
        return False

    def _multiply(self, call):
        lhs_message = self.messages.get(id(call.args[0]))
        rhs_message = self.messages.get(id(call.args[1]))
        tlhs, trhs = _ttype(call.args[0]), _ttype(call.args[1])
        if lhs_message is not None:
            ok, scale = _match_broadcast_to_left_axes(tlhs, trhs, lhs_message.axes, call.args[1])
            if ok and (not lhs_message.positive or _all_positive_constant(scale)) and \
                    self._foldable(call.args[0], lhs_message):
                return self.transform(call.args[0], lhs_message, scale)
        elif rhs_message is not None:
            ok, scale = _match_broadcast_to_left_axes(trhs, tlhs, rhs_message.axes, call.args[0])
            if ok and (not rhs_message.positive or _all_positive_constant(scale)) and \
                    self._foldable(call.args[1], rhs_message):
                return self.transform(call.args[1], rhs_message, scale)
        return None


def backward_fold_scale_axis(func):
    """``func`` with multiplies after convolutions folded into their weights."""
    messages = _backward_messages(func.body)
    if not messages:
        return func
    body = _BackwardTransformer(messages).visit(func.body)
    if body is func.body:
        return func
    return Function(func.params, body, None, func.type_params, func.attrs)


def BackwardFoldScaleAxis():  # pylint: disable=invalid-name
    """Fold a per-channel multiply into the convolution (or dense) that produces
    its input (``opt_level`` 3). Run ``FoldConstant`` afterwards."""
    return TypedFunctionPass(
        3, "BackwardFoldScaleAxis", lambda func, _mod, _ctx: backward_fold_scale_axis(func)
    )


def ForwardFoldScaleAxis():  # pylint: disable=invalid-name
    """Fold a per-channel multiply into the convolutions that consume it
    (``opt_level`` 3). Run ``FoldConstant`` afterwards."""
    return TypedFunctionPass(
        3, "ForwardFoldScaleAxis", lambda func, _mod, _ctx: forward_fold_scale_axis(func)
    )


def _fold_scale_axis_steps(steps, mod, ctx):
    disabled = {str(p) for p in ctx.disabled_pass}
    for step in steps:
        if step.name not in disabled:
            mod = step(mod)
    return mod


class _FoldScaleAxisPass(Pass):
    """One pass named ``FoldScaleAxis`` (so ``disabled_pass=["FoldScaleAxis"]``
    and the ``opt_level`` check of an enclosing ``Sequential`` apply to it as a
    whole) running its three steps; a step named in ``disabled_pass`` is skipped."""

    def __init__(self):
        steps = [BackwardFoldScaleAxis(), ForwardFoldScaleAxis(), FoldConstant()]
        super().__init__(PassInfo(3, "FoldScaleAxis", []), functools.partial(_fold_scale_axis_steps, steps))


def FoldScaleAxis():  # pylint: disable=invalid-name
    """Backward then forward scale folding, then constant folding (upstream
    ``relay.transform.FoldScaleAxis``, ``opt_level`` 3).

    Returns
    -------
    Pass
    """
    return _FoldScaleAxisPass()


__all__ = [
    "FoldScaleAxis",
    "ForwardFoldScaleAxis",
    "BackwardFoldScaleAxis",
    "forward_fold_scale_axis",
    "backward_fold_scale_axis",
]
