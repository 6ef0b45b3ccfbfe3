"""Interleaved timing: compare the latencies of several runners on a shared machine.

A shared machine's load changes over seconds, so timing one build after the
other can make either look faster. Timing the runners in interleaved rounds
(each round runs every runner, in a rotating order) spreads the load changes
over all of them, and the median of each runner's timed runs is its latency.

Used by ``apps/tune_network.py`` (untuned vs tuned vs ONNX Runtime) and by the
benchmarks in ``bench/``: one implementation, so that their numbers compare.

Example
-------
.. code-block:: python

    from tvm.contrib.interleaved_timing import interleaved_median_ms

    untuned_ms, tuned_ms = interleaved_median_ms([untuned.run, tuned.run], rounds=10)
"""
import time

import numpy as np


def interleaved_median_ms(runners, rounds, runs_per_round=3, pause_s=0.3):
    """Median latency (ms) of each runner, timed in interleaved rounds.

    Every round gives each runner, in a rotating order, a pause, one untimed
    run (it wakes the thread pool up) and ``runs_per_round`` timed ones. The
    pause lets the previous runner's spinning worker threads go to sleep:
    measured on a 2-core machine, ONNX Runtime took 72 ms right after a TVM
    build with a 0.05 s pause and 28 ms with 0.3 s.

    Parameters
    ----------
    runners : List[Callable[[], Any]]
        Functions that each run one inference (their results are ignored).
    rounds : int
        Number of interleaved rounds.
    runs_per_round : int, optional
        Timed runs of each runner per round (default 3).
    pause_s : float, optional
        Seconds to sleep before each runner's turn (default 0.3).

    Returns
    -------
    medians : List[float]
        The median time of one run of each runner, in milliseconds, in the
        order of ``runners``.
    """
    times = [[] for _ in runners]
    for round_ in range(rounds):
        order = list(range(len(runners)))
        order = order[round_ % len(order):] + order[:round_ % len(order)]
        for idx in order:
            time.sleep(pause_s)
            runners[idx]()
            for _ in range(runs_per_round):
                start = time.perf_counter()
                runners[idx]()
                times[idx].append(time.perf_counter() - start)
    return [float(np.median(t)) * 1e3 for t in times]


__all__ = ["interleaved_median_ms"]
