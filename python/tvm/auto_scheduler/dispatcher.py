"""Dispatch contexts: which tuned state the compiler uses for a workload.

As upstream: a stack of context managers with a :class:`FallbackContext` at the
root. ``DispatchContext.current`` is the innermost active context;
``query(target, workload_key, has_complex_op, dag, func_name)`` asks it, then its
parents, for a state, and returns None when nobody has one (the caller then
uses the TOPI schedule). The fork's own code; states are schedule traces.
"""
import logging
import os

from tvm.contrib.target_check import COMPATIBLE, target_compatible

from .measure import MeasureErrorNo
from .utils import as_target

logger = logging.getLogger("auto_scheduler")


class DispatchContext:
    """Base class of dispatch contexts."""

    current = None
    #: Warnings already printed (shared by all contexts, printed once).
    warning_messages = set()

    def __init__(self):
        self._old_ctx = DispatchContext.current

    def query(self, target, workload_key, has_complex_op, dag, func_name):
        """The state for ``workload_key`` on ``target``, or None.

        Parameters
        ----------
        target : Union[str, Target]
        workload_key : str
        has_complex_op : bool
            Whether the workload has a reduction or another complex op.
        dag : ComputeDAG
        func_name : str
            Name of the function being compiled (for messages).
        """
        ret = self._query_inside(target, workload_key, func_name)
        if ret is None and self._old_ctx is not None:
            ret = self._old_ctx.query(target, workload_key, has_complex_op, dag, func_name)
        return ret

    def update(self, target, workload_key, state):
        """Set the state of a workload on a target."""
        raise NotImplementedError

    def _query_inside(self, target, workload_key, func_name):
        raise NotImplementedError

    def best_cost(self, target, workload_key):
        """The mean cost (seconds) of the state :meth:`query` gives, or None.

        A state set with :meth:`update` counts as cost 0 (it is always used).
        """
        ret = self._cost_inside(target, workload_key)
        if ret is None and self._old_ctx is not None:
            ret = self._old_ctx.best_cost(target, workload_key)
        return ret

    def _cost_inside(self, target, workload_key):  # pylint: disable=unused-argument
        return None

    def record_source(self, target, workload_key):
        """Where the state :meth:`query` gives for a workload comes from (``"file:line"``), or None."""
        ret = self._source_inside(target, workload_key)
        if ret is None and self._old_ctx is not None:
            ret = self._old_ctx.record_source(target, workload_key)
        return ret

    def _source_inside(self, target, workload_key):  # pylint: disable=unused-argument
        return None

    def __enter__(self):
        self._old_ctx = DispatchContext.current
        DispatchContext.current = self
        return self

    def __exit__(self, ptype, value, trace):
        DispatchContext.current = self._old_ctx


class ApplyHistoryBest(DispatchContext):
    """Apply the best state of each workload found in tuning records.

    A query matches records by workload key and target: the best record of the
    same target wins; without one, the best record of a compatible target (same
    kind and keys, e.g. tuned with another ``-mcpu``;
    :func:`tvm.contrib.target_check.target_compatible`) is used, with one info
    line per pair of targets saying so. Each record remembers where it came
    from (``file:line``, see :meth:`record_source`), so that a record that
    cannot be applied can be named.

    Parameters
    ----------
    records : Union[str, List[str], Iterable[Tuple[MeasureInput, MeasureResult]]]
        A log file, several log files, or records.
    n_lines : Optional[int]
        Read only the first ``n_lines`` records of each file.
    include_compatible : bool
        Accepted for API compatibility (workloads match by key).
    """

    def __init__(self, records, n_lines=None, include_compatible=False):
        super().__init__()
        del include_compatible
        # workload key -> target string -> (target, state, cost, source)
        self._best = {}
        self._best_user_defined = {}
        self._matches = {}
        self._noted = set()
        self.load(records, n_lines)

    def load(self, records, n_lines=None):
        """Load records (see the class parameters)."""
        from .measure_record import RecordReader  # pylint: disable=import-outside-toplevel

        if isinstance(records, (str, os.PathLike)):
            records = [records]
        counter = 0
        for item in list(records):
            if isinstance(item, (str, os.PathLike)):
                triples = RecordReader(item).iter_with_source(n_lines)
            else:
                triples = [(item[0], item[1], "<records given in memory>")]
            for inp, res, source in triples:
                counter += 1
                if res.error_no != MeasureErrorNo.NO_ERROR:
                    continue
                cost = res.mean_cost()
                target = as_target(inp.task.target)
                entry = self._best.setdefault(inp.task.workload_key, {})
                old = entry.get(str(target))
                if old is None or cost < old[2]:
                    entry[str(target)] = (target, inp.state, cost, source)
        logger.debug("ApplyHistoryBest: loaded %d records", counter)

    def _match(self, record_target, target):
        key = (str(record_target), str(target))
        if key not in self._matches:
            self._matches[key] = target_compatible(record_target, target)
        return self._matches[key]

    def _lookup(self, table, target, workload_key):
        """The best ``(target, state, cost, source)`` of a workload for ``target``, or None."""
        entries = table.get(workload_key)
        if not entries:
            return None
        target = as_target(target)
        exact = entries.get(str(target))
        if exact is not None:
            return exact
        compatible = [e for e in entries.values() if self._match(e[0], target) == COMPATIBLE]
        if not compatible:
            return None
        found = min(compatible, key=lambda e: e[2])
        note = (str(found[0]), str(target))
        if note not in self._noted:
            self._noted.add(note)
            logger.info("auto-scheduler: applying records tuned for target %s to the compatible target %s "
                        "(same kind and keys, other options)", found[0], target)
        return found

    def _query_inside(self, target, workload_key, func_name):
        found = self._lookup(self._best_user_defined, target, workload_key)
        if found is None:
            found = self._lookup(self._best, target, workload_key)
        return None if found is None else found[1]

    def _cost_inside(self, target, workload_key):
        found = self._lookup(self._best_user_defined, target, workload_key)
        if found is None:
            found = self._lookup(self._best, target, workload_key)
        return None if found is None else found[2]

    def _source_inside(self, target, workload_key):
        if self._lookup(self._best_user_defined, target, workload_key) is not None:
            return "<a state set with update()>"
        found = self._lookup(self._best, target, workload_key)
        return None if found is None else found[3]

    def update(self, target, workload_key, state):
        target = as_target(target)
        self._best_user_defined.setdefault(workload_key, {})[str(target)] = (target, state, 0.0, None)


class ApplyHistoryBestOrSample(ApplyHistoryBest):
    """Like :class:`ApplyHistoryBest`; a workload missing from the records gets a
    state sampled by a :class:`SketchPolicy` (the cost model's best guess, or the
    best of ``num_measure`` measured candidates).

    Parameters
    ----------
    records : see :class:`ApplyHistoryBest`
    sample_simple_workloads : bool = False
        Also sample workloads without a complex op.
    cost_model_file : Optional[str]
        A saved XGBModel to rank candidates (random ranking without it).
    num_measure : int = -1
        Measure this many candidates per missing workload (none when <= 0).
    """

    def __init__(self, records, sample_simple_workloads=False, cost_model_file=None, num_measure=-1):
        self.sample_simple_workloads = sample_simple_workloads
        self.num_measure = num_measure
        self.cost_model_file = cost_model_file
        super().__init__(records)

    def query(self, target, workload_key, has_complex_op, dag, func_name):
        ret = self._query_inside(target, workload_key, func_name)
        if ret is not None:
            return ret
        if not (has_complex_op or self.sample_simple_workloads) or dag is None:
            return super().query(target, workload_key, has_complex_op, dag, func_name)
        # pylint: disable=import-outside-toplevel
        from .cost_model import RandomModel, XGBModel
        from .measure import LocalBuilder, LocalRunner, ProgramMeasurer
        from .search_policy import SketchPolicy
        from .search_task import SearchTask

        if self.cost_model_file:
            model = XGBModel()
            model.load(self.cost_model_file)
        else:
            model = RandomModel()
        task = SearchTask(compute_dag=dag, workload_key=workload_key, target=target)
        policy = SketchPolicy(task, model, verbose=0)
        if self.num_measure > 0:
            measurer = ProgramMeasurer(LocalBuilder(), LocalRunner(), [], verbose=0)
            state = policy.search(self.num_measure, None, self.num_measure, measurer)
        else:
            state = policy.search(0, None, 1, None)
        if state is not None:
            self.update(target, workload_key, state)
        return state


class FallbackContext(DispatchContext):
    """The root context: has no tuned state, warns about missing workloads.

    ``verbose``: 0 silent; 1 warn once per missing workload that has a complex
    op; 2 warn once per missing workload.
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.memory = {}

    def query(self, target, workload_key, has_complex_op, dag, func_name):
        key = (str(as_target(target)), workload_key)
        if key in self.memory:
            return self.memory[key]
        if self.verbose == 2 or (has_complex_op and self.verbose == 1):
            msg = ("-----------------------------------\n%s\nCannot find tuned schedules for target=%s, "
                   "workload_key=%s. A fallback TOPI schedule is used, which may bring great performance "
                   "regression or even compilation failure. Compute DAG info:\n%s"
                   % (func_name, target, workload_key, dag))
            if msg not in DispatchContext.warning_messages:
                DispatchContext.warning_messages.add(msg)
                logger.warning(msg)
        self.memory[key] = None
        return None

    def _query_inside(self, target, workload_key, func_name):
        return None

    def update(self, target, workload_key, state):
        self.memory[(str(as_target(target)), workload_key)] = state


DispatchContext.current = FallbackContext()
