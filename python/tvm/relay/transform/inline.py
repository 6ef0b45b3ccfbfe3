"""Inline: substitute global functions marked ``"Inline"`` into their callers (0.8's pass).

Rules (0.8's, on the module's call graph):

* a global is inlined only if its function has a nonzero ``"Inline"``
  attribute, is not recursive, and everything it uses is itself inlinable
  (so leaves go first and a chain of inline functions collapses);
* a call ``@g(a, b)`` becomes ``g``'s body with its parameters replaced by the
  arguments; when ``g`` has a ``"Compiler"`` attribute (an external codegen
  needs it as a function) the call becomes a call of the function literal
  instead; a bare use of ``@g`` (passed as a value) becomes the function
  literal;
* callers are processed callees first (reverse topological order), so the
  inlined bodies are already inlined themselves;
* afterwards, every inline-marked function that is no longer used is removed,
  except entry functions (nothing called them to begin with) and recursive
  ones.

Inlining keeps the program's values: Relay expressions have no effects here,
so evaluating a body in place of a call computes the same result.
"""
from ..analysis import _nodes
from ..analysis.call_graph import CallGraph
from ..expr import Call, GlobalVar
from ..function import Function
from .pass_infra import Pass, PassInfo


def _nonzero(value):
    if value is None:
        return False
    if hasattr(value, "value"):
        value = value.value
    try:
        return bool(int(value))
    except (TypeError, ValueError):
        return bool(value)


class _Inliner(_nodes.AnyNodeMutator):
    def __init__(self, entry, graph):
        super().__init__()
        self.entry = entry
        self.graph = graph

    def can_inline(self, callee):
        """A leaf (its own uses already inlined), not recursive, marked inline.
        Leaf-ness changes as callers are processed, so it is not memoised."""
        if callee.calls or callee.is_recursive:
            return False
        func = self.graph.module[callee.name_hint]
        return isinstance(func, Function) and _nonzero(func.attrs.get("Inline"))

    def _replacement(self, gvar, args, call):
        func = self.graph.module[gvar.name_hint]
        literal = Function(func.params, func.body, func.ret_type, func.type_params, func.attrs)
        if func.attrs.get("Compiler") is None:
            if call is None:
                return literal
            if len(func.params) != len(args):
                raise ValueError(
                    f"Inline: {gvar.name_hint} takes {len(func.params)} arguments, got {len(args)}"
                )
            return _nodes.substitute(func.body, dict(zip(func.params, args)))
        if call is None:
            return literal
        return Call(literal, args, call.attrs, call.type_args)

    def visit_call(self, call):
        if isinstance(call.op, GlobalVar) and call.op.name_hint in self.graph.module:
            callee = self.graph.entry(call.op)
            if self.can_inline(callee):
                args = [self.visit(a) for a in call.args]
                self.entry.remove_call_to(callee)
                return self._replacement(call.op, args, call)
        return super().visit_call(call)

    def visit_global_var(self, gvar):
        if gvar.name_hint in self.graph.module:
            callee = self.graph.entry(gvar)
            if self.can_inline(callee):
                self.entry.remove_call_to(callee)
                return self._replacement(gvar, (), None)
        return gvar


def inline(mod):
    """``mod`` with its inline-marked globals inlined (see the module docstring)."""
    graph = CallGraph(mod.copy())
    order = list(reversed(graph.topological_order()))
    entries = {id(e) for e in order if e.ref_count == 0}
    for entry in order:
        if not entry.calls or (entry.is_recursive and len(entry.calls) == 1):
            continue
        func = graph.module[entry.name_hint]
        if isinstance(func, Function):
            body = _Inliner(entry, graph).visit(func.body)
            if body is not func.body:
                new_func = Function(func.params, body, func.ret_type, func.type_params, func.attrs)
                graph.module[entry.gvar] = new_func
    for entry in order:
        if entry.is_recursive or id(entry) in entries:
            continue
        func = graph.module[entry.name_hint]
        if isinstance(func, Function) and _nonzero(func.attrs.get("Inline")):
            if entry.ref_count:
                raise ValueError(f"{entry.name_hint} is marked as inline but was not inlined")
            entry.clear_calls()
            graph.remove_from_module(entry)
    return graph.module


def Inline():  # pylint: disable=invalid-name
    """Inline the global functions marked with the ``"Inline"`` attribute into
    their callers and drop them (0.8's ``relay.transform.Inline``, pass name
    ``InlineGlobals``, opt_level 1); see the module docstring.

    Returns
    -------
    ret : tvm.transform.Pass
    """
    return Pass(PassInfo(1, "InlineGlobals", []), lambda mod, _ctx: inline(mod))


__all__ = ["Inline", "inline"]
