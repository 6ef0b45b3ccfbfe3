"""DPTuner: the graph tuner of 0.8 solving its choice by dynamic programming."""
import numpy as np

from .base_graph_tuner import BaseGraphTuner


def _fastest_per_node(tuner):
    """``{node index: index of its fastest candidate}`` for the nodes that have candidates.

    The total cost of a choice is the sum of the chosen kernels' costs plus the
    layout transformations between neighbours; with no transformation between
    candidates (see the package docstring) the sum separates per node, and the
    optimum of the dynamic programme (and of the PBQP) is each node's minimum.
    """
    choice = {}
    for index, node in enumerate(tuner._node_list):  # pylint: disable=protected-access
        costs = tuner._candidate_costs(node)  # pylint: disable=protected-access
        if costs:
            choice[index] = int(np.argmin(costs))
    return choice


class DPTuner(BaseGraphTuner):
    """0.8's dynamic-programming graph tuner (see the package docstring for what it chooses)."""

    def run(self, **kwargs):
        """Choose the optimal record of every node."""
        del kwargs
        self._optimal_record_dict = _fastest_per_node(self)
        total = sum(self._candidate_costs(self._node_list[i])[c] for i, c in self._optimal_record_dict.items())
        self._logger.info("%s: %d of %d nodes tuned, kernels' total %.3f ms", self._name,
                          len(self._optimal_record_dict), len(self._node_list), total * 1e3)
