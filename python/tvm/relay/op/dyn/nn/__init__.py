"""Dynamic neural-network operators (0.8's ``relay.op.dyn.nn``)."""
from . import _make  # noqa: F401
