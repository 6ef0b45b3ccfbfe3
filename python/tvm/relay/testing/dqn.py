"""The Nature DQN network (Mnih et al., 2015).

Topology, parameter names and ``get_workload`` arguments follow upstream TVM
0.8's ``relay.testing.dqn``: three convolutions ``conv1`` (8x8 stride 4, 32),
``conv2`` (4x4 stride 2, 64), ``conv3`` (3x3, 64), each with a bias and ReLU;
flatten; ``dense1`` (512, ReLU) and ``dense2`` (``num_actions``). No softmax:
the outputs are Q-values.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from . import layers
from .init import create_workload


def get_net(batch_size, num_actions=18, image_shape=(4, 84, 84), dtype="float32", layout="NCHW"):
    """Build the DQN as a Relay function.

    Parameters
    ----------
    batch_size : int
        The batch size.
    num_actions : int, optional
        Number of actions (outputs).
    image_shape : tuple of int, optional
        One input (stacked frames) in ``layout`` order without the batch.
    dtype : str, optional
        The data type.
    layout : str, optional
        ``"NCHW"`` or ``"NHWC"``.

    Returns
    -------
    net : relay.Function
    """
    kernel_layout = layers.conv_kernel_layout(layout)
    bias_axis = layout.index("C")
    net = _expr.var("data", shape=(batch_size,) + tuple(image_shape), dtype=dtype)
    for name, kernel, stride, channels in (
        ("conv1", (8, 8), (4, 4), 32),
        ("conv2", (4, 4), (2, 2), 64),
        ("conv3", (3, 3), (1, 1), 64),
    ):
        net = layers.conv2d(
            net,
            kernel_size=kernel,
            strides=stride,
            padding=(0, 0),
            channels=channels,
            name=name,
            data_layout=layout,
            kernel_layout=kernel_layout,
        )
        net = _nn.relu(_nn.bias_add(net, _expr.var(f"{name}_bias"), bias_axis))
    net = _nn.batch_flatten(net)
    net = _nn.relu(layers.dense_add_bias(net, units=512, name="dense1"))
    net = layers.dense_add_bias(net, units=num_actions, name="dense2")
    return _function.Function(free_vars(net), net)


def get_workload(
    batch_size, num_actions=18, image_shape=(4, 84, 84), dtype="float32", layout="NCHW"
):
    """A DQN workload: the module and its initialised parameters.

    Parameters
    ----------
    batch_size : int
        The batch size.
    num_actions : int, optional
        Number of actions.
    image_shape : tuple of int, optional
        One input in ``layout`` order.
    dtype : str, optional
        The data type.
    layout : str, optional
        ``"NCHW"`` or ``"NHWC"``.

    Returns
    -------
    mod : tvm.IRModule
    params : dict of str to tvm.runtime.Tensor
    """
    net = get_net(
        batch_size, num_actions=num_actions, image_shape=image_shape, dtype=dtype, layout=layout
    )
    return create_workload(net)
