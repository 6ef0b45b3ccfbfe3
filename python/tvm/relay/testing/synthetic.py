"""A small synthetic network for fast tests, as upstream TVM 0.8's ``relay.testing.synthetic``.

Two rounds of: a dense layer over the last axis (through reshapes) with
ReLU, in parallel with a 3x3 convolution followed by softmax, the two added.
Between the rounds a ``bias`` is added on the channel axis and a batch norm
``batch_norm`` applied. Parameters: ``dense_weight``, ``conv_weight``,
``bias``, ``batch_norm_*``, ``dense2_weight``, ``conv2_weight``. Weights
may have their own dtype (``wtype``); the workload uses the
:class:`~.init.Constant` initialiser, so values do not depend on a seed.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from ..op import tensor as _tensor
from ..op import transform as _transform
from . import layers
from .init import Constant, create_workload


def get_net(input_shape=(1, 3, 24, 12), dtype="float32", wtype=None):
    """Build the synthetic network as a Relay function.

    Parameters
    ----------
    input_shape : tuple of int, optional
        The input (batch, channels, height, width).
    dtype : str, optional
        Data type of the input.
    wtype : str, optional
        Data type of the weights; ``dtype`` by default.

    Returns
    -------
    net : relay.Function
    """
    wtype = dtype if wtype is None else wtype
    input_shape = tuple(input_shape)
    if len(input_shape) != 4:
        raise ValueError(f"synthetic: input_shape must be NCHW (4 dimensions), got {input_shape}")
    width = input_shape[3]
    channels = input_shape[1]
    rows = [-1, width]
    conv_shape = (channels, channels, 3, 3)

    def dense_branch(x, weight_name):
        weight = _expr.var(weight_name, shape=(width, width), dtype=wtype)
        out = _nn.relu(_nn.dense(_transform.reshape(x, rows), weight))
        return _transform.reshape_like(out, data)

    def conv_branch(x, weight_name):
        weight = _expr.var(weight_name, shape=conv_shape, dtype=wtype)
        return _nn.softmax(_nn.conv2d(x, weight, padding=1, kernel_size=3))

    data = _expr.var("data", shape=input_shape, dtype=dtype)
    added = _tensor.add(dense_branch(data, "dense_weight"), conv_branch(data, "conv_weight"))
    biased = _nn.bias_add(added, _expr.var("bias"))
    biased = layers.batch_norm_infer(biased, name="batch_norm")
    out = _tensor.add(dense_branch(biased, "dense2_weight"), conv_branch(biased, "conv2_weight"))
    return _function.Function(free_vars(out), out)


def get_workload(input_shape=(1, 3, 24, 12), dtype="float32", wtype=None):
    """The synthetic workload, initialised with :class:`~.init.Constant`.

    Parameters
    ----------
    input_shape : tuple of int, optional
        The input (batch, channels, height, width).
    dtype : str, optional
        Data type of the input.
    wtype : str, optional
        Data type of the weights; ``dtype`` by default.

    Returns
    -------
    mod : tvm.IRModule
    params : dict of str to tvm.runtime.Tensor
    """
    return create_workload(
        get_net(input_shape=input_shape, dtype=dtype, wtype=wtype), initializer=Constant()
    )
