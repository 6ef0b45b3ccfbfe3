"""AutoTVM's record database (TVM 0.8's ``tvm.autotvm.database``).

:class:`DummyDatabase` keeps records in memory, keyed like 0.8's database by
the measure input (target, task, config); :class:`RedisDatabase` stores them
in a Redis server through the ``redis`` package. Values are record lines in
the format of :mod:`tvm.autotvm.record`.
"""
from . import record

# 0.8's Redis database numbers.
REDIS_PROD = 15
REDIS_LOCA = 14
REDIS_TEST = 13
REDIS_NIGHT_TEMP = 12


class Database:
    """A key-value store of tuning records (``load`` / ``save``)."""

    def set(self, key, value):
        """Store ``value`` (a record line, or lines joined by ``"\\n"``) under ``key``."""
        raise NotImplementedError()

    def get(self, key):
        """The value stored under ``key``, or None."""
        raise NotImplementedError()

    def load(self, inp, get_all=False):
        """The best result recorded for ``inp`` (all of them with ``get_all``),
        or None if there is none."""
        value = self.get(record.measure_str_key(inp))
        if value is None:
            return None
        results = [record.decode(line)[1] for line in value.split("\n") if line]
        if get_all:
            return results
        valid = [r for r in results if r.error_no == 0]
        if not valid:
            return results[0] if results else None
        return min(valid, key=lambda r: sum(r.costs) / max(len(r.costs), 1))

    def save(self, inp, res, extend=False):
        """Record ``res`` for ``inp``; with ``extend`` keep earlier results too."""
        key = record.measure_str_key(inp)
        line = record.encode(inp, res)
        old = self.get(key) if extend else None
        self.set(key, line if not old else old + "\n" + line)

    def flush(self):
        """Remove every record."""
        raise NotImplementedError()


class DummyDatabase(Database):
    """An in-memory database (0.8's test database)."""

    def __init__(self):
        self._data = {}

    def set(self, key, value):
        self._data[key] = value

    def get(self, key):
        return self._data.get(key)

    def flush(self):
        self._data = {}


class RedisDatabase(Database):
    """Records in a Redis server (needs the ``redis`` package and a server).

    Parameters
    ----------
    db_index : int
        The Redis database number.
    """

    def __init__(self, db_index=REDIS_PROD):
        try:
            import redis  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise ImportError(
                "autotvm.database.RedisDatabase needs the 'redis' package "
                "(pip install redis) and a running Redis server"
            ) from None
        self.db_index = db_index
        self.db = redis.StrictRedis(db=db_index)

    def set(self, key, value):
        self.db.set(key, value)

    def get(self, key):
        value = self.db.get(key)
        return value.decode() if isinstance(value, bytes) else value

    def flush(self):
        self.db.flushdb()
