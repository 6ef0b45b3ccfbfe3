"""Relay passes. Each pass is a :class:`Pass` honouring the base ``PassContext``."""
from .pass_infra import (
    FunctionPass,
    ModulePass,
    Pass,
    PassInfo,
    Sequential,
    function_pass,
    module_pass,
    pass_enabled,
)
