"""SqueezeNet 1.0 and 1.1 (Iandola et al., 2016).

Topology, parameter names and ``get_workload`` arguments follow upstream TVM
0.8's ``relay.testing.squeezenet``: a stem convolution ``conv1`` (with bias,
ReLU, 3x3 stride-2 max pool), eight fire modules ``fire<i>`` (a 1x1 squeeze
``fire<i>_input_conv`` feeding a 1x1 expand ``fire<i>_left_conv`` and a 3x3
expand ``fire<i>_right_conv``, concatenated on channels; every convolution
with a bias and ReLU) with max pools between them, dropout, ``conv_final``
(1x1 to ``num_classes``, bias, ReLU), global average pool and softmax.
Layout NCHW.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from ..op import tensor as _tensor
from . import layers
from .init import create_workload

# Fire modules as (squeeze, expand 1x1, expand 3x3); "pool" is a 3x3 stride-2 max pool.
_V10_BODY = [
    (16, 64, 64), (16, 64, 64), (32, 128, 128), "pool",
    (32, 128, 128), (48, 192, 192), (48, 192, 192), (64, 256, 256), "pool",
    (64, 256, 256),
]  # fmt: skip
_V11_BODY = [
    (16, 64, 64), (16, 64, 64), "pool",
    (32, 128, 128), (32, 128, 128), "pool",
    (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256),
]  # fmt: skip


def _make_fire_conv(net, channels, kernel_size, padding=0, prefix=""):
    net = layers.conv2d(
        net,
        channels=channels,
        kernel_size=(kernel_size, kernel_size),
        padding=(padding, padding),
        name=f"{prefix}_conv",
    )
    net = _nn.bias_add(net, _expr.var(f"{prefix}_conv_bias"))
    return _nn.relu(net)


def _make_fire(net, squeeze_channels, expand1x1_channels, expand3x3_channels, prefix):
    net = _make_fire_conv(net, squeeze_channels, 1, 0, f"{prefix}_input")
    left = _make_fire_conv(net, expand1x1_channels, 1, 0, f"{prefix}_left")
    right = _make_fire_conv(net, expand3x3_channels, 3, 1, f"{prefix}_right")
    return _tensor.concatenate((left, right), axis=1)


def _max_pool(net):
    return _nn.max_pool2d(net, pool_size=(3, 3), strides=(2, 2))


def get_net(batch_size, image_shape, num_classes, version, dtype):
    """Build SqueezeNet as a Relay function.

    Parameters
    ----------
    batch_size : int
        The batch size.
    image_shape : tuple of int
        One input image, CHW.
    num_classes : int
        Number of classes.
    version : str
        ``"1.0"`` or ``"1.1"``.
    dtype : str
        The data type.

    Returns
    -------
    net : relay.Function
    """
    if version not in ("1.0", "1.1"):
        raise ValueError(f"squeezenet: unsupported version {version!r}; use '1.0' or '1.1'")
    net = _expr.var("data", shape=(batch_size,) + tuple(image_shape), dtype=dtype)
    if version == "1.0":
        net = layers.conv2d(
            net, channels=96, kernel_size=(7, 7), strides=(2, 2), padding=(3, 3), name="conv1"
        )
        body = _V10_BODY
    else:
        net = layers.conv2d(
            net, channels=64, kernel_size=(3, 3), strides=(2, 2), padding=(1, 1), name="conv1"
        )
        body = _V11_BODY
    net = _nn.relu(_nn.bias_add(net, _expr.var("conv1_bias")))
    net = _max_pool(net)
    fire_index = 0
    for item in body:
        if item == "pool":
            net = _max_pool(net)
        else:
            fire_index += 1
            net = _make_fire(net, *item, f"fire{fire_index}")
    net = _nn.dropout(net, rate=0.5)
    net = layers.conv2d(net, channels=num_classes, kernel_size=(1, 1), name="conv_final")
    net = _nn.relu(_nn.bias_add(net, _expr.var("conv_final_bias")))
    net = _nn.global_avg_pool2d(net)
    net = _nn.softmax(_nn.batch_flatten(net))
    return _function.Function(free_vars(net), net)


def get_workload(
    batch_size=1, num_classes=1000, version="1.0", image_shape=(3, 224, 224), dtype="float32"
):
    """A SqueezeNet workload: the module and its initialised parameters.

    Parameters
    ----------
    batch_size : int, optional
        The batch size.
    num_classes : int, optional
        Number of classes.
    version : str, optional
        ``"1.0"`` or ``"1.1"``.
    image_shape : tuple of int, optional
        One input image, CHW.
    dtype : str, optional
        The data type.

    Returns
    -------
    mod : tvm.IRModule
    params : dict of str to tvm.runtime.Tensor
    """
    net = get_net(batch_size, image_shape, num_classes, version, dtype)
    return create_workload(net)
