"""Reuse of records across models: a second model tuned from scratch and from the first one's log.

1. tune the first network (``--first NAME:BATCH``, a ``relay.testing`` network
   in NHWC) for ``--trials`` into ``first.json`` (used as it is when it exists),
2. tune the second network (``--second``) for the same number of trials twice:
   from scratch, and with ``TaskScheduler(seed_logs=[first.json])`` (identical
   layers start from their records, similar ones from the transferred best
   states of the first network, see ``tvm.auto_scheduler.record_transfer``),
3. print both tuning curves (the task scheduler's estimated total latency, the
   sum of the best kernels times their weights, after each round) and how
   many trials each run needed to reach the speed-up over its own TOPI
   baselines that the scratch run ended at (each run measures its baselines
   itself; two measurements of the same schedules differ by a few percent).

    python bench/bench_reuse.py [--first mobilenet:1] [--second mobilenet:4] [--trials 300]
                                [--log-dir /tmp/reuse]

Both runs of the second network use the same seeds of the search and the same
budget; timing noise on a busy machine still makes single runs differ by a
few percent.
"""
import argparse
import logging
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "apps"))


def parse_network(text):
    name, _, batch = text.partition(":")
    return name, int(batch or 1)


def extract(text, target):
    import tune_network  # pylint: disable=import-outside-toplevel
    from tvm import auto_scheduler  # pylint: disable=import-outside-toplevel

    name, batch = parse_network(text)
    mod, params, _ = tune_network.get_network(name, batch, "NHWC")
    return auto_scheduler.extract_tasks(mod["main"], params, target)


def run(text, log, trials, target, seed_logs=()):
    """Tune network ``text`` into ``log``; returns the task scheduler's history."""
    import tune_network  # pylint: disable=import-outside-toplevel

    tasks, weights = extract(text, target)
    tuner = tune_network.tune(tasks, weights, log, tune_network.local_runner(), trials=trials,
                              seed_logs=seed_logs, verbose=1)
    return [(ct, seconds, latency * 1e3) for ct, seconds, latency in tuner.history if latency < 1e9]


def trials_to_reach(history, latency_ms):
    """The first trial count at which the estimated latency is at most ``latency_ms`` (None if never)."""
    return next((ct for ct, _, lat in history if lat <= latency_ms * (1 + 1e-9)), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", default="mobilenet:1", help="NAME:BATCH of the network tuned first")
    parser.add_argument("--second", default="mobilenet:4", help="NAME:BATCH of the network tuned after it")
    parser.add_argument("--trials", type=int, default=300, help="trials of each tuning run")
    parser.add_argument("--target", default="llvm")
    parser.add_argument("--log-dir", default="reuse-logs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    os.makedirs(args.log_dir, exist_ok=True)
    first_log = os.path.join(args.log_dir, "first.json")
    if os.path.exists(first_log):
        print(f"== {args.first}: using {first_log}")
    else:
        print(f"== {args.first}: {args.trials} trials into {first_log}")
        run(args.first, first_log, args.trials, args.target)
    curves = {}
    for label, seeds in (("scratch", ()), ("seeded", (first_log,))):
        log = os.path.join(args.log_dir, f"second-{label}.json")
        if os.path.exists(log):
            os.remove(log)
        print(f"== {args.second} {label}: {args.trials} trials into {log}")
        curves[label] = run(args.second, log, args.trials, args.target, seeds)

    print(f"\n{args.second} tuned after {args.first}: estimated total latency (ms) by trials")
    checkpoints = sorted({ct for curve in curves.values() for ct, _, _ in curve})
    print(f"{'trials':>7s} {'scratch':>9s} {'seeded':>9s}")
    for ct in checkpoints:
        cells = []
        for label in ("scratch", "seeded"):
            known = [lat for c, _, lat in curves[label] if c <= ct]
            cells.append(f"{known[-1]:9.3f}" if known else f"{'-':>9s}")
        print(f"{ct:7d} {cells[0]} {cells[1]}")
    # each run measures its own TOPI baselines first, and two measurements of the same
    # schedules differ by a few percent: compare speed-ups over each run's baseline
    relative = {label: [(ct, secs, lat / curve[0][2]) for ct, secs, lat in curve] for label, curve in curves.items()}
    goal = relative["scratch"][-1][2]
    for label in ("scratch", "seeded"):
        reached = trials_to_reach(relative[label], goal)
        print(f"{label}: baseline {curves[label][0][2]:.3f} ms, final {curves[label][-1][2]:.3f} ms "
              f"({1 / relative[label][-1][2]:.3f}x); reaches the scratch run's final speed-up "
              f"({1 / goal:.3f}x) after {reached if reached is not None else 'never'} trials")
    print(f"mean speed-up over the run: scratch {np.mean([1 / r[2] for r in relative['scratch']]):.3f}x, "
          f"seeded {np.mean([1 / r[2] for r in relative['seeded']]):.3f}x")

if __name__ == "__main__":
    main()
