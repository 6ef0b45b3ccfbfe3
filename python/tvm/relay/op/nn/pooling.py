"""Pooling operators (upstream ``relay.nn`` pooling constructors).

Registration (type relations and computes) is in :mod:`._pool`.
"""
from .._util import int_tuple, make_call
from .nn import get_pad_tuple
from . import _pool  # noqa: F401  (registers the ops)

__all__ = [
    "max_pool1d", "avg_pool1d", "max_pool2d", "avg_pool2d", "max_pool3d", "avg_pool3d",
    "global_avg_pool1d", "global_max_pool1d", "global_avg_pool2d", "global_max_pool2d",
    "global_avg_pool3d", "global_max_pool3d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
]


def _pool(name, key, nd, data, pool_size, strides, dilation, padding, layout, out_layout,
          ceil_mode, **extra):
    return make_call(
        name, [data], key,
        pool_size=int_tuple(pool_size, nd, "pool_size"),
        strides=int_tuple(strides, nd, "strides"),
        dilation=int_tuple(dilation, nd, "dilation"),
        padding=get_pad_tuple(padding, nd),
        layout=layout, out_layout=out_layout, ceil_mode=bool(ceil_mode), **extra,
    )


def max_pool1d(data, pool_size=(1,), strides=(1,), dilation=(1,), padding=(0,), layout="NCW",
               out_layout="", ceil_mode=False):
    """1-d max pooling (see :func:`max_pool2d`)."""
    return _pool("nn.max_pool1d", "relay.attrs.MaxPool1DAttrs", 1, data, pool_size, strides,
                 dilation, padding, layout, out_layout, ceil_mode)


def avg_pool1d(data, pool_size=(1,), strides=(1,), dilation=(1,), padding=(0,), layout="NCW",
               out_layout="", ceil_mode=False, count_include_pad=False):
    """1-d average pooling (see :func:`avg_pool2d`)."""
    return _pool("nn.avg_pool1d", "relay.attrs.AvgPool1DAttrs", 1, data, pool_size, strides,
                 dilation, padding, layout, out_layout, ceil_mode,
                 count_include_pad=bool(count_include_pad))


def max_pool2d(data, pool_size=(1, 1), strides=(1, 1), dilation=(1, 1), padding=(0, 0),
               layout="NCHW", out_layout="", ceil_mode=False):
    """2-d max pooling.

    Parameters
    ----------
    data : relay.Expr
    pool_size, strides, dilation : int or tuple of int
    padding : int or tuple of int
        1, 2 or 4 values; stored as 4.
    layout, out_layout : str
    ceil_mode : bool
        Round the output size up.
    """
    return _pool("nn.max_pool2d", "relay.attrs.MaxPool2DAttrs", 2, data, pool_size, strides,
                 dilation, padding, layout, out_layout, ceil_mode)


def avg_pool2d(data, pool_size=(1, 1), strides=(1, 1), dilation=(1, 1), padding=(0, 0),
               layout="NCHW", out_layout="", ceil_mode=False, count_include_pad=False):
    """2-d average pooling (see :func:`max_pool2d`).

    Parameters
    ----------
    count_include_pad : bool
        Count padded elements in the divisor.
    """
    return _pool("nn.avg_pool2d", "relay.attrs.AvgPool2DAttrs", 2, data, pool_size, strides,
                 dilation, padding, layout, out_layout, ceil_mode,
                 count_include_pad=bool(count_include_pad))


def max_pool3d(data, pool_size=(1, 1, 1), strides=(1, 1, 1), dilation=(1, 1, 1),
               padding=(0, 0, 0), layout="NCDHW", out_layout="", ceil_mode=False):
    """3-d max pooling (padding: 1, 3 or 6 values)."""
    return _pool("nn.max_pool3d", "relay.attrs.MaxPool3DAttrs", 3, data, pool_size, strides,
                 dilation, padding, layout, out_layout, ceil_mode)


def avg_pool3d(data, pool_size=(1, 1, 1), strides=(1, 1, 1), dilation=(1, 1, 1),
               padding=(0, 0, 0), layout="NCDHW", out_layout="", ceil_mode=False,
               count_include_pad=False):
    """3-d average pooling (padding: 1, 3 or 6 values)."""
    return _pool("nn.avg_pool3d", "relay.attrs.AvgPool3DAttrs", 3, data, pool_size, strides,
                 dilation, padding, layout, out_layout, ceil_mode,
                 count_include_pad=bool(count_include_pad))


def global_avg_pool2d(data, layout="NCHW", out_layout=""):
    """Average over the whole spatial extent (output H = W = 1)."""
    return make_call("nn.global_avg_pool2d", [data], "relay.attrs.GlobalPool2DAttrs",
                     layout=layout, out_layout=out_layout)


def global_max_pool2d(data, layout="NCHW", out_layout=""):
    """Maximum over the whole spatial extent (output H = W = 1)."""
    return make_call("nn.global_max_pool2d", [data], "relay.attrs.GlobalPool2DAttrs",
                     layout=layout, out_layout=out_layout)


def _adaptive(name, key, nd, data, output_size, layout, out_layout):
    if output_size is None:
        output_size = ()
    elif isinstance(output_size, int):
        output_size = (output_size,) * nd
    else:
        output_size = tuple(output_size)
        if len(output_size) == 1:
            output_size = output_size * nd
    return make_call(name, [data], key, output_size=output_size, layout=layout,
                     out_layout=out_layout)


def adaptive_avg_pool2d(data, output_size=None, layout="NCHW", out_layout=""):
    """Average pooling to a fixed ``output_size`` (None: the input size)."""
    return _adaptive("nn.adaptive_avg_pool2d", "relay.attrs.AdaptivePool2DAttrs", 2, data,
                     output_size, layout, out_layout)


def adaptive_max_pool2d(data, output_size=None, layout="NCHW", out_layout=""):
    """Max pooling to a fixed ``output_size`` (None: the input size)."""
    return _adaptive("nn.adaptive_max_pool2d", "relay.attrs.AdaptivePool2DAttrs", 2, data,
                     output_size, layout, out_layout)


def adaptive_avg_pool3d(data, output_size=None, layout="NCDHW", out_layout=""):
    """3-d average pooling to a fixed ``output_size``."""
    return _adaptive("nn.adaptive_avg_pool3d", "relay.attrs.AdaptivePool3DAttrs", 3, data,
                     output_size, layout, out_layout)


def adaptive_max_pool3d(data, output_size=None, layout="NCDHW", out_layout=""):
    """3-d max pooling to a fixed ``output_size``."""
    return _adaptive("nn.adaptive_max_pool3d", "relay.attrs.AdaptivePool3DAttrs", 3, data,
                     output_size, layout, out_layout)


def global_avg_pool3d(data, layout="NCDHW", out_layout=""):
    """3-d global average pooling (adaptive pooling to ``(1, 1, 1)``, as upstream)."""
    return adaptive_avg_pool3d(data, (1, 1, 1), layout, out_layout)


def global_max_pool3d(data, layout="NCDHW", out_layout=""):
    """3-d global max pooling (adaptive pooling to ``(1, 1, 1)``, as upstream)."""
    return adaptive_max_pool3d(data, (1, 1, 1), layout, out_layout)


def adaptive_avg_pool1d(data, output_size=None, layout="NCW", out_layout=""):
    """1-d average pooling to a fixed ``output_size``."""
    return _adaptive("nn.adaptive_avg_pool1d", "relay.attrs.AdaptivePool1DAttrs", 1, data,
                     output_size, layout, out_layout)


def adaptive_max_pool1d(data, output_size=None, layout="NCW", out_layout=""):
    """1-d max pooling to a fixed ``output_size``."""
    return _adaptive("nn.adaptive_max_pool1d", "relay.attrs.AdaptivePool1DAttrs", 1, data,
                     output_size, layout, out_layout)


def global_avg_pool1d(data, layout="NCW", out_layout=""):
    """1-d global average pooling (adaptive pooling to ``(1,)``, as upstream)."""
    return adaptive_avg_pool1d(data, (1,), layout, out_layout)


def global_max_pool1d(data, layout="NCW", out_layout=""):
    """1-d global max pooling (adaptive pooling to ``(1,)``, as upstream)."""
    return adaptive_max_pool1d(data, (1,), layout, out_layout)
