"""Callbacks of ``Tuner.tune``: log records to a file, show a progress bar."""
import logging

import numpy as np

from tvm.contrib.tuning_log import append_lines

from .. import record

logger = logging.getLogger("autotvm")


def log_to_file(file_out, protocol="json"):
    """A callback appending each batch of measurements to ``file_out``.

    Each batch is appended as whole lines in one write under an exclusive file
    lock, after ending a partial last line left by a killed run
    (:func:`tvm.contrib.tuning_log.append_lines`), so no record is lost and
    processes sharing a log interleave whole lines only.

    Parameters
    ----------
    file_out : str or file object
        A path (opened in append mode for every batch) or an open file.
    protocol : str
        Only ``"json"``.
    """
    if isinstance(file_out, str) or hasattr(file_out, "__fspath__"):
        file_out = str(file_out)

    def _callback(_, inputs, results):
        append_lines(file_out, [record.encode(inp, res, protocol) for inp, res in zip(inputs, results)])

    return _callback


def log_to_database(db):
    """A callback saving each measurement into ``db`` (an object with ``save(inp, res)``)."""

    def _callback(_, inputs, results):
        for inp, res in zip(inputs, results):
            db.save(inp, res)

    return _callback


def progress_bar(total, prefix="", si_prefix="G"):
    """A tqdm progress bar showing the current and best FLOPS.

    Parameters
    ----------
    total : int
        Number of trials.
    prefix : str
        Text before the bar (e.g. ``"[Task  1/10] "``).
    si_prefix : str
        Unit prefix of the FLOPS shown.
    """
    from tqdm import tqdm  # pylint: disable=import-outside-toplevel

    scale = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[si_prefix]
    state = {"bar": None, "best": 0.0}

    def _callback(tuner, inputs, results):
        if state["bar"] is None:
            state["bar"] = tqdm(total=total, desc=prefix, unit="trial", leave=True)
        for inp, res in zip(inputs, results):
            if res.error_no == 0 and inp.task.flop:
                state["best"] = max(state["best"], inp.task.flop / np.mean(res.costs))
        bar = state["bar"]
        bar.set_postfix_str(f"best {state['best'] / scale:.2f} {si_prefix}FLOPS")
        bar.update(len(results))
        if bar.n >= total or (tuner.ttl is not None and tuner.ttl <= 0):
            bar.close()

    return _callback
