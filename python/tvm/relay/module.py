"""The Relay IRModule: a map from global names to Relay functions.

This is the fork's own module class (the base's ``tvm.IRModule`` holds only
FFI functions). ``tvm.IRModule.from_expr(relay_function)`` returns one of these
(see ``tvmfork.compat``). Besides Relay functions it may carry lowered
``tirx.PrimFunc`` s under their own names.
"""
from .expr import GlobalVar, RelayExpr
from .function import Function


class IRModule:
    """Global functions by name, as upstream's ``tvm.IRModule`` for Relay.

    Parameters
    ----------
    functions : dict, optional
        ``{GlobalVar or str: Function}``.
    type_definitions : dict, optional
        Accepted for API compatibility; algebraic data types are not supported.
    """

    def __init__(self, functions=None, type_definitions=None):
        self._functions = {}
        self._global_vars = {}
        self.type_definitions = dict(type_definitions or {})
        self.attrs = {}
        for key, func in (functions or {}).items():
            self[key] = func

    @staticmethod
    def from_expr(expr, functions=None, type_defs=None):
        """A module whose ``main`` is ``expr`` (wrapped in a function of its free variables)."""
        from .analysis import free_vars  # pylint: disable=import-outside-toplevel

        if not isinstance(expr, RelayExpr):
            raise TypeError(f"IRModule.from_expr needs a relay expression, got {type(expr).__name__}")
        mod = IRModule(functions, type_defs)
        if not isinstance(expr, Function):
            expr = Function(free_vars(expr), expr)
        mod["main"] = expr
        return mod

    def _gvar(self, key, create=False):
        if isinstance(key, GlobalVar):
            name = key.name_hint
        elif isinstance(key, str):
            name = key
        else:
            raise TypeError(f"module key must be a name or a GlobalVar, got {key!r}")
        gvar = self._global_vars.get(name)
        if gvar is None:
            if not create:
                raise KeyError(f"module has no global function {name!r}; it has {sorted(self._global_vars)}")
            gvar = key if isinstance(key, GlobalVar) else GlobalVar(name)
            self._global_vars[name] = gvar
        return gvar

    def __getitem__(self, key):
        return self._functions[self._gvar(key)]

    def __setitem__(self, key, func):
        if not isinstance(func, RelayExpr) and type(func).__name__ != "PrimFunc":
            raise TypeError(f"module function must be a relay Function, got {type(func).__name__}")
        self._functions[self._gvar(key, create=True)] = func

    def __contains__(self, key):
        name = key.name_hint if isinstance(key, GlobalVar) else key
        return name in self._global_vars

    def __len__(self):
        return len(self._functions)

    def __iter__(self):
        return iter(self._functions)

    def __delitem__(self, key):
        gvar = self._gvar(key)
        del self._functions[gvar]
        del self._global_vars[gvar.name_hint]

    @property
    def functions(self):
        """``{GlobalVar: Function}``."""
        return dict(self._functions)

    def functions_items(self):
        return list(self._functions.items())

    def get_global_var(self, name):
        return self._gvar(name)

    def get_global_vars(self):
        return list(self._global_vars.values())

    def update(self, other):
        """Add or replace the functions of another module or dict."""
        items = other.functions_items() if isinstance(other, IRModule) else other.items()
        for key, func in items:
            self[key] = func

    def update_func(self, gvar, func):
        self[gvar] = func

    def copy(self):
        mod = IRModule(dict(self._functions), self.type_definitions)
        mod.attrs = dict(self.attrs)
        return mod

    def with_attr(self, key, value):
        mod = self.copy()
        mod.attrs[key] = value
        return mod

    def get_attr(self, key, default=None):
        return self.attrs.get(key, default)

    def astext(self, show_meta_data=False):
        from .printer import astext  # pylint: disable=import-outside-toplevel

        return astext(self, show_meta_data)

    def __str__(self):
        return self.astext()

    __repr__ = __str__
