"""Measurement interfaces: inputs, results, error numbers, builders and runners.

A tuner measures a batch of :class:`MeasureInput` (target, task, config)
with ``measure_batch = create_measure_batch(task, measure_option(...))``:
the :class:`Builder` instantiates and compiles every candidate, then the
:class:`Runner` times the compiled kernels, and each candidate gets a
:class:`MeasureResult`. A failing candidate yields an error result with one of
upstream's :class:`MeasureErrorNo` numbers; it never stops the batch.
"""
import enum
from collections import namedtuple


class MeasureInput(namedtuple("MeasureInput", ["target", "task", "config"])):
    """What to measure: ``target`` (tvm.target.Target), ``task`` (Task), ``config`` (ConfigEntity)."""


class MeasureResult(namedtuple("MeasureResult", ["costs", "error_no", "all_cost", "timestamp"])):
    """Outcome of one measurement.

    Attributes
    ----------
    costs : list of float or list of str
        Run times in seconds (one per repeat), or the error message(s).
    error_no : int
        A :class:`MeasureErrorNo` (0 means success).
    all_cost : float
        Seconds spent building and running this candidate.
    timestamp : float
        When the measurement finished (seconds since the epoch).
    """


class MeasureErrorNo(enum.IntEnum):
    """Error numbers of measurement results (upstream values)."""

    NO_ERROR = 0
    INSTANTIATION_ERROR = 1
    COMPILE_HOST = 2
    COMPILE_DEVICE = 3
    RUNTIME_DEVICE = 4
    WRONG_ANSWER = 5
    BUILD_TIMEOUT = 6
    RUN_TIMEOUT = 7
    UNKNOWN_ERROR = 8


class Builder:
    """Compiles candidates.

    Parameters
    ----------
    timeout : float
        Seconds allowed per build.
    n_parallel : int, optional
        Parallel build workers (default: the CPU count).
    build_kwargs : dict, optional
    """

    def __init__(self, timeout=10, n_parallel=None, build_kwargs=None):
        import os  # pylint: disable=import-outside-toplevel

        self.timeout = timeout
        self.n_parallel = n_parallel or os.cpu_count() or 1
        self.user_build_kwargs = build_kwargs or {}
        self.runner_build_kwargs = None
        self.task = None

    def set_task(self, task, build_kwargs=None):
        """Prepare for candidates of ``task``."""
        self.task = task
        self.runner_build_kwargs = build_kwargs

    def build(self, measure_inputs):
        """Build the candidates; returns one BuildResult or MeasureResult (error) each."""
        raise NotImplementedError()


class Runner:
    """Times compiled candidates.

    Parameters
    ----------
    timeout : float
        Seconds allowed per run (all repeats).
    n_parallel : int, optional
    """

    def __init__(self, timeout=5, n_parallel=None):
        self.timeout = timeout
        self.n_parallel = n_parallel or 1
        self.task = None

    def set_task(self, task):
        """Prepare for candidates of ``task``."""
        self.task = task

    def get_build_kwargs(self):
        """Options the builder needs for this runner's device."""
        raise NotImplementedError()

    def run(self, measure_inputs, build_results):
        """Run the built candidates; returns a MeasureResult each."""
        raise NotImplementedError()


def measure_option(builder, runner):
    """Bundle a builder and a runner for ``Tuner.tune``.

    Parameters
    ----------
    builder : Builder or str
        ``"local"`` means ``LocalBuilder()``.
    runner : Runner or str
        ``"local"`` means ``LocalRunner()``.

    Examples
    --------
    .. code-block:: python

        measure_option(builder=autotvm.LocalBuilder(timeout=10),
                       runner=autotvm.LocalRunner(number=5, repeat=3, min_repeat_ms=50))
    """
    # pylint: disable=import-outside-toplevel
    from .measure_methods import LocalBuilder, LocalRunner

    if isinstance(builder, str):
        if builder != "local":
            raise ValueError(f"unknown builder {builder!r} (only 'local')")
        builder = LocalBuilder()
    if isinstance(runner, str):
        if runner != "local":
            raise ValueError(f"unknown runner {runner!r} (only 'local')")
        runner = LocalRunner()
    return {"builder": builder, "runner": runner}


def create_measure_batch(task, option):
    """A function measuring a list of MeasureInput of ``task`` with ``option``.

    The returned function has an ``n_parallel`` attribute: the batch size that
    keeps the builder busy.
    """
    builder, runner = option["builder"], option["runner"]
    runner.set_task(task)
    builder.set_task(task, runner.get_build_kwargs())

    def measure_batch(measure_inputs):
        build_results = builder.build(measure_inputs)
        return runner.run(measure_inputs, build_results)

    measure_batch.n_parallel = builder.n_parallel
    return measure_batch
