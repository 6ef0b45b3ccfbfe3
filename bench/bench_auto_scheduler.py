"""Auto-scheduler acceptance benchmark: dense 512^3 and a ResNet 3x3 conv2d (NHWC).

For each workload: time the fork's untuned TOPI (x86 fallback) schedule, tune
with the auto-scheduler for ``--trials`` measurements, apply the best record,
check it against NumPy and time it. NumPy float32 matmul GFLOPS are measured in
the same run as the peer of the dense. Prints a table with ratios and the
measurement throughput (trials per minute). Never an assertion on times.

Usage::

    python bench/bench_auto_scheduler.py --trials 256 --log-dir /tmp/ansor_bench
"""
import argparse
import logging
import os
import time

import numpy as np

import tvm
from tvm import auto_scheduler, te, topi

TARGET = "llvm"


def numpy_gflops(n=512, repeat=20):
    a = np.random.rand(n, n).astype("float32")
    b = np.random.rand(n, n).astype("float32")
    np.dot(a, b)
    best = 1e9
    for _ in range(repeat):
        tic = time.perf_counter()
        np.dot(a, b)
        best = min(best, time.perf_counter() - tic)
    return 2.0 * n ** 3 / best / 1e9


def dense_workload():
    A = te.placeholder((512, 512), name="A")
    W = te.placeholder((512, 512), name="W")
    out = topi.nn.dense(A, W)
    ref = lambda a, w: a @ w.T  # noqa: E731
    return "dense 512x512x512", [A, W, out], ref, "dense"


def conv_workload():
    data = te.placeholder((1, 56, 56, 64), name="data")
    kernel = te.placeholder((3, 3, 64, 64), name="kernel")
    out = topi.nn.conv2d_nhwc(data, kernel, 1, 1, 1)

    def ref(d, k):
        pad = np.pad(d, ((0, 0), (1, 1), (1, 1), (0, 0)))
        res = np.zeros((1, 56, 56, 64), "float32")
        for y in range(3):
            for x in range(3):
                res += np.einsum("nhwc,co->nhwo", pad[:, y:y + 56, x:x + 56, :], k[y, x])
        return res

    return "conv2d NHWC 56x56 64->64 3x3", [data, kernel, out], ref, "conv2d_nhwc"


def time_mod(mod, tensors, ref, target, transforms=None):
    """Check against NumPy and time ``main``; ``transforms`` pre-transform weights."""
    lib = tvm.compile(mod, target=target)
    dev = tvm.cpu()
    rng = np.random.RandomState(0)
    arrays = [rng.uniform(-1, 1, [int(x) for x in t.shape]).astype("float32") for t in tensors[:-1]]
    fed = list(arrays)
    for idx, transform in (transforms or {}).items():
        fed[idx] = transform.apply_numpy(arrays[idx])
    args = [tvm.runtime.tensor(a, dev) for a in fed]
    out = tvm.runtime.empty([int(x) for x in tensors[-1].shape], "float32", dev)
    lib["main"](*args, out)
    np.testing.assert_allclose(out.numpy(), ref(*arrays), rtol=1e-3, atol=1e-3)
    evaluator = lib.mod.time_evaluator("main", dev, number=10, repeat=5, min_repeat_ms=200)
    return float(np.min(evaluator(*args, out).results))


def untuned_mod(kind, tensors):
    """The fork's TOPI x86 fallback schedule (the unscheduled program if there is none)."""
    sch = tvm.s_tir.Schedule(te.create_prim_func(tensors))
    try:
        if kind == "dense":
            from tvm.topi.x86.dense import schedule_dense as schedule  # pylint: disable=C0415
        else:
            from tvm.topi.x86.conv2d import schedule_conv2d_nhwc as schedule  # pylint: disable=C0415
        sch = schedule(sch, [tensors[-1]]) or sch
        return sch.mod, "TOPI x86 fallback"
    except Exception as err:  # pylint: disable=broad-except
        print("no TOPI schedule (%s): comparing with the unscheduled program" % err)
        return tvm.IRModule({"main": te.create_prim_func(tensors)}), "unscheduled"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=256)
    parser.add_argument("--per-round", type=int, default=64)
    parser.add_argument("--log-dir", default="/tmp/ansor_bench")
    parser.add_argument("--only", default="dense,conv")
    parser.add_argument("--layout", choices=["insert", "pre"], default="insert",
                        help="insert: weight layout transform inside the kernel (measured); pre: weights "
                             "pre-transformed once, as the Relay build does (REWRITE_FOR_PRE_TRANSFORMED)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("auto_scheduler.search").setLevel(logging.WARNING)
    os.makedirs(args.log_dir, exist_ok=True)
    target = tvm.target.Target(TARGET)
    print("target:", target, " layout:", args.layout)
    rows = []
    np_before = numpy_gflops()
    for name in args.only.split(","):
        title, tensors, ref, kind = dense_workload() if name == "dense" else conv_workload()
        dag = auto_scheduler.ComputeDAG(tensors)
        flops = dag.flop_ct
        mod, base_name = untuned_mod(kind, tensors)
        base = time_mod(mod, tensors, ref, target)
        option = (auto_scheduler.LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED if args.layout == "pre"
                  else auto_scheduler.LayoutRewriteOption.INSERT_TRANSFORM_STAGE)
        task = auto_scheduler.SearchTask(compute_dag=dag, target=target, layout_rewrite_option=option)
        log = os.path.join(args.log_dir, "%s.json" % name)
        if os.path.exists(log):
            os.remove(log)
        opt = auto_scheduler.TuningOptions(num_measure_trials=args.trials, num_measures_per_round=args.per_round,
                                           measure_callbacks=[auto_scheduler.RecordToFile(log)], verbose=1)
        tic = time.time()
        task.tune(opt)
        minutes = (time.time() - tic) / 60.0
        n_lines = sum(1 for _ in auto_scheduler.load_records(log))
        n_ok = sum(1 for _, r in auto_scheduler.load_records(log) if r.error_no == 0)
        sch, _ = task.apply_best(log, layout_rewrite_option=option)
        transforms = None
        if args.layout == "pre":
            best, _ = auto_scheduler.load_best_record(log, task.workload_key, target)
            transforms = dag.layout_transforms(best.state)
        tuned = time_mod(sch.mod, tensors, ref, target, transforms)
        rows.append((title, flops, base_name, base, tuned, n_lines, n_ok, minutes))
        print("%s: %s %.3f ms, tuned %.3f ms" % (title, base_name, base * 1e3, tuned * 1e3), flush=True)
    np_after = numpy_gflops()
    np_gflops = max(np_before, np_after)
    print()
    print("numpy float32 matmul 512^3: %.1f GFLOPS (before %.1f, after %.1f)" % (np_gflops, np_before, np_after))
    print("| workload | untuned (ms) | tuned (ms) | tuned GFLOPS | vs untuned | vs numpy sgemm | trials (ok) "
          "| minutes | trials/min |")
    for title, flops, base_name, base, tuned, n_lines, n_ok, minutes in rows:
        print("| %s | %.3f (%s) | %.3f | %.1f | %.2fx | %.0f%% | %d (%d) | %.1f | %.1f |" % (
            title, base * 1e3, base_name, tuned * 1e3, flops / tuned / 1e9, base / tuned,
            100.0 * flops / tuned / 1e9 / np_gflops, n_lines, n_ok, minutes, n_lines / max(minutes, 1e-9)))


if __name__ == "__main__":
    main()
