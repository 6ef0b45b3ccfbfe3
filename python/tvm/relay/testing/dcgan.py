"""The generator of DCGAN (Radford, Metz and Chintala, 2015).

Topology, parameter names and ``get_workload`` arguments follow upstream TVM
0.8's ``relay.testing.dcgan`` (after tqchen/mxnet-gan): a random code
``data`` of shape ``(batch_size, random_len)``, a dense layer
``dense_weight`` (no bias) to ``4 x 4 x 8*ngf``, ReLU, a reshape to NCHW
``(-1, 8*ngf, 4, 4)``, three blocks ``g2``, ``g3``, ``g4`` of transposed
convolution (``g<i>_deconv``, 4x4, stride 2) + batch norm without scale
(``g<i>_batch_norm``) + ReLU doubling the spatial size each time, then
``g5_deconv`` to the output image and ``tanh``. The output is NCHW,
``(batch_size,) + oshape``.
"""
from .. import expr as _expr
from .. import function as _function
from ..analysis import free_vars
from ..op import nn as _nn
from ..op import tensor as _tensor
from ..op import transform as _transform
from . import layers
from .init import create_workload


def deconv2d(data, ishape, oshape, kshape, name, stride=(2, 2)):
    """A transposed convolution from ``ishape`` to ``oshape`` (both CHW).

    Padding is ``(k - 1) // 2`` and the output padding makes the result
    exactly ``oshape``'s height and width.

    Parameters
    ----------
    data : relay.Expr
        The input.
    ishape : tuple of int
        Input (channels, height, width); kept for upstream compatibility.
    oshape : tuple of int
        Output (channels, height, width).
    kshape : tuple of int
        Kernel (height, width).
    name : str
        Layer name (its weight is ``<name>_weight``).
    stride : tuple of int, optional
        The stride.

    Returns
    -------
    result : relay.Expr
    """
    del ishape  # the input shape is inferred; the argument mirrors upstream
    out_h, out_w = oshape[-2], oshape[-1]
    pad_y = (kshape[0] - 1) // 2
    pad_x = (kshape[1] - 1) // 2
    adj_y = (out_h + 2 * pad_y - kshape[0]) % stride[0]
    adj_x = (out_w + 2 * pad_x - kshape[1]) % stride[1]
    return layers.conv2d_transpose(
        data,
        kernel_size=kshape,
        strides=stride,
        channels=oshape[0],
        padding=(pad_y, pad_x),
        output_padding=(adj_y, adj_x),
        name=name,
    )


def deconv2d_bn_relu(data, prefix, **kwargs):
    """``<prefix>_deconv`` + batch norm ``<prefix>_batch_norm`` (no scale) + ReLU.

    ``kwargs`` are those of :func:`deconv2d` except ``name``.

    Returns
    -------
    result : relay.Expr
    """
    eps = 1e-5 + 1e-12
    net = deconv2d(data, name=f"{prefix}_deconv", **kwargs)
    net = layers.batch_norm_infer(net, epsilon=eps, scale=False, name=f"{prefix}_batch_norm")
    return _nn.relu(net)


def get_net(batch_size, random_len=100, oshape=(3, 64, 64), ngf=128, code=None, dtype="float32"):
    """Build the DCGAN generator as a Relay function.

    Parameters
    ----------
    batch_size : int
        The batch size.
    random_len : int, optional
        Length of the random code.
    oshape : tuple of int, optional
        The output image (channels, height, width); height and width must be 64.
    ngf : int, optional
        Feature maps of the last block (the first has ``8 * ngf``).
    code : relay.Expr, optional
        The input code; a variable ``data`` when not given.
    dtype : str, optional
        The data type.

    Returns
    -------
    net : relay.Function
    """
    oshape = tuple(oshape)
    if len(oshape) != 3 or oshape[-2:] != (64, 64):
        raise ValueError(f"dcgan: only 64x64 output images are supported, got oshape={oshape}")
    if code is None:
        code = _expr.var("data", dtype=dtype, shape=(batch_size, random_len))
    dense = _nn.dense(code, weight=_expr.var("dense_weight"), units=4 * 4 * ngf * 8)
    net = _nn.relu(dense)
    net = _transform.reshape(net, newshape=(-1, ngf * 8, 4, 4))
    net = deconv2d_bn_relu(
        net, ishape=(ngf * 8, 4, 4), oshape=(ngf * 4, 8, 8), kshape=(4, 4), prefix="g2"
    )
    net = deconv2d_bn_relu(
        net, ishape=(ngf * 4, 8, 8), oshape=(ngf * 2, 16, 16), kshape=(4, 4), prefix="g3"
    )
    net = deconv2d_bn_relu(
        net, ishape=(ngf * 2, 16, 16), oshape=(ngf, 32, 32), kshape=(4, 4), prefix="g4"
    )
    net = deconv2d(net, ishape=(ngf, 32, 32), oshape=oshape, kshape=(4, 4), name="g5_deconv")
    net = _tensor.tanh(net)
    return _function.Function(free_vars(net), net)


def get_workload(batch_size, oshape=(3, 64, 64), ngf=128, random_len=100, dtype="float32"):
    """A DCGAN-generator workload: the module and its initialised parameters.

    Parameters
    ----------
    batch_size : int
        The batch size.
    oshape : tuple of int, optional
        The output image, CHW (64x64 only).
    ngf : int, optional
        Feature maps of the generator's last block.
    random_len : int, optional
        Length of the random code.
    dtype : str, optional
        The data type.

    Returns
    -------
    mod : tvm.IRModule
        The module; ``main`` maps ``data`` ``(batch_size, random_len)`` to
        images ``(batch_size,) + oshape``.
    params : dict of str to tvm.runtime.Tensor
        The parameters.
    """
    net = get_net(batch_size, random_len, oshape=oshape, ngf=ngf, dtype=dtype)
    return create_workload(net)
