"""Cost models of the search (upstream 0.8 API).

:class:`XGBModel` and :class:`RandomModel` keep upstream's names and arguments;
the engine behind them is the base's MetaSchedule ``XGBModel`` (XGBoost on the
C++ per-store features) and ``RandomModel``. The fork's part is the mapping from
tasks, states and :class:`MeasureResult` to that engine: one ``TuneContext`` per
task (its feature group), shared with the task's :class:`SketchPolicy`.
"""
import logging

from . import ms_bridge

logger = logging.getLogger("auto_scheduler")


class CostModel:
    """Base class of cost models."""

    def __init__(self):
        self._contexts = {}  # workload key -> TuneContext of the task

    # the policy registers the context it built for a task
    def _context(self, task):
        ctx = self._contexts.get(task.workload_key)
        if ctx is None:
            from .search_policy import SketchPolicy  # pylint: disable=import-outside-toplevel

            ctx = ms_bridge.make_tune_context(task, SketchPolicy.DEFAULT_PARAMS, seed=None)
            self._contexts[task.workload_key] = ctx
        return ctx

    def _bind(self, task, ctx):
        self._contexts.setdefault(task.workload_key, ctx)

    @property
    def engine(self):
        """The MetaSchedule cost model behind this one."""
        raise NotImplementedError

    def update(self, inputs, results):
        """Train the model with measured inputs and their results."""
        groups = {}
        for inp, res in zip(inputs, results):
            try:
                mod = inp.scheduled_mod()
            except Exception:  # pylint: disable=broad-except
                continue
            groups.setdefault(inp.task.workload_key, (inp.task, [], []))
            _, cands, ress = groups[inp.task.workload_key]
            cands.append(ms_bridge.measure_candidate(mod))
            ress.append(ms_bridge.runner_result(res))
        for task, cands, ress in groups.values():
            self.engine.update(self._context(task), cands, ress)

    def predict(self, search_task, states):
        """Predicted scores of states (higher is better)."""
        mods = []
        for state in states:
            sch, _ = search_task.compute_dag.apply_steps_from_state(state)
            mods.append(sch.mod)
        cands = [ms_bridge.measure_candidate(m) for m in mods]
        return [float(x) for x in self.engine.predict(self._context(search_task), cands)]

    def update_from_file(self, file_name, n_lines=None):
        """Train the model with the records of a log file (tasks must be registered)."""
        from .measure_record import RecordReader  # pylint: disable=import-outside-toplevel

        inputs, results = RecordReader(file_name).read_lines(n_lines)
        usable_in, usable_res = [], []
        for inp, res in zip(inputs, results):
            try:
                inp.task.compute_dag  # pylint: disable=pointless-statement
            except ValueError:
                continue
            usable_in.append(inp)
            usable_res.append(res)
        self.update(usable_in, usable_res)

    def save(self, file_name):
        self.engine.save(file_name)

    def load(self, file_name):
        self.engine.load(file_name)


class RandomModel(CostModel):
    """A model that predicts random scores."""

    def __init__(self):
        super().__init__()
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            self._engine = ms_bridge._ms().cost_model.RandomModel()  # pylint: disable=protected-access
        return self._engine


class XGBModel(CostModel):
    """XGBoost cost model (MetaSchedule's, on the per-store features).

    Parameters
    ----------
    verbose_eval : int = 25
        Print training metrics every this many boosting rounds.
    num_warmup_sample : int = 100
        Measurements before the model is trained (random scores until then).
    seed : Optional[int]
        Random seed of XGBoost.
    model_file : Optional[str]
        Save the model to this file after each update.
    adaptive_training : bool = False
        Retrain only when enough new data came in.
    """

    def __init__(self, verbose_eval=25, num_warmup_sample=100, seed=None, model_file=None,
                 adaptive_training=False, adapative_training=None):
        super().__init__()
        if adapative_training is not None:  # upstream's misspelt argument name
            adaptive_training = adapative_training
        self.verbose_eval = verbose_eval
        self.num_warmup_sample = num_warmup_sample
        self.seed = seed
        self.model_file = model_file
        self.adaptive_training = adaptive_training
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            ms = ms_bridge._ms()  # pylint: disable=protected-access
            from tvm.s_tir.meta_schedule.cost_model.xgb_model import XGBConfig  # pylint: disable=C0415

            config = XGBConfig(seed=self.seed if self.seed is not None else 43)
            self._engine = ms.cost_model.XGBModel(
                config=config, num_warmup_samples=self.num_warmup_sample, verbose_eval=self.verbose_eval,
                adaptive_training=self.adaptive_training)
        return self._engine

    def update(self, inputs, results):
        super().update(inputs, results)
        if self.model_file:
            self.save(self.model_file)
