"""Debug graph executor: per-operator timing and outputs (TVM 0.8 API).

``create(graph_json, lib, dev)`` returns a :class:`GraphModuleDebug`, a
:class:`~tvm.contrib.graph_executor.GraphModule` (same ``set_input``,
``get_output``, ``load_params``...) that can also run the graph one node at a
time:

* ``run()`` runs every operator in order, records the time each one took and
  keeps every node's output (``debug_get_output(node)``; with ``dump_root``
  they are also saved to disk);
* ``run_individual(number, repeat, min_repeat_ms)`` times every operator on
  its own with the base's ``time_evaluator`` and returns the mean seconds per
  node;
* ``profile()`` times every operator that way and returns a
  :class:`ProfileReport` whose text is a table of the fused functions sorted by
  time: op kinds, output shape, time and share of the total.

How it runs nodes: the fork's C++ graph executor (``src/runtime``) has no
per-node entry point, so this module reads the graph JSON itself, lays out
the same storage plan (one buffer per ``storage_id``, one view per data
entry) and calls each node's function of the compiled module with those
views. Inputs and parameters are taken from the wrapped C++ executor before a
debug run, so whatever was set on it (``set_input``, ``load_params``, the
factory's parameters) is used.
"""
import json
import os

import numpy as np

import tvm
from tvm.contrib import graph_executor

__all__ = ["create", "GraphModuleDebug", "ProfileReport", "DebugResult"]


def create(graph_json_str, libmod, device, dump_root=None):
    """Create a debug graph executor.

    Parameters
    ----------
    graph_json_str : str
        The graph JSON (``factory.get_graph_json()``, or ``mod.json`` of a package).
    libmod : tvm.runtime.Module or tvm.runtime.Executable
        The compiled operators (``factory.get_lib()`` or a loaded library).
    device : Device or list of Device
        Where to run (one device).
    dump_root : str, optional
        Folder where ``run()`` saves every node's output (``<node>.npy``) and
        the graph JSON.

    Returns
    -------
    GraphModuleDebug
    """
    module = graph_executor.create(graph_json_str, libmod, device)
    dev = device[0] if isinstance(device, list | tuple) else device
    if isinstance(libmod, tvm.runtime.Executable):
        libmod = libmod.mod
    return GraphModuleDebug(module.module, dev, graph_json_str, libmod, dump_root)


class DebugResult:
    """Per-node results of the last debug run: node names, times (s), outputs."""

    def __init__(self):
        self.node_names = []
        self.times = []
        self.outputs = {}


class ProfileReport:
    """Per-operator times of a graph, sortable and printable.

    Attributes
    ----------
    rows : List[dict]
        One per operator node, slowest first: ``name`` (node), ``func_name``,
        ``ops`` (op kinds of the fused function), ``shape`` (output shape(s)),
        ``time_us`` and ``percent`` (of the sum of all operators).
    total_us : float
        The sum of the operators' times.
    """

    def __init__(self, rows):
        self.rows = sorted(rows, key=lambda r: -r["time_us"])
        self.total_us = sum(r["time_us"] for r in self.rows)
        for row in self.rows:
            row["percent"] = 100.0 * row["time_us"] / self.total_us if self.total_us else 0.0

    def by_function(self):
        """Rows summed per fused function: ``func_name``, ``ops``, ``count``, ``time_us``, ``percent``."""
        merged = {}
        for row in self.rows:
            entry = merged.setdefault(row["func_name"], {"func_name": row["func_name"], "ops": row["ops"],
                                                         "count": 0, "time_us": 0.0, "percent": 0.0})
            entry["count"] += 1
            entry["time_us"] += row["time_us"]
            entry["percent"] += row["percent"]
        return sorted(merged.values(), key=lambda r: -r["time_us"])

    def table(self, top=None):
        """The table as text (``top``: only the slowest rows, plus a line for the rest)."""
        rows = self.rows if top is None else self.rows[:top]
        name_w = max([len("Node")] + [len(r["name"]) for r in rows])
        ops_w = max([len("Ops")] + [len(r["ops"]) for r in rows])
        shape_w = max([len("Output shape")] + [len(r["shape"]) for r in rows])
        head = f"{'Node':<{name_w}}  {'Ops':<{ops_w}}  {'Output shape':<{shape_w}}  {'Time (us)':>10}  {'Percent':>7}  {'Cumul.':>7}"
        lines = [head, "-" * len(head)]
        cumul = 0.0
        for row in rows:
            cumul += row["percent"]
            lines.append(f"{row['name']:<{name_w}}  {row['ops']:<{ops_w}}  {row['shape']:<{shape_w}}  "
                         f"{row['time_us']:>10.1f}  {row['percent']:>6.2f}%  {cumul:>6.2f}%")
        if top is not None and len(self.rows) > top:
            rest = self.rows[top:]
            lines.append(f"{'(%d more)' % len(rest):<{name_w}}  {'':<{ops_w}}  {'':<{shape_w}}  "
                         f"{sum(r['time_us'] for r in rest):>10.1f}  {sum(r['percent'] for r in rest):>6.2f}%")
        lines.append("-" * len(head))
        lines.append(f"{'Total':<{name_w}}  {'%d operators' % len(self.rows):<{ops_w}}  {'':<{shape_w}}  "
                     f"{self.total_us:>10.1f}  {100.0:>6.2f}%")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def _op_kinds(func_name):
    # local import: auto_scheduler is heavy and only its name parser is needed
    from tvm.auto_scheduler.task_description import fused_op_names  # pylint: disable=import-outside-toplevel

    return "+".join(fused_op_names(func_name)) or func_name


class GraphModuleDebug(graph_executor.GraphModule):
    """A graph executor that can run, time and inspect each operator.

    Parameters
    ----------
    module : tvm.runtime.Module
        The (C++) graph executor module.
    device : Device
    graph_json_str : str
    lib : tvm.runtime.Module
        The compiled operators.
    dump_root : str, optional
    """

    def __init__(self, module, device, graph_json_str, lib, dump_root=None):
        super().__init__(module)
        self.device = device
        self.lib = lib
        self.dump_root = dump_root
        self.graph = json.loads(graph_json_str)
        self.debug_datum = DebugResult()
        self._parse()
        self._allocate()
        self._funcs = {}

    # ---- graph layout --------------------------------------------------------

    def _parse(self):
        graph = self.graph
        attrs = graph["attrs"]
        self._nodes = graph["nodes"]
        self._row_ptr = graph["node_row_ptr"]
        self._shapes = [tuple(s) for s in attrs["shape"][1]]
        self._dtypes = list(attrs["dltype"][1])
        self._storage = list(attrs["storage_id"][1])
        self._input_nids = list(graph["arg_nodes"])

    def _eid(self, nid, index=0):
        return self._row_ptr[nid] + index

    def _allocate(self):
        """One buffer per storage id (sized for its largest entry), one view per entry."""
        sizes = {}
        for eid, sid in enumerate(self._storage):
            nbytes = int(np.prod(self._shapes[eid], dtype=np.int64)) * np.dtype(self._dtypes[eid]).itemsize
            sizes[sid] = max(sizes.get(sid, 0), nbytes)
        pools = {sid: tvm.runtime.empty((max(1, (n + 3) // 4),), "float32", self.device)
                 for sid, n in sizes.items()}
        self._entries = [pools[sid]._create_view(self._shapes[eid], self._dtypes[eid])
                         for eid, sid in enumerate(self._storage)]
        self._execs = []
        for nid, node in enumerate(self._nodes):
            if node["op"] != "tvm_op":
                continue
            node_attrs = node.get("attrs", {})
            func_name = node_attrs.get("func_name", node["name"])
            if func_name == "__nop":
                continue
            eids = [self._eid(e[0], e[1]) for e in node["inputs"]]
            eids += [self._eid(nid, i) for i in range(int(node_attrs.get("num_outputs", 1)))]
            args = [self._entries[e] for e in eids]
            if str(node_attrs.get("flatten_data", "0")) == "1":
                args = [a._create_view((int(np.prod(a.shape)),), a.dtype) for a in args]
            self._execs.append((nid, node["name"], func_name, args))

    def _func(self, func_name):
        if func_name not in self._funcs:
            if func_name == "__copy":
                self._funcs[func_name] = lambda src, dst: src.copyto(dst)
            else:
                self._funcs[func_name] = self.lib.get_function(func_name, query_imports=True)
        return self._funcs[func_name]

    def _kernel_module(self, func_name):
        """The module that defines ``func_name`` itself (``time_evaluator`` does not look in imports).

        A library loaded with ``tvm.runtime.load_module`` is the executor factory; the
        kernels are in a module it imports.
        """
        if not hasattr(self, "_kernel_modules"):
            self._kernel_modules = {}
        if func_name not in self._kernel_modules:
            todo, seen, found = [self.lib], set(), None
            while todo and found is None:
                mod = todo.pop(0)
                if id(mod) in seen:
                    continue
                seen.add(id(mod))
                if mod.implements_function(func_name, query_imports=False):
                    found = mod
                else:
                    todo.extend(mod.imports)
            self._kernel_modules[func_name] = found if found is not None else self.lib
        return self._kernel_modules[func_name]

    def _timer(self, func_name, number, repeat, min_repeat_ms):
        return self._kernel_module(func_name).time_evaluator(
            func_name, self.device, number=number, repeat=repeat, min_repeat_ms=min_repeat_ms)

    def _sync_inputs(self):
        """Copy the executor's inputs (data and parameters) into the debug buffers."""
        for index, nid in enumerate(self._input_nids):
            self._entries[self._eid(nid)].copyfrom(self.get_input(index))

    # ---- running -------------------------------------------------------------

    def run(self, **input_dict):
        """Run the graph one operator at a time; record each one's time and output.

        The outputs of the graph are then also the C++ executor's (it runs once
        too), so ``get_output`` works as after a plain run.
        """
        import time  # pylint: disable=import-outside-toplevel

        if input_dict:
            self.set_input(**input_dict)
        self._sync_inputs()
        datum = DebugResult()
        for nid, name, func_name, args in self._execs:
            func = self._func(func_name)
            start = time.perf_counter()
            func(*args)
            self.device.sync()
            datum.times.append(time.perf_counter() - start)
            datum.node_names.append(name)
            node = self._nodes[nid]
            num_outputs = int(node.get("attrs", {}).get("num_outputs", 1))
            datum.outputs[name] = [self._entries[self._eid(nid, i)].numpy() for i in range(num_outputs)]
        self.debug_datum = datum
        super().run()
        if self.dump_root:
            self._dump(datum)

    def _dump(self, datum):
        os.makedirs(self.dump_root, exist_ok=True)
        with open(os.path.join(self.dump_root, "graph.json"), "w", encoding="utf-8") as fout:
            json.dump(self.graph, fout)
        arrays = {}
        for name, outs in datum.outputs.items():
            for i, value in enumerate(outs):
                arrays[f"{name}:{i}"] = value
        np.savez(os.path.join(self.dump_root, "outputs.npz"), **arrays)
        with open(os.path.join(self.dump_root, "times.json"), "w", encoding="utf-8") as fout:
            json.dump(dict(zip(datum.node_names, datum.times)), fout, indent=1)

    def debug_get_output(self, node, out=None):
        """The output of a node (by name or index) of the last ``run()``, as a numpy array."""
        if isinstance(node, int):
            node = self._nodes[node]["name"]
        if node not in self.debug_datum.outputs:
            raise KeyError(f"debug_get_output: no output of node {node!r}; call run() first "
                           "(only operator nodes have one)")
        value = self.debug_datum.outputs[node][0]
        if out is not None:
            out.copyfrom(value)
            return out
        return value

    def run_individual(self, number=10, repeat=1, min_repeat_ms=1):
        """Time every operator on its own.

        Parameters
        ----------
        number : int
            Runs per measurement (averaged).
        repeat : int
            Measurements per operator; their mean is returned.
        min_repeat_ms : int
            ``number`` grows until a measurement takes at least this long.

        Returns
        -------
        List[float]
            Mean seconds per run of every operator node, in execution order.
        """
        self._sync_inputs()
        times = []
        for _, _, func_name, args in self._execs:
            func = self._func(func_name)
            func(*args)  # warm-up and correct buffers for the next nodes
            if func_name == "__copy":
                times.append(0.0)
                continue
            timer = self._timer(func_name, number, repeat, min_repeat_ms)
            times.append(float(np.mean(timer(*args).results)))
        return times

    def profile(self, number=10, repeat=3, min_repeat_ms=10, **input_dict):
        """Per-operator profile of the graph.

        Each operator is timed on its own (see :meth:`run_individual`), with
        the median of ``repeat`` measurements.

        Returns
        -------
        ProfileReport
            ``str(report)`` is the table, slowest first.
        """
        if input_dict:
            self.set_input(**input_dict)
        self._sync_inputs()
        rows = []
        for nid, name, func_name, args in self._execs:
            func = self._func(func_name)
            func(*args)
            if func_name == "__copy":
                seconds = 0.0
            else:
                timer = self._timer(func_name, number, repeat, min_repeat_ms)
                seconds = float(np.median(timer(*args).results))
            node = self._nodes[nid]
            num_outputs = int(node.get("attrs", {}).get("num_outputs", 1))
            shape = ", ".join("x".join(str(d) for d in self._shapes[self._eid(nid, i)]) or "scalar"
                              for i in range(num_outputs))
            rows.append({"name": name, "func_name": func_name, "ops": _op_kinds(func_name),
                         "shape": shape, "time_us": seconds * 1e6})
        return ProfileReport(rows)
