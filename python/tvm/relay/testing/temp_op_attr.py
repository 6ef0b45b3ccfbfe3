"""Temporarily replace a registry attribute of an operator (for tests)."""
from ..op import op as _op


class TempOpAttr:
    """Set ``attr_key`` of operator ``op_name`` to ``attr_value`` inside a ``with`` block.

    On exit the previous value (with its level) is restored, or the attribute
    removed if it had none.

    Parameters
    ----------
    op_name : str
        The operator, e.g. ``"nn.conv2d"``.
    attr_key : str
        The registry attribute, e.g. ``"FTVMAlterOpLayout"``.
    attr_value : object
        The temporary value.

    Examples
    --------
    .. code-block:: python

        with TempOpAttr("nn.conv2d", "FTVMAlterOpLayout", alter_conv2d):
            mod = relay.transform.AlterOpLayout()(mod)
    """

    def __init__(self, op_name, attr_key, attr_value):
        self.op = _op.get(op_name)
        self.attr_key = attr_key
        self.attr_value = attr_value
        self._saved = None

    def __enter__(self):
        # The registry keeps (level, value); save both so the exact entry returns.
        self._saved = self.op._attr_map.get(self.attr_key)  # pylint: disable=protected-access
        self.op.reset_attr(self.attr_key)
        self.op.set_attr(self.attr_key, self.attr_value)
        return self

    def __exit__(self, ptype, value, trace):
        self.op.reset_attr(self.attr_key)
        if self._saved is not None:
            level, old_value = self._saved
            self.op.set_attr(self.attr_key, old_value, level)
