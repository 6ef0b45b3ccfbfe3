"""Tuners that walk config indices: random and grid search."""
import numpy as np

from .tuner import Tuner


class IndexBaseTuner(Tuner):
    """A tuner over a range of config indices.

    Parameters
    ----------
    task : autotvm.task.Task
    range_idx : tuple of int, optional
        ``(first, last)`` inclusive range of indices to visit (default: all).
    """

    def __init__(self, task, range_idx=None):
        super().__init__(task)
        n = len(task.config_space)
        if range_idx is None:
            range_idx = (0, n - 1)
        if not 0 <= range_idx[0] <= range_idx[1] < n:
            raise ValueError(f"range_idx {range_idx} is outside the space [0, {n - 1}]")
        self.range_length = range_idx[1] - range_idx[0] + 1
        self.index_offset = range_idx[0]
        self.counter = 0

    def has_next(self):
        return self.counter < self.range_length

    def load_history(self, data_set, min_seed_records=500):
        pass


class GridSearchTuner(IndexBaseTuner):
    """Visit configs in index order."""

    def next_batch(self, batch_size):
        ret = []
        while len(ret) < batch_size and self.has_next():
            ret.append(self.task.config_space.get(self.index_offset + self.counter))
            self.counter += 1
        return ret


class RandomTuner(IndexBaseTuner):
    """Visit configs in a random order, each at most once.

    ``visited`` holds the config indices (in the whole space, as in 0.8) measured so far.
    """

    def __init__(self, task, range_idx=None):
        super().__init__(task, range_idx)
        self.visited = set()
        self.rng = np.random.default_rng()

    def next_batch(self, batch_size):
        ret = []
        lo = self.index_offset
        while len(ret) < batch_size and self.has_next():
            if self.range_length <= 1 << 20 and len(self.visited) > self.range_length // 2:
                rest = [i for i in range(lo, lo + self.range_length) if i not in self.visited]
                idx = int(self.rng.choice(rest))
            else:
                idx = lo + int(self.rng.integers(self.range_length))
                while idx in self.visited:
                    idx = lo + int(self.rng.integers(self.range_length))
            self.visited.add(idx)
            self.counter += 1
            ret.append(self.task.config_space.get(idx))
        return ret
