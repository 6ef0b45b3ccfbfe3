"""Node predicates and input binding of the graph tuner (0.8's contract)."""
import tvm

# Operators whose output layout is fixed by their semantics: the graph tuner
# cannot change the layout across them, so they bound its subgraphs.
_LAYOUT_FIXED_OP_NAMES = (
    "nn.batch_flatten",
    "transpose",
    "reshape",
    "vision.multibox_prior",
    "vision.multibox_transform_loc",
    "where",
    "vision.non_max_suppression",
    "strided_slice",
)


def _op_name(node_entry):
    op = node_entry["op"]
    return None if op is None else str(op.name)


def has_multiple_inputs(node_list, node_idx, input_names, opt_out_op):
    """Whether the node at ``node_idx`` has more than one data input.

    A data input is an operator's output or a graph input named in
    ``input_names``; weights and constants do not count. An input produced by
    an operator of ``opt_out_op`` counts only when that operator's own last
    input has several data inputs (the opted-out operator is looked through).
    """
    count = 0
    for in_idx, _, _ in node_list[node_idx]["inputs"]:
        producer = node_list[in_idx]
        name = _op_name(producer)
        if name is not None and name in opt_out_op:
            looked_through = False
            for t_idx, _, _ in producer["inputs"]:
                looked_through = has_multiple_inputs(node_list, t_idx, input_names, opt_out_op)
            count += int(looked_through)
        elif name is not None or producer.get("name") in input_names:
            count += 1
    return count > 1


def is_boundary_node(node_entry, input_names):
    """Whether a node bounds the tuned subgraphs: a graph input, or an
    operator that depends on the original layout (reshape, transpose, ...)."""
    return _op_name(node_entry) in _LAYOUT_FIXED_OP_NAMES or node_entry.get("name") in input_names


def is_skipped_node(node_entry):
    """Whether a node is not counted by the tuner (a tuple)."""
    from tvm import relay  # pylint: disable=import-outside-toplevel

    return isinstance(node_entry["node"], relay.Tuple)


def bind_inputs(expr, input_shapes=None, input_dtypes="float32"):
    """Give the named parameters of a Relay function new shapes and dtypes.

    Parameters
    ----------
    expr : relay.Function
    input_shapes : dict of str to tuple of int, optional
        None returns ``expr`` unchanged.
    input_dtypes : str or dict of str to str
        One dtype for all, or per parameter name.

    Returns
    -------
    relay.Function
        The function with those parameters replaced, types inferred.
    """
    from tvm import relay  # pylint: disable=import-outside-toplevel

    if input_shapes is None:
        return expr
    if isinstance(input_dtypes, str):
        input_dtypes = dict.fromkeys(input_shapes, input_dtypes)
    replace = {}
    for param in expr.params:
        name = param.name_hint
        if name in input_shapes:
            replace[param] = relay.var(name, shape=input_shapes[name], dtype=input_dtypes[name])
    bound = relay.expr.bind(expr, replace)
    if isinstance(bound, relay.Function):
        # the replacements become parameters again (after the untouched ones,
        # in the order they occur), as 0.8's bind did for a function
        params = list(bound.params)
        params += [v for v in relay.analysis.free_vars(bound.body) if not any(v.same_as(p) for p in params)]
        bound = relay.Function(params, bound.body, bound.ret_type, bound.type_params, bound.attrs)
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(bound))
    return mod["main"] if isinstance(bound, relay.Function) else mod["main"].body
