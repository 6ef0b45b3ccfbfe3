"""The graph tuners' common part: the tuned nodes of a graph and their candidate records."""
import logging

import numpy as np

import tvm
from tvm.contrib.target_check import COMPATIBLE, target_compatible

from ..record import encode, load_from_file
from ..task.relay_integration import extract_from_program


def _as_function(graph):
    from tvm import relay  # pylint: disable=import-outside-toplevel

    if isinstance(graph, tvm.IRModule):
        graph = graph["main"]
    if not isinstance(graph, relay.Function):
        raise TypeError(f"graph tuner: graph must be a relay.Function or an IRModule, got {type(graph).__name__}")
    return graph


def _load_records(records):
    if isinstance(records, str) or hasattr(records, "__fspath__"):
        return load_from_file(str(records))
    return list(records)


class BaseGraphTuner:
    """Collect the nodes of ``graph`` calling one of ``target_ops`` and, per node,
    the kernel records of its workload (0.8's ``BaseGraphTuner`` signature).

    Parameters
    ----------
    graph : relay.Function or tvm.IRModule
        The network.
    input_shapes : dict of str to tuple
        Shapes of the graph's inputs (the graph's own types must agree).
    records : str or iterable of (MeasureInput, MeasureResult)
        Kernel tuning records (a log file name, or the pairs).
    target_ops : list of tvm.ir.Op
        Operators whose calls are tuned, e.g. ``[relay.op.get("nn.conv2d")]``.
    target : str or tvm.target.Target
    max_sch_num : int
        Candidates kept per node (the fastest ones).
    dtype : str
    verbose : bool
    log_file : str
        Also log to this file (as 0.8 did), unless None.
    log_level : int
    name : str
    """

    def __init__(self, graph, input_shapes, records, target_ops, target, max_sch_num=20,
                 dtype="float32", verbose=True, log_file="graph_tuner.log",
                 log_level=logging.DEBUG, name="graph_tuner"):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        self._name = name
        self._logger = logging.getLogger(name + "_logger")
        self._logger.setLevel(log_level)
        if log_file and not any(isinstance(h, logging.FileHandler) and h.baseFilename.endswith(log_file)
                                for h in self._logger.handlers):
            self._logger.addHandler(logging.FileHandler(log_file))
        if verbose and not any(type(h) is logging.StreamHandler for h in self._logger.handlers):  # pylint: disable=unidiomatic-typecheck
            self._logger.addHandler(logging.StreamHandler())
        self._target = target if isinstance(target, tvm.target.Target) else tvm.target.Target(target)
        self._target_ops = [relay.op.get(op) if isinstance(op, str) else op for op in target_ops]
        self._dtype = dtype
        self._max_sch_num = int(max_sch_num)
        self._input_shapes = dict(input_shapes)

        func = _as_function(graph)
        for param in func.params:
            if param.name_hint in self._input_shapes and param.type_annotation is not None:
                declared = tuple(int(d) for d in param.type_annotation.shape)
                if declared != tuple(self._input_shapes[param.name_hint]):
                    raise ValueError(f"graph tuner: input {param.name_hint} has shape {declared} in the graph, "
                                     f"{tuple(self._input_shapes[param.name_hint])} in input_shapes")
        mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
        self._node_list = self._tuned_nodes(mod["main"])
        self._attach_candidates(_load_records(records))
        self._layout_transform_perf_records = {}
        self._optimal_record_dict = {}

    # ------------------------------------------------------------ nodes
    def _tuned_nodes(self, func):
        """One entry per call of a target op, in post order, with its AutoTVM workload."""
        from tvm import relay  # pylint: disable=import-outside-toplevel

        names = {op.name for op in self._target_ops}
        calls = []
        relay.analysis.post_order_visit(
            func, lambda n: calls.append(n) if isinstance(n, relay.Call) and getattr(n.op, "name", None) in names
            else None)
        workloads = {}
        nodes = []
        for call in calls:
            # The call alone, its operands as typed inputs: its task is the node's workload.
            inputs = [relay.var(f"in{i}", arg.checked_type) for i, arg in enumerate(call.args)]
            single = relay.Function(inputs, relay.Call(call.op, inputs, call.attrs))
            key = tvm.ir.structural_hash(single)
            if key not in workloads:
                tasks = extract_from_program(single, {}, self._target, ops=self._target_ops)
                workloads[key] = tasks[0].workload if tasks else None
            nodes.append({"op": call.op, "node": call, "workload": workloads[key], "record_candidates": []})
        self._logger.info("%s: %d nodes of %s", self._name, len(nodes), sorted(names))
        return nodes

    def _attach_candidates(self, records):
        by_workload = {}
        for inp, res in records:
            if res.error_no != 0 or inp.target is None:
                continue
            if str(inp.target) != str(self._target) and \
                    target_compatible(inp.target, self._target) != COMPATIBLE:
                continue
            by_workload.setdefault(inp.task.workload, []).append((inp, res))
        for node in self._node_list:
            found = sorted(by_workload.get(node["workload"], []), key=lambda r: float(np.mean(r[1].costs)))
            node["record_candidates"] = found[: self._max_sch_num]
            if not found:
                self._logger.warning("%s: no record for workload %s; it keeps its fallback config",
                                     self._name, node["workload"])

    def _candidate_costs(self, node):
        return [float(np.mean(res.costs)) for _, res in node["record_candidates"]]

    # ------------------------------------------------------------ layout transforms
    def benchmark_layout_transform(self, min_exec_num=100, timeout=10, use_rpc=False, device_key=None,
                                   host="127.0.0.1", port=9190, n_parallel=1, build_func="default",
                                   layout_records=None, target_host=None, infer_layout=False, runner=None):
        """Measure the layout transformations between neighbouring candidates (0.8's signature).

        All candidates of the fork's templates keep the operator's layout, so
        there is no transformation between candidates to measure; the table
        (:meth:`layout_transform_perf_records`) stays empty and every
        transformation cost counts as 0. The arguments are accepted for 0.8
        scripts and have nothing to act on.
        """
        del min_exec_num, timeout, use_rpc, device_key, host, port, n_parallel, build_func
        del target_host, infer_layout, runner
        if layout_records is not None:
            self._layout_transform_perf_records = dict(layout_records) if isinstance(layout_records, dict) else {}
        self._logger.info("%s: candidates keep their operator's layout: no layout transformation to benchmark",
                          self._name)

    @property
    def layout_transform_perf_records(self):
        """``{(from layout, to layout): (MeasureInput, MeasureResult)}``; empty here."""
        return self._layout_transform_perf_records

    # ------------------------------------------------------------ results
    def run(self, **kwargs):
        """Choose one candidate per node (set ``self._optimal_record_dict``)."""
        raise NotImplementedError

    def get_optimal_records(self):
        """The chosen ``(MeasureInput, MeasureResult)`` of every node that has one, in graph order."""
        return [self._node_list[i]["record_candidates"][choice]
                for i, choice in sorted(self._optimal_record_dict.items())]

    def write_opt_sch2record_file(self, record_file="graph_opt_schedule.log"):
        """Append the chosen records to ``record_file`` (for ``autotvm.apply_graph_best``)."""
        records = self.get_optimal_records()
        with open(record_file, "a", encoding="utf-8") as out:
            for inp, res in records:
                out.write(encode(inp, res) + "\n")
        self._logger.info("%s: wrote %d optimal records to %s", self._name, len(records), record_file)
