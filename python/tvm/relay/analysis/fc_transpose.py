"""``search_fc_transpose``: weights used as ``nn.dense(x, transpose(w, [1, 0]))``."""
from ..expr import Call, Var
from .analysis import post_order_visit


def _transposed_weight(call):
    """The variable ``w`` if ``call`` is ``nn.dense(x, transpose(w, [1, 0]))``, else None."""
    if not (isinstance(call, Call) and getattr(call.op, "name", None) == "nn.dense"):
        return None
    weight = call.args[1]
    if not (isinstance(weight, Call) and getattr(weight.op, "name", None) == "transpose"):
        return None
    axes = weight.attrs.axes
    if axes is not None and [int(a) for a in axes] != [1, 0]:
        return None
    return weight.args[0] if isinstance(weight.args[0], Var) else None


def search_fc_transpose(expr):
    """Names of the variables ``w`` used as ``nn.dense(x, transpose(w, [1, 0]))``
    in ``expr``, in order of first use (0.8's ``relay.analysis.search_fc_transpose``)."""
    names = []

    def visit(node):
        var = _transposed_weight(node)
        if var is not None and var.name_hint not in names:
            names.append(var.name_hint)

    post_order_visit(expr, visit)
    return names


__all__ = ["search_fc_transpose"]
