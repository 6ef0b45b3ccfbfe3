"""Seeded random Relay graphs (``fuzz/graph_generator.py``), each built at opt_level 0 and 3
with the TOPI schedules and under ``auto_scheduler.ApplyHistoryBest([])``, run with the graph
executor and compared with the reference interpreter (rtol/atol 1e-4 for float32, exact for
int32). About two minutes; a failure names the seed, the graph's index, the build
configuration and prints the graph's text (``GraphGenerator(seed)`` regenerates it:
call ``generate()`` index + 1 times).

For a longer exploration: ``FUZZ_SEEDS=10,11,12 FUZZ_GRAPHS=200 pytest test_fuzz_graphs.py``.
"""
import logging
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from fuzz.graph_generator import GraphGenerator, GraphMismatch, check_graph  # noqa: E402

SEEDS = [int(s) for s in os.environ.get("FUZZ_SEEDS", "20260,20261").split(",")]
GRAPHS_PER_SEED = int(os.environ.get("FUZZ_GRAPHS", "32"))


@pytest.fixture
def quiet_auto_scheduler():
    """The auto-scheduler logs every fallback compute DAG at WARNING; keep the output short."""
    logger = logging.getLogger("auto_scheduler")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_random_graphs_match_the_reference(seed, quiet_auto_scheduler):  # pylint: disable=unused-argument,redefined-outer-name
    generator = GraphGenerator(seed)
    failures = []
    for _ in range(GRAPHS_PER_SEED):
        graph = generator.generate()
        try:
            check_graph(graph)
        except GraphMismatch as err:
            failures.append(str(err))
    assert not failures, (f"{len(failures)} of {GRAPHS_PER_SEED} random graphs of seed {seed} "
                          "failed:\n\n" + "\n\n".join(failures))
