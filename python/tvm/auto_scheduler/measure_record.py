"""Tuning records: one JSON object per line, append-only (the fork's own format).

A line looks like::

    {"i": [["<workload key>", "<target>"], "<state: trace JSON>"],
     "r": [[<cost seconds>, ...], <error_no>, <all_cost>, <timestamp>],
     "v": "tvmfork-ansor-1"}

* the workload key is :meth:`ComputeDAG.workload_key` (or a function workload key);
* the target is ``str(tvm.target.Target)``, which ``tvm.target.Target`` parses back;
* the state is ``tvm.ir.save_json(trace.as_json())`` of a TensorIR schedule trace.

Upstream's C++ ``RecordToFile`` / ``RecordReader`` read and wrote their own
loop-state format; this module replaces them with the same Python API.
A malformed, truncated or foreign line is skipped with a warning.
"""
import json
import logging
import os

import tvm
from tvm.contrib.target_check import COMPATIBLE, EXACT, record_target, target_compatible
from tvm.contrib.tuning_log import append_lines
from tvm.ir import Array

from .measure import MAX_FLOAT, MeasureCallback, MeasureErrorNo, MeasureInput, MeasureResult
from .utils import as_target
from .workload_registry import decode_workload_key

logger = logging.getLogger("auto_scheduler")

#: Version tag written in every record.
RECORD_VERSION = "tvmfork-ansor-1"


def dump_record_to_string(inp, res):
    """One record line (without the newline) of a measurement."""
    workload_key, target_text, state_json = inp.serialize()
    return json.dumps(
        {
            "i": [[workload_key, target_text], state_json],
            "r": [list(res.costs), int(res.error_no), float(res.all_cost), float(res.timestamp)],
            "v": RECORD_VERSION,
        }
    )


def _parse_line(line):
    """``(workload_key, target_text, state_json, MeasureResult)``; raises ValueError.

    Every part of the record is checked (see :func:`check_record_fields`), so
    that a record that loads can also be used.
    """
    try:
        obj = json.loads(line)
    except ValueError as err:
        raise ValueError("not JSON (%s)" % err) from err
    if not isinstance(obj, dict) or "i" not in obj or "r" not in obj:
        raise ValueError("not an auto_scheduler record")
    if obj.get("v") != RECORD_VERSION:
        raise ValueError("unknown record version %r" % (obj.get("v"),))
    try:
        (workload_key, target_text), state_json = obj["i"]
        costs, error_no, all_cost, timestamp = obj["r"]
        res = MeasureResult(costs, error_no, None, all_cost, timestamp)
    except (TypeError, ValueError) as err:
        raise ValueError("bad record structure") from err
    if not isinstance(workload_key, str) or not isinstance(target_text, str) or not isinstance(state_json, str):
        raise ValueError("bad record field types")
    check_record_fields(workload_key, target_text, state_json)
    return workload_key, target_text, state_json, res


def _check_trace_json(state_json):
    """Check the shape ``Trace.apply_json_to_schedule`` expects: an array of two arrays."""
    try:
        trace = tvm.ir.load_json(state_json)
    except Exception as err:  # pylint: disable=broad-except
        raise ValueError("the schedule trace is not a saved TVM object (%s)" % str(err).splitlines()[0]) from err
    if not isinstance(trace, Array) or len(trace) != 2 or not all(isinstance(part, Array) for part in trace):
        raise ValueError("the schedule trace is not a JSON array of two arrays (instructions, decisions)")
    insts, decisions = trace
    for inst in insts:
        if not isinstance(inst, Array) or len(inst) != 4 or not isinstance(inst[0], str) or not all(
                isinstance(part, Array) for part in inst[1:]):
            raise ValueError("the schedule trace has a malformed instruction %s" % (str(inst)[:80],))
    for decision in decisions:
        if not isinstance(decision, Array) or len(decision) != 2 or not isinstance(decision[0], (int, tvm.tirx.IntImm)):
            raise ValueError("the schedule trace has a malformed decision %s" % (str(decision)[:80],))


def check_record_fields(workload_key, target_text, state_json):
    """Check the input of a record; raises ValueError saying what is wrong.

    Parameters
    ----------
    workload_key : str
        Must be a workload key (a JSON list starting with a name or hash),
        which can be registered by the program that uses the record.
    target_text : str
        Must parse as a :class:`tvm.target.Target`.
    state_json : str
        Must be a saved schedule trace: an array of two arrays.
    """
    decode_workload_key(workload_key)
    record_target(target_text)
    _check_trace_json(state_json)


def _make_input(workload_key, target_text, state_json):
    from .search_task import SearchTask  # pylint: disable=import-outside-toplevel

    task = SearchTask.from_record(workload_key, record_target(target_text))
    return MeasureInput(task, state_json)


def load_record_from_string(record):
    """Parse one record line into ``(MeasureInput, MeasureResult)``; raises ValueError."""
    workload_key, target_text, state_json, res = _parse_line(record)
    return _make_input(workload_key, target_text, state_json), res


class RecordToFile(MeasureCallback):
    """Measure callback that appends every measurement to a log file.

    Each batch is appended as whole lines under an exclusive file lock, after
    ending a partial last line (see :mod:`tvm.contrib.tuning_log`), so a killed
    tuning run leaves a log whose every complete line is loadable, and two
    processes may append to one log.

    Parameters
    ----------
    filename : str
        The log file (created when missing, never truncated).
    """

    def __init__(self, filename):
        self.filename = str(filename)

    def callback(self, policy, inputs, results):
        save_records(self.filename, inputs, results)


class RecordReader:
    """Read the valid records of a log file.

    A line that is not a valid record (not JSON, truncated, another tool's, a
    target that does not parse, a schedule trace of the wrong shape, a bad
    workload key) is skipped with a warning naming ``file:line`` and the reason.

    Parameters
    ----------
    filename : str
        The log file.
    """

    def __init__(self, filename):
        if not os.path.isfile(str(filename)):
            raise FileNotFoundError("record file %s does not exist" % filename)
        self.filename = str(filename)

    def _lines(self, max_lines=None, skip_lines=0):
        """Yield ``(line number, workload_key, target_text, state_json, result)`` of valid lines."""
        with open(self.filename, "r", encoding="utf-8", errors="replace") as fin:
            count = 0
            for lineno, line in enumerate(fin, 1):
                if lineno <= skip_lines:
                    continue
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                try:
                    parsed = _parse_line(line)
                except ValueError as err:
                    logger.warning("%s:%d: skipping record line: %s", self.filename, lineno, err)
                    continue
                yield (lineno,) + parsed
                count += 1
                if max_lines is not None and count >= max_lines:
                    return

    def read_lines(self, max_lines=None, skip_lines=0):
        """Read up to ``max_lines`` valid records after skipping ``skip_lines`` lines.

        Returns
        -------
        inputs : List[MeasureInput]
        results : List[MeasureResult]
        """
        inputs, results = [], []
        for inp, res, _ in self.iter_with_source(max_lines, skip_lines):
            inputs.append(inp)
            results.append(res)
        return inputs, results

    def iter_with_source(self, max_lines=None, skip_lines=0):
        """Iterate over ``(MeasureInput, MeasureResult, "file:line")`` of the valid records.

        Parameters
        ----------
        max_lines : Optional[int]
            Stop after this many valid records.
        skip_lines : int
            Skip the first lines of the file.
        """
        for lineno, workload_key, target_text, state_json, res in self._lines(max_lines, skip_lines):
            yield _make_input(workload_key, target_text, state_json), res, "%s:%d" % (self.filename, lineno)

    def __iter__(self):
        return ((inp, res) for inp, res, _ in self.iter_with_source())


#: path -> ((mtime, size), records) of the last file read by :func:`read_raw_records`.
_RAW_CACHE = {}


def read_raw_records(filename):
    """The valid records of a log as ``(line number, workload key, target text, state json, result)``.

    Cheaper than :class:`RecordReader` (no task is made per record) and read
    once per version of the file: a tuning run asks for the records of every
    task, and a log of a large network has tens of thousands of lines. Invalid
    lines are skipped with :class:`RecordReader`'s warnings. The returned list
    is shared: do not modify it.
    """
    path = os.path.abspath(str(filename))
    stat = os.stat(path)
    version = (stat.st_mtime_ns, stat.st_size)
    cached = _RAW_CACHE.get(path)
    if cached is None or cached[0] != version:
        cached = (version, list(RecordReader(path)._lines()))  # pylint: disable=protected-access
        _RAW_CACHE[path] = cached
    return cached[1]


def load_records(filename):
    """Iterate over the ``(MeasureInput, MeasureResult)`` records of a log file."""
    return iter(RecordReader(filename))


def save_records(filename, inputs, results):
    """Append records to a log file: whole lines, one write, under a file lock.

    See :func:`tvm.contrib.tuning_log.append_lines`.
    """
    append_lines(str(filename), [dump_record_to_string(inp, res) for inp, res in zip(inputs, results)])


def load_best_record(filename, workload_key=None, target=None, include_compatible=False):
    """The best valid record of a workload in a log file.

    Records whose target is ``target`` win; without one, the best record of a
    compatible target (same kind and keys, e.g. another ``-mcpu``; see
    :func:`tvm.contrib.target_check.target_compatible`) is used, with one info
    line saying so.

    Parameters
    ----------
    filename : str
        The log file.
    workload_key : Optional[str]
        Only records of this workload (any workload when None).
    target : Optional[Union[str, Target]]
        Only records of this target or a compatible one (any when None).
    include_compatible : bool
        Accepted for API compatibility; workloads are matched by key only.

    Returns
    -------
    record : Optional[Tuple[MeasureInput, MeasureResult]]
        The record with the smallest mean cost, or None.
    """
    del include_compatible
    target = as_target(target)
    matches = {}
    best = {EXACT: (MAX_FLOAT, None), COMPATIBLE: (MAX_FLOAT, None)}
    for lineno, wkl, target_text, state_json, res in RecordReader(filename)._lines():  # pylint: disable=protected-access
        if res.error_no != MeasureErrorNo.NO_ERROR:
            continue
        if workload_key is not None and wkl != workload_key:
            continue
        if target is None:
            match = EXACT
        else:
            if target_text not in matches:
                matches[target_text] = target_compatible(record_target(target_text), target)
            match = matches[target_text]
        if match in best and res.mean_cost() < best[match][0]:
            best[match] = (res.mean_cost(), (lineno, wkl, target_text, state_json, res))
    found = best[EXACT][1] or best[COMPATIBLE][1]
    if found is None:
        return None
    lineno, wkl, target_text, state_json, res = found
    if best[EXACT][1] is None:
        logger.info("%s:%d: using a record tuned for the compatible target %s on %s",
                    filename, lineno, target_text, target)
    return _make_input(wkl, target_text, state_json), res
