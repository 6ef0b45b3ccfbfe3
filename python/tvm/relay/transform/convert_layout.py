"""ConvertLayout: move a graph's convolutions to another data layout (e.g. NHWC).

Contract (upstream 0.8 ``relay.transform.ConvertLayout``)
---------------------------------------------------------
``ConvertLayout(desired_layouts)`` maps an op name to the layouts wanted for its
inputs, in the op's order: ``{"nn.conv2d": ["NHWC", "default"]}`` asks for NHWC
data and the usual kernel layout of NHWC (``HWIO``; ``HWOI`` for a depthwise
convolution with channel multiplier 1). The function keeps its signature: its
inputs and outputs stay in the original layout; inside, every op that can work
in the new layout does, so that -- ideally -- the activations are converted once
where they enter the graph and once where they leave it. Kernels are converted
by a ``layout_transform`` of the weight, which ``FoldConstant`` folds into a new
constant once the weights are bound (``relay.build`` does so).

How it works
------------
One pass over the dataflow graph, children first. Every rewritten expression
carries a *layout state*: ``None`` when the new expression has the original
layout, else a :class:`LayoutState` ``(src, dst)`` saying the new expression is
``layout_transform(original, src, dst)``. For instance the output of a converted
``NCHW`` convolution has state ``("NCHW", "NHWC")``.

* ops named in ``desired_layouts`` (``nn.conv2d``, ``nn.conv2d_transpose``,
  the pools...) take their input converted to the desired layout;
* ops that adapt (pools, global and adaptive pools, ``image.resize2d``,
  ``nn.upsampling``) take the layout of their input: their ``layout`` attribute
  is rewritten;
* ops with axes (``concatenate``, ``split``, ``strided_slice``,
  ``nn.bias_add``, ``nn.batch_norm``, ``nn.prelu``, softmaxes, reductions,
  ``squeeze``) and ``nn.pad`` get their axes (pad widths) permuted; a
  ``transpose`` absorbs the conversion (its output is in the original layout);
* element-wise and broadcast ops keep the layout; an operand without the state
  is brought to it (a per-channel ``[C, 1, 1]`` constant becomes ``[1, 1, 1, C]``
  for NHWC through ``expand_dims`` + ``layout_transform``, folded later);
* quantized ops do the same (``qnn.conv2d`` as a convolution, requantize and
  friends by their axis, ``qnn.add``/``qnn.concatenate`` as their float ops);
* any other op gets its inputs back in the original layout.

Upstream attaches these rules to each op (``FInferCorrectLayout``); here they
are one table (:mod:`.layout_rules`) read by this pass, which keeps the whole
contract in one place and leaves the op files alone.

A conversion is never stacked on its inverse: converting
``layout_transform(x, A, B)`` back to ``A`` gives ``x`` itself, and each
(expression, conversion) pair is built once, so all users of a value share one
transform.

Relay has a ``layout_transform`` op here (``relay.layout_transform``), so the
pass emits that rather than ``transpose``: it names the layouts, which makes
the rewritten graph readable and lets conversions compose by name.

Data layouts must be permutations of the op's original layout (``NCHW`` <->
``NHWC``...); packed layouts such as ``NCHW16c`` are the business of the x86
schedules, not of this pass, and are refused with a ``ValueError``.
"""
from ..expr import Call, If, Let, Tuple, TupleGetItem, Var
from ..function import Function
from ..op.op import Op, OpPattern
from ..ty import TensorType
from .pass_infra import Pass, PassInfo
from ._utils import ensure_typed, post_order
from .canonicalize_ops import CanonicalizeOps
from .infer_layout_utils import as_layout, layout_name
from .layout_rules import (
    AXIS_OPS,
    BROADCAST_OPS,
    CONV_OPS,
    CREATION_OPS,
    LAYOUT_ATTR_OPS,
    QNN_BINARY_OPS,
    REDUCE_OPS,
    ROI_OPS,
    as_tuple,
    check_permutation,
    default_kernel_layout,
    is_depthwise,
    is_depthwise_multiplier_one,
    kernel_index,
    normalize_desired_layouts,
    static_int,
)


class LayoutState:
    """The new expression is ``layout_transform(original, src, dst)``.

    ``src`` and ``dst`` hold the same axis letters; ``dst[i]`` names the
    original axis now at position ``i``.
    """

    __slots__ = ("src", "dst")

    def __init__(self, src, dst):
        self.src = src
        self.dst = dst

    @staticmethod
    def of(src, dst):
        """The state for ``src -> dst``, ``None`` when they are equal."""
        return None if src == dst else LayoutState(src, dst)

    def new_axis(self, axis):
        """Position in the new layout of original axis ``axis`` (non-negative)."""
        return self.dst.index(self.src[axis])

    def original_axis(self, new_axis):
        """Original position of the axis now at ``new_axis``."""
        return self.src.index(self.dst[new_axis])

    def without(self, letters):
        """The state after the axes named by ``letters`` are removed."""
        src = "".join(c for c in self.src if c not in letters)
        dst = "".join(c for c in self.dst if c not in letters)
        return LayoutState.of(src, dst)

    def __eq__(self, other):
        return isinstance(other, LayoutState) and (self.src, self.dst) == (other.src, other.dst)

    def __hash__(self):
        return hash((self.src, self.dst))

    def __repr__(self):
        return f"LayoutState({self.src}->{self.dst})"


def _rank(expr):
    ty = expr.checked_type
    if not isinstance(ty, TensorType):
        return None
    return len(ty.shape)


class LayoutConfig:
    """Convolutions to leave in their layout (upstream 0.8 ``LayoutConfig``).

    Inside ``with LayoutConfig(skip_layers=[0, 3]):`` the ``nn.conv2d`` calls that
    ``ConvertLayout`` meets are numbered from 0 in graph order (inputs first),
    and those listed keep their original layout. The count goes on across the
    passes run inside the ``with``, as upstream.
    """

    current = None

    def __init__(self, skip_layers=None):
        self.skip_counter = 0
        self.skip_layers = list(skip_layers) if skip_layers is not None else []

    def check_skip(self):
        """Whether the next convolution is skipped (counts it)."""
        skip = self.skip_counter in self.skip_layers
        self.skip_counter += 1
        return skip

    def reset(self):
        self.skip_counter = 0
        self.skip_layers = []

    def __enter__(self):
        self._old_config = LayoutConfig.current  # pylint: disable=attribute-defined-outside-init
        LayoutConfig.current = self
        return self

    def __exit__(self, ptype, value, trace):
        LayoutConfig.current = self._old_config


class LayoutConverter:
    """The rewriting behind :func:`ConvertLayout`, for one function."""

    def __init__(self, desired_layouts):
        self.desired = desired_layouts
        self._made = {}  # (id(expr), src, dst) -> (expr kept alive, converted)

    # -- conversions ------------------------------------------------------------

    def _transform(self, expr, src, dst):
        """``layout_transform(expr, src, dst)``, cancelling against a producer
        that is itself a layout transform and built once per expression."""
        if src == dst:
            return expr
        key = (id(expr), src, dst)
        found = self._made.get(key)
        if found is not None:
            return found[1]
        from ..op.transform import layout_transform  # pylint: disable=import-outside-toplevel

        result = None
        if _is_layout_transform(expr):
            inner_src = expr.attrs.src_layout
            if expr.attrs.dst_layout == src and sorted(inner_src) == sorted(dst):
                # transform(transform(x, A, B), B, C) is transform(x, A, C) or x.
                result = self._transform(expr.args[0], inner_src, dst)
        if result is None:
            result = layout_transform(expr, src, dst)
        self._made[key] = (expr, result)
        return result

    def convert(self, expr, state, target):
        """``expr`` (carrying ``state``) re-expressed with state ``target``."""
        if state == target:
            return expr
        if isinstance(state, tuple) or isinstance(target, tuple):
            return self._convert_tuple(expr, state, target)
        if state is None:
            return self._transform(expr, target.src, target.dst)
        if target is None:
            return self._transform(expr, state.dst, state.src)
        if state.src != target.src:
            expr = self._transform(expr, state.dst, state.src)
            return self._transform(expr, target.src, target.dst)
        return self._transform(expr, state.dst, target.dst)

    def _convert_tuple(self, expr, state, target):
        size = len(state) if isinstance(state, tuple) else len(target)
        states = state if isinstance(state, tuple) else (None,) * size
        targets = target if isinstance(target, tuple) else (None,) * size
        if isinstance(expr, Tuple):
            fields = expr.fields
        else:
            fields = [TupleGetItem(expr, i) for i in range(size)]
        return Tuple([self.convert(f, s, t) for f, s, t in zip(fields, states, targets)])

    def plain(self, new, state):
        """The new expression in the original layout."""
        if state is None:
            return new
        if isinstance(state, tuple):
            if all(s is None for s in state):
                return new
            return self._convert_tuple(new, state, None)
        return self.convert(new, state, None)

    # -- the walk ---------------------------------------------------------------

    def rewrite(self, func):
        """``func`` with its body converted; inputs and outputs keep their layout."""
        done = {}  # id(original) -> (original, new, state)
        for node in post_order(func.body):
            done[id(node)] = (node,) + self._rewrite_node(node, done)
        _, new_body, state = done[id(func.body)]
        new_body = self.plain(new_body, state)
        return Function(func.params, new_body, func.ret_type, func.type_params, func.attrs)

    def _rewrite_node(self, node, done):
        def arg(expr):
            _, new, state = done[id(expr)]
            return new, state

        def plain_arg(expr):
            return self.plain(*arg(expr))

        if isinstance(node, Call) and isinstance(node.op, Op):
            return self._rewrite_call(node, [arg(a) for a in node.args])
        if isinstance(node, Tuple):
            fields = [arg(f) for f in node.fields]
            return Tuple([f[0] for f in fields], node.span), tuple(f[1] for f in fields)
        if isinstance(node, TupleGetItem):
            new, state = arg(node.tuple_value)
            field_state = state[node.index] if isinstance(state, tuple) else None
            if isinstance(new, Tuple):
                return new.fields[node.index], field_state
            return TupleGetItem(new, node.index), field_state
        if isinstance(node, Call):  # a call of a function, global or variable
            head = node.op if isinstance(node.op, Var) else plain_arg(node.op)
            return Call(head, [plain_arg(a) for a in node.args], node.attrs, node.type_args,
                        node.span), None
        if isinstance(node, Let):
            return Let(node.var, plain_arg(node.value), plain_arg(node.body)), None
        if isinstance(node, If):
            return If(plain_arg(node.cond), plain_arg(node.true_branch),
                      plain_arg(node.false_branch)), None
        if isinstance(node, Function) and not node.is_primitive:
            inner = LayoutConverter(self.desired)
            return inner.rewrite(node), None
        return node, None  # variables, constants, globals, primitive functions

    # -- calls --------------------------------------------------------------------

    def _rewrite_call(self, call, args):
        name = call.op.name
        handler = None
        user_rule = call.op.get_attr("FInferCorrectLayout")
        if user_rule is not None:
            result = self._user_rule(user_rule, call, args)
            return result if result is not None else self._fallback(call, args)
        if name in CONV_OPS and name in self.desired:
            config = LayoutConfig.current
            skip = name == "nn.conv2d" and config is not None and config.check_skip()
            handler = None if skip else self._conv
        elif name in LAYOUT_ATTR_OPS:
            handler = self._layout_attr_op
        elif name in AXIS_OPS:
            handler = self._axis_op
        elif name in ("concatenate", "qnn.concatenate"):
            handler = self._concatenate
        elif name in QNN_BINARY_OPS:
            handler = self._qnn_binary
        elif name in REDUCE_OPS:
            handler = self._reduce
        elif name == "squeeze":
            handler = self._squeeze
        elif name == "transpose":
            handler = self._transpose
        elif name == "strided_slice":
            handler = self._strided_slice
        elif name == "slice_like":
            handler = self._slice_like
        elif name == "split":
            handler = self._split
        elif name == "nn.pad":
            handler = self._pad
        elif name in BROADCAST_OPS or (
            call.op.get_attr("TOpPattern") == OpPattern.ELEMWISE and name not in CREATION_OPS
        ):
            handler = self._elementwise
        if handler is not None:
            result = handler(call, args)
            if result is not None:
                return result
        return self._fallback(call, args)

    def _user_rule(self, rule, call, args):
        """Apply a rule registered with ``register_infer_correct_layout``
        (see :mod:`.infer_layout_utils`); ``None`` when it cannot apply."""
        states = [state for _, state in args]
        if any(isinstance(s, tuple) for s in states) or not isinstance(call.checked_type, TensorType):
            return None
        types = [a.checked_type for a in call.args]
        old = [as_layout(s.src) if s is not None else None for s in states]
        first = rule(call.attrs, [], old, types)
        originals = [s.src if s is not None else layout_name(want)
                     for s, want in zip(states, first.input_layouts)]
        new_in = [as_layout(s.dst) if s is not None else as_layout(o)
                  for s, o in zip(states, originals)]
        second = rule(call.attrs, new_in, old, types)
        new_args = []
        for (new, state), original, want in zip(args, originals, second.input_layouts):
            want = layout_name(want)
            if not want or not original or sorted(want) != sorted(original):
                new_args.append(self.plain(new, state))
            else:
                new_args.append(self.convert(new, state, LayoutState.of(original, want)))
        old_out = layout_name(first.output_layouts[0]) if first.output_layouts else ""
        new_out = layout_name(second.output_layouts[0]) if second.output_layouts else ""
        if old_out and new_out and sorted(old_out) == sorted(new_out):
            out_state = LayoutState.of(old_out, new_out)
        elif not new_out or new_out == old_out:
            out_state = None
        else:
            return None
        return self._call(call, new_args, second.new_attrs or call.attrs), out_state

    def _fallback(self, call, args):
        new_args = [self.plain(new, state) for new, state in args]
        return self._call(call, new_args, call.attrs), None

    @staticmethod
    def _call(call, new_args, attrs):
        return Call(call.op, new_args, attrs, call.type_args, call.span)

    def _conv(self, call, args):
        attrs = call.attrs
        layouts = self.desired[call.op.name]
        data_layout, kernel_layout = layouts[0], layouts[1]
        check_permutation(attrs.data_layout, data_layout, f"{call.op.name} data layout")
        if kernel_layout == "default":
            kernel_layout = default_kernel_layout(call, data_layout)
        check_permutation(attrs.kernel_layout, kernel_layout, f"{call.op.name} kernel layout")
        out_layout = attrs.out_layout or attrs.data_layout
        check_permutation(out_layout, data_layout, f"{call.op.name} output layout")
        data_target = LayoutState.of(attrs.data_layout, data_layout)
        at = kernel_index(call)
        weight, weight_state = args[at]
        new_args = (
            [self.convert(new, state, data_target) for new, state in args[:at]]  # data (offset)
            + [self._convert_kernel(call, weight, weight_state, kernel_layout)]
            + [self.plain(new, state) for new, state in args[at + 1:]]
        )
        new_attrs = attrs.with_fields(data_layout=data_layout, kernel_layout=kernel_layout,
                                      out_layout="")
        return self._call(call, new_args, new_attrs), LayoutState.of(out_layout, data_layout)

    def _convert_kernel(self, call, weight, state, kernel_layout):
        """The weight in ``kernel_layout``, by the letter conventions of the fork's ops."""
        src, dst = call.attrs.kernel_layout, kernel_layout  # letters read literally
        if (src.endswith("OI") != dst.endswith("OI") and call.op.name != "nn.deformable_conv2d"
              and is_depthwise(call)
              and not is_depthwise_multiplier_one(call)):
            return self._regroup_depthwise_kernel(call, self.plain(weight, state), dst)
        return self.convert(weight, state, LayoutState.of(src, dst))

    def _regroup_depthwise_kernel(self, call, weight, dst):
        """A depthwise kernel between its two forms, which for a channel multiplier
        ``m > 1`` are no permutation of each other: a layout ending in ``OI``
        holds (in channels ``C``, ``m``), the others (``C * m`` out channels, 1).
        Output channel ``c * m + j`` is multiplier ``j`` of input channel ``c`` in
        both, so a reshape in ``HWOI`` letters moves between them."""
        from ..op.transform import reshape  # pylint: disable=import-outside-toplevel

        src = call.attrs.kernel_layout
        groups = int(call.attrs.groups)
        height, width = (int(d) for d in _dims(call.args[1], src, "HW"))
        middle = self._transform(weight, src, "HWOI")
        if src.endswith("OI"):  # (C, m) -> (C * m, 1)
            shape = (height, width, -1, 1)
        else:  # (C * m, 1) -> (C, m)
            shape = (height, width, groups, -1)
        return self._transform(reshape(middle, shape), "HWOI", dst)

    def _layout_attr_op(self, call, args):
        attrs = call.attrs
        data, state = args[0]
        original = attrs.layout
        if call.op.name in self.desired:
            target = self.desired[call.op.name][0]
            check_permutation(original, target, f"{call.op.name} layout")
        elif state is not None and state.src == original and call.op.name not in ROI_OPS:
            target = state.dst
        else:
            return None
        out_layout = (attrs.get("out_layout", "") or original)
        if sorted(out_layout) != sorted(target):
            return None
        fields = {"layout": target}
        if "out_layout" in attrs:  # as upstream: explicit only when the layout was asked for
            fields["out_layout"] = target if call.op.name in self.desired else ""
        new_args = [self.convert(data, state, LayoutState.of(original, target))]
        new_args += [self.plain(new, s) for new, s in args[1:]]
        new_call = self._call(call, new_args, attrs.with_fields(**fields))
        return new_call, LayoutState.of(out_layout, target)

    def _axis_op(self, call, args):
        data, state = args[0]
        ndim = _rank(call.args[0])
        if state is None or ndim != len(state.src):
            return None
        axis = int(call.attrs.axis) % ndim
        new_args = [data] + [self.plain(new, s) for new, s in args[1:]]
        new_call = self._call(call, new_args, call.attrs.with_fields(axis=state.new_axis(axis)))
        if call.op.name == "nn.batch_norm":  # (out, mean, var): only out has the layout
            return new_call, (state, None, None)
        return new_call, state

    def _concatenate(self, call, args):
        tup, states = args[0]
        if not isinstance(states, tuple) or not isinstance(call.args[0], Tuple):
            return None
        ndim = _rank(call)
        chosen = next((s for s in states if s is not None and len(s.src) == ndim), None)
        if chosen is None:
            return None
        fields = [self.convert(f, s, chosen) for f, s in zip(tup.fields, states)]
        axis = int(call.attrs.axis) % ndim
        rest = [self.plain(new, s) for new, s in args[1:]]  # qnn: scales, zero points
        new_call = self._call(call, [Tuple(fields, tup.span)] + rest,
                              call.attrs.with_fields(axis=chosen.new_axis(axis)))
        return new_call, chosen

    def _reduce(self, call, args):
        data, state = args[0]
        ndim = _rank(call.args[0])
        if state is None or ndim != len(state.src):
            return None
        attrs = call.attrs
        if attrs.axis is None:
            if call.op.name in ("argmax", "argmin"):
                return None  # a flat index depends on the layout
            axes = list(range(ndim))
        else:
            axes = sorted({int(a) % ndim for a in as_tuple(attrs.axis)})
        if attrs.exclude:
            axes = [i for i in range(ndim) if i not in axes]
        new_axes = tuple(sorted(state.new_axis(a) for a in axes))
        new_args = [data] + [self.convert(new, s, state) for new, s in args[1:]]
        new_call = self._call(call, new_args, attrs.with_fields(axis=new_axes, exclude=False))
        if attrs.keepdims:
            return new_call, state
        return new_call, state.without({state.src[a] for a in axes})

    def _squeeze(self, call, args):
        data, state = args[0]
        ndim = _rank(call.args[0])
        if state is None or ndim != len(state.src):
            return None
        if call.attrs.axis is None:  # every axis of size 1, named explicitly
            shape = call.args[0].checked_type.shape
            axes = [i for i, dim in enumerate(shape) if static_int(dim) == 1]
            if len(axes) != sum(1 for dim in shape if static_int(dim) in (1, None)):
                return None  # an unknown dimension might be 1 at run time
        else:
            axes = sorted({int(a) % ndim for a in as_tuple(call.attrs.axis)})
        new_axes = tuple(sorted(state.new_axis(a) for a in axes))
        new_call = self._call(call, [data], call.attrs.with_fields(axis=new_axes))
        return new_call, state.without({state.src[a] for a in axes})

    def _transpose(self, call, args):
        """The transpose absorbs the input's layout: its output is in the original layout."""
        data, state = args[0]
        ndim = _rank(call.args[0])
        if state is None or ndim != len(state.src):
            return None
        axes = call.attrs.axes
        axes = list(reversed(range(ndim))) if axes is None else [int(a) % ndim for a in axes]
        # When the conversion was that very transpose, the axes become the
        # identity; the call stays (as in 0.8) and SimplifyExpr removes it.
        new_axes = tuple(state.new_axis(a) for a in axes)
        return self._call(call, [data], call.attrs.with_fields(axes=new_axes)), None

    def _strided_slice(self, call, args):
        data, state = args[0]
        ndim = _rank(call.args[0])
        if state is None or ndim != len(state.src):
            return None
        attrs = call.attrs
        if attrs.axes is None:
            return self._strided_slice_all_axes(call, data, state)
        count = len(attrs.begin)
        axes = [int(a) % ndim for a in attrs.axes]
        strides = list(attrs.strides) if attrs.strides else [1]
        if len(strides) == 1:
            strides = strides * count
        # the same begin/end/strides, addressed to where each axis now is
        new_attrs = attrs.with_fields(axes=tuple(state.new_axis(a) for a in axes),
                                      strides=tuple(strides))
        return self._call(call, [data], new_attrs), state

    def _strided_slice_all_axes(self, call, data, state):
        """A slice without ``axes``: begin/end/strides completed to every axis (a
        missing begin is 0, end the axis' size, stride 1, as the op reads them),
        then permuted like the data (0.8's form)."""
        attrs = call.attrs
        shape = [static_int(d) for d in call.args[0].checked_type.shape]
        ndim = len(shape)
        if attrs.slice_mode != "end" or None in shape:
            return None
        strides = list(attrs.strides) if attrs.strides else [1]
        if len(strides) == 1 and len(attrs.begin) > 1:
            strides = strides * len(attrs.begin)
        begin = list(attrs.begin) + [0] * (ndim - len(attrs.begin))
        end = list(attrs.end) + shape[len(attrs.end):]
        strides = strides + [1] * (ndim - len(strides))
        if any(s < 0 for s in strides[len(attrs.begin):]):
            return None  # a missing bound of a negative stride starts at the end
        order = [state.original_axis(i) for i in range(ndim)]
        new_attrs = attrs.with_fields(begin=tuple(int(begin[a]) for a in order),
                                      end=tuple(int(end[a]) for a in order),
                                      strides=tuple(int(strides[a]) for a in order))
        return self._call(call, [data], new_attrs), state

    def _slice_like(self, call, args):
        """``slice_like(x, like, axes)``: the axes follow when both inputs share the layout."""
        (data, state), (like, like_state) = args
        ndim = _rank(call.args[0])
        if state is None or state != like_state or ndim != len(state.src):
            return None
        axes = call.attrs.axes
        if axes is None:
            return self._call(call, [data, like], call.attrs), state
        new_axes = tuple(state.new_axis(int(a) % ndim) for a in axes)
        return self._call(call, [data, like], call.attrs.with_fields(axes=new_axes)), state

    def _split(self, call, args):
        data, state = args[0]
        ndim = _rank(call.args[0])
        if state is None or ndim != len(state.src):
            return None
        axis = int(call.attrs.axis) % ndim
        new_call = self._call(call, [data], call.attrs.with_fields(axis=state.new_axis(axis)))
        return new_call, (state,) * len(call.checked_type.fields)

    def _pad(self, call, args):
        data, state = args[0]
        ndim = _rank(call.args[0])
        if state is None or ndim != len(state.src):
            return None
        width = call.attrs.pad_width
        new_width = tuple(tuple(width[state.original_axis(i)]) for i in range(ndim))
        new_args = [data] + [self.plain(new, s) for new, s in args[1:]]
        return self._call(call, new_args, call.attrs.with_fields(pad_width=new_width)), state

    def _elementwise(self, call, args):
        aligned = self._align(_rank(call), call.args, args)
        if aligned is None:
            return None
        new_args, state = aligned
        return self._call(call, new_args, call.attrs), state

    def _qnn_binary(self, call, args):
        """Element-wise on (lhs, rhs); the quantization parameters stay as they are."""
        aligned = self._align(_rank(call), call.args[:2], args[:2])
        if aligned is None:
            return None
        new_args, state = aligned
        new_args += [self.plain(new, s) for new, s in args[2:]]
        return self._call(call, new_args, call.attrs), state

    def _align(self, ndim, originals, args):
        """The operands of a broadcast op of rank ``ndim`` in one common layout
        state (that of a converted operand), with that state; ``None`` when no
        operand is converted."""
        if ndim is None:
            return None
        chosen = next(
            (s for _, s in args if isinstance(s, LayoutState) and len(s.src) == ndim), None
        )
        if chosen is None:
            return None
        from ..op.transform import expand_dims  # pylint: disable=import-outside-toplevel

        new_args = []
        for original, (new, state) in zip(originals, args):
            rank = _rank(original)
            if state is not None or rank == ndim:
                new_args.append(self.convert(new, state, chosen))
            elif rank == 0:
                new_args.append(new)
            elif rank is not None and rank < ndim:
                # NumPy broadcasting aligns trailing axes: give the operand the
                # full rank first, then permute it like the others.
                widened = expand_dims(new, axis=0, num_newaxis=ndim - rank)
                new_args.append(self._transform(widened, chosen.src, chosen.dst))
            else:
                return None
        return new_args, chosen


def _dims(expr, layout, letters):
    shape = expr.checked_type.shape
    return [shape[layout.index(letter)] for letter in letters]


def _is_layout_transform(expr):
    return isinstance(expr, Call) and isinstance(expr.op, Op) and expr.op.name == "layout_transform"


def convert_layout(func, desired_layouts):
    """``func`` (typed) with its layouts converted (the body of the pass)."""
    return LayoutConverter(normalize_desired_layouts(desired_layouts)).rewrite(func)


def ConvertLayout(desired_layouts):  # pylint: disable=invalid-name
    """Convert the data layout of convolutions and of the ops around them
    (upstream ``relay.transform.ConvertLayout``, ``opt_level`` 3).

    Inputs and outputs of each function keep their layout; inside, ops work in
    the desired layout and the activations are converted at the boundary of
    the ops that cannot follow. Kernels go through a ``layout_transform`` of
    the weight that ``FoldConstant`` folds (``relay.build`` runs it after
    binding the parameters). This pass emits Relay's ``layout_transform`` op
    (there is one here) rather than ``transpose``. As in 0.8 it runs
    ``CanonicalizeOps`` first (``nn.bias_add`` becomes a broadcast ``add``), and
    rules registered with ``relay.op.op.register_infer_correct_layout`` take
    precedence over its own (:mod:`.infer_layout_utils`).

    Parameters
    ----------
    desired_layouts : dict of str to list of str
        Op name to the layouts of its inputs in order, e.g.
        ``{"nn.conv2d": ["NHWC", "default"]}``: NHWC data and the default
        kernel layout for it (``HWIO``, ``HWOI`` for depthwise with multiplier
        1). Settable: ``nn.conv2d``, ``nn.conv2d_transpose``, ``qnn.conv2d``
        (data and kernel), pools, ``image.resize2d`` and ``nn.upsampling``
        (one layout; without an entry they follow their input). Names of ops
        not registered in Relay are ignored with a warning. Inside ``with
        LayoutConfig(skip_layers=[...])`` the listed ``nn.conv2d`` calls keep
        their layout.

    Returns
    -------
    tvm.transform.Pass

    Raises
    ------
    TypeError, ValueError
        When ``desired_layouts`` is malformed, names an op whose layout cannot
        be set, or asks for a layout that is not a permutation of the op's.
    """
    desired = normalize_desired_layouts(desired_layouts)

    def transform(mod, _ctx):
        # As 0.8 (whose ConvertLayout requires CanonicalizeOps): nn.bias_add
        # becomes a broadcast add first, which converts like any broadcast op.
        mod = ensure_typed(CanonicalizeOps()(ensure_typed(mod)))
        new_mod = mod.copy()
        for gvar, func in mod.functions_items():
            if isinstance(func, Function) and not func.is_primitive:
                new_mod[gvar] = LayoutConverter(desired).rewrite(func)
        from .type_infer import InferType  # pylint: disable=import-outside-toplevel

        return InferType()(new_mod)

    return Pass(PassInfo(3, "ConvertLayout", []), transform)


__all__ = ["ConvertLayout", "LayoutConfig", "LayoutConverter", "LayoutState", "convert_layout"]
