"""Local builder, local runner and RPC runner.

* :class:`LocalBuilder`: the main process instantiates each candidate (runs
  the template with the config: cheap, and it keeps templates out of the
  workers), then ``n_parallel`` persistent workers compile the scheduled
  modules with ``tvm.compile`` and export shared libraries.
* :class:`LocalRunner`: one persistent, isolated worker loads each library and
  times it with ``time_evaluator``.
* :class:`RPCRunner`: ``n_parallel`` workers, each uploading one library at a
  time to its own server obtained from an RPC tracker
  (``python -m tvm.exec.rpc_tracker`` / ``rpc_server``) and timing it there
  (:mod:`tvm.contrib.tracker_measure`).

The workers are :mod:`tvm.contrib.popen_pool`'s (the jobs are in :mod:`.jobs`).
A crash or hang kills only the worker (it is replaced) and becomes an error
result with upstream's error number, through the mapping shared with the
auto-scheduler (:func:`tvm.contrib.popen_pool.measure_error`).
"""
import logging
import os
import shutil
import tempfile
import time

import numpy as np

import tvm
from tvm import te
from tvm.contrib.popen_pool import PopenPoolExecutor, StatusKind, measure_error

from ..task.space import InstantiationError
from . import jobs
from .measure import Builder, MeasureErrorNo, MeasureResult, Runner

logger = logging.getLogger("autotvm")


class BuildResult:
    """A compiled candidate.

    Attributes
    ----------
    filename : str
        The exported shared library.
    arg_info : list of (shape, dtype)
        The kernel's arguments.
    error : Exception or None
    time_cost : float
        Seconds spent instantiating and compiling.
    """

    def __init__(self, filename, arg_info, error, time_cost):
        self.filename = filename
        self.arg_info = arg_info
        self.error = error
        self.time_cost = time_cost

    def __repr__(self):
        return f"BuildResult({self.filename}, error={self.error}, time_cost={self.time_cost:.3f})"


def _arg_info(tensors):
    return [([int(d) for d in t.shape], str(t.dtype)) for t in tensors]


def _error_result(error_no, message, start):
    now = time.time()
    return MeasureResult((str(message)[:2000],), int(error_no), now - start, now)


def _pool_result(out, stage, start):
    """The MeasureResult of a pool outcome: a failed build, or a run."""
    error_no, message = measure_error(out, stage, MeasureErrorNo)
    if error_no != MeasureErrorNo.NO_ERROR:
        return _error_result(error_no, message, start)
    now = time.time()
    return MeasureResult(tuple(out.value[1]), int(error_no), now - start, now)


class LocalBuilder(Builder):
    """Compile candidates in parallel worker processes.

    Parameters
    ----------
    timeout : float
        Seconds allowed per compilation (the worker is killed beyond).
    n_parallel : int, optional
        Number of build workers (default: CPU count).
    build_kwargs : dict, optional
        Kept for API compatibility; must be empty (``tvm.compile`` takes no
        extra options here).
    build_func : str
        Only ``"default"`` (a shared library made by ``export_library``);
        upstream's ``"ndk"`` is not supported.
    do_fork : bool
        Ignored: builds always run in persistent worker processes.
    runtime : None
        Upstream's runtime selection; only None is supported.
    """

    def __init__(self, timeout=10, n_parallel=None, build_kwargs=None, build_func="default",
                 do_fork=False, runtime=None):
        super().__init__(timeout, n_parallel)
        if build_func != "default":
            raise ValueError(f"build_func {build_func!r} is not supported (only 'default')")
        if build_kwargs:
            raise ValueError(f"build_kwargs are not supported, got {sorted(build_kwargs)}")
        if runtime is not None:
            raise ValueError("LocalBuilder(runtime=...) is not supported")
        del do_fork
        self.pool = None
        self.tmp_dir = tempfile.mkdtemp(prefix="autotvm_build_")
        self._count = 0

    def set_task(self, task, build_kwargs=None):
        super().set_task(task, build_kwargs)
        self._get_pool().start()  # boots in the background while the tuner prepares

    def _get_pool(self):
        if self.pool is None:
            self.pool = PopenPoolExecutor(self.n_parallel, self.timeout)
        return self.pool

    def build(self, measure_inputs):
        results = [None] * len(measure_inputs)
        todo, job_index, starts, infos = [], [], {}, {}
        for i, inp in enumerate(measure_inputs):
            start = time.time()
            starts[i] = start
            try:
                sch, args = inp.task.instantiate(inp.config)
                mod_json = tvm.ir.save_json(sch.mod)
                infos[i] = _arg_info(args)
            except InstantiationError as err:
                results[i] = _error_result(MeasureErrorNo.INSTANTIATION_ERROR, err, start)
                continue
            except Exception as err:  # pylint: disable=broad-except
                # an invalid schedule primitive for this config
                results[i] = _error_result(
                    MeasureErrorNo.INSTANTIATION_ERROR, f"{type(err).__name__}: {err}", start
                )
                continue
            self._count += 1
            target_host = str(inp.task.target_host) if inp.task.target_host is not None else None
            todo.append((mod_json, str(inp.target), target_host, self.tmp_dir, f"cand{self._count}"))
            job_index.append(i)
        outputs = self._get_pool().starmap_with_error_catching(jobs.build_job, todo, self.timeout) if todo else []
        for i, out in zip(job_index, outputs):
            if out.status == StatusKind.COMPLETE:
                results[i] = BuildResult(out.value[0], infos[i], None, time.time() - starts[i])
            else:
                results[i] = _pool_result(out, "build", starts[i])
        return results

    def __del__(self):
        shutil.rmtree(getattr(self, "tmp_dir", ""), ignore_errors=True)


class RPCRunner(Runner):
    """Time candidates on the servers registered to an RPC tracker, several at once.

    Up to ``n_parallel`` candidates are in flight, each on its own session
    requested from the tracker (so each on a different free server of
    ``key``); results come back in input order. A server that dies or hangs
    costs only its in-flight candidates (``RUNTIME_DEVICE`` or
    ``RUN_TIMEOUT``, the message names the server); a candidate that gets no
    server within ``timeout * (n_parallel + 1)`` seconds is a ``RUN_TIMEOUT``
    error (see :mod:`tvm.contrib.tracker_measure`).

    Parameters
    ----------
    key : str
        The device key the RPC servers registered with.
    host, port : str, int
        The tracker's address.
    priority : int
        Priority of the device requests (larger is served first).
    timeout : float
        Seconds allowed to time one candidate (all repeats) on its server.
    n_parallel : int, optional
        Devices used at once. Default: the servers of ``key`` registered at
        the tracker when the task is set (at least 1); upstream took this
        machine's CPU count.
    number, repeat, min_repeat_ms : int
        As ``time_evaluator``: each of ``repeat`` measurements averages
        ``number`` runs (raised until it lasts ``min_repeat_ms``).
    cooldown_interval : float
        Seconds to sleep after each batch (between candidates for
        :class:`LocalRunner`).
    enable_cpu_cache_flush : bool
        Flush the CPU cache before each run (``cache_flush_cpu_non_first_arg``).
    module_loader : None
        Upstream hook; only None is supported.
    check_correctness : bool
        Fork extension: compare each candidate's outputs with the unscheduled
        compute's on random inputs; a mismatch is a ``WRONG_ANSWER`` error.

    Attributes
    ----------
    ref_input : list of numpy.ndarray or None
        As 0.8: the arrays (one per argument of the kernel) to time the
        candidates on, instead of random ones. Setting it turns
        ``check_correctness`` off (its reference outputs are for other inputs).
    executor : autotvm.measure.executor.Executor or None
        As 0.8's ``runner.executor``: when set, each candidate is submitted
        there as ``run_local(...)`` (see :func:`run_local`) instead of to the
        runner's own worker (None, the default).
    """

    def __init__(self, key, host, port, priority=1, timeout=10, n_parallel=None, number=4,
                 repeat=3, min_repeat_ms=0, cooldown_interval=0.1, enable_cpu_cache_flush=False,
                 module_loader=None, check_correctness=False):
        super().__init__(timeout, n_parallel)
        if module_loader is not None:
            raise ValueError("module_loader is not supported by this runner")
        self.key = key
        self.host = host
        self.port = port
        self.priority = priority
        self.number = number
        self.repeat = repeat
        self.min_repeat_ms = min_repeat_ms
        self.cooldown_interval = cooldown_interval
        self.enable_cpu_cache_flush = enable_cpu_cache_flush
        self.check_correctness = check_correctness
        self._n_parallel_arg = n_parallel
        self._servers = None
        self.pool = None
        self.ref = None
        self._ref_input = None
        self.executor = None

    @property
    def ref_input(self):
        """The arrays candidates are timed on (None: random inputs)."""
        return self._ref_input

    @ref_input.setter
    def ref_input(self, val):
        if val is not None:
            if not isinstance(val, (list, tuple)):
                raise TypeError("ref_input must be a list of numpy arrays, one per kernel argument")
            val = [np.asarray(a) for a in val]
            if self.check_correctness:
                logger.warning("ref_input is set: check_correctness is turned off")
                self.check_correctness = False
                self.ref = None
        self._ref_input = val

    def _job_ref(self):
        """The ``ref`` argument of :func:`jobs.run_job` (inputs and expected outputs)."""
        if self._ref_input is not None:
            return (self._ref_input, {})
        return self.ref

    def _run_with_executor(self, measure_inputs, build_results):
        """Measure through ``self.executor`` (one submitted :func:`run_local` per candidate)."""
        # pylint: disable-next=import-outside-toplevel
        import concurrent.futures

        from . import executor as _executor  # pylint: disable=import-outside-toplevel

        futures = [
            self.executor.submit(run_local, inp, build, self.number, self.repeat, self.min_repeat_ms,
                                 self.cooldown_interval, self._ref_input, self.enable_cpu_cache_flush,
                                 self.ref if self._ref_input is None else None)
            for inp, build in zip(measure_inputs, build_results)
        ]
        results = []
        for future in futures:
            start = time.time()
            try:
                if hasattr(future, "result"):
                    results.append(future.result(timeout=self.timeout * 10 + 10))
                else:
                    results.append(future.get(timeout=self.timeout * 10 + 10))
            except (concurrent.futures.TimeoutError, _executor.TimeoutError, TimeoutError) as err:
                results.append(_error_result(MeasureErrorNo.RUN_TIMEOUT, f"run: timeout ({err})", start))
            except Exception as err:  # pylint: disable=broad-except
                results.append(_error_result(MeasureErrorNo.RUNTIME_DEVICE,
                                             f"run: {type(err).__name__}: {err}", start))
        return results

    @property
    def last_servers(self):
        """``HOST:PORT`` of the server each candidate of the last batch ran on (None: none)."""
        return self._servers.last_servers if self._servers is not None else []

    def set_task(self, task):
        # pylint: disable-next=import-outside-toplevel
        from tvm.contrib.tracker_measure import TrackerMeasurePool, key_status

        self.task = task
        try:
            registered, _ = key_status(self.host, int(self.port), self.key)
        except (OSError, RuntimeError) as err:
            raise RuntimeError(f"cannot reach the RPC tracker {self.host}:{self.port}: {err}") from err
        if not registered:
            raise RuntimeError(
                f"no RPC server of key {self.key!r} is registered at the tracker {self.host}:{self.port} "
                f"(start one with python -m tvm.exec.rpc_server --tracker {self.host}:{self.port} "
                f"--key {self.key})")
        if self._n_parallel_arg is None:
            self.n_parallel = registered
        if self._servers is None or self._servers.n_parallel != self.n_parallel:
            if self._servers is not None:
                self._servers.close()
            self._servers = TrackerMeasurePool(self.key, self.host, self.port, self.priority, self.n_parallel,
                                               run_timeout=self.timeout,
                                               wait_timeout=self.timeout * (self.n_parallel + 1))
        self._servers.start()  # boots in the background
        self.ref = _reference(task) if self.check_correctness else None

    def get_build_kwargs(self):
        return {}

    def run(self, measure_inputs, build_results):
        if self.executor is not None:
            return self._run_with_executor(measure_inputs, build_results)
        if self._servers is None:
            raise RuntimeError("RPCRunner.run: call set_task(task) first (it checks the tracker's servers)")
        results = [None] * len(measure_inputs)
        todo, job_index = [], []
        for i, build in enumerate(build_results):
            if isinstance(build, MeasureResult):
                results[i] = build
            else:
                todo.append((build.filename, build.arg_info, self.number, self.repeat, self.min_repeat_ms,
                             self.enable_cpu_cache_flush, self._job_ref()))
                job_index.append(i)
        if todo:
            start = time.time()
            reason = self._servers.unavailable()
            if reason is not None:
                outcomes = [(MeasureErrorNo.RUN_TIMEOUT, "run: " + reason, None)] * len(todo)
                self._servers.last_servers = [None] * len(todo)
            else:
                outcomes = self._servers.map(jobs.run_job, todo, MeasureErrorNo)
            now = time.time()
            for i, (error_no, message, value) in zip(job_index, outcomes):
                build = build_results[i]
                all_cost = now - start + build.time_cost
                if error_no == MeasureErrorNo.NO_ERROR:
                    results[i] = MeasureResult(tuple(value[1]), int(error_no), all_cost, now)
                else:
                    results[i] = MeasureResult((str(message)[:2000],), int(error_no), all_cost, now)
                _remove(build.filename)
            if self.cooldown_interval:
                time.sleep(self.cooldown_interval)
        return results

    def close(self):
        """Stop the measuring processes (a later ``set_task`` starts new ones)."""
        if getattr(self, "_servers", None) is not None:
            self._servers.close()
            self._servers = None

    def __del__(self):
        self.close()


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


class LocalRunner(RPCRunner):
    """Time candidates on this machine, one at a time, in an isolated worker process.

    Same parameters as :class:`RPCRunner` without the tracker address. Upstream
    started a local RPC tracker and server for this; here a persistent worker
    process loads the library directly, which is equivalent for the host CPU
    and cheaper.
    """

    def __init__(self, timeout=10, number=4, repeat=3, min_repeat_ms=0, cooldown_interval=0.1,
                 enable_cpu_cache_flush=False, module_loader=None, check_correctness=False):
        super().__init__("", "", 0, 1, timeout, 1, number, repeat, min_repeat_ms,
                         cooldown_interval, enable_cpu_cache_flush, module_loader, check_correctness)

    def set_task(self, task):
        self.task = task
        self._get_pool().start()  # boots in the background
        self.ref = _reference(task) if self.check_correctness else None

    def _get_pool(self):
        if self.pool is None:
            self.pool = PopenPoolExecutor(1, self.timeout)
        return self.pool

    def run(self, measure_inputs, build_results):
        if self.executor is not None:
            return self._run_with_executor(measure_inputs, build_results)
        results = []
        for _, build in zip(measure_inputs, build_results):
            if isinstance(build, MeasureResult):
                results.append(build)
                continue
            start = time.time()
            job = (build.filename, build.arg_info, self.number, self.repeat, self.min_repeat_ms,
                   self.enable_cpu_cache_flush, self._job_ref(), None)
            out = self._get_pool().starmap_with_error_catching(jobs.run_job, [job], self.timeout)[0]
            results.append(_pool_result(out, "run", start - build.time_cost))
            if self.cooldown_interval:
                time.sleep(self.cooldown_interval)
            _remove(build.filename)
        return results


def run_local(measure_input, build_result, number, repeat, min_repeat_ms, cooldown_interval,
              ref_input=None, enable_cpu_cache_flush=False, reference=None):
    """Time one built candidate in this process; returns its MeasureResult.

    The job a runner submits to a user's ``runner.executor`` (0.8 submitted
    ``run_through_rpc`` with the same leading arguments). ``build_result`` is
    a :class:`BuildResult`, or a MeasureResult (a failed build, returned
    as is). ``ref_input`` (arrays, one per kernel argument) replaces the random
    inputs; ``reference`` is the runner's ``(inputs, outputs)`` correctness
    reference (``check_correctness``) or None.
    """
    del measure_input  # the built library carries everything needed
    if isinstance(build_result, MeasureResult):
        return build_result
    if not isinstance(build_result, BuildResult):
        raise TypeError(f"run_local needs a BuildResult, got {type(build_result).__name__}")
    start = time.time() - build_result.time_cost
    ref = (list(ref_input), {}) if ref_input is not None else reference
    status, value = jobs.run_job(build_result.filename, build_result.arg_info, number, repeat,
                                 min_repeat_ms, enable_cpu_cache_flush, ref, None)
    if cooldown_interval:
        time.sleep(cooldown_interval)
    if status != "ok":
        return _error_result(MeasureErrorNo.WRONG_ANSWER, value, start)
    now = time.time()
    return MeasureResult(tuple(value), int(MeasureErrorNo.NO_ERROR), now - start, now)


def _reference(task):
    """Random inputs and the unscheduled compute's outputs for ``task``.

    Returns ``(arrays, {arg index: expected output})``.
    """
    from ..task.dispatcher import ApplyConfig  # pylint: disable=import-outside-toplevel

    with ApplyConfig(task.config_space.get(0)), task.target:
        _, args = task.func(*task.args, **task.kwargs)
    prim_func = te.create_prim_func(list(args))
    lib = tvm.compile(tvm.IRModule({"main": prim_func}), target=task.target)
    rng = np.random.default_rng(1)
    arrays, out_idx = [], []
    for i, tensor in enumerate(args):
        shape = [int(d) for d in tensor.shape]
        dtype = str(tensor.dtype)
        if isinstance(tensor.op, te.PlaceholderOp):
            if "float" in dtype:
                arrays.append(rng.uniform(-1, 1, size=shape).astype(dtype))
            else:
                arrays.append(rng.integers(0, 8, size=shape).astype(dtype))
        else:
            arrays.append(np.zeros(shape, dtype=dtype))
            out_idx.append(i)
    dev = tvm.cpu(0)
    tensors = [tvm.runtime.tensor(a, dev) for a in arrays]
    lib["main"](*tensors)
    expected = {i: tensors[i].numpy() for i in out_idx}
    return arrays, expected


def request_remote(device_key, host=None, port=None, priority=1, timeout=60):
    """An RPC session to a device of the tracker at ``host:port``."""
    host = host or os.environ.get("TVM_TRACKER_HOST", "127.0.0.1")
    port = int(port or os.environ.get("TVM_TRACKER_PORT", 9190))
    tracker = tvm.rpc.connect_tracker(host, port)
    return tracker.request(device_key, priority=priority, session_timeout=timeout)


def check_remote(target, device_key, host=None, port=None, priority=100, timeout=10):
    """Whether a device of ``device_key`` is reachable through the tracker (within ``timeout``).

    ``target`` is accepted for upstream compatibility; only the CPU of the
    remote is probed.
    """
    pool = PopenPoolExecutor(1, timeout)
    try:
        out = pool.starmap_with_error_catching(_probe_remote, [(device_key, host, port, priority)])[0]
    finally:
        pool.shutdown(wait=False)
    del target
    return out.value is True


def _probe_remote(device_key, host, port, priority):
    remote = request_remote(device_key, host, port, priority)
    remote.cpu(0)
    return True
