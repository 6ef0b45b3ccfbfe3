"""Builder of ``dyn.image.resize2d`` (0.8's ``relay.op.dyn.image._make``)."""
from ..._util import make_call
from .. import _ops  # noqa: F401  (declares the ops)


def resize2d(data, size, roi=None, layout="NCHW", method="linear",
             coordinate_transformation_mode="half_pixel", rounding_method="", cubic_alpha=-0.5,
             cubic_exclude=0, extrapolation_value=0.0, out_dtype=None):
    """``dyn.image.resize2d``: ``size`` is a 1-d tensor ``(height, width)``."""
    roi = (0.0,) * 4 if roi is None else tuple(float(r) for r in roi)
    return make_call(
        "dyn.image.resize2d", [data, size], "relay.attrs.Resize2DAttrs",
        roi=roi, layout=layout, method=method,
        coordinate_transformation_mode=coordinate_transformation_mode,
        rounding_method=rounding_method, cubic_alpha=float(cubic_alpha),
        cubic_exclude=int(cubic_exclude), extrapolation_value=float(extrapolation_value),
        out_dtype=out_dtype or "",
    )
