"""Tune a 512x512x512 float32 dense with AutoTVM and compare with numpy's sgemm.

Prints one table: numpy matmul GFLOPS, the x86 schedule's fallback config,
and the config ``apply_history_best`` picks from the tuning log (XGBTuner,
200 trials by default), with ratios to numpy. Acceptance: tuned >= 40% of
numpy.

The machine is shared: the three kernels are measured in interleaved rounds
after tuning (numpy, fallback, tuned, numpy, ...) and the table shows the best
and the median round of each, so a burst of load hits all of them alike.

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


def compile_config(task, config):
    """The compiled kernel of ``config``."""
    sch, _ = task.instantiate(config)
    return tvm.compile(sch.mod, target=task.target).mod


def measure_config(task, config, n, repeat=10, lib=None):
    """GFLOPS of ``config`` (best mean of ``repeat`` timings), checked against numpy."""
    lib = lib if lib is not None else compile_config(task, config)
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
    parser.add_argument("--rounds", type=int, default=7, help="interleaved measurement rounds")
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
    with autotvm.FallbackContext():
        fallback_lib = compile_config(task, autotvm.FallbackConfigEntity())
    with autotvm.apply_history_best(log) as ctx:
        best_cfg = ctx.query(task.target, task.workload)
    tuned_lib = compile_config(task, best_cfg)
    rows = {"numpy": [np_before], "fallback": [], "tuned": []}
    for _ in range(args.rounds):
        rows["numpy"].append(numpy_gflops(n))
        rows["fallback"].append(measure_config(task, None, n, repeat=5, lib=fallback_lib))
        rows["tuned"].append(measure_config(task, None, n, repeat=5, lib=tuned_lib))
    errors = sum(1 for _, r in autotvm.record.load_from_file(log) if r.error_no != 0)
    total = sum(1 for _ in autotvm.record.load_from_file(log))
    during = max(task.flop / np.mean(r.costs) / 1e9
                 for _, r in autotvm.record.load_from_file(log) if r.error_no == 0)

    print(f"\ntuning: {total} trials ({errors} errors) in {tune_time:.0f} s; log {log}")
    print(f"best config: {best_cfg} ({during:.1f} GFLOPS when measured during tuning)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    best_np, med_np = max(rows["numpy"]), float(np.median(rows["numpy"]))
    print(f"{'kernel':<28}{'best GFLOPS':>12}{'vs numpy':>10}{'median':>10}{'vs numpy':>10}")
    for name, label in (("numpy", "numpy float32 matmul"), ("fallback", "x86 schedule, fallback"),
                        ("tuned", "AutoTVM tuned (XGBTuner)")):
        best, med = max(rows[name]), float(np.median(rows[name]))
        print(f"{label:<28}{best:>12.1f}{best / best_np:>10.2f}{med:>10.1f}{med / med_np:>10.2f}")


if __name__ == "__main__":
    main()
