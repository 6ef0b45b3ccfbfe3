"""Measurement of candidate schedules: builders, runners and the measurer.

All of this module is the fork's own (MetaSchedule's stock builder and runner are
not used: its builder start-up was ~47 s per candidate on the target machines).

* :class:`LocalBuilder` replays each state in the tuning process, then compiles
  and exports the scheduled module in persistent worker processes
  (:mod:`tvm.contrib.popen_pool`, jobs in :mod:`.measure_worker`),
  ``n_parallel`` at a time.
* :class:`LocalRunner` loads each library in one persistent worker, checks its
  outputs against the unscheduled program on seeded random inputs (a wrong
  result is ``WRONG_ANSWER``), then times it with the runtime's
  ``time_evaluator``.
* :class:`RPCRunner` times on the servers of an RPC tracker, ``n_parallel``
  candidates at once (:mod:`tvm.contrib.tracker_measure`).

A candidate that fails to build, crashes its worker, hangs past the timeout or
computes a wrong result becomes a :class:`MeasureResult` with an upstream
:class:`MeasureErrorNo` (the mapping shared with AutoTVM,
:func:`tvm.contrib.popen_pool.measure_error`); the worker is restarted and the
search goes on.
"""
import logging
import os
import shutil
import tempfile
import time

import tvm
from tvm.contrib.popen_pool import PopenPoolExecutor, StatusKind, error_text, measure_error
from tvm.contrib.target_check import check_target

from . import measure_worker
from .utils import cpu_count, get_const_tuple, target_to_str

logger = logging.getLogger("auto_scheduler")

#: Upper bound of the cost assigned to failed measurements (as upstream).
MAX_FLOAT = 1e10


class MeasureErrorNo:
    """Error numbers of a measurement (upstream values)."""

    NO_ERROR = 0
    INSTANTIATION_ERROR = 1
    COMPILE_HOST = 2
    COMPILE_DEVICE = 3
    RUNTIME_DEVICE = 4
    WRONG_ANSWER = 5
    BUILD_TIMEOUT = 6
    RUN_TIMEOUT = 7
    UNKNOWN_ERROR = 8


class MeasureInput:
    """A task and a state to measure.

    Parameters
    ----------
    task : SearchTask
        The task.
    state : Union[tvm.s_tir.Trace, str]
        The state: a schedule trace or its JSON text.
    """

    def __init__(self, task, state):
        self.task = task
        self.state = state
        self._mod = None  # scheduled module, when the search already has it

    def serialize(self):
        """``(workload_key, target string, state JSON)``."""
        from .compute_dag import state_to_json  # pylint: disable=import-outside-toplevel

        return self.task.workload_key, target_to_str(self.task.target), state_to_json(self.state)

    def scheduled_mod(self):
        """The scheduled IRModule of this input (replays the state if needed)."""
        if self._mod is None:
            sch, _ = self.task.compute_dag.apply_steps_from_state(self.state)
            self._mod = sch.mod
        return self._mod


def recover_measure_input(inp, rebuild_state=False):
    """A measure input whose task is rebuilt from its workload key (as TVM 0.8).

    The new task has the compute DAG of the registered workload and keeps the
    input's target (with its host), hardware parameters and layout-rewrite
    option. A state read from a record is the JSON text of a schedule trace;
    with ``rebuild_state`` it is replayed on the new task's DAG and returned as
    a :class:`tvm.s_tir.Trace` (0.8 rebuilt the stages of its loop state).
    """
    from .search_task import SearchTask  # pylint: disable=import-outside-toplevel

    task = inp.task
    new_task = SearchTask(
        workload_key=task.workload_key,
        target=task.target,
        hardware_params=task.hardware_params,
        layout_rewrite_option=task.layout_rewrite_option,
    )
    state = inp.state
    if rebuild_state:  # a State with its steps replayed, as 0.8
        state = new_task.compute_dag.infer_bound_from_state(state)
    return MeasureInput(new_task, state)


class BuildResult:
    """Result of building one input."""

    def __init__(self, filename, args, error_no, error_msg, time_cost):
        self.filename = filename
        self.args = args
        self.error_no = error_no
        self.error_msg = error_msg
        self.time_cost = time_cost


class MeasureCost(float):
    """One measured run time in seconds: a float that also has ``.value``.

    TVM 0.8 kept ``MeasureResult.costs`` as ``FloatImm`` nodes, so scripts of
    that era read ``[c.value for c in res.costs]``; plain float arithmetic keeps
    working as well.
    """

    __slots__ = ()

    @property
    def value(self):
        """The cost as a plain float (0.8's ``FloatImm.value``)."""
        return float(self)


class MeasureResult:
    """Result of measuring one input.

    Parameters
    ----------
    costs : List[float]
        Run times in seconds (one per repeat); ``[MAX_FLOAT]`` on error. Stored
        as :class:`MeasureCost` (floats with 0.8's ``.value``).
    error_no : int
        A :class:`MeasureErrorNo`.
    error_msg : Optional[str]
        What went wrong.
    all_cost : float
        Seconds spent building and running.
    timestamp : float
        When the measurement finished.
    """

    def __init__(self, costs, error_no, error_msg, all_cost, timestamp):
        self.costs = [MeasureCost(float(c)) for c in costs]
        self.error_no = int(error_no)
        self.error_msg = error_msg
        self.all_cost = float(all_cost)
        self.timestamp = float(timestamp)

    def mean_cost(self):
        return sum(self.costs) / len(self.costs) if self.costs else MAX_FLOAT

    def __repr__(self):
        return "MeasureResult(cost:%s, error_no:%d, all_cost:%.3f)" % (self.costs, self.error_no, self.all_cost)


def _arg_specs(task):
    return [(list(get_const_tuple(t.shape)), str(t.dtype)) for t in task.compute_dag.tensors]


class ProgramBuilder:
    """Base class of builders."""

    def build(self, measure_inputs, verbose=1):
        raise NotImplementedError


class ProgramRunner:
    """Base class of runners."""

    def run(self, measure_inputs, build_results, verbose=1):
        raise NotImplementedError


def _measured_module(inp):
    """The module a builder compiles for an input, and its weight transforms.

    With ``REWRITE_FOR_PRE_TRANSFORMED`` the layout-rewrite stage is taken out of
    ``main`` (its weights are then parameters in the new layout, as the Relay
    build will pass them) and each weight transform is added to the module as
    ``layout_transform_<param index>``, so that the runner can prepare inputs and
    check outputs. Otherwise the stage stays in ``main`` and is measured.
    Returns ``(module, [(param index, new shape), ...])``.
    """
    from .compute_dag import LayoutRewriteOption  # pylint: disable=import-outside-toplevel

    mod = inp.scheduled_mod()
    if inp.task.layout_rewrite_option != LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED:
        return mod, []
    from tvm.topi.generic.input_transform import extract_layout_transforms  # pylint: disable=import-outside-toplevel

    names = [t.op.name for t in inp.task.compute_dag.tensors]
    found = extract_layout_transforms(mod["main"], names)
    if not found:
        return mod, []
    from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock  # pylint: disable=import-outside-toplevel

    funcs = {"main": RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)["main"]}
    for idx, transform in found.items():
        name = "layout_transform_%d" % idx
        funcs[name] = transform.prim_func.with_attr("global_symbol", name)
    return tvm.IRModule(funcs), [(idx, list(t.new_shape)) for idx, t in sorted(found.items())]


class LocalBuilder(ProgramBuilder):
    """Build candidates in persistent local worker processes.

    Parameters
    ----------
    timeout : int = 15
        Seconds allowed to compile one candidate.
    n_parallel : int = multiprocessing.cpu_count()
        Number of build worker processes.
    build_func : Union[str, Callable] = "default"
        ``"default"`` exports a shared library with the system compiler;
        a callable ``fcompile(output, objects, options=None)`` replaces it (as
        upstream's custom build functions, e.g. for cross compilation).
    """

    def __init__(self, timeout=15, n_parallel=None, build_func="default"):
        if build_func not in ("default", "ndk") and not callable(build_func):
            raise ValueError("LocalBuilder: build_func must be 'default', 'ndk' or a callable, got %r" % (build_func,))
        if build_func == "ndk":
            from tvm.support import ndk  # pylint: disable=import-outside-toplevel

            build_func = ndk.create_shared
        self.timeout = timeout
        self.n_parallel = n_parallel if n_parallel is not None else cpu_count()
        self.build_func = build_func
        self._pool = None
        self._dir = tempfile.mkdtemp(prefix="ansor_build_")

    def _get_pool(self):
        if self._pool is None:
            self._pool = PopenPoolExecutor(self.n_parallel, self.timeout, initializer=measure_worker.warmup_build)
        return self._pool

    def build(self, measure_inputs, verbose=1):
        """Build the inputs; returns one :class:`BuildResult` per input."""
        results = [None] * len(measure_inputs)
        jobs, job_index, transforms = [], [], {}
        for i, inp in enumerate(measure_inputs):
            start = time.time()
            try:
                mod, transforms[i] = _measured_module(inp)
                mod_json = tvm.ir.save_json(mod)
            except Exception as err:  # pylint: disable=broad-except
                results[i] = BuildResult(None, [], MeasureErrorNo.INSTANTIATION_ERROR, error_text(err),
                                         time.time() - start)
                continue
            jobs.append((mod_json, target_to_str(inp.task.target), self.build_func, self._dir, False))
            job_index.append(i)
        if jobs:
            start = time.time()
            outs = self._get_pool().starmap_with_error_catching(measure_worker.build_job, jobs, self.timeout)
            for i, out in zip(job_index, outs):
                error_no, msg = measure_error(out, "build", MeasureErrorNo)
                if error_no == MeasureErrorNo.NO_ERROR:
                    path, secs = out.value
                    results[i] = BuildResult(path, transforms[i], error_no, None, secs)
                else:
                    results[i] = BuildResult(None, [], error_no, msg, time.time() - start)
        if verbose >= 1:
            for res in results:
                print("." if res.error_no == 0 else "E", end="", flush=True)
        return results

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __del__(self):
        try:
            self.close()
            shutil.rmtree(self._dir, ignore_errors=True)
        except Exception:  # pylint: disable=broad-except
            pass


class _TimedRunner(ProgramRunner):
    """The timing options every runner keeps (upstream's names): the base of the local and RPC runners."""

    def __init__(self, timeout, number, repeat, min_repeat_ms, cooldown_interval, enable_cpu_cache_flush):
        self.timeout = timeout
        self.number = number
        self.repeat = repeat
        self.min_repeat_ms = min_repeat_ms
        self.cooldown_interval = cooldown_interval
        self.enable_cpu_cache_flush = enable_cpu_cache_flush


class _TimingRunner(_TimedRunner):
    """A runner timing one candidate at a time in a persistent worker (the base of :class:`LocalRunner`)."""

    def __init__(self, timeout, number, repeat, min_repeat_ms, cooldown_interval, enable_cpu_cache_flush):
        super().__init__(timeout, number, repeat, min_repeat_ms, cooldown_interval, enable_cpu_cache_flush)
        self._pool = None

    def _job(self, inp, build_result):
        raise NotImplementedError

    def _prepare(self, measure_inputs, build_results):
        return None

    def run(self, measure_inputs, build_results, verbose=1):
        """Run the built inputs; returns one :class:`MeasureResult` per input."""
        results = [None] * len(measure_inputs)
        self._prepare(measure_inputs, build_results)
        for i, (inp, bres) in enumerate(zip(measure_inputs, build_results)):
            if bres.error_no != MeasureErrorNo.NO_ERROR:
                results[i] = MeasureResult([MAX_FLOAT], bres.error_no, bres.error_msg, bres.time_cost, time.time())
            else:
                # a run job never reports per-repeat timing beyond this budget
                budget = self.timeout + self.cooldown_interval
                start = time.time()
                out = self._pool.starmap_with_error_catching(self._job_func(), [self._job(inp, bres)], budget)[0]
                error_no, msg = measure_error(out, "run", MeasureErrorNo)
                costs = out.value[1] if error_no == MeasureErrorNo.NO_ERROR else [MAX_FLOAT]
                results[i] = MeasureResult(costs, error_no, msg, bres.time_cost + time.time() - start, time.time())
                if out.status != StatusKind.COMPLETE:
                    self._on_worker_restart()  # the worker may be a new process
                if bres.filename and os.path.exists(bres.filename):
                    os.remove(bres.filename)
            if verbose >= 1:
                print("*" if results[i].error_no == 0 else "E", end="", flush=True)
        if verbose >= 1:
            print("", flush=True)
        return results

    def _job_func(self):
        raise NotImplementedError

    def _on_worker_restart(self):
        pass

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # pylint: disable=broad-except
            pass


class LocalRunner(_TimingRunner):
    """Run candidates on the local CPU, one at a time, in a persistent worker.

    Parameters
    ----------
    timeout : int = 10
        Seconds allowed for checking and timing one candidate.
    number : int = 3
        Runs per measurement (averaged).
    repeat : int = 1
        Measurements per candidate (the costs of a result).
    min_repeat_ms : int = 100
        Minimum duration of one measurement; ``number`` grows to reach it.
    cooldown_interval : float = 0.0
        Seconds to sleep before timing each candidate.
    enable_cpu_cache_flush : bool = False
        Flush the CPU cache (all arguments but the first) before each run.
    check_correctness : bool = True
        Fork addition: compare the outputs of each candidate with the
        unscheduled program's on seeded random inputs; a mismatch is
        ``WRONG_ANSWER``.
    """

    def __init__(self, timeout=10, number=3, repeat=1, min_repeat_ms=100, cooldown_interval=0.0,
                 enable_cpu_cache_flush=False, check_correctness=True):
        super().__init__(timeout, number, repeat, min_repeat_ms, cooldown_interval, enable_cpu_cache_flush)
        self.check_correctness = check_correctness
        self._prepared = set()

    def _ensure_pool(self):
        if self._pool is None:
            self._pool = PopenPoolExecutor(1, self.timeout)
            self._prepared = set()

    def _ref_key(self, task):
        return task.workload_key + "|" + target_to_str(task.target)

    def _prepare(self, measure_inputs, build_results):
        self._ensure_pool()
        if not self.check_correctness:
            return
        for inp in measure_inputs:
            key = self._ref_key(inp.task)
            if key in self._prepared:
                continue
            dag = inp.task.compute_dag
            job = (key, tvm.ir.save_json(dag.mod), target_to_str(inp.task.target), _arg_specs(inp.task),
                   _n_outputs(dag))
            out = self._pool.starmap_with_error_catching(measure_worker.prepare_reference, [job],
                                                         max(120, 10 * self.timeout))[0]
            if out.status != StatusKind.COMPLETE:
                logger.warning("cannot compute the reference outputs of %s (%s): correctness is not checked",
                               inp.task.workload_key, error_text(out.value, 400))
            self._prepared.add(key)

    def _on_worker_restart(self):
        self._prepared = set()

    def _job_func(self):
        return measure_worker.run_job

    def _job(self, inp, build_result):
        key = self._ref_key(inp.task) if self.check_correctness else None
        return (build_result.filename, _arg_specs(inp.task), key, self.number, self.repeat, self.min_repeat_ms,
                self.cooldown_interval, self.enable_cpu_cache_flush, list(build_result.args or []))


def _n_outputs(dag):
    """Number of outputs of a DAG: the trailing non-placeholder tensors."""
    n_out = 0
    for tensor in reversed(dag.tensors):
        if isinstance(tensor.op, tvm.te.PlaceholderOp):
            break
        n_out += 1
    return n_out


class RPCRunner(_TimedRunner):
    """Run candidates on the servers registered at an RPC tracker, several at once.

    Up to ``n_parallel`` candidates are in flight, each on its own session
    requested from the tracker (so each on a different free server of
    ``key``); results come back in input order. A server that dies or hangs
    costs only its in-flight candidates (``RUNTIME_DEVICE`` or
    ``RUN_TIMEOUT``, the message names the server); a candidate that gets no
    server within ``timeout * (n_parallel + 1)`` seconds is a ``RUN_TIMEOUT``
    error (see :mod:`tvm.contrib.tracker_measure`). Outputs are not checked
    on remote devices.

    Parameters
    ----------
    key : str
        The device key at the tracker.
    host, port : str, int
        Address of the tracker.
    priority : int = 1
        Priority of the device requests (larger is served first).
    n_parallel : int = 1
        Devices used at once.
    timeout : int = 10
        Seconds allowed for timing one candidate on its server.
    number, repeat, min_repeat_ms, cooldown_interval, enable_cpu_cache_flush
        As in :class:`LocalRunner` (``min_repeat_ms`` defaults to 100).
    """

    def __init__(self, key, host, port, priority=1, n_parallel=1, timeout=10, number=3, repeat=1,
                 min_repeat_ms=100, cooldown_interval=0.0, enable_cpu_cache_flush=False):
        from tvm.contrib.tracker_measure import TrackerMeasurePool  # pylint: disable=import-outside-toplevel

        super().__init__(timeout, number, repeat, min_repeat_ms, cooldown_interval, enable_cpu_cache_flush)
        self.key = key
        self.host = host
        self.port = port
        self.priority = priority
        self.n_parallel = n_parallel
        self._servers = TrackerMeasurePool(key, host, port, priority, n_parallel,
                                           run_timeout=timeout + cooldown_interval,
                                           wait_timeout=timeout * (n_parallel + 1))

    @property
    def last_servers(self):
        """``HOST:PORT`` of the server each candidate of the last batch ran on (None: none)."""
        return self._servers.last_servers

    def _job(self, inp, build_result):
        target = inp.task.target
        device_type = target.get_target_device_type() if hasattr(target, "get_target_device_type") else 1
        specs = _arg_specs(inp.task)
        for idx, shape in build_result.args or []:
            specs[idx] = (shape, specs[idx][1])
        return (build_result.filename, specs, self.number, self.repeat, self.min_repeat_ms,
                self.cooldown_interval, self.enable_cpu_cache_flush, int(device_type))

    def run(self, measure_inputs, build_results, verbose=1):
        """Run the built inputs; returns one :class:`MeasureResult` per input, in order."""
        results = [None] * len(measure_inputs)
        jobs, job_index = [], []
        for i, (inp, bres) in enumerate(zip(measure_inputs, build_results)):
            if bres.error_no != MeasureErrorNo.NO_ERROR:
                results[i] = MeasureResult([MAX_FLOAT], bres.error_no, bres.error_msg, bres.time_cost, time.time())
            else:
                jobs.append(self._job(inp, bres))
                job_index.append(i)
        self._servers.last_servers = []
        if jobs:
            start = time.time()
            # a key without any server fails the batch at once instead of candidate by candidate
            reason = self._servers.unavailable()
            if reason is not None:
                outcomes = [(MeasureErrorNo.RUN_TIMEOUT, "run: " + reason, None)] * len(jobs)
                self._servers.last_servers = [None] * len(jobs)
            else:
                outcomes = self._servers.map(measure_worker.rpc_run_job, jobs, MeasureErrorNo)
            for i, (error_no, message, value) in zip(job_index, outcomes):
                bres = build_results[i]
                if error_no == MeasureErrorNo.NO_ERROR:
                    results[i] = MeasureResult(value[1], error_no, None, bres.time_cost + value[2], time.time())
                else:
                    results[i] = MeasureResult([MAX_FLOAT], error_no, message, bres.time_cost + time.time() - start,
                                               time.time())
                if bres.filename and os.path.exists(bres.filename):
                    os.remove(bres.filename)
        if verbose >= 1:
            print("".join("*" if res.error_no == 0 else "E" for res in results), flush=True)
        return results

    def close(self):
        """Stop the measuring processes."""
        self._servers.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # pylint: disable=broad-except
            pass


class LocalRPCMeasureContext:
    """A local RPC tracker and server, for measuring through :class:`RPCRunner`.

    Parameters as upstream: ``priority=1, n_parallel=1, timeout=10, number=3,
    repeat=1, min_repeat_ms=0, cooldown_interval=0.0, enable_cpu_cache_flush=False``.
    The tracker of the base needs the ``tornado`` package.
    """

    def __init__(self, priority=1, n_parallel=1, timeout=10, number=3, repeat=1, min_repeat_ms=0,
                 cooldown_interval=0.0, enable_cpu_cache_flush=False):
        try:
            from tvm.rpc.server import Server  # pylint: disable=import-outside-toplevel
            from tvm.rpc.tracker import Tracker  # pylint: disable=import-outside-toplevel
        except ImportError as err:
            raise ImportError("LocalRPCMeasureContext needs the base's RPC tracker: %s" % err) from err
        self.tracker = Tracker(host="127.0.0.1", port=9000, port_end=10000, silent=True)
        device_key = "$local$device$%d" % self.tracker.port
        self.server = Server(host="127.0.0.1", port=self.tracker.port + 1, port_end=10000, key=device_key,
                             silent=True, tracker_addr=("127.0.0.1", self.tracker.port))
        self.runner = RPCRunner(device_key, "127.0.0.1", self.tracker.port, priority, n_parallel, timeout, number,
                                repeat, min_repeat_ms, cooldown_interval, enable_cpu_cache_flush)
        time.sleep(0.5)

    def __del__(self):
        try:
            self.runner.close()
            self.server.terminate()
            self.tracker.terminate()
            time.sleep(0.5)
        except Exception:  # pylint: disable=broad-except
            pass


class MeasureCallback:
    """Called after each measured batch: ``callback(policy, inputs, results)``."""

    def callback(self, policy, inputs, results):
        """Handle one batch of measure inputs and their results."""
        raise NotImplementedError


class PythonBasedMeasureCallback(MeasureCallback):
    """0.8's base class for measure callbacks written in Python.

    0.8 needed it to route a C++ call into Python; here every callback is
    Python, so it only gives scripts of that era the class to subclass.
    """


class ProgramMeasurer:
    """Measure inputs with a builder and a runner, track the best, call callbacks.

    Parameters
    ----------
    builder : ProgramBuilder
    runner : ProgramRunner
    callbacks : List[MeasureCallback]
        Called as ``callback.callback(policy, inputs, results)`` after each batch.
    verbose : int
    max_continuous_error : Optional[int]
        Stop measuring a task after this many errors in a row (default 150).
    """

    def __init__(self, builder, runner, callbacks=None, verbose=1, max_continuous_error=None):
        self.builder = builder
        self.runner = runner
        self.callbacks = list(callbacks or [])
        self.verbose = verbose
        self.max_continuous_error = max_continuous_error or 150
        self.best_flops = {}
        self.best_state = {}
        self.best_ct = {}
        self.ct = 0
        self.error_ct = 0
        self.continuous_error_ct = {}

    def measure(self, task, policy, inputs):
        """Build and run ``inputs``; returns their :class:`MeasureResult` list.

        The inputs may belong to several tasks (the task scheduler measures the
        baseline states of all its tasks in one batch, so that they build in
        parallel); each result counts for its input's task. ``task`` is kept
        for upstream's signature.
        """
        del task
        if not inputs:
            return []
        targets = {str(inp.task.target): inp.task.target for inp in inputs}
        for target in targets.values():
            check_target(target, local_device=not isinstance(self.runner, RPCRunner))
        bres = self.builder.build(inputs, verbose=self.verbose)
        results = self.runner.run(inputs, bres, verbose=self.verbose)
        for inp, res in zip(inputs, results):
            self.ct += 1
            key = inp.task.workload_key
            if res.error_no == MeasureErrorNo.NO_ERROR:
                self.continuous_error_ct[key] = 0
                flops = inp.task.compute_dag.flop_ct / max(res.mean_cost(), 1e-12)
                if flops > self.best_flops.get(key, -1.0):
                    self.best_flops[key] = flops
                    self.best_state[key] = inp.state
                    self.best_ct[key] = self.ct
            else:
                self.error_ct += 1
                self.continuous_error_ct[key] = self.continuous_error_ct.get(key, 0) + 1
                logger.debug("measurement error %d: %s", res.error_no, res.error_msg)
        for callback in self.callbacks:
            callback.callback(policy, inputs, results)
        return results

    def too_many_errors(self, task):
        return self.continuous_error_ct.get(task.workload_key, 0) >= self.max_continuous_error
