"""AutoTVM tasks: config spaces, templates, dispatch contexts, task extraction."""
from . import space
from .space import ConfigSpace, ConfigEntity, FallbackConfigEntity
from .dispatcher import (
    ApplyConfig,
    ApplyGraphBest,
    ApplyHistoryBest,
    DispatchContext,
    FallbackContext,
    apply_graph_best,
    apply_history_best,
    clear_fallback_cache,
)
from .task import (
    TASK_TABLE,
    Task,
    args_to_workload,
    compute_flop,
    create,
    deserialize_args,
    get_config,
    serialize_args,
    template,
)
from .topi_integration import (
    TaskExtractEnv,
    get_workload,
    register_topi_compute,
    register_topi_schedule,
    select_tuned_implementation,
)
from .relay_integration import extract_from_multiple_program, extract_from_program
