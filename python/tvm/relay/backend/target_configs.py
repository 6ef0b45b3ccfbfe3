"""0.8's ``relay.backend.Executor`` and ``relay.backend.Runtime``: named
configurations with typed options.

0.8 registered them in C++ (``TVM_REGISTER_EXECUTOR`` / ``TVM_REGISTER_RUNTIME``);
its ``relay.build`` did not take them yet (that came later), so they are records a
script can create, list and query. The fork keeps 0.8's registries: executors
``graph`` (``link-params``, default False), ``aot`` (``unpacked-api``,
``interface-api``) and ``vm``; runtimes ``c`` (``system-lib``) and ``cpp``. Option
types are named as 0.8 named them: ``IntImm`` for a bool, ``runtime.String`` for a
string. A wrong name or type raises ``tvm.TVMError`` with 0.8's message.
"""
import tvm

__all__ = ["Executor", "Runtime"]

_TYPE_NAMES = {bool: "IntImm", str: "runtime.String"}


def _type_name(value):
    if isinstance(value, bool | int):
        return "IntImm"
    if isinstance(value, str):
        return "runtime.String"
    return type(value).__name__


class _Config:
    """A named configuration of kind ``_KIND`` with options checked against ``_REGISTRY``:
    ``{name: {option: (python type, default or None)}}``."""

    _KIND = ""
    _REGISTRY = {}

    def __init__(self, name, options=None):
        self.name = self._check_name(name)
        registered = self._REGISTRY[name]
        attrs = {key: default for key, (_, default) in registered.items() if default is not None}
        for key, value in (options or {}).items():
            if key not in registered:
                raise tvm.TVMError(f'Attribute "{key}" is not available on this {self._KIND}')
            expected = registered[key][0]
            if _type_name(value) != _TYPE_NAMES[expected]:
                raise tvm.TVMError(f'Attribute "{key}" should have type "{_TYPE_NAMES[expected]}" '
                                   f'but instead found "{_type_name(value)}"')
            attrs[key] = expected(value)
        self._attrs = attrs

    @classmethod
    def _check_name(cls, name):
        if name not in cls._REGISTRY:
            raise tvm.TVMError(f'{cls._KIND} "{name}" is not defined')
        return name

    @classmethod
    def _options_of(cls, name):
        return cls._REGISTRY[cls._check_name(str(name))]

    def __contains__(self, key):
        return key in self._attrs

    def __getitem__(self, key):
        return self._attrs[key]

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"{self._KIND}({self.name!r}, {self._attrs!r})"

    def __eq__(self, other):
        return type(other) is type(self) and (self.name, self._attrs) == (other.name, other._attrs)

    def __hash__(self):
        return hash((type(self), self.name, tuple(sorted(self._attrs.items()))))


class Executor(_Config):
    """An executor configuration: ``Executor("graph")``, ``Executor("aot", {"interface-api": "c"})``."""

    _KIND = "Executor"
    _REGISTRY = {
        "aot": {"unpacked-api": (bool, None), "interface-api": (str, None)},
        "graph": {"link-params": (bool, False)},
        "vm": {},
    }

    @staticmethod
    def list_executors():
        """The executors' names."""
        return list(Executor._REGISTRY)

    @staticmethod
    def list_executor_options(executor):
        """``{option: type name}`` of an executor (given by name or as an Executor)."""
        return {key: _TYPE_NAMES[t] for key, (t, _) in Executor._options_of(str(executor)).items()}


class Runtime(_Config):
    """A runtime configuration: ``Runtime("cpp")``, ``Runtime("c", {"system-lib": True})``."""

    _KIND = "Runtime"
    _REGISTRY = {"c": {"system-lib": (bool, None)}, "cpp": {}}

    @staticmethod
    def list_runtimes():
        """The runtimes' names."""
        return list(Runtime._REGISTRY)

    @staticmethod
    def list_runtime_options(runtime):
        """``{option: type name}`` of a runtime (given by name or as a Runtime)."""
        return {key: _TYPE_NAMES[t] for key, (t, _) in Runtime._options_of(str(runtime)).items()}
