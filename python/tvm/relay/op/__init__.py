"""Relay operators: the registry and the op library."""
from .op import (
    Op,
    OpPattern,
    get,
    list_op_names,
    register,
    register_compute,
    register_op,
    register_pattern,
    register_strategy,
    register_type_rel,
)
