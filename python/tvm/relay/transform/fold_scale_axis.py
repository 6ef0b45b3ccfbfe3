"""FoldScaleAxis: move per-channel multiplies into convolution (and dense) weights.

After ``SimplifyInference`` and ``FoldConstant`` a batch norm is
``x * scale + shift`` with constant per-channel ``scale`` and ``shift``. When the
multiply sits next to a convolution it can be folded into the convolution's
weight (a constant once parameters are bound), leaving only the addition:

Backward (the multiply follows the convolution)::

    conv(x, w) * s                 ->  conv(x, w * s[O])
    (conv(x, w) + b) * s           ->  conv(x, w * s[O]) + b * s
    relu(conv(x, w) + b) * s       ->  relu(conv(x, w * s[O]) + b * s)      (s > 0)

where ``s[O]`` scales the kernel's output-channel axis. Every node between the
multiply and the convolution must have the multiply's chain as its only user.

Forward (the multiply precedes convolutions)::

    conv(relu(x * s + b), w)       ->  conv(relu(x + b / s), w * s[I])      (s > 0)

where ``s[I]`` scales the kernel's input-channel axis; every user of the scaled
value must be such a pass-through op or the data input of a convolution with
``groups == 1``, all with the same channel axis.

A bias ``b`` may be any expression: constants are rescaled at once, other
biases (and non-constant weights) get a multiply / divide by the constant
scale, which ``FoldConstant`` folds as soon as they are constant.

Channel axes come from the layouts (``NCHW``/``OIHW``, ``NHWC``/``HWIO``, ...),
so both NCHW and NHWC networks fold. The scale must be a constant that
broadcasts along the channel axis only; it must be non-zero, and positive when
a ``relu`` / ``leaky_relu`` is crossed. This is an equivalent of upstream's
forward and backward message-passing passes for these patterns, written
directly as graph matching.
"""
import functools

import numpy as np

from ..expr import Call, Constant
from ..expr_functor import ExprMutator
from ._utils import TypedFunctionPass, children, op_name, post_order, use_counts
from .fold_constant import FoldConstant
from .pass_infra import Pass, PassInfo

_CONVS = {"nn.conv1d": ("NCW", "OIW"), "nn.conv2d": ("NCHW", "OIHW"), "nn.conv3d": ("NCDHW", "OIDHW")}
_SIGN_SAFE = ("nn.relu", "nn.leaky_relu")  # commute with a positive scale
_BIAS_OPS = ("add", "subtract")


def _simple_layout(layout):
    return layout.isalpha() and layout.isupper() and len(set(layout)) == len(layout)


def _shape(expr):
    ty = expr._checked_type_
    if ty is None or not hasattr(ty, "shape") or ty.is_dynamic():
        return None
    return tuple(int(d) for d in ty.shape)


def _conv_layouts(call):
    """(data axis of C, kernel axis of O, kernel axis of I) of a convolution, or None."""
    default_data, default_kernel = _CONVS[call.op.name]
    data_layout = call.attrs.get("data_layout", default_data) or default_data
    kernel_layout = call.attrs.get("kernel_layout", default_kernel) or default_kernel
    out_layout = call.attrs.get("out_layout", "") or data_layout
    if out_layout != data_layout:
        return None
    if not (_simple_layout(data_layout) and _simple_layout(kernel_layout)):
        return None
    if "C" not in data_layout or "O" not in kernel_layout or "I" not in kernel_layout:
        return None
    return data_layout.index("C"), kernel_layout.index("O"), kernel_layout.index("I")


def _split_scale(call):
    """``(other operand, scale array)`` of ``multiply(x, const)`` / ``multiply(const, x)``."""
    if op_name(call) != "multiply":
        return None
    lhs, rhs = call.args
    if isinstance(rhs, Constant) and not isinstance(lhs, Constant):
        return lhs, rhs.numpy()
    if isinstance(lhs, Constant) and not isinstance(rhs, Constant):
        return rhs, lhs.numpy()
    return None


def _channel_vector(scale, ndim, axis, channels):
    """The per-channel values of ``scale`` if it only varies along ``axis``."""
    if scale.ndim > ndim:
        return None
    padded = (1,) * (ndim - scale.ndim) + scale.shape
    for i, dim in enumerate(padded):
        if i != axis and dim != 1:
            return None
    if padded[axis] not in (1, channels):
        return None
    return np.broadcast_to(scale.reshape(-1), (channels,)).astype(scale.dtype)


def _along(vec, ndim, axis):
    shape = [1] * ndim
    shape[axis] = vec.shape[0]
    return vec.reshape(shape)


def _bias_operand(call, chain):
    """Index of the bias operand of ``add``/``subtract``/``bias_add`` applied to
    ``chain``, or ``None`` if ``call`` is not such an op on ``chain``. The bias may
    be any expression other than ``chain`` itself."""
    name = op_name(call)
    if name in _BIAS_OPS:
        lhs, rhs = call.args
        if lhs is rhs:
            return None
        if lhs is chain:
            return 1
        if rhs is chain:
            return 0
        return None
    if name == "nn.bias_add" and call.args[0] is chain and call.args[1] is not chain:
        return 1
    return None


def _bias_ok(call, bias_index, ndim, axis):
    """A bias must be per-channel (broadcast along ``axis`` only), as upstream:
    rescaling a full tensor would only move the multiply elsewhere."""
    if op_name(call) == "nn.bias_add":
        return int(call.attrs.get("axis", 1)) % ndim == axis
    shape = _shape(call.args[bias_index])
    if shape is None or len(shape) > ndim:
        return False
    padded = (1,) * (ndim - len(shape)) + shape
    return all(dim == 1 for i, dim in enumerate(padded) if i != axis)


def _scaled_bias(call, bias, vec, ndim, axis, divide):
    """``bias`` (the visited bias operand of ``call``) multiplied or divided by
    the scale; computed now for a constant, as an expression otherwise."""
    factor = vec if op_name(call) == "nn.bias_add" else _along(vec, ndim, axis)
    if isinstance(bias, Constant):
        array = bias.numpy()
        value = array / factor if divide else array * factor
        return Constant(np.asarray(value, dtype=array.dtype))
    from ..op import tensor as _tensor  # pylint: disable=import-outside-toplevel

    factor = Constant(factor.astype(vec.dtype))
    return _tensor.divide(bias, factor) if divide else _tensor.multiply(bias, factor)


def _scaled_weight(weight, vec, axis, ndim):
    """``weight`` (of rank ``ndim``) scaled by ``vec`` along its ``axis``;
    computed now if constant."""
    if isinstance(weight, Constant):
        array = weight.numpy()
        return Constant(np.asarray(array * _along(vec, array.ndim, axis), dtype=array.dtype))
    from ..op import tensor as _tensor  # pylint: disable=import-outside-toplevel

    return _tensor.multiply(weight, Constant(_along(vec, ndim, axis).astype(vec.dtype)))


def _rebuild(call, args):
    return Call(call.op, args, call.attrs, call.type_args, call.span)


# --------------------------------------------------------------------- backward
class _BackwardPlan:
    """What one backward fold touches: the kernels to scale, the biases to
    rescale, the adds/subtracts whose two operands are both scaled."""

    def __init__(self):
        self.sinks = []
        self.biases = []  # (call, bias index)
        self.both = set()  # ids of add/subtract with both operands scaled
        self.sign_safe = False

    def merge(self, other):
        self.sinks += other.sinks
        self.biases += other.biases
        self.both |= other.both
        self.sign_safe = self.sign_safe or other.sign_safe


class _BackwardFolder(ExprMutator):
    def __init__(self, func):
        super().__init__()
        self.uses = use_counts(func.body)

    def visit_call(self, call):
        folded = self._fold(call)
        if folded is not None:
            return folded
        return super().visit_call(call)

    def _collect(self, node, out_shape, plan):
        """True if every value reaching ``node`` through pass-through ops comes
        from a convolution (or dense) used only on this way; fills ``plan``."""
        if not isinstance(node, Call) or self.uses.get(id(node), 0) != 1:
            return False
        if _shape(node) != out_shape:
            return False
        name = op_name(node)
        if name in _CONVS or name == "nn.dense":
            plan.sinks.append(node)
            return True
        if name in _SIGN_SAFE:
            plan.sign_safe = True
            return self._collect(node.args[0], out_shape, plan)
        if name in _BIAS_OPS and node.args[0] is not node.args[1]:
            both = _BackwardPlan()
            if self._collect(node.args[0], out_shape, both) and self._collect(
                node.args[1], out_shape, both
            ):
                plan.merge(both)
                plan.both.add(id(node))
                return True
        for index in range(len(node.args)):
            if _bias_operand(node, node.args[index]) != 1 - index:
                continue
            attempt = _BackwardPlan()
            if self._collect(node.args[index], out_shape, attempt):
                plan.merge(attempt)
                plan.biases.append((node, 1 - index))
                return True
        return False

    def _fold(self, mul):
        split = _split_scale(mul)
        if split is None:
            return None
        node, scale = split
        out_shape = _shape(mul)
        if out_shape is None or _shape(node) != out_shape:
            return None
        plan = _BackwardPlan()
        if not self._collect(node, out_shape, plan):
            return None
        ndim = len(out_shape)
        kernel_axes = {}
        axes = set()
        for sink in plan.sinks:
            if op_name(sink) == "nn.dense":
                axis, kernel_axis = ndim - 1, 0
            else:
                layouts = _conv_layouts(sink)
                if layouts is None:
                    return None
                axis, kernel_axis, _ = layouts
            weight_shape = _shape(sink.args[1])
            if weight_shape is None or weight_shape[kernel_axis] != out_shape[axis]:
                return None  # e.g. depthwise kernels with a channel multiplier
            axes.add(axis)
            kernel_axes[id(sink)] = (kernel_axis, len(weight_shape))
        if len(axes) != 1:
            return None
        axis = axes.pop()
        vec = _channel_vector(scale, ndim, axis, out_shape[axis])
        if vec is None or not np.all(vec != 0):
            return None
        if plan.sign_safe and not np.all(vec > 0):
            return None
        if not all(_bias_ok(c, i, ndim, axis) for c, i in plan.biases):
            return None
        biases = dict((id(c), i) for c, i in plan.biases)
        return self._rewrite(node, plan, biases, kernel_axes, vec, ndim, axis)

    def _rewrite(self, node, plan, biases, kernel_axes, vec, ndim, axis):
        key = id(node)
        if key in kernel_axes:
            weight = _scaled_weight(self.visit(node.args[1]), vec, *kernel_axes[key])
            return _rebuild(node, [self.visit(node.args[0]), weight])

        def scaled(arg):
            return self._rewrite(arg, plan, biases, kernel_axes, vec, ndim, axis)

        if key in plan.both:
            return _rebuild(node, [scaled(a) for a in node.args])
        if key in biases:
            index = biases[key]
            args = list(node.args)
            args[1 - index] = scaled(node.args[1 - index])
            args[index] = _scaled_bias(node, self.visit(node.args[index]), vec, ndim, axis, False)
            return _rebuild(node, args)
        return _rebuild(node, [scaled(node.args[0])] + [self.visit(a) for a in node.args[1:]])


# ---------------------------------------------------------------------- forward
class _ForwardPlan:
    """Which multiplies vanish, which biases change, which weights scale."""

    def __init__(self, func):
        self.users = {id(func.body): [None]}  # None: used as the function's result
        nodes = post_order(func.body)
        for node in nodes:
            for child in children(node):
                lst = self.users.setdefault(id(child), [])
                if not any(u is node for u in lst):
                    lst.append(node)
        self.drop = {}  # id(multiply) -> its data operand
        self.bias = {}  # id(bias op) -> (bias index, vec, ndim, channel axis)
        self.sinks = {}  # id(conv) -> (vec, kernel I axis, kernel rank)
        self.claimed = set()  # ids of every node some plan rewrites
        for node in nodes:
            self._plan(node)

    def _plan(self, mul):
        split = _split_scale(mul)
        if split is None:
            return
        data, scale = split
        shape = _shape(mul)
        if shape is None or _shape(data) != shape:
            return
        region, sinks = [], []
        stack = [mul]
        seen = {id(mul)}
        while stack:
            node = stack.pop()
            for user in self.users.get(id(node), [None]):
                if user is None or id(user) in self.claimed:
                    return
                name = op_name(user)
                if name in _CONVS:
                    if user.args[0] is not node or user.args[1] is node:
                        return
                    sinks.append(user)
                    continue
                if _shape(user) != shape:
                    return
                if name in _SIGN_SAFE:
                    index = None
                else:
                    index = _bias_operand(user, node)
                    if index is None:
                        return
                if id(user) not in seen:
                    seen.add(id(user))
                    region.append((user, index))
                    stack.append(user)
        if not sinks:
            return
        axes = set()
        for conv in sinks:
            layouts = _conv_layouts(conv)
            if layouts is None or int(conv.attrs.get("groups", 1)) != 1:
                return
            if _shape(conv.args[1]) is None:
                return
            axes.add(layouts[0])
        if len(axes) != 1:
            return
        axis = axes.pop()
        ndim = len(shape)
        vec = _channel_vector(scale, ndim, axis, shape[axis])
        if vec is None or not np.all(vec != 0):
            return
        if any(op_name(n) in _SIGN_SAFE for n, _ in region) and not np.all(vec > 0):
            return
        if not all(i is None or _bias_ok(n, i, ndim, axis) for n, i in region):
            return
        # A bias must keep its value: it cannot be a node this plan rewrites.
        if any(i is not None and id(n.args[i]) in seen for n, i in region):
            return
        self.drop[id(mul)] = data
        self.claimed.update(seen)
        for node, index in region:
            if index is not None:
                self.bias[id(node)] = (index, vec, ndim, axis)
        for conv in sinks:
            self.sinks[id(conv)] = (vec, _conv_layouts(conv)[2], len(_shape(conv.args[1])))
            self.claimed.add(id(conv))


class _ForwardFolder(ExprMutator):
    def __init__(self, plan):
        super().__init__()
        self.plan = plan

    def visit_call(self, call):
        key = id(call)
        if key in self.plan.drop:
            return self.visit(self.plan.drop[key])
        if key in self.plan.bias:
            index, vec, ndim, axis = self.plan.bias[key]
            args = [self.visit(a) for a in call.args]
            args[index] = _scaled_bias(call, args[index], vec, ndim, axis, divide=True)
            return _rebuild(call, args)
        if key in self.plan.sinks:
            vec, kernel_axis, weight_ndim = self.plan.sinks[key]
            args = [self.visit(a) for a in call.args]
            args[1] = _scaled_weight(args[1], vec, kernel_axis, weight_ndim)
            return _rebuild(call, args)
        return super().visit_call(call)


def backward_fold_scale_axis(func):
    """``func`` with multiplies after convolutions folded into their weights."""
    return _BackwardFolder(func).visit(func)


def forward_fold_scale_axis(func):
    """``func`` with multiplies before convolutions folded into their weights."""
    plan = _ForwardPlan(func)
    if not plan.drop:
        return func
    return _ForwardFolder(plan).visit(func)


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
