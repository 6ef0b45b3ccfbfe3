"""MobileNet (v1, Howard et al. 2017): depthwise-separable convolutions.

Topology, parameter names and ``get_workload`` arguments follow upstream TVM
0.8's ``relay.testing.mobilenet``: ``conv_block_1`` (3x3 stride 2, batch
norm, ReLU), thirteen ``separable_conv_block_<i>`` (a depthwise 3x3
convolution whose kernel is the variable ``separable_conv_block_<i>_weight``,
batch norm ``_bn1``, ReLU, a pointwise 1x1 convolution ``_conv2``, ``_bn2``,
ReLU), global average pool, ``fc`` (dense + bias) and softmax.

``layout`` is ``"NCHW"`` or ``"NHWC"``; depthwise kernels are ``OIHW`` /
``HWOI``. Difference from upstream: ``conv_block_1``'s batch norm normalises
the channel axis of the layout; upstream passed no axis, so in NHWC it
normalised the height axis. Both agree for the default NCHW layout.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from . import layers
from .init import create_workload


def _check_layout(layout):
    if layout not in ("NCHW", "NHWC"):
        raise ValueError(f"mobilenet: unsupported layout {layout!r}; use 'NCHW' or 'NHWC'")


def conv_block(
    data,
    name,
    channels,
    kernel_size=(3, 3),
    strides=(1, 1),
    padding=(1, 1),
    epsilon=1e-5,
    layout="NCHW",
):
    """Convolution ``<name>_conv``, batch norm ``<name>_bn``, ReLU.

    Returns
    -------
    result : relay.Expr
    """
    _check_layout(layout)
    conv = layers.conv2d(
        data=data,
        channels=channels,
        kernel_size=kernel_size,
        strides=strides,
        padding=padding,
        data_layout=layout,
        kernel_layout=layers.conv_kernel_layout(layout),
        name=name + "_conv",
    )
    bn = layers.batch_norm_infer(
        data=conv, epsilon=epsilon, axis=layout.index("C"), name=name + "_bn"
    )
    return _nn.relu(bn)


def separable_conv_block(
    data,
    name,
    depthwise_channels,
    pointwise_channels,
    kernel_size=(3, 3),
    downsample=False,
    padding=(1, 1),
    epsilon=1e-5,
    layout="NCHW",
    dtype="float32",
):
    """Depthwise convolution + batch norm + ReLU, then pointwise convolution + batch norm + ReLU.

    Parameters
    ----------
    data : relay.Expr
        The input.
    name : str
        Prefix of the block's parameter names.
    depthwise_channels : int
        Channels of the input (one filter per channel).
    pointwise_channels : int
        Output channels.
    kernel_size : tuple of int, optional
        Kernel of the depthwise convolution.
    downsample : bool, optional
        Stride 2 in the depthwise convolution.
    padding : tuple of int, optional
        Padding of the depthwise convolution.
    epsilon : float, optional
        Batch-norm epsilon.
    layout : str, optional
        ``"NCHW"`` or ``"NHWC"``.
    dtype : str, optional
        Type of the depthwise kernel.

    Returns
    -------
    result : relay.Expr
    """
    _check_layout(layout)
    kernel_size = tuple(kernel_size)
    strides = (2, 2) if downsample else (1, 1)
    if layout == "NCHW":
        wshape = (depthwise_channels, 1) + kernel_size
    else:
        wshape = kernel_size + (depthwise_channels, 1)
    bn_axis = layout.index("C")
    weight = _expr.var(name + "_weight", shape=wshape, dtype=dtype)
    body = layers.conv2d(
        data=data,
        weight=weight,
        channels=depthwise_channels,
        groups=depthwise_channels,
        kernel_size=kernel_size,
        strides=strides,
        padding=padding,
        data_layout=layout,
        kernel_layout=layers.conv_kernel_layout(layout, True),
        name=name + "_depthwise_conv1",
    )
    body = layers.batch_norm_infer(data=body, epsilon=epsilon, axis=bn_axis, name=name + "_bn1")
    body = _nn.relu(body)
    body = layers.conv2d(
        data=body,
        channels=pointwise_channels,
        kernel_size=(1, 1),
        strides=(1, 1),
        padding=(0, 0),
        data_layout=layout,
        kernel_layout=layers.conv_kernel_layout(layout),
        name=name + "_conv2",
    )
    body = layers.batch_norm_infer(data=body, epsilon=epsilon, axis=bn_axis, name=name + "_bn2")
    return _nn.relu(body)


def mobile_net(
    num_classes=1000,
    data_shape=(1, 3, 224, 224),
    dtype="float32",
    alpha=1.0,
    is_shallow=False,
    layout="NCHW",
):
    """Build a MobileNet as a Relay function.

    Parameters
    ----------
    num_classes : int, optional
        Outputs of the classifier.
    data_shape : tuple of int, optional
        Shape of ``data`` in ``layout`` order.
    dtype : str, optional
        The data type.
    alpha : float, optional
        Width multiplier of every layer's channels.
    is_shallow : bool, optional
        The shallow variant: two stride-2 blocks instead of blocks 7 to 13.
    layout : str, optional
        ``"NCHW"`` or ``"NHWC"``.

    Returns
    -------
    net : relay.Function
    """
    _check_layout(layout)

    def width(channels):
        return int(channels * alpha)

    # (depthwise channels, pointwise channels, downsample) of each separable block.
    if is_shallow:
        tail = [(512, 1024, True), (1024, 1024, True)]
    else:
        tail = [(512, 512, False)] * 5 + [(512, 1024, True), (1024, 1024, False)]
    blocks = [
        (32, 64, False),
        (64, 128, True),
        (128, 128, False),
        (128, 256, True),
        (256, 256, False),
        (256, 512, True),
    ] + tail

    data = _expr.var("data", shape=data_shape, dtype=dtype)
    body = conv_block(data, "conv_block_1", width(32), strides=(2, 2), layout=layout)
    for index, (dw_channels, pw_channels, downsample) in enumerate(blocks, start=1):
        body = separable_conv_block(
            body,
            f"separable_conv_block_{index}",
            width(dw_channels),
            width(pw_channels),
            downsample=downsample,
            layout=layout,
            dtype=dtype,
        )
    body = _nn.global_avg_pool2d(body, layout=layout)
    body = _nn.batch_flatten(body)
    body = _nn.dense(body, _expr.var("fc_weight"), units=num_classes)
    body = _nn.bias_add(body, _expr.var("fc_bias"))
    net = _nn.softmax(body)
    return _function.Function(free_vars(net), net)


def get_workload(
    batch_size=1, num_classes=1000, image_shape=(3, 224, 224), dtype="float32", layout="NCHW"
):
    """A MobileNet workload: the module and its initialised parameters.

    Parameters
    ----------
    batch_size : int, optional
        The batch size.
    num_classes : int, optional
        Number of classes.
    image_shape : tuple of int, optional
        One image in ``layout`` order without the batch (``(224, 224, 3)``
        for NHWC).
    dtype : str, optional
        The data type.
    layout : str, optional
        ``"NCHW"`` or ``"NHWC"``.

    Returns
    -------
    mod : tvm.IRModule
        The module; ``main`` maps ``data`` to ``(batch_size, num_classes)``.
    params : dict of str to tvm.runtime.Tensor
        The parameters.
    """
    data_shape = (batch_size,) + tuple(image_shape)
    net = mobile_net(
        num_classes=num_classes,
        data_shape=data_shape,
        dtype=dtype,
        alpha=1.0,
        is_shallow=False,
        layout=layout,
    )
    return create_workload(net)
