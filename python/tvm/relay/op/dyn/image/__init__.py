"""Dynamic image operators (0.8's ``relay.op.dyn.image``)."""
from . import _make  # noqa: F401
