"""The reference interpreter: an evaluator of Relay on NumPy.

It evaluates Relay expressions operator by operator with NumPy kernels written
from each operator's semantics (:mod:`.ops`), independently of TOPI and
TensorIR: no compiled kernel, schedule or lowering is involved. It serves

* as the test oracle: compiled modules (``relay.build``, TOPI kernels) are
  checked against it;
* as ``relay.create_executor("debug")`` (:func:`create_executor`);
* inside ``relay.build``: the ``FoldConstant`` pass calls :func:`eval_expr`
  to evaluate constant subexpressions at build time.

So a built module is not compiler output alone: its constant-folded values
(e.g. batch-norm scales once the parameters are bound) come from these
reference kernels, the rest from the compiled TOPI kernels. The two are
separate implementations of the same operators, which the tests check
against each other; a bug in a reference kernel can therefore reach a built
module through a folded constant.

Modules: :mod:`.interpreter` (the evaluator and :func:`eval_expr`),
:mod:`.executor` (``create_executor("debug")``), :mod:`.ops` (the kernels).
``tvm.relay.backend.interpreter`` re-exports the public names under
upstream's module path.
"""
from .executor import Executor, create_executor, to_runtime
from .interpreter import Closure, ConstructorValue, Interpreter, RefValue, eval_expr

__all__ = ["Closure", "ConstructorValue", "RefValue", "Executor", "Interpreter", "create_executor", "eval_expr", "to_runtime"]
