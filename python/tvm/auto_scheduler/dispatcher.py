"""Dispatch contexts: which tuned state the compiler uses for a workload.

As upstream: a stack of context managers with a :class:`FallbackContext` at the
root. ``DispatchContext.current`` is the innermost active context;
``query(target, workload_key, has_complex_op, dag, func_name)`` asks it, then its
parents, for a state, and returns None when nobody has one (the caller then
uses the TOPI schedule). The fork's own code; states are schedule traces.
"""
import logging
import os

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

    def __enter__(self):
        self._old_ctx = DispatchContext.current
        DispatchContext.current = self
        return self

    def __exit__(self, ptype, value, trace):
        DispatchContext.current = self._old_ctx


def _target_lookup_keys(target):
    target = as_target(target)
    keys = []
    model = target.attrs.get("model", None) if target.attrs else None
    if model:
        keys.append(("model", str(model)))
    for key in target.keys:
        keys.append(("key", str(key)))
    return keys


class ApplyHistoryBest(DispatchContext):
    """Apply the best state of each workload found in tuning records.

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
        self.best_by_targetkey = {}
        self.best_by_model = {}
        self._best_user_defined = {}
        self.load(records, n_lines)

    def load(self, records, n_lines=None):
        """Load records (see the class parameters)."""
        from .measure_record import RecordReader  # pylint: disable=import-outside-toplevel

        if isinstance(records, (str, os.PathLike)):
            records = [records]
        records = list(records)
        counter = 0
        for item in records:
            if isinstance(item, (str, os.PathLike)):
                inputs, results = RecordReader(item).read_lines(n_lines)
                pairs = zip(inputs, results)
            else:
                pairs = [item]
            for inp, res in pairs:
                counter += 1
                if res.error_no != MeasureErrorNo.NO_ERROR:
                    continue
                cost = res.mean_cost()
                for kind, key in _target_lookup_keys(inp.task.target):
                    table = self.best_by_model if kind == "model" else self.best_by_targetkey
                    entry = table.setdefault(key, {})
                    old = entry.get(inp.task.workload_key)
                    if old is None or cost < old[1]:
                        entry[inp.task.workload_key] = (inp.state, cost)
        logger.debug("ApplyHistoryBest: loaded %d records", counter)

    def _query_inside(self, target, workload_key, func_name):
        for kind, key in _target_lookup_keys(target):
            if kind == "model":
                found = self._best_user_defined.get(key, {}).get(workload_key)
                if found is None:
                    found = self.best_by_model.get(key, {}).get(workload_key)
            else:
                found = self._best_user_defined.get(key, {}).get(workload_key)
                if found is None:
                    found = self.best_by_targetkey.get(key, {}).get(workload_key)
            if found is not None:
                return found[0]
        return None

    def update(self, target, workload_key, state):
        for _, key in _target_lookup_keys(target):
            self._best_user_defined.setdefault(key, {})[workload_key] = (state, 0.0)


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
