"""Measuring candidates on the servers of an RPC tracker, several at once.

Shared by the RPC runners of both tuners (``auto_scheduler.RPCRunner`` and
AutoTVM's ``RPCRunner``). The model: ``n_parallel`` worker processes of
:mod:`tvm.contrib.popen_pool`; each takes one candidate at a time, asks the
tracker for a session on a free server of the key, uploads the library and
times it there. The tracker hands each request a different free server, so up
to ``n_parallel`` servers measure at once; results are returned in input order.

Why not the base's ``TrackerSession.request``: it waits without limit for a
free server (a key whose servers all died hangs the tuning) and does not say
which server it connected to, which an error record must name.
:func:`request_session` speaks the same tracker protocol with a deadline and
reports the server.

Failure model (what :class:`TrackerMeasurePool` turns into error results):

* the server dies during a measurement: the session's socket closes, the job
  raises, the candidate gets ``RUNTIME_DEVICE`` naming the server;
* the server hangs: ``setup_timeout + run_timeout`` seconds after its
  session opened, the measuring process is killed (:func:`measured_session`)
  and replaced, the candidate gets ``RUN_TIMEOUT`` naming the server;
* no server of the key becomes free within the wait limit, or none is
  registered at all: ``RUN_TIMEOUT`` naming the key and the tracker.

In every case only the candidates in flight on the failed server are lost;
the tracker stops handing out a server whose connection closed (killed) or
that never comes back from its session (hung), so later candidates go to the
remaining servers.
"""
import contextlib
import os
import select
import shutil
import signal
import socket
import struct
import tempfile
import threading
import time

from tvm.contrib.popen_pool import PopenPoolExecutor, StatusKind, measure_error

#: Seconds allowed, on top of the run time, to connect to a server and upload a library.
SESSION_SETUP_SECONDS = 10.0


class NoServerError(RuntimeError):
    """No server of the key could be obtained from the tracker in time."""


def parse_tracker(text):
    """``"HOST:PORT"`` -> ``(host, port)``; ValueError naming the text otherwise."""
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError("RPC tracker address must be HOST:PORT, got %r" % (text,))
    return host, int(port)


def _open_tracker(host, port, timeout):
    from tvm.rpc import base  # pylint: disable=import-outside-toplevel

    sock = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        sock.sendall(struct.pack("<i", base.RPC_TRACKER_MAGIC))
        magic = struct.unpack("<i", base.recvall(sock, 4))[0]
    except Exception:
        sock.close()
        raise
    if magic != base.RPC_TRACKER_MAGIC:
        sock.close()
        raise RuntimeError("%s:%d is not an RPC tracker" % (host, port))
    return sock


def key_status(host, port, key, timeout=10.0):
    """How many servers of ``key`` the tracker at ``host:port`` knows.

    Returns
    -------
    registered, free : (int, int)
        Servers connected to the tracker with this key, and those of them not
        in a session now.
    """
    from tvm.rpc import base  # pylint: disable=import-outside-toplevel

    sock = _open_tracker(host, port, timeout)
    try:
        base.sendjson(sock, [base.TrackerCode.SUMMARY])
        reply = base.recvjson(sock)
    finally:
        sock.close()
    if reply[0] != base.TrackerCode.SUCCESS:
        raise RuntimeError("tracker %s:%d refused a summary: %r" % (host, port, reply))
    summary = reply[1]
    registered = sum(1 for info in summary.get("server_info", []) if info.get("key") == "server:" + key)
    free = summary.get("queue_info", {}).get(key, {}).get("free", 0)
    return registered, free


def request_session(host, port, key, priority=1, session_timeout=0, wait_timeout=60.0, note_path=None):
    """An RPC session on a free server of ``key``, waiting at most ``wait_timeout`` s.

    The wait gives up early when the tracker has no server of the key at all.
    A server that was handed out but cannot be reached (it just died) is
    skipped and another one requested.

    Parameters
    ----------
    host, port : str, int
        The tracker.
    key : str
        The device key the servers registered with.
    priority : int
        Priority of the request at the tracker (larger is served first).
    session_timeout : float
        Seconds after which the server ends the session by itself (0: never).
    wait_timeout : float
        Seconds to wait for a free server.
    note_path : Optional[str]
        When given, ``HOST:PORT`` of the server is written there once the
        session is open, so that the caller can name the server even if this
        process is killed.

    Returns
    -------
    session, server : (RPCSession, str)

    Raises
    ------
    NoServerError
        No server of the key within ``wait_timeout`` (or none registered).
    """
    from tvm.rpc import base  # pylint: disable=import-outside-toplevel
    from tvm.rpc.client import connect  # pylint: disable=import-outside-toplevel

    where = "key %r at tracker %s:%d" % (key, host, port)
    deadline = time.monotonic() + wait_timeout
    last_error = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NoServerError("no server of %s became free within %g s%s" % (
                where, wait_timeout, "" if last_error is None else " (last error: %s)" % last_error))
        sock = _open_tracker(host, port, min(remaining, 10.0))
        try:
            base.sendjson(sock, [base.TrackerCode.REQUEST, key, "", priority])
            # wait in slices: between them, check that the key still has a server
            while not select.select([sock], [], [], min(2.0, max(0.0, deadline - time.monotonic())))[0]:
                if time.monotonic() >= deadline:
                    break
                if key_status(host, port, key)[0] == 0:
                    raise NoServerError("no server of %s is registered" % where)
            else:
                reply = base.recvjson(sock)
                if reply[0] != base.TrackerCode.SUCCESS:
                    raise RuntimeError("tracker %s:%d refused the request: %r" % (host, port, reply))
                server_host, server_port, match_key = reply[1]
                server = "%s:%s" % (server_host, server_port)
                try:
                    session = connect(server_host, server_port, match_key, session_timeout)
                except (OSError, RuntimeError) as err:
                    # handed out just before it died: ask for another one
                    last_error = "server %s: %s" % (server, err)
                    continue
                if note_path:
                    with open(note_path, "w") as note:
                        note.write(server)
                return session, server
        finally:
            sock.close()  # the tracker drops a request whose client has gone


@contextlib.contextmanager
def measured_session(session_args):
    """A session from :func:`request_session` that may last ``session_args[-1]`` seconds.

    ``session_args`` are :func:`request_session`'s positional arguments followed
    by that limit (:meth:`TrackerMeasurePool.map` hands them to each job). A
    hung server blocks the measuring process inside the RPC library, where no
    Python timer runs; so when the limit is over, ``SIGALRM`` with its default
    action ends the process, and the pool reports the job as a timeout of that
    server. Without the alarm the job would only end at the pool's time limit,
    which also counts the wait for a free server.
    """
    *request_args, limit = session_args
    remote, _ = request_session(*request_args)
    armed = limit and threading.current_thread() is threading.main_thread()
    if armed:
        previous = signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, float(limit))
    try:
        yield remote
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _killed_by_alarm(err):
    return isinstance(err, ChildProcessError) and "SIGALRM" in str(err)


class TrackerMeasurePool:
    """``n_parallel`` workers measuring candidates on the servers of one key.

    Parameters
    ----------
    key : str
        The device key.
    host, port : str, int
        The tracker.
    priority : int
        Priority of the requests.
    n_parallel : int
        Candidates in flight at once (each on its own server).
    run_timeout : float
        Seconds allowed to time one candidate once its session is open.
    wait_timeout : float
        Seconds a candidate may wait for a free server.
    setup_timeout : float
        Seconds allowed, on top, to connect to the server and upload the library.
    """

    def __init__(self, key, host, port, priority, n_parallel, run_timeout, wait_timeout,
                 setup_timeout=SESSION_SETUP_SECONDS):
        if int(n_parallel) < 1:
            raise ValueError("n_parallel must be at least 1, got %r" % (n_parallel,))
        self.key = key
        self.host = host
        self.port = int(port)
        self.priority = priority
        self.n_parallel = int(n_parallel)
        self.run_timeout = float(run_timeout)
        self.wait_timeout = float(wait_timeout)
        self.setup_timeout = float(setup_timeout)
        self._pool = None
        self._note_dir = None
        self._count = 0
        #: ``HOST:PORT`` of the server of each job of the last :meth:`map` (None: no session).
        self.last_servers = []

    @property
    def where(self):
        return "key %r at tracker %s:%d" % (self.key, self.host, self.port)

    def start(self):
        """Start the worker processes (in the background)."""
        if self._pool is None:
            self._pool = PopenPoolExecutor(self.n_parallel, self.job_timeout)
            self._note_dir = tempfile.mkdtemp(prefix="tracker_measure_")
        self._pool.start()

    @property
    def session_limit(self):
        """Seconds a job may hold its session (connect, upload and run)."""
        return self.setup_timeout + self.run_timeout

    @property
    def job_timeout(self):
        # a backstop: a hung session normally ends at session_limit (measured_session)
        return self.wait_timeout + self.session_limit + 5.0

    def session_args(self, note_path):
        """What a job passes to :func:`measured_session`."""
        # the server ends the session by itself if the measuring process dies holding it
        session_timeout = int(self.session_limit + 1)
        return (self.host, self.port, self.key, self.priority, session_timeout, self.wait_timeout, note_path,
                self.session_limit)

    def unavailable(self):
        """Why no candidate can be measured now (no server of the key), or None."""
        try:
            registered, _ = key_status(self.host, self.port, self.key)
        except (OSError, RuntimeError) as err:
            return "cannot reach the tracker %s:%d: %s" % (self.host, self.port, err)
        return None if registered else "no server of %s is registered" % self.where

    def map(self, fn, jobs, codes):
        """Run ``fn(*job, session_args)`` for each job, ``n_parallel`` at a time.

        ``fn`` opens its session with ``measured_session(session_args)``.

        Returns
        -------
        outcomes : list of (error_no, message, value)
            In input order; ``value`` is the job's value on success.
        """
        self.start()
        notes, calls = [], []
        for job in jobs:
            self._count += 1
            note = os.path.join(self._note_dir, "job%d" % self._count)
            notes.append(note)
            calls.append(tuple(job) + (self.session_args(note),))
        results = self._pool.starmap_with_error_catching(fn, calls, self.job_timeout)
        outcomes, self.last_servers = [], []
        for out, note in zip(results, notes):
            server = None
            if os.path.exists(note):
                with open(note) as handle:
                    server = handle.read().strip() or None
                os.remove(note)
            self.last_servers.append(server)
            outcomes.append(self._outcome(out, server, codes))
        return outcomes

    def _outcome(self, out, server, codes):
        error_no, message = measure_error(out, "run", codes)
        if error_no == codes.NO_ERROR:
            return error_no, None, out.value
        if out.status == StatusKind.EXCEPTION and isinstance(out.value, NoServerError):
            return codes.RUN_TIMEOUT, "run: %s" % out.value, None
        if server is None:
            return error_no, "%s (%s, before a session was open)" % (message, self.where), None
        if out.status == StatusKind.EXCEPTION and _killed_by_alarm(out.value):
            message = "run: server %s (key %r) gave no result within %g s of its session (hung or too slow)" % (
                server, self.key, self.session_limit)
            return codes.RUN_TIMEOUT, message, None
        if out.status == StatusKind.TIMEOUT:
            message = "run: server %s (key %r) gave no result within %g s (hung or dead): %s" % (
                server, self.key, self.job_timeout, out.value)
            return error_no, message, None
        return error_no, "run on server %s (key %r): %s" % (server, self.key, message), None

    def close(self):
        """Stop the workers and remove the notes."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        if self._note_dir:
            shutil.rmtree(self._note_dir, ignore_errors=True)
            self._note_dir = None
