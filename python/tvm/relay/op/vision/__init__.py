"""Vision operators (``relay.vision``)."""
from .vision import *  # noqa: F401,F403
from .vision import __all__  # noqa: F401
