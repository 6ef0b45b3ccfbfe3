"""AnnotateTarget: mark which external code generator (BYOC) runs each operator.

Every operator call is given one target: the first of ``targets`` whose
predicate, registered as the op attribute ``"target.<name>"``
(``tvm.ir.register_op_attr("nn.relu", "target.dnnl")``), accepts the call, or
``"default"`` (TVM itself). A call of a composite function (``MergeComposite``)
goes to the target named by its ``Composite`` attribute's prefix
(``"dnnl.conv2d_relu"`` -> ``dnnl``) when that target is listed. Each edge into
an annotated node gets ``compiler_begin(arg, target)`` and each annotated value
leaving a node gets ``compiler_end(value, its target)``; every use of a value
gets its own annotation, since a region boundary is an edge, not a node.
``MergeCompilerRegions`` then joins neighbouring regions of one target and
``PartitionGraph`` lifts them into functions.

Like 0.8, the pass may run again on its own output with other targets: calls
already given a non-default target keep it, ``"default"`` annotations are
replaced. With ``include_non_call_ops=False`` tuples, projections, ``if`` and
references are left outside every region (only their operands are ended).
"""
from ..expr import Call, If, Let, RefCreate, RefRead, RefWrite, Tuple, TupleGetItem, Var
from ..expr_functor import ExprMutator
from ..function import Function
from ..op import op as _op
from ..op.annotation import compiler_begin, compiler_end
from .pass_infra import Pass, PassInfo

__all__ = ["AnnotateTarget"]

DEFAULT = "default"


def _is_call_of(expr, name):
    return isinstance(expr, Call) and isinstance(expr.op, _op.Op) and expr.op.name == name


def is_begin(expr):
    """True for a ``compiler_begin`` call."""
    return _is_call_of(expr, "annotation.compiler_begin")


def is_end(expr):
    """True for a ``compiler_end`` call."""
    return _is_call_of(expr, "annotation.compiler_end")


def _typed(new, like):
    if like is not None and getattr(like, "_checked_type_", None) is not None:
        new._checked_type_ = like._checked_type_
    return new


class _TargetAnnotator(ExprMutator):
    """Post-order rewriter (each node sees its rewritten children) that keeps
    the target chosen for each produced node."""

    def __init__(self, targets):
        super().__init__()
        self.targets = list(targets)
        self._target = {}  # id(node) -> (node, target); the node is kept alive

    # -- the target map ---------------------------------------------------------
    def _has(self, expr):
        return id(expr) in self._target

    def _get(self, expr):
        found = self._target.get(id(expr))
        return "" if found is None else found[1]

    def _set(self, expr, target):
        self._target[id(expr)] = (expr, target)

    # -- helpers -------------------------------------------------------------------
    def annotate_args(self, args, target=""):
        """``(target, new_args)``: each argument ended with its own target and
        begun with ``target`` (or, without one, with the common target of the
        arguments, ``"default"`` when they differ). Arguments that already carry
        a non-default ``compiler_begin`` are kept as they are (first)."""
        ref_target = ""
        begins, ends = [], []
        for arg in args:
            arg_target = DEFAULT
            if is_begin(arg):
                if arg.attrs.compiler != DEFAULT:
                    begins.append(arg)
                else:
                    ends.append(arg.args[0])
                if is_end(arg.args[0]):
                    arg_target = arg.args[0].attrs.compiler
            elif self._has(arg):
                arg_target = self._get(arg)
                # an operator call without arguments (zeros, ones) is an input
                if isinstance(arg, Call) and not arg.args:
                    ends.append(arg)
                else:
                    ends.append(_typed(compiler_end(arg, arg_target), arg))
            else:
                ends.append(arg)
            if ref_target == "":
                ref_target = arg_target
            elif ref_target != arg_target:
                ref_target = DEFAULT
        op_target = target or ref_target
        if ref_target == "":
            return op_target, list(args)
        for end in ends:
            begins.append(_typed(compiler_begin(end, op_target), end))
        return op_target, begins

    def end_and_propagate(self, expr):
        """``expr`` ended with its target when it is an annotated value (a
        ``"default"`` end is re-targeted); inputs are returned unchanged."""
        if self._has(expr):
            has_operands = (
                isinstance(expr, RefWrite | RefCreate | RefRead | TupleGetItem)
                or (isinstance(expr, Call) and len(expr.args) > 0)
                or (isinstance(expr, Tuple) and len(expr.fields) > 0)
            )
            if has_operands:
                target = self._get(expr)
                new = _typed(compiler_end(expr, target), expr)
                self._set(new, target)
                return new
            return expr
        if is_end(expr) and expr.attrs.compiler == DEFAULT:
            inner = expr.args[0]
            target = self._get(inner)
            new = _typed(compiler_end(inner, target), inner)
            self._set(new, target)
            return new
        return expr

    def supported_targets(self, call):
        """The listed targets that accept ``call``, in priority order, then ``"default"``."""
        found = []
        if isinstance(call.op, _op.Op):
            for target in self.targets:
                predicate = call.op.get_attr("target." + target)
                if predicate is not None and predicate(call):
                    found.append(target)
        elif isinstance(call.op, Function):
            name = call.op.get_attr("Composite")
            if name is not None and "." in str(name):
                prefix = str(name).split(".", 1)[0]
                if prefix in self.targets:
                    found.append(prefix)
        found.append(DEFAULT)
        return found

    def rewrite_var_call(self, post):  # pylint: disable=unused-argument
        """A call of a local function variable; ``None``: treat like any call."""
        return None

    # -- rewriting -----------------------------------------------------------------
    def visit_call(self, call):
        post = super().visit_call(call)
        if is_begin(call):
            return post
        if is_end(call):
            inner = post.args[0]
            if not self._has(inner):
                self._set(inner, post.attrs.compiler)
            return post
        if call.args and is_begin(call.args[0]) and call.args[0].attrs.compiler != DEFAULT:
            return post  # annotated by an earlier run with another target
        target = self.supported_targets(call)[0]
        if isinstance(call.op, Var):
            new = self.rewrite_var_call(post)
            if new is not None:
                return new
        _, args = self.annotate_args(post.args, target)
        new = _typed(Call(post.op, args, post.attrs), call)
        self._set(new, target)
        return new

    def visit_tuple(self, tup):
        post = super().visit_tuple(tup)
        target, fields = self.annotate_args(post.fields)
        new = _typed(Tuple(fields), tup)
        self._set(new, target)
        return new

    def visit_tuple_getitem(self, op):
        post = super().visit_tuple_getitem(op)
        target, args = self.annotate_args([post.tuple_value])
        new = _typed(TupleGetItem(args[0], post.index), op)
        self._set(new, target)
        return new

    def visit_function(self, fn):
        if fn.get_attr("Composite") is not None:
            return fn  # a composite function is one external operator: not entered
        post = super().visit_function(fn)
        return Function(post.params, self.end_and_propagate(post.body), post.ret_type,
                        post.type_params, post.attrs)

    def visit_let(self, let):
        post = super().visit_let(let)
        body = self.end_and_propagate(post.body)
        if isinstance(post.value, Function):
            return Let(post.var, post.value, body)
        _, value = self.annotate_args([post.value])
        return Let(post.var, value[0], body)

    def visit_if(self, ite):
        post = super().visit_if(ite)
        return If(self.end_and_propagate(post.cond), self.end_and_propagate(post.true_branch),
                  self.end_and_propagate(post.false_branch))

    def visit_ref_create(self, ref):
        post = super().visit_ref_create(ref)
        target, args = self.annotate_args([post.value])
        new = RefCreate(args[0])
        self._set(new, target)
        return new

    def visit_ref_read(self, ref):
        post = super().visit_ref_read(ref)
        target, args = self.annotate_args([post.ref])
        new = RefRead(args[0])
        self._set(new, target)
        return new

    def visit_ref_write(self, ref):
        post = super().visit_ref_write(ref)
        target, args = self.annotate_args([post.ref, post.value])
        new = RefWrite(args[0], args[1])
        self._set(new, target)
        return new


class _CallOpsAnnotator(_TargetAnnotator):
    """``include_non_call_ops=False``: tuples, projections, ``if``, references
    and calls of local functions stay outside every region."""

    def rewrite_var_call(self, post):
        return _typed(Call(post.op, [self.end_and_propagate(a) for a in post.args], post.attrs),
                      post)

    def visit_tuple(self, tup):
        post = ExprMutator.visit_tuple(self, tup)
        return Tuple([self.end_and_propagate(f) for f in post.fields])

    def visit_tuple_getitem(self, op):
        post = ExprMutator.visit_tuple_getitem(self, op)
        return TupleGetItem(self.end_and_propagate(post.tuple_value), post.index)

    def visit_ref_create(self, ref):
        post = ExprMutator.visit_ref_create(self, ref)
        return RefCreate(self.end_and_propagate(post.value))

    def visit_ref_read(self, ref):
        post = ExprMutator.visit_ref_read(self, ref)
        return RefRead(self.end_and_propagate(post.ref))

    def visit_ref_write(self, ref):
        post = ExprMutator.visit_ref_write(self, ref)
        return RefWrite(self.end_and_propagate(post.ref), self.end_and_propagate(post.value))


def annotate_target(func, targets, include_non_call_ops=True):
    """``func`` (type-checked) with ``compiler_begin``/``compiler_end`` around
    the operators each of ``targets`` supports."""
    import sys  # pylint: disable=import-outside-toplevel

    cls = _TargetAnnotator if include_non_call_ops else _CallOpsAnnotator
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))  # the mutator recurses along the graph
    try:
        return cls(targets).visit(func)
    finally:
        sys.setrecursionlimit(limit)


def AnnotateTarget(targets, include_non_call_ops=True):  # pylint: disable=invalid-name
    """Annotate the operators of every Relay function with the external code
    generator that will run them (upstream ``relay.transform.AnnotateTarget``,
    ``opt_level`` 0; types are inferred before and after).

    Parameters
    ----------
    targets : str or list of str
        External code generators, in priority order. An operator is offered to
        a target through the op attribute ``"target.<name>"``: a predicate
        ``f(call) -> bool`` registered with ``tvm.ir.register_op_attr``.
    include_non_call_ops : bool
        Whether tuples, tuple projections, ``if`` and references may be part of
        a region (``True``, the default) or always stay with TVM.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    if isinstance(targets, str):
        targets = [targets]
    targets = [str(t) for t in targets]
    include = bool(include_non_call_ops)

    def _transform(mod, _ctx):
        from ._utils import ensure_typed  # pylint: disable=import-outside-toplevel
        from .type_infer import InferType  # pylint: disable=import-outside-toplevel

        mod = ensure_typed(mod)
        new_mod = mod.copy()
        for gvar, func in mod.functions_items():
            if isinstance(func, Function) and not func.is_primitive:
                new_mod[gvar] = annotate_target(func, targets, include)
        return InferType()(new_mod)

    return Pass(PassInfo(0, "AnnotateTarget", []), _transform)
