"""ResNet (pre-activation, "Identity Mappings in Deep Residual Networks", He et al. 2016).

The topology, parameter names and ``get_workload`` arguments follow upstream
TVM 0.8's ``relay.testing.resnet`` (itself after the MXNet ``symbol_resnet``
of Wei Wu), so workloads, parameter dictionaries and extracted tasks line up
with upstream's:

* input ``data`` -> ``bn_data`` (batch norm without scale) -> ``conv0`` (7x7
  stride 2 for ImageNet-sized inputs, then ``bn0``, ReLU, 3x3 max pool; 3x3
  stride 1 for inputs of height <= 32);
* stages of residual units ``stage<i>_unit<j>`` (basic blocks for fewer than
  50 layers, bottlenecks otherwise; the first unit of each stage has a 1x1
  projection ``_sc`` and, after stage 1, stride 2);
* ``bn1``, ReLU, global average pool, flatten, ``fc1`` (dense + bias),
  softmax.

``layout`` is ``"NCHW"`` (kernels ``OIHW``) or ``"NHWC"`` (kernels ``HWIO``);
``image_shape`` is given in the matching order, e.g. ``(224, 224, 3)`` for
NHWC.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from ..op import tensor as _tensor
from . import layers
from .init import create_workload

_KERNEL_LAYOUT = {"NCHW": "OIHW", "NHWC": "HWIO"}

# ImageNet-sized inputs: units per stage for each depth.
_IMAGENET_UNITS = {
    18: [2, 2, 2, 2],
    34: [3, 4, 6, 3],
    50: [3, 4, 6, 3],
    101: [3, 4, 23, 3],
    152: [3, 8, 36, 3],
    200: [3, 24, 36, 3],
    269: [3, 30, 48, 8],
}


def _check_layout(layout):
    if layout not in _KERNEL_LAYOUT:
        raise ValueError(f"resnet: unsupported layout {layout!r}; use 'NCHW' or 'NHWC'")


def residual_unit(
    data,
    num_filter,
    stride,
    dim_match,
    name,
    bottle_neck=True,
    data_layout="NCHW",
    kernel_layout="OIHW",
):
    """One pre-activation residual unit.

    Parameters
    ----------
    data : relay.Expr
        The input.
    num_filter : int
        Output channels (a bottleneck's inner convolutions have a quarter).
    stride : tuple of int
        Stride of the unit's first convolution and of the projection.
    dim_match : bool
        True if input and output have the same shape (identity shortcut);
        otherwise the shortcut is a 1x1 convolution ``<name>_sc``.
    name : str
        Prefix of the unit's parameter names.
    bottle_neck : bool, optional
        Bottleneck (1x1, 3x3, 1x1) instead of basic (3x3, 3x3) block.
    data_layout, kernel_layout : str, optional
        Layouts of the convolutions.

    Returns
    -------
    result : relay.Expr
    """
    bn_axis = data_layout.index("C")

    def bn_relu(x, suffix):
        x = layers.batch_norm_infer(data=x, epsilon=2e-5, axis=bn_axis, name=name + suffix)
        return _nn.relu(x)

    def conv(x, suffix, channels, kernel, strides, padding=(0, 0)):
        return layers.conv2d(
            data=x,
            channels=channels,
            kernel_size=kernel,
            strides=strides,
            padding=padding,
            name=name + suffix,
            data_layout=data_layout,
            kernel_layout=kernel_layout,
        )

    act1 = bn_relu(data, "_bn1")
    if bottle_neck:
        inner = int(num_filter * 0.25)
        body = conv(act1, "_conv1", inner, (1, 1), stride)
        body = conv(bn_relu(body, "_bn2"), "_conv2", inner, (3, 3), (1, 1), (1, 1))
        body = conv(bn_relu(body, "_bn3"), "_conv3", num_filter, (1, 1), (1, 1))
    else:
        body = conv(act1, "_conv1", num_filter, (3, 3), stride, (1, 1))
        body = conv(bn_relu(body, "_bn2"), "_conv2", num_filter, (3, 3), (1, 1), (1, 1))
    shortcut = data if dim_match else conv(act1, "_sc", num_filter, (1, 1), stride)
    return _tensor.add(body, shortcut)


def resnet(
    units,
    num_stages,
    filter_list,
    num_classes,
    data_shape,
    bottle_neck=True,
    layout="NCHW",
    dtype="float32",
):
    """Build a ResNet as a Relay function.

    Parameters
    ----------
    units : list of int
        Residual units per stage.
    num_stages : int
        Number of stages (``len(units)``).
    filter_list : list of int
        Channels of ``conv0`` then of each stage.
    num_classes : int
        Outputs of the classifier.
    data_shape : tuple of int
        Shape of ``data``, in ``layout`` order.
    bottle_neck : bool, optional
        Bottleneck units instead of basic ones.
    layout : str, optional
        ``"NCHW"`` or ``"NHWC"``.
    dtype : str, optional
        Data type of the input (and so of every parameter).

    Returns
    -------
    net : relay.Function
    """
    _check_layout(layout)
    if len(units) != num_stages:
        raise ValueError(f"resnet: {len(units)} unit counts given for {num_stages} stages")
    kernel_layout = _KERNEL_LAYOUT[layout]
    bn_axis = layout.index("C")
    height = data_shape[layout.index("H")]

    data = _expr.var("data", shape=data_shape, dtype=dtype)
    body = layers.batch_norm_infer(data=data, epsilon=2e-5, axis=bn_axis, scale=False, name="bn_data")
    if height <= 32:  # CIFAR-sized input
        body = layers.conv2d(
            data=body,
            channels=filter_list[0],
            kernel_size=(3, 3),
            strides=(1, 1),
            padding=(1, 1),
            name="conv0",
            data_layout=layout,
            kernel_layout=kernel_layout,
        )
    else:  # ImageNet-sized input
        body = layers.conv2d(
            data=body,
            channels=filter_list[0],
            kernel_size=(7, 7),
            strides=(2, 2),
            padding=(3, 3),
            name="conv0",
            data_layout=layout,
            kernel_layout=kernel_layout,
        )
        body = layers.batch_norm_infer(data=body, epsilon=2e-5, axis=bn_axis, name="bn0")
        body = _nn.relu(body)
        body = _nn.max_pool2d(body, pool_size=(3, 3), strides=(2, 2), padding=(1, 1), layout=layout)

    for stage in range(num_stages):
        first_stride = (1, 1) if stage == 0 else (2, 2)
        for unit in range(units[stage]):
            body = residual_unit(
                body,
                filter_list[stage + 1],
                first_stride if unit == 0 else (1, 1),
                unit != 0,
                name=f"stage{stage + 1}_unit{unit + 1}",
                bottle_neck=bottle_neck,
                data_layout=layout,
                kernel_layout=kernel_layout,
            )

    body = layers.batch_norm_infer(data=body, epsilon=2e-5, axis=bn_axis, name="bn1")
    body = _nn.relu(body)
    body = _nn.global_avg_pool2d(body, layout=layout)
    body = _nn.batch_flatten(body)
    body = layers.dense_add_bias(data=body, units=num_classes, name="fc1")
    net = _nn.softmax(body)
    return _function.Function(free_vars(net), net)


def get_net(
    batch_size,
    num_classes,
    num_layers=50,
    image_shape=(3, 224, 224),
    layout="NCHW",
    dtype="float32",
    **kwargs,
):
    """Choose the stages of a ResNet of ``num_layers`` layers and build it.

    Inputs of height <= 28 get the three-stage CIFAR variants (depth ``6n+2``
    with basic units below 164 layers, ``9n+2`` with bottlenecks from 164);
    larger inputs get the four-stage ImageNet variants (18, 34, 50, 101, 152,
    200, 269 layers).

    Returns
    -------
    net : relay.Function
    """
    del kwargs  # accepted for upstream compatibility
    _check_layout(layout)
    image_shape = tuple(image_shape)
    if len(image_shape) != 3:
        raise ValueError(f"resnet: image_shape must have 3 dimensions, got {image_shape}")
    height = image_shape[layout.index("H") - 1]
    data_shape = (batch_size,) + image_shape
    if height <= 28:
        num_stages = 3
        if (num_layers - 2) % 9 == 0 and num_layers >= 164:
            units = [(num_layers - 2) // 9] * num_stages
            filter_list = [16, 64, 128, 256]
            bottle_neck = True
        elif (num_layers - 2) % 6 == 0 and num_layers < 164:
            units = [(num_layers - 2) // 6] * num_stages
            filter_list = [16, 16, 32, 64]
            bottle_neck = False
        else:
            raise ValueError(
                f"resnet: no CIFAR-style network with num_layers={num_layers} "
                "(use 6n+2 below 164 or 9n+2 from 164)"
            )
    else:
        if num_layers not in _IMAGENET_UNITS:
            raise ValueError(
                f"resnet: no ImageNet-style network with num_layers={num_layers}; "
                f"choose one of {sorted(_IMAGENET_UNITS)}"
            )
        units = _IMAGENET_UNITS[num_layers]
        num_stages = 4
        bottle_neck = num_layers >= 50
        filter_list = [64, 256, 512, 1024, 2048] if bottle_neck else [64, 64, 128, 256, 512]
    return resnet(
        units=units,
        num_stages=num_stages,
        filter_list=filter_list,
        num_classes=num_classes,
        data_shape=data_shape,
        bottle_neck=bottle_neck,
        layout=layout,
        dtype=dtype,
    )


def get_workload(
    batch_size=1,
    num_classes=1000,
    num_layers=18,
    image_shape=(3, 224, 224),
    layout="NCHW",
    dtype="float32",
    **kwargs,
):
    """A ResNet workload: the module and its initialised parameters.

    Parameters
    ----------
    batch_size : int, optional
        The batch size.
    num_classes : int, optional
        Number of classes.
    num_layers : int, optional
        Depth: 18, 34, 50, 101, 152 (also 200, 269; CIFAR depths for small
        images).
    image_shape : tuple of int, optional
        One input image in ``layout`` order without the batch, e.g.
        ``(3, 224, 224)`` for NCHW, ``(224, 224, 3)`` for NHWC.
    layout : str, optional
        ``"NCHW"`` or ``"NHWC"``.
    dtype : str, optional
        The data type.
    kwargs : dict
        Extra arguments (ignored, as upstream).

    Returns
    -------
    mod : tvm.IRModule
        The module; ``main`` maps ``data`` to class probabilities
        ``(batch_size, num_classes)``.
    params : dict of str to tvm.runtime.Tensor
        The parameters.
    """
    net = get_net(
        batch_size=batch_size,
        num_classes=num_classes,
        num_layers=num_layers,
        image_shape=image_shape,
        layout=layout,
        dtype=dtype,
        **kwargs,
    )
    return create_workload(net)
