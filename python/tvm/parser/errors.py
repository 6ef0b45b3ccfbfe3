"""The parser's error (kept apart so that importing :mod:`tvm.parser` does not import Relay)."""


class ParseError(ValueError):
    """The text is not valid Relay text; the message gives line and column."""
