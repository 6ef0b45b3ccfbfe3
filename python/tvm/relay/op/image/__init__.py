"""Image operators (``relay.image``)."""
from .image import *  # noqa: F401,F403
from .image import __all__  # noqa: F401
