"""Measurement on several RPC servers of one tracker, and what a dying server costs.

One tracker and three servers (key ``KEY``) run on 127.0.0.1 as subprocesses
(``python -m tvm.exec.rpc_tracker`` / ``rpc_server``), each in its own process
group so that killing a server kills its session processes too, as the death
of a machine would (or stopped and resumed, as a machine that hangs for a while).
They are shared by the tests of this module (starting a
server costs seconds of ``import tvm``); a test that needs more live servers
starts them, and the module's finalizer kills every process it started even
when a test fails.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import psutil
import pytest

import tvm
from tvm import auto_scheduler, autotvm, te
from tvm.auto_scheduler.compute_dag import state_to_json
from tvm.auto_scheduler.measure import MeasureErrorNo, MeasureInput
from tvm.autotvm import record
from tvm.contrib.tracker_measure import (NoServerError, TrackerMeasurePool, key_status, measured_session,
                                         parse_tracker, request_session)
from tvm.support import cc

pytest.importorskip("tornado", reason="the RPC tracker of the base needs tornado")

APPS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "apps")
sys.path.insert(0, os.path.abspath(APPS))
import tune_network  # noqa: E402  pylint: disable=wrong-import-position

KEY = "tracker-measure-test"
TARGET = "llvm -num-cores=1"
LOOPBACK = "127.0.0.1"


def _free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class Cluster:
    """A tracker and RPC servers on loopback, started as process groups."""

    def __init__(self):
        self.port = _free_port()
        self.tracker = self._spawn("tvm.exec.rpc_tracker", "--host", LOOPBACK, "--port", str(self.port),
                                   "--port-end", str(self.port + 1))
        self.servers = {}  # "HOST:PORT" -> Popen
        self.stopped = set()  # servers made to hang (SIGSTOP)
        self.idle_descendants = {}

    @staticmethod
    def _spawn(module, *args):
        return subprocess.Popen([sys.executable, "-m", module, *args], start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def live(self):
        """Servers running and not stopped."""
        return [addr for addr, proc in self.servers.items()
                if proc.poll() is None and addr not in self.stopped]

    def ensure(self, count, timeout=90):
        """Start servers until ``count`` are live, and wait until the tracker has them all."""
        for _ in range(count - len(self.live())):
            port = _free_port()
            self.servers[f"{LOOPBACK}:{port}"] = self._spawn(
                "tvm.exec.rpc_server", "--host", LOOPBACK, "--port", str(port), "--port-end", str(port + 1),
                "--tracker", f"{LOOPBACK}:{self.port}", "--key", KEY)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                registered, free = key_status(LOOPBACK, self.port, KEY)
                if registered == free == len(self.live()):
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError("the RPC servers did not register within %d s" % timeout)
        for addr in self.live():
            self.idle_descendants[addr] = self._descendants(addr)

    def _descendants(self, addr):
        try:
            return {p.pid for p in psutil.Process(self.servers[addr].pid).children(recursive=True)}
        except psutil.Error:
            return set()

    def session_process(self, addr):
        """Pid of the server's session process (it forks one per session), or None."""
        extra = self._descendants(addr) - self.idle_descendants[addr]
        return min(extra) if extra else None

    def kill(self, addr):
        os.killpg(self.servers[addr].pid, signal.SIGKILL)
        self.servers[addr].wait(10)

    def kill_when_busy(self, settle=0.4, timeout=60, sig=signal.SIGKILL):
        """In a thread: kill (send ``sig``) the first server seen in one session for ``settle`` s.

        Returns ``({"addr", "when"}, thread)``. Waiting ``settle`` s lets the
        session get past its set-up into the timing (a server killed while the
        client connects is simply replaced by another one, nothing is lost).
        """
        killed = {}

        def _watch():
            deadline = time.time() + timeout
            since = {}  # (server, session pid) -> first seen
            while time.time() < deadline:
                for addr in self.live():
                    session = self.session_process(addr)
                    if session is None:
                        continue
                    if time.time() - since.setdefault((addr, session), time.time()) >= settle:
                        if sig == signal.SIGKILL:
                            self.kill(addr)
                        else:
                            os.killpg(self.servers[addr].pid, sig)
                            self.stopped.add(addr)
                        killed.update(addr=addr, when=time.time())
                        return
                time.sleep(0.05)

        thread = threading.Thread(target=_watch, daemon=True)
        thread.start()
        return killed, thread

    def close(self):
        for proc in list(self.servers.values()) + [self.tracker]:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(10)


@pytest.fixture(name="cluster", scope="module")
def fixture_cluster(request):
    cluster = Cluster()
    request.addfinalizer(cluster.close)
    cluster.ensure(3)  # two are killed by the tests below
    return cluster


# ------------------------------------------------------------------ auto-scheduler


def _add_task(n):
    a = te.placeholder((n,), name="A")
    b = te.placeholder((n,), name="B")
    c = te.compute((n,), lambda i: a[i] + b[i], name="C")
    return auto_scheduler.SearchTask(compute_dag=auto_scheduler.ComputeDAG([a, b, c]), target=TARGET)


def _split_states(task, factors):
    """Distinct states of an elementwise task: its loop split by each factor."""
    states = []
    for factor in factors:
        sch = tvm.s_tir.Schedule(task.compute_dag.mod)
        loop = sch.get_loops(sch.get_sblock("C"))[0]
        sch.split(loop, [None, factor])
        states.append(sch.trace)
    return states


#: Environment variable naming the folder where :func:`recording_fcompile` notes its calls.
LINK_LOG_ENV = "TVMFORK_TRACKER_TEST_LINKS"


def recording_fcompile(output, objects, options=None, **kwargs):
    """Link like the default, noting ``pid start end`` of the call (runs in build workers).

    The 0.2 s pause makes the links of two parallel workers overlap for sure.
    """
    start = time.time()
    time.sleep(0.2)
    cc.create_shared(output, objects, options)
    with open(os.path.join(os.environ[LINK_LOG_ENV], "%d-%f" % (os.getpid(), start)), "w") as note:
        note.write("%d %f %f" % (os.getpid(), start, time.time()))


def _link_intervals():
    folder = os.environ[LINK_LOG_ENV]
    rows = []
    for name in os.listdir(folder):
        with open(os.path.join(folder, name)) as note:
            pid, start, end = note.read().split()
        rows.append((int(pid), float(start), float(end)))
        os.remove(os.path.join(folder, name))
    return rows


@pytest.fixture(name="builder", scope="module")
def fixture_builder(request, tmp_path_factory):
    # one builder for the module: its workers take seconds to start
    os.environ[LINK_LOG_ENV] = str(tmp_path_factory.mktemp("links"))
    request.addfinalizer(lambda: os.environ.pop(LINK_LOG_ENV, None))
    builder = auto_scheduler.LocalBuilder(n_parallel=2, build_func=recording_fcompile)
    request.addfinalizer(builder.close)
    return builder


@pytest.fixture(name="runner", scope="module")
def fixture_runner(request, cluster):
    runner = auto_scheduler.RPCRunner(KEY, LOOPBACK, cluster.port, n_parallel=2, timeout=20)
    request.addfinalizer(runner.close)
    return runner


def _measure_and_log(builder, inputs, runner, log):
    build_results = builder.build(inputs, verbose=0)
    assert all(b.error_no == 0 for b in build_results), [b.error_msg for b in build_results]
    results = runner.run(inputs, build_results, verbose=0)
    auto_scheduler.RecordToFile(log).callback(None, inputs, results)
    return results, list(runner.last_servers)


@pytest.mark.slow  # ~20 s: the first use of the builder and runner workers
def test_auto_scheduler_runner_uses_two_servers_and_keeps_order(cluster, builder, runner, tmp_path):
    small, large = _add_task(64), _add_task(1 << 20)
    inputs = []
    for factor in (4, 8, 16):
        inputs.append(MeasureInput(small, _split_states(small, [factor])[0]))
        inputs.append(MeasureInput(large, _split_states(large, [factor])[0]))
    runner.number, runner.repeat, runner.min_repeat_ms = 2, 2, 150
    log = str(tmp_path / "log.json")
    _link_intervals()
    results, servers = _measure_and_log(builder, inputs, runner, log)
    # the builds ran in two worker processes at once
    links = _link_intervals()
    assert len(links) == len(inputs) and len({pid for pid, _, _ in links}) == 2, links
    assert any(a[0] != b[0] and a[1] < b[2] and b[1] < a[2] for a in links for b in links), links
    for res in results:
        assert res.error_no == MeasureErrorNo.NO_ERROR, res.error_msg
        assert len(res.costs) == 2 and all(c > 0 for c in res.costs)
    # in input order: a 64-element add takes far less than a 1M-element one
    means = [res.mean_cost() for res in results]
    for small_cost, large_cost in zip(means[0::2], means[1::2]):
        assert large_cost > 20 * small_cost, means
    assert len(set(servers)) >= 2 and set(servers) <= set(cluster.servers), servers
    records = list(auto_scheduler.load_records(log))
    assert [state_to_json(r[0].state) for r in records] == [state_to_json(i.state) for i in inputs]


def test_auto_scheduler_server_death_costs_only_its_candidate(cluster, builder, runner, tmp_path):
    cluster.ensure(2)
    task = _add_task(1 << 16)
    inputs = [MeasureInput(task, s) for s in _split_states(task, [1, 2, 4, 8, 16, 32])]
    # each candidate holds its server for about 1 s, so the kill lands mid-measurement
    runner.number, runner.repeat, runner.min_repeat_ms = 1, 1, 800
    log = str(tmp_path / "log.json")
    killed, watcher = cluster.kill_when_busy()
    first, first_servers = _measure_and_log(builder, inputs, runner, log)
    watcher.join(5)
    assert killed, "no server was seen in a session"
    later_inputs = [MeasureInput(task, s) for s in _split_states(task, [64, 128])]
    later, later_servers = _measure_and_log(builder, later_inputs, runner, log)
    dead = killed["addr"]
    errors = [(i, r) for i, r in enumerate(first) if r.error_no != MeasureErrorNo.NO_ERROR]
    # the killed server had one session: one candidate lost, named after the server
    assert len(errors) == 1, [(r.error_no, r.error_msg) for r in first]
    idx, err = errors[0]
    assert err.error_no == MeasureErrorNo.RUNTIME_DEVICE and dead in err.error_msg, err.error_msg
    assert first_servers[idx] == dead
    for i, res in enumerate(first):
        if i != idx:
            assert res.costs[0] > 0 and res.error_no == 0
    # the next round ran on the survivors
    assert dead not in later_servers and all(later_servers), later_servers
    assert all(r.error_no == 0 and r.costs[0] > 0 for r in later)
    # the log: exactly one record per input, in order, the error included
    records = list(auto_scheduler.load_records(log))
    all_inputs = inputs + later_inputs
    assert len(records) == len(all_inputs) == 8
    assert [state_to_json(r[0].state) for r in records] == [state_to_json(i.state) for i in all_inputs]
    assert [r[1].error_no for r in records] == [r.error_no for r in first + later]


def test_request_gives_up_when_no_server_is_free(cluster):
    cluster.ensure(1)
    live = cluster.live()
    sessions = [request_session(LOOPBACK, cluster.port, KEY, wait_timeout=10)[0] for _ in live]
    start = time.time()
    with pytest.raises(NoServerError, match="became free within 1.5 s"):
        request_session(LOOPBACK, cluster.port, KEY, wait_timeout=1.5)
    assert time.time() - start < 5
    del sessions


def test_runner_without_server_of_key_fails_the_batch_at_once(cluster, builder, tmp_path):
    task = _add_task(64)
    inputs = [MeasureInput(task, s) for s in _split_states(task, [4, 8])]
    runner = auto_scheduler.RPCRunner("no-such-key", LOOPBACK, cluster.port, n_parallel=2, timeout=5)
    start = time.time()
    try:
        results, servers = _measure_and_log(builder, inputs, runner, str(tmp_path / "log.json"))
    finally:
        runner.close()
    assert time.time() - start < 10
    assert servers == [None, None]
    for res in results:
        assert res.error_no == MeasureErrorNo.RUN_TIMEOUT and "no-such-key" in res.error_msg


# ------------------------------------------------------------------ a hung server


def remote_sum_job(values, session_args):
    """A :class:`TrackerMeasurePool` job: sum ``values`` on a server (after 0.6 s in session)."""
    with measured_session(session_args) as remote:
        time.sleep(0.6)  # the test stops the server meanwhile
        array = tvm.runtime.tensor(np.array(values, dtype="float32"), remote.cpu(0))
        return "ok", [float(array.numpy().sum())]


def test_hung_server_costs_only_its_job(cluster):
    cluster.ensure(2)
    pool = TrackerMeasurePool(KEY, LOOPBACK, cluster.port, 1, n_parallel=2, run_timeout=1.5, wait_timeout=2,
                              setup_timeout=1.5)
    try:
        pool.start()
        jobs = [([1.0, 2.0],), ([3.0, 4.0],), ([5.0, 6.0],), ([7.0, 8.0],)]
        stopped, watcher = cluster.kill_when_busy(settle=0.2, sig=signal.SIGSTOP)
        outcomes = pool.map(remote_sum_job, jobs, MeasureErrorNo)
        watcher.join(5)
        assert stopped, "no server was seen in a session"
        hung = stopped["addr"]
        waited = time.time() - stopped["when"]
        servers = list(pool.last_servers)
        later = pool.map(remote_sum_job, jobs[:2], MeasureErrorNo)
        later_servers = list(pool.last_servers)
        # with the other server held by someone else, a job gets no server: an error within the wait limit
        held = [request_session(LOOPBACK, cluster.port, KEY, wait_timeout=10)[0] for _ in cluster.live()]
        start = time.time()
        starved = pool.map(remote_sum_job, jobs[:1], MeasureErrorNo)
        starved_wait = time.time() - start
        del held
    finally:
        pool.close()
        if stopped:  # the server comes back: its stale session ends, it registers again
            os.killpg(cluster.servers[stopped["addr"]].pid, signal.SIGCONT)
            cluster.stopped.discard(stopped["addr"])
    # the job on the hung server is a timeout naming it, at the session's time limit, not a hang
    failed = [i for i, (error_no, _, _) in enumerate(outcomes) if error_no != MeasureErrorNo.NO_ERROR]
    assert len(failed) == 1, outcomes
    error_no, message, _ = outcomes[failed[0]]
    assert error_no == MeasureErrorNo.RUN_TIMEOUT and servers[failed[0]] == hung, message
    assert f"server {hung}" in message and "within 3 s of its session" in message, message
    assert waited < pool.session_limit + 2
    # the others ran, in order, on the other server; so did the next round
    for i, (error_no, _, value) in enumerate(outcomes):
        if i != failed[0]:
            assert error_no == 0 and value[1] == [sum(jobs[i][0])] and servers[i] != hung
    assert [o[2][1] for o in later] == [[3.0], [7.0]] and hung not in later_servers
    assert starved[0][0] == MeasureErrorNo.RUN_TIMEOUT and "became free within 2 s" in starved[0][1], starved
    assert starved_wait < pool.job_timeout and pool.last_servers == [None]
    # resumed, the server is free at the tracker again (no new server is started here)
    cluster.ensure(2, timeout=30)
    assert hung in cluster.live() and key_status(LOOPBACK, cluster.port, KEY)[1] == 2


# ------------------------------------------------------------------ AutoTVM


@autotvm.template("test_tracker_measure/double")
def double(n):
    cfg = autotvm.get_config()
    cfg.define_split("tile", n, num_outputs=2)
    a = te.placeholder((n,), name="A")
    b = te.compute((n,), lambda i: a[i] * 2.0, name="B")
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b]))
    cfg["tile"].apply(sch, sch.get_loops(sch.get_sblock("B"))[0])
    return sch, [a, b]


@pytest.mark.slow  # ~30 s: AutoTVM's own builder and runner workers start
def test_autotvm_server_death_costs_only_its_candidate(cluster, tmp_path):
    cluster.ensure(2)
    task = autotvm.task.create("test_tracker_measure/double", args=(1 << 12,), target="llvm")
    n_trial = 4  # two batches of two: the kill lands in the first, the second must run
    assert len(task.config_space) >= n_trial
    option = autotvm.measure_option(
        builder=autotvm.LocalBuilder(n_parallel=2),
        runner=autotvm.RPCRunner(KEY, LOOPBACK, cluster.port, n_parallel=2, number=1, repeat=1,
                                 min_repeat_ms=800, timeout=20, cooldown_interval=0),
    )
    log = str(tmp_path / "autotvm.log")
    killed, watcher = cluster.kill_when_busy()
    tuner = autotvm.tuner.GridSearchTuner(task)
    tuner.tune(n_trial=n_trial, measure_option=option, callbacks=[autotvm.callback.log_to_file(log)])
    watcher.join(5)
    assert killed, "no server was seen in a session"
    records = list(record.load_from_file(log))
    # one record per trial, none lost or repeated
    assert [inp.config.index for inp, _ in records] == list(range(n_trial))
    errors = [res for _, res in records if res.error_no != 0]
    assert len(errors) == 1, [(r.error_no, r.costs) for _, r in records]
    assert errors[0].error_no == autotvm.measure.MeasureErrorNo.RUNTIME_DEVICE
    assert killed["addr"] in str(errors[0].costs[0])
    good = [res for _, res in records if res.error_no == 0]
    assert len(good) == n_trial - 1 and all(np.all(np.array(r.costs) > 0) for r in good)
    # the trials after the kill were measured (the run went on)
    assert max(r.timestamp for r in good) > killed["when"]


# ------------------------------------------------------------------ apps/tune_network.py


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--rpc-tracker", "127.0.0.1"], "--rpc-tracker and --rpc-key go together"),
        (["--rpc-key", "k"], "--rpc-tracker and --rpc-key go together"),
        (["--rpc-tracker", "trackerhost", "--rpc-key", "k"], "must be HOST:PORT, got 'trackerhost'"),
        (["--rpc-tracker", "h:1", "--rpc-key", "k", "--rpc-parallel", "0"], "--rpc-parallel must be at least 1"),
    ],
)
def test_tune_network_rejects_bad_rpc_flags(tmp_path, capsys, argv, message):
    log = tmp_path / "log.json"
    with pytest.raises(SystemExit) as info:
        tune_network.main(["--network", "mlp", "--trials", "4", "--log-file", str(log)] + argv)
    assert info.value.code == 2 and message in capsys.readouterr().err
    assert not log.exists()


def test_parse_tracker():
    assert parse_tracker("10.0.0.2:9190") == ("10.0.0.2", 9190)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_tracker(":9190")


def test_tune_network_runner_defaults_to_the_free_servers(cluster):
    cluster.ensure(1)
    _, free = key_status(LOOPBACK, cluster.port, KEY)
    args = argparse.Namespace(
        rpc_tracker=f"{LOOPBACK}:{cluster.port}", rpc_key=KEY, rpc_parallel=None)
    runner = tune_network.rpc_runner(args, {"number": 1, "repeat": 3})
    assert isinstance(runner, auto_scheduler.RPCRunner)
    assert (runner.key, runner.host, runner.port, runner.n_parallel) == (KEY, LOOPBACK, cluster.port, free)
    assert free == len(cluster.live()) >= 1 and runner.repeat == 3
    args.rpc_parallel = 1
    assert tune_network.rpc_runner(args, {}).n_parallel == 1



def test_autotvm_runner_defaults_to_the_registered_servers(cluster):
    cluster.ensure(1)
    task = autotvm.task.create("test_tracker_measure/double", args=(64,), target="llvm")
    registered, _ = key_status(LOOPBACK, cluster.port, KEY)
    runner = autotvm.RPCRunner(KEY, LOOPBACK, cluster.port)
    try:
        runner.set_task(task)
        assert runner.n_parallel == registered == len(cluster.live())
    finally:
        runner.close()
    missing = autotvm.RPCRunner("no-such-key", LOOPBACK, cluster.port)
    with pytest.raises(RuntimeError, match="no RPC server of key 'no-such-key'"):
        missing.set_task(task)
