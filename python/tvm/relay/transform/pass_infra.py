"""Relay passes are the base's ``tvm.transform`` passes.

Design choice
-------------
Every Relay pass is a ``tvm.transform.ModulePass`` of the base wheel (an FFI
object whose pass function is Python), not a Python look-alike wrapped by an
adapter. Why: 0.8 scripts put Relay passes into ``tvm.transform.Sequential``
(which converts its list to ``Array<transform.Pass>`` in C++), test
``isinstance(p, tvm.transform.Pass)``, and rely on the ``PassContext`` rules
(``opt_level``, ``required_pass``, ``disabled_pass``) and on pass instruments
(``PassContext(instruments=[...])``, ``PassTimingInstrument``). The base's C++
pass manager already implements all of that; a real base pass gets it for free
and exactly as the base defines it, where an adapter would re-implement it and
still not fit into the base's ``Sequential``. This works because the modules
themselves are the base's ``IRModule`` (they hold Relay functions, see
:mod:`tvm.relay.module`), so the C++ side passes a Relay module to the Python
function untouched.

The pass function is a closure over the pass's own state (never over the
Python wrapper object: the wrapper holds the C++ pass, which holds the
function, and a reference back would make a cycle the garbage collector cannot
see through C++).

``required`` names are resolved by the base's ``Sequential`` through the global
functions ``transform.<name>``; :func:`register_relay_pass` registers the Relay
passes that 0.8 code names there (``InferType``). The fork's own passes declare
no required passes: those that need types run ``InferType`` themselves when
some node is untyped (:func:`tvm.relay.transform._utils.ensure_typed`).

Upstream API kept: ``module_pass`` and ``function_pass`` as decorators (on a
function or on a class with ``transform_module`` / ``transform_function``),
``Sequential``, ``PassInfo``, ``PassContext``, calling a pass on a module.
Upstream's ``FunctionPass`` was a C++ pass type of its own; here it is a module
pass that maps the function over every non-primitive Relay function.
"""
import functools
import inspect

import tvm
import tvm_ffi
from tvm.ir import transform as _base
from tvm.ir.transform import PassContext, PassInfo, Sequential

# The FFI constructor of a module pass with a Python function.
_make_module_pass = tvm_ffi.get_global_func("transform.MakeModulePass")


def pass_enabled(info, ctx=None):
    """Whether the ``PassContext`` lets a pass with ``info`` run inside a
    ``Sequential`` (required beats disabled beats ``opt_level``)."""
    ctx = ctx or PassContext.current()
    name = str(info.name)
    if name in [str(p) for p in ctx.required_pass]:
        return True
    if name in [str(p) for p in ctx.disabled_pass]:
        return False
    return int(info.opt_level) <= int(ctx.opt_level)


def _checked(name, transform):
    """The pass function: ``transform(mod, ctx)`` with a clear error when it
    returns something other than a module."""

    def _pass_func(mod, ctx):
        result = transform(mod, ctx)
        if not isinstance(result, tvm.ir.IRModule):
            raise TypeError(f"relay pass {name} returned {type(result).__name__}, not an IRModule")
        return result

    return _pass_func


class Pass(_base.ModulePass):
    """A Relay pass: a base ``tvm.transform.ModulePass`` running ``transform``.

    Parameters
    ----------
    info : tvm.transform.PassInfo
        Name, ``opt_level`` and required passes.
    transform : callable
        ``transform(mod, ctx) -> mod``. It must not reference this object (see
        the module docstring).
    """

    def __init__(self, info, transform):  # pylint: disable=super-init-not-called
        self.__init_handle_by_constructor__(
            _make_module_pass, _checked(str(info.name), transform), info
        )

    @property
    def name(self):
        """The pass name."""
        return str(self.info.name)

    def __repr__(self):
        return f"{type(self).__name__}({self.name})"


def _map_relay_functions(transform_function, mod, ctx):
    """Apply ``transform_function(func, mod, ctx)`` to each non-primitive Relay
    function of ``mod``; primitive (fused) and non-Relay functions stay."""
    from ..function import Function  # pylint: disable=import-outside-toplevel

    new_mod = mod.copy()
    for gvar, func in mod.functions_items():
        if isinstance(func, Function) and not func.is_primitive:
            new_mod[gvar] = transform_function(func, mod, ctx)
    return new_mod


def _map_and_retype(transform_function, mod, ctx):
    from .type_infer import InferType  # pylint: disable=import-outside-toplevel

    return InferType()(_map_relay_functions(transform_function, mod, ctx))


class FunctionPass(Pass):
    """A pass applying ``pass_func(func, mod, ctx) -> func`` to every
    non-primitive Relay function of a module, then type inference on the
    module, as 0.8 did after every function pass (a user's pass may return
    untyped functions; the fork's own passes keep their types and do not
    pay for this)."""

    def __init__(self, info, pass_func):  # pylint: disable=super-init-not-called
        super().__init__(info, functools.partial(_map_and_retype, pass_func))


def ModulePass(info, pass_func):  # pylint: disable=invalid-name
    """A module pass running ``pass_func(mod, ctx) -> mod``."""
    return Pass(info, pass_func)


def _make_decorator(kind, method_name):
    def decorator(pass_func=None, opt_level=None, name=None, required=None):
        if opt_level is None:
            raise ValueError("opt_level is required for a relay pass")
        if pass_func is not None and not callable(pass_func):
            raise TypeError(f"{kind.__name__} decorates a function or a class, got {pass_func!r}")

        def create(func_or_cls):
            pass_name = name or func_or_cls.__name__
            info = PassInfo(opt_level, pass_name, list(required or []))
            if inspect.isclass(func_or_cls):

                @functools.wraps(func_or_cls, updated=())
                def make(*args, **kwargs):
                    instance = func_or_cls(*args, **kwargs)
                    created = kind(info, getattr(instance, method_name))
                    # Upstream's class passes expose the instance's attributes.
                    created.__dict__["instance"] = instance
                    return created

                return make
            return kind(info, func_or_cls)

        if pass_func is not None:
            return create(pass_func)
        return create

    return decorator


#: ``@module_pass(opt_level=2)`` on ``def f(mod, ctx) -> mod`` (or on a class
#: with ``transform_module``); the result is a ``tvm.transform.ModulePass``.
module_pass = _make_decorator(Pass, "transform_module")

#: ``@function_pass(opt_level=2)`` on ``def f(func, mod, ctx) -> func`` (or on
#: a class with ``transform_function``).
function_pass = _make_decorator(FunctionPass, "transform_function")


def register_relay_pass(name, factory):
    """Make ``required=[name]`` resolvable by the base's ``Sequential``.

    The base looks a required pass up as the global function
    ``transform.<name>``; an existing registration is left alone.
    """
    global_name = f"transform.{name}"
    if tvm_ffi.get_global_func(global_name, allow_missing=True) is None:
        tvm_ffi.register_global_func(global_name, factory)


__all__ = [
    "FunctionPass",
    "ModulePass",
    "Pass",
    "PassContext",
    "PassInfo",
    "Sequential",
    "function_pass",
    "module_pass",
    "pass_enabled",
    "register_relay_pass",
]
