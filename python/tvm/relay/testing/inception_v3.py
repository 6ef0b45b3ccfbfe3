"""Inception v3 (Szegedy et al., 2015) for ~299x299 images.

Topology, parameter names and ``get_workload`` arguments follow upstream TVM
0.8's ``relay.testing.inception_v3`` (after the MXNet example symbol). Every
convolution is :func:`Conv`: ``<name><suffix>_conv1`` followed by a batch norm
without scale ``<name><suffix>_bn`` and ReLU. Blocks are named ``mixed``,
``mixed_1`` ... ``mixed_10``; inside a block the towers are ``<block>_conv``,
``<block>_tower``, ``<block>_tower_1`` and ``<block>_tower_2`` (the pooling
projection). The head is an 8x8 average pool, ``fc1_weight`` and, as
upstream, ``fc2_bias``, then softmax. Layout NCHW.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from ..op import tensor as _tensor
from . import layers
from .init import create_workload


def Conv(data, num_filter, kernel=(1, 1), stride=(1, 1), pad=(0, 0), name=None, suffix=""):
    """Convolution + batch norm (no scale) + ReLU, named ``<name><suffix>_conv1`` / ``_bn``.

    Returns
    -------
    result : relay.Expr
    """
    # pylint: disable=invalid-name
    net = layers.conv2d(
        data=data,
        channels=int(num_filter),
        kernel_size=kernel,
        strides=stride,
        padding=pad,
        name=f"{name}{suffix}_conv1",
    )
    net = layers.batch_norm_infer(data=net, epsilon=2e-5, scale=False, name=f"{name}{suffix}_bn")
    return _nn.relu(net)


def Pooling(data, kernel, stride, pad, pool_type, name):
    """A max or average (padding counted) pool; ``name`` is kept for upstream compatibility.

    Returns
    -------
    result : relay.Expr
    """
    # pylint: disable=invalid-name,unused-argument
    if pool_type == "max":
        return _nn.max_pool2d(data, pool_size=kernel, strides=stride, padding=pad)
    if pool_type == "avg":
        return _nn.avg_pool2d(
            data, pool_size=kernel, strides=stride, padding=pad, count_include_pad=True
        )
    raise ValueError(f"inception_v3: invalid pooling type {pool_type!r}; use 'max' or 'avg'")


def _tower(data, name, convs):
    """A chain of :func:`Conv` s; ``convs`` holds (filters, kernel, pad, stride, suffix)."""
    for filters, kernel, pad, stride, suffix in convs:
        data = Conv(data, filters, kernel=kernel, stride=stride, pad=pad, name=name, suffix=suffix)
    return data


def _pool_projection(data, pool, proj, name):
    pooled = Pooling(data, (3, 3), (1, 1), (1, 1), pool, f"{pool}_pool_{name}_pool")
    return Conv(pooled, proj, name=f"{name}_tower_2", suffix="_conv")


_1 = (1, 1)
_0 = (0, 0)
_S2 = (2, 2)


def Inception7A(
    data, num_1x1, num_3x3_red, num_3x3_1, num_3x3_2, num_5x5_red, num_5x5, pool, proj, name
):
    """Block with 1x1, 5x5 and double-3x3 towers and a pooling projection."""
    # pylint: disable=invalid-name
    return _tensor.concatenate(
        (
            Conv(data, num_1x1, name=f"{name}_conv"),
            _tower(
                data,
                f"{name}_tower",
                [(num_5x5_red, _1, _0, _1, "_conv"), (num_5x5, (5, 5), (2, 2), _1, "_conv_1")],
            ),
            _tower(
                data,
                f"{name}_tower_1",
                [
                    (num_3x3_red, _1, _0, _1, "_conv"),
                    (num_3x3_1, (3, 3), _1, _1, "_conv_1"),
                    (num_3x3_2, (3, 3), _1, _1, "_conv_2"),
                ],
            ),
            _pool_projection(data, pool, proj, name),
        ),
        axis=1,
    )


def Inception7B(data, num_3x3, num_d3x3_red, num_d3x3_1, num_d3x3_2, pool, name):
    """First grid reduction: stride-2 3x3 and double-3x3 towers and a max pool."""
    # pylint: disable=invalid-name,unused-argument
    return _tensor.concatenate(
        (
            Conv(data, num_3x3, kernel=(3, 3), pad=_0, stride=_S2, name=f"{name}_conv"),
            _tower(
                data,
                f"{name}_tower",
                [
                    (num_d3x3_red, _1, _0, _1, "_conv"),
                    (num_d3x3_1, (3, 3), _1, _1, "_conv_1"),
                    (num_d3x3_2, (3, 3), _0, _S2, "_conv_2"),
                ],
            ),
            Pooling(data, (3, 3), _S2, _0, "max", f"max_pool_{name}_pool"),
        ),
        axis=1,
    )


def Inception7C(
    data,
    num_1x1,
    num_d7_red,
    num_d7_1,
    num_d7_2,
    num_q7_red,
    num_q7_1,
    num_q7_2,
    num_q7_3,
    num_q7_4,
    pool,
    proj,
    name,
):
    """Block with factorised 7x7 towers (1x7 and 7x1 convolutions)."""
    # pylint: disable=invalid-name
    row, col = ((1, 7), (0, 3)), ((7, 1), (3, 0))
    return _tensor.concatenate(
        (
            Conv(data, num_1x1, name=f"{name}_conv"),
            _tower(
                data,
                f"{name}_tower",
                [
                    (num_d7_red, _1, _0, _1, "_conv"),
                    (num_d7_1, *row, _1, "_conv_1"),
                    (num_d7_2, *col, _1, "_conv_2"),
                ],
            ),
            _tower(
                data,
                f"{name}_tower_1",
                [
                    (num_q7_red, _1, _0, _1, "_conv"),
                    (num_q7_1, *col, _1, "_conv_1"),
                    (num_q7_2, *row, _1, "_conv_2"),
                    (num_q7_3, *col, _1, "_conv_3"),
                    (num_q7_4, *row, _1, "_conv_4"),
                ],
            ),
            _pool_projection(data, pool, proj, name),
        ),
        axis=1,
    )


def Inception7D(
    data, num_3x3_red, num_3x3, num_d7_3x3_red, num_d7_1, num_d7_2, num_d7_3x3, pool, name
):
    """Second grid reduction: stride-2 towers and a stride-2 pool."""
    # pylint: disable=invalid-name
    return _tensor.concatenate(
        (
            _tower(
                data,
                f"{name}_tower",
                [(num_3x3_red, _1, _0, _1, "_conv"), (num_3x3, (3, 3), _0, _S2, "_conv_1")],
            ),
            _tower(
                data,
                f"{name}_tower_1",
                [
                    (num_d7_3x3_red, _1, _0, _1, "_conv"),
                    (num_d7_1, (1, 7), (0, 3), _1, "_conv_1"),
                    (num_d7_2, (7, 1), (3, 0), _1, "_conv_2"),
                    (num_d7_3x3, (3, 3), _0, _S2, "_conv_3"),
                ],
            ),
            Pooling(data, (3, 3), _S2, _0, pool, f"{pool}_pool_{name}_pool"),
        ),
        axis=1,
    )


def Inception7E(
    data,
    num_1x1,
    num_d3_red,
    num_d3_1,
    num_d3_2,
    num_3x3_d3_red,
    num_3x3,
    num_3x3_d3_1,
    num_3x3_d3_2,
    pool,
    proj,
    name,
):
    """Block with towers split into parallel 1x3 and 3x1 convolutions."""
    # pylint: disable=invalid-name
    tower = Conv(data, num_d3_red, name=f"{name}_tower", suffix="_conv")
    tower_1 = _tower(
        data,
        f"{name}_tower_1",
        [(num_3x3_d3_red, _1, _0, _1, "_conv"), (num_3x3, (3, 3), _1, _1, "_conv_1")],
    )

    def split(x, prefix, first, second):
        return (
            Conv(x, first, kernel=(1, 3), pad=(0, 1), name=prefix, suffix="_mixed_conv"),
            Conv(x, second, kernel=(3, 1), pad=(1, 0), name=prefix, suffix="_mixed_conv_1"),
        )

    return _tensor.concatenate(
        (
            Conv(data, num_1x1, name=f"{name}_conv"),
            *split(tower, f"{name}_tower", num_d3_1, num_d3_2),
            *split(tower_1, f"{name}_tower_1", num_3x3_d3_1, num_3x3_d3_2),
            _pool_projection(data, pool, proj, name),
        ),
        axis=1,
    )


def get_net(batch_size, num_classes, image_shape, dtype):
    """Build Inception v3 as a Relay function.

    Parameters
    ----------
    batch_size : int
        The batch size.
    num_classes : int
        Number of classes.
    image_shape : tuple of int
        One input image, CHW.
    dtype : str
        The data type.

    Returns
    -------
    net : relay.Function
    """
    data = _expr.var("data", shape=(batch_size,) + tuple(image_shape), dtype=dtype)
    # stem
    net = Conv(data, 32, kernel=(3, 3), stride=_S2, name="conv")
    net = Conv(net, 32, kernel=(3, 3), name="conv_1")
    net = Conv(net, 64, kernel=(3, 3), pad=_1, name="conv_2")
    net = Pooling(net, (3, 3), _S2, _0, "max", "pool")
    net = Conv(net, 80, kernel=_1, name="conv_3")
    net = Conv(net, 192, kernel=(3, 3), name="conv_4")
    net = Pooling(net, (3, 3), _S2, _0, "max", "pool1")
    # 35x35
    net = Inception7A(net, 64, 64, 96, 96, 48, 64, "avg", 32, "mixed")
    net = Inception7A(net, 64, 64, 96, 96, 48, 64, "avg", 64, "mixed_1")
    net = Inception7A(net, 64, 64, 96, 96, 48, 64, "avg", 64, "mixed_2")
    net = Inception7B(net, 384, 64, 96, 96, "max", "mixed_3")
    # 17x17
    net = Inception7C(net, 192, 128, 128, 192, 128, 128, 128, 128, 192, "avg", 192, "mixed_4")
    net = Inception7C(net, 192, 160, 160, 192, 160, 160, 160, 160, 192, "avg", 192, "mixed_5")
    net = Inception7C(net, 192, 160, 160, 192, 160, 160, 160, 160, 192, "avg", 192, "mixed_6")
    net = Inception7C(net, 192, 192, 192, 192, 192, 192, 192, 192, 192, "avg", 192, "mixed_7")
    net = Inception7D(net, 192, 320, 192, 192, 192, 192, "max", "mixed_8")
    # 8x8
    net = Inception7E(net, 320, 384, 384, 384, 448, 384, 384, 384, "avg", 192, "mixed_9")
    net = Inception7E(net, 320, 384, 384, 384, 448, 384, 384, 384, "max", 192, "mixed_10")
    net = Pooling(net, (8, 8), _1, _0, "avg", "global_pool")
    net = _nn.batch_flatten(net)
    net = _nn.dense(net, _expr.var("fc1_weight"), units=num_classes)
    net = _nn.bias_add(net, _expr.var("fc2_bias"), axis=-1)
    net = _nn.softmax(net)
    return _function.Function(free_vars(net), net)


def get_workload(batch_size=1, num_classes=1000, image_shape=(3, 299, 299), dtype="float32"):
    """An Inception v3 workload: the module and its initialised parameters.

    Parameters
    ----------
    batch_size : int, optional
        The batch size.
    num_classes : int, optional
        Number of classes.
    image_shape : tuple of int, optional
        One input image, CHW.
    dtype : str, optional
        The data type.

    Returns
    -------
    mod : tvm.IRModule
    params : dict of str to tvm.runtime.Tensor
    """
    net = get_net(batch_size, num_classes, image_shape, dtype)
    return create_workload(net)
