"""A Relay function as the graph tuner's node list (0.8's contract).

Each node is a dict ``{"node": expr, "op": Op or None, "name": str or None,
"inputs": [[node index, output index, 0], ...], "types": [TensorType, ...]}``;
nodes calling one of the target ops also get ``"workloads"`` and
``"topi_op"`` (the AutoTVM task of the call). Nodes are listed in Relay's
post-order, so a node's inputs come before it.
"""
import re

import tvm

from .._base import OPT_OUT_OP
from .utils import has_multiple_inputs, is_boundary_node, is_skipped_node


def _replace_device_with_tracing(target):
    """``target`` (as text) with ``-device=tracing`` instead of any ``-device=...``.

    0.8 built each tuned call for that device to record its workload; the fork
    extracts tasks without building, and keeps this helper for its callers.
    """
    text = str(target)
    if "-device" not in text:
        return text + " -device=tracing"
    return re.sub(r"-device=[^\-$]+", "-device=tracing ", text).strip(" ")


def _output_types(call):
    """The tensor types a call produces (a tuple call gives several)."""
    from tvm import relay  # pylint: disable=import-outside-toplevel

    mod = relay.transform.InferType()(tvm.IRModule.from_expr(call))
    ty = mod["main"].body.checked_type
    if isinstance(ty, relay.ty.TensorType):
        return [ty]
    if isinstance(ty, relay.ty.TupleType):
        return list(ty.fields)
    raise RuntimeError("graph tuner: unsupported output type %s of operator %s" % (type(ty).__name__, call.op.name))


def _task_of_call(call, input_types, target):
    """The AutoTVM task of one call of a target op, or None when it has no template."""
    from tvm import relay  # pylint: disable=import-outside-toplevel
    from ...task.relay_integration import extract_from_program  # pylint: disable=import-outside-toplevel

    params = [relay.var("var_%d" % i, ty) for i, ty in enumerate(input_types)]
    func = relay.Function(params, relay.Call(call.op, params, call.attrs))
    tasks = extract_from_program(func, {}, target, ops=[call.op])
    return tasks[0] if tasks else None


def expr2graph(expr, target_ops, node_dict, node_list, tvm_target):
    """Fill ``node_list`` (and ``node_dict``: expr -> index) with the nodes of ``expr``.

    Parameters
    ----------
    expr : relay.Function
    target_ops : list of tvm.ir.Op
        Calls of these ops get ``"workloads"`` and ``"topi_op"`` from their
        AutoTVM task (empty lists when the op has no template for the target).
    node_dict : dict
    node_list : list of dict
    tvm_target : tvm.target.Target
    """
    from tvm import relay  # pylint: disable=import-outside-toplevel

    def visit(node):
        if node in node_dict or isinstance(node, tvm.ir.Op):
            return
        if isinstance(node, relay.Function):
            if not node.same_as(expr):
                expr2graph(node, target_ops, node_dict, node_list, tvm_target)
            return
        index = len(node_list)
        entry = {"node": node, "inputs": [], "types": [], "op": None, "name": None}
        if isinstance(node, relay.Call):
            entry["op"] = node.op
            for arg in node.args:
                if isinstance(arg, (relay.Tuple, relay.TupleGetItem)):
                    entry["inputs"] += node_list[node_dict[arg]]["inputs"]
                else:
                    entry["inputs"].append([node_dict[arg], 0, 0])
            entry["types"] = _output_types(node)
            if node.op in target_ops:
                input_types = []
                for in_idx, out_idx, _ in entry["inputs"]:
                    producer = node_list[in_idx]
                    if not isinstance(producer["node"], (relay.Var, relay.Constant, relay.Call)):
                        raise RuntimeError(
                            "Graph tuner can only tune target operators whose inputs are "
                            "relay Var/Constant/Call nodes; %s has an input of type %s"
                            % (node.op.name, type(producer["node"]).__name__))
                    input_types.append(producer["types"][out_idx])
                task = _task_of_call(node, input_types, tvm_target)
                entry["workloads"] = [task.workload] if task is not None else []
                entry["topi_op"] = [task.name] if task is not None else []
        elif isinstance(node, relay.Var):
            entry["name"] = node.name_hint
            entry["types"] = [node.type_annotation]
        elif isinstance(node, relay.TupleGetItem):
            entry["inputs"].append([node_dict[node.tuple_value], node.index, 0])
        elif isinstance(node, relay.Tuple):
            for field in node.fields:
                if isinstance(field, relay.Tuple):
                    raise RuntimeError("Graph tuner doesn't support nested tuple.")
                if isinstance(field, relay.TupleGetItem):
                    entry["inputs"] += node_list[node_dict[field]]["inputs"]
                else:
                    entry["inputs"].append([node_dict[field], 0, 0])
        elif isinstance(node, relay.Constant):
            entry["name"] = "Constant_%d" % index
            entry["types"] = [node.checked_type]
        else:
            raise RuntimeError("Not supported relay node type in graph tuning: %s" % type(node).__name__)
        node_dict[node] = index
        node_list.append(entry)

    relay.analysis.post_order_visit(expr, visit)


def get_direct_ancestor(node_list, visited_dict, target_ops, node_idx, input_names):
    """The closest ancestors of a node that call a target op or have several
    data inputs (a boundary node is its own ancestor). Results are memoised
    in ``visited_dict``."""
    if node_idx in visited_dict:
        return visited_dict[node_idx]
    node = node_list[node_idx]
    if is_boundary_node(node, input_names):
        return [node_idx]
    found = []
    for in_idx, _, _ in node["inputs"]:
        producer = node_list[in_idx]
        if producer["op"] in target_ops or has_multiple_inputs(node_list, in_idx, input_names, OPT_OUT_OP):
            candidates = [in_idx]
        else:
            candidates = get_direct_ancestor(node_list, visited_dict, target_ops, in_idx, input_names)
        for cand in candidates:
            if cand not in found:
                found.append(cand)
    visited_dict[node_idx] = found
    return found


def get_in_nodes(node_list, target_ops, input_names):
    """Map each tuned node (a target-op call or a multi-input node) to its
    closest tuned ancestors; nodes fed only by boundary nodes or by nothing
    left are dropped (their layouts are not the tuner's choice)."""
    visited = {}
    for idx, node in enumerate(node_list):
        if not (is_boundary_node(node, input_names) or is_skipped_node(node)):
            get_direct_ancestor(node_list, visited, target_ops, idx, input_names)
    in_nodes = {
        key: val for key, val in visited.items()
        if node_list[key]["op"] in target_ops
        or has_multiple_inputs(node_list, key, input_names, OPT_OUT_OP)
    }
    out_nodes = get_out_nodes(in_nodes)

    # A non-target node whose inputs are all boundary nodes or untuned ones is
    # a boundary itself: drop it, repeatedly. The inputs that are not tuned
    # nodes leave its list as they are examined.
    while True:
        dropped = []
        for key, val in in_nodes.items():
            if node_list[key]["op"] in target_ops:
                continue
            is_boundary = True
            for in_idx in list(val):
                tuned_input = not is_boundary_node(node_list[in_idx], input_names) and in_idx in in_nodes
                if tuned_input:
                    is_boundary = False
                else:
                    val.remove(in_idx)
                if is_boundary:
                    dropped.append(key)
        if not dropped:
            break
        for key in dropped:
            in_nodes.pop(key, None)

    # Nodes left without inputs compute from constants only: drop them and
    # their edges, repeatedly.
    while True:
        empty = [key for key, val in in_nodes.items() if not val]
        if not empty:
            break
        for key in empty:
            del in_nodes[key]
            for consumer in out_nodes.get(key, []):
                if consumer in in_nodes and key in in_nodes[consumer]:
                    in_nodes[consumer].remove(key)
    return in_nodes


def get_out_nodes(in_node_dict):
    """Invert ``in_node_dict``: each node to the tuned nodes it feeds."""
    out = {key: [] for key in in_node_dict}
    for key, inputs in in_node_dict.items():
        for in_idx in inputs:
            out.setdefault(in_idx, []).append(key)
    return out
