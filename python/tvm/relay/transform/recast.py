"""recast: 0.8's tool casting chosen operators to another data type.

Each call of an operator in ``ops`` gets its inputs cast to ``dtype``, its
``out_dtype`` attribute (if it has one) set to ``out_dtype``, and its result cast
back to the type it had, so the rest of the graph is unchanged. It is meant to
time operators at another data type (tuning, benchmarking): the numbers the
recast graph computes are not the original model's.

Layers are numbered as 0.8 numbered them: the calls of ``ops`` met on the way
from the output, counted so that the one nearest the input is layer 0 and the
one producing the output is layer ``count_layers(expr, ops) - 1``; a negative
index in ``skip_layers`` counts from that end.
"""
import tvm

from ..analysis import count_layers
from ..expr import Call, Tuple
from ..expr_functor import ExprMutator
from ..function import Function
from ..module import IRModule
from ..op import op as _op
from ..op.transform import cast
from .type_infer import InferType

__all__ = ["recast"]


class _Recast(ExprMutator):
    def __init__(self, dtype, out_dtype, ops, layer_count, skip_layers):
        super().__init__()
        self.dtype = dtype
        self.out_dtype = out_dtype
        self.ops = [_op.get(name) for name in ops]
        self.layer_count = layer_count
        self.skip_layers = {layer + layer_count if layer < 0 else layer for layer in skip_layers}
        self.depth = 0  # calls of ``ops`` between the output and the node being visited

    def visit_call(self, call):
        depth = self.depth
        layer = self.layer_count - depth - 1
        selected = call.op in self.ops
        if selected:
            self.depth += 1
        op = self.visit(call.op)
        args = []
        for arg in call.args:
            args.append(self.visit(arg))
            self.depth = depth
        if not selected or layer in self.skip_layers:
            return Call(op, args, call.attrs)
        if call.op.name == "concatenate" and isinstance(args[0], Tuple):
            new_args = [Tuple([cast(field, self.dtype) for field in args[0].fields])]
        else:
            new_args = [cast(arg, self.dtype) for arg in args]
        attrs, orig_dtype = call.attrs, None
        if attrs is not None and "out_dtype" in attrs.keys():
            if str(attrs["out_dtype"]):
                orig_dtype = str(attrs["out_dtype"])
            attrs = attrs.with_fields(out_dtype=self.out_dtype)
        if orig_dtype is None:
            typed = InferType()(IRModule.from_expr(call))["main"].body
            orig_dtype = str(typed.checked_type.dtype)
        return cast(Call(op, new_args, attrs), orig_dtype)


def recast(expr, dtype, out_dtype, ops=None, skip_layers=None):
    """Cast the calls of ``ops`` in ``expr`` to ``dtype`` (see the module docstring).

    Parameters
    ----------
    expr : relay.Expr, relay.Function or tvm.IRModule
        An IRModule's ``main`` is recast and a new module returned.
    dtype : str
        The type the chosen calls' inputs are cast to.
    out_dtype : str
        Their ``out_dtype`` attribute, where they have one.
    ops : list of str
        The operators to recast (default ``["nn.conv2d"]``).
    skip_layers : list of int
        Layers to leave as they are (see the module docstring).

    Returns
    -------
    relay.Expr, relay.Function or tvm.IRModule
        Of the kind ``expr`` is.
    """
    as_module = isinstance(expr, tvm.ir.IRModule)
    if as_module:
        expr = expr["main"]
    ops = list(ops) if ops is not None else ["nn.conv2d"]
    mutator = _Recast(dtype, out_dtype, ops, count_layers(expr, ops), list(skip_layers or []))
    result = mutator.visit(expr)
    if isinstance(result, Function) and isinstance(expr, Function):
        result = Function(result.params, result.body, None, result.type_params, result.attrs)
    return IRModule.from_expr(result) if as_module else result
