"""Short, human-readable descriptions of auto-scheduler tasks.

A task's ``desc`` is the name of its fused Relay function (e.g.
``fused_nn_conv2d_add_nn_relu_3``), which tells the op kinds but not the
shapes, and a table that cuts it at a fixed width shows the same text for most
tasks of a CNN. :func:`describe_task` reads the task's compute DAG instead and
names the anchor op with its shapes plus the fused epilogue, e.g.::

    conv2d 3x3 64→64 56x56 +bias+relu
    conv2d 3x3/2 64→128 28x28 wino +bias+relu
    dense 512→1000 +bias
    max_pool2d 3x3/2 64ch 56x56 +bias+relu

Spatial sizes are the output's; ``/2`` is the stride; ``wino`` marks a
Winograd convolution. :func:`describe_tasks` makes the texts of a task list
unique (a ``#k`` suffix on the rare tie).
"""
import re

# Relay op names made of several words once "." became "_" in the fused name.
_MULTI_WORD_OPS = (
    "nn_conv2d_transpose", "nn_bias_add", "nn_max_pool2d", "nn_avg_pool2d", "nn_max_pool3d",
    "nn_avg_pool3d", "nn_global_avg_pool2d", "nn_global_max_pool2d", "nn_adaptive_avg_pool2d",
    "nn_adaptive_max_pool2d", "nn_batch_flatten", "nn_batch_matmul", "nn_log_softmax",
    "nn_batch_norm", "nn_leaky_relu", "nn_depth_to_space", "nn_space_to_depth",
    "layout_transform", "expand_dims", "strided_slice", "broadcast_to", "image_resize2d",
    "fast_exp", "fast_tanh", "reverse_reshape", "one_hot", "where", "nn_contrib_conv2d_winograd_without_weight_transform",
)

_EPILOGUE_SYMBOLS = {
    "relu": "relu", "clip": "clip", "sigmoid": "sigmoid", "tanh": "tanh", "fast_tanh": "tanh",
    "exp": "exp", "fast_exp": "exp", "leaky_relu": "leaky_relu", "divide": "div",
    "subtract": "sub", "multiply": "mul", "add": "add", "bias_add": "bias", "sqrt": "sqrt",
    "negative": "neg", "cast": "cast", "round": "round", "erf": "erf", "power": "pow",
}


def fused_op_names(desc):
    """The Relay op names of a fused function name, in order, without the ``nn_`` prefix.

    ``fused_nn_conv2d_add_nn_relu_3`` -> ``["conv2d", "add", "relu"]``.
    """
    name = re.sub(r"_\d+$", "", desc or "")
    if name.startswith("fused_"):
        name = name[len("fused_"):]
    words = [w for w in name.split("_") if w]
    ops = []
    i = 0
    while i < len(words):
        for multi in sorted(_MULTI_WORD_OPS, key=len, reverse=True):
            parts = multi.split("_")
            if words[i:i + len(parts)] == parts:
                ops.append(multi)
                i += len(parts)
                break
        else:
            if words[i] == "nn" and i + 1 < len(words):
                ops.append("nn_" + words[i + 1])
                i += 2
            else:
                ops.append(words[i])
                i += 1
    return [op[3:] if op.startswith("nn_") else op for op in ops]


def _shape(tensor_or_op):
    tensor = tensor_or_op.output(0) if hasattr(tensor_or_op, "output") else tensor_or_op
    return tuple(int(d) for d in tensor.shape)


def _is_compute(op):
    return type(op).__name__ == "ComputeOp"


def _anchor(dag):
    """The op the task is about: a reduction with a known tag, else the heaviest reduction."""
    ops = [op for op in dag.ops if _is_compute(op)]
    for op in ops:
        tag = getattr(op, "tag", "") or ""
        if any(key in tag for key in ("conv2d", "conv3d", "dense", "matmul", "pool", "softmax")):
            return op
    reductions = [op for op in ops if list(getattr(op, "reduce_axis", []))]
    return reductions[-1] if reductions else (ops[-1] if ops else None)


def _layout_of(tag, in_shape, out_shape):
    tag = tag.lower()
    for layout in ("ndhwc", "ncdhw", "nhwc", "nchw"):
        if layout in tag:
            return layout.upper()
    if len(in_shape) == 4 and len(out_shape) == 4:
        if in_shape[3] == out_shape[3] and in_shape[1] != out_shape[1]:
            return "NHWC"
    return "NCHW" if len(out_shape) == 4 else ""


def _spatial(shape, layout):
    """``(channels, spatial dims)`` of an activation shape in ``layout``."""
    if layout in ("NHWC", "NDHWC"):
        return shape[-1], shape[1:-1]
    if layout in ("NCHW", "NCDHW"):
        return shape[1], shape[2:]
    return None, shape


def _dims(values):
    return "x".join(str(v) for v in values)


def _input_placeholder(op):
    """The placeholder feeding ``op`` through its first input (through pads)."""
    tensor = op.input_tensors[0] if op.input_tensors else None
    while tensor is not None and _is_compute(tensor.op):
        if not tensor.op.input_tensors:
            return None
        tensor = tensor.op.input_tensors[0]
    return tensor


def _conv_text(dag, anchor, tag, ops):
    out_shape = _shape(anchor)
    winograd = "winograd" in tag
    data = [op for op in dag.ops if not _is_compute(op)][0]
    in_shape = _shape(data)
    layout = _layout_of(tag, in_shape, out_shape)
    ci, in_sp = _spatial(in_shape, layout)
    co, out_sp = _spatial(out_shape, layout)
    depthwise = "depthwise" in tag or "depthwise" in " ".join(ops)
    if winograd:
        kernel = (3,) * len(out_sp)
    else:
        weight = anchor.input_tensors[1] if len(anchor.input_tensors) > 1 else None
        w_shape = _shape(weight) if weight is not None else ()
        if layout in ("NHWC", "NDHWC"):  # HWIO / HWCM kernels; else OIHW / CMHW
            kernel = w_shape[:len(out_sp)]
        else:
            kernel = w_shape[-len(out_sp):] if out_sp else ()
    stride = max(1, -(-in_sp[0] // out_sp[0])) if in_sp and out_sp and out_sp[0] else 1
    name = "dwconv" if depthwise else ("conv3d" if len(out_sp) == 3 else "conv2d")
    kernel_text = _dims(kernel) + (f"/{stride}" if stride > 1 else "")
    channels = f"{ci}ch" if depthwise and ci == co else f"{ci}→{co}"
    text = f"{name} {kernel_text} {channels} {_dims(out_sp)}"
    return text + (" wino" if winograd else "")


def _pool_text(dag, anchor, tag, ops):
    out_shape = _shape(anchor)
    data = _input_placeholder(anchor)
    in_shape = _shape(data) if data is not None else out_shape
    layout = _layout_of(tag, in_shape, out_shape)
    channels, out_sp = _spatial(out_shape, layout)
    _, in_sp = _spatial(in_shape, layout)
    kind = next((op for op in ops if "pool" in op), "pool")
    if kind.startswith(("global", "adaptive")):
        return f"{kind} {channels}ch {_dims(in_sp)}→{_dims(out_sp)}"
    kernel = [int(ax.dom.extent) for ax in anchor.reduce_axis]
    stride = max(1, -(-in_sp[0] // out_sp[0])) if in_sp and out_sp and out_sp[0] else 1
    kernel_text = _dims(kernel) + (f"/{stride}" if stride > 1 else "")
    return f"{kind} {kernel_text} {channels}ch {_dims(out_sp)}"


def _matmul_text(anchor, ops):
    out_shape = _shape(anchor)
    lhs = _shape(anchor.input_tensors[0])
    name = "batch_matmul" if len(out_shape) == 3 else "dense"
    if "matmul" in ops and name == "dense":
        name = "matmul"
    batch = "" if out_shape[0] == 1 or name == "batch_matmul" else f" x{out_shape[0]}"
    prefix = f"{out_shape[0]}x" if name == "batch_matmul" else ""
    return f"{name} {prefix}{lhs[-1]}→{out_shape[-1]}{batch}"


def _epilogue(dag, anchor, ops, anchor_op):
    """``+bias+relu``-style suffix of the ops fused after the anchor."""
    computes = [op for op in dag.ops if _is_compute(op)]
    after = computes[computes.index(anchor) + 1:] if anchor in computes else []
    adds = [op for op in after if op.name in ("T_add", "T_subtract")]
    try:
        rest = ops[ops.index(anchor_op) + 1:]
    except ValueError:
        rest = []
    out_size = 1
    for d in _shape(anchor):
        out_size *= d
    parts = []
    add_idx = 0
    for op in rest:
        if op in ("add", "subtract"):
            kind = "bias"
            if add_idx < len(adds):
                operands = [t for t in adds[add_idx].input_tensors if not _is_compute(t.op)]
                sizes = [1]
                for t in operands:
                    size = 1
                    for d in _shape(t):
                        size *= d
                    sizes.append(size)
                if max(sizes) >= out_size:
                    kind = "add" if op == "add" else "sub"
            add_idx += 1
            parts.append(kind)
        else:
            parts.append(_EPILOGUE_SYMBOLS.get(op, op))
    return "".join("+" + p for p in parts)


def describe_task(task):
    """A short text naming a task's op kind, shapes and fused epilogue."""
    dag = task.compute_dag
    ops = fused_op_names(getattr(task, "desc", "") or "")
    try:
        anchor = _anchor(dag)
    except Exception:  # pylint: disable=broad-except
        anchor = None
    if anchor is None:
        return " ".join(ops) or (task.desc or task.workload_key)[:40]
    tag = getattr(anchor, "tag", "") or ""
    try:
        if "conv" in tag:
            anchor_op = next((op for op in ops if "conv" in op), None)
            text = _conv_text(dag, anchor, tag, ops)
        elif "pool" in tag or "pool" in anchor.name:
            anchor_op = next((op for op in ops if "pool" in op), None)
            text = _pool_text(dag, anchor, tag, ops)
        elif "dense" in tag or "matmul" in tag:
            anchor_op = next((op for op in ops if op in ("dense", "matmul", "batch_matmul")), None)
            text = _matmul_text(anchor, ops)
        else:
            anchor_op = ops[0] if ops else None
            last = [op for op in dag.ops if _is_compute(op)][-1]
            return f"{' '.join(ops) or anchor.name} {_dims(_shape(last))}"
        epilogue = _epilogue(dag, anchor, ops, anchor_op)
        return text + (" " + epilogue if epilogue else "")
    except Exception:  # pylint: disable=broad-except
        return f"{'_'.join(ops) or anchor.name} {_dims(_shape(anchor))}"


def is_winograd(task):
    """Whether the task computes a convolution by Winograd (an op tagged so in its DAG)."""
    return any("winograd" in (getattr(op, "tag", "") or "") for op in task.compute_dag.ops)


def describe_tasks(tasks):
    """:func:`describe_task` of each task, made unique with ``#k`` suffixes."""
    texts = [describe_task(task) for task in tasks]
    seen = {}
    for text in texts:
        seen[text] = seen.get(text, 0) + 1
    counters = {}
    unique = []
    for text in texts:
        if seen[text] > 1:
            counters[text] = counters.get(text, 0) + 1
            unique.append(f"{text} #{counters[text]}")
        else:
            unique.append(text)
    return unique


__all__ = ["describe_task", "describe_tasks", "fused_op_names", "is_winograd"]
