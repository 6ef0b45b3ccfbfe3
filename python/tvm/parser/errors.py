"""The parser's error (kept apart so that importing :mod:`tvm.parser` does not import Relay)."""
import tvm.error


class ParseError(tvm.error.DiagnosticError, ValueError):
    """The text is not valid Relay text; the message gives line and column.

    A ``tvm.error.DiagnosticError`` as 0.8's parser raised, and a ``ValueError``.
    """
