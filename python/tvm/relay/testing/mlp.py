"""A small multilayer perceptron (MNIST-sized by default).

Topology, parameter names and ``get_workload`` arguments follow upstream TVM
0.8's ``relay.testing.mlp``: flatten, ``fc1`` (128 units), ReLU, ``fc2`` (64),
ReLU, ``fc3`` (``num_classes``), softmax; each layer is ``relay.nn.dense`` +
``relay.nn.bias_add`` with parameters ``fc<i>_weight`` and ``fc<i>_bias``.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from .init import create_workload


def get_net(batch_size, num_classes=10, image_shape=(1, 28, 28), dtype="float32"):
    """Build the multilayer perceptron as a Relay function.

    Parameters
    ----------
    batch_size : int
        The batch size.
    num_classes : int, optional
        Number of classes.
    image_shape : tuple of int, optional
        One input image (flattened by the network).
    dtype : str, optional
        The data type.

    Returns
    -------
    net : relay.Function
    """
    data = _expr.var("data", shape=(batch_size,) + tuple(image_shape), dtype=dtype)
    net = _nn.batch_flatten(data)
    for index, units in enumerate((128, 64, num_classes), start=1):
        net = _nn.dense(net, _expr.var(f"fc{index}_weight"), units=units)
        net = _nn.bias_add(net, _expr.var(f"fc{index}_bias"))
        if index < 3:
            net = _nn.relu(net)
    net = _nn.softmax(net)
    return _function.Function(free_vars(net), net)


def get_workload(batch_size, num_classes=10, image_shape=(1, 28, 28), dtype="float32"):
    """A multilayer-perceptron workload: the module and its initialised parameters.

    Parameters
    ----------
    batch_size : int
        The batch size.
    num_classes : int, optional
        Number of classes.
    image_shape : tuple of int, optional
        One input image.
    dtype : str, optional
        The data type.

    Returns
    -------
    mod : tvm.IRModule
        The module; ``main`` maps ``data`` to ``(batch_size, num_classes)``.
    params : dict of str to tvm.runtime.Tensor
        The parameters.
    """
    net = get_net(batch_size, num_classes, image_shape, dtype)
    return create_workload(net)
