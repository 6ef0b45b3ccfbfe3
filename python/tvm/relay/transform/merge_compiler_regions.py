"""MergeCompilerRegions: join neighbouring regions of one external code generator.

After ``AnnotateTarget`` every operator is a region of its own, delimited by
``compiler_begin``/``compiler_end``. This pass merges a region into the region
that consumes its output when both have the same target, unless that would make
a region depend on itself through another target's region (a diamond with an
unsupported operator on one side: merging all supported operators would give two
regions that each need the other's output). Annotations that end up inside a
region (an end directly followed by a begin of the same region) are removed.
``PartitionGraph`` then lifts each region into a function.

:class:`AnnotatedRegionSet` is the analysis both passes use (0.8's
``relay.analysis.AnnotatedRegionSet``): it groups the nodes of a function into
regions, each with its inputs (the ``compiler_begin`` calls), outputs (the
``compiler_end`` calls), target and an id numbered in visiting order of the
begins, per function.
"""
from ..expr_functor import ExprMutator, ExprVisitor
from ..function import Function
from .annotate_target import is_begin, is_end
from .pass_infra import Pass, PassInfo

__all__ = ["MergeCompilerRegions", "AnnotatedRegion", "AnnotatedRegionSet"]


class AnnotatedRegion:
    """One region (0.8's ``AnnotatedRegion``): ``id``, ``target``, ``nodes``,
    ``args`` (its ``compiler_begin`` calls) and ``rets`` (its ``compiler_end`` calls)."""

    def __init__(self, region_id, target, func_name):
        self.id = region_id
        self.target = target
        self.func_name = func_name
        self._nodes = {}  # id(node) -> node
        self.ins = []
        self.outs = []

    def __contains__(self, expr):
        return id(expr) in self._nodes

    def add(self, expr):
        self._nodes[id(expr)] = expr

    @property
    def nodes(self):
        """The expressions of the region."""
        return list(self._nodes.values())

    @property
    def args(self):
        """The region's inputs (``compiler_begin`` calls), 0.8's name."""
        return list(self.ins)

    @property
    def rets(self):
        """The region's outputs (``compiler_end`` calls), 0.8's name."""
        return list(self.outs)

    def __repr__(self):
        return f"AnnotatedRegion({self.target}, id={self.id}, {len(self._nodes)} nodes)"


class AnnotatedRegionSet:
    """The regions of an annotated expression (see the module docstring).

    Parameters
    ----------
    expr : tvm.relay.Expr
        A function annotated with ``compiler_begin`` / ``compiler_end``.
    region_begin_op, region_end_op : tvm.ir.Op, optional
        0.8's arguments: the begin and end operators; only
        ``annotation.compiler_begin`` / ``annotation.compiler_end`` are supported.
    func_name : str
        The name given to its regions (the global function's name).
    """

    def __init__(self, expr, region_begin_op=None, region_end_op=None, func_name="default"):
        for op, name in ((region_begin_op, "annotation.compiler_begin"),
                         (region_end_op, "annotation.compiler_end")):
            if op is not None and getattr(op, "name", None) != name:
                raise ValueError(f"AnnotatedRegionSet: only {name} is supported as a region "
                                 f"annotation, got {op}")
        self.regions = []
        self._of = {}  # id(node) -> region
        self._next_id = 0
        self.func_name = func_name
        _RegionCreator(self).visit(expr)

    def get_region(self, expr):
        """The region holding ``expr``, or ``None``."""
        return self._of.get(id(expr))

    def make_region(self, target):
        region = AnnotatedRegion(self._next_id, target, self.func_name)
        self._next_id += 1
        self.regions.append(region)
        return region

    def add_node(self, region, expr):
        region.add(expr)
        self._of[id(expr)] = region

    def add_to_region(self, dest, expr):
        src = self.get_region(expr)
        if src is not None:
            self.merge_regions(src, dest)
        else:
            self.add_node(dest, expr)

    def merge_regions(self, src, dest):
        """Move ``src`` into ``dest``: the begins of ``dest`` fed by an end of
        ``src`` (and those ends) become internal."""
        if src is dest:
            return
        for node in src.nodes:
            self.add_node(dest, node)
        dest.ins.extend(src.ins)
        dest.outs.extend(src.outs)
        internal = [begin for begin in dest.ins if begin.args[0] in src]
        for begin in internal:
            end = begin.args[0]
            dest.outs = [o for o in dest.outs if o is not end]
        dest.ins = [b for b in dest.ins if not any(b is i for i in internal)]
        self.regions = [r for r in self.regions if r is not src]

    def __iter__(self):
        return iter(list(self.regions))

    def __len__(self):
        return len(self.regions)


class _RegionCreator(ExprVisitor):
    def __init__(self, region_set):
        super().__init__()
        self.rs = region_set

    def add_to_arg_region(self, expr, args):
        open_args = [a for a in args if not is_end(a)]  # an end closes its region
        region = None
        for arg in open_args:
            region = self.rs.get_region(arg)
            if region is not None:
                break
        for arg in open_args:
            arg_region = self.rs.get_region(arg)
            if (region is None) != (arg_region is None):
                raise ValueError(
                    "the region annotations are inconsistent: some operands of this node are in "
                    f"a region and others are not (missing compiler_begin?):\n{expr}")
            if region is not None and arg_region is not region:
                self.rs.merge_regions(arg_region, region)
        if region is not None:
            self.rs.add_to_region(region, expr)

    def visit_call(self, call):
        super().visit_call(call)
        if is_begin(call):
            region = self.rs.make_region(call.attrs.compiler)
            self.rs.add_node(region, call)
            region.ins.append(call)
        elif is_end(call):
            target = call.attrs.compiler
            region = self.rs.get_region(call.args[0])
            if region is None:
                raise ValueError(
                    f"cannot find the region of this compiler_end (no compiler_begin before it):\n"
                    f"{call}")
            if region.target != target:
                raise ValueError(f"compiler_end for {target!r} closes a region of "
                                 f"{region.target!r}:\n{call}")
            self.rs.add_node(region, call)
            region.outs.append(call)
        else:
            self.add_to_arg_region(call, call.args)

    def visit_tuple(self, tup):
        super().visit_tuple(tup)
        self.add_to_arg_region(tup, tup.fields)

    def visit_tuple_getitem(self, op):
        super().visit_tuple_getitem(op)
        self.add_to_arg_region(op, [op.tuple_value])

    # As 0.8, these join the region of their (already seen) operands before
    # their own operands are visited.
    def visit_let(self, let):
        self.add_to_arg_region(let, [let.var, let.value, let.body])
        super().visit_let(let)

    def visit_if(self, ite):
        self.add_to_arg_region(ite, [ite.cond, ite.true_branch, ite.false_branch])
        super().visit_if(ite)

    def visit_ref_create(self, ref):
        self.add_to_arg_region(ref, [ref.value])
        super().visit_ref_create(ref)

    def visit_ref_read(self, ref):
        self.add_to_arg_region(ref, [ref.ref])
        super().visit_ref_read(ref)

    def visit_ref_write(self, ref):
        self.add_to_arg_region(ref, [ref.ref])
        super().visit_ref_write(ref)


def _post_order_ends(expr):
    """The ``compiler_end`` calls of ``expr``, operands first."""
    ends = []

    class _Collect(ExprVisitor):
        def visit_call(self, call):
            super().visit_call(call)
            if is_end(call):
                ends.append(call)

    _Collect().visit(expr)
    return ends


def _merge_regions(regions, expr):
    merged = set()
    restrictions = {}  # region id -> ids of regions it must not merge with
    for end in _post_order_ends(expr):
        region = regions.get_region(end)
        if region.id in merged:
            continue
        parents = []
        for begin in region.ins:
            parent = regions.get_region(begin.args[0])
            if parent is not None and not any(parent is p for p in parents):
                parents.append(parent)
        own = restrictions.setdefault(region.id, set())
        for parent in parents:
            own.update(restrictions.get(parent.id, set()))
        for parent in parents:
            if parent.target != region.target:
                own.add(parent.id)
                continue
            if parent.id in own:
                continue
            regions.merge_regions(parent, region)
            for other in regions:
                rest = restrictions.setdefault(other.id, set())
                if parent.id in rest:
                    rest.discard(parent.id)
                    rest.add(region.id)
        merged.add(region.id)


class _RemoveInternal(ExprMutator):
    """Drop the end/begin pairs that now lie inside one region."""

    def __init__(self, regions):
        super().__init__()
        self.regions = regions

    def visit_call(self, call):
        post = super().visit_call(call)
        if is_begin(call) and is_end(call.args[0]):
            inside = self.regions.get_region(call)
            if inside is not None and inside is self.regions.get_region(call.args[0]):
                return post.args[0].args[0]
        return post


def merge_compiler_regions(func):
    """``func`` with the regions of its annotations merged (see the module docstring)."""
    import sys  # pylint: disable=import-outside-toplevel

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        regions = AnnotatedRegionSet(func)
        _merge_regions(regions, func)
        return _RemoveInternal(regions).visit(func)
    finally:
        sys.setrecursionlimit(limit)


def MergeCompilerRegions():  # pylint: disable=invalid-name
    """Merge the regions ``AnnotateTarget`` made for each external code generator
    (upstream ``relay.transform.MergeCompilerRegions``, ``opt_level`` 0; types
    are inferred afterwards).

    Returns
    -------
    ret : tvm.transform.Pass
    """

    def _transform(mod, _ctx):
        from .type_infer import InferType  # pylint: disable=import-outside-toplevel

        new_mod = mod.copy()
        for gvar, func in mod.functions_items():
            if isinstance(func, Function) and not func.is_primitive:
                new_mod[gvar] = merge_compiler_regions(func)
        return InferType()(new_mod)

    return Pass(PassInfo(0, "MergeCompilerRegions", []), _transform)

