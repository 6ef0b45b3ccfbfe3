"""The persistent worker pool below both tuners (tvm.contrib.popen_pool)."""
import os
import signal
import time

import pytest

from tvm.contrib.popen_pool import MapResult, PopenPoolExecutor, PopenWorker, StatusKind, error_text, measure_error


class Codes:
    """Upstream error names, as both tuners' ``MeasureErrorNo`` have them."""

    NO_ERROR, COMPILE_HOST, RUNTIME_DEVICE, WRONG_ANSWER, BUILD_TIMEOUT, RUN_TIMEOUT = 0, 2, 4, 5, 6, 7


def kill_self(sig):
    os.kill(os.getpid(), sig)


def set_marker(value):
    os.environ["POPEN_POOL_TEST_MARKER"] = value


def read_marker():
    return os.environ.get("POPEN_POOL_TEST_MARKER")


def fail_init():
    raise RuntimeError("initializer failed on purpose")


def test_results_reuse_and_max_workers():
    with PopenPoolExecutor(max_workers=2, timeout=60) as pool:
        assert pool.max_workers == 2
        assert pool.submit(divmod, 17, 5).result() == (3, 2)
        out = pool.map_with_error_catching(abs, [-1, 2, -3])
        assert out == [MapResult(StatusKind.COMPLETE, v) for v in (1, 2, 3)]
        # persistent workers: many jobs, at most max_workers processes, none of them this one
        pids = [r.value for r in pool.starmap_with_error_catching(os.getpid, [()] * 8)]
        assert len(set(pids)) <= 2 and os.getpid() not in pids
        # one worker at a time: the same process serves consecutive jobs
        first = pool.submit(os.getpid).result()
        assert pool.submit(os.getpid).result() in set(pids) and first in set(pids)
    solo = PopenPoolExecutor(max_workers=1)
    try:
        assert len({solo.submit(os.getpid).result() for _ in range(4)}) == 1
    finally:
        solo.shutdown()
    with pytest.raises(ValueError, match="max_workers"):
        PopenPoolExecutor(max_workers=0)


def test_exception_is_returned_and_the_worker_survives():
    with PopenPoolExecutor(max_workers=1, timeout=60) as pool:
        pid = pool.submit(os.getpid).result()
        res = pool.map_with_error_catching(int, ["12", "not a number"])
        assert res[0] == MapResult(StatusKind.COMPLETE, 12)
        assert res[1].status == StatusKind.EXCEPTION and isinstance(res[1].value, ValueError)
        assert "not a number" in error_text(res[1].value) and "Traceback" in error_text(res[1].value)
        with pytest.raises(ValueError):
            pool.submit(int, "x").result()
        assert pool.submit(os.getpid).result() == pid  # an exception does not cost the process


@pytest.mark.slow  # ~10 s: two worker restarts
def test_timeout_and_killed_worker_are_replaced():
    with PopenPoolExecutor(max_workers=2, timeout=1.5) as pool:
        pool.start()
        pids = {r.value for r in pool.starmap_with_error_catching(os.getpid, [()] * 2)}
        start = time.time()
        res = pool.starmap_with_error_catching(time.sleep, [(60,), (0,)])
        assert time.time() - start < 30
        assert res[0].status == StatusKind.TIMEOUT and isinstance(res[0].value, TimeoutError)
        assert "no result within 1.5 s" in str(res[0].value) and "killed" in str(res[0].value)
        assert res[1] == MapResult(StatusKind.COMPLETE, None)  # the other job is not affected
        res = pool.starmap_with_error_catching(kill_self, [(signal.SIGKILL,)])[0]
        assert res.status == StatusKind.EXCEPTION and isinstance(res.value, ChildProcessError)
        assert "died" in str(res.value) and "SIGKILL" in str(res.value)
        res = pool.starmap_with_error_catching(os._exit, [(3,)])[0]
        assert "exited with code 3" in str(res.value)
        # the pool still works, with new processes in place of the lost ones
        after = {r.value for r in pool.starmap_with_error_catching(os.getpid, [()] * 4, timeout=60)}
        assert len(after) <= 2 and after != pids


def test_worker_killed_while_idle_costs_no_job():
    worker = PopenWorker()
    try:
        worker.send(os.getpid)
        pid = worker.recv()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        worker.send(os.getpid)
        assert worker.recv() not in (pid, os.getpid())
    finally:
        worker.kill()


def test_initializer_and_maximum_uses():
    with PopenPoolExecutor(max_workers=1, initializer=set_marker, initargs=("ready",),
                           maximum_process_uses=2) as pool:
        assert pool.submit(read_marker).result() == "ready"
        pids = [pool.submit(os.getpid).result() for _ in range(3)]
        assert pids[0] != pids[1] == pids[2]  # the third use started a new process
    with PopenPoolExecutor(max_workers=1, initializer=fail_init) as pool:
        res = pool.map_with_error_catching(abs, [1])[0]
        assert isinstance(res.value, ChildProcessError) and "initializer failed on purpose" in str(res.value)


def test_measure_error_mapping():
    ok = MapResult(StatusKind.COMPLETE, ("ok", [1e-3]))
    assert measure_error(ok, "run", Codes) == (Codes.NO_ERROR, None)
    assert measure_error(MapResult(StatusKind.COMPLETE, ("wrong", "differs")), "run", Codes) == \
        (Codes.WRONG_ANSWER, "differs")
    timeout = MapResult(StatusKind.TIMEOUT, TimeoutError("no result within 1 s"))
    assert measure_error(timeout, "build", Codes)[0] == Codes.BUILD_TIMEOUT
    assert measure_error(timeout, "run", Codes)[0] == Codes.RUN_TIMEOUT
    died = MapResult(StatusKind.EXCEPTION, ChildProcessError("the worker died"))
    assert measure_error(died, "build", Codes) == (Codes.COMPILE_HOST, "build: the worker died")
    assert measure_error(died, "run", Codes)[0] == Codes.RUNTIME_DEVICE
