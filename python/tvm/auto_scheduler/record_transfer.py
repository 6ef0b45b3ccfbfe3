"""Reuse of tuning records across models and shapes (the fork's own; upstream's
apache/tvm #7317 asked for it and stayed open).

Two kinds of reuse:

* **Identical workloads.** A layer that two models share (same computation,
  same shapes) has the same workload key in both. Its records in the other
  model's log are as good as the task's own: ``TaskScheduler(seed_logs=...)``
  counts them as measured (they are not measured again, train the cost model
  and seed the search), and ``ApplyHistoryBest([log_b, log_a])`` applies them.
* **Similar workloads.** The same computation with other shapes: another
  batch, spatial size or channel count. A schedule trace names blocks, not
  shapes, so it can be replayed on the task (:func:`transfer_state`): its tile
  sizes are adapted to the task's loop extents (:func:`adapt_tile`), its other
  decisions are kept. A trace that does not apply (other blocks, a compute
  location that no longer exists, a postprocessor that rejects the result) is
  skipped. :class:`SeedFromSimilarWorkloads` gives a search policy the
  transferred states of the best records of the nearest workloads; the policy
  measures them in its first round, after which they seed the evolutionary
  search like any measured state.
"""
import logging
import math
import os

import tvm

from .measure import MeasureErrorNo
from .measure_record import read_raw_records
from .search_policy import SearchCallback
from .workload_registry import decode_workload_key

logger = logging.getLogger("auto_scheduler")

#: Instructions whose decision depends on loop extents.
_TILE_KIND = "SamplePerfectTile"


def adapt_tile(factors, extent):
    """Tile factors for a loop of ``extent`` that stay as close to ``factors`` as they can.

    From the innermost level outwards each old factor is kept when it divides
    what is left of the extent, else replaced by their greatest common divisor;
    the outermost level takes the rest. Inner factors (the vector width and the
    register tile, which matter most) are therefore kept whenever possible.

    >>> adapt_tile([7, 1, 4, 16], 224)   # a loop of 448 tiled, now of 224
    [7, 1, 2, 16]
    """
    factors = [int(f) for f in factors]
    new = [1] * len(factors)
    rest = int(extent)
    for level in range(len(factors) - 1, 0, -1):
        keep = factors[level] if rest % factors[level] == 0 else math.gcd(rest, factors[level])
        new[level] = keep
        rest //= keep
    new[0] = rest
    return new


def _strip_postproc(insts, decisions):
    """Instructions before ``EnterPostproc`` and their decisions."""
    end = len(insts)
    for idx, inst in enumerate(insts):
        if str(inst[0]) == "EnterPostproc":
            end = idx
            break
    return list(insts[:end]), [d for d in decisions if int(d[0]) < end]


def transfer_state(state_json, mod, postprocs, seed=1):
    """Replay a logged trace (of any workload) on ``mod``; a Schedule, or None when it does not apply.

    Parameters
    ----------
    state_json : str
        The trace as stored in a record.
    mod : IRModule
        The task's unscheduled module.
    postprocs : List[Postproc]
        The task's MetaSchedule postprocessors (initialised with its context).
    seed : int
        Seed of the schedule (used only if a decision must be sampled).
    """
    from tvm.s_tir import Schedule, Trace  # pylint: disable=import-outside-toplevel

    try:
        insts, decisions = tvm.ir.load_json(state_json)
        insts, decisions = _strip_postproc(insts, decisions)
        tile_insts = {idx for idx, inst in enumerate(insts) if str(inst[0]) == _TILE_KIND}
        old_tiles = [list(d[1]) for d in decisions if int(d[0]) in tile_insts]
        # pass 1: the trace's structure on this module, tile sizes sampled afresh
        probe = Schedule(mod, seed=seed)
        Trace.apply_json_to_schedule(
            tvm.runtime.convert([insts, [d for d in decisions if int(d[0]) not in tile_insts]]), probe)
        # pass 2: the old tile sizes, adapted to this module's loop extents
        sch = Schedule(mod, seed=seed)
        tiles = iter(old_tiles)

        def provide(inst, inputs, attrs, decision):
            del attrs
            if inst.kind.name != _TILE_KIND:
                return decision
            old = next(tiles, None)
            if old is None or len(old) != len(decision):
                return decision
            return adapt_tile(old, int(sch.get(inputs[0]).extent))

        probe.trace.apply_to_schedule(sch, remove_postproc=True, decision_provider=provide)
        sch.enter_postproc()
        for postproc in postprocs:
            if not postproc.apply(sch):
                return None
        return sch
    except Exception as err:  # pylint: disable=broad-except
        logger.debug("a trace does not apply: %s", str(err).splitlines()[0] if str(err) else err)
        return None


def shape_distance(key_a, key_b):
    """How far two workload keys' shapes are apart (sum of |log ratio| of the dims), or None.

    None when the keys are not comparable: different numbers of tensors or ranks.
    """
    try:
        _, args_a = decode_workload_key(key_a)
        _, args_b = decode_workload_key(key_b)
    except ValueError:
        return None
    shapes_a = [a for a in args_a if isinstance(a, (list, tuple))]
    shapes_b = [b for b in args_b if isinstance(b, (list, tuple))]
    if len(shapes_a) != len(shapes_b) or any(len(a) != len(b) for a, b in zip(shapes_a, shapes_b)):
        return None
    total = 0.0
    for dims_a, dims_b in zip(shapes_a, shapes_b):
        for a, b in zip(dims_a, dims_b):
            if not isinstance(a, int) or not isinstance(b, int) or a <= 0 or b <= 0:
                return None
            total += abs(math.log(a / b))
    return total


class SeedFromSimilarWorkloads(SearchCallback):
    """Seed a policy with states transferred from the best records of similar workloads.

    Parameters
    ----------
    filenames : List[str]
        Logs of other tuning runs (other models, batch sizes, shapes).
    max_states : int = 8
        States given to one task at most (one per source workload, the nearest
        workloads first, see :func:`shape_distance`).
    max_tries : int = 32
        Source workloads tried at most per task (a replay costs ~10-20 ms).
    """

    def __init__(self, filenames, max_states=8, max_tries=32):
        self.filenames = [str(f) for f in filenames if f and os.path.isfile(str(f))]
        self.max_states = int(max_states)
        self.max_tries = int(max_tries)
        self._best = None  # workload key -> (cost, target text, state json)

    def _best_records(self):
        if self._best is None:
            self._best = {}
            for filename in self.filenames:
                for _, key, target_text, state_json, res in read_raw_records(filename):
                    if res.error_no != MeasureErrorNo.NO_ERROR:
                        continue
                    cost = res.mean_cost()
                    if key not in self._best or cost < self._best[key][0]:
                        self._best[key] = (cost, target_text, state_json)
        return self._best

    def sources(self, task):
        """``[(distance, workload key, state json)]`` of comparable other workloads, nearest first."""
        from tvm.contrib.target_check import NO_MATCH, record_target, target_compatible  # pylint: disable=C0415

        found, kinds = [], {}
        for key, (_, target_text, state_json) in self._best_records().items():
            if key == task.workload_key:
                continue  # identical workloads are preloaded as measured states
            if target_text not in kinds:
                kinds[target_text] = target_compatible(record_target(target_text), task.target)
            if kinds[target_text] == NO_MATCH:
                continue
            distance = shape_distance(key, task.workload_key)
            if distance is not None:
                found.append((distance, key, state_json))
        found.sort(key=lambda item: item[0])
        return found

    def callback(self, policy):
        task = policy.search_task
        states, tried = [], 0
        for _, key, state_json in self.sources(task):
            if len(states) >= self.max_states or tried >= self.max_tries:
                break
            tried += 1
            sch = transfer_state(state_json, task.compute_dag.mod, policy.postprocs)
            if sch is not None:
                states.append(sch)
                logger.debug("%s: seeded with a state of %s", task.workload_key, key)
        if states:
            logger.info("%s: %d states transferred from similar workloads (%d tried)",
                        task.desc or task.workload_key, len(states), tried)
        policy.add_seed_states(states)


def copy_identical_records(tasks, seed_logs, measure_callbacks):
    """Append to the run's logs the best seed record of each task's identical workload.

    Only records measured on the task's exact target count, and a record the
    destination already holds is not written again. The run's logs are the
    files of the ``RecordToFile`` callbacks in ``measure_callbacks``; with
    them, the run's log alone builds the tuned model.
    """
    from tvm.contrib.target_check import EXACT, record_target, target_compatible  # pylint: disable=C0415

    from .measure import MeasureInput  # pylint: disable=import-outside-toplevel
    from .measure_record import RecordToFile, save_records  # pylint: disable=import-outside-toplevel

    wanted = {task.workload_key: task for task in tasks}
    best, matches = {}, {}
    for filename in seed_logs:
        for _, key, target_text, state_json, res in read_raw_records(filename):
            task = wanted.get(key)
            if task is None or res.error_no != MeasureErrorNo.NO_ERROR:
                continue
            pair = (target_text, str(task.target))
            if pair not in matches:
                matches[pair] = target_compatible(record_target(target_text), task.target) == EXACT
            if matches[pair] and (key not in best or res.mean_cost() < best[key][2].mean_cost()):
                best[key] = (target_text, state_json, res)
    for callback in measure_callbacks:
        if not isinstance(callback, RecordToFile) or not best:
            continue
        held = set()
        if os.path.isfile(callback.filename):
            held = {(key, state_json) for _, key, _, state_json, _ in read_raw_records(callback.filename)}
        new = [(key, state_json, res) for key, (_, state_json, res) in best.items() if (key, state_json) not in held]
        if new:
            save_records(callback.filename, [MeasureInput(wanted[key], state_json) for key, state_json, _ in new],
                         [res for _, _, res in new])
            logger.info("%s: copied the best records of %d workloads from the seed logs", callback.filename,
                        len(new))
