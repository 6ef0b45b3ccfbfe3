"""Genetic algorithm tuner."""
import numpy as np

from .tuner import Tuner


class GATuner(Tuner):
    """Evolve a population of configs; a gene is the entity index of each knob.

    Parameters
    ----------
    task : autotvm.task.Task
    pop_size : int
        Population size per generation.
    elite_num : int
        Best configs kept unchanged in the next generation.
    mutation_prob : float
        Probability that a gene mutates.
    """

    def __init__(self, task, pop_size=100, elite_num=3, mutation_prob=0.1):
        super().__init__(task)
        space = task.config_space
        self.space = space
        self.pop_size = min(pop_size, len(space))
        self.elite_num = min(self.pop_size, elite_num)
        self.mutation_prob = mutation_prob
        if self.elite_num > self.pop_size:
            raise ValueError("elite_num must not exceed pop_size")
        self.dims = [len(s) for s in space.space_map.values()]
        self.rng = np.random.default_rng()
        self.visited = set()
        self.genes = []
        self.scores = []
        self.elites = []
        self.elite_scores = []
        self.trial_pt = 0
        while len(self.genes) < self.pop_size:
            gene = [int(self.rng.integers(d)) for d in self.dims]
            point = space.knob2point(gene)
            if point not in self.visited:
                self.genes.append(gene)
                self.visited.add(point)

    def next_batch(self, batch_size):
        ret = []
        while len(ret) < batch_size and self.trial_pt < len(self.genes):
            gene = self.genes[self.trial_pt]
            ret.append(self.space.get(self.space.knob2point(gene)))
            self.trial_pt += 1
        return ret

    def update(self, inputs, results):
        for inp, res in zip(inputs, results):
            score = inp.task.flop / np.mean(res.costs) if res.error_no == 0 and inp.task.flop else 0.0
            if res.error_no == 0 and not inp.task.flop:
                score = 1.0 / np.mean(res.costs)
            self.scores.append(score)
        if len(self.scores) >= len(self.genes) and self.trial_pt >= len(self.genes):
            self._next_generation()

    def _next_generation(self):
        genes = self.genes + self.elites
        scores = np.array(self.scores[: len(self.genes)] + self.elite_scores)
        order = np.argsort(-scores)
        self.elites = [genes[i] for i in order[: self.elite_num]]
        self.elite_scores = [float(scores[i]) for i in order[: self.elite_num]]
        probs = scores + 1e-8
        probs = probs / probs.sum()
        new_genes = []
        tries = 0
        limit = len(self.space) - len(self.visited)
        while len(new_genes) < min(self.pop_size, limit) and tries < 100 * self.pop_size:
            tries += 1
            p1, p2 = self.rng.choice(len(genes), size=2, p=probs)
            cut = int(self.rng.integers(len(self.dims) + 1))
            child = list(genes[p1][:cut]) + list(genes[p2][cut:])
            for j, dim in enumerate(self.dims):
                if self.rng.random() < self.mutation_prob:
                    child[j] = int(self.rng.integers(dim))
            point = self.space.knob2point(child)
            if point not in self.visited:
                self.visited.add(point)
                new_genes.append(child)
        self.genes = new_genes
        self.scores = []
        self.trial_pt = 0

    def has_next(self):
        return self.trial_pt < len(self.genes) or len(self.visited) < len(self.space)

    def load_history(self, data_set, min_seed_records=500):
        pass
