"""A forward rewriter shared by the partition, annotate and realize stages.

Each stage walks the body of a function children-first (the order of 0.8's
``ForwardRewrite``, which the conv2d counter of ``skip_conv_layers`` relies on)
and asks a per-operator rule for the new value of each call, given the new
values of its arguments. A value may be a plain expression or a stage-specific
wrapper (a "temporary expression" in 0.8's words); ``to_expr`` turns a wrapper
back into an expression where a consumer has no rule for it.
"""
from ..expr import Call, Tuple, TupleGetItem, Var, Constant
from ..function import Function
from ..op.op import Op
from ..transform._utils import post_order, use_counts


def forward_op(ref_call, args):
    """``ref_call``'s operator applied to new arguments (attrs kept)."""
    return Call(ref_call.op, list(args), ref_call.attrs, ref_call.type_args)


def rewrite_function(func, rules, to_expr, on_multi_ref=None, tuple_fields=None):
    """Rewrite ``func``'s body.

    Parameters
    ----------
    rules : dict of op name -> rule(ref_call, new_args) -> value or None
        ``None`` means "no rewrite": the call is rebuilt on ``to_expr`` of its args.
    to_expr : value -> Expr
    on_multi_ref : callable(value) -> value, optional
        Applied to the value of a node used by more than one consumer.
    tuple_fields : dict, optional
        Filled with ``id(new tuple) -> field values`` (before ``to_expr``), for
        rules of ops taking a tuple (concatenate).
    """
    body = func.body
    counts = use_counts(body) if on_multi_ref is not None else {}
    values = {}

    def arg_value(node):
        return values[id(node)]

    for node in post_order(body):
        if isinstance(node, (Var, Constant, Op)) or isinstance(node, Function):
            value = node
        elif isinstance(node, Call) and isinstance(node.op, Op):
            new_args = [arg_value(a) for a in node.args]
            rule = rules.get(node.op.name)
            value = rule(node, new_args) if rule is not None else None
            if value is None:
                value = forward_op(node, [to_expr(a) for a in new_args])
        elif isinstance(node, Call):
            value = Call(to_expr(arg_value(node.op)), [to_expr(arg_value(a)) for a in node.args],
                         node.attrs, node.type_args)
        elif isinstance(node, Tuple):
            raw = [arg_value(f) for f in node.fields]
            value = Tuple([to_expr(f) for f in raw])
            if tuple_fields is not None:
                tuple_fields[id(value)] = (value, raw)
        elif isinstance(node, TupleGetItem):
            value = TupleGetItem(to_expr(arg_value(node.tuple_value)), node.index)
        else:
            raise NotImplementedError(
                f"relay.quantize: {type(node).__name__} nodes are not supported (quantize works on "
                "dataflow graphs; run ToGraphNormalForm first)"
            )
        if on_multi_ref is not None and counts.get(id(node), 0) > 1:
            value = on_multi_ref(value)
        values[id(node)] = value
    new_body = to_expr(values[id(body)])
    return Function(func.params, new_body, None, func.type_params, func.attrs)
