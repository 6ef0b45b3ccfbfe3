"""The auto-scheduler (Ansor), with the upstream TVM 0.8 ``tvm.auto_scheduler`` API.

Schedules are TensorIR schedules of the base wheel: a state is a
:class:`tvm.s_tir.Schedule` trace over ``te.create_prim_func(io_tensors)``.
Search engine parts (sketch rules, evolutionary search, features, XGBoost model)
are the base's MetaSchedule (see :mod:`.ms_bridge`); DAGs, tasks, measurement,
records, the task scheduler and dispatch are this fork's own.
"""
from . import compute_dag, cost_model, dispatcher, measure, measure_record, search_policy, search_task
from . import task_scheduler, utils, workload_registry
from .compute_dag import ComputeDAG, LayoutRewriteOption
from .cost_model import RandomModel, XGBModel
from .dispatcher import ApplyHistoryBest, ApplyHistoryBestOrSample, DispatchContext, FallbackContext
from .measure import (
    LocalBuilder,
    LocalRPCMeasureContext,
    LocalRunner,
    MeasureErrorNo,
    MeasureInput,
    MeasureResult,
    RPCRunner,
)
from .measure_record import RecordReader, RecordToFile, load_best_record, load_records, save_records
from .search_policy import EmptyPolicy, PreloadCustomSketchRule, PreloadMeasuredStates, SketchPolicy
from .search_task import HardwareParams, SearchTask, TuningOptions
from .task_scheduler import TaskScheduler
from .workload_registry import make_workload_key, register_workload, register_workload_tensors

# The one bridge to Relay: importing it plugs the auto-scheduler into the
# compile engine's hook point (tvm.relay.backend.lowering).
from . import relay_integration
from .relay_integration import (
    TracingEnvironment,
    TracingMode,
    extract_tasks,
    is_auto_scheduler_enabled,
)
