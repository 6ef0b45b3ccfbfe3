"""Tuned real models against ONNX Runtime: tuning time, trials per minute, tuned/untuned/ORT latency.

For each model (ONNX files of ``real_models.py``: ResNet-50, MobileNetV2 and
the BERT-like encoder by default, NCHW as torch exports them, random weights):

1. import it with ``relay.frontend.from_onnx`` and extract the auto-scheduler's
   tasks (after the automatic layout choice, as ``relay.build`` sees them),
2. tune them for ``--minutes`` with ``apps/tune_network.py``'s ``tune``
   (TaskScheduler; each task's TOPI schedule measured first; resumes from the
   log in ``--log-dir``), unless ``--skip-tuning``,
3. time ONNX Runtime (``--threads`` intra-op threads), the fork untuned and the
   fork under ``ApplyHistoryBest(log)``, each engine in its own process, in
   alternating rounds (see ``engine_workers.py``), and compare the outputs
   with ONNX Runtime's.

It prints per model the tuning time, trials, trials per minute, the three
latencies and the ratios tuned/ORT and tuned/untuned, and the largest output
difference relative to ONNX Runtime's largest output value.

    python bench/bench_tuned.py [--models resnet50 mobilenetv2 bert] [--minutes 30]
                                [--target llvm] [--log-dir ~/.cache/tvmfork-bench/logs]
                                [--seed-log OTHER.json ...] [--skip-tuning]

The ONNX files are written on first use (needs torch: ``pip install torch==2.13.0``).
"""
import argparse
import functools
import json
import logging
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "apps"))
import real_models  # noqa: E402  pylint: disable=wrong-import-position
from bench_models import start_worker  # noqa: E402  pylint: disable=wrong-import-position
from engine_workers import compare_engines  # noqa: E402  pylint: disable=wrong-import-position

DEFAULT_MODELS = ("resnet50", "mobilenetv2", "bert")


def tune_model(model, args, log):
    """Extract and tune ``model``'s tasks into ``log``; returns a summary dict."""
    import tune_network  # pylint: disable=import-outside-toplevel
    from tvm import auto_scheduler  # pylint: disable=import-outside-toplevel

    path, input_name, shape, dtype = real_models.onnx_model_path(model, args.cache_dir)
    mod, params, _ = tune_network.get_onnx_network(path, shape[0])
    del input_name, dtype
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, args.target)
    start = time.perf_counter()
    tuner = tune_network.tune(tasks, weights, log, tune_network.local_runner(), minutes=args.minutes,
                              seed_logs=args.seed_log, verbose=args.verbose)
    seconds = time.perf_counter() - start
    return {
        "tasks": len(tasks),
        "trials": tuner.ct,
        "seconds": seconds,
        "trials_per_minute": tuner.ct / seconds * 60,
        "estimated_ms": tuner.cur_score * 1e3,
        "baseline_ms": tuner.baseline_score() * 1e3,
        "finished": {str(k): v for k, v in tuner.finished.items()},
        "stop_reason": tuner.stop_reason,
        "history": tuner.history,
    }


def bench_model(model, args, log):
    """``label -> (median ms, relative error vs ONNX Runtime, set-up s)``."""
    starters = [functools.partial(start_worker, "ort", model, None, args),
                functools.partial(start_worker, "fork", model, args.target, args, label="untuned"),
                functools.partial(start_worker, "fork", model, args.target, args, log=log, label="tuned")]
    return compare_engines(starters, args.rounds, args.runs, reference="ort")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), choices=real_models.MODEL_NAMES)
    parser.add_argument("--minutes", type=float, default=30, help="tuning time budget per model")
    parser.add_argument("--target", default="llvm", help="fork target (default: the host CPU)")
    parser.add_argument("--log-dir", default=os.path.expanduser("~/.cache/tvmfork-bench/logs"),
                        help="tuning logs (<model>.json), resumed when they exist")
    parser.add_argument("--seed-log", nargs="+", default=[], help="logs of other models to start from")
    parser.add_argument("--skip-tuning", action="store_true", help="only time the builds of the existing logs")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per model")
    parser.add_argument("--runs", type=int, default=10, help="runs per engine per round")
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    parser.add_argument("--cache-dir", default=os.path.expanduser("~/.cache/tvmfork-bench"),
                        help="where the ONNX files are written and reused")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    os.makedirs(args.log_dir, exist_ok=True)
    from tvm.topi.generic.cpu_features import host_cpu_flags  # pylint: disable=import-outside-toplevel

    flags = host_cpu_flags()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    print(f"host: {os.cpu_count()} cores, {isa}; target {args.target}; ONNX Runtime with {args.threads} threads")
    rows = []
    for model in args.models:
        real_models.onnx_model_path(model, args.cache_dir)  # written once, before anything is timed
        log = os.path.join(args.log_dir, f"{model}.json")
        summary = {}
        if not args.skip_tuning:
            summary = tune_model(model, args, log)
            with open(os.path.join(args.log_dir, f"{model}.summary.json"), "w", encoding="utf-8") as fout:
                json.dump(summary, fout, indent=1)
        if not os.path.exists(log):
            print(f"{model}: no log {log}; skipped")
            continue
        timed = bench_model(model, args, log)
        rows.append((model, summary, timed))
        print_rows(rows[-1:])
    print("\nsummary")
    print_rows(rows)


def print_rows(rows):
    print(f"{'model':12s} {'tune min':>8s} {'trials':>7s} {'tr/min':>7s} {'ORT ms':>8s} {'untuned':>8s} "
          f"{'tuned':>8s} {'tuned/ORT':>10s} {'tuned/unt':>10s} {'max rel err':>12s}")
    for model, summary, timed in rows:
        ort_ms, untuned_ms, tuned_ms = timed["ort"][0], timed["untuned"][0], timed["tuned"][0]
        minutes = summary.get("seconds", float("nan")) / 60
        print(f"{model:12s} {minutes:8.1f} {summary.get('trials', 0):7d} "
              f"{summary.get('trials_per_minute', float('nan')):7.1f} {ort_ms:8.2f} {untuned_ms:8.2f} "
              f"{tuned_ms:8.2f} {tuned_ms / ort_ms:10.2f} {tuned_ms / untuned_ms:10.2f} "
              f"{timed['tuned'][1]:12.2e}", flush=True)


if __name__ == "__main__":
    main()
