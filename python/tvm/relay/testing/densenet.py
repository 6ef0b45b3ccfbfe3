"""DenseNet 121/161/169/201 as upstream TVM 0.8's ``relay.testing.densenet``.

This reproduces upstream's network (a port of the MXNet Gluon model zoo's),
including its simplifications, so workloads and tasks match upstream's: a
dense block concatenates the outputs of its layers (each layer feeds the
next, not all previous ones), the 169 variant starts with 69 features (as
upstream), and the network ends with a dense layer without softmax. Names:
``conv1``, ``batch1``; per layer ``batch_1_<b>_<l>``, ``conv2d_1_<b>_<l>``
(1x1), ``batch_2_<b>_<l>``, ``conv2d_2_<b>_<l>`` (3x3); per transition
``batch_t_<b>``, ``conv_t_<b>`` and a 2x2 average pool; ``batch2``, a 7x7
average pool and ``dense``. Layout NCHW.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from ..op import tensor as _tensor
from . import layers
from .init import create_workload

# Initial features, growth rate and layers per block, by size.
_SPECS = {
    121: (64, 32, [6, 12, 24, 16]),
    161: (96, 48, [6, 12, 36, 24]),
    169: (69, 32, [6, 12, 32, 32]),
    201: (64, 32, [6, 12, 48, 32]),
}


def _make_dense_layer(data, growth_rate, bn_size, index):
    net = _nn.relu(layers.batch_norm_infer(data, name=f"batch_1_{index}"))
    net = layers.conv2d(net, channels=bn_size * growth_rate, kernel_size=(1, 1), name=f"conv2d_1_{index}")
    net = _nn.relu(layers.batch_norm_infer(net, name=f"batch_2_{index}"))
    return layers.conv2d(
        net, channels=growth_rate, kernel_size=(3, 3), padding=(1, 1), name=f"conv2d_2_{index}"
    )


def _make_dense_block(data, num_layers, bn_size, growth_rate, index):
    outputs = []
    net = data
    for layer in range(num_layers):
        net = _make_dense_layer(net, growth_rate, bn_size, f"{index}_{layer}")
        outputs.append(net)
    return _tensor.concatenate(outputs, 1)


def _make_transition(data, num_output_features, index):
    net = _nn.relu(layers.batch_norm_infer(data, name=f"batch_t_{index}"))
    net = layers.conv2d(net, channels=num_output_features, kernel_size=(1, 1), name=f"conv_t_{index}")
    return _nn.avg_pool2d(net, pool_size=(2, 2), strides=(2, 2))


def _make_dense_net(
    num_init_features, growth_rate, block_config, data_shape, data_dtype, bn_size=4, classes=1000
):
    data = _expr.var("data", shape=data_shape, dtype=data_dtype)
    net = layers.conv2d(
        data, channels=num_init_features, kernel_size=(7, 7), strides=(2, 2), padding=(3, 3), name="conv1"
    )
    net = _nn.relu(layers.batch_norm_infer(net, name="batch1"))
    net = _nn.max_pool2d(net, pool_size=(3, 3), strides=(2, 2), padding=(1, 1))
    num_features = num_init_features
    for index, num_layers in enumerate(block_config):
        net = _make_dense_block(net, num_layers, bn_size, growth_rate, index)
        num_features += num_layers * growth_rate
        if index != len(block_config) - 1:
            num_features //= 2
            net = _make_transition(net, num_features, index)
    net = _nn.relu(layers.batch_norm_infer(net, name="batch2"))
    net = _nn.avg_pool2d(net, pool_size=(7, 7))
    net = layers.dense_add_bias(_nn.batch_flatten(net), units=classes, name="dense")
    return _function.Function(free_vars(net), net)


def get_workload(
    densenet_size=121, classes=1000, batch_size=4, image_shape=(3, 224, 224), dtype="float32"
):
    """A DenseNet workload: the module and its initialised parameters.

    Parameters
    ----------
    densenet_size : int, optional
        121, 161, 169 or 201.
    classes : int, optional
        Number of classes.
    batch_size : int, optional
        The batch size (upstream's default is 4).
    image_shape : tuple of int, optional
        One input image, CHW (224x224: the final pool is 7x7).
    dtype : str, optional
        The data type.

    Returns
    -------
    mod : tvm.IRModule
    params : dict of str to tvm.runtime.Tensor
    """
    if densenet_size not in _SPECS:
        raise ValueError(f"densenet: densenet_size={densenet_size} is not one of {sorted(_SPECS)}")
    num_init_features, growth_rate, block_config = _SPECS[densenet_size]
    data_shape = (batch_size,) + tuple(image_shape)
    net = _make_dense_net(num_init_features, growth_rate, block_config, data_shape, dtype, 4, classes)
    return create_workload(net)
