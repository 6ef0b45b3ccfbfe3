"""AutoTVM: template-based tuning of TOPI schedules (the TVM 0.8 API).

Templates define knobs on a config space; tuners search it by measuring
candidates (:mod:`.measure`); records (:mod:`.record`) feed
``apply_history_best``, under which ``relay.build`` uses the tuned configs.
Importing AutoTVM plugs it into Relay's compile engine (``task.relay_integration``
registers its hook at ``tvm.relay.backend.lowering``); it never imports the
auto-scheduler, and Relay never imports AutoTVM.
"""
from . import database, env, feature, graph_tuner, measure, record, task, tuner, utils
from .env import GLOBAL_SCOPE
from .measure import (
    LocalBuilder,
    LocalRunner,
    MeasureErrorNo,
    MeasureInput,
    MeasureResult,
    RPCRunner,
    measure_option,
)
from .task import (
    ApplyConfig,
    ApplyGraphBest,
    ApplyHistoryBest,
    DispatchContext,
    FallbackContext,
    apply_graph_best,
    apply_history_best,
    get_config,
    register_topi_compute,
    register_topi_schedule,
    select_tuned_implementation,
    template,
)
from .task.space import ConfigEntity, ConfigSpace, FallbackConfigEntity
from .tuner import callback

