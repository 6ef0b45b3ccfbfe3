"""TVM 0.8's ``tvm.autotvm.graph_tuner`` (``DPTuner``, ``PBQPTuner``): not available.

The graph tuner chose, for a whole network, the data layout of every x86
``conv2d`` (``NCHW[x]c``) among the AutoTVM records, weighing each kernel's time
against the ``layout_transform`` s between them. It was built on the
layout-packed ``NCHWc`` AutoTVM templates and on benchmarking layout transforms
with TE schedules; neither exists on this base, and the fork's x86 schedules
choose their layout per kernel. The names exist so 0.8 scripts import; using
them raises an error that says so.
"""


class _GraphTunerUnavailable:
    def __init__(self, *args, **kwargs):
        del args, kwargs
        raise NotImplementedError(
            f"autotvm.graph_tuner.{type(self).__name__} is not available in this fork: the "
            "graph tuner relies on the NCHWc AutoTVM templates and TE schedules of TVM 0.8. "
            "Tune the kernels with AutoTVM (autotvm.apply_history_best) or the auto-scheduler."
        )


class BaseGraphTuner(_GraphTunerUnavailable):
    """0.8's base class of the graph tuners (not available)."""


class DPTuner(_GraphTunerUnavailable):
    """0.8's dynamic-programming graph tuner (not available)."""


class PBQPTuner(_GraphTunerUnavailable):
    """0.8's PBQP graph tuner (not available)."""


__all__ = ["BaseGraphTuner", "DPTuner", "PBQPTuner"]
