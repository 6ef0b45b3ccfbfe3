"""Splitting a quantized ``main`` into conversion and core functions (0.8's
``partition_conversions``).

The nodes of the realized ``main`` fall into three groups:

- prefix: what is computed from the inputs before the first integer value,
  and the integer values made directly from them (the input quantization);
- core: the integer values computed from those, and any float computation
  between integer ones;
- suffix: the rest (the dequantization of the results and what follows it).

The module gets ``@quantize_inputs`` (prefix), ``@quantized_main`` (core),
``@dequantize_outputs`` (suffix) and a ``@main`` calling them in turn. With
``fully_integral``, an ``AssertionError`` (0.8's) says when the core holds a
float operation, the prefix or suffix holds anything but conversions, or
nothing was quantized.
"""
from tvm.ir import IRModule

from ..expr import Call, Tuple, TupleGetItem, Var, GlobalVar
from ..function import Function
from ..op.op import Op
from ..transform._utils import post_order
from ..ty import TensorType

_CONVERSION_OPS = {"divide", "multiply", "round", "clip", "cast", "annotation.stop_fusion"}


def _dtype(node):
    ty = node.checked_type
    return str(ty.dtype) if isinstance(ty, TensorType) else None


def _args(node):
    if isinstance(node, Call):
        return list(node.args)
    if isinstance(node, Tuple):
        return list(node.fields)
    if isinstance(node, TupleGetItem):
        return [node.tuple_value]
    return []


def _rebuild(root, replace):
    """``root`` with the nodes whose id is in ``replace`` swapped for their value."""
    memo = {}
    for node in post_order(root):
        key = id(node)
        if key in replace:
            memo[key] = replace[key]
        elif isinstance(node, Call) and isinstance(node.op, Op):
            memo[key] = Call(node.op, [memo[id(a)] for a in node.args], node.attrs, node.type_args)
        elif isinstance(node, Tuple):
            memo[key] = Tuple([memo[id(f)] for f in node.fields])
        elif isinstance(node, TupleGetItem):
            memo[key] = TupleGetItem(memo[id(node.tuple_value)], node.index)
        else:
            memo[key] = node
    return memo[id(root)]


def partition_conversions(mod, quantized_dtypes, ensure_fully_integral):
    """``mod`` split as described in the module docstring."""
    func = mod["main"]
    root = func.body
    order = [n for n in post_order(root) if isinstance(n, (Call, Tuple, TupleGetItem))]
    users = {id(n): [] for n in order}
    for node in order:
        for arg in _args(node):
            if id(arg) in users:
                users[id(arg)].append(id(node))
    is_q = {id(n): _dtype(n) in quantized_dtypes for n in order}

    group = {}
    after_entry = {}
    for node in order:
        key = id(node)
        from_core = any(after_entry.get(id(a), False) or group.get(id(a)) == "entry" for a in _args(node))
        if not from_core:
            group[key] = "entry" if is_q[key] else "prefix"
        after_entry[key] = from_core
    # core: nodes after an entry from which an integer node is reachable (or integer themselves)
    reaches_q = {}
    for node in reversed(order):
        key = id(node)
        reaches_q[key] = (is_q[key] and after_entry[key]) or any(reaches_q.get(u, False) for u in users[key])
    for node in order:
        key = id(node)
        if after_entry[key]:
            group[key] = "core" if reaches_q[key] else "suffix"
    gname = {"entry": "prefix", "prefix": "prefix", "core": "core", "suffix": "suffix"}
    group = {k: gname[v] for k, v in group.items()}

    if ensure_fully_integral:
        core = [n for n in order if group[id(n)] == "core"]
        entries = [n for n in order if group[id(n)] == "prefix" and is_q[id(n)]]
        assert entries or core, "partition_conversions: nothing in the model was quantized"
        for node in core:
            assert is_q[id(node)] or isinstance(node, (Tuple, TupleGetItem)), (
                f"partition_conversions: the quantized core computes {_name(node)} in {_dtype(node)}"
            )
        for node in order:
            if group[id(node)] != "core" and isinstance(node, Call):
                assert _name(node) in _CONVERSION_OPS, (
                    f"partition_conversions: {_name(node)} is outside the quantized core "
                    "(only quantize/dequantize conversions may be)"
                )

    def outputs_of(name):
        outs = [n for n in order if group[id(n)] == name
                and (n is root or any(group[u] != name for u in users[id(n)]))]
        return outs

    new_mod = IRModule()
    inputs = list(func.params)
    # prefix
    pre_outs = outputs_of("prefix")
    pre_fn = Function(inputs, Tuple(pre_outs)) if pre_outs else None
    # core: its parameters stand for the prefix outputs (and the inputs, which it may read)
    core_outs = outputs_of("core")
    pre_vars = [Var(f"pre{i}", n.checked_type) for i, n in enumerate(pre_outs)]
    in_vars = [Var(p.name_hint, p.type_annotation or p.checked_type) for p in inputs]
    binding = {id(n): v for n, v in zip(pre_outs, pre_vars)}
    binding.update({id(p): v for p, v in zip(inputs, in_vars)})
    core_body = Tuple([_rebuild(n, binding) for n in core_outs])
    core_vars = [Var(f"core{i}", n.checked_type) for i, n in enumerate(core_outs)]
    suf_in_vars = [Var(p.name_hint, p.type_annotation or p.checked_type) for p in inputs]
    suf_pre_vars = [Var(f"pre{i}", n.checked_type) for i, n in enumerate(pre_outs)]
    suf_binding = {id(n): v for n, v in zip(pre_outs, suf_pre_vars)}
    suf_binding.update({id(n): v for n, v in zip(core_outs, core_vars)})
    suf_binding.update({id(p): v for p, v in zip(inputs, suf_in_vars)})
    suf_body = _rebuild(root, suf_binding)

    g_pre, g_core, g_suf = (GlobalVar("quantize_inputs"), GlobalVar("quantized_main"),
                            GlobalVar("dequantize_outputs"))
    main_params = [Var(p.name_hint, p.type_annotation or p.checked_type) for p in inputs]
    pre_call = Call(g_pre, main_params) if pre_fn is not None else Tuple([])
    if pre_fn is not None:
        new_mod[g_pre] = pre_fn
    pre_vals = [TupleGetItem(pre_call, i) for i in range(len(pre_outs))]
    new_mod[g_core] = Function(in_vars + pre_vars, core_body)
    core_call = Call(g_core, main_params + pre_vals)
    core_vals = [TupleGetItem(core_call, i) for i in range(len(core_outs))]
    new_mod[g_suf] = Function(suf_in_vars + suf_pre_vars + core_vars, suf_body)
    new_mod["main"] = Function(main_params, Call(g_suf, main_params + pre_vals + core_vals))
    from ..transform import InferType  # pylint: disable=import-outside-toplevel

    return InferType()(new_mod)


def _name(node):
    if isinstance(node, Call) and isinstance(node.op, Op):
        return node.op.name
    return type(node).__name__


__all__ = ["partition_conversions"]
