"""Asynchronous job execution interfaces (TVM 0.8's ``autotvm.measure.executor``).

Runners measure through their own worker pool. A user can set
``runner.executor`` to an :class:`Executor` to take the runs over (e.g. a
cluster scheduler): the runner then calls ``executor.submit(run_func, ...)``
once per candidate and collects each returned future's result. A future may be
a :class:`concurrent.futures.Future` (``result()``) or a :class:`Future`
below (``get()``).
"""


class Executor:
    """Submits jobs, returning a future per job."""

    # seconds allowed for jobs that may hang
    DEFAULT_TIMEOUT = 120

    def submit(self, func, *args, **kwargs):
        """Run ``func(*args, **kwargs)`` asynchronously; returns a future of its result."""
        raise NotImplementedError()


class Future:
    """The pending result of a submitted job."""

    def done(self):
        """True once the job finished (or was cancelled)."""
        raise NotImplementedError()

    def get(self, timeout=None):
        """The job's result, blocking up to ``timeout`` seconds (None: no limit).

        Raises :class:`TimeoutError` when the time runs out.
        """
        raise NotImplementedError()


class FutureError(RuntimeError):
    """Base class of the errors of futures."""


class TimeoutError(FutureError):  # pylint: disable=redefined-builtin
    """A job did not finish in time."""
