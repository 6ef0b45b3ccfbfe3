"""Local builder, local runner and RPC runner.

* :class:`LocalBuilder`: the main process instantiates each candidate (runs
  the template with the config: cheap, and it keeps templates out of the
  workers), then ``n_parallel`` persistent workers compile the scheduled
  modules with ``tvm.compile`` and export shared libraries.
* :class:`LocalRunner`: one persistent, isolated worker loads each library and
  times it with ``time_evaluator``.
* :class:`RPCRunner`: the same worker, but the library is uploaded to a device
  obtained from an RPC tracker (``python -m tvm.exec.rpc_tracker`` /
  ``rpc_server``) and timed there.

A crash or hang kills only the worker (it is restarted) and becomes an error
result with upstream's error number.
"""
import logging
import os
import shutil
import tempfile
import time

import numpy as np

import tvm
from tvm import te

from ..task.space import InstantiationError
from .executor import WorkerCrash, WorkerError, WorkerPool, WorkerTimeout
from .measure import Builder, MeasureErrorNo, MeasureResult, Runner

logger = logging.getLogger("autotvm")

_JOBS = "tvm.autotvm.measure.jobs"


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
        if self.pool is None:
            self.pool = WorkerPool(self.n_parallel)
        self.pool.start()  # boots in the background while the tuner prepares

    def build(self, measure_inputs):
        if self.pool is None:
            self.pool = WorkerPool(self.n_parallel)
        results = [None] * len(measure_inputs)
        jobs, job_index, starts, infos = [], [], {}, {}
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
            jobs.append((mod_json, str(inp.target), target_host, self.tmp_dir, f"cand{self._count}"))
            job_index.append(i)
        outputs = self.pool.map(f"{_JOBS}:build_job", jobs, self.timeout) if jobs else []
        for i, out in zip(job_index, outputs):
            if isinstance(out, WorkerTimeout):
                results[i] = _error_result(MeasureErrorNo.BUILD_TIMEOUT, out, starts[i])
            elif isinstance(out, (WorkerCrash, WorkerError)):
                results[i] = _error_result(MeasureErrorNo.COMPILE_HOST, out, starts[i])
            else:
                path, _ = out
                results[i] = BuildResult(path, infos[i], None, time.time() - starts[i])
        return results

    def __del__(self):
        shutil.rmtree(getattr(self, "tmp_dir", ""), ignore_errors=True)


class RPCRunner(Runner):
    """Time candidates on a device registered to an RPC tracker.

    Parameters
    ----------
    key : str
        The device key the RPC server registered with.
    host, port : str, int
        The tracker's address.
    priority : int
    timeout : float
        Seconds allowed per candidate (all repeats), beyond which the run is
        abandoned (``RUN_TIMEOUT``) and the measuring process restarted.
    n_parallel : int, optional
        Kept for API compatibility; candidates are timed one at a time.
    number, repeat, min_repeat_ms : int
        As ``time_evaluator``: each of ``repeat`` measurements averages
        ``number`` runs (raised until it lasts ``min_repeat_ms``).
    cooldown_interval : float
        Seconds to sleep between candidates.
    enable_cpu_cache_flush : bool
        Flush the CPU cache before each run (``cache_flush_cpu_non_first_arg``).
    module_loader : None
        Upstream hook; only None is supported.
    check_correctness : bool
        Fork extension: compare each candidate's outputs with the unscheduled
        compute's on random inputs; a mismatch is a ``WRONG_ANSWER`` error.
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
        self.pool = None
        self.ref = None

    def _rpc(self):
        # the session ends by itself if the measuring process dies holding it
        return (self.host, int(self.port), self.key, self.priority, int(max(self.timeout * 4, 60)))

    def set_task(self, task):
        self.task = task
        if self.pool is None:
            self.pool = WorkerPool(1)
        self.pool.start()  # boots in the background
        self.ref = _reference(task) if self.check_correctness else None

    def get_build_kwargs(self):
        return {}

    def run(self, measure_inputs, build_results):
        if self.pool is None:
            self.pool = WorkerPool(1)
        results = []
        for _, build in zip(measure_inputs, build_results):
            if isinstance(build, MeasureResult):
                results.append(build)
                continue
            start = time.time()
            job = (build.filename, build.arg_info, self.number, self.repeat, self.min_repeat_ms,
                   self.enable_cpu_cache_flush, self.ref, self._rpc())
            out = self.pool.map(f"{_JOBS}:run_job", [job], self.timeout)[0]
            results.append(self._to_result(out, build, start))
            if self.cooldown_interval:
                time.sleep(self.cooldown_interval)
            try:
                os.remove(build.filename)
            except OSError:
                pass
        return results

    @staticmethod
    def _to_result(out, build, start):
        total = build.time_cost + time.time() - start
        if isinstance(out, WorkerTimeout):
            return MeasureResult((str(out),), int(MeasureErrorNo.RUN_TIMEOUT), total, time.time())
        if isinstance(out, WorkerCrash):
            return MeasureResult((str(out),), int(MeasureErrorNo.RUNTIME_DEVICE), total, time.time())
        if isinstance(out, WorkerError):
            text = str(out)
            error_no = MeasureErrorNo.WRONG_ANSWER if text.startswith("WrongAnswer") else MeasureErrorNo.RUNTIME_DEVICE
            return MeasureResult((text[:2000],), int(error_no), total, time.time())
        costs, _ = out
        return MeasureResult(tuple(costs), int(MeasureErrorNo.NO_ERROR), total, time.time())


class LocalRunner(RPCRunner):
    """Time candidates on this machine, in an isolated worker process.

    Same parameters as :class:`RPCRunner` without the tracker address. Upstream
    started a local RPC tracker and server for this; here a persistent worker
    process loads the library directly, which is equivalent for the host CPU
    and cheaper.
    """

    def __init__(self, timeout=10, number=4, repeat=3, min_repeat_ms=0, cooldown_interval=0.1,
                 enable_cpu_cache_flush=False, module_loader=None, check_correctness=False):
        super().__init__("", "", 0, 1, timeout, None, number, repeat, min_repeat_ms,
                         cooldown_interval, enable_cpu_cache_flush, module_loader, check_correctness)

    def _rpc(self):
        return None


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
    pool = WorkerPool(1)
    try:
        out = pool.map(f"{__name__}:_probe_remote", [(device_key, host, port, priority)], timeout)[0]
    finally:
        pool.shutdown()
    del target
    return out is True


def _probe_remote(device_key, host, port, priority):
    remote = request_remote(device_key, host, port, priority)
    remote.cpu(0)
    return True
