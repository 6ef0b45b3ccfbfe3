"""ChangeBatch: 0.8's pass giving chosen parameters another batch size."""
from ..expr import Var
from ..expr_functor import ExprMutator
from ..function import Function
from ..ty import TensorType
from .pass_infra import function_pass

__all__ = ["ChangeBatch"]


@function_pass(opt_level=1)
class ChangeBatch:
    """Set the batch dimension of some parameters to ``batch_size``; the rest of the
    program is re-typed from them (a function pass: type inference runs after it).

    Parameters
    ----------
    data : dict of relay.Var to int
        The parameters to change, each with the index of its batch dimension.
    batch_size : int
        The new batch size.

    Returns
    -------
    pass : tvm.transform.Pass
    """

    def __init__(self, data, batch_size=16):
        self.data = data
        self.batch_size = batch_size

    def transform_function(self, func, mod, ctx):  # pylint: disable=unused-argument
        """``func`` with the new parameter types and no declared return type."""
        change = self

        class _Rebatch(ExprMutator):
            def visit_var(self, var):
                if var not in change.data:
                    return var
                ty = var.type_annotation
                if not isinstance(ty, TensorType):
                    raise TypeError(f"ChangeBatch: parameter {var.name_hint!r} has type {ty}, not a tensor type")
                shape = list(ty.shape)
                shape[change.data[var]] = change.batch_size
                return Var(var.name_hint, TensorType(shape, ty.dtype))

        return _Rebatch().visit(Function(func.params, func.body, None, func.type_params, func.attrs))
