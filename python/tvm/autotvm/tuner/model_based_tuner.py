"""Tuners guided by a cost model, and the simulated annealing model optimiser."""
import heapq
import logging

import numpy as np

from .tuner import Tuner

logger = logging.getLogger("autotvm")


class CostModel:
    """Predicts the relative speed of configs (higher is faster)."""

    def fit(self, xs, ys, plan_size):
        """Train on config indices ``xs`` with measured FLOPS ``ys``."""
        raise NotImplementedError()

    def predict(self, xs, output_margin=False):
        """Scores of config indices ``xs``."""
        raise NotImplementedError()

    def load_basemodel(self, base_model):
        raise NotImplementedError()

    def spawn_base_model(self):
        raise NotImplementedError()


class ModelOptimizer:
    """Finds configs that a cost model scores highest."""

    def find_maximums(self, model, num, exclusive):
        """``num`` config indices of the best predicted scores, none in ``exclusive``."""
        raise NotImplementedError()


def point2knob(point, dims):
    """Per-knob indices of a point of a space with knob sizes ``dims``."""
    knob = []
    for dim in dims:
        knob.append(point % dim)
        point //= dim
    return knob


def knob2point(knob, dims):
    """Inverse of :func:`point2knob`."""
    point, base = 0, 1
    for value, dim in zip(knob, dims):
        point += value * base
        base *= dim
    return point


class SimulatedAnnealingOptimizer(ModelOptimizer):
    """Simulated annealing over knob indices (neighbours change one knob).

    Parameters
    ----------
    task : autotvm.task.Task
    n_iter : int
        Annealing steps.
    temp : (float, float)
        Start and end temperature.
    persistent : bool
        Restart the next search from the last points.
    parallel_size : int
        Number of chains.
    early_stop : int
        Stop when the top set has not changed for this many steps.
    log_interval : int
    """

    def __init__(self, task, n_iter=500, temp=(1, 0), persistent=True, parallel_size=128,
                 early_stop=50, log_interval=50):
        super().__init__()
        self.task = task
        self.dims = [len(s) for s in task.config_space.space_map.values()]
        self.n_iter = n_iter
        self.temp = temp
        self.persistent = persistent
        self.parallel_size = min(parallel_size, len(task.config_space))
        self.early_stop = early_stop or 1e9
        self.log_interval = log_interval
        self.points = None
        self.rng = np.random.default_rng()

    def _random_points(self, n):
        total = len(self.task.config_space)
        return [int(self.rng.integers(total)) for _ in range(n)]

    def find_maximums(self, model, num, exclusive):
        points = self.points if (self.persistent and self.points is not None) else self._random_points(self.parallel_size)
        scores = model.predict(points)
        heap = [(-np.inf, -1 - i) for i in range(num)]  # (score, point) min-heap of the best
        in_heap = set()

        def push(point, score):
            if point in in_heap or point in exclusive:
                return False
            if score > heap[0][0]:
                _, old = heapq.heapreplace(heap, (score, point))
                in_heap.discard(old)
                in_heap.add(point)
                return True
            return False

        for p, s in zip(points, scores):
            push(p, s)
        t0, t1 = self.temp
        k, k_last_modify = 0, 0
        temp = t0
        cool = (t0 - t1) / (self.n_iter + 1)
        while k < self.n_iter and k < k_last_modify + self.early_stop:
            new_points = [self._neighbour(p) for p in points]
            new_scores = model.predict(new_points)
            ac_prob = np.exp(np.minimum((new_scores - scores) / (temp + 1e-5), 1))
            accept = self.rng.random(len(points)) < ac_prob
            for idx in np.nonzero(accept)[0]:
                points[idx] = new_points[idx]
                scores[idx] = new_scores[idx]
            for p, s in zip(new_points, new_scores):
                if push(p, s):
                    k_last_modify = k
            k += 1
            temp -= cool
            if self.log_interval and k % self.log_interval == 0:
                logger.debug("SA iter: %d\tlast_update: %d\tmax-0: %.2f\ttemp: %.2f",
                             k, k_last_modify, max(h[0] for h in heap), temp)
        self.points = points
        best = sorted((h for h in heap if h[1] >= 0), key=lambda h: -h[0])
        return [p for _, p in best]

    def _neighbour(self, point):
        knob = point2knob(point, self.dims)
        while True:
            j = int(self.rng.integers(len(self.dims)))
            if self.dims[j] > 1:
                break
            if all(d == 1 for d in self.dims):
                return point
        knob[j] = int(self.rng.integers(self.dims[j]))
        return knob2point(knob, self.dims)


class ModelBasedTuner(Tuner):
    """Measure random configs, fit a cost model, then measure its top picks.

    Parameters
    ----------
    task : autotvm.task.Task
    cost_model : CostModel
    model_optimizer : ModelOptimizer
    plan_size : int
        Configs measured between two model fits (the first batch is random).
    diversity_filter_ratio : float, optional
        Pick ``plan_size`` diverse configs out of ``ratio * plan_size`` top ones.
    """

    def __init__(self, task, cost_model, model_optimizer, plan_size, diversity_filter_ratio=None):
        super().__init__(task)
        self.task = task
        self.space = task.config_space
        self.space_len = len(task.config_space)
        self.dims = [len(s) for s in self.space.space_map.values()]
        self.cost_model = cost_model
        self.model_optimizer = model_optimizer
        self.plan_size = plan_size
        self.diversity_filter_ratio = diversity_filter_ratio
        if diversity_filter_ratio is not None and diversity_filter_ratio < 1:
            raise ValueError("diversity_filter_ratio must be >= 1")
        self.trials = []
        self.trial_pt = 0
        self.visited = set()
        self.xs = []
        self.ys = []
        self.flops_max = 0.0
        self.train_ct = 0
        self.rng = np.random.default_rng()

    def next_batch(self, batch_size):
        ret = []
        while len(ret) < batch_size and self.has_next():
            index = None
            while self.trial_pt < len(self.trials):
                candidate = self.trials[self.trial_pt]
                self.trial_pt += 1
                if candidate not in self.visited:
                    index = candidate
                    break
            if index is None:
                index = int(self.rng.integers(self.space_len))
                while index in self.visited:
                    index = int(self.rng.integers(self.space_len))
            self.visited.add(index)
            ret.append(self.space.get(index))
        return ret

    def update(self, inputs, results):
        for inp, res in zip(inputs, results):
            if res.error_no == 0:
                flops = inp.task.flop / np.mean(res.costs) if inp.task.flop else 1.0 / np.mean(res.costs)
                self.flops_max = max(self.flops_max, flops)
            else:
                flops = 0.0
            self.xs.append(inp.config.index)
            self.ys.append(flops)
            # as 0.8: also mark it visited, so replaying records resumes a tuning run
            self.visited.add(inp.config.index)
        if len(self.xs) >= self.plan_size * (self.train_ct + 1) and self.flops_max > 1e-6:
            self.cost_model.fit(self.xs, self.ys, self.plan_size)
            if self.diversity_filter_ratio:
                candidate = self.model_optimizer.find_maximums(
                    self.cost_model, int(self.plan_size * self.diversity_filter_ratio), self.visited
                )
                scores = self.cost_model.predict(candidate)
                knobs = [point2knob(x, self.dims) for x in candidate]
                norm = (scores - np.min(scores)) / (np.ptp(scores) + 1e-9)
                pick = submodular_pick(norm, knobs, self.plan_size, knob_weight=1)
                maximums = [candidate[i] for i in pick]
            else:
                maximums = self.model_optimizer.find_maximums(self.cost_model, self.plan_size, self.visited)
            self.trials = maximums
            self.trial_pt = 0
            self.train_ct += 1

    def has_next(self):
        return len(self.visited) < self.space_len

    def load_history(self, data_set, min_seed_records=500):
        """Transfer learning from earlier records (0.8): a base model is fitted
        on them (``cost_model.spawn_base_model().fit_log``); with at least
        ``min_seed_records`` usable records it picks the first trials and
        becomes ``cost_model``'s base model, otherwise nothing changes."""
        if not hasattr(self.cost_model, "fit_log"):
            return
        base_model = self.cost_model.spawn_base_model()
        if not base_model.fit_log(data_set, self.plan_size, min_seed_records):
            return
        if not self.trials:
            self.trials = self.model_optimizer.find_maximums(base_model, self.plan_size, self.visited)
            self.trial_pt = 0
        self.cost_model.load_basemodel(base_model)


def submodular_pick(scores, knobs, n_pick, knob_weight=1.0):
    """Greedily pick ``n_pick`` items balancing score and knob diversity."""
    n = len(scores)
    remain = list(range(n))
    selected = []
    seen = [set() for _ in range(len(knobs[0]) if knobs else 0)]
    for _ in range(min(n_pick, n)):
        best, best_score = None, -np.inf
        for i in remain:
            gain = scores[i] + knob_weight * sum(knobs[i][j] not in seen[j] for j in range(len(seen)))
            if gain > best_score:
                best, best_score = i, gain
        selected.append(best)
        remain.remove(best)
        for j, value in enumerate(knobs[best]):
            seen[j].add(value)
    return selected
