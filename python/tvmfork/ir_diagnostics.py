"""``tvm.ir.diagnostics`` as TVM 0.8 had it (the base wheel removed the module).

0.8 reported type errors through a diagnostic context whose renderer could be
replaced (``override_renderer``), which tests used to check messages. Here the
Relay type inferencer raises :class:`~tvm.relay.op.type_relations.RelayTypeError`
(a ``DiagnosticError``); before it propagates out of ``InferType``,
:func:`render_error` hands it, as one error :class:`Diagnostic` in a
:class:`DiagnosticContext`, to the current renderer. The default renderer does
nothing more (the exception carries the message).
"""
import enum

__all__ = [
    "Diagnostic",
    "DiagnosticContext",
    "DiagnosticLevel",
    "DiagnosticRenderer",
    "get_renderer",
    "override_renderer",
    "render_error",
]


class DiagnosticLevel(enum.IntEnum):
    """Severity of a diagnostic (0.8's values)."""

    BUG = 10
    ERROR = 20
    WARNING = 30
    NOTE = 40
    HELP = 50


class Diagnostic:
    """One message about a piece of the program."""

    def __init__(self, level, span, message):
        self.level = DiagnosticLevel(level)
        self.span = span
        self.message = str(message)

    def __repr__(self):
        return f"Diagnostic({self.level.name}, {self.message!r})"


class DiagnosticRenderer:
    """Renders a context: ``render_func(diag_ctx)``."""

    def __init__(self, render_func=None):
        self.render_func = render_func

    def render(self, ctx):
        """Render the diagnostics of ``ctx``."""
        if self.render_func is not None:
            self.render_func(ctx)


class DiagnosticContext:
    """The diagnostics emitted while processing ``module``."""

    def __init__(self, module=None, renderer=None):
        self.module = module
        self.renderer = renderer or get_renderer()
        self.diagnostics = []

    def emit(self, diagnostic):
        """Add a diagnostic."""
        self.diagnostics.append(diagnostic)

    def render(self):
        """Hand the diagnostics to the renderer."""
        self.renderer.render(self)


_DEFAULT = DiagnosticRenderer()
_current = [_DEFAULT]


def get_renderer():
    """The current renderer."""
    return _current[0]


def override_renderer(render_func):
    """Make ``render_func(diag_ctx)`` the renderer; ``None`` restores the default."""
    _current[0] = DiagnosticRenderer(render_func) if render_func is not None else _DEFAULT


def render_error(error, module=None, span=None):
    """Render ``error`` as one error diagnostic with the current renderer."""
    ctx = DiagnosticContext(module)
    ctx.emit(Diagnostic(DiagnosticLevel.ERROR, span, str(error)))
    ctx.render()
