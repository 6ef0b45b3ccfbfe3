"""Base class of tuners: the measure loop shared by every search strategy."""
import logging

import numpy as np

from tvm.contrib.target_check import check_target

from ..env import GLOBAL_SCOPE
from ..measure import MeasureInput, create_measure_batch
from ..measure.measure_methods import LocalRunner, RPCRunner

logger = logging.getLogger("autotvm")


def _runs_locally(runner):
    """Whether a runner runs candidates on this machine (every runner but a remote RPCRunner)."""
    return isinstance(runner, LocalRunner) or not isinstance(runner, RPCRunner)


class Tuner:
    """Search a task's config space by measuring candidates.

    Subclasses implement :meth:`next_batch`, :meth:`update` and
    :meth:`has_next`.

    Parameters
    ----------
    task : autotvm.task.Task
    """

    def __init__(self, task, **kwargs):
        self.param = kwargs
        self.recorder = None
        self.task = task
        self.best_config = None
        self.best_flops = 0
        self.best_measure_pair = None
        self.best_iter = 0
        self.ttl = None
        self.n_trial = None
        self.early_stopping = None

    def has_next(self):
        """Whether unexplored configs remain."""
        raise NotImplementedError()

    def next_batch(self, batch_size):
        """The next ``batch_size`` configs to measure."""
        raise NotImplementedError()

    def update(self, inputs, results):
        """Learn from measured ``inputs`` / ``results``."""

    def tune(self, n_trial, measure_option, early_stopping=None, callbacks=(), si_prefix="G"):
        """Measure up to ``n_trial`` configs.

        Parameters
        ----------
        n_trial : int
            Maximum number of configs to measure.
        measure_option : dict
            From ``autotvm.measure_option``.
        early_stopping : int, optional
            Stop when the best config has not improved for this many trials.
        callbacks : sequence of callable
            ``callback(tuner, inputs, results)`` after each batch
            (``autotvm.callback.log_to_file``, ``progress_bar``).
        si_prefix : str
            Unit prefix of the FLOPS shown in logs ("G" for GFLOPS).

        Raises
        ------
        ValueError
            Before anything is measured, when the task's target cannot be tuned
            for (:func:`tvm.contrib.target_check.check_target`).
        """
        if self.task.target is not None:
            check_target(self.task.target, local_device=_runs_locally(measure_option["runner"]))
        measure_batch = create_measure_batch(self.task, measure_option)
        n_parallel = getattr(measure_batch, "n_parallel", 1)
        early_stopping = early_stopping or 1e9
        self.n_trial = n_trial
        self.early_stopping = early_stopping
        scale = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[si_prefix]
        old_level = logger.level
        GLOBAL_SCOPE.in_tuning = True
        i = error_ct = 0
        try:
            while i < n_trial:
                if not self.has_next():
                    break
                configs = self.next_batch(min(n_parallel, n_trial - i))
                if not configs:
                    break
                inputs = [MeasureInput(self.task.target, self.task, config) for config in configs]
                results = measure_batch(inputs)
                for k, (inp, res) in enumerate(zip(inputs, results)):
                    config = inp.config
                    if res.error_no == 0:
                        flops = inp.task.flop / np.mean(res.costs) if inp.task.flop else 0.0
                        error_ct = 0
                    else:
                        flops = 0.0
                        error_ct += 1
                    if res.error_no == 0 and (self.best_config is None or flops > self.best_flops):
                        self.best_flops = flops
                        self.best_config = config
                        self.best_measure_pair = (inp, res)
                        self.best_iter = i + k
                    logger.debug(
                        "No: %d\t%sFLOPS: %.2f/%.2f\tresult: %s\t%s",
                        i + k + 1, si_prefix, flops / scale, self.best_flops / scale, res, config,
                    )
                i += len(results)
                self.ttl = min(early_stopping + self.best_iter, n_trial) - i
                self.update(inputs, results)
                for callback in callbacks:
                    callback(self, inputs, results)
                if i >= self.best_iter + early_stopping:
                    logger.debug("Early stopped. Best iter: %d.", self.best_iter)
                    break
                if error_ct > 150:
                    logging.getLogger("autotvm").warning(
                        "Too many errors happen in the tuning. Switching to debug mode."
                    )
                    logger.setLevel(logging.DEBUG)
                    error_ct = 0
        finally:
            GLOBAL_SCOPE.in_tuning = False
            logger.setLevel(old_level)

    def reset(self):
        """Forget the best config found so far."""
        self.best_config = None
        self.best_flops = 0
        self.best_measure_pair = None

    def load_history(self, data_set, min_seed_records=500):
        """Learn from earlier records (``(MeasureInput, MeasureResult)`` pairs)."""
        raise NotImplementedError()
