"""Graph codegen: a fused Relay ``main`` to a graph-executor JSON and kernels.

``GraphRuntimeCodegen(mod, target, use_topi_schedule).codegen(func)`` walks the
type-checked ``main`` after ``FuseOps``: every call of a ``"Primitive"``
function is lowered by the compile engine (cached, so a function that occurs
several times is one kernel, used several times) and becomes a ``tvm_op`` node;
inputs and constants become ``null`` nodes (constants as parameters ``p0``,
``p1``, ...). Storage is planned by :mod:`.graph_plan_memory`.

A fused function that only reshapes (``reshape``, ``squeeze``,
``expand_dims``, ``nn.batch_flatten``...) of a kernel's output moves no data:
it becomes a ``__nop`` node whose output is a view of its input's storage
(upstream's ``relay.reshape_only`` functions), so no kernel is launched and
nothing is copied.

``use_topi_schedule`` (upstream's name) is the lowering mode
(:class:`~.lowering.LoweringMode`, or upstream's bool, resolved once in the
constructor); it is passed on, explicitly, to ``CompileEngine.lower`` and not
read from any context here.
"""
import json

import tvm

from .. import ty as _ty
from ..expr import Call, GlobalVar, Var
from ..expr_functor import ExprFunctor
from ..function import Function
from ..op.op import Op
from . import compile_engine as _compile_engine
from . import contrib_codegen as _contrib
from .graph_plan_memory import plan_memory
from .lowering import LoweringMode


RESHAPE_ONLY_OPS = frozenset(
    ["reshape", "squeeze", "expand_dims", "nn.batch_flatten", "reshape_like", "contrib_reverse_reshape"]
)
"""Ops that change a tensor's shape without moving its data (row-major)."""


def is_reshape_only(func):
    """True when the primitive function is a chain of :data:`RESHAPE_ONLY_OPS` on its one parameter."""
    if len(func.params) != 1:
        return False
    expr = func.body
    while isinstance(expr, Call):
        if not (isinstance(expr.op, Op) and expr.op.name in RESHAPE_ONLY_OPS):
            return False
        expr = expr.args[0]
    return isinstance(expr, Var) and expr is func.params[0]


class GraphExecutorUnsupported(ValueError):
    """The program needs what the graph executor has not: dynamic shapes, control
    flow, closures, calls of global functions. The Relay VM runs such programs
    (``relay.vm.compile``, ``create_executor("vm")``)."""


def _tensor_types(ty):
    if isinstance(ty, _ty.TensorType):
        if ty.is_dynamic():
            raise GraphExecutorUnsupported(
                f"the graph executor needs static shapes, got {ty}; a program with dynamic "
                "shapes runs on the Relay VM (relay.vm.compile or relay.create_executor('vm'))")
        return [(list(ty.shape), ty.dtype)]
    if isinstance(ty, _ty.TupleType):
        out = []
        for field in ty.fields:
            out.extend(_tensor_types(field))
        return out
    raise TypeError(f"the graph executor cannot hold a value of type {ty}")


class GraphRuntimeCodegen(ExprFunctor):
    """Generate the graph executor's JSON, kernels and params from ``main``.

    Parameters
    ----------
    mod : IRModule or None
        Kept for upstream's signature (unused; ``codegen`` takes the function).
    target : str, dict or tvm.target.Target
        The target of the kernels.
    use_topi_schedule : LoweringMode or bool
        The lowering mode, passed to ``CompileEngine.lower`` for every
        primitive function (a bool is resolved here, once).
    compile_engine : CompileEngine, optional
        Defaults to the global engine (the mode is part of its cache key).
    mod_name : str
        The module name (prefixes kernel names when not ``"default"``).
    """

    def __init__(self, mod, target, use_topi_schedule=True, compile_engine=None, mod_name="default"):
        super().__init__()
        self.mod = mod
        self.target = _compile_engine._as_target(target)
        self.use_topi_schedule = LoweringMode.resolve(use_topi_schedule)
        self.engine = compile_engine or _compile_engine.get()
        self.mod_name = mod_name
        self.nodes = []
        self.entry_types = []
        self.params = {}
        self.lowered = {}
        self.cached_funcs = []
        self._transformed = {}
        self._param_entries = {}
        self._aliases = {}  # node id of a __nop -> the entry whose storage its output views
        self.externals = {}  # BYOC: global_symbol -> contrib_codegen.ExternalFunction

    # -- graph building ------------------------------------------------------
    def _add_node(self, node, types):
        self.nodes.append(node)
        self.entry_types.append(types)
        node_id = len(self.nodes) - 1
        return [[node_id, i, 0] for i in range(len(types))]

    def visit_var(self, var):
        raise GraphExecutorUnsupported(
            f"variable {var.name_hint} is not an input of main (closures and local "
            "variables are not supported by the graph executor)"
        )

    def visit_constant(self, const):
        name = f"p{len(self.params)}"
        self.params[name] = const.data
        types = [(list(const.numpy().shape), str(const.numpy().dtype))]
        return self._add_node({"op": "null", "name": name, "inputs": []}, types)

    def visit_call(self, call):
        func = call.op
        if isinstance(func, Op):
            raise ValueError(
                f"operator {func.name} is called outside a fused function; run "
                "relay.transform.FuseOps before graph codegen"
            )
        # -- BYOC hook: a function for an external code generator (see contrib_codegen) --
        if isinstance(func, GlobalVar) and self.mod is not None and func in self.mod:
            func = self.mod[func] if _contrib.is_external(self.mod[func]) else func
        if _contrib.is_external(func):
            return self._add_external_call(call, func)
        if isinstance(func, GlobalVar) and self.mod is None:
            raise GraphExecutorUnsupported(
                f"the graph executor does not support calls of global functions (@{func.name_hint}); "
                "a function lifted by relay.transform.PartitionGraph runs once inlined into main: "
                "relay.transform.Inline()(mod) before relay.build")
        # -- end BYOC hook --
        if isinstance(func, GlobalVar | Var):
            raise GraphExecutorUnsupported("the graph executor does not support calls of global or local functions")
        if not (isinstance(func, Function) and func.is_primitive):
            raise ValueError("graph codegen expects calls of \"Primitive\" functions only")
        types = _tensor_types(call.checked_type)  # static shapes, before lowering
        inputs = []
        for arg in call.args:
            inputs.extend(self.visit(arg))
        if is_reshape_only(func) and len(inputs) == 1 and self.nodes[inputs[0][0]]["op"] == "tvm_op":
            return self._add_reshape_view(inputs[0], types)
        cached = self.engine.lower(
            func, self.target, use_topi_schedule=self.use_topi_schedule, mod_name=self.mod_name
        )
        self.cached_funcs.append(cached)
        self.lowered[cached.func_name] = cached.prim_func
        for index, transform in sorted(cached.input_transforms.items()):
            inputs[index] = self._rewrite_layout(inputs[index], transform, cached.func_name, index)
        if len(types) != len(cached.outputs):
            raise ValueError(
                f"{cached.func_name} computes {len(cached.outputs)} outputs, its type has {len(types)}"
            )
        node = {
            "op": "tvm_op",
            "name": cached.func_name,
            "attrs": {
                "func_name": cached.func_name,
                "num_inputs": str(len(inputs)),
                "num_outputs": str(len(types)),
                "flatten_data": "0",
            },
            "inputs": inputs,
        }
        return self._add_node(node, types)

    def _add_external_call(self, call, func):
        """BYOC: a ``tvm_op`` node calling the external function's packed function
        (compiled once per ``global_symbol``; its stub joins the kernels)."""
        ext = self.externals.get(func.get_attr("global_symbol"))
        if ext is None:
            ext = _contrib.lower_external(func)
            self.externals[ext.name] = ext
            self.lowered[ext.name] = ext.stub
        inputs = [entry for arg in call.args for entry in self.visit(arg)]
        types = _tensor_types(call.checked_type)
        attrs = {"func_name": ext.name, "num_inputs": str(len(inputs)),
                 "num_outputs": str(len(types)), "flatten_data": "0"}
        return self._add_node({"op": "tvm_op", "name": ext.name, "attrs": attrs, "inputs": inputs},
                              types)

    def _add_reshape_view(self, entry, types):
        """A ``__nop`` node: its output is ``entry``'s storage under another shape."""
        name = f"reshape_nop{len(self._aliases)}"
        ids = self._add_node(
            {
                "op": "tvm_op",
                "name": name,
                "attrs": {"func_name": "__nop", "num_inputs": "1", "num_outputs": "1", "flatten_data": "0"},
                "inputs": [entry],
            },
            types,
        )
        self._aliases[ids[0][0]] = tuple(entry[:2])
        return ids

    def _rewrite_layout(self, entry, transform, func_name, index):
        """The graph entry of an input in the layout a tuned kernel reads.

        A constant weight is transformed once here, at build time (the
        auto-scheduler's ``REWRITE_FOR_PRE_TRANSFORMED``); any other input
        gets a transform kernel in the graph.
        """
        shape = [int(d) for d in transform.new_shape]
        dtype = str(transform.dtype)
        node = self.nodes[entry[0]]
        if node["op"] == "null" and node["name"] in self.params:
            key = (node["name"], tvm.ir.structural_hash(transform.prim_func))
            name = self._transformed.get(key)
            if name is None:
                name = f"p{len(self.params)}"
                self.params[name] = transform.apply(self.params[node["name"]])
                self._transformed[key] = name
                self._add_node({"op": "null", "name": name, "inputs": []}, [(shape, dtype)])
                self._param_entries[name] = [len(self.nodes) - 1, 0, 0]
            return self._param_entries[name]
        kernel = f"{func_name}_layout_transform_{index}"
        self.lowered[kernel] = transform.prim_func.with_attr("global_symbol", kernel)
        return self._add_node(
            {
                "op": "tvm_op",
                "name": kernel,
                "attrs": {"func_name": kernel, "num_inputs": "1", "num_outputs": "1", "flatten_data": "0"},
                "inputs": [entry],
            },
            [(shape, dtype)],
        )[0]

    def visit_tuple(self, tup):
        entries = []
        for field in tup.fields:
            entries.extend(self.visit(field))
        return entries

    def visit_tuple_getitem(self, op):
        entries = self.visit(op.tuple_value)
        fields = op.tuple_value.checked_type.fields
        start = sum(len(_tensor_types(f)) for f in fields[: op.index])
        return entries[start : start + len(_tensor_types(fields[op.index]))]

    def visit_let(self, let):
        self.memo_map[id(let.var)] = (let.var, self.visit(let.value))
        return self.visit(let.body)

    def visit_if(self, ite):
        raise GraphExecutorUnsupported("the graph executor does not support control flow (found an If)")

    def visit_function(self, fn):
        raise GraphExecutorUnsupported("the graph executor does not support closures (found a nested function)")

    def visit_global_var(self, gvar):
        raise GraphExecutorUnsupported(f"the graph executor does not support global calls (@{gvar.name_hint})")

    def visit_op(self, op):
        raise ValueError(f"operator {op.name} used as a value")

    # -- entry point ---------------------------------------------------------
    def codegen(self, func):
        """Generate code for ``func`` (the type-checked, fused ``main``).

        Returns
        -------
        graph_json : str
            The graph in upstream's graph-executor JSON format.
        lowered_funcs : tvm.IRModule
            All kernels (scheduled PrimFuncs) by name.
        params : dict of str to tvm.runtime.Tensor
            The constants of ``main``, named ``p0``, ``p1``, ...
        """
        if isinstance(func, tvm.IRModule) or hasattr(func, "functions_items"):
            self.mod = func  # BYOC: calls of the module's external functions are resolved in it
            func = func["main"]
        # device annotations (on_device, device_copy, PlanDevices' attributes): CPU ones are
        # identities, any other device is refused (this fork compiles for the CPU only)
        from ..transform.plan_devices import check_cpu_only  # pylint: disable=import-outside-toplevel
        check_cpu_only(func)
        for param in func.params:
            types = _tensor_types(param.checked_type)
            if len(types) != 1:
                raise ValueError(f"input {param.name_hint} of main must be a tensor, not {param.checked_type}")
            entries = self._add_node({"op": "null", "name": param.name_hint, "inputs": []}, types)
            self.memo_map[id(param)] = (param, entries)
        heads = self.visit(func.body)
        heads = self._prune_unread_params(heads)
        graph_json = self._graph_json(heads)
        lowered = _contrib.attach_external_modules(tvm.IRModule(dict(self.lowered)), self.externals)
        return graph_json, lowered, dict(self.params)

    def _prune_unread_params(self, heads):
        """Drop parameter nodes nobody reads (weights replaced by their
        layout-rewritten copies) and renumber the graph."""
        read = {tuple(e[:2]) for node in self.nodes for e in node["inputs"]}
        read |= {tuple(e[:2]) for e in heads}
        keep = [
            i for i, node in enumerate(self.nodes)
            if not (node["op"] == "null" and node["name"] in self.params and (i, 0) not in read)
        ]
        if len(keep) == len(self.nodes):
            return heads
        new_id = {old: new for new, old in enumerate(keep)}
        for old in range(len(self.nodes)):
            if old not in new_id:
                del self.params[self.nodes[old]["name"]]
        self._aliases = {new_id[n]: (new_id[src], i) for n, (src, i) in self._aliases.items()}
        self.nodes = [self.nodes[i] for i in keep]
        self.entry_types = [self.entry_types[i] for i in keep]
        for node in self.nodes:
            node["inputs"] = [[new_id[n], i, v] for n, i, v in node["inputs"]]
        return [[new_id[n], i, v] for n, i, v in heads]

    def _graph_json(self, heads):
        storage_ids, _ = plan_memory(self.nodes, self.entry_types, heads, self._aliases)
        node_row_ptr = [0]
        shapes, dtypes, sids = [], [], []
        for node_id, types in enumerate(self.entry_types):
            node_row_ptr.append(node_row_ptr[-1] + len(types))
            for (shape, dtype), sid in zip(types, storage_ids[node_id]):
                shapes.append(shape)
                dtypes.append(dtype)
                sids.append(sid)
        graph = {
            "nodes": self.nodes,
            "arg_nodes": [i for i, n in enumerate(self.nodes) if n["op"] == "null"],
            "heads": heads,
            "attrs": {
                "dltype": ["list_str", dtypes],
                "shape": ["list_shape", shapes],
                "storage_id": ["list_int", sids],
            },
            "node_row_ptr": node_row_ptr,
        }
        return json.dumps(graph, indent=2)

    def lower_all(self, func):
        """Lower every primitive function reachable in ``func``, control flow included.

        The graph executor cannot run control flow, but task extraction only
        needs the kernels: this walks both branches of every ``If`` and returns
        the :class:`CachedFunc` s, one per call (upstream fell back to the VM
        compiler here). Each call counts once in the engine's ``use_count``, as
        in :meth:`codegen`.
        """
        found = []

        def visit(node):
            if isinstance(node, Call) and isinstance(node.op, Function) and node.op.is_primitive \
                    and not _contrib.is_external(node.op):  # BYOC: not TVM's to tune
                found.append(
                    self.engine.lower(
                        node.op, self.target, use_topi_schedule=self.use_topi_schedule,
                        mod_name=self.mod_name,
                    )
                )

        from ..analysis import post_order_visit  # pylint: disable=import-outside-toplevel

        post_order_visit(func, visit)
        return found


