"""Neural-network operators (upstream ``relay.nn``): convolutions, dense layers,
normalisation, activations and shape ops. Pooling constructors are in
:mod:`.pooling`.

Signatures, attribute type keys, field names and defaults follow upstream TVM
0.8; padding is normalised as upstream does (1-d: 2 values, 2-d: 4 values
``(top, left, bottom, right)``, 3-d: 6 values). Registration is in
:mod:`._conv`, :mod:`._conv_transpose` and :mod:`._nn`.
"""
from ...expr import TupleWrapper
from .._util import as_expr, int_or_none_tuple, int_tuple, known_dtype, make_call
from . import _conv, _conv_transpose, _nn  # noqa: F401  (register the ops)

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv1d_transpose", "conv2d_transpose", "conv3d_transpose", "dense", "matmul", "batch_matmul",
    "bias_add", "batch_norm", "layer_norm", "instance_norm", "group_norm", "l2_normalize", "lrn",
    "relu", "leaky_relu", "prelu", "softmax", "fast_softmax", "log_softmax", "dropout",
    "dropout_raw", "batch_flatten", "pad", "mirror_pad", "dilate", "upsampling", "upsampling3d",
    "depth_to_space", "space_to_depth", "space_to_batch_nd", "batch_to_space_nd",
    "contrib_conv2d_nchwc", "contrib_depthwise_conv2d_nchwc",
    "contrib_dense_pack",
]


def get_pad_tuple(padding, ndim, what="padding"):
    """Normalise ``padding`` to ``2 * ndim`` values (all befores, then all afters)."""
    if isinstance(padding, int):
        return (padding,) * (2 * ndim)
    padding = tuple(int(p) for p in padding)
    if len(padding) == 1:
        return padding * (2 * ndim)
    if len(padding) == ndim:
        return padding + padding
    if len(padding) == 2 * ndim:
        return padding
    raise ValueError(f"{what} must have 1, {ndim} or {2 * ndim} values, got {padding}")


def _opt_tuple(value, size, what):
    return None if value is None else int_tuple(value, size, what)


def _make_conv(name, key, data, weight, nd, strides, padding, dilation, groups, channels,
          kernel_size, data_layout, kernel_layout, out_layout, out_dtype, **extra):
    return make_call(
        name, [data, weight], key,
        strides=int_tuple(strides, nd, "strides"),
        padding=get_pad_tuple(padding, nd),
        dilation=int_tuple(dilation, nd, "dilation"),
        groups=int(groups),
        channels=None if channels is None else int(channels),
        kernel_size=_opt_tuple(kernel_size, nd, "kernel_size"),
        data_layout=data_layout, kernel_layout=kernel_layout, out_layout=out_layout,
        out_dtype=out_dtype or "", **extra,
    )


def conv1d(data, weight, strides=1, padding=0, dilation=1, groups=1, channels=None,
           kernel_size=None, data_layout="NCW", kernel_layout="OIW", out_layout="", out_dtype=""):
    """1-d convolution (see :func:`conv2d`; padding has 1 or 2 values)."""
    return _make_conv("nn.conv1d", "relay.attrs.Conv1DAttrs", data, weight, 1, strides, padding,
                 dilation, groups, channels, kernel_size, data_layout, kernel_layout,
                 out_layout, out_dtype)


def conv2d(data, weight, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
           channels=None, kernel_size=None, data_layout="NCHW", kernel_layout="OIHW",
           out_layout="", out_dtype=""):
    """2-d convolution.

    Parameters
    ----------
    data : relay.Expr
        Input in ``data_layout`` (``NCHW`` or ``NHWC``...).
    weight : relay.Expr
        Kernel in ``kernel_layout``; may be an untyped variable, deduced from
        ``channels`` and ``kernel_size``.
    strides, dilation : tuple of int
    padding : int or tuple of int
        1, 2 or 4 values; stored as ``(top, left, bottom, right)``.
    groups : int
        Grouped (``groups == in_channels``: depthwise) convolution.
    channels : int, optional
        Number of output channels.
    kernel_size : tuple of int, optional
    data_layout, kernel_layout, out_layout : str
        ``out_layout=""`` means ``data_layout``.
    out_dtype : str
        ``""`` means the input dtype.

    Returns
    -------
    result : relay.Expr
    """
    return _make_conv("nn.conv2d", "relay.attrs.Conv2DAttrs", data, weight, 2, strides, padding,
                 dilation, groups, channels, kernel_size, data_layout, kernel_layout,
                 out_layout, out_dtype)


def conv3d(data, weight, strides=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1), groups=1,
           channels=None, kernel_size=None, data_layout="NCDHW", kernel_layout="OIDHW",
           out_layout="", out_dtype=""):
    """3-d convolution (see :func:`conv2d`; padding has 1, 3 or 6 values)."""
    return _make_conv("nn.conv3d", "relay.attrs.Conv3DAttrs", data, weight, 3, strides, padding,
                 dilation, groups, channels, kernel_size, data_layout, kernel_layout,
                 out_layout, out_dtype)


def conv2d_transpose(data, weight, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                     channels=None, kernel_size=None, data_layout="NCHW", kernel_layout="IOHW",
                     out_layout="", output_padding=(0, 0), out_dtype=""):
    """2-d transposed convolution.

    As in TVM v0.8.0, the kernel layout's letters are read literally: ``I`` is
    the data's channels, ``O`` the output channels per group; the default
    ``IOHW`` weight is ``(in_channels, channels // groups, kh, kw)``, PyTorch's
    and ONNX's layout. See :func:`conv2d` for the other parameters.

    Parameters
    ----------
    output_padding : tuple of int
        Extra size added to one side of the output.
    """
    return _make_conv("nn.conv2d_transpose", "relay.attrs.Conv2DTransposeAttrs", data, weight, 2,
                 strides, padding, dilation, groups, channels, kernel_size, data_layout,
                 kernel_layout, out_layout, out_dtype,
                 output_padding=int_tuple(output_padding, 2, "output_padding"))


def conv1d_transpose(data, weight, strides=(1,), padding=(0,), dilation=(1,), groups=1,
                     channels=None, kernel_size=None, data_layout="NCW", kernel_layout="OIW",
                     out_layout="", output_padding=(0,), out_dtype=""):
    """1-d transposed convolution (see :func:`conv2d_transpose`)."""
    return _make_conv("nn.conv1d_transpose", "relay.attrs.Conv1DTransposeAttrs", data, weight, 1,
                      strides, padding, dilation, groups, channels, kernel_size, data_layout,
                      kernel_layout, out_layout, out_dtype,
                      output_padding=int_tuple(output_padding, 1, "output_padding"))


def conv3d_transpose(data, weight, strides=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1),
                     groups=1, channels=None, kernel_size=None, data_layout="NCDHW",
                     kernel_layout="OIDHW", out_layout="", output_padding=(0, 0, 0), out_dtype=""):
    """3-d transposed convolution (see :func:`conv2d_transpose`)."""
    return _make_conv("nn.conv3d_transpose", "relay.attrs.Conv3DTransposeAttrs", data, weight, 3,
                      strides, padding, dilation, groups, channels, kernel_size, data_layout,
                      kernel_layout, out_layout, out_dtype,
                      output_padding=int_tuple(output_padding, 3, "output_padding"))


def dense(data, weight, units=None, out_dtype=""):
    """``Y = X W^T``: ``data (..., k)``, ``weight (units, k)``.

    Parameters
    ----------
    data : relay.Expr
    weight : relay.Expr
        May be untyped when ``units`` is given.
    units : int, optional
    out_dtype : str
    """
    return make_call("nn.dense", [data, weight], "relay.attrs.DenseAttrs",
                     units=None if units is None else int(units), out_dtype=out_dtype or "")


def matmul(tensor_a, tensor_b, units=None, out_dtype="", transpose_a=False, transpose_b=False):
    """2-d matrix product with optional transposes (``nn.matmul``)."""
    return make_call("nn.matmul", [tensor_a, tensor_b], "relay.attrs.MatmulAttrs",
                     units=None if units is None else int(units), out_dtype=out_dtype or "",
                     transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))


def batch_matmul(tensor_a, tensor_b, out_dtype="", transpose_a=False, transpose_b=True):
    """Batched matrix product of 3-d tensors (``b`` transposed by default, as upstream).

    Parameters
    ----------
    tensor_a : relay.Expr
        ``(batch, M, K)`` (``(batch, K, M)`` if ``transpose_a``).
    tensor_b : relay.Expr
        ``(batch, N, K)`` if ``transpose_b`` else ``(batch, K, N)``.
    out_dtype : str
    transpose_a, transpose_b : bool
    """
    return make_call("nn.batch_matmul", [tensor_a, tensor_b], "relay.attrs.BatchMatmulAttrs",
                     out_dtype=out_dtype or "", transpose_a=bool(transpose_a),
                     transpose_b=bool(transpose_b))


def bias_add(data, bias, axis=1):
    """Add a 1-d ``bias`` along ``axis`` of ``data``."""
    return make_call("nn.bias_add", [data, bias], "relay.attrs.BiasAddAttrs", axis=int(axis))


def batch_norm(data, gamma, beta, moving_mean, moving_var, axis=1, epsilon=1e-5, center=True,
               scale=True):
    """Batch normalisation (inference form).

    Returns
    -------
    result : relay.TupleWrapper
        ``(normalised data, moving_mean, moving_var)``: take ``[0]``.
    """
    call = make_call("nn.batch_norm", [data, gamma, beta, moving_mean, moving_var],
                     "relay.attrs.BatchNormAttrs", axis=int(axis), epsilon=float(epsilon),
                     center=bool(center), scale=bool(scale))
    return TupleWrapper(call, 3)


def layer_norm(data, gamma, beta, axis=-1, epsilon=1e-5, center=True, scale=True):
    """Layer normalisation over ``axis``; ``gamma``/``beta`` have that axis' size."""
    return make_call("nn.layer_norm", [data, gamma, beta], "relay.attrs.LayerNormAttrs",
                     axis=int(axis), epsilon=float(epsilon), center=bool(center), scale=bool(scale))


def instance_norm(data, gamma, beta, axis=1, epsilon=1e-5, center=True, scale=True):
    """Instance normalisation; ``gamma``/``beta`` have the size of ``axis``."""
    return make_call("nn.instance_norm", [data, gamma, beta], "relay.attrs.InstanceNormAttrs",
                     axis=int(axis), epsilon=float(epsilon), center=bool(center), scale=bool(scale))


def group_norm(data, gamma, beta, num_groups, axis=1, epsilon=1e-5, center=True, scale=True):
    """Group normalisation over ``num_groups`` groups of the channel ``axis``."""
    return make_call("nn.group_norm", [data, gamma, beta], "relay.attrs.GroupNormAttrs",
                     num_groups=int(num_groups), axis=int(axis), epsilon=float(epsilon),
                     center=bool(center), scale=bool(scale))


def l2_normalize(data, eps, axis=None):
    """``data / sqrt(max(sum(data ** 2, axis), eps))``."""
    return make_call("nn.l2_normalize", [data], "relay.attrs.L2NormalizeAttrs",
                     eps=float(eps), axis=int_or_none_tuple(axis))


def lrn(data, size=5, axis=1, bias=2, alpha=0.00001, beta=0.75):
    """Local response normalisation across ``size`` neighbouring channels."""
    return make_call("nn.lrn", [data], "relay.attrs.LRNAttrs", size=int(size), axis=int(axis),
                     bias=float(bias), alpha=float(alpha), beta=float(beta))


def relu(data):
    """``max(data, 0)``."""
    return make_call("nn.relu", [data])


def leaky_relu(data, alpha=0.01):
    """``data`` where positive, ``alpha * data`` elsewhere."""
    return make_call("nn.leaky_relu", [data], "relay.attrs.LeakyReluAttrs", alpha=float(alpha))


def prelu(data, alpha, axis=1):
    """Leaky relu with a learned slope per channel (``alpha`` has the size of ``axis``)."""
    return make_call("nn.prelu", [data, alpha], "relay.attrs.PReluAttrs", axis=int(axis))


def softmax(data, axis=-1):
    """Softmax over ``axis``."""
    return make_call("nn.softmax", [data], "relay.attrs.SoftmaxAttrs", axis=int(axis))


def fast_softmax(data, axis=-1):
    """Softmax with a fast approximate exponential."""
    return make_call("nn.fast_softmax", [data], "relay.attrs.SoftmaxAttrs", axis=int(axis))


def log_softmax(data, axis=-1):
    """Log-softmax over ``axis``."""
    return make_call("nn.log_softmax", [data], "relay.attrs.SoftmaxAttrs", axis=int(axis))


def dropout_raw(data, rate=0.5):
    """The dropout call itself: a tuple ``(result, mask)``."""
    return make_call("nn.dropout", [data], "relay.attrs.DropoutAttrs", rate=float(rate))


def dropout(data, rate=0.5):
    """Dropout (identity at inference); the result field of :func:`dropout_raw`, as upstream."""
    return TupleWrapper(dropout_raw(data, rate), 2)[0]


def batch_flatten(data):
    """Flatten all axes but the first: ``(n, a, b, ...) -> (n, a*b*...)``."""
    return make_call("nn.batch_flatten", [data])


def pad(data, pad_width, pad_value=0, pad_mode="constant"):
    """Pad ``data``.

    Parameters
    ----------
    data : relay.Expr
    pad_width : tuple of (int, int)
        ``(before, after)`` per axis.
    pad_value : float or relay.Expr
        A scalar (for ``pad_mode="constant"``).
    pad_mode : str
        ``"constant"``, ``"edge"`` or ``"reflect"``.
    """
    from ..dyn.nn import _make as _dyn_nn  # pylint: disable=import-outside-toplevel
    from ..dyn._make import is_dynamic  # pylint: disable=import-outside-toplevel

    if is_dynamic(pad_width):  # 0.8: run-time widths give dyn.nn.pad
        return _dyn_nn.pad(data, pad_width, pad_value, pad_mode)
    if hasattr(pad_width, "numpy"):  # a relay constant
        pad_width = pad_width.numpy().tolist()
    pad_width = tuple((int(b), int(a)) for b, a in pad_width)
    return make_call("nn.pad", [data, as_expr(pad_value, known_dtype(data))],
                     "relay.attrs.PadAttrs", pad_width=pad_width, pad_mode=pad_mode)


def _static_scale(scale, op_name):
    """A static scale factor as a Python number: 0.8 read a relay constant's value (any
    other expression gives the dynamic op, ``dyn.nn.*``, dispatched before this)."""
    from ...expr import Constant, RelayExpr  # pylint: disable=import-outside-toplevel

    if isinstance(scale, Constant):
        return scale.data.numpy().item()
    if isinstance(scale, RelayExpr):
        raise TypeError(f"{op_name}: a scale given as a non-constant relay expression (the "
                        "dynamic form of the op) is not supported; pass a number or a relay "
                        "constant")
    return scale


def upsampling(data, scale_h=1, scale_w=1, layout="NCHW", method="nearest_neighbor",
               align_corners=False):
    """Upsample the spatial axes by ``scale_h`` / ``scale_w`` (numbers or relay constants).

    ``layout`` may be packed (``NCHW16c``): only the ``H`` and ``W`` axes are scaled."""
    from ..dyn._make import any_dynamic  # pylint: disable=import-outside-toplevel

    if any_dynamic(scale_h, scale_w):  # 0.8: run-time scales give dyn.nn.upsampling
        from ..dyn.nn._make import upsampling as dyn_upsampling  # pylint: disable=import-outside-toplevel

        return dyn_upsampling(data, scale_h, scale_w, layout, method, align_corners)
    scale_h = _static_scale(scale_h, "nn.upsampling")
    scale_w = _static_scale(scale_w, "nn.upsampling")
    return make_call("nn.upsampling", [data], "relay.attrs.UpSamplingAttrs",
                     scale_h=scale_h, scale_w=scale_w, layout=layout, method=method,
                     align_corners=bool(align_corners))


def upsampling3d(data, scale_d=1, scale_h=1, scale_w=1, layout="NCDHW",
                 method="nearest_neighbor", coordinate_transformation_mode="half_pixel"):
    """Upsample the three spatial axes (scales: numbers or relay constants)."""
    from ..dyn._make import any_dynamic  # pylint: disable=import-outside-toplevel

    if any_dynamic(scale_d, scale_h, scale_w):  # 0.8: run-time scales give dyn.nn.upsampling3d
        from ..dyn.nn._make import upsampling3d as dyn_upsampling3d  # pylint: disable=import-outside-toplevel

        return dyn_upsampling3d(data, scale_d, scale_h, scale_w, layout, method,
                                coordinate_transformation_mode)
    scale_d, scale_h, scale_w = (_static_scale(scale, "nn.upsampling3d")
                                 for scale in (scale_d, scale_h, scale_w))
    return make_call("nn.upsampling3d", [data], "relay.attrs.UpSampling3DAttrs",
                     scale_d=scale_d, scale_h=scale_h, scale_w=scale_w, layout=layout,
                     method=method, coordinate_transformation_mode=coordinate_transformation_mode)


def dilate(data, strides, dilation_value=0.0):
    """Insert ``stride - 1`` elements of ``dilation_value`` between neighbours on each axis.

    Parameters
    ----------
    data : relay.Expr
    strides : tuple of int
        One per axis (1: unchanged).
    dilation_value : float
    """
    return make_call("nn.dilate", [data], "relay.attrs.DilateAttrs",
                     strides=tuple(int(s) for s in strides), dilation_value=float(dilation_value))


def mirror_pad(data, pad_width, mode="SYMMETRIC"):
    """Pad by mirroring the border (``"SYMMETRIC"`` or ``"REFLECT"``)."""
    pad_width = tuple((int(b), int(a)) for b, a in pad_width)
    return make_call("nn.mirror_pad", [data], "relay.attrs.MirrorPadAttrs", mode=mode,
                     pad_width=pad_width)


def depth_to_space(data, block_size, layout="NCHW", mode="DCR"):
    """Move channel blocks into ``block_size x block_size`` spatial tiles."""
    return make_call("nn.depth_to_space", [data], "relay.attrs.SubPixelAttrs",
                     block_size=int(block_size), layout=layout, mode=mode)


def space_to_depth(data, block_size, layout="NCHW"):
    """Move ``block_size x block_size`` spatial tiles into channels."""
    return make_call("nn.space_to_depth", [data], "relay.attrs.SubPixelAttrs",
                     block_size=int(block_size), layout=layout, mode="DCR")


def space_to_batch_nd(data, block_shape, paddings, pad_value=0):
    """TensorFlow's ``space_to_batch_nd``: pad the spatial axes (the ``len(block_shape)``
    axes after the batch axis) by ``paddings`` (one ``(before, after)`` pair each)
    with ``pad_value``, cut each into blocks of ``block_shape`` and move the
    offsets within a block to the batch axis."""
    block_shape = tuple(int(b) for b in block_shape)
    paddings = tuple((int(p[0]), int(p[1])) for p in paddings)
    return make_call("nn.space_to_batch_nd", [data], "relay.attrs.SpaceToBatchNDAttrs",
                     block_shape=block_shape, paddings=paddings, pad_value=float(pad_value))


def batch_to_space_nd(data, block_shape, crops):
    """TensorFlow's ``batch_to_space_nd``, the inverse of :func:`space_to_batch_nd`:
    move batch blocks back into the spatial axes, then crop each spatial axis by
    its ``(begin, end)`` pair of ``crops``."""
    block_shape = tuple(int(b) for b in block_shape)
    crops = tuple((int(c[0]), int(c[1])) for c in crops)
    return make_call("nn.batch_to_space_nd", [data], "relay.attrs.BatchToSpaceNDAttrs",
                     block_shape=block_shape, crops=crops)


def contrib_conv2d_nchwc(data, kernel, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                         channels=None, kernel_size=None, data_layout="NCHW8c",
                         kernel_layout="OIHW", out_layout="", out_dtype=""):
    """2-d convolution in a packed layout (``NCHW{c}c`` data, ``OIHW{i}i{o}o`` kernel).

    See :func:`conv2d` for the parameters.
    """
    return _make_conv("nn.contrib_conv2d_NCHWc", "relay.attrs.Conv2DAttrs", data, kernel, 2,
                      strides, padding, dilation, groups, channels, kernel_size, data_layout,
                      kernel_layout, out_layout, out_dtype)


def contrib_depthwise_conv2d_nchwc(data, kernel, strides=(1, 1), padding=(0, 0), dilation=(1, 1),
                                   groups=1, channels=None, kernel_size=None,
                                   data_layout="NCHW8c", kernel_layout="OIHW", out_layout="",
                                   out_dtype=""):
    """Depthwise 2-d convolution in a packed layout (kernel ``OIHW1i{o}o``)."""
    return _make_conv("nn.contrib_depthwise_conv2d_NCHWc", "relay.attrs.Conv2DAttrs", data, kernel,
                      2, strides, padding, dilation, groups, channels, kernel_size, data_layout,
                      kernel_layout, out_layout, out_dtype)


def contrib_dense_pack(data, weight, weight_layout="NC", units=None, out_dtype=""):
    """Dense with a packed weight ``(units // n, in_dim, n)`` (``weight_layout="NC{n}n"``)."""
    return make_call("nn.contrib_dense_pack", [data, weight], "relay.attrs.DensePackAttrs",
                     units=None if units is None else int(units), out_dtype=out_dtype or "",
                     weight_layout=weight_layout)
