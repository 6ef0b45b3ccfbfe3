"""Small helpers shared by the AutoTVM modules."""
import logging
import time

import numpy as np

import tvm

logger = logging.getLogger("autotvm")


def get_const_int(value):
    """``value`` (int or ``IntImm``) as a Python int; raises ValueError if symbolic."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, tvm.tirx.IntImm):
        return int(value.value)
    raise ValueError(f"expected a constant integer, got {value!r} ({type(value).__name__})")


def get_const_tuple(values):
    """A shape (list of ``IntImm``/int) as a tuple of Python ints."""
    return tuple(get_const_int(v) for v in values)


def get_func_name(func):
    """The name of a function (upstream helper)."""
    return getattr(func, "__name__", repr(func))


def get_rank(values):
    """The rank (0 = largest) of every value, as upstream's ``get_rank``."""
    order = np.argsort(-np.asarray(values), kind="stable")
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(len(values))
    return ranks


class EmptyContext:
    """A no-op context manager."""

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def timestamp():
    """Seconds since the epoch, as stored in records."""
    return time.time()
