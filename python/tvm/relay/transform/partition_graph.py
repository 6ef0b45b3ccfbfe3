"""PartitionGraph: lift each annotated region into a function for its code generator.

Input: functions annotated with ``compiler_begin``/``compiler_end`` (by hand, by
``AnnotateTarget`` and usually merged by ``MergeCompilerRegions``). Steps, as 0.8:

1. a ``compiler_end`` of a tuple becomes a tuple of ``compiler_end`` s (a region
   with several outputs would otherwise return a tuple of tuples);
2. ``"default"`` annotations (TVM's own regions) are removed;
3. each remaining region becomes a global function with the attributes
   ``Compiler`` (the target), ``global_symbol`` (its name), ``Primitive`` = 1
   and ``Inline`` = 1, called where the region was. Its parameters are the
   distinct values entering the region (in the order the partitioner meets
   them); constants entering it are bound into its body. A region with several
   outputs returns a tuple and each use reads its field. If a global function
   ``relay.ext.<target>.optimize`` is registered, it receives the function in
   a module (``main``) and returns the optimised module;
4. the name is ``tvmgen_<mod_name>_<target>_<function>_<region id>``, every
   character that is not a letter or digit replaced by ``_`` (0.8 named the
   region first and renamed it afterwards; the result is the same).

The ``Primitive`` attribute keeps the Relay passes (fusion, layout changes,
``SimplifyInference``) out of the lifted functions; ``relay.build`` hands them
to the external code generator named by ``Compiler``.
"""
import re
import sys

from ..expr import Call, Constant, GlobalVar, Tuple, TupleGetItem, Var
from ..expr_functor import ExprMutator, bind
from ..backend.utils import mangle_module_name
from ..function import Function
from ..op.annotation import compiler_end
from .annotate_target import is_begin, is_end
from .merge_compiler_regions import AnnotatedRegionSet
from .pass_infra import Pass, PassInfo

__all__ = ["PartitionGraph", "sanitize_name"]


def sanitize_name(name):
    """``name`` with every character that is not an ASCII letter or digit made ``_``."""
    if not name:
        raise ValueError("cannot sanitise an empty name")
    return re.sub(r"[^0-9A-Za-z]", "_", name)


def _is_annotation(call):
    return is_begin(call) or is_end(call)


class _PostRewriter(ExprMutator):
    """Rewrite each annotation call after its operand (``rule(pre, post)``)."""

    def __init__(self, rule):
        super().__init__()
        self.rule = rule

    def visit_call(self, call):
        post = super().visit_call(call)
        if _is_annotation(call):
            return self.rule(call, post)
        return post


def _flatten_tuple_outputs(func):
    def rule(call, post):
        if is_end(call) and isinstance(post.args[0], Tuple):
            target = call.attrs.compiler
            return Tuple([compiler_end(f, target) for f in post.args[0].fields])
        return post

    return _PostRewriter(rule).visit(func)


def _remove_default_annotations(func):
    def rule(call, post):
        return post.args[0] if call.attrs.compiler == "default" else post

    return _PostRewriter(rule).visit(func)


def _is_constant(expr):
    if isinstance(expr, Constant):
        return True
    return isinstance(expr, Tuple) and all(isinstance(f, Constant) for f in expr.fields)


class _RegionMeta:
    """What the partitioner knows of one region's function."""

    def __init__(self):
        self.call = None
        self.args = []  # (param var, argument expression)
        self.inputs = {}  # id(value entering the region) -> (value, param var)
        self.outputs = {}  # id(value leaving the region) -> (value, output expression)


class _Partitioner(ExprMutator):
    def __init__(self, owner, regions):
        super().__init__()
        self.owner = owner
        self.regions = regions
        self.meta = {}

    def _meta(self, region):
        found = self.meta.get(id(region))
        if found is None:
            found = self.meta[id(region)] = (region, _RegionMeta())
        return found[1]

    def visit_call(self, call):
        post = super().visit_call(call)
        if not _is_annotation(call):
            return post
        region = self.regions.get_region(call)
        if region is None:
            raise ValueError(f"PartitionGraph: annotation outside any region:\n{call}")
        meta = self._meta(region)
        if is_begin(call):
            parent = call.args[0]
            while isinstance(parent, Call) and _is_annotation(parent):
                parent = parent.args[0]
            found = meta.inputs.get(id(parent))
            if found is not None:
                return found[1]
            index = next(i for i, b in enumerate(region.ins) if b is call)
            var = Var(f"{call.attrs.compiler}_{region.id}_i{index}", call.checked_type)
            meta.args.append((var, post.args[0]))
            meta.inputs[id(parent)] = (parent, var)
            return var
        if meta.call is None:
            self._create_function(region, meta, call)
        return meta.outputs[id(call.args[0])][1]

    def _create_function(self, region, meta, end):
        fields, order = [], []
        for out in region.outs:
            value = out.args[0]
            if not any(value is v for v in order):
                fields.append(self.visit(value))
                order.append(value)
        call = self._region_call(region, meta, fields, end)
        if len(order) == 1:
            meta.outputs[id(order[0])] = (order[0], call)
        else:
            for index, value in enumerate(order):
                item = TupleGetItem(call, index)
                item._checked_type_ = value._checked_type_
                meta.outputs[id(value)] = (value, item)

    def _region_call(self, region, meta, fields, end):
        import tvm  # pylint: disable=import-outside-toplevel

        from .type_infer import InferType  # pylint: disable=import-outside-toplevel

        params = [v for v, _ in meta.args]
        call_args = [e for _, e in meta.args if not _is_constant(e)]
        binds = {v: e for v, e in meta.args if _is_constant(e)}
        if len(fields) == 1:
            func = Function(params, fields[0], end.args[0]._checked_type_)
        else:
            func = Function(params, Tuple(fields))
        target = end.attrs.compiler
        name = sanitize_name(
            f"{self.owner.mod_name}_{target}_{region.func_name}_{region.id}")
        if binds:
            func = bind(func, binds)
        optimize = tvm.get_global_func(f"relay.ext.{target}.optimize", True)
        if optimize is not None:
            sub = InferType()(tvm.IRModule.from_expr(func))
            func = optimize(sub)["main"]
        func = func.with_attr({"global_symbol": name, "Primitive": 1, "Compiler": target,
                               "Inline": 1})
        if self.owner.has(name):
            raise ValueError(f"PartitionGraph: global function {name} already exists")
        gvar = GlobalVar(name)
        self.owner.add(gvar, func)
        meta.call = Call(gvar, call_args)
        return meta.call


class _Owner:
    """The module being partitioned (functions are added as regions are lifted)."""

    def __init__(self, mod, mod_name):
        self.mod = mod
        self.mod_name = mod_name

    def has(self, name):
        return any(g.name_hint == name for g in self.mod.get_global_vars())

    def add(self, gvar, func):
        from .type_infer import InferType  # pylint: disable=import-outside-toplevel

        self.mod[gvar] = func
        self.mod = InferType()(self.mod)


def _map_functions(mod, rewrite):
    from .type_infer import InferType  # pylint: disable=import-outside-toplevel

    new_mod = mod.copy()
    for gvar, func in mod.functions_items():
        if isinstance(func, Function):
            new_mod[gvar] = Function(func.params, rewrite(func.body), func.ret_type,
                                     func.type_params, func.attrs)
    return InferType()(new_mod)


def partition_graph(mod, mod_name="tvmgen_default"):
    """``mod`` with its annotated regions lifted (see the module docstring)."""
    from ._utils import ensure_typed  # pylint: disable=import-outside-toplevel
    from .type_infer import InferType  # pylint: disable=import-outside-toplevel

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        mod = ensure_typed(mod)
        mod = _map_functions(mod, _flatten_tuple_outputs)
        mod = _map_functions(mod, _remove_default_annotations)
        functions = [(g, f) for g, f in mod.functions_items() if isinstance(f, Function)]
        names = set()
        region_sets = []
        for gvar, func in functions:
            name = gvar.name_hint
            while name in names:
                name += "_a"
            names.add(name)
            region_sets.append(AnnotatedRegionSet(func, func_name=name))
        owner = _Owner(mod.copy(), mod_name)
        for (gvar, func), regions in zip(functions, region_sets):
            if not len(regions):  # pylint: disable=use-implicit-booleaness-not-len
                continue
            body = _Partitioner(owner, regions).visit(func.body)
            owner.mod[gvar] = Function(func.params, body, func.ret_type, func.type_params,
                                       func.attrs)
            owner.mod = InferType()(owner.mod)
        return owner.mod
    finally:
        sys.setrecursionlimit(limit)


def PartitionGraph(mod_name="default"):  # pylint: disable=invalid-name
    """Lift the annotated regions of every function into global functions for
    their external code generators (upstream ``relay.transform.PartitionGraph``,
    ``opt_level`` 0).

    Parameters
    ----------
    mod_name : str
        The module name put in the functions' names (``tvmgen_<mod_name>_...``).

    Returns
    -------
    ret : tvm.transform.Pass
    """
    mangled = mangle_module_name(str(mod_name))
    return Pass(PassInfo(0, "PartitionGraph", []),
                lambda mod, _ctx: partition_graph(mod, mangled))
