"""Rewriting and partitioning expressions by pattern (TVM 0.8 semantics).

Both start by *grouping*: the nodes of the expression are visited from the
root down (users before their inputs, so the largest match of an alternative
wins) and each node that matches the pattern and is not already part of a
group becomes the root of a new group. A group is refused when

* one of its inner nodes (not an input, operator, constant or function) is
  already in another group (matches do not overlap), or
* one of its inner nodes is used outside the group by a node that the group's
  root does not post-dominate (fusing it would leave a dangling use).

Nodes inside a function made by an earlier ``partition`` (one with a
``"PartitionedFromPattern"`` attribute) are never grouped again.

``rewrite`` then rebuilds the expression bottom-up and calls the callback at
each group root with ``pre`` (the original node), ``post`` (the node with its
inputs rewritten) and ``node_map`` (each sub-pattern to the rewritten nodes it
matched); it repeats with every callback in turn until the expression stops
changing (at most 100 callback runs), or once when the last callback has
``rewrite_once``.

``partition`` replaces each group root whose ``check(pre)`` holds by a call of
a new function holding the group: its parameters are the group's inputs
(``FunctionVar_<group>_<n>``, in the order the pattern lists its leaves), its
``"PartitionedFromPattern"`` attribute names the nodes inside in post order
(``"nn.conv2d_nn.bias_add_nn.relu_"``), plus the caller's ``attrs``.
Constants matched by ``is_constant()`` or by ``is_expr(constant)`` stay inside
the function; constants matched by other patterns become arguments.
"""
import logging

from ..attrs import DictAttrs
from ..expr import Call, Constant, RelayExpr, Var
from ..expr_functor import ExprMutator
from ..function import Function
from .indexed_graph import IndexedGraph, expr_inputs, pattern_graph
from .matcher import DFPatternMatcher, _check_match_args, _is_op_node
from .pattern import (
    AltPattern,
    CallPattern,
    ConstantPattern,
    DFPattern,
    DominatorPattern,
    ExprPattern,
    FunctionPattern,
    TuplePattern,
)

__all__ = ["DFPatternCallback", "rewrite", "partition", "PatternGrouper"]

logger = logging.getLogger("relay")

PARTITIONED_FROM_PATTERN = "PartitionedFromPattern"
_MAX_REWRITE_RUNS = 100


class _Mutator(ExprMutator):
    """An ``ExprMutator`` that also rebuilds references and ``match`` nodes,
    which the shared mutator may not know."""

    def _dispatch(self, expr):
        kind = type(expr).__name__
        if kind in ("RefCreate", "RefRead", "RefWrite", "Match"):
            return self._rebuild_other(expr, kind)
        return super()._dispatch(expr)

    def _rebuild_other(self, expr, kind):
        cls = type(expr)
        if kind == "RefCreate":
            value = self.visit(expr.value)
            return expr if value is expr.value else cls(value)
        if kind == "RefRead":
            ref = self.visit(expr.ref)
            return expr if ref is expr.ref else cls(ref)
        if kind == "RefWrite":
            ref, value = self.visit(expr.ref), self.visit(expr.value)
            return expr if ref is expr.ref and value is expr.value else cls(ref, value)
        data = self.visit(expr.data)
        rhs = [self.visit(clause.rhs) for clause in expr.clauses]
        if data is expr.data and all(a is b.rhs for a, b in zip(rhs, expr.clauses)):
            return expr
        clause_cls = type(expr.clauses[0]) if expr.clauses else None
        clauses = [clause_cls(c.lhs, r) for c, r in zip(expr.clauses, rhs)]
        return cls(data, clauses, getattr(expr, "complete", True))


class _MatchExtractor(_Mutator):
    """Copies a matched region with its inputs replaced by the new parameters,
    and names it after the nodes it holds (in post order)."""

    def __init__(self, inputs):
        super().__init__()
        self.inputs = inputs
        self.name = ""

    def visit(self, expr):
        found = self.inputs.get(id(expr))
        if found is not None:
            return found
        return super().visit(expr)

    def visit_tuple(self, tup):
        out = super().visit_tuple(tup)
        self.name += "Tuple_"
        return out

    def visit_function(self, fn):
        out = super().visit_function(fn)
        self.name += "Function"
        return out

    def visit_call(self, call):
        out = super().visit_call(call)
        self.name += (call.op.name if _is_op_node(call.op) else "Call") + "_"
        return out

    def visit_let(self, let):
        out = super().visit_let(let)
        self.name += "Let_"
        return out

    def visit_if(self, ite):
        out = super().visit_if(ite)
        self.name += "If_"
        return out

    def visit_tuple_getitem(self, op):
        out = super().visit_tuple_getitem(op)
        self.name += f"TupleGetItem{op.index}_"
        return out

    def _rebuild_other(self, expr, kind):
        out = super()._rebuild_other(expr, kind)
        if kind == "Match":
            self.name += "Match_"
        return out


class _Group:
    """One match: its root, the matched nodes per pattern, the extracted
    function, its name and the inputs (arguments of the call that replaces it)."""

    __slots__ = ("root_node", "gid", "matched_nodes", "name", "function", "args")

    def __init__(self, root_node, matched_nodes):
        self.root_node = root_node
        self.gid = -1
        self.matched_nodes = matched_nodes
        self.name = ""
        self.function = None
        self.args = []


class PatternGrouper:
    """Finds the non-overlapping matches of a pattern in an expression (see the
    module docstring)."""

    def __init__(self):
        self.groups = {}
        self.gid_assignments = {}  # id(expr) -> gid
        self._gid = 0
        self._graph_number = 0
        self._pattern = None
        self._pattern_graph = None
        self._matcher = None

    def group_matches(self, pattern, pre):
        """``{gid: group}`` of the matches of ``pattern`` in ``pre``."""
        self.groups = {}
        self.gid_assignments = {}
        self._pattern = pattern
        self._pattern_graph = pattern_graph(pattern)
        self._matcher = DFPatternMatcher(pre)
        self._visit_exprs()
        return self.groups

    def group_of(self, expr):
        """The group whose root is ``expr``, else ``None``."""
        gid = self.gid_assignments.get(id(expr))
        if gid is None:
            return None
        group = self.groups[gid]
        return group if group.root_node is expr else None

    def _visit_exprs(self):
        pre_partitioned = set()
        for node in reversed(self._matcher.expr_graph.topological_order):
            current = node.ref
            if id(current) in self.gid_assignments:
                continue
            if isinstance(current, Function) and PARTITIONED_FROM_PATTERN in current.attrs:
                pre_partitioned.add(id(current))
                for inner in IndexedGraph(current.body, expr_inputs).topological_order:
                    pre_partitioned.add(id(inner.ref))
            if id(current) not in pre_partitioned and self._matcher.match(self._pattern, current):
                self._create_group(current)

    def _create_group(self, expr):
        var_number = 0
        node_map = self._matcher.get_memo()

        fuzzy = set()
        for pnode in self._pattern_graph.topological_order:
            pat = pnode.ref
            if isinstance(pat, DominatorPattern):
                for fuzzy_pattern in (pat.parent, pat.path):
                    for matched in node_map.get(fuzzy_pattern, ()):
                        fuzzy.add(id(matched))
            if isinstance(pat, FunctionPattern):
                for matched in node_map.get(pat, ()):
                    for inner in IndexedGraph(matched.body, expr_inputs).topological_order:
                        fuzzy.add(id(inner.ref))

        group = _Group(expr, node_map)
        inputs = {}  # id(expr) -> new parameter
        params = []

        def make_input(value, pat):
            nonlocal var_number
            if (
                id(value) in fuzzy
                or _is_op_node(value)
                or isinstance(value, Function)
                or self._embed_const(value, pat)
            ):
                return
            param = Var(f"FunctionVar_{self._graph_number}_{var_number}")
            inputs[id(value)] = param
            group.args.append(value)
            params.append(param)
            var_number += 1

        for pnode in self._pattern_graph.topological_order:
            pat = pnode.ref
            matches = node_map.get(pat)
            if isinstance(pat, TuplePattern) and pat.fields is None:
                for matched in matches or ():
                    for field in matched.fields:
                        make_input(field, pat)
            elif isinstance(pat, CallPattern) and pat.args is None:
                for matched in matches or ():
                    for arg in matched.args:
                        make_input(arg, pat)
            elif not pnode.inputs:
                for matched in matches or ():
                    make_input(matched, pat)

        self._graph_number += 1

        extractor = _MatchExtractor(inputs)
        body = extractor.visit(expr)
        group.function = Function(params, body)
        group.name = extractor.name

        graph = self._matcher.expr_graph
        root_node = graph.node(expr)
        memo = extractor.memo_map
        for key, (pre, post) in memo.items():
            if key in inputs or _is_op_node(pre) or isinstance(pre, Function | Constant):
                continue
            if key in self.gid_assignments:
                return  # overlaps an earlier group
            if post is not body:
                for user in graph.node(pre).outputs:
                    if id(user.ref) not in memo and not root_node.dominates(user):
                        return  # an inner node is used outside the match
        self._gid += 1
        group.gid = self._gid
        for key in memo:
            self.gid_assignments[key] = self._gid
        self.groups[self._gid] = group

    def _embed_const(self, expr, pattern):
        if not isinstance(expr, Constant):
            return False
        if isinstance(pattern, ConstantPattern):
            return True
        if isinstance(pattern, ExprPattern):
            return isinstance(pattern.expr, Constant)
        if isinstance(pattern, AltPattern):
            if self._matcher.match(pattern.left, expr):
                return self._embed_const(expr, pattern.left)
            return self._embed_const(expr, pattern.right)
        return False


class _GroupMutator(_Mutator):
    """Rebuilds an expression bottom-up and replaces each group root."""

    def __init__(self, grouper, replace):
        super().__init__()
        self.grouper = grouper
        self.replace = replace

    def _dispatch(self, expr):
        post = super()._dispatch(expr)
        group = self.grouper.group_of(expr)
        if group is not None:
            post = self.replace(self, group, expr, post)
        return post

    def post_of(self, expr):
        """The rewritten form of a node already visited."""
        found = self.memo_map.get(id(expr))
        return expr if found is None else found[1]


class DFPatternCallback:
    """A rewrite rule: a pattern (``self.pattern``) and what replaces its matches.

    Subclass it, set ``self.pattern`` in ``__init__`` and implement
    :meth:`callback`.

    Parameters
    ----------
    require_type : bool
        Run type inference on the expression before each matching (the
        callback may then read ``pre.checked_type``).
    rewrite_once : bool
        Run the callbacks once instead of until the expression stops changing.
    """

    def __init__(self, require_type=False, rewrite_once=False):
        self.pattern = None
        self.require_type = require_type
        self.rewrite_once = rewrite_once

    def rewrite(self, expr):
        """``rewrite(self, expr)``."""
        return rewrite(self, expr)

    def callback(self, pre, post, node_map):
        """Return the expression replacing a match.

        Parameters
        ----------
        pre : tvm.relay.Expr
            The matched expression in the original graph.
        post : tvm.relay.Expr
            The same expression with its inputs already rewritten.
        node_map : dict
            ``{pattern: [expr, ...]}``: the rewritten nodes each sub-pattern matched.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement callback(pre, post, node_map)")


def _callback_list(callbacks):
    if isinstance(callbacks, DFPatternCallback):
        callbacks = [callbacks]
    try:
        callbacks = list(callbacks)
    except TypeError:
        raise TypeError(
            f"rewrite needs a DFPatternCallback or a list of them, got {callbacks!r}"
        ) from None
    if not callbacks:
        raise ValueError("rewrite needs at least one DFPatternCallback")
    for callback in callbacks:
        if not isinstance(callback, DFPatternCallback):
            raise TypeError(f"rewrite needs DFPatternCallback objects, got {callback!r}")
        if callback.pattern is None:
            raise ValueError(
                f"{type(callback).__name__} has no pattern: set self.pattern in its __init__"
            )
        if not isinstance(callback.pattern, DFPattern):
            raise TypeError(
                f"{type(callback).__name__}.pattern must be a DFPattern, got {callback.pattern!r}"
            )
    return callbacks


def _infer_types(expr, mod):
    from ..transform.type_infer import infer_type  # pylint: disable=import-outside-toplevel

    infer_type(expr, mod)
    return expr


def rewrite(callbacks, expr, mod=None):
    """Rewrite ``expr`` with one callback or a list of callbacks.

    Parameters
    ----------
    callbacks : DFPatternCallback or list of DFPatternCallback
    expr : tvm.relay.Expr
    mod : tvm.IRModule, optional
        The module whose globals the expression may call (for type inference
        when a callback has ``require_type``).

    Returns
    -------
    result : tvm.relay.Expr
    """
    from ..structural import structural_equal  # pylint: disable=import-outside-toplevel

    callbacks = _callback_list(callbacks)
    if not isinstance(expr, RelayExpr):
        raise TypeError(f"rewrite: the expression must be a relay expression, got {expr!r}")
    post = expr
    runs = 0
    while True:
        last = post
        for callback in callbacks:
            if callback.require_type:
                post = _infer_types(post, mod)
            grouper = PatternGrouper()
            grouper.group_matches(callback.pattern, post)
            if not grouper.groups:
                runs += 1
                continue
            post = _GroupMutator(grouper, _run_callback(callback)).visit(post)
            runs += 1
        if callbacks[-1].rewrite_once or structural_equal(last, post, map_free_vars=True):
            return post
        if runs >= _MAX_REWRITE_RUNS:
            raise RuntimeError(
                f"rewrite: the expression still changes after {runs} callback runs; "
                "do the callbacks undo each other?"
            )


def _run_callback(callback):
    """The replacement function of a rewrite: the user's callback, with the
    matched nodes mapped to their rewritten forms."""

    def replace(mutator, group, pre, post):
        node_map = {
            pattern: [mutator.post_of(e) for e in exprs]
            for pattern, exprs in group.matched_nodes.items()
        }
        result = callback.callback(pre, post, node_map)
        if not isinstance(result, RelayExpr):
            raise TypeError(
                f"{type(callback).__name__}.callback returned {type(result).__name__}, "
                "not a relay expression"
            )
        return result

    return replace


def partition(pattern, expr, attrs=None, check=lambda x: True):
    """Wrap each match of ``pattern`` in ``expr`` into a call of a new function.

    Parameters
    ----------
    pattern : DFPattern
    expr : tvm.relay.Expr
    attrs : dict, optional
        Attributes added to each new function (``{"Composite": "conv_bias"}``).
    check : callable, optional
        ``check(pre) -> bool`` on the root of each match: partition only when true.

    Returns
    -------
    result : tvm.relay.Expr
    """
    _check_match_args(pattern, expr, "partition")
    if check is None:
        check = lambda x: True  # noqa: E731
    if not callable(check):
        raise TypeError(f"partition: check must be callable, got {check!r}")
    if attrs is not None and not isinstance(attrs, dict | DictAttrs):
        raise TypeError(f"partition: attrs must be a dict, got {attrs!r}")
    extra = dict(attrs.items()) if attrs is not None else {}
    if isinstance(pattern, FunctionPattern):
        logger.warning("partitioning a function that is not called makes no sense, skipping: %s", pattern)
        return expr
    grouper = PatternGrouper()
    grouper.group_matches(pattern, expr)
    if not grouper.groups:
        return expr

    def replace(mutator, group, pre, post):
        if not check(pre):
            return post
        args = [mutator.post_of(arg) for arg in group.args]
        fields = {PARTITIONED_FROM_PATTERN: group.name}
        fields.update(extra)
        func = group.function.with_attr(fields)
        return Call(func, args)

    return _GroupMutator(grouper, replace).visit(expr)

