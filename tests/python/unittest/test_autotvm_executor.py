"""The persistent worker pool of the measurement, and the builder's timeout."""
import os

import pytest

from tvm import autotvm, te
import tvm
from tvm.autotvm.measure import MeasureErrorNo, MeasureInput
from tvm.autotvm.measure.executor import WorkerCrash, WorkerError, WorkerPool, WorkerTimeout


@pytest.mark.slow  # 10-25 s: three worker restarts
def test_pool_results_errors_crashes_and_timeouts():
    pool = WorkerPool(2)
    try:
        first = pool.map("os:getpid", [(), ()], timeout=60)
        assert len(set(first)) == 2 and os.getpid() not in first
        out = pool.map("math:sqrt", [(16.0,), (-1.0,)], timeout=60)
        assert out[0] == 4.0
        assert isinstance(out[1], WorkerError) and "ValueError" in str(out[1])
        out = pool.map("os:_exit", [(3,)], timeout=60)
        assert isinstance(out[0], WorkerCrash) and "exit code 3" in str(out[0])
        out = pool.map("time:sleep", [(30,), (0,)], timeout=1)
        assert isinstance(out[0], WorkerTimeout) and out[1] is None
        # crashed and timed-out workers were replaced: the pool still works
        again = pool.map("os:getpid", [(), (), ()], timeout=60)
        assert all(isinstance(pid, int) for pid in again)
    finally:
        pool.shutdown()


@autotvm.template("test_executor/copy")
def copy(n):
    cfg = autotvm.get_config()
    cfg.define_knob("unused", [0, 1])
    a = te.placeholder((n,), name="A")
    b = te.compute((n,), lambda i: a[i], name="B")
    return tvm.s_tir.Schedule(te.create_prim_func([a, b])), [a, b]


def test_build_timeout_becomes_error_record():
    task = autotvm.task.create("test_executor/copy", args=(16,), target="llvm")
    builder = autotvm.LocalBuilder(timeout=1e-3, n_parallel=1)
    builder.set_task(task)
    inputs = [MeasureInput(task.target, task, task.config_space.get(i)) for i in range(2)]
    results = builder.build(inputs)
    assert [r.error_no for r in results] == [MeasureErrorNo.BUILD_TIMEOUT] * 2
    with pytest.raises(ValueError, match="build_func"):
        autotvm.LocalBuilder(build_func="ndk")
