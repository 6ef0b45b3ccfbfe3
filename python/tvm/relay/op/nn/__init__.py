"""Neural-network operators (``relay.nn``)."""
from .nn import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from ._loss_deformable import (  # noqa: F401
    nll_loss, cross_entropy, cross_entropy_with_logits, deformable_conv2d, correlation)
from ._bitserial import bitpack, bitserial_conv2d, bitserial_dense  # noqa: F401
from . import nn as _nn_ops, pooling as _pooling_ops, _loss_deformable, _bitserial

__all__ = (list(_nn_ops.__all__) + list(_pooling_ops.__all__) + list(_loss_deformable.__all__)
           + list(_bitserial.__all__))
