"""AlterOpLayout: let ops choose their own data layouts (0.8's
``relay.transform.AlterOpLayout``, ``opt_level`` 3).

Contract (upstream 0.8)
-----------------------
For every call of an op with an ``"FTVMAlterOpLayout"`` function (registered
with :func:`tvm.relay.op.register_alter_op_layout`), the pass calls
``alter(attrs, inputs, tinfos, out_type)``: ``inputs`` are the call's new
arguments, ``tinfos`` one ``te.placeholder`` per argument with the original
shape and dtype, ``out_type`` the original output type. The function returns a
call replacing the original (for instance a convolution in ``NCHW16c``) or
``None`` to keep it. It runs in the caller's target context:
``tvm.target.Target.current()`` is the target ``relay.build`` (or the user's
``with target:``) set, as in 0.8.

The pass then keeps the new layouts flowing: each rewritten value carries its
original layout and its current layout, and

* the inputs of an altered call get a ``layout_transform`` from their current
  layout to the one the new call declares (``data_layout``,
  ``kernel_layout``), and its output is in its ``out_layout`` (or
  ``data_layout``);
* element-wise ops and ``cast`` keep their input's layout;
* broadcast ops take the layout of their highest-rank operand with a known
  layout; another operand is brought to it (a lower-rank one is expanded with
  ``expand_dims`` first; operands whose dimensions are all 1 broadcast as
  they are);
* pools and ``nn.upsampling``/``nn.upsampling3d`` work in the new layout when
  it only packs non-spatial axes (``NCHW16c``), with their ``layout`` rewritten;
* reductions map their axes (reducing ``C`` of ``NCHW16c`` reduces axes 1
  and 4; with ``keepdims`` the result is ``NCHW1c``); ``concatenate`` maps its
  axis; ``nn.pad`` maps its widths unless it pads a packed axis;
  ``strided_slice`` maps its bounds when they cut whole blocks; otherwise
  these ops work in the original layout;
* any other op (ops with an ``axis`` attribute such as ``nn.prelu`` among
  them), a tuple leaving the function and the function's result get their
  inputs transformed back to the original layout.

The rewrites are memoised: one value converted to one layout is one
``layout_transform``, shared by all its users. A ``TupleGetItem`` of a tuple
literal is its field.

Differences from 0.8 (documented choices)
-----------------------------------------
* The layout rules are the ones above, kept in this module; 0.8 attached one
  ``FInferCorrectLayout`` per op and also carried packed layouts through
  ``image.resize2d``, ``squeeze``, ``split``, ``nn.dense``
  and the normalisations. Here those ops get their inputs back in the
  original layout (the same values, one more pair of transforms).
* The fork registers **no** built-in x86 alteration (0.8 registered
  ``topi.x86``'s ``conv2d_alter_layout`` and ``_alter_dense_layout`` for
  ``nn.conv2d`` and ``nn.dense``): its x86 convolutions are TensorIR schedules
  of the plain ``NCHW``/``NHWC`` computes, and ``relay.build`` chooses layouts
  with :func:`~tvm.relay.transform.ChooseLayout` instead. A user alteration
  may still target ``nn.contrib_conv2d_nchwc`` (it has a compute, and
  ``topi.x86.conv2d_nchwc`` a schedule). With no registered function the pass
  leaves a graph unchanged.
"""
from tvm import te

from ..expr import Call, Tuple, TupleGetItem, Var, Constant
from ..function import Function
from ..op.op import Op, OpPattern
from ..ty import TensorType, TupleType
from ._utils import ensure_typed
from .pass_infra import Pass, PassInfo

_POOLS = {
    "nn.max_pool1d", "nn.max_pool2d", "nn.max_pool3d",
    "nn.avg_pool1d", "nn.avg_pool2d", "nn.avg_pool3d",
    "nn.global_max_pool2d", "nn.global_avg_pool2d",
}
# Ops with a ``layout`` attribute that may work in a layout packing non-spatial axes
# (0.8's pool and upsampling FInferCorrectLayout).
_LAYOUT_ATTR_OPS = _POOLS | {"nn.upsampling", "nn.upsampling3d"}
_SAME_LAYOUT_OPS = {"cast", "cast_like", "copy", "nn.relu", "nn.leaky_relu", "clip", "nn.dropout"}


def _primal(layout):
    return "".join(c for c in layout if c.isupper())


def _is_scalar(ty):
    """0.8's ``IsScalar``: a tensor whose dimensions are all 1 (or rank 0)."""
    if not isinstance(ty, TensorType):
        return False
    try:
        return all(int(d) == 1 for d in ty.shape)
    except TypeError:
        return False


def _rank(ty):
    return len(ty.shape) if isinstance(ty, TensorType) else None


class _Value:
    """A rewritten value: ``expr`` holds the original value in layout
    ``new`` (``old`` is the layout the original graph had; ``""``: unknown)."""

    __slots__ = ("expr", "old", "new", "fields")

    def __init__(self, expr, old="", new="", fields=None):
        self.expr = expr
        self.old = old
        self.new = new
        self.fields = fields  # the _Values of a tuple literal

    @property
    def altered(self):
        return bool(self.old) and bool(self.new) and self.old != self.new


def _tokens(layout):
    """``"NCHW16c"`` -> ``[(None, "N"), (None, "C"), (None, "H"), (None, "W"), (16, "c")]``."""
    tokens, digits = [], ""
    for ch in layout:
        if ch.isdigit():
            digits += ch
        else:
            tokens.append((int(digits) if digits else None, ch))
            digits = ""
    return tokens


def _format(tokens):
    return "".join(f"{factor}{ch}" if factor is not None else ch for factor, ch in tokens)


def _split_letters(layout):
    """Upper-case names of the axes ``layout`` splits (``"NCHW16c"`` -> ``{"C"}``)."""
    return {ch.upper() for ch in layout if ch.islower()}


def _new_axes(old, new, axes):
    """Positions in ``new`` of the original axes ``axes`` of ``old`` (a split
    axis gives its outer and inner positions)."""
    letters = [ch for ch in new if not ch.isdigit()]
    result = []
    for axis in axes:
        letter = old[axis]
        result.append(letters.index(letter))
        if letter.lower() in letters:
            result.append(letters.index(letter.lower()))
    return sorted(result)


def _same_axes(a, b):
    return bool(a) and bool(b) and sorted(_primal(a)) == sorted(_primal(b))


def _infer_reduce(attrs, layout, old, rank):
    if attrs.get("exclude", False):
        return None
    axes = attrs.get("axis")
    axes = list(range(rank)) if axes is None else [int(a) % rank for a in axes]
    keepdims = bool(attrs.get("keepdims", False))
    if layout == old:
        if keepdims:
            return [layout], layout, attrs
        kept = "".join(ch for i, ch in enumerate(old) if i not in axes)
        return [layout], kept, attrs
    reduced = {old[a] for a in axes}
    new_axes = _new_axes(old, layout, axes)
    if keepdims:
        out = _format([(1 if factor is not None and ch.upper() in reduced else factor, ch)
                       for factor, ch in _tokens(layout)])
    else:
        out = _format([(factor, ch) for factor, ch in _tokens(layout) if ch.upper() not in reduced])
    return [layout], out, attrs.with_fields(axis=tuple(new_axes))


def _infer_pad(attrs, layout, old):
    widths = [tuple(int(v) for v in w) for w in attrs.pad_width]
    if layout == old:
        return [layout, ""], layout, attrs
    split = _split_letters(layout)
    if any(old[i] in split and w != (0, 0) for i, w in enumerate(widths)):
        return [old, ""], old, attrs  # padding a split axis: done in the original layout
    new_widths = tuple(widths[old.index(ch)] if factor is None else (0, 0)
                       for factor, ch in _tokens(layout))
    return [layout, ""], layout, attrs.with_fields(pad_width=new_widths)


def _infer_concatenate(attrs, in_layouts, old_in, types):
    known = [i for i, layout in enumerate(in_layouts) if layout]
    if not known:
        return None
    ref = known[0]
    layout, old = in_layouts[ref], old_in[ref] or in_layouts[ref]
    rank = _rank(types[ref])
    if rank is None or any(_rank(t) != rank for t in types):
        return None
    if layout == old:
        return [layout] * len(types), layout, attrs
    axis = int(attrs.axis) % rank
    new_axis = [ch for ch in layout if not ch.isdigit()].index(old[axis])
    return [layout] * len(types), layout, attrs.with_fields(axis=new_axis)


def _infer_strided_slice(attrs, layout, old):
    if layout == old:
        return [layout], layout, attrs
    if attrs.get("slice_mode", "end") != "end":
        return [old], old, attrs
    begin, end = list(attrs.begin), list(attrs.end)
    axes = attrs.get("axes")
    axes = list(range(len(begin))) if axes is None else [int(a) % len(old) for a in axes]
    strides = list(attrs.get("strides") or [1])
    if len(strides) == 1:
        strides = strides * len(begin)
    factors = {ch.upper(): factor for factor, ch in _tokens(layout) if factor is not None}
    letters = [ch for ch in layout if not ch.isdigit()]
    new_begin, new_end, new_axes, new_strides = [], [], [], []
    for axis, b, e, st in zip(axes, begin, end, strides):
        letter = old[axis]
        b, e, st = int(b), int(e), int(st)
        if letter in factors:
            factor = factors[letter]
            if st != 1 or b % factor or e % factor:
                return [old], old, attrs  # the slice cuts a packed block
            b, e = b // factor, e // factor
        new_begin.append(b)
        new_end.append(e)
        new_axes.append(letters.index(letter))
        new_strides.append(st)
    keep_axes = attrs.get("axes") is None and new_axes == list(range(len(new_axes)))
    return [layout], layout, attrs.with_fields(
        begin=tuple(new_begin), end=tuple(new_end), strides=tuple(new_strides),
        axes=None if keep_axes else tuple(new_axes))


_REDUCE_OPS = {"sum", "mean", "max", "min", "prod", "variance", "std", "argmax", "argmin",
               "all", "any", "logsumexp"}


def _infer(call, in_layouts, types, old_in=None):
    """0.8's ``FInferCorrectLayout`` for the ops this pass handles.

    ``in_layouts`` holds one layout per flattened input (``""``: unknown),
    ``old_in`` the layouts of the original graph (the call's attributes refer
    to them; default: ``in_layouts``). Returns ``(input_layouts,
    output_layout, attrs)`` or ``None`` when the op cannot tell (then its
    inputs go back to their original layouts).
    """
    op = call.op
    if not isinstance(op, Op):
        return None
    old_in = in_layouts if old_in is None else old_in
    attrs = call.attrs
    if attrs is not None and "data_layout" in attrs and "kernel_layout" in attrs:
        data_layout = attrs.data_layout
        out_layout = attrs.get("out_layout") or data_layout
        return [data_layout, attrs.kernel_layout] + [""] * (len(in_layouts) - 2), out_layout, attrs
    if op.name in _LAYOUT_ATTR_OPS and attrs is not None and "layout" in attrs:
        current = in_layouts[0]
        own = attrs.layout
        if current and current != own and _same_axes(current, own) and \
                not _split_letters(current) & set("DHW"):
            fields = {"layout": current}
            if "out_layout" in attrs:
                fields["out_layout"] = ""
            return [current], current, attrs.with_fields(**fields)
        return [own], attrs.get("out_layout") or own, attrs
    if not types or not all(isinstance(t, TensorType) for t in types):
        return None
    if op.name == "concatenate":
        return _infer_concatenate(attrs, in_layouts, old_in, types)
    layout, old = in_layouts[0], old_in[0] or in_layouts[0]
    if op.name in _REDUCE_OPS and len(types) == 1:
        if not layout or len(old) != _rank(types[0]):
            return None
        return _infer_reduce(attrs, layout, old, _rank(types[0]))
    if op.name == "strided_slice" and len(types) == 1:
        if not layout or len(old) != _rank(types[0]):
            return None
        return _infer_strided_slice(attrs, layout, old)
    if attrs is not None and "axis" in attrs:
        return None  # an axis in the original layout (nn.prelu, nn.bias_add...)
    if op.name == "nn.pad":
        if not layout or len(old) != _rank(types[0]):
            return None
        return _infer_pad(attrs, layout, old)
    pattern = op.get_attr("TOpPattern")
    if len(types) == 1 and (pattern == OpPattern.ELEMWISE or op.name in _SAME_LAYOUT_OPS):
        if not layout:
            return None
        return [layout], layout, attrs
    if len(types) >= 2 and pattern is not None and pattern <= OpPattern.BROADCAST:
        known = [i for i, layout in enumerate(in_layouts) if layout]
        if not known:
            return None
        ref = max(known, key=lambda i: _rank(types[i]))
        layout = in_layouts[ref]
        if _rank(types[ref]) != max(_rank(t) for t in types):
            return None
        required = []
        for i, ty in enumerate(types):
            if i == ref or in_layouts[i] == layout:
                required.append(layout)
            elif _is_scalar(ty):
                required.append(in_layouts[i] or "")
            else:
                required.append(layout)
        return required, layout, attrs
    return None


def _old_layouts(call, inputs, types):
    """The layouts of the original call's inputs and output (0.8 inferred
    them from the inputs' original layouts); ``None`` if unknown."""
    result = _infer(call, [v.old for v in inputs], types)
    if result is None:
        return None
    in_layouts, out_layout, _ = result
    old = []
    for value, ty, layout in zip(inputs, types, in_layouts):
        if value.old:
            old.append(value.old)
        elif layout and _rank(ty) is not None and _rank(ty) < len(_primal(layout)):
            # a lower-rank operand of a broadcast: the trailing axes
            rank = _rank(ty)
            old.append(_primal(layout)[len(_primal(layout)) - rank:] if rank else "")
        else:
            old.append(layout)
    return old, out_layout


class _AlterRewriter:
    def __init__(self):
        self.memo = {}
        self.transforms = {}

    # -- layout transforms ----------------------------------------------
    def transform(self, expr, src, dst, ty=None):
        """``expr`` (in ``src``) as ``dst``; memoised per value and layouts."""
        if not src or not dst or src == dst:
            return expr
        key = (id(expr), src, dst)
        found = self.transforms.get(key)
        if found is not None:
            return found[1]
        from ..op import transform as _otransform  # pylint: disable=import-outside-toplevel

        result = expr
        src_primal, dst_primal = _primal(src), _primal(dst)
        if len(src_primal) < len(dst_primal):
            if ty is not None and _is_scalar(ty):
                return expr
            missing = "".join(c for c in dst_primal if c not in src_primal)
            result = _otransform.expand_dims(result, 0, len(missing))
            src = missing + src
        if src != dst:
            result = _otransform.layout_transform(result, src, dst)
        self.transforms[key] = (expr, result)
        return result

    def realize(self, value):
        """The value in its original layout (tuples field by field)."""
        if value.fields is not None:
            fields = [self.realize(f) for f in value.fields]
            if all(a is b.expr for a, b in zip(fields, value.fields)) and \
                    isinstance(value.expr, Tuple):
                return value.expr
            return Tuple(fields)
        if value.altered:
            return self.transform(value.expr, value.new, value.old)
        return value.expr

    # -- visiting ---------------------------------------------------------
    def visit(self, expr):
        found = self.memo.get(id(expr))
        if found is not None:
            return found[1]
        result = self._visit(expr)
        self.memo[id(expr)] = (expr, result)
        return result

    def _visit(self, expr):
        if isinstance(expr, Call) and isinstance(expr.op, Op):
            return self._call(expr)
        if isinstance(expr, Tuple):
            fields = [self.visit(f) for f in expr.fields]
            if all(f.expr is old and not f.altered and f.fields is None
                   for f, old in zip(fields, expr.fields)):
                return _Value(expr, fields=fields)
            return _Value(Tuple([f.expr for f in fields]), fields=fields)
        if isinstance(expr, TupleGetItem):
            tup = self.visit(expr.tuple_value)
            if tup.fields is not None and isinstance(expr.tuple_value, Tuple):
                return tup.fields[expr.index]
            new = self.realize(tup)
            if new is expr.tuple_value:
                return _Value(expr)
            return _Value(TupleGetItem(new, expr.index))
        if isinstance(expr, Function):
            body = self.realize(self.visit(expr.body))
            if body is expr.body:
                return _Value(expr)
            return _Value(Function(expr.params, body, None, expr.type_params, expr.attrs))
        if isinstance(expr, Var | Constant) or not hasattr(expr, "args"):
            return self._generic(expr)
        return self._generic(expr)

    def _generic(self, expr):
        """Any other node: its children in their original layouts."""
        if isinstance(expr, Var | Constant):
            return _Value(expr)
        if isinstance(expr, Call):
            op = self.realize(self.visit(expr.op)) if not isinstance(expr.op, Op) else expr.op
            args = [self.realize(self.visit(a)) for a in expr.args]
            if op is expr.op and all(a is b for a, b in zip(args, expr.args)):
                return _Value(expr)
            return _Value(Call(op, args, expr.attrs, expr.type_args, expr.span))
        from ..expr_functor import ExprMutator  # pylint: disable=import-outside-toplevel

        outer = self

        class _Children(ExprMutator):
            def visit(self, node):
                if node is expr:
                    return super().visit(node)
                return outer.realize(outer.visit(node))

        return _Value(_Children().visit(expr))

    def _call(self, call):
        arg_values = [self.visit(a) for a in call.args]
        inputs, normal_args = [], []
        for arg, value in zip(call.args, arg_values):
            if value.fields is not None and isinstance(arg, Tuple):
                inputs.extend(value.fields)
                normal_args.append(Tuple([f.expr for f in value.fields]))
            else:
                inputs.append(value)
                normal_args.append(value.expr)
        types = []
        for arg in call.args:
            ty = arg.checked_type
            types.extend(ty.fields if isinstance(ty, TupleType) and isinstance(arg, Tuple) else [ty])

        alter = call.op.get_attr("FTVMAlterOpLayout")
        olds = None
        if len(types) == len(inputs) and not isinstance(call.checked_type, TupleType):
            olds = _old_layouts(call, inputs, types)
        if olds is None:
            return self._plain(call, alter, arg_values)
        old_in, old_out = olds
        new_in = [v.new if v.altered else old for v, old in zip(inputs, old_in)]

        new_call = None
        if alter is not None:
            new_call = self._altered(call, alter, call.attrs, normal_args)
        altered = new_call is not None
        if new_call is None:
            new_call = Call(call.op, normal_args, call.attrs, None, call.span)
        inferred = _infer(new_call, new_in, types, old_in) if isinstance(new_call.op, Op) else None
        if inferred is None or len(inferred[0]) != len(inputs):
            # The new call's layouts are unknown: keep the alteration, on
            # inputs in their original layouts.
            if altered and not any(v.altered for v in inputs):
                return _Value(new_call)
            return self._plain(call, alter, arg_values)
        new_in2, new_out, new_attrs = inferred

        transformed, k = [], 0
        for arg in new_call.args:
            if isinstance(arg, Tuple):
                fields = []
                for field in arg.fields:
                    fields.append(self.transform(field, new_in[k], new_in2[k], types[k]))
                    k += 1
                transformed.append(Tuple(fields))
            else:
                transformed.append(self.transform(arg, new_in[k], new_in2[k], types[k]))
                k += 1
        if new_call.op is call.op and new_attrs is call.attrs and \
                all(a is b for a, b in zip(transformed, call.args)):
            result = call  # nothing changed: keep the node (and its type)
        else:
            result = Call(new_call.op, transformed, new_attrs, None, call.span)
        return _Value(result, old_out or "", new_out or "")

    @staticmethod
    def _altered(call, alter, attrs, args):
        tinfos = []
        for arg in call.args:
            ty = arg.checked_type
            if isinstance(ty, TensorType):
                tinfos.append(te.placeholder([int(d) if isinstance(d, int) else d for d in ty.shape],
                                             dtype=ty.dtype))
        result = alter(attrs, list(args), tinfos, call.checked_type)
        if result is None:
            return None
        if hasattr(result, "astuple"):
            result = result.astuple()
        if not isinstance(result, Call):
            raise TypeError(
                f"FTVMAlterOpLayout of {call.op.name} returned {type(result).__name__}; "
                "it must replace the call with another call (or return None)"
            )
        return result

    def _plain(self, call, alter, arg_values):
        """The call on inputs in their original layouts, altered if its op says so."""
        if alter is not None:
            new = self._altered(call, alter, call.attrs, [self.realize(v) for v in arg_values])
            if new is not None:
                return _Value(new)
        return self._fallback(call, arg_values)

    def _fallback(self, call, arg_values):
        args = [self.realize(v) for v in arg_values]
        if all(a is b for a, b in zip(args, call.args)):
            return _Value(call)
        return _Value(Call(call.op, args, call.attrs, call.type_args, call.span))


def alter_op_layout(func):
    """``func`` (typed) with the registered layout alterations applied."""
    rewriter = _AlterRewriter()
    body = rewriter.realize(rewriter.visit(func.body))
    if body is func.body:
        return func
    return Function(func.params, body, None, func.type_params, func.attrs)


def AlterOpLayout():  # pylint: disable=invalid-name
    """Apply the layout alterations registered with
    :func:`tvm.relay.op.register_alter_op_layout` and propagate the new
    layouts (see the module docstring for the rules and for why no x86
    alteration is built in).

    Returns
    -------
    Pass
        ``opt_level`` 3; the result is type-checked again.
    """

    def transform(mod, _ctx):
        mod = ensure_typed(mod)
        new_mod = mod.copy()
        changed = False
        for gvar, func in mod.functions_items():
            if isinstance(func, Function) and not func.is_primitive:
                new_func = alter_op_layout(func)
                if new_func is not func:
                    new_mod[gvar] = new_func
                    changed = True
        if not changed:
            return mod
        from .type_infer import InferType  # pylint: disable=import-outside-toplevel

        return InferType()(new_mod)

    return Pass(PassInfo(3, "AlterOpLayout", []), transform)


__all__ = ["AlterOpLayout", "alter_op_layout"]
