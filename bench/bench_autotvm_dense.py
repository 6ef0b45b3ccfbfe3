"""Tune a 512x512x512 float32 dense with AutoTVM and compare with numpy's sgemm.

Prints one table: numpy matmul GFLOPS, the x86 schedule's fallback config,
and the best tuned config (XGBTuner, 200 trials by default), each measured in
this run, with ratios to numpy. Acceptance: tuned >= 40% of numpy.

    python bench/bench_autotvm_dense.py [--trials 200] [--size 512] [--log FILE]
"""
import argparse
import os
import tempfile
import time

import numpy as np

import tvm
from tvm import autotvm, te
from tvm.topi.x86 import tunable  # noqa: F401  (registers the templates)


def numpy_gflops(n, repeat=20):
    a = np.random.rand(n, n).astype("float32")
    b = np.random.rand(n, n).astype("float32")
    a @ b
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def measure_config(task, config, n, repeat=10):
    """GFLOPS of ``config`` (compiled here; best mean of ``repeat`` timings)."""
    sch, _ = task.instantiate(config)
    lib = tvm.compile(sch.mod, target=task.target).mod
    dev = tvm.cpu()
    a = tvm.runtime.tensor(np.random.rand(n, n).astype("float32"), dev)
    w = tvm.runtime.tensor(np.random.rand(n, n).astype("float32"), dev)
    c = tvm.runtime.empty((n, n), "float32", dev)
    timer = lib.time_evaluator("main", dev, number=10, repeat=repeat, min_repeat_ms=50)
    result = timer(a, w, c)
    np.testing.assert_allclose(c.numpy(), a.numpy() @ w.numpy().T, rtol=1e-3, atol=1e-2)
    return 2 * n**3 / min(result.results) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--task", default="dense_pack.x86")
    parser.add_argument("--feature", default="itervar", choices=["itervar", "knob"])
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    n = args.size
    log = args.log or os.path.join(tempfile.mkdtemp(prefix="bench_autotvm_"), "dense.log")

    data = te.placeholder((n, n), name="data")
    weight = te.placeholder((n, n), name="weight")
    task = autotvm.task.create(args.task, args=(data, weight), target="llvm")
    print(f"task {task.name} {n}^3, config space {len(task.config_space)}, target {task.target}")

    np_before = numpy_gflops(n)
    option = autotvm.measure_option(
        builder=autotvm.LocalBuilder(timeout=60),
        runner=autotvm.LocalRunner(number=10, repeat=3, min_repeat_ms=50, timeout=60,
                                   enable_cpu_cache_flush=False),
    )
    tuner = autotvm.tuner.XGBTuner(task, feature_type=args.feature)
    start = time.time()
    tuner.tune(n_trial=min(args.trials, len(task.config_space)), measure_option=option,
               callbacks=[autotvm.callback.log_to_file(log),
                          autotvm.callback.progress_bar(args.trials, prefix="[dense] ")])
    tune_time = time.time() - start
    np_after = numpy_gflops(n)
    np_gflops = max(np_before, np_after)

    with autotvm.FallbackContext():
        fallback = measure_config(task, autotvm.FallbackConfigEntity(), n)
    with autotvm.apply_history_best(log) as ctx:
        best_cfg = ctx.query(task.target, task.workload)
    tuned = measure_config(task, best_cfg, n)
    errors = sum(1 for _, r in autotvm.record.load_from_file(log) if r.error_no != 0)
    total = sum(1 for _ in autotvm.record.load_from_file(log))

    print(f"\ntuning: {total} trials ({errors} errors) in {tune_time:.0f} s; log {log}")
    print(f"best config: {best_cfg}")
    print(f"{'kernel':<28}{'GFLOPS':>10}{'vs numpy':>10}")
    print(f"{'numpy float32 matmul':<28}{np_gflops:>10.1f}{1.0:>10.2f}")
    print(f"{'x86 schedule, fallback':<28}{fallback:>10.1f}{fallback / np_gflops:>10.2f}")
    print(f"{'AutoTVM tuned (XGBTuner)':<28}{tuned:>10.1f}{tuned / np_gflops:>10.2f}")
    print(f"(numpy before/after tuning: {np_before:.1f} / {np_after:.1f} GFLOPS)")


if __name__ == "__main__":
    main()
