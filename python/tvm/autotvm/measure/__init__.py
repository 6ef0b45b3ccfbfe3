"""Measurement of AutoTVM candidates: builders, runners, results."""
from . import executor
from .executor import Executor
from .measure import (
    Builder,
    MeasureErrorNo,
    MeasureInput,
    MeasureResult,
    Runner,
    create_measure_batch,
    measure_option,
)
from .measure_methods import LocalBuilder, LocalRunner, RPCRunner, check_remote, request_remote, run_local
