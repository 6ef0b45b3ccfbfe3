"""ONNX converters: Loop, Scan and If, resolved at conversion time.

The graph executor runs a dataflow graph without control flow, so:

* ``Loop`` is unrolled. Its trip count must be a constant (or computed from
  static shapes), and when it has a condition input, the condition must fold
  to a constant after every iteration (a loop whose exit depends on run-time
  values cannot be unrolled). Loop-carried values thread through the copies of
  the body; scan outputs are stacked along a new first axis.
* ``Scan`` (opset 9 and later) is unrolled over the static length of its scan
  inputs, honouring the axes and directions of inputs and outputs.
* ``If`` needs a condition known at conversion (a constant, or computed from
  static shapes): the taken branch is converted in place of the node.

Bodies and branches may read values of the enclosing graph by name (ONNX's
outer-scope references); see ``GraphProto.convert_subgraph``.
"""
import numpy as np

import tvm

from ..op import tensor as _tensor
from ..op import transform as _transform
from ._onnx_common import const, register

#: Unrolling a loop that has no trip count stops with an error after this many iterations.
MAX_UNROLLED_ITERATIONS = 4096


def _scalar(value, node, what):
    value = np.asarray(value)
    if value.size != 1:
        raise node.error(f"{what} must hold one value, got shape {value.shape}")
    return value.reshape(())


@register("Loop")
def _loop(node, graph):
    body = node.attr("body")
    trip, cond = node.input(0), node.input(1)
    carried = list(node.inputs[2:])
    if any(v is None for v in carried):
        raise node.error("loop-carried inputs cannot be omitted")
    trip_count = None
    if trip is not None:
        value = graph.value(trip)
        if value is None:
            raise node.unsupported("a trip count computed at run time (Loop is unrolled at "
                                   "conversion: give static shapes so the count folds)")
        trip_count = int(_scalar(value, node, "the trip count M"))
    running = True
    if cond is not None:
        value = graph.value(cond)
        if value is None:
            raise node.unsupported("an initial condition computed at run time")
        running = bool(_scalar(value, node, "the condition"))
    if trip_count is None and cond is None:
        raise node.error("has neither a trip count nor a condition (an endless loop)")
    names = [i.name for i in body.input]
    if len(names) != 2 + len(carried):
        raise node.error(f"the body takes {len(names)} inputs; it needs 2 + {len(carried)} "
                         "(iteration number, condition, loop-carried values)")
    num_outputs = len(body.output)
    num_scans = num_outputs - 1 - len(carried)
    if num_scans < 0:
        raise node.error(f"the body has {num_outputs} outputs, fewer than 1 + {len(carried)}")
    scans = [[] for _ in range(num_scans)]
    iteration = 0
    while running and (trip_count is None or iteration < trip_count):
        if trip_count is None and iteration >= MAX_UNROLLED_ITERATIONS:
            raise node.unsupported(f"a loop running more than {MAX_UNROLLED_ITERATIONS} "
                                   "iterations without a trip count")
        bindings = {names[0]: const(iteration, "int64"), names[1]: const(running, "bool")}
        bindings.update(zip(names[2:], carried))
        outputs = graph.convert_subgraph(body, bindings, node.opset)
        carried = outputs[1:1 + len(carried)]
        for k, value in enumerate(outputs[1 + len(carried):]):
            scans[k].append(value)
        if cond is not None:
            # Without a condition input the body's condition output is ignored (ONNX).
            value = graph.value(outputs[0])
            if value is None:
                raise node.unsupported(
                    "a loop condition computed at run time (Loop is unrolled at conversion; its "
                    "condition must fold to a constant after every iteration)")
            running = bool(_scalar(value, node, "the body's condition output"))
        iteration += 1
    if num_scans and iteration == 0:
        raise node.unsupported("scan outputs of a loop that runs no iteration (their element "
                               "shape is unknown)")
    return carried + [_tensor.stack(values, axis=0) for values in scans]


def _axis(value, rank, node, what):
    axis = int(value)
    if not -rank <= axis < rank:
        raise node.error(f"{what} {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


@register("Scan", opsets=(9, None))
def _scan(node, graph):
    if node.opset < 9:
        raise node.unsupported("Scan of opset 8 (batched, with sequence_lens)")
    body = node.attr("body")
    num_scan_inputs = node.attr("num_scan_inputs")
    if num_scan_inputs is None:
        raise node.error("attribute 'num_scan_inputs' is required")
    inputs = list(node.inputs)
    num_states = len(inputs) - num_scan_inputs
    if num_states < 0 or any(v is None for v in inputs):
        raise node.error(f"needs all of its inputs and at least {num_scan_inputs} of them")
    states, scan_inputs = inputs[:num_states], inputs[num_states:]
    in_axes = list(node.attr("scan_input_axes", (0,) * num_scan_inputs))
    in_dirs = list(node.attr("scan_input_directions", (0,) * num_scan_inputs))
    num_scan_outputs = len(body.output) - num_states
    out_axes = list(node.attr("scan_output_axes", (0,) * num_scan_outputs))
    out_dirs = list(node.attr("scan_output_directions", (0,) * num_scan_outputs))
    if len(in_axes) != num_scan_inputs or len(in_dirs) != num_scan_inputs or \
            len(out_axes) != num_scan_outputs or len(out_dirs) != num_scan_outputs:
        raise node.error("scan_input_axes/directions and scan_output_axes/directions must have "
                         "one entry per scan input/output")
    steps, lengths = [], set()
    for value, axis, direction in zip(scan_inputs, in_axes, in_dirs):
        shape = graph.static_shape(value, node, "scan input")
        axis = _axis(axis, len(shape), node, "scan_input_axes entry")
        lengths.add(shape[axis])
        pieces = _transform.split(value, shape[axis], axis=axis) if shape[axis] > 1 else [value]
        pieces = [_transform.squeeze(pieces[t], axis=[axis]) for t in range(shape[axis])]
        steps.append(pieces[::-1] if direction else pieces)
    if len(lengths) != 1:
        raise node.error(f"scan inputs have different lengths {sorted(lengths)}")
    length = lengths.pop()
    if length == 0:
        raise node.unsupported("scan inputs of length 0")
    names = [i.name for i in body.input]
    if len(names) != num_states + num_scan_inputs:
        raise node.error(f"the body takes {len(names)} inputs, the node gives "
                         f"{num_states + num_scan_inputs}")
    collected = [[] for _ in range(num_scan_outputs)]
    for t in range(length):
        bindings = dict(zip(names[:num_states], states))
        bindings.update(zip(names[num_states:], [pieces[t] for pieces in steps]))
        outputs = graph.convert_subgraph(body, bindings, node.opset)
        states = outputs[:num_states]
        for k, value in enumerate(outputs[num_states:]):
            collected[k].append(value)
    results = list(states)
    for values, axis, direction in zip(collected, out_axes, out_dirs):
        rank = len(graph.shape(values[0])) + 1
        axis = _axis(axis, rank, node, "scan_output_axes entry")
        results.append(_tensor.stack(values[::-1] if direction else values, axis=axis))
    return results


@register("If")
def _if(node, graph):
    cond = node.require(0, "cond")
    value = graph.value(cond)
    if value is None:
        raise tvm.error.OpNotImplemented(
            f"{node}: the condition is computed at run time; the ONNX frontend supports If only "
            "when its condition is known at conversion (a constant, or computed from static "
            "shapes), and then converts the taken branch")
    taken = "then_branch" if bool(_scalar(value, node, "cond")) else "else_branch"
    branch = node.attr(taken)
    if branch is None:
        raise node.error(f"attribute {taken!r} is required")
    return graph.convert_subgraph(branch, {}, node.opset)
