"""AutoTVM's record database (TVM 0.8's ``tvm.autotvm.database``).

A database maps the string key of a measure input (target, task, config; see
:func:`tvm.autotvm.record.measure_str_key`) to the record lines measured for
it, joined by :attr:`RedisDatabase.MAGIC_SPLIT`. :class:`DummyDatabase` keeps
them in a Python dict; :class:`RedisDatabase` in a Redis server (through the
``redis`` package, which is optional). :func:`filter_inputs` lets a tuner skip
inputs measured before.
"""
import os

from .record import decode, encode, measure_str_key


def _preferred(results):
    """The result ``load`` returns out of several of one input.

    0.8 returns the latest (largest timestamp). Here the best valid result
    (lowest mean cost, error_no 0) is returned, ties going to the latest; when
    no result is valid, the latest. For a database filled by a tuner run, where
    one input is measured once per run, this is the same record as 0.8's; when
    an input was measured several times, the kept record is the useful one.
    """
    valid = [r for r in results if r.error_no == 0]
    if not valid:
        return max(results, key=lambda r: r.timestamp)

    def rank(res):
        costs = [float(c) for c in res.costs] or [float("inf")]
        return (sum(costs) / len(costs), -res.timestamp)

    return min(valid, key=rank)


class Database:
    """Base class of record databases (``load`` / ``save``)."""

    def load(self, inp, get_all=False):
        """The result saved for ``inp`` (a MeasureResult), every saved result
        (a list, in save order) with ``get_all``, or None if nothing was saved."""
        raise NotImplementedError()

    def save(self, inp, res, extend=False):
        """Save ``res`` for ``inp``; ``extend`` keeps the results saved before."""
        raise NotImplementedError()


def filter_inputs(db, measure_inputs, retry=False):
    """Split a batch into the results already in ``db`` and the inputs to measure.

    Parameters
    ----------
    db : Database
    measure_inputs : list of MeasureInput
    retry : bool
        Measure again inputs whose saved result is an error.

    Returns
    -------
    partial_results : list of MeasureResult or None
        One entry per input; None where nothing (usable) is saved.
    unsaved : list of MeasureInput
        The inputs whose entry is None.
    """
    partial_results, unsaved = [], []
    for inp in measure_inputs:
        res = db.load(inp)
        if res is None or (retry and res.error_no != 0):
            unsaved.append(inp)
            partial_results.append(None)
        else:
            partial_results.append(res)
    return partial_results, unsaved


class RedisDatabase(Database):
    """Records in a Redis server (needs the ``redis`` package and a server).

    Parameters
    ----------
    db_index : int
        The Redis database number (``REDIS_TEST`` connects to 127.0.0.1,
        the others to the host named by ``TVM_FLEET_HOST``).
    """

    REDIS_PROD = 15
    REDIS_LOCA = 14
    REDIS_TEST = 13
    REDIS_NIGHT_TEMP = 12

    MAGIC_SPLIT = "$"

    def __init__(self, db_index=REDIS_PROD):
        try:
            import redis  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise ImportError(
                "autotvm.database.RedisDatabase needs the 'redis' package "
                "(pip install redis) and a running Redis server; "
                "DummyDatabase keeps records in memory without one"
            ) from None
        host = "127.0.0.1" if db_index == RedisDatabase.REDIS_TEST else os.environ.get("TVM_FLEET_HOST")
        self.db = redis.StrictRedis(host=host, port=6379, db=db_index)
        self.db_index = db_index

    # storage primitives (DummyDatabase replaces these)
    def set(self, key, value):
        """Store the string ``value`` under ``key``."""
        self.db.set(key, value)

    def get(self, key):
        """The string stored under ``key``, or None."""
        value = self.db.get(key)
        return value.decode() if isinstance(value, bytes) else value

    def _keys(self):
        return list(self.db.keys())

    def _records(self, value):
        records = []
        for line in value.split(RedisDatabase.MAGIC_SPLIT):
            if line.strip():
                records.append(decode(line))
        return records

    def load(self, inp, get_all=False):
        value = self.get(measure_str_key(inp))
        if value is None:
            return None
        results = [res for _, res in self._records(value)]
        if get_all:
            return results
        return _preferred(results) if results else None

    def save(self, inp, res, extend=False):
        key = measure_str_key(inp)
        line = encode(inp, res)
        current = self.get(key) if extend else None
        if current:
            line = current + RedisDatabase.MAGIC_SPLIT + line
        self.set(key, line)

    def filter(self, func):
        """The records whose input and saved results satisfy ``func``.

        Parameters
        ----------
        func : callable
            ``func(MeasureInput, [MeasureResult]) -> bool``.

        Returns
        -------
        list of (MeasureInput, MeasureResult)
            One pair per matching input, with the result ``load`` returns.

        Examples
        --------
        ``db.filter(lambda inp, results: any(r.error_no != 0 for r in results))``
        lists the inputs that failed at least once.
        """
        matched = []
        for key in self._keys():
            value = self.get(key.decode() if isinstance(key, bytes) else key)
            if not value:
                continue
            try:
                records = self._records(value)
            except ValueError:  # a malformed (or foreign) value
                continue
            if not records:
                continue
            inps, results = zip(*records)
            if func(inps[0], list(results)):
                matched.append((inps[0], _preferred(list(results))))
        return matched

    def flush(self):
        """Remove every record."""
        self.db.flushdb()


class DummyDatabase(RedisDatabase):
    """A database in a Python dict (for tests and single-process runs)."""

    def __init__(self):  # pylint: disable=super-init-not-called
        self.db = {}
        self.db_index = None

    def set(self, key, value):
        self.db[key] = value

    def get(self, key):
        return self.db.get(key)

    def _keys(self):
        return list(self.db.keys())

    def flush(self):
        self.db = {}


# module-level names of the Redis database numbers (kept from earlier versions of this module)
REDIS_PROD = RedisDatabase.REDIS_PROD
REDIS_LOCA = RedisDatabase.REDIS_LOCA
REDIS_TEST = RedisDatabase.REDIS_TEST
REDIS_NIGHT_TEMP = RedisDatabase.REDIS_NIGHT_TEMP
