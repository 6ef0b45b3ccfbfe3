"""Persistent measurement worker processes (the fork's own).

Building and running candidate programs happens in separate processes so that a
candidate that crashes the process (segfault, ``abort``) or hangs cannot take the
tuning run down with it. Starting a process and importing ``tvm`` costs about
1.5 s on the machines this fork targets, which is more than building most
candidates, so the workers are started once and reused: a :class:`WorkerPool`
keeps ``n_parallel`` processes alive, sends each one a job through a pipe, and

* returns the job's result or the exception it raised (as text),
* on a timeout kills the worker and starts a fresh one,
* on a dead worker (the pipe closes) reports a crash and starts a fresh one.

Workers are fresh interpreters (``subprocess``), given the parent's
``sys.path``: a job carries everything it needs (serialised IR, file names,
plain values), nothing is inherited from the parent's globals. The job
functions must be importable module-level functions (pickled by reference).
"""
import logging
import os
import subprocess
import sys
import threading
import time
import traceback

logger = logging.getLogger("auto_scheduler")

#: Status of a finished job.
STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_TIMEOUT = "timeout"
STATUS_CRASH = "crash"


def _worker_main(read_fd, write_fd):
    """Loop of a worker process: receive ``(func, args)``, send back the outcome."""
    from multiprocessing.connection import Connection  # pylint: disable=import-outside-toplevel

    conn_in, conn_out = Connection(read_fd), Connection(write_fd)
    sys_path, init_env, warmup = conn_in.recv()
    sys.path[:] = sys_path
    for key, value in (init_env or {}).items():
        os.environ[key] = value
    import tvm  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import

    if warmup is not None:
        try:
            warmup()
        except Exception:  # pylint: disable=broad-except
            pass
    conn_out.send(("ready", None))
    while True:
        try:
            msg = conn_in.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        func, args = msg
        try:
            result = func(*args)
            conn_out.send((STATUS_OK, result))
        except BaseException:  # pylint: disable=broad-except
            conn_out.send((STATUS_ERROR, traceback.format_exc(limit=20)))


#: Seconds a new worker may take to start (import tvm) before jobs are sent.
_STARTUP_TIMEOUT = 300

_BOOT = "import sys; from tvm.auto_scheduler.worker_pool import _worker_main; _worker_main(int(sys.argv[1]), int(sys.argv[2]))"


class _Worker:
    """One persistent worker process (a fresh interpreter) and its pipes.

    A plain ``subprocess`` rather than ``multiprocessing``: ``spawn`` would
    re-import the user's ``__main__`` script in every worker (tuning scripts are
    rarely guarded by ``if __name__ == "__main__"``), and ``fork`` would inherit
    the parent's threads and state.
    """

    def __init__(self, init_env, warmup=None):
        self._init_env = init_env
        self._warmup = warmup
        self.proc = None
        self.conn = None
        self.conn_in = None
        self.start()

    def start(self):
        from multiprocessing.connection import Connection  # pylint: disable=import-outside-toplevel

        c_read, p_write = os.pipe()
        p_read, c_write = os.pipe()
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-c", _BOOT, str(c_read), str(c_write)], pass_fds=(c_read, c_write),
            stdin=subprocess.DEVNULL)
        os.close(c_read)
        os.close(c_write)
        self.conn = Connection(p_write)
        self.conn_in = Connection(p_read)
        self.conn.send((list(sys.path), self._init_env, self._warmup))
        # Start-up (a fresh interpreter importing tvm) is not charged to a job's timeout.
        try:
            if self.conn_in.poll(_STARTUP_TIMEOUT):
                self.conn_in.recv()
        except (EOFError, OSError):
            pass

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for conn in (self.conn, self.conn_in):
            if conn is not None:
                conn.close()
        self.proc = None
        self.conn = None
        self.conn_in = None

    def restart(self):
        self.kill()
        self.start()

    def run(self, func, args, timeout):
        """Run one job; returns ``(status, value, seconds)``."""
        start = time.time()
        try:
            self.conn.send((func, args))
        except (BrokenPipeError, OSError):
            self.restart()
            self.conn.send((func, args))
        try:
            ready = self.conn_in.poll(timeout)
        except (EOFError, OSError):
            ready = True
        if not ready:
            self.restart()
            return STATUS_TIMEOUT, "timeout after %.1f s" % timeout, time.time() - start
        try:
            status, value = self.conn_in.recv()
        except (EOFError, OSError, ConnectionResetError):
            code = self.proc.wait(timeout=5) if self.proc is not None else None
            self.restart()
            return STATUS_CRASH, "worker process died (exit code %s)" % code, time.time() - start
        return status, value, time.time() - start


class WorkerPool:
    """A fixed set of persistent worker processes.

    Parameters
    ----------
    n_parallel : int
        Number of worker processes.
    init_env : Optional[dict]
        Environment variables set in each worker before it runs a job (for example
        ``TVM_NUM_THREADS`` for the runner).
    warmup : Optional[Callable[[], None]]
        Run once when a worker starts (e.g. a first compilation, whose one-time
        set-up would otherwise be charged to the first job's timeout).
    """

    def __init__(self, n_parallel, init_env=None, warmup=None):
        if int(n_parallel) < 1:
            raise ValueError("n_parallel must be at least 1, got %r" % (n_parallel,))
        self._init_env = dict(init_env or {})
        self._workers = [_Worker(self._init_env, warmup) for _ in range(int(n_parallel))]
        self._lock = threading.Lock()

    @property
    def n_parallel(self):
        return len(self._workers)

    def map(self, func, args_list, timeout):
        """Run ``func(*args)`` for each item, spreading items across the workers.

        Returns a list of ``(status, value, seconds)`` in the order of ``args_list``.
        """
        results = [None] * len(args_list)
        next_index = [0]
        lock = threading.Lock()

        def drain(worker):
            while True:
                with lock:
                    idx = next_index[0]
                    if idx >= len(args_list):
                        return
                    next_index[0] += 1
                results[idx] = worker.run(func, args_list[idx], timeout)

        with self._lock:
            if len(self._workers) == 1 or len(args_list) <= 1:
                drain(self._workers[0])
            else:
                threads = [threading.Thread(target=drain, args=(w,)) for w in self._workers]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
        return results

    def close(self):
        """Stop every worker."""
        for worker in self._workers:
            try:
                if worker.conn is not None:
                    worker.conn.send(None)
                    worker.proc.wait(timeout=2)
            except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
                pass
            worker.kill()
        self._workers = []

    def __del__(self):
        try:
            self.close()
        except Exception:  # pylint: disable=broad-except
            pass
