"""AutoTVM measurement through an RPC tracker and server started on 127.0.0.1.

Needs ``tornado`` (the base's tracker imports it).
"""
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import tvm
from tvm import autotvm, te
from tvm.autotvm import record

pytest.importorskip("tornado", reason="the RPC tracker of the base needs tornado")

KEY = "autotvm-test"


@autotvm.template("test_rpc/scale")
def scale(n):
    cfg = autotvm.get_config()
    cfg.define_split("tile", n, num_outputs=2)
    a = te.placeholder((n,), name="A")
    b = te.compute((n,), lambda i: a[i] * 3.0, name="B")
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b]))
    _, inner = cfg["tile"].apply(sch, sch.get_loops(sch.get_sblock("B"))[0])
    sch.vectorize(inner)
    return sch, [a, b]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_device(port, deadline):
    while time.time() < deadline:
        try:
            summary = tvm.rpc.connect_tracker("127.0.0.1", port).summary()
            if any(q.get("key") == KEY for q in summary.get("server_info", [])) or \
                    summary.get("queue_info", {}).get(KEY, {}).get("free", 0) > 0:
                return True
        except Exception:  # pylint: disable=broad-except
            pass
        time.sleep(0.5)
    return False


@pytest.fixture(name="tracker_port")
def fixture_rpc_cluster():
    port = _free_port()
    procs = []
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tvm.exec.rpc_tracker", "--host", "127.0.0.1", "--port", str(port),
             "--port-end", str(port + 1)]))
        time.sleep(1.0)
        server_port = _free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tvm.exec.rpc_server", "--host", "127.0.0.1",
             "--port", str(server_port), "--port-end", str(server_port + 50),
             "--tracker", f"127.0.0.1:{port}", "--key", KEY]))
        assert _wait_for_device(port, time.time() + 90), "the RPC server never registered"
        yield port
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.slow  # ~30 s: tracker, server and worker start-up
def test_rpc_runner_measures_through_tracker(tracker_port, tmp_path):
    task = autotvm.task.create("test_rpc/scale", args=(256,), target="llvm")
    option = autotvm.measure_option(
        builder=autotvm.LocalBuilder(n_parallel=1),
        runner=autotvm.RPCRunner(KEY, "127.0.0.1", tracker_port, number=2, repeat=2, timeout=30,
                                 check_correctness=True),
    )
    log = tmp_path / "rpc.log"
    tuner = autotvm.tuner.GridSearchTuner(task)
    tuner.tune(n_trial=4, measure_option=option, callbacks=[autotvm.callback.log_to_file(str(log))])
    records = list(record.load_from_file(str(log)))
    assert [inp.config.index for inp, _ in records] == [0, 1, 2, 3]
    for _, res in records:
        assert res.error_no == 0, res.costs
        assert len(res.costs) == 2 and all(0 < c < 0.1 for c in res.costs)
    # the session helper reaches the same device
    remote = autotvm.measure.request_remote(KEY, "127.0.0.1", tracker_port, timeout=10)
    arr = tvm.runtime.tensor(np.arange(4, dtype="float32"), remote.cpu(0))
    np.testing.assert_array_equal(arr.numpy(), np.arange(4, dtype="float32"))
