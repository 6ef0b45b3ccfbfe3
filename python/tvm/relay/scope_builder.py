"""``relay.ScopeBuilder``: build nested ``let`` / ``if`` code imperatively (0.8 API).

::

    sb = relay.ScopeBuilder()
    x = sb.let("x", relay.add(a, b))
    with sb.if_scope(cond):
        sb.ret(x)
    with sb.else_scope():
        sb.ret(relay.negative(x))
    body = sb.get()

Each scope collects ``(var, value)`` bindings and one result; :meth:`get`
turns the outermost scope into nested ``Let`` s around its result. An
``if_scope`` / ``else_scope`` pair becomes an ``If`` that is the result of the
enclosing scope.
"""
import contextlib

from .expr import If, Let, Var
from .ty import Type


class _Scope:
    __slots__ = ("bindings", "result")

    def __init__(self):
        self.bindings = []
        self.result = None

    def expr(self, who):
        if self.result is None:
            raise ValueError(f"ScopeBuilder: the {who} has no result; call ret() in it")
        out = self.result
        for var, value in reversed(self.bindings):
            out = Let(var, value, out)
        return out


class ScopeBuilder:
    """Imperative builder of ``let`` chains and ``if`` branches."""

    def __init__(self):
        self._scopes = [_Scope()]
        self._pending_if = None  # (cond, then-expr) waiting for else_scope

    def let(self, var, value):
        """Bind ``value`` to a new variable and return the variable.

        ``var`` is a name, a ``(name, type)`` pair or a ``relay.Var``.
        """
        if isinstance(var, tuple):
            if len(var) != 2 or not isinstance(var[1], Type):
                raise TypeError(f"ScopeBuilder.let: expected (name, type), got {var!r}")
            var = Var(var[0], var[1])
        elif isinstance(var, str):
            var = Var(var)
        elif not isinstance(var, Var):
            raise TypeError(f"ScopeBuilder.let: expected a name, (name, type) or Var, got {var!r}")
        self._scopes[-1].bindings.append((var, value))
        return var

    @contextlib.contextmanager
    def if_scope(self, cond):
        """The true branch of ``if (cond)``; follow it with :meth:`else_scope`."""
        if self._pending_if is not None:
            raise ValueError("ScopeBuilder: the previous if_scope has no else_scope")
        self._scopes.append(_Scope())
        try:
            yield
        finally:
            scope = self._scopes.pop()
        self._pending_if = (cond, scope.expr("if_scope"))

    @contextlib.contextmanager
    def else_scope(self):
        """The false branch of the preceding :meth:`if_scope`."""
        if self._pending_if is None:
            raise ValueError("ScopeBuilder: else_scope without a preceding if_scope")
        cond, then_expr = self._pending_if
        self._pending_if = None
        self._scopes.append(_Scope())
        try:
            yield
        finally:
            scope = self._scopes.pop()
        self.ret(If(cond, then_expr, scope.expr("else_scope")))

    def ret(self, value):
        """Set the result of the current scope (once)."""
        scope = self._scopes[-1]
        if scope.result is not None:
            raise ValueError("ScopeBuilder: ret() called twice in one scope")
        scope.result = value

    def type_of(self, expr):
        """The inferred type of ``expr``."""
        from .transform.type_infer import infer_type  # pylint: disable=import-outside-toplevel

        return infer_type(expr)

    def get(self):
        """The built expression (the outermost scope)."""
        if len(self._scopes) != 1:
            raise ValueError("ScopeBuilder.get() called inside an open scope")
        if self._pending_if is not None:
            raise ValueError("ScopeBuilder: an if_scope has no else_scope")
        return self._scopes[0].expr("outermost scope")
