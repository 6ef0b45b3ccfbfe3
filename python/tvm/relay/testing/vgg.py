"""VGG (Simonyan and Zisserman, 2014) in its 11, 13, 16 and 19 layer variants.

Topology, parameter names and ``get_workload`` arguments follow upstream TVM
0.8's ``relay.testing.vgg``: five groups of 3x3 convolutions
``conv<g>_<i>`` (each with ``conv<g>_<i>_bias`` and, with ``batch_norm``, a
batch norm ``bn<g>_<i>``), ReLU and 2x2 max pooling; then ``fc6`` and ``fc7``
(4096 units, ReLU, dropout 0.5), ``fc8`` and softmax. Layout NCHW.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from . import layers as wrapper
from .init import create_workload

# Convolutions per group and the group's channels, by depth.
_VGG_SPEC = {
    11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
    13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
    16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
    19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512]),
}


def get_feature(internal_layer, layers, filters, batch_norm=False):
    """The convolutional body: groups of 3x3 convolutions, each group ending in a max pool.

    Parameters
    ----------
    internal_layer : relay.Expr
        The input.
    layers : list of int
        Convolutions per group.
    filters : list of int
        Channels per group.
    batch_norm : bool, optional
        Batch norm after each convolution.

    Returns
    -------
    result : relay.Expr
    """
    for group, (count, channels) in enumerate(zip(layers, filters), start=1):
        for index in range(1, count + 1):
            tag = f"{group}_{index}"
            internal_layer = wrapper.conv2d(
                data=internal_layer,
                kernel_size=(3, 3),
                padding=(1, 1),
                channels=channels,
                name=f"conv{tag}",
            )
            internal_layer = _nn.bias_add(internal_layer, _expr.var(f"conv{tag}_bias"))
            if batch_norm:
                internal_layer = wrapper.batch_norm_infer(data=internal_layer, name=f"bn{tag}")
            internal_layer = _nn.relu(internal_layer)
        internal_layer = _nn.max_pool2d(internal_layer, pool_size=(2, 2), strides=(2, 2))
    return internal_layer


def get_classifier(input_data, num_classes):
    """The classifier: ``fc6``, ``fc7`` (with ReLU and dropout) and ``fc8``.

    Returns
    -------
    result : relay.Expr
    """
    net = _nn.batch_flatten(input_data)
    for name in ("fc6", "fc7"):
        net = wrapper.dense_add_bias(data=net, units=4096, name=name)
        net = _nn.dropout(_nn.relu(net), rate=0.5)
    return wrapper.dense_add_bias(data=net, units=num_classes, name="fc8")


def get_net(batch_size, image_shape, num_classes, dtype, num_layers=11, batch_norm=False):
    """Build a VGG network as a Relay function.

    Parameters
    ----------
    batch_size : int
        The batch size.
    image_shape : tuple of int
        One input image, CHW.
    num_classes : int
        Number of classes.
    dtype : str
        The data type.
    num_layers : int, optional
        11, 13, 16 or 19.
    batch_norm : bool, optional
        Batch norm after each convolution.

    Returns
    -------
    net : relay.Function
    """
    if num_layers not in _VGG_SPEC:
        raise ValueError(f"vgg: num_layers={num_layers} is not one of {sorted(_VGG_SPEC)}")
    layers, filters = _VGG_SPEC[num_layers]
    data = _expr.var("data", shape=(batch_size,) + tuple(image_shape), dtype=dtype)
    feature = get_feature(data, layers, filters, batch_norm)
    net = _nn.softmax(get_classifier(feature, num_classes))
    return _function.Function(free_vars(net), net)


def get_workload(
    batch_size,
    num_classes=1000,
    image_shape=(3, 224, 224),
    dtype="float32",
    num_layers=11,
    batch_norm=False,
):
    """A VGG workload: the module and its initialised parameters.

    Parameters
    ----------
    batch_size : int
        The batch size.
    num_classes : int, optional
        Number of classes.
    image_shape : tuple of int, optional
        One input image, CHW.
    dtype : str, optional
        The data type.
    num_layers : int, optional
        11, 13, 16 or 19.
    batch_norm : bool, optional
        Batch norm after each convolution.

    Returns
    -------
    mod : tvm.IRModule
    params : dict of str to tvm.runtime.Tensor
    """
    net = get_net(batch_size, image_shape, num_classes, dtype, num_layers, batch_norm)
    return create_workload(net)
