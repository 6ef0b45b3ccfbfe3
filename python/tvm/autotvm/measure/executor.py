"""Persistent worker processes with per-job time limits.

``import tvm`` costs about 1.5 s per process, so measurement uses long-lived
workers. They are fresh interpreters started with ``subprocess`` (no inherited
LLVM/thread-pool state, and unlike multiprocessing's ``spawn`` they do not
re-run the user's ``__main__`` script, so a tuning script needs no
``if __name__ == "__main__"`` guard); jobs and results travel as pickles over
two pipes. A job is
``(module:function, args)``; a worker that crashes (segfault, ``os._exit``)
or overruns the job's timeout is killed and replaced, and the job reports
:class:`WorkerCrash` / :class:`WorkerTimeout` instead of a result. Workers
never import ``tvm.s_tir.tensor_intrin`` (it costs ~40 s here).
"""
import importlib
import logging
import os
import subprocess
import sys
import time
import traceback
import weakref
from multiprocessing.connection import Connection, wait

logger = logging.getLogger("autotvm")

#: How long a fresh worker may take to start (import tvm) before it is considered broken.
STARTUP_TIMEOUT = 120.0


class WorkerTimeout(Exception):
    """The job did not finish within its time limit (the worker was killed)."""


class WorkerCrash(Exception):
    """The worker process died while running the job."""


class WorkerError(Exception):
    """The job raised an exception in the worker (message has the traceback)."""


def _subprocess_main(read_fd, write_fd):
    """Entry point of a worker interpreter (see :class:`_Worker`)."""
    _worker_main(_Duplex(Connection(read_fd, writable=False), Connection(write_fd, readable=False)))


class _Duplex:
    """Two one-way connections used as one (send on one, receive on the other)."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    def send(self, obj):
        self.writer.send(obj)

    def recv(self):
        return self.reader.recv()

    def poll(self, timeout=0.0):
        return self.reader.poll(timeout)

    def fileno(self):
        return self.reader.fileno()

    def close(self):
        self.reader.close()
        self.writer.close()


_BOOT = (
    "import sys; from tvm.autotvm.measure.executor import _subprocess_main; "
    "_subprocess_main(int(sys.argv[1]), int(sys.argv[2]))"
)


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
    def __init__(self):
        self.process = None
        self.conn = None
        self.ready = False

    def start(self):
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(to_child_r), str(to_parent_w)],
            pass_fds=(to_child_r, to_parent_w),
        )
        os.close(to_child_r)
        os.close(to_parent_w)
        self.conn = _Duplex(Connection(to_parent_r, writable=False), Connection(to_child_w, readable=False))
        self.ready = False

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        if self.alive():
            self.process.kill()
            self.process.wait(5)
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
                self.process.wait(2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()


class WorkerPool:
    """``n_worker`` persistent processes running jobs with a timeout each.

    Workers start in the background (:meth:`start`) and are replaced in the
    background after a crash or a timeout, so their ~1.5 s start-up overlaps
    with other work; a job sent to a worker that is still starting gets its
    time limit from the moment the worker is ready.

    Parameters
    ----------
    n_worker : int
    """

    def __init__(self, n_worker):
        if n_worker < 1:
            raise ValueError(f"a worker pool needs at least one worker, got {n_worker}")
        self.workers = [_Worker() for _ in range(n_worker)]
        # stop the workers when the pool is collected or at exit (a finalizer
        # holds no reference to the pool itself)
        self._finalizer = weakref.finalize(self, _stop_all, self.workers)

    def start(self):
        """Start every worker that is not running (without waiting for it)."""
        for worker in self.workers:
            if not worker.alive():
                worker.restart()

    def map(self, fname, arg_list, timeout):
        """Run ``fname(*args)`` for each ``args`` of ``arg_list`` in parallel.

        Returns one entry per job: the result, or an exception instance
        (:class:`WorkerTimeout`, :class:`WorkerCrash`, :class:`WorkerError`).
        ``timeout`` (seconds) applies to each job from the moment it starts.
        """
        self.start()
        results = [None] * len(arg_list)
        pending = list(range(len(arg_list)))
        busy = {}  # worker index -> [job index, deadline]
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
                    free.append(w_idx)
                    continue
                limit = timeout if worker.ready else timeout + STARTUP_TIMEOUT
                busy[w_idx] = [job, time.monotonic() + limit]
            if not busy:
                continue
            now = time.monotonic()
            next_deadline = min(d for _, d in busy.values())
            conns = {self.workers[w].conn: w for w in busy}
            ready = wait(list(conns), timeout=max(0.0, next_deadline - now))
            for conn in ready:
                w_idx = conns[conn]
                worker = self.workers[w_idx]
                try:
                    status, payload = conn.recv()
                except (EOFError, OSError):
                    job = busy.pop(w_idx)[0]
                    try:  # reap it to report how it died
                        code = worker.process.wait(5) if worker.process is not None else None
                    except subprocess.TimeoutExpired:
                        code = None
                    results[job] = WorkerCrash(f"worker process died (exit code {code})")
                    worker.restart()
                    free.append(w_idx)
                    continue
                if status == "ready":  # the job starts now
                    worker.ready = True
                    busy[w_idx][1] = time.monotonic() + timeout
                    continue
                job = busy.pop(w_idx)[0]
                if not worker.ready and status == "error":  # the worker could not start
                    results[job] = WorkerCrash(f"worker failed to start:\n{payload}")
                    worker.restart()
                else:
                    results[job] = payload if status == "ok" else WorkerError(payload)
                free.append(w_idx)
            now = time.monotonic()
            for w_idx, (job, deadline) in list(busy.items()):
                if now >= deadline:
                    busy.pop(w_idx)
                    worker = self.workers[w_idx]
                    started = worker.ready
                    results[job] = WorkerTimeout(
                        f"no result within {timeout} s" if started
                        else f"worker did not start within {STARTUP_TIMEOUT} s"
                    )
                    worker.restart()
                    free.append(w_idx)
        return results

    def shutdown(self):
        """Stop every worker."""
        _stop_all(self.workers)


def _stop_all(workers):
    for worker in workers:
        worker.stop()
