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

``check_grad`` compares ``relay.transform.gradient`` (automatic differentiation)
with numerical gradients, as 0.8's. Peano numbers on the prelude's ADTs:
:mod:`.nat` (``count``, ``make_nat_value``, ``make_nat_expr``); ``Prelude``;
``to_python`` / ``run_as_python`` (:mod:`.py_converter`); :mod:`.byoc` (the
``ccompiler`` annotator). Not provided: the framework-specific helpers (``tf``,
``tflite``, ``darknet``, ``yolo_detection``).
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
from .nat import count, make_nat_expr, make_nat_value  # noqa: E402  (0.8's relay.testing names)
from tvm.testing import enabled_targets  # noqa: E402  (0.8's relay.testing.enabled_targets)
from ..prelude import Prelude  # noqa: E402  (0.8's relay.testing.Prelude)
from .py_converter import to_python, run_as_python  # noqa: E402  (0.8's relay.testing helpers)
from . import byoc  # noqa: E402  (0.8's relay.testing.byoc)


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
        Add the Relay prelude (lists, options, trees, ...) to the module first.

    Returns
    -------
    result : relay.Expr
        ``main`` if ``expr`` is a function, else ``main``'s body.
    """
    if not isinstance(opt_pass, tvm.transform.Pass):
        raise TypeError(f"run_opt_pass needs a pass (e.g. a relay pass or a Sequential), got "
                        f"{type(opt_pass).__name__}")
    if not isinstance(expr, RelayExpr):
        raise TypeError(f"run_opt_pass needs a relay expression, got {type(expr).__name__}")
    mod = IRModule.from_expr(expr)
    if import_prelude:
        from ..prelude import Prelude  # pylint: disable=import-outside-toplevel

        Prelude(mod)
    mod = _transform.InferType()(mod)
    mod = opt_pass(mod)
    entry = mod["main"]
    return entry if isinstance(expr, Function) else entry.body


def check_grad(func, inputs=None, test_inputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, scale=None,
               mean=0, mode="higher_order", target_devices=None, executor_kind="debug"):
    """Check ``relay.transform.gradient(func)`` against numerical gradients (TVM 0.8's helper).

    The gradient of ``sum(func(*inputs))`` by automatic differentiation is compared,
    input by input, with central differences
    ``sum(func(.., x + eps, ..) - func(.., x - eps, ..)) / (2 * eps)`` taken one
    element at a time, by ``np.testing.assert_allclose(atol, rtol)``.

    Parameters
    ----------
    func : relay.Function
        The function to check.
    inputs : Optional[List[np.ndarray]]
        Its arguments; by default ``mean + scale * randn`` of each parameter's type.
    test_inputs : Optional[List[np.ndarray]]
        The arguments (objects of ``inputs``) whose gradients are checked; all by default
        (leave out non-differentiable ones, such as indices).
    eps, atol, rtol : float
        Step of the central differences and the tolerances of the comparison.
    scale, mean : float
        Standard deviation (default ``10 * eps``, as 0.8) and mean of the random inputs.
    mode : str
        The gradient pass's mode (``"higher_order"`` or ``"first_order"``).
    target_devices : Optional[List[Tuple[target, device]]]
        Where to run; default ``tvm.testing.enabled_targets()``.
    executor_kind : str
        The executor of ``create_executor`` (``"debug"``, ``"vm"``, ``"graph"``).
    """
    import tvm.testing  # pylint: disable=import-outside-toplevel
    from .. import build_module  # pylint: disable=import-outside-toplevel

    fwd_func = run_infer_type(func)
    bwd_func = run_infer_type(_transform.gradient(fwd_func, mode=mode))
    if scale is None:
        scale = 10 * eps
    if inputs is None:
        inputs = [_np_randn_from_type(p.checked_type, scale=scale, mean=mean) for p in fwd_func.params]
    if test_inputs is None:
        test_inputs = inputs
    if target_devices is None:
        target_devices = tvm.testing.enabled_targets()
    positions = [next(i for i, x in enumerate(inputs) if x is t) for t in test_inputs]
    assert positions, "check_grad: no input to test"

    for target, dev in target_devices:
        bwd = build_module.create_executor(executor_kind, device=dev, target=target).evaluate(bwd_func)
        fwd = build_module.create_executor(executor_kind, device=dev, target=target).evaluate(fwd_func)
        grads = _grad_values(bwd(*inputs), len(inputs))
        for pos in positions:
            x = inputs[pos]
            numeric = np.zeros(x.shape)
            for idx in np.ndindex(*x.shape):
                saved = x[idx]
                x[idx] = saved + eps
                plus = _as_float64(fwd(*inputs))
                x[idx] = saved - eps
                minus = _as_float64(fwd(*inputs))
                x[idx] = saved
                numeric[idx] = np.sum(plus - minus) / (2 * eps)
            np.testing.assert_allclose(grads[pos], numeric, atol=atol, rtol=rtol)


def _as_float64(value):
    """A forward result as one float64 array (the fields of a tuple result concatenated)."""
    if hasattr(value, "numpy"):
        return value.numpy().astype("float64").ravel()
    if isinstance(value, np.ndarray):
        return value.astype("float64").ravel()
    return np.concatenate([_as_float64(v) for v in value]) if len(value) else np.zeros(0)


def _grad_values(result, count):
    """The ``count`` gradients of a gradient function's result ``(value, (d1..dn))``.

    The debug executor returns the nested tuple; the graph executor and the VM
    return the fields flattened, the gradients last.
    """
    if len(result) == 2 and not hasattr(result[1], "numpy") and len(result[1]) == count:
        grads = list(result[1])
    else:
        grads = list(result)[-count:]
    return [g.numpy().astype("float64") for g in grads]


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
