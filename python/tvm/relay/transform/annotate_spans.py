"""``AnnotateSpans``: re-read a module from its own Relay text (0.8's pass).

Upstream prints the module and parses the text back, so that every node gets
a source span pointing into that text (error messages then quote it). The
fork's Relay nodes carry no spans, so the pass does the round trip and nothing
more: the result is a structurally equal module of fresh nodes, every Relay
function of it read from text. Non-Relay functions (lowered ``PrimFunc`` s)
are kept as they are.
"""
import tvm

from ..function import Function
from .pass_infra import Pass, PassInfo


def _reparse(mod, ctx):  # pylint: disable=unused-argument
    from tvm import parser  # pylint: disable=import-outside-toplevel

    relay_only = tvm.IRModule()
    for gvar, func in mod.functions_items():
        if isinstance(func, Function):
            relay_only[gvar] = func
    parsed = parser.parse(relay_only.astext(show_meta_data=True), "AnnotateSpans")
    result = mod.copy()
    for gvar, func in parsed.functions_items():
        result[gvar] = func
    return result


def AnnotateSpans():  # pylint: disable=invalid-name
    """A module pass (``opt_level`` 0) that re-reads the module from its text.

    Returns
    -------
    Pass
    """
    return Pass(PassInfo(0, "AnnotateSpans", []), _reparse)
