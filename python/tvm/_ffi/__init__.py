"""``tvm._ffi``: TVM 0.8's FFI entry points, on the base's ``tvm_ffi``.

The base moved the FFI into the separate ``tvm_ffi`` package; 0.8 scripts and
tests register and look up global functions and object types through
``tvm._ffi``. Each name here is the ``tvm_ffi`` function with 0.8's signature.
"""
import tvm_ffi

from tvm.error import register_error  # noqa: F401  (0.8: tvm._ffi.register_error)

from . import base


def register_func(func_name, f=None, override=False):
    """Register a global function (usable as ``@register_func("name")`` or
    ``@register_func`` on a function, whose name is then used)."""
    return tvm_ffi.register_global_func(func_name, f, override)


def get_global_func(name, allow_missing=False):
    """The global function ``name`` (None if missing and ``allow_missing``)."""
    return tvm_ffi.get_global_func(name, allow_missing=allow_missing)


def list_global_func_names():
    """Names of every registered global function."""
    return list(tvm_ffi.registry.list_global_func_names())


def register_object(type_key=None):
    """Register a Python class as the wrapper of an FFI object type."""
    return tvm_ffi.register_object(type_key)


__all__ = ["register_func", "get_global_func", "list_global_func_names", "register_object",
           "register_error"]
