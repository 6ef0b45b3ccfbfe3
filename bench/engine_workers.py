"""One worker process per inference engine, timed in alternating rounds.

ONNX Runtime's, torch's and the TVM runtime's thread pools keep spinning after
a run; on a 2-core machine two engines in one process slow each other down
(measured: a BERT-like model at 8.5 ms alone, 55 ms interleaved with ONNX
Runtime). The benchmarks therefore run each engine in its own process and
drive them in rounds: each round every engine runs a batch, one after the
other, in a rotating order, so background load hits them alike.

A worker script calls :func:`serve` with an object that has ``run()`` (one
inference, returning the first output as a NumPy array); the driver starts it
as :class:`EngineWorker` and calls :func:`alternate_rounds`.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

__all__ = ["serve", "EngineWorker", "alternate_rounds", "compare_engines"]

_REPLY = "@@reply "  # marks the worker's answers among whatever libraries print to stdout


def _answer(payload):
    print(_REPLY + json.dumps(payload), flush=True)


def serve(make_engine):
    """Worker side: build the engine, warm it up, then answer ``run N`` / ``save FILE`` / ``quit``."""
    start = time.perf_counter()
    engine = make_engine()
    for _ in range(3):
        engine.run()
    _answer({"ready": time.perf_counter() - start})
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "run":
            times = []
            for _ in range(int(arg)):
                begin = time.perf_counter()
                engine.run()
                times.append((time.perf_counter() - begin) * 1e3)
            _answer({"times": times})
        elif command == "save":
            np.save(arg, engine.run())
            _answer({"saved": arg})
        elif command == "quit":
            return


class EngineWorker:
    """Driver side: the process of one engine.

    Parameters
    ----------
    command : list of str
        The worker's command line (a script that calls :func:`serve`).
    label : str
        Its name in the results.
    env : dict, optional
        Its environment (default: this process's).
    """

    def __init__(self, command, label, env=None):
        self.label = label
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env)
        self.times = []
        self.setup_seconds = self._reply()["ready"]

    def _reply(self):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"worker {self.label} exited (code {self.proc.wait()}); "
                                   "its error is printed above")
            if line.startswith(_REPLY):
                return json.loads(line[len(_REPLY):])
            sys.stderr.write(f"[{self.label}] {line}")

    def request(self, command):
        """Send one command; return the worker's answer."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def close(self):
        """Ask the worker to quit (it is killed if it does not)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def alternate_rounds(workers, rounds, runs, pause=0.3):
    """Time every worker in ``rounds`` rotating rounds of ``runs`` runs; close them all.

    Returns
    -------
    dict of label to (median ms, first output as a NumPy array, set-up seconds)
    """
    try:
        for round_index in range(rounds):
            shift = round_index % len(workers)
            for item in workers[shift:] + workers[:shift]:
                time.sleep(pause)  # let the previous engine's thread pool go idle
                item.times += item.request(f"run {runs}")["times"]
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            for index, item in enumerate(workers):
                file = os.path.join(tmp, f"{index}.npy")
                item.request(f"save {file}")
                results[item.label] = (float(np.median(item.times)), np.load(file),
                                       item.setup_seconds)
        return results
    finally:
        for item in workers:
            item.close()


def compare_engines(starters, rounds, runs, reference):
    """Start one worker per starter, time them in alternating rounds, compare the outputs.

    Parameters
    ----------
    starters : list of callable
        Each returns a started :class:`EngineWorker`.
    rounds, runs : int
        See :func:`alternate_rounds`.
    reference : str
        Label of the worker whose output the others are compared with.

    Returns
    -------
    dict of label to (median ms, largest output difference relative to the
    reference's largest output, set-up seconds)
    """
    workers = []
    try:
        for start in starters:
            workers.append(start())
    except Exception:
        for item in workers:
            item.close()
        raise
    results = alternate_rounds(workers, rounds, runs)
    expected = results[reference][1]
    scale = float(np.abs(expected).max()) or 1.0
    return {label: (ms, float(np.abs(output - expected).max()) / scale, setup)
            for label, (ms, output, setup) in results.items()}
