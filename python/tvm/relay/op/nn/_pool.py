"""Pooling: type relations and TOPI computes (window, global and adaptive pools).

Layouts may carry split channel axes (``NCHW16c``); the spatial axes are found
by letter (``D``, ``H``, ``W``).
"""
from tvm import topi

from ...ty import TensorType
from .._util import define
from ..op import OpPattern
from ..type_relations import RelationError, dim_conv_out, is_any, parse_layout, shape_str, tensor_arg

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _spatial_positions(layout, data, nd):
    axes = parse_layout(layout)
    if len(axes) != len(data.shape):
        raise RelationError(
            f"layout {layout!r} does not match the rank of data "
            f"{shape_str(data.shape)}"
        )
    letters = [letter for letter, _ in axes]
    positions = []
    for axis in _SPATIAL[nd]:
        if axis not in letters:
            raise RelationError(f"layout {layout!r} has no spatial axis {axis!r}")
        positions.append(letters.index(axis))
    return positions


def _out_type(data, attrs, shape):
    out_layout = getattr(attrs, "out_layout", "") or attrs.layout
    if out_layout != attrs.layout:
        from .._transform import _layout_transform_rel  # pylint: disable=import-outside-toplevel
        from ...attrs import Attrs  # pylint: disable=import-outside-toplevel

        return _layout_transform_rel(
            [TensorType(shape, data.dtype)],
            Attrs("relay.attrs.LayoutTransformAttrs", {"src_layout": attrs.layout, "dst_layout": out_layout}),
        )
    return TensorType(shape, data.dtype)


def _pool_rel(nd):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        positions = _spatial_positions(attrs.layout, data, nd)
        shape = list(data.shape)
        for i, pos in enumerate(positions):
            shape[pos] = dim_conv_out(
                data.shape[pos], attrs.pool_size[i], attrs.strides[i], attrs.padding[i],
                attrs.padding[i + nd], attrs.dilation[i], attrs.ceil_mode,
            )
            if not is_any(shape[pos]) and shape[pos] <= 0:
                raise RelationError(
                    f"pool_size {tuple(attrs.pool_size)} does not fit data {shape_str(data.shape)} "
                    f"padded by {tuple(attrs.padding)}"
                )
        return _out_type(data, attrs, shape)

    return rel


def _global_rel(nd):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        shape = list(data.shape)
        for pos in _spatial_positions(attrs.layout, data, nd):
            shape[pos] = 1
        return _out_type(data, attrs, shape)

    return rel


def _adaptive_rel(nd):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        shape = list(data.shape)
        if attrs.output_size:
            if len(attrs.output_size) != nd:
                raise RelationError(f"output_size {tuple(attrs.output_size)} must have {nd} values")
            for size, pos in zip(attrs.output_size, _spatial_positions(attrs.layout, data, nd)):
                shape[pos] = shape[pos] if size is None else size
        return _out_type(data, attrs, shape)

    return rel


def _finish(out, attrs):
    out_layout = getattr(attrs, "out_layout", "") or attrs.layout
    if out_layout != attrs.layout:
        out = topi.layout_transform(out, attrs.layout, out_layout)
    return [out]


def _pool_compute(nd, pool_type):
    fn = {1: topi.nn.pool1d, 2: topi.nn.pool2d, 3: topi.nn.pool3d}[nd]

    def compute(attrs, inputs, out_type):
        out = fn(inputs[0], list(attrs.pool_size), list(attrs.strides), list(attrs.dilation),
                 list(attrs.padding), pool_type, attrs.ceil_mode, attrs.layout,
                 attrs.get("count_include_pad", True))
        return _finish(out, attrs)

    return compute


def _global_compute(pool_type):
    return lambda attrs, inputs, out_type: _finish(
        topi.nn.global_pool(inputs[0], pool_type, attrs.layout), attrs)


def _adaptive_compute(nd, pool_type):
    fn = {1: topi.nn.adaptive_pool1d, 2: topi.nn.adaptive_pool, 3: topi.nn.adaptive_pool3d}[nd]

    def compute(attrs, inputs, out_type):
        data = inputs[0]
        size = attrs.output_size
        if not size:
            size = [data.shape[attrs.layout.index(a)] for a in _SPATIAL[nd]]
        return _finish(fn(data, list(size), pool_type, attrs.layout), attrs)

    return compute


_FUSABLE = OpPattern.OUT_ELEMWISE_FUSABLE
for _nd in (1, 2, 3):
    define(f"nn.max_pool{_nd}d", _pool_rel(_nd), _FUSABLE, _pool_compute(_nd, "max"), 1,
           f"relay.attrs.MaxPool{_nd}DAttrs")
    define(f"nn.avg_pool{_nd}d", _pool_rel(_nd), _FUSABLE, _pool_compute(_nd, "avg"), 1,
           f"relay.attrs.AvgPool{_nd}DAttrs")
define("nn.global_avg_pool2d", _global_rel(2), _FUSABLE, _global_compute("avg"), 1,
       "relay.attrs.GlobalPool2DAttrs")
define("nn.global_max_pool2d", _global_rel(2), _FUSABLE, _global_compute("max"), 1,
       "relay.attrs.GlobalPool2DAttrs")
for _nd in (1, 2, 3):
    define(f"nn.adaptive_avg_pool{_nd}d", _adaptive_rel(_nd), _FUSABLE, _adaptive_compute(_nd, "avg"),
           1, f"relay.attrs.AdaptivePool{_nd}DAttrs")
    define(f"nn.adaptive_max_pool{_nd}d", _adaptive_rel(_nd), _FUSABLE, _adaptive_compute(_nd, "max"),
           1, f"relay.attrs.AdaptivePool{_nd}DAttrs")
