"""Relay pass infrastructure on the base's ``tvm.transform.PassContext``.

Relay modules are Python objects (see :mod:`tvm.relay.expr`), so Relay passes
are Python callables rather than the base's FFI passes; they honour the base
``PassContext`` all the same: a pass runs only if its ``opt_level`` is at most
the context's ``opt_level`` and it is not in ``disabled_pass``, and a pass
named in ``required_pass`` always runs. ``Sequential`` applies that rule to each
of its passes, as upstream.

Upstream API kept: ``module_pass(pass_func, opt_level, name, required)`` and
``function_pass(...)`` as decorators (on functions or classes with
``transform_module`` / ``transform_function``), ``Sequential(passes, opt_level,
name, required)``, ``PassInfo``, and calling a pass on an ``IRModule``.
"""
import functools
import inspect
import logging
import time

import tvm

from ..module import IRModule
from ..function import Function

logger = logging.getLogger("relay")


class PassInfo:
    """Name, optimisation level and required passes of a pass."""

    def __init__(self, opt_level, name, required=None):
        self.opt_level = opt_level
        self.name = name
        self.required = list(required or [])

    def __repr__(self):
        return f"PassInfo(name={self.name!r}, opt_level={self.opt_level})"


def _current_context():
    return tvm.transform.PassContext.current()


def pass_enabled(info, ctx=None):
    """Whether ``PassContext`` lets a pass with ``info`` run."""
    ctx = ctx or _current_context()
    name = info.name
    if name in [str(p) for p in ctx.required_pass]:
        return True
    if name in [str(p) for p in ctx.disabled_pass]:
        return False
    return info.opt_level <= ctx.opt_level


class Pass:
    """A transformation of a Relay :class:`IRModule`."""

    def __init__(self, info):
        self.info = info

    @property
    def name(self):
        return self.info.name

    def transform(self, mod):
        raise NotImplementedError()

    def __call__(self, mod):
        if not isinstance(mod, IRModule):
            raise TypeError(
                f"relay pass {self.info.name} expects a relay IRModule, got {type(mod).__name__}"
            )
        start = time.perf_counter()
        result = self.transform(mod)
        if not isinstance(result, IRModule):
            raise TypeError(f"relay pass {self.info.name} returned {type(result).__name__}")
        logger.debug("pass %s took %.3f s", self.info.name, time.perf_counter() - start)
        return result

    def __repr__(self):
        return f"{type(self).__name__}({self.info.name})"


class ModulePass(Pass):
    """A pass over the whole module (``mod -> mod``)."""

    def __init__(self, info, pass_func):
        super().__init__(info)
        self.pass_func = pass_func

    def transform(self, mod):
        return self.pass_func(mod, _current_context())


class FunctionPass(Pass):
    """A pass applied to each Relay function of a module; primitive (fused)
    functions and non-Relay functions are left untouched, as upstream."""

    def __init__(self, info, pass_func):
        super().__init__(info)
        self.pass_func = pass_func

    def transform(self, mod):
        ctx = _current_context()
        new_mod = mod.copy()
        for gvar, func in mod.functions_items():
            if isinstance(func, Function) and not func.is_primitive:
                new_mod[gvar] = self.pass_func(func, mod, ctx)
        return new_mod


class Sequential(Pass):
    """Run passes in order, each subject to the ``PassContext`` rules.

    Parameters
    ----------
    passes : list of Pass
    opt_level : int
        The level of the sequence itself (0: always runs).
    name : str
    required : list of str
        Names of passes this sequence needs (informational).
    """

    def __init__(self, passes=None, opt_level=0, name="sequential", required=None):
        super().__init__(PassInfo(opt_level, name, required))
        self.passes = list(passes or [])
        for p in self.passes:
            if not isinstance(p, Pass):
                raise TypeError(f"Sequential takes relay passes, got {p!r}")

    def transform(self, mod):
        ctx = _current_context()
        for p in self.passes:
            if pass_enabled(p.info, ctx):
                mod = p(mod)
            else:
                logger.debug("skipping pass %s (opt_level %d)", p.info.name, p.info.opt_level)
        return mod


def _make_decorator(pass_cls, method_name):
    def decorator(pass_func=None, opt_level=None, name=None, required=None):
        if opt_level is None:
            raise ValueError("opt_level is required for a relay pass")

        def create(func_or_cls):
            pass_name = name or func_or_cls.__name__
            info = PassInfo(opt_level, pass_name, required)
            if inspect.isclass(func_or_cls):

                @functools.wraps(func_or_cls)
                def make(*args, **kwargs):
                    instance = func_or_cls(*args, **kwargs)
                    return pass_cls(info, getattr(instance, method_name))

                return make
            return pass_cls(info, func_or_cls)

        if pass_func is not None:
            return create(pass_func)
        return create

    return decorator


#: ``@module_pass(opt_level=2)`` on ``def f(mod, ctx) -> mod`` (or on a class
#: with ``transform_module``).
module_pass = _make_decorator(ModulePass, "transform_module")

#: ``@function_pass(opt_level=2)`` on ``def f(func, mod, ctx) -> func`` (or on a
#: class with ``transform_function``).
function_pass = _make_decorator(FunctionPass, "transform_function")
