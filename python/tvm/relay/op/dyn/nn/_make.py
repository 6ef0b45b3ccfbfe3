"""Builders of ``dyn.nn.pad`` / ``dyn.nn.upsampling`` / ``dyn.nn.upsampling3d``
(0.8's ``relay.op.dyn.nn._make``)."""
from ..._util import known_dtype, make_call
from .._make import as_tensor


def pad(data, pad_width, pad_value=0.0, pad_mode="constant"):
    """``dyn.nn.pad``: ``pad_width`` is a ``(ndim, 2)`` integer tensor, ``pad_value`` a scalar."""
    pad_value = as_tensor(pad_value, known_dtype(data))  # a number takes the data's dtype
    return make_call("dyn.nn.pad", [data, as_tensor(pad_width), pad_value],
                     "relay.attrs.PadAttrs", pad_mode=pad_mode)


def upsampling(data, scale_h, scale_w, layout="NCHW", method="nearest_neighbor",
               align_corners=False):
    """``dyn.nn.upsampling``: the scales are scalar tensors (numbers become float64
    constants, as 0.8)."""
    return make_call("dyn.nn.upsampling", [data, as_tensor(scale_h, "float64"),
                                           as_tensor(scale_w, "float64")],
                     "relay.attrs.UpSamplingAttrs", layout=layout,
                     method=method, align_corners=bool(align_corners))


def upsampling3d(data, scale_d, scale_h, scale_w, layout="NCDHW", method="nearest_neighbor",
                 coordinate_transformation_mode="half_pixel"):
    """``dyn.nn.upsampling3d``: the scales are scalar tensors."""
    scales = [as_tensor(s, "float64") for s in (scale_d, scale_h, scale_w)]
    return make_call("dyn.nn.upsampling3d", [data] + scales, "relay.attrs.UpSampling3DAttrs",
                     layout=layout, method=method,
                     coordinate_transformation_mode=coordinate_transformation_mode)
