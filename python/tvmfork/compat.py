"""Compatibility patches of base objects, for TVM 0.8-era scripts.

This module (with its helper :mod:`tvmfork.compat_lower`) is the only one of the fork that changes objects of the base wheel. Each
patch is a named function below, listed in :data:`PATCHES`, applied once by
:func:`install` (called from the ``import tvm`` hook) and tested on its own in
``tests/python/unittest/test_compat.py``.

Patches
-------
legacy_target_strings
    ``tvm.target.Target("llvm -mcpu=core-avx2 -num-cores=2")``: the base accepts
    only a kind name or the dict form; the legacy command-line form is converted
    by :func:`parse_legacy_target` with every option kept. A bare ``"llvm"`` gets
    the host CPU filled in, without the vector features the machine lacks (see
    :func:`parse_legacy_target`).
nd_namespace
    ``tvm.nd.array`` / ``tvm.nd.empty`` / ``tvm.nd.NDArray``: thin aliases of
    ``tvm.runtime.tensor`` / ``tvm.runtime.empty`` / ``tvm.runtime.Tensor``, plus
    ``Tensor.asnumpy`` (the 0.8 name of ``numpy()``) and ``tvm.runtime.NDArray``.
module_get_source
    ``runtime.Module.get_source(fmt)`` (the base's ``inspect_source``).
tir_namespace
    ``tvm.tir``: the base renamed it ``tvm.tirx``; ``tvm.tir`` is an alias module.
irmodule_holds_relay
    ``tvm.IRModule`` holds Relay functions: its constructor, ``from_expr``,
    ``__setitem__``, ``update`` accept them and ``__getitem__`` /
    ``functions_items`` give them back, so ``relay.IRModule`` is
    ``tvm.IRModule`` (why: :mod:`tvm.relay.module`).
structural_relay
    ``tvm.ir.structural_equal`` / ``structural_hash`` (moved to ``tvm_ffi`` by the
    base) exist again and accept Relay nodes (Python objects, see
    :mod:`tvm.relay.expr`), delegating to :mod:`tvm.relay.structural`.
testing_helpers
    ``tvm.testing`` gets 0.8's helpers (``uses_gpu``, ``parametrize_targets``,
    ``parameters``, ``requires_*``) when first imported.
error_names
    ``tvm.error.TVMError`` (``RuntimeError``, the base of the base's errors).
te_size_var
    ``te.size_var`` (a ``te.var``: the base has no ``SizeVar``).
ffi_toplevel_names
    ``tvm.register_func`` / ``tvm.register_object`` (0.8 exported them at the
    top level; :mod:`tvm._ffi` has them with 0.8's signatures).
runtime_container
    ``tvm.runtime.container``: 0.8's ``ADT`` (the tuple value an executor
    returns; here a Python list or tuple, so ``ADT`` is an abstract class
    that they are instances of) and ``tuple_object(fields)``.
device_compat
    ``Device.device_type``; ``tvm.device("llvm")`` maps a target to its device.
pass_context_options
    ``PassContext(config=...)`` accepts 0.8's Relay options
    (:data:`RELAY_PASS_CONTEXT_OPTIONS`), read with :func:`pass_context_option`.
pass_info_defaults
    ``tvm.transform.PassInfo(opt_level, name)`` with ``required`` omitted.
print_ir_relay
    ``tvm.transform.PrintIR`` prints Relay text for modules with Relay functions.
register_op_attr_relay
    ``tvm.ir.register_op_attr(op_name, ...)`` sets the attribute on the Relay
    operator of that name (:mod:`tvm.relay.op.op`), other names on the base's.
topi_testing_v08
    ``tvm.topi.testing`` gets 0.8's NumPy references that the base lacks or
    that fail on NumPy 2 (:mod:`tvm.topi.testing_v08`) when first imported.
fork_subpackages_as_attributes
    ``tvm.relay`` etc. resolve after a plain ``import tvm`` (imported on first use).
legacy_lower_build
    ``tvm.lower`` and 0.8's ``tvm.build(sch, args, target)`` for TensorIR
    schedules; ``te.create_schedule`` raises an error saying TE schedules are
    not available (in :mod:`tvmfork.compat_lower`).
thread_pool_size
    The base runtime sizes its thread pool as half the logical CPUs on x86 (it
    assumes two hyper-threads per core), so a machine without SMT runs every
    kernel on half its cores: one thread on a 2-core VM. Unless the user set
    ``TVM_NUM_THREADS`` or ``OMP_NUM_THREADS``, ``TVM_NUM_THREADS`` is set to
    the number of physical cores this process may run on
    (:func:`physical_cores`), before the pool starts; child processes
    (measurement workers) inherit it.
"""
import abc
import functools
import os
import sys
import types

_INSTALLED = False

#: CPU name the base's LLVM reports for this machine, computed once.
_HOST_CPU = None
#: Features of that CPU name that this machine lacks, computed once.
_HOST_DISABLED = None


def _convert_value(text):
    """Option value of a legacy target string: int, bool, list or str."""
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    try:
        return int(text)
    except ValueError:
        pass
    return text


# Options that the base declares as arrays; a legacy comma list maps to a list.
_LIST_OPTIONS = {"mattr", "keys", "libs", "cl-opt", "device-features"}


def host_cpu():
    """The LLVM CPU name of the local machine (e.g. ``znver3``), or None."""
    global _HOST_CPU  # pylint: disable=global-statement
    if _HOST_CPU is None:
        import tvm  # pylint: disable=import-outside-toplevel

        try:
            _HOST_CPU = str(tvm.target.Target.from_device(tvm.cpu()).attrs.get("mcpu", ""))
        except Exception:  # pylint: disable=broad-except
            _HOST_CPU = ""
    return _HOST_CPU or None


def host_cpu_flags():
    """The instruction-set flags the kernel lets this process use (``/proc/cpuinfo``).

    A set of str (``avx2``, ``avx512f``, ``avx512_vnni``...), or None where there
    is no ``/proc/cpuinfo`` (not Linux).
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def _is_vector_isa(feature):
    """LLVM features of the x86 vector ISA, each reported by ``/proc/cpuinfo`` too."""
    return feature in ("avx", "avx2", "fma", "f16c", "avxvnni") or feature.startswith(("avx512", "amx-"))


def _flag_key(name):
    # LLVM says ``avx512vnni`` / ``amx-tile``, /proc/cpuinfo ``avx512_vnni`` / ``amx_tile``
    return name.replace("_", "").replace("-", "")


def host_disabled_features():
    """LLVM features the host CPU's name implies but this machine cannot execute.

    A virtual machine may hide part of its CPU: a Zen 4 guest whose hypervisor
    masks AVX-512 is still named ``znver4`` by LLVM, and code compiled for
    ``-mcpu=znver4`` dies there with SIGILL (measured on such a guest: a plain
    ``relay.build(..., target="llvm")`` conv2d). Compilers asked for the native
    CPU pass the host's features along with its name for the same reason; this
    returns the vector-ISA features to switch off with ``-mattr=-feature``
    (sorted; empty when the CPU name tells the truth or the flags are unknown).
    """
    global _HOST_DISABLED  # pylint: disable=global-statement
    if _HOST_DISABLED is None:
        _HOST_DISABLED = ()
        cpu, flags = host_cpu(), host_cpu_flags()
        if cpu and flags is not None:
            import tvm  # pylint: disable=import-outside-toplevel

            try:
                implied = tvm.target.codegen.llvm_get_cpu_features(
                    tvm.target.Target({"kind": "llvm", "mcpu": cpu}))
            except Exception:  # pylint: disable=broad-except
                implied = ()
            have = {_flag_key(flag) for flag in flags}
            _HOST_DISABLED = tuple(sorted(str(f) for f in implied
                                          if _is_vector_isa(str(f)) and _flag_key(str(f)) not in have))
    return list(_HOST_DISABLED)


def parse_legacy_target(text, fill_host_cpu=True):
    """Convert a TVM 0.8 target string to the base's dict form.

    ``"llvm -mcpu=core-avx2 -num-cores=2"`` becomes
    ``{"kind": "llvm", "mcpu": "core-avx2", "num-cores": 2}``. Values that read as
    integers become ints, ``true``/``false`` booleans, a bare flag (``-system-lib``)
    ``True``, and the array options (``-mattr``, ``-keys``, ``-libs``) lists.

    Host CPU: the base's LLVM compiles a plain ``"llvm"`` target for generic
    x86-64, without AVX2 or FMA, which makes every kernel several times slower
    than the machine allows. When the kind is ``llvm`` and the string gives
    neither ``-mcpu`` nor ``-mtriple`` (so it means "this machine"), the local
    CPU name is filled in as ``mcpu``. A target that names a CPU or a triple is
    left exactly as written, so cross compilation is never changed. Where the
    machine lacks vector features its CPU name implies (a VM with AVX-512
    masked), they are switched off in ``mattr`` (:func:`host_disabled_features`),
    before any ``-mattr`` the string gives.

    Parameters
    ----------
    text : str
        The legacy target string.
    fill_host_cpu : bool
        Whether to fill in the host CPU for a plain local ``llvm`` target.

    Returns
    -------
    config : dict
        The dict form accepted by ``tvm.target.Target``.
    """
    tokens = text.split()
    if not tokens:
        raise ValueError("empty target string")
    config = {"kind": tokens[0]}
    for token in tokens[1:]:
        if not token.startswith("-"):
            raise ValueError(f"cannot parse option {token!r} of target string {text!r}")
        option = token.lstrip("-")
        if "=" in option:
            key, value = option.split("=", 1)
            if key in _LIST_OPTIONS:
                config[key] = [v for v in value.split(",") if v]
            else:
                config[key] = _convert_value(value)
        else:
            config[option] = True
    if (
        fill_host_cpu
        and config["kind"] == "llvm"
        and "mcpu" not in config
        and "mtriple" not in config
    ):
        cpu = host_cpu()
        if cpu:
            config["mcpu"] = cpu
            disabled = ["-" + feature for feature in host_disabled_features()]
            if disabled:
                config["mattr"] = disabled + list(config.get("mattr", []))
    return config


def legacy_target_strings():
    """Let ``tvm.target.Target`` take the legacy command-line string form."""
    from tvm.target import Target  # pylint: disable=import-outside-toplevel

    if getattr(Target.__init__, "_tvmfork_patched", False):
        return
    original_init = Target.__init__

    def _convert(target):
        if isinstance(target, str):
            stripped = target.strip()
            if stripped.startswith("{"):
                return target  # JSON form, base handles it
            kind = stripped.split()[0] if stripped else stripped
            if " " in stripped or kind == "llvm":
                return parse_legacy_target(stripped)
        return target

    @functools.wraps(original_init)
    def __init__(self, target, host=None):
        original_init(self, _convert(target), _convert(host))

    __init__._tvmfork_patched = True
    Target.__init__ = __init__


def module_get_source():
    """``runtime.Module.get_source(fmt)``: 0.8's name of the base's
    ``inspect_source(fmt)`` (e.g. ``lib.get_source("asm")``)."""
    from tvm import runtime  # pylint: disable=import-outside-toplevel

    if not hasattr(runtime.Module, "get_source"):
        def get_source(self, fmt=""):
            """The module's source in ``fmt`` (``"asm"``, ``"ll"``, ...), if available."""
            return self.inspect_source(fmt)

        runtime.Module.get_source = get_source


def nd_namespace():
    """Provide ``tvm.nd`` as a thin alias of the base runtime tensor API."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import runtime  # pylint: disable=import-outside-toplevel

    if not hasattr(runtime.Tensor, "asnumpy"):
        runtime.Tensor.asnumpy = runtime.Tensor.numpy
    if not hasattr(runtime, "NDArray"):
        runtime.NDArray = runtime.Tensor  # 0.8's tvm.runtime.NDArray
    if "tvm.nd" in sys.modules:
        return
    nd = types.ModuleType("tvm.nd", "TVM 0.8 name of the runtime tensor API (alias).")

    def array(arr, device=None):
        """``tvm.nd.array``: copy ``arr`` into a new runtime tensor on ``device``."""
        if isinstance(arr, runtime.Tensor):
            arr = arr.numpy()
        return runtime.tensor(arr, device if device is not None else tvm.cpu(0))

    def empty(shape, dtype="float32", device=None):
        """``tvm.nd.empty``: an uninitialised runtime tensor."""
        return runtime.empty(shape, dtype, device if device is not None else tvm.cpu(0))

    nd.array = array
    nd.empty = empty
    nd.NDArray = runtime.Tensor
    nd.cpu = tvm.cpu
    nd.device = tvm.device
    sys.modules["tvm.nd"] = nd
    tvm.nd = nd


class _CallableLayoutModule(types.ModuleType):
    """The base's ``tvm.tirx.layout`` module, callable as 0.8's ``tvm.tir.layout(name)``."""

    def __call__(self, layout_str, dtype="int32"):
        """0.8's data layout (``tvm.tir.layout("NCHW16c")``): the base's
        ``s_tir`` layout, ``None`` for the empty (undefined) layout."""
        import tvm.s_tir  # pylint: disable=import-outside-toplevel

        del dtype  # the base's layouts index with int32/int64 as needed
        return tvm.s_tir.slayout(layout_str)


def tir_namespace():
    """Provide ``tvm.tir`` as an alias of the base's ``tvm.tirx``, with 0.8's
    data-layout constructors ``tvm.tir.layout(name)`` (the base's ``tirx.layout``
    module made callable; its contents stay), ``tvm.tir.bijective_layout`` and
    ``tvm.tir.Any``."""
    import tvm  # pylint: disable=import-outside-toplevel

    if "tvm.tir" in sys.modules or not hasattr(tvm, "tirx"):
        return
    sys.modules["tvm.tir"] = tvm.tirx
    for name, module in list(sys.modules.items()):
        if name.startswith("tvm.tirx."):
            sys.modules.setdefault("tvm.tir." + name[len("tvm.tirx."):], module)
    tvm.tir = tvm.tirx
    layout_module = getattr(tvm.tirx, "layout", None)
    if isinstance(layout_module, types.ModuleType) and type(layout_module) is types.ModuleType:
        layout_module.__class__ = _CallableLayoutModule
    if not hasattr(tvm.tirx, "bijective_layout"):
        def bijective_layout(src_layout, dst_layout):
            """0.8's ``tvm.tir.bijective_layout``: the base's ``s_tir`` one."""
            import tvm.s_tir  # pylint: disable=import-outside-toplevel

            return tvm.s_tir.sbijective_layout(src_layout, dst_layout)

        tvm.tirx.bijective_layout = bijective_layout
    if not hasattr(tvm.tirx, "__getattr__"):
        tvm.tirx.__getattr__ = _tir_lazy_names


def _tir_lazy_names(name):
    """``tvm.tir.Any``: 0.8's run-time dimension is Relay's ``Any`` here, looked up
    on first use (a module ``__getattr__``) so ``import tvm`` does not import Relay."""
    if name == "Any":
        from tvm.relay.ty import Any  # pylint: disable=import-outside-toplevel

        return Any
    raise AttributeError(f"module 'tvm.tirx' has no attribute {name!r}")


def _relay_module():
    """:mod:`tvm.relay.module` if Relay has been imported, else None.

    Relay objects cannot exist before Relay is imported, so the patched
    ``IRModule`` methods behave exactly as the base's until then (and ``import
    tvm`` does not import Relay)."""
    return sys.modules.get("tvm.relay.module")


def _is_relay_node(value):
    expr = sys.modules.get("tvm.relay.expr")
    ty = sys.modules.get("tvm.relay.ty")
    return (expr is not None and isinstance(value, expr.RelayExpr)) or (
        ty is not None and isinstance(value, ty.Type))


def _holds_relay(value):
    if isinstance(value, list | tuple):
        return any(_holds_relay(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_relay(v) for v in value.values())
    return _is_relay_node(value)


def convert_keeps_relay():
    """``tvm.runtime.convert`` leaves Relay nodes as they are.

    Relay nodes are Python objects here (:mod:`tvm.relay.expr`); the base's
    ``convert`` would wrap a callable Relay expression as an FFI function. 0.8
    scripts write ``relay.Tuple(tvm.runtime.convert([a, b]))``: a sequence that
    holds Relay nodes comes back as a Python list (dict: dict) of converted
    elements, which every Relay API accepts where 0.8 took an ``Array``."""
    import tvm.runtime  # pylint: disable=import-outside-toplevel

    base_convert = tvm.runtime.convert
    if getattr(base_convert, "_tvmfork_patched", False):
        return

    def convert(value, *args, **kwargs):
        if not _holds_relay(value):
            return base_convert(value, *args, **kwargs)
        if isinstance(value, list | tuple):
            return [convert(v, *args, **kwargs) for v in value]
        if isinstance(value, dict):
            return {k: convert(v, *args, **kwargs) for k, v in value.items()}
        return value

    convert.__doc__ = base_convert.__doc__
    convert._tvmfork_patched = True
    tvm.runtime.convert = convert


def make_node_relay_attrs():
    """``tvm.ir.make_node`` builds Relay attributes: ``"DictAttrs"`` and the
    ``relay.attrs.*`` / ``attrs.*`` type keys of 0.8 (which the base no longer
    registers) give the fork's :class:`~tvm.relay.attrs.Attrs` records; any
    other type key goes to the base's ``make_node``."""
    import tvm.ir  # pylint: disable=import-outside-toplevel

    base_make_node = tvm.ir.make_node
    if getattr(base_make_node, "_tvmfork_patched", False):
        return

    def make_node(type_key, **kwargs):
        if type_key == "DictAttrs" or type_key.startswith(("relay.attrs.", "attrs.")):
            from tvm.relay import attrs as _attrs  # pylint: disable=import-outside-toplevel

            if type_key == "DictAttrs":
                return _attrs.DictAttrs(kwargs)
            return _attrs.Attrs(type_key, kwargs)
        return base_make_node(type_key, **kwargs)

    make_node.__doc__ = base_make_node.__doc__
    make_node._tvmfork_patched = True
    tvm.ir.make_node = make_node


class TensorDType(str):
    """``te.Tensor.dtype`` as 0.8 gave it: the dtype's name (a ``str``, so
    ``numpy_array.astype(A.dtype)`` and ``A.dtype == "float32"`` work), which
    also answers the base's ``PrimType`` attributes (``tensor.dtype.dtype``,
    ``matches_code``...: the base's code reads the element type that way)."""

    def __new__(cls, prim_type):
        obj = str.__new__(cls, str(prim_type))
        obj._prim_type = prim_type
        return obj

    @property
    def dtype(self):
        """The base's data type object of the element type."""
        return self._prim_type.dtype

    def __getattr__(self, name):
        # the base's PrimType API (``matches_code``, ``bits``, ...) for the base's code
        if name.startswith("__") or name == "_prim_type":
            raise AttributeError(name)
        return getattr(self._prim_type, name)

    def __reduce__(self):
        return (str, (str(self),))


def te_tensor_dtype_as_str():
    """``te.Tensor.dtype`` is a ``str`` (:class:`TensorDType`) as in 0.8; the
    base's ``PrimType`` stays available through ``Tensor.expr_ty()``."""
    from tvm import te  # pylint: disable=import-outside-toplevel

    tensor_cls = te.Tensor
    if getattr(tensor_cls, "_tvmfork_dtype_patched", False):
        return
    base_dtype = tensor_cls.dtype

    def dtype(self):
        """Data type of the tensor's elements (a str, as 0.8)."""
        return TensorDType(base_dtype.fget(self))

    def expr_ty(self):
        """Compile-time element type of the tensor (the base's PrimType)."""
        return base_dtype.fget(self)

    tensor_cls.dtype = property(dtype)
    tensor_cls.expr_ty = expr_ty
    tensor_cls._tvmfork_dtype_patched = True


def ir_diagnostics():
    """``tvm.ir.diagnostics`` (0.8's module, removed by the base): see
    :mod:`tvmfork.ir_diagnostics`."""
    import tvm.ir  # pylint: disable=import-outside-toplevel

    if "tvm.ir.diagnostics" in sys.modules:
        return
    from . import ir_diagnostics as module  # pylint: disable=import-outside-toplevel

    sys.modules["tvm.ir.diagnostics"] = module
    tvm.ir.diagnostics = module


def irmodule_holds_relay():
    """``tvm.IRModule`` holds Relay functions (see :mod:`tvm.relay.module`).

    The constructor, ``from_expr``, ``__setitem__``, ``update`` and
    ``update_func`` accept Relay functions (and Relay ``GlobalVar`` keys) and
    store each in a ``RelayFunctionRef`` node; ``__getitem__``,
    ``functions_items``, ``get_global_var(s)`` give the Relay objects back;
    ``astext`` / ``str`` print Relay text when the module holds Relay
    functions. ``copy``, ``type_definitions``, ``__len__`` and ``__iter__`` are
    added (0.8 Relay modules had them). Modules without Relay functions behave
    as the base's.
    """
    import tvm  # pylint: disable=import-outside-toplevel

    cls = tvm.ir.IRModule
    if getattr(cls._add, "_tvmfork_patched", False):
        return
    base = {name: cls.__dict__[name] for name in (
        "__init__", "_add", "__getitem__", "__contains__", "__delitem__", "update",
        "update_func", "functions_items", "get_global_var", "get_global_vars")}
    base_from_expr = cls.from_expr
    base_str = cls.__str__
    base_repr = cls.__repr__

    def _relay_value(value):
        rmod = _relay_module()
        return rmod is not None and rmod.is_relay_value(value)

    def _relay_key(key):
        rmod = _relay_module()
        return rmod is not None and isinstance(key, sys.modules["tvm.relay.expr"].GlobalVar)

    def _holds_relay(mod):
        rmod = _relay_module()
        return rmod is not None and rmod.has_relay_functions(mod)

    def __init__(self, functions=None, attrs=None, global_infos=None, type_definitions=None):
        # pylint: disable=unused-argument
        relay_items = {}
        if isinstance(functions, dict):
            plain = {}
            for key, value in functions.items():
                if _relay_value(value):
                    relay_items[key] = value
                else:
                    plain[key.name_hint if _relay_key(key) else key] = value
            functions = plain
        base["__init__"](self, functions, attrs, global_infos)
        for key, value in relay_items.items():
            self[key] = value

    def _add(self, var, val, update=True):
        if _relay_value(val):
            name, val = _relay_module().store(var, val)
            var = name
        elif _relay_key(var):
            var = var.name_hint
        return base["_add"](self, var, val, update)

    def __getitem__(self, var):
        rmod = _relay_module()
        if rmod is None:
            return base["__getitem__"](self, var)
        return rmod.lookup(self, var)

    def __contains__(self, var):
        return base["__contains__"](self, var.name_hint if _relay_key(var) else var)

    def __delitem__(self, var):
        if _relay_key(var) or isinstance(var, str):
            var = base["get_global_var"](self, var if isinstance(var, str) else var.name_hint)
        return base["__delitem__"](self, var)

    def update(self, other):
        if isinstance(other, dict):
            other = cls(other)
        return base["update"](self, other)

    def update_func(self, var, func):
        if _relay_value(func) or _relay_key(var):
            self[var] = func
            return None
        return base["update_func"](self, var, func)

    def functions_items(self):
        rmod = _relay_module()
        if rmod is None:
            return base["functions_items"](self)
        return rmod.items(self)

    def get_global_var(self, name):
        rmod = _relay_module()
        if rmod is None:
            return base["get_global_var"](self, name)
        return rmod.global_var(self, name)

    def get_global_vars(self):
        return [gvar for gvar, _ in self.functions_items()]

    def from_expr(expr, functions=None, type_defs=None):
        if _relay_value(expr):
            return _relay_module().from_expr(expr, functions, type_defs)
        if type_defs is not None:
            raise TypeError("the base IRModule.from_expr takes no type definitions")
        if functions is None:
            return base_from_expr(expr)
        return base_from_expr(expr, functions)

    def copy(self):
        """A shallow copy (the functions are shared, the maps are not)."""
        return tvm.ir._ffi_api.Module_Clone(self)  # pylint: disable=protected-access

    def astext(self, show_meta_data=True, annotate=None):  # pylint: disable=unused-argument
        """Relay text of the module (TVMScript if it holds no Relay function);
        with ``show_meta_data`` (the default, as 0.8) the constants follow in a
        ``#[metadata]`` section, so ``tvm.parser.parse`` reads the text back."""
        if _holds_relay(self):
            return _relay_module().astext(self, show_meta_data)
        return self.script(show_meta=show_meta_data)

    def __str__(self):
        if _holds_relay(self):
            return _relay_module().astext(self)
        return base_str(self)

    def __repr__(self):
        if _holds_relay(self):
            return _relay_module().astext(self)
        return base_repr(self)

    for name, func in (("__init__", __init__), ("_add", _add), ("__getitem__", __getitem__),
                       ("__contains__", __contains__), ("__delitem__", __delitem__),
                       ("update", update), ("update_func", update_func),
                       ("functions_items", functions_items), ("get_global_var", get_global_var),
                       ("get_global_vars", get_global_vars)):
        func.__doc__ = base[name].__doc__
        func.__name__ = name
        setattr(cls, name, func)
    cls._add._tvmfork_patched = True
    from_expr.__doc__ = base_from_expr.__doc__
    cls.from_expr = staticmethod(from_expr)
    cls.copy = copy
    cls.astext = astext
    cls.__str__ = __str__
    cls.__repr__ = __repr__
    # __len__ would make an empty module falsy; base code may test ``if mod``.
    cls.__bool__ = lambda self: True
    cls.__len__ = lambda self: len(base_functions.__get__(self, cls))
    cls.__iter__ = lambda self: iter(gvar for gvar, _ in self.functions_items())
    base_functions = cls.__dict__["functions"]
    # The raw map (stored RelayFunctionRef nodes), for tvm.relay.module.
    cls.stored_functions = base_functions

    def functions(self):
        """``{GlobalVar: function}``; Relay functions under their Relay ``GlobalVar``."""
        raw = base_functions.__get__(self, cls)
        if not _holds_relay(self):
            return raw
        return dict(self.functions_items())

    cls.functions = property(functions)
    cls.type_definitions = property(lambda self: {}, doc="Always empty: no algebraic data types.")


def structural_relay():
    """``tvm.ir.structural_equal`` / ``structural_hash`` exist and understand Relay nodes.

    The base moved them to ``tvm_ffi``; 0.8 scripts call them from ``tvm.ir``.
    Relay nodes (Python objects, see :mod:`tvm.relay.expr`) go to
    :mod:`tvm.relay.structural`, everything else to ``tvm_ffi``.
    ``tvm.ir.assert_structural_equal`` is extended the same way.
    """
    import tvm  # pylint: disable=import-outside-toplevel
    import tvm_ffi  # pylint: disable=import-outside-toplevel

    if getattr(getattr(tvm.ir, "structural_equal", None), "_tvmfork_patched", False):
        return
    base_assert = tvm.ir.assert_structural_equal

    def _relay_structural(*nodes):
        from tvm.relay import structural  # pylint: disable=import-outside-toplevel
        from tvm.relay import module  # pylint: disable=import-outside-toplevel

        if all(isinstance(n, tvm.ir.IRModule) for n in nodes):
            # Modules holding Relay functions: compared function by function.
            return module if any(module.has_relay_functions(n) for n in nodes) else None
        return structural if any(structural.is_relay_node(n) for n in nodes) else None

    def structural_equal(lhs, rhs, map_free_vars=False):
        """Structural equality; Relay nodes are compared up to variable renaming."""
        relay_structural = _relay_structural(lhs, rhs)
        if relay_structural is not None:
            return relay_structural.structural_equal(lhs, rhs, map_free_vars)
        return tvm_ffi.structural_equal(lhs, rhs, map_free_vars)

    def structural_hash(node, map_free_vars=False):
        """A hash consistent with :func:`structural_equal`."""
        relay_structural = _relay_structural(node)
        if relay_structural is not None:
            return relay_structural.structural_hash(node, map_free_vars)
        return tvm_ffi.structural_hash(node, map_free_vars)

    def assert_structural_equal(lhs, rhs, map_free_vars=False):
        """Raise ``ValueError`` if ``lhs`` and ``rhs`` differ structurally."""
        relay_structural = _relay_structural(lhs, rhs)
        if relay_structural is not None:
            return relay_structural.assert_structural_equal(lhs, rhs, map_free_vars)
        return base_assert(lhs, rhs, map_free_vars)

    structural_equal._tvmfork_patched = True
    tvm.ir.structural_equal = structural_equal
    tvm.ir.structural_hash = structural_hash
    tvm.ir.assert_structural_equal = assert_structural_equal


def physical_cores():
    """Physical cores among the CPUs this process may run on (SMT siblings count once).

    Reads each allowed CPU's ``thread_siblings_list`` in sysfs; a CPU without
    topology information counts as one core. Not ``psutil.cpu_count(logical=False)``:
    it counts the whole machine's cores, ignoring the process's CPU affinity
    (a container or ``taskset`` limit).
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = list(range(os.cpu_count() or 1))
    cores = set()
    for cpu in cpus:
        try:
            with open(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list",
                      encoding="ascii") as siblings:
                cores.add(siblings.read().strip())
        except OSError:
            cores.add(f"cpu{cpu}")
    return max(1, len(cores))


def thread_pool_size():
    """Size the runtime's thread pool by physical cores (see the module docstring)."""
    if os.environ.get("TVM_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        return
    os.environ["TVM_NUM_THREADS"] = str(physical_cores())


def testing_helpers():
    """``tvm.testing`` gets 0.8's helpers that the base dropped (``uses_gpu``,
    ``parametrize_targets``, ``parameters``, ``requires_*``, ...; see
    :mod:`tvm.testing.legacy_helpers`) when it is first imported; the plugin
    ``tvm.testing.plugin`` is a module of the fork mounted there."""
    from . import overlay  # pylint: disable=import-outside-toplevel

    def add_helpers(module):
        from tvm.testing import legacy_helpers  # pylint: disable=import-outside-toplevel

        for name in legacy_helpers.NAMES:
            if not hasattr(module, name):
                setattr(module, name, getattr(legacy_helpers, name))

    overlay.on_import("tvm.testing", add_helpers)


def error_names():
    """``tvm.error.TVMError`` and ``tvm.TVMError``: 0.8's base class of TVM errors.
    Every error class of the base derives from ``RuntimeError``, so that is what
    it names."""
    import tvm  # pylint: disable=import-outside-toplevel

    if not hasattr(tvm.error, "TVMError"):
        tvm.error.TVMError = RuntimeError
    if not hasattr(tvm, "TVMError"):
        tvm.TVMError = tvm.error.TVMError


def te_size_var():
    """``te.size_var(name, dtype)``: the base has no ``SizeVar`` node; this
    makes a ``te.var`` (the simplifier does not know it is non-negative)."""
    from tvm import te  # pylint: disable=import-outside-toplevel

    if hasattr(te, "size_var"):
        return

    def size_var(name="size", dtype="int32", span=None):
        """A variable standing for a size (a plain ``te.var`` on this base)."""
        return te.var(name, dtype, span)

    te.size_var = size_var


def ffi_toplevel_names():
    """``tvm.register_func`` and ``tvm.register_object`` as in 0.8."""
    import tvm  # pylint: disable=import-outside-toplevel
    import tvm._ffi  # pylint: disable=import-outside-toplevel

    for name in ("register_func", "register_object", "get_global_func"):
        if not hasattr(tvm, name):
            setattr(tvm, name, getattr(tvm._ffi, name))


class ADT(abc.ABC):  # pylint: disable=too-few-public-methods
    """0.8's runtime tuple (``tvm.runtime.container.ADT``). The fork's
    executors return a tuple value as a Python ``list`` (vm, graph) or
    ``tuple`` (debug) of tensors; both are registered as virtual subclasses,
    so ``isinstance(value, ADT)`` holds and ``len`` / indexing work as on
    0.8's ADT."""


ADT.register(list)
ADT.register(tuple)


def runtime_container():
    """``tvm.runtime.container`` with ``ADT`` and ``tuple_object``."""
    import tvm.runtime  # pylint: disable=import-outside-toplevel

    if hasattr(tvm.runtime, "container"):
        return
    module = types.ModuleType("tvm.runtime.container", "0.8's runtime containers (see tvmfork.compat).")

    def tuple_object(fields=None):
        """A runtime tuple of ``fields`` (0.8's ``tuple_object``): a list here."""
        return list(fields or [])

    module.ADT = ADT
    module.tuple_object = tuple_object
    sys.modules["tvm.runtime.container"] = module
    tvm.runtime.container = module


def save_param_dict_bytearray():
    """``tvm.runtime.save_param_dict`` returns a ``bytearray``, as in 0.8 (the base
    returns ``bytes``; 0.8 scripts test for, or append to, a bytearray)."""
    import tvm.runtime  # pylint: disable=import-outside-toplevel
    from tvm.runtime import params  # pylint: disable=import-outside-toplevel

    base_save = params.save_param_dict
    if getattr(base_save, "_tvmfork_patched", False):
        return

    @functools.wraps(base_save)
    def save_param_dict(param_dict):
        return bytearray(base_save(param_dict))

    save_param_dict._tvmfork_patched = True
    params.save_param_dict = save_param_dict
    tvm.runtime.save_param_dict = save_param_dict


def device_compat():
    """``Device.device_type`` (0.8's name of the DLPack device type) and
    ``tvm.device("llvm")``: 0.8 mapped a target string to its device."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import runtime  # pylint: disable=import-outside-toplevel

    device_cls = type(tvm.cpu())
    if not hasattr(device_cls, "device_type"):
        device_cls.device_type = property(lambda self: int(self.dlpack_device_type()),
                                          doc="The DLPack device type (1: CPU).")
    base_device = tvm.device
    if getattr(base_device, "_tvmfork_patched", False):
        return

    @functools.wraps(base_device)
    def device(dev_type, dev_id=0):
        if isinstance(dev_type, str):
            try:
                return base_device(dev_type, dev_id)
            except ValueError:
                kind = dev_type.split()[0] if dev_type.strip() else dev_type
                found = tvm.device_from_target(kind)
                return base_device(found.dlpack_device_type(), dev_id)
        return base_device(dev_type, dev_id)

    device._tvmfork_patched = True
    tvm.device = device
    runtime.device = device


#: PassContext options of TVM 0.8 that the base does not register, with what
#: they mean here. Read them with :func:`pass_context_option`.
RELAY_PASS_CONTEXT_OPTIONS = {
    "relay.FuseOps.max_depth": "honoured: the longest chain of ops FuseOps puts in one function",
    "relay.FuseOps.link_params": "accepted: parameters are always bound as constants",
    "relay.backend.use_auto_scheduler": (
        "accepted: relay.build uses the auto-scheduler whenever an "
        "auto_scheduler.ApplyHistoryBest context is active, with or without it"
    ),
    "relay.backend.disable_compile_engine_cache": "accepted: the cache is keyed exactly",
    "relay.backend.use_meta_schedule": "accepted: MetaSchedule is not a Relay backend here",
    "relay.ToMixedPrecision.keep_orig_output_dtype": "accepted",
    "relay.fallback_device_type": "accepted: the CPU is the only device",
    "relay.frontend.fill_span": "accepted: Relay nodes carry no spans",
}

# Fork options of the PassContexts entered with ``with``, innermost last.
_FORK_OPTIONS_STACK = []
# Fork options of each PassContext made in Python, by C++ object address.
_OPTIONS_BY_CONTEXT = {}


def pass_context_option(key, default=None):
    """The value of a 0.8 Relay option (see :data:`RELAY_PASS_CONTEXT_OPTIONS`)
    in the innermost entered ``PassContext``, else ``default``."""
    for options in reversed(_FORK_OPTIONS_STACK):
        if key in options:
            return options[key]
    return default


def _renamed_tir_option(key, list_configs):
    """The base's name of 0.8's ``tir.<name>`` option (``tirx.<name>`` or
    ``s_tir.<name>``), or None when it has neither (the base then rejects it)."""
    known = {str(k) for k in list_configs()}
    rest = key[len("tir."):]
    for prefix in ("tirx.", "s_tir."):
        if prefix + rest in known:
            return prefix + rest
    return None


def pass_context_options():
    """``PassContext(config={...})`` accepts 0.8's Relay options, and 0.8's
    ``tir.*`` options under the names the base gave them (``tirx.*`` /
    ``s_tir.*``, e.g. ``tir.disable_vectorize``).

    The base rejects config keys its C++ side did not register, and Python
    cannot register new ones; the keys of :data:`RELAY_PASS_CONTEXT_OPTIONS`
    are taken out of ``config`` and kept beside the context while it is
    entered (:func:`pass_context_option` reads them). Other unknown keys are
    still rejected by the base.
    """
    from tvm.ir.transform import PassContext  # pylint: disable=import-outside-toplevel

    if getattr(PassContext.__init__, "_tvmfork_patched", False):
        return
    base_init, base_enter, base_exit = PassContext.__init__, PassContext.__enter__, PassContext.__exit__

    @functools.wraps(base_init)
    def __init__(self, opt_level=2, required_pass=None, disabled_pass=None, instruments=None,
                 config=None):
        fork_options = {}
        if config:
            config = dict(config)
            for key in list(config):
                if key in RELAY_PASS_CONTEXT_OPTIONS:
                    fork_options[key] = config.pop(key)
                elif key.startswith("tir."):
                    renamed = _renamed_tir_option(key, base_list_configs)
                    if renamed is not None:
                        config[renamed] = config.pop(key)
        base_init(self, opt_level, required_pass, disabled_pass, instruments, config or None)
        # The wrapper has no __dict__ (slots); key by the C++ object. Every new
        # context overwrites its entry, so a reused address never inherits.
        _OPTIONS_BY_CONTEXT[self.__chandle__()] = fork_options

    def __enter__(self):
        result = base_enter(self)
        _FORK_OPTIONS_STACK.append(_OPTIONS_BY_CONTEXT.get(self.__chandle__(), {}))
        return result

    def __exit__(self, ptype, value, trace):
        if _FORK_OPTIONS_STACK:
            _FORK_OPTIONS_STACK.pop()
        return base_exit(self, ptype, value, trace)

    base_list_configs = PassContext.list_configs

    def list_configs():
        """The base's registered options plus 0.8's Relay options accepted here."""
        configs = {str(k): v for k, v in base_list_configs().items()}
        for key, meaning in RELAY_PASS_CONTEXT_OPTIONS.items():
            # 0.8 registered these as Bool / Integer, whose type key is IntImm
            configs[key] = {"type": "IntImm", "description": meaning}
        return configs

    base_override = PassContext.override_instruments

    def override_instruments(self, instruments):
        """Override the context's instruments (``None`` removes them all, as 0.8)."""
        base_override(self, list(instruments) if instruments is not None else [])

    __init__._tvmfork_patched = True
    PassContext.__init__ = __init__
    PassContext.__enter__ = __enter__
    PassContext.__exit__ = __exit__
    PassContext.list_configs = staticmethod(list_configs)
    PassContext.override_instruments = override_instruments



def fork_subpackages_as_attributes():
    """``tvm.relay``, ``tvm.parser``, ``tvm.contrib.utils``, ... after a plain
    ``import tvm``.

    0.8's ``tvm/__init__.py`` imported its subpackages (and others imported
    ``tvm.contrib.utils``), so scripts write ``import tvm`` then
    ``tvm.relay.var(...)`` or ``tvm.contrib.utils.tempdir()``. The fork's
    modules of ``tvm`` and ``tvm.contrib`` are imported on first attribute
    access instead (importing Relay at every ``import tvm`` would cost every
    process its start-up time).
    """
    import importlib  # pylint: disable=import-outside-toplevel

    import tvm  # pylint: disable=import-outside-toplevel
    import tvm.contrib  # pylint: disable=import-outside-toplevel

    from .overlay import overlay_root  # pylint: disable=import-outside-toplevel

    def fork_modules(folder):
        names = set()
        for entry in os.listdir(folder):
            path = os.path.join(folder, entry)
            if os.path.isfile(os.path.join(path, "__init__.py")):
                names.add(entry)
            elif entry.endswith(".py") and not entry.startswith("_"):
                names.add(entry[:-3])
        return names

    root = overlay_root()
    for package, names in ((tvm, fork_modules(root) | {"testing"}),
                           (tvm.contrib, fork_modules(os.path.join(root, "contrib")))):
        if getattr(getattr(package, "__getattr__", None), "_tvmfork_patched", False):
            continue

        def __getattr__(name, _package=package.__name__, _names=frozenset(names)):
            if name in _names:
                return importlib.import_module(f"{_package}.{name}")
            raise AttributeError(f"module {_package!r} has no attribute {name!r}")

        __getattr__._tvmfork_patched = True
        package.__getattr__ = __getattr__


def pass_info_defaults():
    """``tvm.transform.PassInfo(opt_level, name)``: 0.8 allowed ``required``
    to be omitted or None; the base's constructor needs a list."""
    from tvm.ir.transform import PassInfo  # pylint: disable=import-outside-toplevel

    if getattr(PassInfo.__init__, "_tvmfork_patched", False):
        return
    base_init = PassInfo.__init__

    @functools.wraps(base_init)
    def __init__(self, opt_level, name, required=None, traceable=False):
        base_init(self, opt_level, name, list(required or []), traceable)

    __init__._tvmfork_patched = True
    PassInfo.__init__ = __init__


def print_ir_relay():
    """``tvm.transform.PrintIR(header="", show_meta_data=False)`` (0.8's signature)
    prints Relay text for a module holding Relay functions (the base's C++
    printer shows them as opaque metadata), with the metadata section (large
    constants) when ``show_meta_data``; other modules are printed by the base's
    pass, as before."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm.ir import transform  # pylint: disable=import-outside-toplevel

    base_print_ir = transform.PrintIR
    if getattr(base_print_ir, "_tvmfork_patched", False):
        return

    @functools.wraps(base_print_ir)
    def PrintIR(header="", show_meta_data=False):  # pylint: disable=invalid-name
        base_pass = base_print_ir(header)

        def print_module(mod, ctx):  # pylint: disable=unused-argument
            relay_module = _relay_module()
            if relay_module is None or not relay_module.has_relay_functions(mod):
                return base_pass(mod)
            sys.stderr.write(f"PrintIR({header}):\n{mod.astext(show_meta_data=show_meta_data)}\n")
            sys.stderr.flush()
            return mod

        return transform.module_pass(print_module, opt_level=0, name="PrintIR")

    PrintIR._tvmfork_patched = True
    transform.PrintIR = PrintIR
    tvm.transform.PrintIR = PrintIR


def register_op_attr_relay():
    """``tvm.ir.register_op_attr(op_name, attr_key, value=None, level=10)`` (0.8's
    signature, a decorator without ``value``) reaches the Relay operator registry
    for a Relay operator name, so ``relay.op.get(name).get_attr(attr_key)`` sees
    it; other names (the base's ``relax.*``, ``tirx.*`` ops) go to the base's
    registry as before. Relay is imported on the first call."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm.ir import op as ir_op  # pylint: disable=import-outside-toplevel

    base_register = ir_op.register_op_attr
    if getattr(base_register, "_tvmfork_patched", False):
        return

    @functools.wraps(base_register)
    def register_op_attr(op_name, attr_key, value=None, level=10):
        def _register(v):
            from tvm.relay.op import op as relay_op  # pylint: disable=import-outside-toplevel

            if op_name in relay_op.list_op_names():
                relay_op.get(op_name).set_attr(attr_key, v, level)
            else:
                base_register(op_name, attr_key, v, level)
            return v

        return _register(value) if value is not None else _register

    register_op_attr._tvmfork_patched = True
    ir_op.register_op_attr = register_op_attr
    tvm.ir.register_op_attr = register_op_attr


def _widened(base, relay_path):
    """A subclass of the base class ``base`` whose ``isinstance``/``issubclass``
    also accept the Relay class ``relay_path`` (``"module:Class"``).

    In 0.8 the Relay nodes were the ``tvm.ir`` classes themselves; here they are
    Python classes of their own (see :mod:`tvm.relay.expr`), so a 0.8 script's
    ``isinstance(gv, tvm.ir.GlobalVar)`` needs the name to cover both. The base
    class stays registered for its own objects; only the name is rebound. The
    Relay class is looked up only once Relay is imported (before that no Relay
    object exists)."""
    module_name, class_name = relay_path.split(":")

    def relay_class():
        module = sys.modules.get(module_name)
        return None if module is None else getattr(module, class_name)

    class _Meta(type(base)):
        def __instancecheck__(cls, obj):
            other = relay_class()
            return type.__instancecheck__(base, obj) or (other is not None and isinstance(obj, other))

        def __subclasscheck__(cls, sub):
            other = relay_class()
            return type.__subclasscheck__(base, sub) or (other is not None and issubclass(sub, other))

    widened = _Meta(base.__name__, (base,), {"__slots__": (), "_tvmfork_patched": True,
                                             "__doc__": base.__doc__})
    widened.__module__, widened.__qualname__ = base.__module__, base.__qualname__
    return widened


def ir_op_covers_relay_ops():
    """``tvm.ir.Op`` (and ``tvm.ir.op.Op``) also names the Relay operators, as in
    0.8 where they were one class: ``isinstance(call.op, tvm.ir.Op)`` is true for
    a Relay operator (0.8-era passes test that before reading ``call.op.name``),
    and ``tvm.ir.Op.get(name)`` returns the Relay operator of a Relay name and
    the base's operator otherwise (see :func:`_widened`)."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm.ir import op as ir_op  # pylint: disable=import-outside-toplevel

    base = ir_op.Op
    if getattr(base, "_tvmfork_patched", False):
        return
    widened = _widened(base, "tvm.relay.op.op:Op")

    def get(op_name):
        """The operator named ``op_name``: Relay's if Relay defines it, else the base's."""
        from tvm.relay.op import op as relay_op  # pylint: disable=import-outside-toplevel

        if op_name in relay_op.list_op_names():
            return relay_op.get(op_name)
        return base.get(op_name)

    widened.get = staticmethod(get)
    ir_op.Op = widened
    tvm.ir.Op = widened


#: ``tvm.ir`` classes of the base that 0.8 scripts also use for Relay nodes
_IR_CLASSES_COVERING_RELAY = {
    "GlobalVar": "tvm.relay.expr:GlobalVar",
    "Type": "tvm.relay.ty:Type",
    "FuncType": "tvm.relay.ty:FuncType",
    "TupleType": "tvm.relay.ty:TupleType",
}

#: 0.8's ``tvm.ir`` names of Relay type classes that the base no longer has
_IR_NAMES_OF_RELAY = {
    "TypeVar": "TypeVar",
    "GlobalTypeVar": "GlobalTypeVar",
    "IncompleteType": "IncompleteType",
    "TypeCall": "TypeCall",
    "TypeKind": "TypeKind",
    "TypeConstraint": "TypeConstraint",
    "TypeRelation": "TypeRelation",
    "RelayRefType": "RefType",
    "TensorType": "TensorType",
}


def ir_types_cover_relay():
    """0.8's ``tvm.ir`` type names for Relay: ``tvm.ir.GlobalVar``, ``Type``,
    ``FuncType`` and ``TupleType`` also accept the Relay classes in ``isinstance``
    (:func:`_widened`), and ``tvm.ir.TypeVar``, ``GlobalTypeVar``,
    ``IncompleteType``, ``TypeCall``, ``TypeKind``, ``TypeConstraint``,
    ``TypeRelation``, ``RelayRefType`` and ``TensorType`` name the Relay classes
    (looked up on first use, so ``import tvm`` does not import Relay)."""
    import importlib  # pylint: disable=import-outside-toplevel

    import tvm  # pylint: disable=import-outside-toplevel

    for name, relay_path in _IR_CLASSES_COVERING_RELAY.items():
        base = getattr(tvm.ir, name)
        if not getattr(base, "_tvmfork_patched", False):
            setattr(tvm.ir, name, _widened(base, relay_path))
    previous = getattr(tvm.ir, "__getattr__", None)

    def relay_type_names(name):
        if name in _IR_NAMES_OF_RELAY:
            return getattr(importlib.import_module("tvm.relay.ty"), _IR_NAMES_OF_RELAY[name])
        if previous is not None:
            return previous(name)
        raise AttributeError(f"module 'tvm.ir' has no attribute {name!r}")

    tvm.ir.__getattr__ = relay_type_names
    if not hasattr(tvm.ir, "container"):  # 0.8's module of Array and Map
        container = types.ModuleType("tvm.ir.container")
        container.Array, container.Map = tvm.ir.Array, tvm.ir.Map
        sys.modules["tvm.ir.container"] = tvm.ir.container = container


def topi_testing_v08():
    """When ``tvm.topi.testing`` is imported, :func:`tvm.topi.testing_v08.install`
    replaces its four references that call ``np.reshape(..., newshape=...)``
    (removed in NumPy 2.4) and adds ``grid_sample_nchw_python``."""
    from . import overlay  # pylint: disable=import-outside-toplevel

    def install_references(module):
        from tvm.topi import testing_v08  # pylint: disable=import-outside-toplevel

        testing_v08.install(module)

    overlay.on_import("tvm.topi.testing", install_references)


def legacy_lower_build():
    """See :mod:`tvmfork.compat_lower`."""
    from .compat_lower import legacy_lower_build as install_lower_build  # pylint: disable=import-outside-toplevel

    install_lower_build()


#: Every patch, in the order :func:`install` applies them.
PATCHES = (
    thread_pool_size,
    legacy_target_strings,
    nd_namespace,
    module_get_source,
    tir_namespace,
    irmodule_holds_relay,
    convert_keeps_relay,
    make_node_relay_attrs,
    te_tensor_dtype_as_str,
    ir_diagnostics,
    structural_relay,
    testing_helpers,
    error_names,
    te_size_var,
    ffi_toplevel_names,
    runtime_container,
    save_param_dict_bytearray,
    device_compat,
    pass_context_options,
    pass_info_defaults,
    print_ir_relay,
    register_op_attr_relay,
    ir_op_covers_relay_ops,
    ir_types_cover_relay,
    topi_testing_v08,
    fork_subpackages_as_attributes,
    legacy_lower_build,
    __import__("tvmfork.compat_vm", fromlist=["_"]).relay_vm_runtime,  # tvm.runtime.vm runs Relay executables
    __import__("tvmfork.relay_json", fromlist=["_"]).install,  # tvm.ir.save_json/load_json of Relay
    __import__("tvmfork.target_generic_func", fromlist=["_"]).install,  # tvm.target.generic_func
)


def install():
    """Apply every patch of :data:`PATCHES` once."""
    global _INSTALLED  # pylint: disable=global-statement
    if _INSTALLED:
        return
    _INSTALLED = True
    for patch in PATCHES:
        patch()
