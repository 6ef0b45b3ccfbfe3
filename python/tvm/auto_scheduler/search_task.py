"""Search tasks, hardware parameters and tuning options (upstream 0.8 API).

These classes are the fork's own Python objects (upstream's were C++ nodes).
"""
import logging
import os

import numpy as np

from .compute_dag import ComputeDAG, LayoutRewriteOption
from .utils import as_target, cpu_count, target_to_str
from .workload_registry import make_workload_key, register_workload_tensors, workload_key_to_tensors

logger = logging.getLogger("auto_scheduler")

# Special input buffers of tasks (0.8's API): {workload_key: {input name: tensor}}.
# The key "default" holds buffers registered before the workload key was known.
TASK_INPUT_BUFFER_TABLE = {}


def _task_input_file(input_name):
    return "%s.task_input.npy" % input_name


def register_task_input_buffer(workload_key, input_name, input_data, overwrite=False, save_to_file=False):
    """Register the data of a special input of a task (an index buffer, say).

    Parameters
    ----------
    workload_key : str
    input_name : str
        The name of the placeholder the data is for.
    input_data : Union[tvm.runtime.Tensor, numpy.ndarray]
    overwrite : bool
        Replace data already registered under this name (otherwise that raises).
    save_to_file : bool
        Also save it as ``<input_name>.task_input.npy`` in the working directory,
        where a later :func:`get_task_input_buffer` finds it (to resume tuning).

    Returns
    -------
    The registered data.
    """
    table = TASK_INPUT_BUFFER_TABLE.setdefault(workload_key, {})
    if input_name in table and not overwrite:
        raise RuntimeError(
            "Tensor %s exists in TASK_INPUT_BUFFER_TABLE, set overwrite to True to replace it" % input_name
        )
    table[input_name] = input_data
    if save_to_file:
        data = input_data.numpy() if hasattr(input_data, "numpy") else np.asarray(input_data)
        np.save(_task_input_file(input_name), data)
    return input_data


def get_task_input_buffer(workload_key, input_name):
    """The data registered for a special input (or saved to a file, or under "default").

    Raises
    ------
    ValueError
        When no data is registered under that name.
    """
    table = TASK_INPUT_BUFFER_TABLE.setdefault(workload_key, {})
    if input_name not in table and os.path.isfile(_task_input_file(input_name)):
        import tvm  # pylint: disable=import-outside-toplevel

        table[input_name] = tvm.runtime.tensor(np.load(_task_input_file(input_name)))
    if input_name in table:
        return table[input_name]
    default = TASK_INPUT_BUFFER_TABLE.get("default", {})
    if input_name in default:
        return default[input_name]
    raise ValueError("%s not found in TASK_INPUT_BUFFER_TABLE, register it with "
                     "register_task_input_buffer" % input_name)


class HardwareParams:
    """Hardware parameters of the search (upstream fields and defaults).

    Parameters left None are filled in from the target (``num-cores``) or from
    the local machine. Only ``num_cores`` influences the CPU search here (the
    parallelisation rule); the others are kept for the API and the GPU rules.
    """

    def __init__(self, num_cores=None, vector_unit_bytes=None, cache_line_bytes=None,
                 max_shared_memory_per_block=None, max_local_memory_per_block=None,
                 max_threads_per_block=None, max_vthread_extent=None, warp_size=None,
                 target=None, target_host=None):
        target = as_target(target)
        if num_cores is None:
            num_cores = int(target.attrs["num-cores"]) if target is not None and "num-cores" in target.attrs \
                else cpu_count()
        self.num_cores = int(num_cores)
        self.vector_unit_bytes = 32 if vector_unit_bytes is None else int(vector_unit_bytes)
        self.cache_line_bytes = 64 if cache_line_bytes is None else int(cache_line_bytes)
        self.max_shared_memory_per_block = max_shared_memory_per_block or 0
        self.max_local_memory_per_block = max_local_memory_per_block or 0
        self.max_threads_per_block = max_threads_per_block or 0
        self.max_vthread_extent = max_vthread_extent or 0
        self.warp_size = warp_size or 0

    def __repr__(self):
        return "HardwareParams(num_cores=%d, vector_unit_bytes=%d, cache_line_bytes=%d)" % (
            self.num_cores, self.vector_unit_bytes, self.cache_line_bytes)


class TuningOptions:
    """Options of a tuning run (upstream names and defaults).

    Parameters
    ----------
    num_measure_trials : int = 0
        Total measurements. 0 means: only run the search, measure nothing.
    early_stopping : Optional[int]
        Stop when the best result has not improved for this many measurements.
    num_measures_per_round : int = 64
        Measurements per search round.
    verbose : int = 1
        0 silent, 1 progress.
    builder : Union[ProgramBuilder, str] = "local"
    runner : Union[ProgramRunner, str] = "local"
    measure_callbacks : Optional[List[MeasureCallback]]
        E.g. ``[RecordToFile(log_file)]``.
    time_budget : Optional[float]
        Fork addition: seconds the task scheduler may tune, whatever is left
        of ``num_measure_trials``: it starts no round that would end after the
        budget (judged by the median length of its rounds so far); a round
        under way is finished and logged. None: no limit.
    """

    def __init__(self, num_measure_trials=0, early_stopping=None, num_measures_per_round=64, verbose=1,
                 builder="local", runner="local", measure_callbacks=None, time_budget=None):
        from .measure import LocalBuilder, LocalRunner, ProgramBuilder, ProgramRunner  # pylint: disable=C0415

        if isinstance(builder, str):
            if builder != "local":
                raise ValueError("TuningOptions: unknown builder %r (use 'local' or a ProgramBuilder)" % builder)
            builder = LocalBuilder()
        elif not isinstance(builder, ProgramBuilder):
            raise TypeError("TuningOptions: builder must be 'local' or a ProgramBuilder, got %r" % (builder,))
        if isinstance(runner, str):
            if runner != "local":
                raise ValueError("TuningOptions: unknown runner %r (use 'local' or a ProgramRunner)" % runner)
            runner = LocalRunner()
        elif not isinstance(runner, ProgramRunner):
            raise TypeError("TuningOptions: runner must be 'local' or a ProgramRunner, got %r" % (runner,))
        if int(num_measures_per_round) < 1:
            raise ValueError("TuningOptions: num_measures_per_round must be positive")
        self.num_measure_trials = int(num_measure_trials)
        self.early_stopping = early_stopping
        self.num_measures_per_round = int(num_measures_per_round)
        self.verbose = int(verbose)
        self.builder = builder
        self.runner = runner
        self.measure_callbacks = list(measure_callbacks or [])
        if time_budget is not None and not float(time_budget) > 0:
            raise ValueError("TuningOptions: time_budget must be a positive number of seconds, got %r"
                             % (time_budget,))
        self.time_budget = None if time_budget is None else float(time_budget)


class SearchTask:
    """A tuning task: a compute DAG, a target and hardware parameters.

    Parameters
    ----------
    func : Optional[Union[Callable, str]]
        A function registered with :func:`register_workload` (or its name).
    args : Optional[Tuple]
        Arguments of ``func`` (none when omitted).
    compute_dag : Optional[ComputeDAG]
        The DAG, when the task is not made from a function.
    workload_key : Optional[str]
        The workload key (defaults to ``compute_dag.workload_key()``).
    target : Union[str, Target]
        The target (legacy strings such as ``"llvm -mcpu=core-avx2"`` accepted).
    target_host : Optional[Union[str, Target]]
    hardware_params : Optional[HardwareParams]
    layout_rewrite_option : Optional[int]
        A :class:`LayoutRewriteOption`; by default the target's default.
    task_inputs : Optional[Dict[str, Tensor]]
        Data of special inputs by placeholder name, registered with
        :func:`register_task_input_buffer` (``task_input_names`` lists them).
        The fork's measurement does not feed them to the candidates yet, so
        :meth:`tune` refuses a task that has some (random data for an index
        input would read out of bounds).
    task_inputs_overwrite, task_inputs_save_to_file : bool
        Passed to :func:`register_task_input_buffer`.
    desc : str
    baseline_state : Optional[Union[tvm.s_tir.Trace, str]]
        Fork addition: the TOPI schedule's state of this DAG (a schedule trace
        over ``compute_dag``, or its JSON text), or None when the task has no
        hand-written schedule. :func:`extract_tasks` sets it; the
        :class:`TaskScheduler` measures it before searching
        (``measure_baselines``), so the tuned result of a task is the better
        of its TOPI schedule and the searched ones. After unpickling it is the
        trace's JSON text, which every consumer of states accepts.
    variant_group : Optional[int]
        Fork addition: tasks of one :func:`extract_tasks` call with the same
        group are variants of the same Relay functions (Winograd and direct
        convolution); the build uses the faster, so the task scheduler counts
        the best of them in its objective. None: the task has no variant.
    """

    def __init__(self, func=None, args=None, compute_dag=None, workload_key=None, target=None, target_host=None,
                 hardware_params=None, layout_rewrite_option=None, task_inputs=None,
                 task_inputs_overwrite=False, task_inputs_save_to_file=False, desc="", baseline_state=None,
                 variant_group=None):
        if target is None:
            raise ValueError("SearchTask: a target is required")
        if func is not None:
            if args is None:
                args = ()  # a workload function without arguments (as 0.8 accepted)
            workload_key = make_workload_key(func, args)
            compute_dag = ComputeDAG(workload_key)
        elif compute_dag is None:
            if workload_key is None:
                raise ValueError("SearchTask: give func and args, a compute_dag or a workload_key")
            compute_dag = ComputeDAG(workload_key)
        if not isinstance(compute_dag, ComputeDAG):
            raise TypeError("SearchTask: compute_dag must be a ComputeDAG, got %s" % type(compute_dag).__name__)
        if workload_key is None:
            workload_key = compute_dag.workload_key()
            register_workload_tensors(workload_key, compute_dag.tensors, override=False)
        elif func is None:
            # a DAG given under a key of the caller's choosing (0.8 allowed any string):
            # records of the task can then be read back in this process
            register_workload_tensors(workload_key, compute_dag.tensors, override=False)
        self._compute_dag = compute_dag
        self.workload_key = workload_key
        self.target = as_target(target)
        self.target_host = as_target(target_host, "target_host")
        self.hardware_params = hardware_params or HardwareParams(target=self.target)
        if layout_rewrite_option is None:
            layout_rewrite_option = LayoutRewriteOption.get_target_default(self.target)
        self.layout_rewrite_option = int(layout_rewrite_option)
        self.desc = desc
        self.task_input_names = []
        for name, data in (task_inputs or {}).items():
            register_task_input_buffer(workload_key, name, data, task_inputs_overwrite, task_inputs_save_to_file)
            self.task_input_names.append(name)
        self.baseline_state = baseline_state
        self.variant_group = variant_group

    @classmethod
    def from_record(cls, workload_key, target):
        """A task read from a record: its DAG is looked up lazily in the registry."""
        task = cls.__new__(cls)
        task._compute_dag = None
        task.workload_key = workload_key
        task.target = as_target(target)
        task.target_host = None
        # as a task made by hand: the search and the cost model need num_cores
        task.hardware_params = HardwareParams(target=task.target)
        task.layout_rewrite_option = LayoutRewriteOption.get_target_default(task.target)
        task.desc = ""
        task.task_input_names = []
        task.baseline_state = None
        return task

    @property
    def compute_dag(self):
        """The ComputeDAG (resolved from the workload registry for tasks read from logs)."""
        if self._compute_dag is None:
            self._compute_dag = ComputeDAG(workload_key_to_tensors(self.workload_key))
        return self._compute_dag

    def tune(self, tuning_options, search_policy=None, adaptive_training=False):
        """Run the search with ``tuning_options``.

        Parameters
        ----------
        tuning_options : TuningOptions
        search_policy : Optional[SearchPolicy]
            Defaults to ``SketchPolicy(self, XGBModel())``.
        adaptive_training : bool
            Passed to the default XGBModel.
        """
        from .cost_model import XGBModel  # pylint: disable=import-outside-toplevel
        from .measure import ProgramMeasurer  # pylint: disable=import-outside-toplevel
        from .search_policy import SketchPolicy  # pylint: disable=import-outside-toplevel

        if not isinstance(tuning_options, TuningOptions):
            raise TypeError("tune: expected TuningOptions, got %s" % type(tuning_options).__name__)
        if self.task_input_names:
            raise NotImplementedError(
                "tune: the task has special inputs %s, which the fork's measurement does not feed to "
                "the candidates yet" % self.task_input_names)
        if search_policy is None:
            search_policy = SketchPolicy(self, XGBModel(adaptive_training=adaptive_training))
        measurer = ProgramMeasurer(tuning_options.builder, tuning_options.runner, tuning_options.measure_callbacks,
                                   tuning_options.verbose)
        return search_policy.search(tuning_options.num_measure_trials, tuning_options.early_stopping,
                                    tuning_options.num_measures_per_round, measurer)

    def apply_best(self, log_file, include_compatible=False, layout_rewrite_option=None):
        """Apply the best record of this task in a log file.

        Returns
        -------
        sch : tvm.s_tir.Schedule
        args : List[te.Tensor]
        """
        from .measure_record import load_best_record  # pylint: disable=import-outside-toplevel

        inp, _ = self._best(log_file, include_compatible, load_best_record)
        if layout_rewrite_option is None:
            layout_rewrite_option = LayoutRewriteOption.NO_REWRITE
        return self.compute_dag.apply_steps_from_state(inp.state, layout_rewrite_option)

    def _best(self, log_file, include_compatible, load_best_record):
        if not os.path.isfile(str(log_file)):
            raise FileNotFoundError("log file %s does not exist" % log_file)
        rec = load_best_record(log_file, self.workload_key, self.target, include_compatible)
        if rec is None:
            raise RuntimeError("cannot find any valid schedule for %s in %s" % (self.workload_key, log_file))
        return rec

    def print_best(self, log_file, print_mode="schedule"):
        """The Python schedule code of the best record (``print_mode="schedule"``).

        ``print_mode="cuda"`` (upstream) is not available on this machine.
        """
        from .measure_record import load_best_record  # pylint: disable=import-outside-toplevel

        if print_mode != "schedule":
            raise ValueError("print_best: only print_mode='schedule' is supported, got %r" % (print_mode,))
        inp, _ = self._best(log_file, False, load_best_record)
        return self.compute_dag.print_python_code_from_state(inp.state)

    def __getstate__(self):
        from .compute_dag import state_to_json  # pylint: disable=import-outside-toplevel
        from .workload_registry import serialize_workload_registry_entry  # pylint: disable=C0415

        try:
            entry = serialize_workload_registry_entry(self.workload_key)
        except ValueError:
            entry = None
        return {
            "compute_dag": self._compute_dag,
            "workload_key": self.workload_key,
            "target": target_to_str(self.target),
            "target_host": target_to_str(self.target_host) if self.target_host is not None else None,
            "hardware_params": self.hardware_params,
            "layout_rewrite_option": self.layout_rewrite_option,
            "desc": self.desc,
            "task_input_names": list(self.task_input_names),
            "registry_entry": entry,
            # as in measure records: tvm.ir.save_json of the trace
            "baseline_state": state_to_json(self.baseline_state) if self.baseline_state is not None else None,
            "variant_group": self.variant_group,
        }

    def __setstate__(self, state):
        from .workload_registry import deserialize_workload_registry_entry  # pylint: disable=C0415

        if state.get("registry_entry") is not None:
            deserialize_workload_registry_entry(state["registry_entry"])
        self._compute_dag = state["compute_dag"]
        self.workload_key = state["workload_key"]
        self.target = as_target(state["target"])
        self.target_host = as_target(state["target_host"]) if state["target_host"] else None
        self.hardware_params = state["hardware_params"]
        self.layout_rewrite_option = state["layout_rewrite_option"]
        self.desc = state["desc"]
        self.task_input_names = list(state.get("task_input_names", []))
        self.baseline_state = state.get("baseline_state")
        self.variant_group = state.get("variant_group")

    def __repr__(self):
        baseline = ", with baseline_state" if self.baseline_state is not None else ""
        return "SearchTask(workload_key=%s, target=%s%s)" % (self.workload_key, self.target, baseline)
