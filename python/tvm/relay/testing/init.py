"""Parameter initialisers and :func:`create_workload`.

An initialiser fills a NumPy array in place, choosing the rule from the
parameter's name suffix (``..._weight``, ``..._bias``, ``..._gamma``,
``..._beta``, ``..._moving_mean`` / ``..._mean``, ``..._moving_var`` /
``..._var``), as upstream TVM 0.8's ``relay.testing.init``.

Determinism: :func:`create_workload` seeds NumPy's global generator with
``seed`` before initialising, as upstream does, so the same network and seed
give the same weights, and initialisers written by users against
``np.random`` are deterministic too. Parameters are visited in the order of
``main``'s parameters (first use in the network), so the random stream is
consumed in the same order as upstream's.
"""
import numpy as np

import tvm

from ..module import IRModule
from ..expr import RelayExpr
from ..function import Function
from ..ty import TensorType


class Initializer:
    """Base class of the initialisers: dispatch on the name suffix.

    Subclasses override :meth:`_init_weight` (there is no generic weight
    rule) and may override the other ``_init_*`` methods.

    Parameters
    ----------
    kwargs : dict
        Settings of the initialiser, kept in ``self._kwargs``.
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs

    def __call__(self, desc, arr):
        """Fill ``arr`` in place according to the parameter name ``desc``.

        Parameters
        ----------
        desc : str
            The parameter name, e.g. ``"conv0_weight"``.
        arr : numpy.ndarray
            The array to fill (its shape and dtype are kept).
        """
        # Upstream's order of tests: a name matching several suffixes takes
        # the first rule.
        for suffix, method in (
            ("weight", self._init_weight),
            ("bias", self._init_bias),
            ("gamma", self._init_gamma),
            ("beta", self._init_beta),
            ("mean", self._init_mean),
            ("var", self._init_var),
        ):
            if desc.endswith(suffix):
                method(desc, arr)
                return
        self._init_default(desc, arr)

    def _init_bias(self, _, arr):
        arr[...] = 0.0

    def _init_gamma(self, _, arr):
        arr[...] = 1.0

    def _init_beta(self, _, arr):
        arr[...] = 0.0

    def _init_mean(self, _, arr):
        arr[...] = 0.0

    def _init_var(self, _, arr):
        arr[...] = 1.0

    def _init_weight(self, name, arr):
        raise NotImplementedError(
            f"{type(self).__name__} does not define how to initialise weight {name!r}"
        )

    def _init_default(self, name, _):
        raise ValueError(
            f"no initialisation rule for parameter {name!r}: the name must end in "
            "'weight', 'bias', 'gamma', 'beta', 'mean' or 'var'"
        )


class Xavier(Initializer):
    """Xavier (Glorot) initialisation of weights.

    Weights are drawn uniformly from ``[-s, s]`` with
    ``s = sqrt(magnitude / factor)``; ``factor`` is the fan-in, the fan-out or
    their mean, where for a weight of shape ``(d0, d1, k...)`` the fan-in is
    ``d1 * prod(k)`` and the fan-out ``d0 * prod(k)``. For a parameter whose
    name contains ``"depthwise"`` the factor is ``prod(k)`` alone (a depthwise
    filter sees one channel), as upstream.

    Parameters
    ----------
    rnd_type : str, optional
        The distribution; only ``"uniform"`` is implemented (as upstream).
    factor_type : str, optional
        ``"avg"``, ``"in"`` or ``"out"``.
    magnitude : float, optional
        Scale of the random numbers.
    """

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        if rnd_type != "uniform":
            raise ValueError(f"Xavier: unknown rnd_type {rnd_type!r}; only 'uniform' is supported")
        if factor_type not in ("avg", "in", "out"):
            raise ValueError(
                f"Xavier: unknown factor_type {factor_type!r}; use 'avg', 'in' or 'out'"
            )
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError(
                f"Xavier needs a weight of at least 2 dimensions; {name!r} has shape {shape}"
            )
        receptive = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
        fan_in = shape[1] * receptive
        fan_out = shape[0] * receptive
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[self.factor_type]
        if "depthwise" in name:
            factor = receptive
        bound = np.sqrt(self.magnitude / factor)
        arr[...] = np.random.uniform(-bound, bound, size=shape)


class Constant(Initializer):
    """Every weight element is ``1 / size``, so each weight sums to one.

    Biases, betas and means are zero, gammas and variances one, as in
    :class:`Initializer`. Useful for tests that need weights independent of
    any random stream.
    """

    def _init_weight(self, _, arr):
        arr[...] = 1.0 / max(arr.size, 1)


def _static_shape(name, ty):
    if not isinstance(ty, TensorType):
        raise TypeError(f"parameter {name!r} has type {ty}, not a tensor type")
    if ty.is_dynamic():
        raise ValueError(f"parameter {name!r} has a dynamic shape {ty.shape}; cannot initialise it")
    return tuple(int(d) for d in ty.shape)


def create_workload(net, initializer=None, seed=0):
    """Make a module of a network and initialise its parameters.

    Parameters
    ----------
    net : tvm.relay.Function or tvm.IRModule
        The network; its parameter called ``data`` is the input and is not
        initialised. Every other parameter gets a value.
    initializer : Initializer, optional
        Default: :class:`Xavier` with its defaults.
    seed : int, optional
        Seed of NumPy's global generator, set before initialising.

    Returns
    -------
    mod : tvm.IRModule
        The type-inferred module; ``mod["main"]`` is the network.
    params : dict of str to tvm.runtime.Tensor
        The parameter values by name (``tvm.nd.NDArray`` in TVM 0.8 terms), on
        the CPU.
    """
    # Imported here: the transform package imports the op library, which may
    # import this package's siblings.
    from .. import transform  # pylint: disable=import-outside-toplevel

    if isinstance(net, IRModule):
        mod = net
    elif isinstance(net, Function):
        mod = IRModule.from_expr(net)
    elif isinstance(net, RelayExpr):
        mod = IRModule.from_expr(net)
    else:
        raise TypeError(f"create_workload needs a relay Function or IRModule, got {type(net).__name__}")
    mod = transform.InferType()(mod)
    np.random.seed(seed)
    initializer = initializer if initializer is not None else Xavier()
    params = {}
    for param in mod["main"].params:
        name = param.name_hint
        if name == "data":
            continue
        ty = param.checked_type
        value = np.zeros(_static_shape(name, ty), dtype=ty.dtype)
        initializer(name, value)
        params[name] = tvm.runtime.tensor(value, tvm.cpu(0))
    return mod, params


def randomize_params(params, seed=0):
    """Random values for every parameter of a ``relay.testing`` workload.

    The fork's addition (upstream 0.8 has no counterpart): one helper for the
    benchmarks and network tests that compare outputs.

    ``create_workload`` leaves batch-norm statistics at 0/1 and biases at 0,
    which makes several ops no-ops; for tests and benchmarks whose outputs are
    compared, this gives kernels and dense weights normal values of variance
    1/fan-in, batch-norm scales and variances values in [0.5, 1.5], and shifts,
    means and biases values in [-0.2, 0.2], so every op matters and the output
    is far from uniform.

    Parameters
    ----------
    params : dict of str to tensor
        The workload's parameters (names follow ``relay.testing``'s
        ``*_gamma``/``*_beta``/``*_moving_mean``/``*_moving_var``/``*_bias``).
    seed : int

    Returns
    -------
    params : dict of str to tvm.runtime.Tensor
        New float32 values of the same shapes.
    """
    rng = np.random.default_rng(seed)
    result = {}
    for name, value in sorted(params.items()):
        shape = value.shape
        if name.endswith(("_gamma", "_moving_var")):
            array = rng.uniform(0.5, 1.5, shape)
        elif name.endswith(("_beta", "_moving_mean", "_bias")):
            array = rng.uniform(-0.2, 0.2, shape)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            array = rng.standard_normal(shape) * np.sqrt(1.0 / fan_in)
        result[name] = tvm.runtime.tensor(array.astype("float32"))
    return result
