"""Dispatch contexts: which config a template uses for a (target, workload).

``DispatchContext.current`` is a stack of context managers over a root
:class:`FallbackContext`. A template (or a TOPI compute/schedule registered
with ``register_topi_compute``/``register_topi_schedule``) asks
``DispatchContext.current.query(target, workload)``; each context answers or
defers to the one it was entered over.

* :class:`ApplyConfig`: one fixed config for every query (used to instantiate
  a task with a candidate).
* :class:`ApplyHistoryBest`: the best measured config per workload from logs
  (``autotvm.apply_history_best(log)``).
* :class:`ApplyGraphBest`: the per-node records a graph tuner chose
  (``autotvm.apply_graph_best(file)``).
* :class:`FallbackContext`: a :class:`FallbackConfigEntity` per workload, with
  a warning once per workload unless ``autotvm.GLOBAL_SCOPE.silent``.
"""
import logging

import numpy as np

import tvm
from tvm.contrib.target_check import COMPATIBLE, target_compatible

from ..env import GLOBAL_SCOPE
from .space import FallbackConfigEntity

logger = logging.getLogger("autotvm")


class DispatchContext:
    """Base class of dispatch contexts (a stack entered with ``with``)."""

    current = None

    def __init__(self):
        self._old_ctx = DispatchContext.current

    def query(self, target, workload):
        """The config for ``workload`` on ``target`` (never None: the root falls back)."""
        if isinstance(target, str):
            target = tvm.target.Target(target)
        ret = self._query_inside(target, workload)
        if ret is None:
            ret = self._old_ctx.query(target, workload)
        return ret

    def update(self, target, workload, cfg):
        """Record ``cfg`` as the config of ``workload`` on ``target``."""
        raise NotImplementedError()

    def _query_inside(self, target, workload):
        raise NotImplementedError()

    def __enter__(self):
        self._old_ctx = DispatchContext.current
        DispatchContext.current = self
        return self

    def __exit__(self, ptype, value, trace):
        DispatchContext.current = self._old_ctx


class ApplyConfig(DispatchContext):
    """Answer every query with ``config`` (and remember the last workload asked)."""

    def __init__(self, config):
        super().__init__()
        self._config = config
        self.workload = None

    def _query_inside(self, target, workload):
        self.workload = workload
        return self._config

    def update(self, target, workload, cfg):
        self._config = cfg


class ApplyHistoryBest(DispatchContext):
    """Apply the best config of each workload found in tuning records.

    Parameters
    ----------
    records : str, list of str, or iterable of (MeasureInput, MeasureResult)
        Log file(s) or records. Failed measurements are ignored.

    Notes
    -----
    A query matches records by workload and target: the best config measured
    on the same target wins; without one, the best config of a compatible
    target (same kind and keys, e.g. another ``-mcpu``;
    :func:`tvm.contrib.target_check.target_compatible`) is used, with one info
    line per pair of targets saying so. Each returned config carries its
    measured mean cost as ``cfg.cost``.
    """

    def __init__(self, records):
        super().__init__()
        # workload -> target string -> (MeasureInput, MeasureResult, mean cost)
        self._best = {}
        self._best_user_defined = {}
        self._answers = {}
        self._noted = set()
        if records:
            self.load(records)

    def load(self, records):
        """Load records (file name(s) or an iterable of pairs) into the context."""
        from .. import record  # pylint: disable=import-outside-toplevel

        if isinstance(records, str) or hasattr(records, "__fspath__"):
            records = record.load_from_file(str(records))
        elif isinstance(records, list) and records and all(
            isinstance(r, str) or hasattr(r, "__fspath__") for r in records
        ):
            records = [pair for f in records for pair in record.load_from_file(str(f))]
        counter = 0
        for inp, res in records:
            counter += 1
            if res.error_no != 0 or inp.target is None:
                continue
            cost = float(np.mean(res.costs))
            entry = self._best.setdefault(inp.task.workload, {})
            best = entry.get(str(inp.target))
            if best is None or cost < best[2]:
                entry[str(inp.target)] = (inp, res, cost)
        self._answers.clear()
        logger.debug("ApplyHistoryBest: loaded %d records, %d workloads", counter, len(self._best))

    def _best_for(self, target, workload):
        """The best ``(MeasureInput, MeasureResult, cost)`` of a workload for ``target``, or None."""
        key = (str(target), workload)
        if key not in self._answers:
            entries = self._best.get(workload, {})
            found = entries.get(str(target))
            if found is None:
                compatible = [e for e in entries.values() if target_compatible(e[0].target, target) == COMPATIBLE]
                found = min(compatible, key=lambda e: e[2]) if compatible else None
                if found is not None and (str(found[0].target), str(target)) not in self._noted:
                    self._noted.add((str(found[0].target), str(target)))
                    logger.info("autotvm: applying records tuned for target %s to the compatible target %s "
                                "(same kind and keys, other options)", found[0].target, target)
            self._answers[key] = found
        return self._answers[key]

    def _query_inside(self, target, workload):
        if target is None:
            raise RuntimeError(
                "ApplyHistoryBest needs a target to choose the tuned config: "
                "use `with tvm.target.Target(...)` (relay.build does this)"
            )
        key = (str(target), workload)
        if key in self._best_user_defined:
            return self._best_user_defined[key]
        best = self._best_for(target, workload)
        if best is None:
            return None
        cfg = best[0].config
        cfg.cost = best[2]
        return cfg

    def update(self, target, workload, cfg):
        self._best_user_defined[(str(target), workload)] = cfg


def apply_history_best(log_file_or_records):
    """``ApplyHistoryBest(log_file_or_records)`` (upstream's entry point)."""
    return ApplyHistoryBest(log_file_or_records)


class ApplyGraphBest(ApplyHistoryBest):
    """Apply the records chosen by a graph tuner (``autotvm.apply_graph_best``).

    ``records`` is the file written by
    :meth:`~tvm.autotvm.graph_tuner.BaseGraphTuner.write_opt_sch2record_file`
    (or its pairs): one record per tuned node, in graph order. 0.8 handed them
    out by counting queries in node order; here a query is answered by its
    workload, because the fork's compile engine lowers identical kernels once
    and so does not query once per node. The graph tuners choose the same
    record for every node of a workload, so both ways give the same configs.
    """


def apply_graph_best(records):
    """``ApplyGraphBest(records)`` (upstream's entry point)."""
    return ApplyGraphBest(records)


class FallbackContext(DispatchContext):
    """The root context: a fallback config per workload, warned about once."""

    def __init__(self):
        super().__init__()
        self.memory = {}

    def _query_inside(self, target, workload):
        key = (str(target), workload)
        if key in self.memory:
            return self.memory[key]
        if not GLOBAL_SCOPE.silent and workload is not None:
            logger.warning(
                "Cannot find config for target=%s, workload=%s. A fallback configuration "
                "is used, which may bring great performance regression.",
                target,
                workload,
            )
        cfg = FallbackConfigEntity()
        self.memory[key] = cfg
        return cfg

    def clear_cache(self, target, workload):
        """Forget the fallback config of ``workload`` (it is rebuilt and warned about again)."""
        self.memory.pop((str(target), workload), None)

    def update(self, target, workload, cfg):
        self.memory[(str(target), workload)] = cfg

    def query(self, target, workload):
        return self._query_inside(target, workload)


DispatchContext.current = FallbackContext()


def clear_fallback_cache(target, workload):
    """Clear the root fallback context's entry for ``workload`` on ``target``."""
    context = DispatchContext.current
    while not isinstance(context, FallbackContext):
        context = context._old_ctx  # pylint: disable=protected-access
    context.clear_cache(target, workload)
