"""Persistent worker processes with per-job time limits.

``import tvm`` costs about 1.5 s per process, so measurement uses long-lived
workers (``spawn`` start method: no inherited LLVM/thread-pool state). A job is
``(module:function, args)``; a worker that crashes (segfault, ``os._exit``)
or overruns the job's timeout is killed and replaced, and the job reports
:class:`WorkerCrash` / :class:`WorkerTimeout` instead of a result. Workers
never import ``tvm.s_tir.tensor_intrin`` (it costs ~40 s here).
"""
import atexit
import importlib
import logging
import multiprocessing
import time
import traceback
from multiprocessing.connection import wait

logger = logging.getLogger("autotvm")

#: How long a fresh worker may take to start (import tvm) before it is considered broken.
STARTUP_TIMEOUT = 120.0


class WorkerTimeout(Exception):
    """The job did not finish within its time limit (the worker was killed)."""


class WorkerCrash(Exception):
    """The worker process died while running the job."""


class WorkerError(Exception):
    """The job raised an exception in the worker (message has the traceback)."""


def _worker_main(conn):
    # The fork's overlay is installed by the .pth start-up hook, so `tvm.autotvm`
    # resolves as in the parent.
    try:
        import tvm  # pylint: disable=import-outside-toplevel,unused-import
    except Exception:  # pylint: disable=broad-except
        conn.send(("error", traceback.format_exc()))
        return
    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if msg is None:
            return
        fname, args = msg
        try:
            module_name, func_name = fname.split(":")
            func = getattr(importlib.import_module(module_name), func_name)
            result = ("ok", func(*args))
        except Exception as err:  # pylint: disable=broad-except
            result = ("error", f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=8)}")
        try:
            conn.send(result)
        except Exception as err:  # pylint: disable=broad-except
            conn.send(("error", f"cannot send the result back: {err}"))


class _Worker:
    def __init__(self, ctx):
        self._ctx = ctx
        self.process = None
        self.conn = None
        self.ready = False

    def start(self):
        parent, child = self._ctx.Pipe()
        self.process = self._ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        self.ready = False

    def wait_ready(self):
        if self.ready:
            return
        if not self.conn.poll(STARTUP_TIMEOUT):
            self.kill()
            raise RuntimeError(f"AutoTVM worker did not start within {STARTUP_TIMEOUT} s")
        status, payload = self.conn.recv()
        if status != "ready":
            self.kill()
            raise RuntimeError(f"AutoTVM worker failed to start:\n{payload}")
        self.ready = True

    def kill(self):
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process = None
        self.conn = None
        self.ready = False

    def restart(self):
        self.kill()
        self.start()

    def stop(self):
        if self.conn is not None:
            try:
                self.conn.send(None)
                self.process.join(2)
            except (OSError, ValueError):
                pass
        self.kill()


class WorkerPool:
    """``n_worker`` persistent processes running jobs with a timeout each.

    Parameters
    ----------
    n_worker : int
    """

    def __init__(self, n_worker):
        if n_worker < 1:
            raise ValueError(f"a worker pool needs at least one worker, got {n_worker}")
        ctx = multiprocessing.get_context("spawn")
        self.workers = [_Worker(ctx) for _ in range(n_worker)]
        self._started = False
        atexit.register(self.shutdown)

    def _ensure_started(self):
        if not self._started:
            for worker in self.workers:
                worker.start()
            self._started = True
        for worker in self.workers:
            if worker.process is None or not worker.process.is_alive():
                worker.restart()
        for worker in self.workers:
            worker.wait_ready()

    def map(self, fname, arg_list, timeout):
        """Run ``fname(*args)`` for each ``args`` of ``arg_list`` in parallel.

        Returns one entry per job: the result, or an exception instance
        (:class:`WorkerTimeout`, :class:`WorkerCrash`, :class:`WorkerError`).
        ``timeout`` (seconds) applies to each job from the moment it starts.
        """
        self._ensure_started()
        results = [None] * len(arg_list)
        pending = list(range(len(arg_list)))
        busy = {}  # worker index -> (job index, deadline)
        free = list(range(len(self.workers)))
        while pending or busy:
            while pending and free:
                w_idx = free.pop(0)
                job = pending.pop(0)
                worker = self.workers[w_idx]
                try:
                    worker.conn.send((fname, arg_list[job]))
                except (OSError, ValueError) as err:
                    results[job] = WorkerCrash(f"cannot send the job: {err}")
                    worker.restart()
                    worker.wait_ready()
                    free.append(w_idx)
                    continue
                busy[w_idx] = (job, time.monotonic() + timeout)
            if not busy:
                continue
            now = time.monotonic()
            next_deadline = min(d for _, d in busy.values())
            conns = {self.workers[w].conn: w for w in busy}
            ready = wait(list(conns), timeout=max(0.0, next_deadline - now))
            for conn in ready:
                w_idx = conns[conn]
                job, _ = busy.pop(w_idx)
                worker = self.workers[w_idx]
                try:
                    status, payload = conn.recv()
                    results[job] = payload if status == "ok" else WorkerError(payload)
                except (EOFError, OSError):
                    code = worker.process.exitcode if worker.process is not None else None
                    results[job] = WorkerCrash(f"worker process died (exit code {code})")
                    worker.restart()
                    worker.wait_ready()
                free.append(w_idx)
            now = time.monotonic()
            for w_idx, (job, deadline) in list(busy.items()):
                if now >= deadline:
                    busy.pop(w_idx)
                    results[job] = WorkerTimeout(f"no result within {timeout} s")
                    worker = self.workers[w_idx]
                    worker.restart()
                    worker.wait_ready()
                    free.append(w_idx)
        return results

    def shutdown(self):
        """Stop every worker."""
        for worker in self.workers:
            worker.stop()
        self._started = False
