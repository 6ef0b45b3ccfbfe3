"""The builder's timeout and arguments (the worker pool: test_popen_pool.py)."""
import pytest

from tvm import autotvm, te
import tvm
from tvm.autotvm.measure import MeasureErrorNo, MeasureInput


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
    assert all("no result within" in r.costs[0] for r in results)
    with pytest.raises(ValueError, match="build_func"):
        autotvm.LocalBuilder(build_func="ndk")
