"""Reference networks and helpers for tests and benchmarks (upstream ``relay.testing``).

Each network module has ``get_workload(...)`` returning ``(mod, params)``:
the type-inferred :class:`tvm.IRModule` whose ``main`` takes ``data`` and the
parameters by name, initialised deterministically by
:func:`~.init.create_workload`. Topologies, parameter names and arguments
follow upstream TVM 0.8, so workloads (and the tuning tasks extracted from
them) match upstream's.

Networks: :mod:`.resnet`, :mod:`.resnet_3d`, :mod:`.mobilenet`, :mod:`.mlp`,
:mod:`.dcgan`, :mod:`.dqn`, :mod:`.vgg`, :mod:`.squeezenet`,
:mod:`.densenet`, :mod:`.inception_v3`, :mod:`.lstm`, :mod:`.synthetic`.
Helpers: :func:`create_workload`, :func:`run_opt_pass`,
:func:`run_infer_type`, :func:`rand`, :func:`count_ops`, :class:`TempOpAttr`.

``check_grad`` raises ``NotImplementedError``: it compares the gradient pass
(automatic differentiation), which this fork does not have, with numerical
gradients. Not provided (they need parts of Relay this fork does not have): the prelude and Peano numbers (``nat``; no algebraic data
types), ``to_python`` / ``run_as_python``, and the framework-specific helpers
(``tf``, ``tflite``, ``darknet``, ``yolo_detection``, ``byoc``).
"""
import collections

import numpy as np

import tvm

from .. import transform as _transform
from ..expr import RelayExpr
from ..expr_functor import ExprVisitor
from ..function import Function
from ..module import IRModule
from ..op.op import Op

from . import init, layers
from . import mlp, resnet, resnet_3d, dcgan, mobilenet
from . import dqn, vgg, squeezenet, densenet, inception_v3, synthetic, lstm
from . import temp_op_attr
from .init import create_workload, randomize_params
from .temp_op_attr import TempOpAttr


def run_opt_pass(expr, opt_pass, import_prelude=False):
    """Apply a pass to an expression and return the result.

    The expression is wrapped in a module (as ``main``), type-inferred, and
    ``opt_pass`` applied.

    Parameters
    ----------
    expr : relay.Expr
        A function or an expression (whose free variables become parameters).
    opt_pass : relay.transform.Pass
        The pass.
    import_prelude : bool, optional
        Must be False: the Relay prelude (algebraic data types) is not
        supported by this fork.

    Returns
    -------
    result : relay.Expr
        ``main`` if ``expr`` is a function, else ``main``'s body.
    """
    if not isinstance(opt_pass, _transform.Pass):
        raise TypeError(f"run_opt_pass needs a relay pass, got {type(opt_pass).__name__}")
    if import_prelude:
        raise ValueError("run_opt_pass: the Relay prelude is not supported by this fork")
    if not isinstance(expr, RelayExpr):
        raise TypeError(f"run_opt_pass needs a relay expression, got {type(expr).__name__}")
    mod = IRModule.from_expr(expr)
    mod = _transform.InferType()(mod)
    mod = opt_pass(mod)
    entry = mod["main"]
    return entry if isinstance(expr, Function) else entry.body


def check_grad(func, inputs=None, test_inputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, scale=None,
               mean=0, mode="higher_order", target_devices=None, executor_kind="debug"):
    """0.8's gradient check of ``func``: not available (raises ``NotImplementedError``).

    It compared ``relay.transform.gradient`` (automatic differentiation) with
    finite differences; the fork has no gradient pass.
    """
    del inputs, test_inputs, eps, atol, rtol, scale, mean, mode, target_devices, executor_kind
    name = getattr(func, "name_hint", None) or type(func).__name__
    raise NotImplementedError(
        f"relay.testing.check_grad({name}): Relay automatic differentiation "
        "(relay.transform.gradient) is not available in this fork"
    )


def run_infer_type(expr):
    """Type-infer an expression (see :func:`run_opt_pass`); read ``.checked_type`` of the result."""
    return run_opt_pass(expr, _transform.InferType())


def _np_randn_from_type(t, scale=1, mean=0):
    """Normal random values of tensor type ``t``: ``mean + scale * randn``."""
    res = mean + scale * np.random.randn(*(int(d) for d in t.shape))
    return np.asarray(res).astype(t.dtype)


def rand(dtype, *shape):
    """A runtime tensor of ``shape`` with uniform values in [0, 1) (``np.random.rand``).

    Parameters
    ----------
    dtype : str
        The element type.
    shape : int
        The dimensions.

    Returns
    -------
    tensor : tvm.runtime.Tensor
        On the CPU (``tvm.nd.NDArray`` in TVM 0.8 terms).
    """
    return tvm.runtime.tensor(np.random.rand(*shape).astype(dtype), tvm.cpu(0))


class _OpCounter(ExprVisitor):
    def __init__(self):
        super().__init__()
        self.counter = collections.Counter()

    def visit_call(self, call):
        if isinstance(call.op, Op):
            self.counter[call.op.name] += 1
        super().visit_call(call)


def count_ops(expr):
    """How many times each operator is called in ``expr`` (each call node once).

    Parameters
    ----------
    expr : relay.Expr or tvm.IRModule
        An expression, or a module (all its Relay functions are counted).

    Returns
    -------
    counts : collections.Counter
        Operator name to number of calls.
    """
    counter = _OpCounter()
    if isinstance(expr, IRModule):
        for func in expr.functions.values():
            if isinstance(func, RelayExpr):
                counter.visit(func)
    else:
        counter.visit(expr)
    return counter.counter
