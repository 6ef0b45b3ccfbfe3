"""``tvm.parser``: read the Relay text format (TVM 0.8's ``tvm.parser``).

``parse`` / ``fromtext`` read a module (``def @main(...) {...}``, optionally
headed by ``#[version = "0.0.5"]`` and followed by a ``#[metadata]`` section);
``parse_expr`` reads one expression. The text is what ``mod.astext()`` /
``expr.astext()`` print (see :mod:`tvm.relay.printer`).
"""
from .errors import ParseError

# Relay is imported on first use (tvm.relay itself imports this package for
# relay.fromtext).


def parse(source, source_name="from_string", init_module=None, init_meta_table=None):
    """Parse Relay text into an ``IRModule``.

    Parameters
    ----------
    source : str
        The text.
    source_name : str
        A name for the text in error messages.
    init_module : IRModule, optional
        Add the parsed functions to this module instead of a new one.
    init_meta_table : dict, optional
        ``{"relay.Constant": [constants]}`` for ``meta[relay.Constant][i]``
        references when the text has no ``#[metadata]`` section of its own.

    Returns
    -------
    mod : tvm.IRModule
        Type-inferred, as 0.8's parser returned it (its functions'
        ``checked_type`` are set; ill-typed text raises the type error).
    """
    from tvm.relay.transform import InferType  # pylint: disable=import-outside-toplevel

    from .relay_text import parse_module  # pylint: disable=import-outside-toplevel

    return InferType()(parse_module(source, source_name, init_module, init_meta_table))


def parse_expr(source):
    """Parse the text of one Relay expression (free variables declared with
    ``free_var %x: type;``)."""
    from .relay_text import parse_expression  # pylint: disable=import-outside-toplevel

    return parse_expression(source)


def fromtext(source, source_name="from_string"):
    """Parse Relay text into an ``IRModule`` (0.8's older name of :func:`parse`)."""
    return parse(source, source_name)


def SpanCheck():  # pylint: disable=invalid-name
    """A debugging pass reporting expressions without span information (0.8's
    ``tvm.parser.SpanCheck``): it leaves the module as it is and logs, per
    function, how many calls, variables and constants have no ``span``.

    Returns
    -------
    tvm.transform.Pass
    """
    import logging  # pylint: disable=import-outside-toplevel

    from tvm.relay.expr import Call, Constant, Var  # pylint: disable=import-outside-toplevel
    from tvm.relay.function import Function  # pylint: disable=import-outside-toplevel
    from tvm.relay.transform._utils import post_order  # pylint: disable=import-outside-toplevel
    from tvm.relay.transform.pass_infra import Pass, PassInfo  # pylint: disable=import-outside-toplevel

    logger = logging.getLogger("tvm.parser")

    def check(mod, _ctx):
        for gvar, func in mod.functions_items():
            if not isinstance(func, Function):
                continue
            missing = sum(1 for node in post_order(func.body)
                          if isinstance(node, Call | Var | Constant) and node.span is None)
            if missing:
                logger.warning("SpanCheck: %d expressions of @%s have no span",
                               missing, gvar.name_hint)
        return mod

    return Pass(PassInfo(0, "SpanCheck", []), check)


__all__ = ["parse", "parse_expr", "fromtext", "ParseError", "SpanCheck"]
