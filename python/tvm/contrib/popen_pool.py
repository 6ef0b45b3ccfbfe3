"""A pool of persistent worker processes with a time limit per job (the fork's own).

Both tuners (AutoTVM and the auto-scheduler) compile and time candidate
programs here, in other processes, so that a candidate that crashes its process
(segfault, ``abort``) or hangs cannot stop the tuning run. The public names
follow upstream TVM 0.8's ``tvm.contrib.popen_pool`` (:class:`PopenPoolExecutor`,
:class:`PopenWorker`, :class:`StatusKind`, :class:`MapResult`).

Why not ``concurrent.futures.ProcessPoolExecutor``: a worker that dies breaks
that executor as a whole (every pending future fails with ``BrokenProcessPool``)
and it cannot stop a job that hangs. Why not the base wheel's
``tvm.support.popen_pool``: its time limit is a timer thread inside the worker,
which never fires while a compiled kernel holds the interpreter, and a dead
worker is reported without its cause. Here

* workers are fresh interpreters started once and reused: ``import tvm`` costs
  about 1.5 s per process, more than building most candidates;
* the parent enforces each job's time limit; a worker that overruns it, or dies,
  is killed (with its child processes) and replaced, and only its job fails:
  with ``TimeoutError``, or ``ChildProcessError`` naming the exit code or
  signal;
* a worker's start-up (``import tvm``, the initializer) is not charged to its
  first job;
* workers are started with ``subprocess``, not ``multiprocessing``: ``spawn``
  re-runs the user's ``__main__`` (tuning scripts rarely have a
  ``if __name__ == "__main__"`` guard) and ``fork`` copies the parent's threads
  and LLVM state.

Jobs travel with ``cloudpickle``: module-level functions by reference, functions
of a script's ``__main__`` by value. Workers receive the parent's ``sys.path``.
This module imports no tuner (``tvm.autotvm``, ``tvm.auto_scheduler``) and no
``tvm.relay``; a worker imports ``tvm`` and what its jobs import.
"""
import concurrent.futures
import os
import queue
import signal
import subprocess
import sys
import time
import traceback
import weakref
from collections import namedtuple
from enum import IntEnum
from multiprocessing.connection import Connection

import cloudpickle

#: Seconds a new worker may take to start (``import tvm`` and the initializer).
STARTUP_TIMEOUT = 300.0

_BOOT = "import sys; from tvm.contrib.popen_pool import _worker_main; _worker_main(int(sys.argv[1]), int(sys.argv[2]))"


class StatusKind(IntEnum):
    """How a job ended."""

    RUNNING = 0
    COMPLETE = 1
    EXCEPTION = 2
    TIMEOUT = 3


class MapResult(namedtuple("MapResult", ["status", "value"])):
    """Outcome of one job of :meth:`PopenPoolExecutor.map_with_error_catching`.

    Attributes
    ----------
    status : StatusKind
        ``COMPLETE``, ``EXCEPTION`` or ``TIMEOUT``.
    value : object
        The job's return value, or the exception (``TimeoutError`` for
        ``TIMEOUT``; ``ChildProcessError`` for a dead worker).
    """

    __slots__ = ()


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (set as its ``__cause__``)."""

    def __str__(self):
        return self.args[0] if self.args else ""


class RemoteError(Exception):
    """A job's exception that could not be sent back as itself (its type and text)."""


def _dumps(obj):
    return cloudpickle.dumps(obj, protocol=cloudpickle.DEFAULT_PROTOCOL)


# ---------------------------------------------------------------- worker side


def _exception_payload(err):
    """What a worker sends back for ``err``: the exception if it pickles, and its text."""
    text = traceback.format_exc(limit=20)
    try:
        pickled = _dumps(err)
    except Exception:  # pylint: disable=broad-except
        pickled = None
    return type(err).__name__, str(err), text, pickled


def _worker_main(read_fd, write_fd):
    """Loop of a worker process: receive a job, send back its outcome, until EOF."""
    reader = Connection(read_fd, writable=False)
    writer = Connection(write_fd, readable=False)
    sys.path[:] = cloudpickle.loads(reader.recv_bytes())
    try:
        initializer, initargs = cloudpickle.loads(reader.recv_bytes())
        if initializer is not None:
            initializer(*initargs)
    except BaseException:  # pylint: disable=broad-except
        writer.send_bytes(_dumps(("init_error", traceback.format_exc(limit=20))))
        return
    writer.send_bytes(_dumps(("ready", None)))
    while True:
        try:
            data = reader.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            fn, args, kwargs = cloudpickle.loads(data)
            reply = _dumps((StatusKind.COMPLETE, fn(*args, **kwargs)))
        except Exception as err:  # pylint: disable=broad-except
            reply = _dumps((StatusKind.EXCEPTION, _exception_payload(err)))
        writer.send_bytes(reply)


# ---------------------------------------------------------------- parent side


def _rebuild_exception(payload):
    type_name, message, text, pickled = payload
    err = None
    if pickled is not None:
        try:
            err = cloudpickle.loads(pickled)
        except Exception:  # pylint: disable=broad-except
            err = None
    if not isinstance(err, BaseException):
        err = RemoteError("%s: %s" % (type_name, message))
    err.__cause__ = RemoteTraceback(text)
    return err


def _exit_cause(code):
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            return "killed by signal %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exited with code %d" % code


def _kill_tree(proc):
    """Kill ``proc`` and its child processes (a hung compiler, for example)."""
    try:
        import psutil  # pylint: disable=import-outside-toplevel

        children = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # pylint: disable=broad-except  (psutil missing, process gone)
        children = []
    for child in children:
        try:
            child.kill()
        except Exception:  # pylint: disable=broad-except
            pass
    try:
        proc.kill()
    except OSError:
        pass


class PopenWorker:
    """One persistent worker process, used by one thread at a time.

    The process starts at the first :meth:`send` (or :meth:`start`) and serves
    jobs until it times out, dies, reaches ``maximum_uses`` or is killed; the next
    :meth:`send` then starts a new one.

    Parameters
    ----------
    initializer : Optional[Callable]
        Run in each new process before its first job (not counted in the job's time).
    initargs : tuple
        Arguments of ``initializer``.
    maximum_uses : Optional[int]
        Jobs a process runs before it is replaced; None: no limit.
    stdout, stderr : Union[None, int, IO]
        The process's output streams, as for ``subprocess.Popen``.
    """

    def __init__(self, initializer=None, initargs=(), maximum_uses=None, stdout=None, stderr=None):
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be callable, got %r" % (initializer,))
        self._init = (initializer, tuple(initargs))
        self._maximum_uses = maximum_uses
        self._streams = (stdout, stderr)
        self._proc = None
        self._reader = None
        self._writer = None
        self._ready = False
        self._uses = 0
        self._pending = None  # (job bytes, timeout, time sent)

    @property
    def pid(self):
        """Process id of the current worker process, or None."""
        return self._proc.pid if self._proc is not None else None

    def is_alive(self):
        """Whether the worker process is running."""
        return self._proc is not None and self._proc.poll() is None

    def start(self):
        """Start the process if it is not running; returns without waiting for it."""
        if self.is_alive():
            return
        self.kill()
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        try:
            self._proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, "-c", _BOOT, str(to_child_r), str(to_parent_w)],
                pass_fds=(to_child_r, to_parent_w), stdin=subprocess.DEVNULL,
                stdout=self._streams[0], stderr=self._streams[1])
        finally:
            os.close(to_child_r)
            os.close(to_parent_w)
        self._reader = Connection(to_parent_r, writable=False)
        self._writer = Connection(to_child_w, readable=False)
        self._uses = 0
        self._writer.send_bytes(_dumps(list(sys.path)))
        self._writer.send_bytes(_dumps(self._init))

    def kill(self):
        """Kill the process (and its children) now; the next job starts a new one."""
        if self._proc is not None:
            if self._proc.poll() is None:
                _kill_tree(self._proc)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        for conn in (self._reader, self._writer):
            if conn is not None:
                conn.close()
        self._proc = self._reader = self._writer = None
        self._ready = False

    def join(self, timeout=None):
        """Ask the process to exit after its current job and wait up to ``timeout`` s."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass

    def send(self, fn, args=(), kwargs=None, timeout=None):
        """Submit ``fn(*args, **kwargs)``; :meth:`recv` waits for its outcome.

        Parameters
        ----------
        fn : Callable
            A function picklable by ``cloudpickle``.
        args : tuple
        kwargs : Optional[dict]
        timeout : Optional[float]
            Seconds the job may run (from the moment the worker is ready).
        """
        if self._maximum_uses and self._uses >= self._maximum_uses:
            self.kill()
        self._pending = (_dumps((fn, tuple(args), dict(kwargs or {}))), timeout, time.monotonic())
        self.start()

    def recv(self):
        """Wait for the outcome of the last :meth:`send` and return the job's value.

        Raises
        ------
        TimeoutError
            The job overran its time limit; the process was killed.
        ChildProcessError
            The process died (or could not start); the message names the cause.
        Exception
            What the job raised, its remote traceback as ``__cause__``.
        """
        if self._pending is None:
            raise RuntimeError("PopenWorker.recv() without a send()")
        data, timeout, sent = self._pending
        self._pending = None
        self._wait_ready()
        pid = self.pid
        try:
            self._writer.send_bytes(data)
        except (OSError, ValueError):
            raise self._died(pid) from None
        self._uses += 1
        wait = None if timeout is None else max(0.0, max(sent, self._ready) + timeout - time.monotonic())
        if not self._reader.poll(wait):
            self.kill()
            raise TimeoutError("no result within %g s: the worker (pid %d) was killed and is replaced"
                               % (timeout, pid))
        try:
            status, value = cloudpickle.loads(self._reader.recv_bytes())
        except (EOFError, OSError):
            raise self._died(pid) from None
        if status == StatusKind.COMPLETE:
            return value
        raise _rebuild_exception(value)

    def _died(self, pid, when="while running the job"):
        code = None
        if self._proc is not None:
            try:
                code = self._proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return ChildProcessError("the worker (pid %s) died %s: %s" % (pid, when, _exit_cause(code)))

    def _wait_ready(self):
        """Block until the process has started; sets ``_ready`` to the time it did."""
        if self._ready:
            return
        pid = self.pid
        if not self._reader.poll(STARTUP_TIMEOUT):
            self.kill()
            raise TimeoutError("the worker (pid %d) did not start within %g s" % (pid, STARTUP_TIMEOUT))
        try:
            kind, text = cloudpickle.loads(self._reader.recv_bytes())
        except (EOFError, OSError):
            raise self._died(pid, "while starting") from None
        if kind != "ready":
            self.kill()
            raise ChildProcessError("the worker (pid %d) could not start, its initializer raised:\n%s" % (pid, text))
        self._ready = time.monotonic()

    def __del__(self):
        try:
            self.kill()
        except Exception:  # pylint: disable=broad-except
            pass


def _outcome(future):
    """The :class:`MapResult` of a finished future of the pool."""
    try:
        return MapResult(StatusKind.COMPLETE, future.result())
    except TimeoutError as err:
        return MapResult(StatusKind.TIMEOUT, err)
    except Exception as err:  # pylint: disable=broad-except
        return MapResult(StatusKind.EXCEPTION, err)


def _kill_all(workers):
    for worker in workers:
        worker.kill()


class PopenPoolExecutor:
    """Run jobs on ``max_workers`` persistent :class:`PopenWorker` processes.

    Parameters
    ----------
    max_workers : Optional[int]
        Number of worker processes (default ``os.cpu_count()``).
    timeout : Optional[float]
        Seconds each job may run; None: no limit.
    initializer : Optional[Callable]
        Run in each new worker process before its first job.
    initargs : tuple
        Arguments of ``initializer``.
    maximum_process_uses : Optional[int]
        Jobs a process runs before it is replaced; None: no limit.
    stdout, stderr : Union[None, int, IO]
        Output streams of the workers, as for ``subprocess.Popen``.
    """

    def __init__(self, max_workers=None, timeout=None, initializer=None, initargs=(),
                 maximum_process_uses=None, stdout=None, stderr=None):
        max_workers = (os.cpu_count() or 1) if max_workers is None else int(max_workers)
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1, got %d" % max_workers)
        self._timeout = timeout
        self._workers = [PopenWorker(initializer, initargs, maximum_process_uses, stdout, stderr)
                         for _ in range(max_workers)]
        self._idle = queue.SimpleQueue()
        for worker in self._workers:
            self._idle.put(worker)
        self._threads = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="popen_pool")
        # kills the workers when the pool is collected or at exit; holds no reference to the pool
        self._finalizer = weakref.finalize(self, _kill_all, self._workers)

    @property
    def max_workers(self):
        """Number of worker processes."""
        return len(self._workers)

    def start(self):
        """Start every worker process that is not running, without waiting for them."""
        for worker in self._workers:
            if not worker.is_alive():
                worker.start()

    def _run(self, fn, args, kwargs, timeout):
        worker = self._idle.get()
        try:
            worker.send(fn, args, kwargs, timeout)
            return worker.recv()
        finally:
            self._idle.put(worker)

    def submit(self, fn, *args, **kwargs):
        """Run ``fn(*args, **kwargs)`` on a worker.

        Returns
        -------
        future : concurrent.futures.Future
            Its result is the job's value; its exception is ``TimeoutError``,
            ``ChildProcessError`` (dead worker) or what the job raised.
        """
        return self._threads.submit(self._run, fn, args, kwargs, self._timeout)

    def map_with_error_catching(self, fn, iterator):
        """Run ``fn(x)`` for each ``x``; returns a list of :class:`MapResult`, in order."""
        return self.starmap_with_error_catching(fn, [(x,) for x in iterator])

    def starmap_with_error_catching(self, fn, args_list, timeout=None):
        """Run ``fn(*args)`` for each ``args``; returns a list of :class:`MapResult`, in order.

        ``timeout`` (seconds) replaces the pool's time limit for these jobs.
        """
        timeout = self._timeout if timeout is None else timeout
        futures = [self._threads.submit(self._run, fn, tuple(args), {}, timeout) for args in args_list]
        return [_outcome(future) for future in futures]

    def shutdown(self, wait=True):
        """Stop the workers (after the jobs already submitted if ``wait``)."""
        self._threads.shutdown(wait=wait)
        for worker in self._workers:
            worker.join(2.0 if wait else 0.0)
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


# ------------------------------------------------- measurement error model
#
# Both tuners report failures with upstream's ``MeasureErrorNo`` names; this is
# the one mapping from a pool outcome to them.


def error_text(err, limit=2000):
    """``Type: message`` of an exception from the pool, with the job's traceback."""
    text = str(err) if isinstance(err, (TimeoutError, ChildProcessError, RemoteError)) \
        else "%s: %s" % (type(err).__name__, err)
    if isinstance(err.__cause__, RemoteTraceback):
        text += "\n" + str(err.__cause__)
    return text if len(text) <= limit else text[: limit // 2] + "\n...\n" + text[-limit // 2:]


def measure_error(result, stage, codes):
    """The error number and message of a build or run outcome.

    Parameters
    ----------
    result : MapResult
        The outcome of a build job, or of a run job (which returns ``("ok", costs)``
        or ``("wrong", message)``).
    stage : str
        ``"build"`` or ``"run"``.
    codes : type
        The tuner's ``MeasureErrorNo`` (upstream names and values).

    Returns
    -------
    error_no, message : (int, Optional[str])
        ``codes.NO_ERROR`` and None on success.
    """
    if result.status == StatusKind.COMPLETE:
        if stage == "run" and result.value[0] == "wrong":
            return codes.WRONG_ANSWER, result.value[1]
        return codes.NO_ERROR, None
    if result.status == StatusKind.TIMEOUT:
        error_no = codes.BUILD_TIMEOUT if stage == "build" else codes.RUN_TIMEOUT
    else:
        error_no = codes.COMPILE_HOST if stage == "build" else codes.RUNTIME_DEVICE
    return error_no, "%s: %s" % (stage, error_text(result.value))
