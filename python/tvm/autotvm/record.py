"""Tuning records: one JSON object per line, append-only.

A line is ``{"input": [target, task name, args, kwargs], "config": {...},
"result": [costs, error_no, all_cost, timestamp], "version": ...,
"tvm_version": ...}``. Readers skip blank lines and, with a warning naming
the file and line, any malformed line (e.g. the truncated last line of a
killed tuning run).
"""
import argparse
import base64
import binascii
import io
import json
import pickle
import logging
import time

import numpy as np

import tvm
from tvm.contrib.target_check import record_target
from tvm.contrib.tuning_log import append_lines

from .measure import MeasureInput, MeasureResult
from .task import space as _space
from .task.task import Task, to_hashable
from .task.dispatcher import ApplyHistoryBest  # noqa: F401  (0.8: autotvm.record.ApplyHistoryBest)

logger = logging.getLogger("autotvm")

AUTOTVM_LOG_VERSION = 0.2


def measure_str_key(inp, include_config=True):
    """A string key of a measure input (target, task, and optionally config)."""
    config_str = str(inp.config) if include_config else ""
    return "".join([str(inp.target), inp.task.name, str(inp.task.args), str(inp.task.kwargs), config_str])


def encode(inp, result, protocol="json"):
    """One record line (without newline) for ``(inp, result)``.

    ``protocol`` is ``"json"`` (the log-file format) or ``"pickle"`` (0.8's
    compact form: the same record, pickled and base64-encoded, so the line is
    plain ASCII without newlines or ``$``; only the target string, the task's
    name/args/kwargs, the config's JSON form and the result are pickled, never
    TVM objects).
    """
    if protocol not in ("json", "pickle"):
        raise ValueError(f"unsupported record protocol {protocol!r} ('json' or 'pickle')")
    costs = [c if isinstance(c, (int, float)) else str(c) for c in result.costs]
    row = {
        "input": [str(inp.target), inp.task.name, list(inp.task.args), inp.task.kwargs],
        "config": inp.config.to_json_dict(),
        "result": [costs, int(result.error_no), float(result.all_cost), float(result.timestamp)],
        "version": AUTOTVM_LOG_VERSION,
        "tvm_version": tvm.__version__,
    }
    if protocol == "pickle":
        return base64.b64encode(pickle.dumps(row)).decode("ascii")
    return json.dumps(row)


def decode(row, protocol="json"):
    """Parse one record line; returns ``(MeasureInput, MeasureResult)``.

    Raises ValueError (naming what is wrong) on a malformed line.
    """
    if protocol not in ("json", "pickle"):
        raise ValueError(f"unsupported record protocol {protocol!r} ('json' or 'pickle')")
    try:
        if protocol == "pickle":
            data = _unpickle_row(row)
        else:
            data = json.loads(row)
        target_str, task_name, args, kwargs = data["input"]
        if not isinstance(task_name, str) or not isinstance(args, list) or not isinstance(kwargs, (dict, type(None))):
            raise TypeError("the input is not [target, task name, args, kwargs]")
        target = record_target(target_str)
        task = Task(task_name, to_hashable(args))
        task.kwargs = {k: to_hashable(v) for k, v in (kwargs or {}).items()}
        task.target = target
        config = _space.ConfigEntity.from_json_dict(data["config"])
        costs, error_no, all_cost, stamp = data["result"]
        result = MeasureResult(tuple(costs), int(error_no), float(all_cost), float(stamp))
    except (ValueError, KeyError, TypeError, IndexError, RuntimeError, AttributeError) as err:
        # RuntimeError: the base's errors (e.g. an unparsable target) derive from it
        reason = (str(err).strip().splitlines() or [""])[0]
        raise ValueError(f"malformed AutoTVM record: {type(err).__name__}: {reason}") from err
    return MeasureInput(target, task, config), result


class _RowUnpickler(pickle.Unpickler):
    """Unpickles only plain Python data (a pickled record holds nothing else)."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"a pickled AutoTVM record may not name {module}.{name}")


def _unpickle_row(row):
    try:
        raw = base64.b64decode(row.strip() if isinstance(row, str) else row, validate=True)
        data = _RowUnpickler(io.BytesIO(raw)).load()
    except (pickle.UnpicklingError, EOFError, binascii.Error) as err:
        raise ValueError(f"not a pickled record: {err}") from err
    if not isinstance(data, dict):
        raise TypeError("a pickled record is not a dict")
    return data


def load_from_file(filename):
    """Yield ``(MeasureInput, MeasureResult)`` of every valid line of a log file.

    Malformed lines (a line cut short by a killed tuner, foreign text, a target
    that does not parse, a config of the wrong shape) are skipped with a
    warning naming the file, the line number and the reason.
    """
    with open(filename, encoding="utf-8", errors="replace") as fin:
        for lineno, line in enumerate(fin, 1):
            if not line.strip():
                continue
            try:
                yield decode(line)
            except ValueError as err:
                logger.warning("%s:%d: skipping a malformed record (%s)", filename, lineno, err)


def save_to_file(records, filename, protocol="json"):
    """Append ``(MeasureInput, MeasureResult)`` pairs to ``filename``, one line each.

    Whole lines in one write under a file lock, after ending a partial last
    line (:func:`tvm.contrib.tuning_log.append_lines`).
    """
    append_lines(filename, [encode(inp, res, protocol) for inp, res in records])


def pick_best(in_file, out_file):
    """Write the best valid record of each (target key, workload) of ``in_file`` to ``out_file``."""
    best = {}
    order = []
    for inp, res in load_from_file(in_file):
        if res.error_no != 0:
            continue
        cost = float(np.mean(res.costs))
        for tkey in inp.target.keys:
            key = (str(tkey), inp.task.workload)
            if key not in best:
                order.append(key)
            if key not in best or cost < best[key][2]:
                best[key] = (inp, res, cost)
    written = set()
    with open(out_file, "w", encoding="utf-8") as fout:
        for key in order:
            inp, res, _ = best[key]
            line = encode(inp, res)
            if line not in written:
                written.add(line)
                fout.write(line + "\n")
    return len(written)


def split_workload(in_file, clean=True):
    """Split a log into one file per workload (``<in_file>.<i>.log``); returns the names."""
    groups = {}
    for inp, res in load_from_file(in_file):
        groups.setdefault(inp.task.workload, []).append((inp, res))
    names = []
    for i, records in enumerate(groups.values()):
        name = f"{in_file}.{i:03d}.wkl"
        if clean:
            records = [r for r in records if r[1].error_no == 0]
        with open(name, "w", encoding="utf-8") as fout:
            for inp, res in records:
                fout.write(encode(inp, res) + "\n")
        names.append(name)
    return names


def _main():
    parser = argparse.ArgumentParser(description="Inspect AutoTVM logs")
    parser.add_argument("--mode", choices=["read", "pick"], default="read")
    parser.add_argument("--i", required=True, help="input log")
    parser.add_argument("--o", help="output log (pick mode)")
    args = parser.parse_args()
    if args.mode == "pick":
        out = args.o or args.i + ".best.log"
        print(f"{pick_best(args.i, out)} records written to {out}")
    else:
        for inp, res in load_from_file(args.i):
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(res.timestamp))
            print(stamp, inp.task.name, inp.config, res.error_no, res.costs)


if __name__ == "__main__":
    _main()
