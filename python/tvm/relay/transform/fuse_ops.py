"""FuseOps: group operators into fused ``"Primitive"`` functions.

The rules are upstream's (``src/relay/transforms/fuse_ops.cc``), re-implemented
here over the fork's Python IR:

1. Build the forward dataflow graph of a function body: one node per
   expression, an edge from each argument to its user carrying the user's
   ``TOpPattern`` (a broadcast edge whose argument already has the output's
   shape counts as element-wise). Scalar constants of simple dtypes are
   element-wise nodes (they are inlined into kernels); other constants,
   variables, calls of non-operators and anything under ``let``/``if`` are
   opaque. The function's parameters and result, let/if parts and callees are
   *external references*: they have no post-dominator inside the graph.
2. Compute the post-dominator tree in one sweep over the nodes in reverse
   topological order: a node's immediate post-dominator is the least common
   ancestor (in the tree built so far) of its users, and the tree edge carries
   the strongest pattern met on the way there.
3. Merge groups (union-find) in three phases, each node trying to join the
   group of its immediate post-dominator when every node on every path between
   them passes a pattern test:

   - phase 0: an out-element-wise-fusable node (conv2d, dense, ...) absorbs
     its post-dominator if the tree edge is element-wise and every node on the
     way is at most broadcast; element-wise/broadcast nodes join an injective or
     reduction post-dominator (paths may be injective; the sink may also be an
     out-element-wise-fusable group);
   - phase 1: injective nodes and tuples join their post-dominator when every
     path is injective (so conv2d groups are complete before this);
   - phase 2: injective nodes join a tuple that has itself been fused into
     injective consumers (e.g. the inputs of ``concatenate``).

   Opaque nodes never fuse. Two reduction-like anchors never meet in one group.
   A merge is refused when the resulting group would hold more than
   ``max_fuse_depth`` nodes (upstream's ``relay.FuseOps.max_depth``, 256).
4. Rewrite: each group becomes ``fn(p0, p1, ...) { body }`` with attribute
   ``Primitive=1``, called at the place of its root node; values from other
   groups (including variables and non-scalar constants) become parameters.
   Functions already marked ``Primitive`` are kept as they are.
"""
from .. import ty as _ty
from ..adt import Match
from ..expr import Call, Constant, Let, If, RefCreate, RefRead, RefWrite, Tuple, TupleGetItem, Var
from ..expr_functor import ExprMutator
from ..function import Function
from ..op.op import Op, OpPattern
from ._utils import TypedFunctionPass, children, post_order

ELEMWISE = OpPattern.ELEMWISE
BROADCAST = OpPattern.BROADCAST
INJECTIVE = OpPattern.INJECTIVE
COMM_REDUCE = OpPattern.COMM_REDUCE
OUT_ELEMWISE_FUSABLE = OpPattern.OUT_ELEMWISE_FUSABLE
TUPLE = OpPattern.TUPLE
OPAQUE = OpPattern.OPAQUE

#: Upstream's default limit on the number of nodes in one fused function.
DEFAULT_MAX_FUSE_DEPTH = 256

# Scalar constants of these dtypes are inlined into kernels (as upstream).
_SIMPLE_CONST_DTYPES = ("int32", "int64", "float32", "float64", "bool")


class _Node:
    """A node of the forward dataflow graph."""

    __slots__ = ("ref", "index", "extern_ref", "pattern", "outputs")

    def __init__(self, ref):
        self.ref = ref
        self.index = -1
        self.extern_ref = False
        self.pattern = OPAQUE
        self.outputs = []  # [(user _Node, edge pattern)]


def _is_tensor(ty):
    return isinstance(ty, _ty.TensorType)


def _op_pattern(call):
    op = call.op
    pattern = op.get_attr("TOpPattern")
    if pattern is None:
        return OPAQUE
    # A shape function that needs the data of its input cannot take the output
    # of another kernel of a dynamic-shape group (upstream's rule).
    ret = call._checked_type_
    if ret is not None and ret.is_dynamic() and op.get_attr("TShapeDataDependent"):
        return OPAQUE
    return int(pattern)


def _graph_children(expr):
    """Children of ``expr`` for the dataflow graph: those of :func:`children` plus the
    parts of references and ``match`` (which the rewrite visits too, so each of them
    needs a node; all are opaque boundaries)."""
    if isinstance(expr, RefCreate):
        return (expr.value,)
    if isinstance(expr, RefRead):
        return (expr.ref,)
    if isinstance(expr, RefWrite):
        return (expr.ref, expr.value)
    if isinstance(expr, Match):
        return (expr.data,) + tuple(clause.rhs for clause in expr.clauses)
    return children(expr)


def _graph_order(expr):
    """Post-DFS order of ``expr`` over :func:`_graph_children` (explicit stack)."""
    order, done, stack = [], set(), [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in done:
            continue
        done.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_graph_children(node))
                     if id(child) not in done)
    return order


class IndexedForwardGraph:
    """The dataflow graph of a function body in post-DFS (topological) order."""

    def __init__(self, func):
        self.nodes = {}  # id(expr) -> _Node
        self.post_dfs_order = []
        # Parameters first (unused ones too), then the body in post-DFS order.
        for expr in func.params:
            self._add(expr)
        exprs = [e for e in _graph_order(func.body) if not isinstance(e, Op)]
        for expr in exprs:
            if id(expr) not in self.nodes:
                self._add(expr)
        for param in func.params:
            self._link(param, None, OPAQUE)
        self._link(func.body, None, OPAQUE)
        for expr in exprs:
            self._connect(expr)

    def _add(self, expr):
        node = _Node(expr)
        node.index = len(self.post_dfs_order)
        self.nodes[id(expr)] = node
        self.post_dfs_order.append(node)

    def _link(self, child, parent, pattern):
        """Record that ``parent`` uses ``child`` (``parent=None``: used from outside)."""
        if isinstance(child, Op):
            return
        node = self.nodes[id(child)]
        if parent is None:
            node.extern_ref = True
        else:
            node.outputs.append((parent, pattern))

    def _connect(self, expr):
        node = self.nodes[id(expr)]
        if isinstance(expr, Constant):
            array = expr.numpy()
            if array.ndim == 0 and str(array.dtype) in _SIMPLE_CONST_DTYPES:
                node.pattern = ELEMWISE
        elif isinstance(expr, Call):
            if isinstance(expr.op, Op):
                pattern = _op_pattern(expr)
            else:
                pattern = OPAQUE
                self._link(expr.op, node, OPAQUE)
                self._link(expr.op, None, OPAQUE)
            node.pattern = pattern
            rtype = expr._checked_type_
            for arg in expr.args:
                edge = pattern
                atype = arg._checked_type_
                if (
                    edge == BROADCAST
                    and _is_tensor(rtype)
                    and _is_tensor(atype)
                    and tuple(rtype.shape) == tuple(atype.shape)
                ):
                    edge = ELEMWISE
                self._link(arg, node, edge)
        elif isinstance(expr, Tuple):
            node.pattern = TUPLE
            for field in expr.fields:
                if _is_tensor(field._checked_type_):
                    self._link(field, node, INJECTIVE)
                else:
                    self._link(field, None, OPAQUE)
        elif isinstance(expr, TupleGetItem):
            ttype = expr.tuple_value._checked_type_
            if isinstance(ttype, _ty.TupleType) and all(_is_tensor(f) for f in ttype.fields):
                node.pattern = INJECTIVE
                self._link(expr.tuple_value, node, INJECTIVE)
            else:
                # Lowering expects tensors or tuples of tensors only: do not
                # fuse through a tuple holding anything else.
                self._link(expr.tuple_value, None, OPAQUE)
        elif isinstance(expr, Let):
            for part in (expr.var, expr.value, expr.body):
                self._link(part, None, OPAQUE)
        elif isinstance(expr, If):
            for part in (expr.cond, expr.true_branch, expr.false_branch):
                self._link(part, None, OPAQUE)
        elif isinstance(expr, (RefCreate, RefRead, RefWrite, Match)):
            # References and pattern matching: their parts leave the dataflow.
            for part in _graph_children(expr):
                self._link(part, None, OPAQUE)
        elif isinstance(expr, Function) and not expr.is_primitive:
            # A nested closure: its parameters and result leave the dataflow.
            for param in expr.params:
                self._link(param, None, OPAQUE)
            self._link(expr.body, None, OPAQUE)
        # Var, GlobalVar, primitive Function: opaque leaves.


class _DomNode:
    __slots__ = ("gnode", "parent", "depth", "pattern")

    def __init__(self, gnode):
        self.gnode = gnode
        self.parent = None
        self.depth = 1
        self.pattern = OPAQUE


def post_dominator_tree(graph):
    """Immediate post-dominators of every node, as a list indexed like the graph.

    The graph is a DAG, so one sweep in reverse topological order suffices:
    the post-dominator of a node is the least common ancestor of its users.
    """
    tree = [None] * len(graph.post_dfs_order)
    for gnode in reversed(graph.post_dfs_order):
        dnode = _DomNode(gnode)
        if not gnode.extern_ref and gnode.outputs:
            pattern = ELEMWISE
            parent = None
            for i, (user, edge_pattern) in enumerate(gnode.outputs):
                unode = tree[user.index]
                if i == 0:
                    parent = unode
                else:
                    parent, pattern = _lca(parent, unode, pattern)
                pattern = max(pattern, edge_pattern)
            dnode.parent = parent
            dnode.depth = parent.depth + 1 if parent is not None else 1
            dnode.pattern = pattern
        tree[gnode.index] = dnode
    return tree


def _lca(lhs, rhs, pattern):
    while lhs is not rhs:
        if lhs is None or rhs is None:
            return None, pattern
        if lhs.depth < rhs.depth:
            pattern = max(pattern, rhs.pattern)
            rhs = rhs.parent
        elif rhs.depth < lhs.depth:
            pattern = max(pattern, lhs.pattern)
            lhs = lhs.parent
        else:
            pattern = max(pattern, lhs.pattern, rhs.pattern)
            lhs = lhs.parent
            rhs = rhs.parent
    return lhs, pattern


class Group:
    """A union-find set of graph nodes that will form one fused function."""

    __slots__ = ("parent", "pattern", "root_ref", "anchor_ref", "num_nodes")

    def __init__(self, pattern, root_ref):
        self.parent = None
        self.pattern = pattern
        self.root_ref = root_ref
        # The out-element-wise-fusable node (conv2d, dense) of the group, if any.
        self.anchor_ref = root_ref if pattern == OUT_ELEMWISE_FUSABLE else None
        self.num_nodes = 1

    def find_root(self):
        root = self
        while root.parent is not None:
            root = root.parent
        node = self
        while node is not root:  # path compression
            node.parent, node = root, node.parent
        return root


class GraphPartitioner:
    """Assign every graph node to a group by upstream's fusion rules."""

    def __init__(self, opt_level, max_fuse_depth=DEFAULT_MAX_FUSE_DEPTH):
        self.opt_level = opt_level
        self.max_fuse_depth = max_fuse_depth
        self.groups = []

    def partition(self, graph):
        self.groups = [Group(n.pattern, n.ref) for n in graph.post_dfs_order]
        if self.opt_level == 0:
            return self.groups
        tree = post_dominator_tree(graph)
        for phase in range(3):
            self._run_fuse(graph, tree, phase)
        return self.groups

    # Paths between a node and its post-dominator -----------------------------
    def _path_nodes(self, src, sink):
        """Nodes on all paths from ``src`` (excluded) to ``sink`` (included)."""
        seen = set()
        found = []
        stack = [user for user, _ in src.outputs]
        while stack:
            node = stack.pop()
            if node.index in seen:
                continue
            seen.add(node.index)
            found.append(node)
            if node is not sink:
                stack.extend(user for user, _ in node.outputs)
        return found

    def _check_path(self, src, sink, fcond):
        for node in self._path_nodes(src, sink):
            if not fcond(self.groups[node.index].find_root().pattern, node is sink):
                return False
        return True

    def _fused_size(self, src, sink):
        """Number of nodes of the group that fusing ``src`` into ``sink`` makes."""
        roots = {id(r): r for r in (self.groups[n.index].find_root() for n in self._path_nodes(src, sink))}
        src_root = self.groups[src.index].find_root()
        roots[id(src_root)] = src_root
        return sum(r.num_nodes for r in roots.values())

    def _merge(self, child, parent):
        child = child.find_root()
        parent = parent.find_root()
        if child is parent:
            return
        parent.num_nodes += child.num_nodes
        child.parent = parent
        if child.anchor_ref is not None:
            if parent.anchor_ref is not None:
                raise RuntimeError("FuseOps: cannot merge two groups with complex operators")
            parent.anchor_ref = child.anchor_ref
            parent.pattern = max(parent.pattern, child.pattern)

    def _commit_fuse(self, src, sink):
        target = self.groups[sink.index]
        self._merge(self.groups[src.index], target)
        for node in self._path_nodes(src, sink):
            if node is not sink:
                self._merge(self.groups[node.index], target)

    def _try_fuse(self, src, sink, fcond):
        if not self._check_path(src, sink, fcond):
            return
        # Refuse the fusion if too many nodes would end up in one function.
        if self._fused_size(src, sink) > self.max_fuse_depth:
            return
        self._commit_fuse(src, sink)

    # The three phases ---------------------------------------------------------
    def _run_fuse(self, graph, tree, phase):
        groups = self.groups
        for gnode in graph.post_dfs_order:
            nid = gnode.index
            dom = tree[nid]
            group = groups[nid]
            if group.pattern == OPAQUE or dom.parent is None:
                continue
            sink = dom.parent.gnode
            sink_group = groups[sink.index]

            if phase == 2:
                # Fuse injective ops into a tuple already fused with its
                # injective consumers (concatenate's inputs).
                if group.pattern > INJECTIVE:
                    continue
                sink_root = sink_group.find_root()
                if sink_root.pattern == TUPLE:
                    continue
                if sink_group.pattern == TUPLE and sink_root.pattern <= INJECTIVE:
                    self._try_fuse(gnode, sink, lambda kind, _: kind <= INJECTIVE)
                continue

            if group.find_root() is sink_group.find_root():
                continue
            if sink_group.pattern == TUPLE:
                continue  # tuples take their fields in phase 2 only
            if group.pattern == OUT_ELEMWISE_FUSABLE:
                if phase != 0:
                    continue
                if dom.pattern == ELEMWISE:
                    self._try_fuse(gnode, sink, lambda kind, _: kind <= BROADCAST)
            elif group.pattern <= BROADCAST:
                if dom.pattern <= INJECTIVE or dom.pattern == COMM_REDUCE:
                    self._try_fuse(gnode, sink, _elemwise_path_ok)
            elif group.pattern in (INJECTIVE, TUPLE):
                # Deferred to phase 1 so that conv2d groups are complete first.
                if phase != 1:
                    continue
                self._try_fuse(gnode, sink, lambda kind, _: kind <= INJECTIVE)
            # COMM_REDUCE never joins its consumers; its producers join it.


def _elemwise_path_ok(kind, is_sink):
    if not is_sink:
        # Element-wise, broadcast and injective ops on parallel branches may
        # join the element-wise producer.
        return kind <= INJECTIVE
    return kind <= INJECTIVE or kind in (COMM_REDUCE, OUT_ELEMWISE_FUSABLE)


class _GroupInfo:
    __slots__ = ("params", "arguments")

    def __init__(self):
        self.params = []
        self.arguments = []

    def param_for(self, expr, ty):
        for param, arg in zip(self.params, self.arguments):
            if arg is expr:
                return param
        param = Var(f"p{len(self.params)}", ty)
        param._checked_type_ = ty
        self.params.append(param)
        self.arguments.append(expr)
        return param


def _typed(new, old):
    new._checked_type_ = old._checked_type_
    return new


class FuseMutator(ExprMutator):
    """Rewrite a function body with each group turned into a primitive function."""

    def __init__(self, fuse_opt_level, max_fuse_depth=DEFAULT_MAX_FUSE_DEPTH):
        super().__init__()
        self.fuse_opt_level = fuse_opt_level
        self.max_fuse_depth = max_fuse_depth
        self.gmap = {}
        self.ginfo = {}

    def transform(self, func):
        """The function with its body fused (the function itself is not a group)."""
        graph = IndexedForwardGraph(func)
        groups = GraphPartitioner(self.fuse_opt_level, self.max_fuse_depth).partition(graph)
        for gnode, group in zip(graph.post_dfs_order, groups):
            self.gmap[id(gnode.ref)] = group
        body = self.visit(func.body)
        if body is func.body:
            return func
        new_func = Function(func.params, body, func.ret_type, func.type_params, func.attrs)
        new_func._checked_type_ = func._checked_type_
        return new_func

    def _group(self, expr):
        return self.gmap[id(expr)].find_root()

    def visit_function(self, fn):
        if fn.is_primitive:
            return fn
        return super().visit_function(fn)

    def visit_call(self, call):
        if not isinstance(call.op, Op):
            return super().visit_call(call)
        if call.op.get_attr("TNonComputational"):
            return super().visit_call(call)
        if call.op.name == "annotation.stop_fusion":
            return self.visit(call.args[0])
        group = self._group(call)
        new_args = self._new_arguments(call.args, group)
        new_call = _typed(Call(call.op, new_args, call.attrs, call.type_args, call.span), call)
        if group.root_ref is call:
            return self._make_function(group, call._checked_type_, new_call)
        return new_call

    def visit_tuple(self, tup):
        group = self._group(tup)
        if group.root_ref is tup:
            return super().visit_tuple(tup)
        return _typed(Tuple(self._new_arguments(tup.fields, group), tup.span), tup)

    def visit_tuple_getitem(self, op):
        group = self._group(op)
        if group.root_ref is op and self._group(op.tuple_value) is not group:
            # Isolated: the tuple comes from an opaque op or another group.
            return super().visit_tuple_getitem(op)
        new_tuple = self._new_arguments([op.tuple_value], group)[0]
        new_node = _typed(TupleGetItem(new_tuple, op.index), op)
        if group.root_ref is op:
            return self._make_function(group, op._checked_type_, new_node)
        return new_node

    def _new_arguments(self, args, group):
        info = self.ginfo.setdefault(id(group), (group, _GroupInfo()))[1]
        new_args = []
        for arg in args:
            new_arg = self.visit(arg)
            if self._group(arg) is not group:
                new_arg = info.param_for(new_arg, arg._checked_type_)
            new_args.append(new_arg)
        return new_args

    def _make_function(self, group, ret_type, body):
        info = self.ginfo.setdefault(id(group), (group, _GroupInfo()))[1]
        has_call = any(isinstance(node, Call) for node in post_order(body))
        func = Function(info.params, body, ret_type, attrs={"Primitive": int(has_call)})
        if ret_type is not None and all(p.type_annotation is not None for p in info.params):
            func._checked_type_ = _ty.FuncType([p.type_annotation for p in info.params], ret_type)
        call = Call(func, info.arguments)
        call._checked_type_ = ret_type
        return call


def fuse_ops(func, fuse_opt_level=1, max_fuse_depth=DEFAULT_MAX_FUSE_DEPTH):
    """Fuse the operators of one typed Relay function (the pass body of :func:`FuseOps`).

    Parameters
    ----------
    func : Function
        A function whose nodes carry inferred types.
    fuse_opt_level : int
        0 puts every operator in a function of its own; above 0 fuses.
    max_fuse_depth : int
        The largest number of nodes in one fused function.
    """
    if func.is_primitive:
        return func
    return FuseMutator(fuse_opt_level, max_fuse_depth).transform(func)


def _check_depth(depth):
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise ValueError(f"FuseOps: max_fuse_depth (relay.FuseOps.max_depth) must be a positive int, got {depth!r}")
    return depth


def FuseOps(fuse_opt_level=-1, max_fuse_depth=None):  # pylint: disable=invalid-name
    """Fuse operators into primitive functions (upstream ``relay.transform.FuseOps``).

    Parameters
    ----------
    fuse_opt_level : int
        The fusion level; ``-1`` (default) takes the ``opt_level`` of the current
        ``PassContext``. Level 0 makes one function per operator.
    max_fuse_depth : int, optional
        The largest number of nodes in one fused function. Default: the
        ``PassContext`` option ``relay.FuseOps.max_depth`` as upstream (accepted
        by the fork's ``PassContext``, see ``tvmfork.compat.pass_context_option``),
        else 256.

    Returns
    -------
    Pass
        A pass of ``opt_level`` 0 named ``"FuseOps"``.
    """
    _check_depth(max_fuse_depth)
    if not isinstance(fuse_opt_level, int):
        raise TypeError(f"FuseOps: fuse_opt_level must be an int, got {fuse_opt_level!r}")

    def transform_function(func, _mod, ctx):
        level = ctx.opt_level if fuse_opt_level == -1 else fuse_opt_level
        depth = max_fuse_depth
        if depth is None:
            from tvmfork.compat import pass_context_option  # pylint: disable=import-outside-toplevel

            depth = _check_depth(pass_context_option("relay.FuseOps.max_depth", DEFAULT_MAX_FUSE_DEPTH))
        return fuse_ops(func, level, depth)

    return TypedFunctionPass(0, "FuseOps", transform_function)


__all__ = ["FuseOps", "fuse_ops", "IndexedForwardGraph", "GraphPartitioner", "post_dominator_tree"]
