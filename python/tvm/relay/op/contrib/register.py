"""Pattern tables of the external code generators (0.8's ``relay.op.contrib.register``)."""

_PATTERN_TABLES = {}


def register_pattern_table(compiler, table=None):
    """Register the pattern table of the external code generator ``compiler``.

    Parameters
    ----------
    compiler : str
        The code generator's name.
    table : callable, optional
        ``table() -> [(name, pattern[, check]), ...]``, the composite operators
        of ``compiler`` for ``relay.transform.MergeComposite``. It is called
        once, at registration. Without it, a decorator is returned.

    Returns
    -------
    fregister : callable
        ``table`` itself, or the decorator.
    """

    def _register(make_table):
        _PATTERN_TABLES[compiler] = make_table()
        return make_table

    return _register(table) if table is not None else _register


def get_pattern_table(compiler):
    """The pattern table registered for ``compiler``, or ``None``."""
    return _PATTERN_TABLES.get(compiler)
