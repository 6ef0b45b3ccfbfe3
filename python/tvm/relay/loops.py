"""Loops as recursive let-bound functions (0.8's ``relay.loops``)."""
from .expr import If, Let, Tuple, Var, var
from .function import Function

__all__ = ["while_loop"]


def while_loop(cond, loop_vars, loop_bodies):
    """A while loop: ``loop(*loop_vars)`` where ``loop`` runs while ``cond`` holds.

    Parameters
    ----------
    cond : callable
        ``cond(*vars)`` gives a bool scalar expression.
    loop_vars : list of relay.Expr
        The initial values; each loop variable takes the inferred type of its
        initial value (its name when the value is a variable).
    loop_bodies : callable
        ``loop_bodies(*vars)`` gives the next values (a sequence of expressions).

    Returns
    -------
    loop : relay.Expr
        ``let %while_loop = fn (vars...) { if (cond) { %while_loop(next...) }
        else { (vars...) } }; %while_loop``: a function that returns the final
        values as a tuple. Call it with the initial values.
    """
    from .transform.type_infer import infer_type  # pylint: disable=import-outside-toplevel

    loop = Var("while_loop")
    fresh = []
    for i, loop_var in enumerate(loop_vars):
        name = loop_var.name_hint if isinstance(loop_var, Var) else f"arg{i}"
        fresh.append(var(name, type_annotation=infer_type(loop_var)))
    body = If(cond(*fresh), loop(*loop_bodies(*fresh)), Tuple(fresh))
    return Let(loop, Function(fresh, body), loop)
