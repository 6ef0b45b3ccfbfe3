"""Neural-network operators (``relay.nn``)."""
from .nn import *  # noqa: F401,F403
from .nn import __all__  # noqa: F401
