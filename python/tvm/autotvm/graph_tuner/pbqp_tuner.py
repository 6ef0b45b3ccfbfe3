"""PBQPTuner: the graph tuner of 0.8 solving its choice as a PBQP problem."""
from .dynamic_programming_tuner import DPTuner


class PBQPTuner(DPTuner):
    """0.8's PBQP graph tuner. Without layout transformations between candidates
    the PBQP has no edge costs and its solution is the dynamic programme's."""
