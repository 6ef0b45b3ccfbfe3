"""Helpers for testing external code generators (0.8's ``relay.testing.byoc``)."""
from .. import expr as _expr
from ..expr_functor import ExprMutator
from ..op import tensor as _tensor
from ..op.annotation import compiler_begin, compiler_end


class CcompilerAnnotator(ExprMutator):
    """Annotate each ``multiply(subtract(add(a, b), c), d)`` chain for ``ccompiler``.

    The ``add``'s operands and every variable operand of the ``subtract`` and the
    ``multiply`` get ``compiler_begin``; the ``multiply`` gets ``compiler_end``
    when an ``add`` was found below it. Other calls are left alone (as 0.8's
    annotator of the same name, used by the BYOC tests)::

        -- begin --
             |
            add
             |
          subtract
             |
          multiply
             |
         -- end --
    """

    def __init__(self):
        super().__init__()
        # 0: outside a chain, 1: below a multiply, 2: an add was annotated
        self.in_compiler = 0

    def _begin_if_var(self, value):
        return compiler_begin(value, "ccompiler") if isinstance(value, _expr.Var) else value

    def visit_call(self, call):
        name = getattr(call.op, "name", None)
        if name == "add" and self.in_compiler == 1:
            lhs = compiler_begin(super().visit(call.args[0]), "ccompiler")
            rhs = compiler_begin(super().visit(call.args[1]), "ccompiler")
            self.in_compiler = 2
            return _tensor.add(lhs, rhs)
        if name == "subtract" and self.in_compiler == 1:
            lhs = self._begin_if_var(super().visit(call.args[0]))
            rhs = self._begin_if_var(super().visit(call.args[1]))
            return _tensor.subtract(lhs, rhs)
        if name == "multiply":
            self.in_compiler = 1
            lhs = self._begin_if_var(super().visit(call.args[0]))
            rhs = self._begin_if_var(super().visit(call.args[1]))
            out = _tensor.multiply(lhs, rhs)
            if self.in_compiler == 2:
                out = compiler_end(out, "ccompiler")
            self.in_compiler = 0
            return out
        return super().visit_call(call)
