"""Automatic quantization (0.8's ``relay.quantize.quantize`` and its stages).

``quantize(mod, params, dataset)`` runs, under the current :func:`qconfig`:

1. :func:`prerequisite_optimize`: bind params, SimplifyInference, FoldConstant,
   FoldScaleAxis, CanonicalizeOps, FoldConstant (batch norms become scales and
   biases folded into the weights);
2. :func:`partition`: close quantized sections with ``cast_hint``/``stop_fusion``;
3. :func:`annotate`: insert ``simulated_quantize`` where values change field;
4. :func:`calibrate`: choose their scales (``global_scale``, ``kl_divergence``,
   ``percentile``);
5. :func:`realize` (unless ``do_simulation``): the integer graph;
6. with ``partition_conversions``, split into input-quantize, integer core and
   output-dequantize functions.

The stages work on ``mod["main"]``; the rules are the Python dictionaries of
``_partition``, ``_annotate`` and ``_realize`` (0.8 kept them as op
attributes read by C++ rewriters).
"""
import tvm

from .. import expr as _expr
from .. import transform as _transform
from ..expr_functor import bind as _bind
from ..transform.pass_infra import module_pass
from ._annotate import annotate_function
from ._calibrate import calibrate
from ._config import current_qconfig, quantize_context
from ._partition import partition_function
from ._rewrite import forward_op
from ._realize import realize_function


def _main_pass(name, transform, typed=False):
    """A module pass applying ``transform(func) -> func`` to ``main``."""

    def run(mod, ctx):  # pylint: disable=unused-argument
        if typed:
            mod = _transform.InferType()(mod)
        new = mod.copy()
        new["main"] = transform(mod["main"])
        return _transform.InferType()(new)

    return module_pass(run, opt_level=1, name=name)


def partition():
    """The partition stage as a pass (0.8's ``QuantizePartition``)."""
    return _main_pass("QuantizePartition", partition_function)


def annotate():
    """The annotate stage as a pass (0.8's ``QuantizeAnnotate``)."""
    return _main_pass("QuantizeAnnotate", annotate_function, typed=True)


def realize():
    """The realize stage as a pass (0.8's ``QuantizeRealize``)."""
    return _main_pass("QuantizeRealize", realize_function, typed=True)


def _bind_params(func, params):
    """``func`` with the named params bound as constants."""
    by_name = {}
    for arg in func.params:
        by_name[arg.name_hint] = None if arg.name_hint in by_name else arg
    binds = {}
    for name, value in params.items():
        if name not in by_name:
            continue
        arg = by_name[name]
        if arg is None:
            raise ValueError(f"Multiple args in the function have name {name}")
        binds[arg] = _expr.const(value.numpy() if hasattr(value, "numpy") else value)
    return _bind(func, binds)


def prerequisite_optimize(mod, params=None):
    """Bind ``params`` then SimplifyInference, FoldConstant, FoldScaleAxis,
    CanonicalizeOps, FoldConstant (0.8's sequence)."""
    optimize = tvm.transform.Sequential(
        [
            _transform.SimplifyInference(),
            _transform.FoldConstant(),
            _transform.FoldScaleAxis(),
            _transform.CanonicalizeOps(),
            _transform.FoldConstant(),
        ]
    )
    if params:
        mod = mod.copy()
        mod["main"] = _bind_params(mod["main"], params)
    # the passes run at the caller's opt_level, as in 0.8: FoldScaleAxis and
    # CanonicalizeOps (opt_level 3) run only under PassContext(opt_level=3), so
    # at the default level a bias_add stays a (float) bias_add
    return optimize(_transform.InferType()(_f64_weights_to_f32(mod)))


def _f64_weights_to_f32(mod):
    """float64 constant weights of conv2d/conv1d/dense made float32.

    0.8's type relations of these ops did not compare the weight's dtype with
    the data's, so 0.8 scripts pass ``relay.const(np_array)`` (float64) as a
    float32 model's weight; the quantizer turns weights into int8 anyway.
    """
    import numpy as np  # pylint: disable=import-outside-toplevel
    from ..expr import Constant  # pylint: disable=import-outside-toplevel
    from ._rewrite import rewrite_function  # pylint: disable=import-outside-toplevel

    def rule(call, args):
        weight = args[1]
        if isinstance(weight, Constant) and weight.numpy().dtype == np.float64:
            return forward_op(call, [args[0], _expr.const(weight.numpy().astype("float32"))] + list(args[2:]))
        return None

    rules = {name: rule for name in ("nn.conv2d", "nn.conv1d", "nn.dense")}
    new = mod.copy()
    new["main"] = rewrite_function(mod["main"], rules, lambda v: v)
    return new


def quantize(mod, params=None, dataset=None):
    """Quantize ``mod`` under the current :func:`qconfig`.

    Parameters
    ----------
    mod : tvm.IRModule
        The float model.
    params : dict of str to array, optional
        Weights, bound as constants (so the weights can be quantized).
    dataset : list of dict of str to array, optional
        Calibration samples (input name to value) for ``kl_divergence`` and
        ``percentile``.

    Returns
    -------
    tvm.IRModule
    """
    cfg = current_qconfig()
    mod = prerequisite_optimize(mod, params)
    with quantize_context():
        mod = partition()(mod)
        mod = annotate()(mod)
        calibrate_pass = module_pass(calibrate(dataset), opt_level=1, name="QuantizeCalibrate")
        mod = _transform.InferType()(calibrate_pass(mod))
        if not cfg.do_simulation:
            mod = realize()(mod)
    with tvm.transform.PassContext(opt_level=3):
        mod = _transform.InferType()(_transform.FoldConstant()(mod))
    if cfg.partition_conversions != "disabled":
        from ._partition_conversions import partition_conversions  # pylint: disable=import-outside-toplevel

        dtypes = {cfg.dtype_input, cfg.dtype_weight, cfg.dtype_activation}
        mod = partition_conversions(mod, dtypes, cfg.partition_conversions == "fully_integral")
    return mod
