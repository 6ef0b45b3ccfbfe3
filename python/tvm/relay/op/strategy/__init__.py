"""Op strategies per target (see :mod:`.strategy` for the contracts)."""
from .strategy import (
    OpImplementation,
    OpStrategy,
    TargetDispatch,
    get_strategy,
    select_implementation,
)
from .generic import registered_compute, strategy_from_pattern, topi_schedule
from . import x86
