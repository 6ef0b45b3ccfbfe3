"""TVM 0.8's graph tuner: one AutoTVM record per tuned node of a whole network.

In 0.8 the graph tuner weighed each x86 ``conv2d`` candidate (an
``NCHW[x]c`` blocking) against the ``layout_transform`` s its choice forced
between neighbours. The fork's AutoTVM templates keep the operator's layout
(their knobs are register tiles and unrolling), so every candidate of a node
reads and writes the same layout as every candidate of its neighbours: no
layout transformation can be saved or incurred, and the graph-level optimum is
the fastest record of each node. :class:`DPTuner` and :class:`PBQPTuner`
therefore compute that optimum (and agree), with 0.8's API, so 0.8 scripts
(``tune_graph`` + ``autotvm.apply_graph_best``) run and build with the chosen
records.
"""
from .base_graph_tuner import BaseGraphTuner
from .dynamic_programming_tuner import DPTuner
from .pbqp_tuner import PBQPTuner

__all__ = ["BaseGraphTuner", "DPTuner", "PBQPTuner"]
