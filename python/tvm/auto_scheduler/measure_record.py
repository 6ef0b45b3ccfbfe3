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

from .measure import MAX_FLOAT, MeasureErrorNo, MeasureInput, MeasureResult
from .utils import as_target, target_to_str

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
    """``(workload_key, target_text, state_json, MeasureResult)``; raises ValueError."""
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
    except (TypeError, ValueError) as err:
        raise ValueError("bad record structure") from err
    if not isinstance(workload_key, str) or not isinstance(target_text, str) or not isinstance(state_json, str):
        raise ValueError("bad record field types")
    return workload_key, target_text, state_json, MeasureResult(costs, error_no, None, all_cost, timestamp)


_TARGETS = {}


def _make_input(workload_key, target_text, state_json):
    from .search_task import SearchTask  # pylint: disable=import-outside-toplevel

    if target_text not in _TARGETS:  # parsing a target costs more than a record line
        _TARGETS[target_text] = as_target(target_text)
    task = SearchTask.from_record(workload_key, _TARGETS[target_text])
    return MeasureInput(task, state_json)


def load_record_from_string(record):
    """Parse one record line into ``(MeasureInput, MeasureResult)``."""
    workload_key, target_text, state_json, res = _parse_line(record)
    return _make_input(workload_key, target_text, state_json), res


class RecordToFile:
    """Measure callback that appends every measurement to a log file.

    Each line is flushed as soon as it is written, so a killed tuning run leaves
    a log whose every complete line is loadable.

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
    """Read records from a log file.

    Parameters
    ----------
    filename : str
        The log file.
    """

    def __init__(self, filename):
        if not os.path.isfile(str(filename)):
            raise FileNotFoundError("record file %s does not exist" % filename)
        self.filename = str(filename)
        self._target_cache = {}

    def _lines(self, max_lines=None, skip_lines=0):
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
                yield parsed
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
        for inp, res in self._iter(max_lines, skip_lines):
            inputs.append(inp)
            results.append(res)
        return inputs, results

    def _iter(self, max_lines=None, skip_lines=0):
        for workload_key, target_text, state_json, res in self._lines(max_lines, skip_lines):
            yield _make_input(workload_key, target_text, state_json), res

    def __iter__(self):
        return self._iter()


def load_records(filename):
    """Iterate over the ``(MeasureInput, MeasureResult)`` records of a log file."""
    return iter(RecordReader(filename))


def save_records(filename, inputs, results):
    """Append records to a log file, one line each, flushed per line."""
    with open(str(filename), "a", encoding="utf-8") as fout:
        for inp, res in zip(inputs, results):
            fout.write(dump_record_to_string(inp, res) + "\n")
            fout.flush()


def _target_signature(target):
    return (target.kind.name, tuple(str(k) for k in target.keys), str(target.attrs.get("mcpu", "")))


def _target_matcher(target):
    """A predicate on record target strings: same kind, keys and CPU as ``target``."""
    if target is None:
        return lambda text: True
    target = as_target(target)
    exact, want, cache = target_to_str(target), _target_signature(target), {}

    def match(text):
        if text == exact:
            return True
        if text not in cache:
            try:
                cache[text] = _target_signature(as_target(text)) == want
            except ValueError:
                cache[text] = False
        return cache[text]

    return match


def load_best_record(filename, workload_key=None, target=None, include_compatible=False):
    """The best valid record of a workload in a log file.

    Parameters
    ----------
    filename : str
        The log file.
    workload_key : Optional[str]
        Only records of this workload (any workload when None).
    target : Optional[Union[str, Target]]
        Only records of this target (same kind, keys and CPU; any when None).
    include_compatible : bool
        Accepted for API compatibility; workloads are matched by key only.

    Returns
    -------
    record : Optional[Tuple[MeasureInput, MeasureResult]]
        The record with the smallest mean cost, or None.
    """
    del include_compatible
    best, best_cost = None, MAX_FLOAT
    same_target = _target_matcher(target)
    for wkl, target_text, state_json, res in RecordReader(filename)._lines():  # pylint: disable=protected-access
        if res.error_no != MeasureErrorNo.NO_ERROR:
            continue
        if workload_key is not None and wkl != workload_key:
            continue
        if not same_target(target_text):
            continue
        cost = res.mean_cost()
        if cost < best_cost:
            best_cost = cost
            best = (wkl, target_text, state_json, res)
    if best is None:
        return None
    return _make_input(best[0], best[1], best[2]), best[3]
