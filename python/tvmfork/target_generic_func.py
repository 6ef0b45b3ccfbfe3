"""``tvm.target.generic_func`` / ``override_native_generic_func`` (0.8's
target-dispatched functions, removed by the base).

A generic function has a default implementation and overrides registered
for target keys (``"cpu"``, ``"gpu"``, ...). A call runs the override of the
first key of the target that has one, else the default. The target is the
current one (``with tvm.target.Target(...)``) or, outside such a scope, the
first ``Target`` among the call's positional arguments: Relay strategy
functions (``fstrategy(attrs, inputs, out_type, target)``) are called that
way by the compile engine.

0.8 kept "native" generic functions in a C++ registry by name;
``override_native_generic_func(name)`` replaced the one of that name. Here
the registry is a Python dict (:data:`REGISTRY`); no C++ code of the base
looks functions up in it.
"""
import functools

#: name -> generic function made by :func:`override_native_generic_func`.
REGISTRY = {}


def _dispatch_target(args):
    from tvm.target import Target  # pylint: disable=import-outside-toplevel

    target = Target.current(allow_none=True)
    if target is None:
        target = next((a for a in args if isinstance(a, Target)), None)
    return target


def generic_func(fdefault):
    """Decorate ``fdefault`` as the default of a generic function; the result
    has ``register(key_list, func=None, override=False)``."""
    overrides = {}

    def register(key, func=None, override=False):
        keys = [key] if isinstance(key, str) else list(key)

        def _register(f):
            for k in keys:
                if k in overrides and not override:
                    raise ValueError(f"key {k!r} is already registered for {fdefault.__name__}")
                overrides[k] = f
            return f

        return _register(func) if func is not None else _register

    @functools.wraps(fdefault)
    def dispatch(*args, **kwargs):
        target = _dispatch_target(args)
        if target is not None:
            for key in target.keys:
                func = overrides.get(str(key))
                if func is not None:
                    return func(*args, **kwargs)
        return fdefault(*args, **kwargs)

    dispatch.register = register
    dispatch.fdefault = fdefault
    return dispatch


def override_native_generic_func(func_name):
    """Decorate the default of the generic function named ``func_name``,
    replacing any previous one of that name (0.8's signature)."""

    def fdecorate(fdefault):
        func = generic_func(fdefault)
        func.func_name = func_name
        REGISTRY[func_name] = func
        return func

    return fdecorate


def get_native_generic_func(name):
    """The generic function registered under ``name``."""
    if name not in REGISTRY:
        raise ValueError(f"no generic function named {name!r}")
    return REGISTRY[name]


def install():
    """Add the three functions to ``tvm.target`` (idempotent)."""
    import tvm.target  # pylint: disable=import-outside-toplevel

    for func in (generic_func, override_native_generic_func, get_native_generic_func):
        if not hasattr(tvm.target, func.__name__):
            setattr(tvm.target, func.__name__, func)
