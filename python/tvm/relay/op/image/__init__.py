"""Image operators (``relay.image``)."""
from .image import *  # noqa: F401,F403
from .image import __all__ as _image_all
from ._crop_dilate import crop_and_resize, dilation2d  # noqa: F401

__all__ = list(_image_all) + ["crop_and_resize", "dilation2d"]
