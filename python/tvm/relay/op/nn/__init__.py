"""Neural-network operators (``relay.nn``)."""
from .nn import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from . import nn as _nn_ops, pooling as _pooling_ops

__all__ = list(_nn_ops.__all__) + list(_pooling_ops.__all__)
