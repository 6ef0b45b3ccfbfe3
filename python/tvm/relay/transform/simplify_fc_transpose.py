"""SimplifyFCTranspose: ``dense(x, transpose(w))`` onto a pre-transposed weight ``w.T``."""
from ..expr import Var
from ..expr_functor import ExprMutator
from ..function import Function
from ..analysis.fc_transpose import _transposed_weight
from ..ty import TensorType
from ._utils import TypedFunctionPass
from .. import op as _op


class _FCTransposeRewriter(ExprMutator):
    def __init__(self, targets):
        super().__init__()
        self.targets = set(targets)
        self.new_vars = {}  # old weight Var -> Var of the transposed weight

    def _transposed_var(self, var):
        if var not in self.new_vars:
            ttype = var.checked_type if getattr(var, "checked_type", None) is not None else var.type_annotation
            if not isinstance(ttype, TensorType) or len(ttype.shape) != 2:
                raise ValueError(f"SimplifyFCTranspose: weight {var.name_hint} needs a 2-D tensor type")
            shape = (ttype.shape[1], ttype.shape[0])
            self.new_vars[var] = Var(var.name_hint + ".T", TensorType(shape, ttype.dtype))
        return self.new_vars[var]

    def visit_call(self, call):
        var = _transposed_weight(call)
        if var is not None and var.name_hint in self.targets:
            data = self.visit(call.args[0])
            return _op.nn.dense(data, self._transposed_var(var), call.attrs.units, call.attrs.out_dtype)
        return super().visit_call(call)


def _rewrite(func, targets):
    rewriter = _FCTransposeRewriter(targets)
    body = rewriter.visit(func.body)
    if not rewriter.new_vars:
        return func
    from ..analysis import free_vars  # pylint: disable=import-outside-toplevel

    still_used = set(free_vars(body))
    params = []
    for param in func.params:
        if param in rewriter.new_vars and param not in still_used:
            params.append(rewriter.new_vars.pop(param))  # same position as the weight it replaces
        else:
            params.append(param)
    params.extend(rewriter.new_vars.values())
    return Function(params, body, None, func.type_params, func.attrs)


def SimplifyFCTranspose(target_weight):  # pylint: disable=invalid-name
    """Rewrite ``nn.dense(x, transpose(w, [1, 0]))`` into ``nn.dense(x, w.T)`` for
    the weights named in ``target_weight``; ``w.T`` is a new parameter holding the
    transposed value (0.8's ``relay.transform.SimplifyFCTranspose``).

    Parameters
    ----------
    target_weight : list of str
        Names of the weights to rewrite (see ``relay.analysis.search_fc_transpose``).

    Returns
    -------
    Pass
    """
    targets = [str(name) for name in target_weight]
    return TypedFunctionPass(0, "SimplifyFCTranspose", lambda func, _mod, _ctx: _rewrite(func, targets))


__all__ = ["SimplifyFCTranspose"]
