"""Helpers of TVM 0.8's AutoTVM tests (``tvm.testing.autotvm``), on the fork's
TensorIR-based templates.

``testing/matmul`` is a tiled matrix product with a two-way split of each
spatial loop (``testing/bad_matmul`` the same, wrong on a ``bad_device`` target); ``get_sample_task`` / ``get_sample_records`` give a task and
records of it; ``DummyRunner`` returns random costs without running anything
(for tests of tuners and records).
"""
import time

import numpy as np

import tvm
from tvm import autotvm, te
from tvm.autotvm.measure import MeasureInput, MeasureResult
from tvm.autotvm.measure.measure import Runner


class DummyRunner(Runner):
    """A runner that measures nothing: each input gets a random cost."""

    def __init__(self):
        super().__init__(1, 1)

    def run(self, measure_inputs, build_results):  # pylint: disable=unused-argument
        """One random cost per input."""
        return [MeasureResult((np.random.random(),), 0, 0.2, time.time()) for _ in measure_inputs]

    def get_build_kwargs(self):
        """No build options."""
        return {}


@autotvm.template("testing/matmul")
def matmul(N, L, M, dtype):  # pylint: disable=invalid-name
    """``C[i, j] = sum_k A[i, k] * B[k, j]`` with tiles ``tile_y`` / ``tile_x``."""
    a = te.placeholder((N, L), name="A", dtype=dtype)
    b = te.placeholder((L, M), name="B", dtype=dtype)
    k = te.reduce_axis((0, L), name="k")
    c = te.compute((N, M), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b, c]))
    y, x, kk = sch.get_loops(sch.get_sblock("C"))
    cfg = autotvm.get_config()
    cfg.define_split("tile_y", N, num_outputs=2)
    cfg.define_split("tile_x", M, num_outputs=2)
    yo, yi = cfg["tile_y"].apply(sch, y)
    xo, xi = cfg["tile_x"].apply(sch, x)
    sch.reorder(yo, xo, kk, yi, xi)
    return sch, [a, b, c]


@autotvm.template("testing/bad_matmul")
def bad_matmul(N, L, M, dtype):  # pylint: disable=invalid-name
    """``testing/matmul``, except on a target with the key ``bad_device``, where the
    reduction skips its last element: a template whose results are wrong there
    (0.8's helper for correctness checks of the runners)."""
    target = tvm.target.Target.current(allow_none=True)
    if target is None or "bad_device" not in target.keys:
        return matmul(N, L, M, dtype)
    a = te.placeholder((N, L), name="A", dtype=dtype)
    b = te.placeholder((L, M), name="B", dtype=dtype)
    k = te.reduce_axis((0, L - 1), name="k")
    c = te.compute((N, M), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b, c]))
    y, x, _ = sch.get_loops(sch.get_sblock("C"))
    cfg = autotvm.get_config()
    cfg.define_split("tile_y", N, num_outputs=2)
    cfg.define_split("tile_x", M, num_outputs=2)
    cfg["tile_y"].apply(sch, y)
    cfg["tile_x"].apply(sch, x)
    return sch, [a, b, c]


def get_sample_task(n=128):
    """A ``testing/matmul`` task of size ``n`` for ``llvm`` and its target."""
    target = tvm.target.Target("llvm")
    task = autotvm.task.create("testing/matmul", args=(n, n, n, "float32"), target=target)
    return task, target


def get_sample_records(n):
    """``n`` (input, result) pairs of the sample task, costs 1, 2, ..."""
    task, target = get_sample_task()
    records = []
    for i in range(n):
        inp = MeasureInput(target, task, task.config_space.get(i % len(task.config_space)))
        records.append((inp, MeasureResult((i + 1,), 0, i, time.time())))
    return records
