"""The Python functions 0.8 reached through ``auto_scheduler._ffi_api`` that its
tests use to inspect sketches (0.8 registered them from C++).

They read a :class:`~.loop_state.State` (its TensorIR schedule) and follow the
block names TensorIR gives: a cache of buffer ``X`` in scope ``s`` is the buffer
(and block) ``X_s``; an rfactor block of ``X`` is ``X_rf``.
"""
from .loop_state import State, Stage


def _block_of(state, stage_id):
    return state.stages[int(stage_id)].block


def _written(state, block_name):
    block = state.schedule.get(state.schedule.get_sblock(block_name))
    region = block.writes[0]
    buf = getattr(region, "buffer", None)
    return str((buf if buf is not None else region.source).name)


def _block_names(state):
    return [stage.block for stage in state.stages if stage.block is not None]


def SearchPolicyUtilsIsTiled(stage):  # pylint: disable=invalid-name
    """Whether a stage's loops were split or fused (its loop count differs from its axes)."""
    if not isinstance(stage, Stage):
        raise TypeError("SearchPolicyUtilsIsTiled expects a Stage, got %s" % type(stage).__name__)
    return stage.op_type == 1 and len(stage.iters) != stage.n_axes


def SearchPolicyUtilsHasCacheWriteStage(state, stage_id):  # pylint: disable=invalid-name
    """Whether the stage computes into a cache that another block copies out."""
    name = _block_of(state, stage_id)
    if name is None:
        return False
    written = _written(state, name)
    return written != name and written in _block_names(state)


def SearchPolicyUtilsHasCacheReadStage(state, stage_id):  # pylint: disable=invalid-name
    """Whether the stage's output is read through a cache block."""
    stage = state.stages[int(stage_id)]
    out = stage.op.name if stage.block is None else _written(state, stage.block)
    return any(name.startswith(out + "_") and name != out and not name.endswith("_rf")
               for name in _block_names(state))


def SearchPolicyUtilsHasRfactorStage(state, stage_id):  # pylint: disable=invalid-name
    """Whether the stage's reduction was factored (an ``<block>_rf`` block exists)."""
    name = _block_of(state, stage_id)
    return name is not None and (name + "_rf") in _block_names(state)


def SearchPolicyUtilsHasCrossThreadReduction(state, stage_id):  # pylint: disable=invalid-name
    """Whether a reduction iterator of the stage is bound to ``threadIdx.x``."""
    stage = state.stages[int(stage_id)]
    tid = State.ANNOTATION_TRANS_TABLE["threadIdx.x"]
    return any(it.iter_kind == 1 and it.annotation == tid for it in stage.iters)
