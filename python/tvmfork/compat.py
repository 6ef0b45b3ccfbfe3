"""Compatibility patches of base objects, for TVM 0.8-era scripts.

This is the only module of the fork that changes objects of the base wheel. Each
patch is a named function below, listed in :data:`PATCHES`, applied once by
:func:`install` (called from the ``import tvm`` hook) and tested on its own in
``tests/python/unittest/test_compat.py``.

Patches
-------
legacy_target_strings
    ``tvm.target.Target("llvm -mcpu=core-avx2 -num-cores=2")``: the base accepts
    only a kind name or the dict form; the legacy command-line form is converted
    by :func:`parse_legacy_target` with every option kept. A bare ``"llvm"`` gets
    the host CPU filled in (see :func:`parse_legacy_target`).
nd_namespace
    ``tvm.nd.array`` / ``tvm.nd.empty`` / ``tvm.nd.NDArray``: thin aliases of
    ``tvm.runtime.tensor`` / ``tvm.runtime.empty`` / ``tvm.runtime.Tensor``, plus
    ``Tensor.asnumpy`` (the 0.8 name of ``numpy()``).
tir_namespace
    ``tvm.tir``: the base renamed it ``tvm.tirx``; ``tvm.tir`` is an alias module.
irmodule_from_relay
    ``tvm.IRModule.from_expr(relay_function)`` returns a Relay ``IRModule``; any
    other argument goes to the base's ``from_expr``.
structural_relay
    ``tvm.ir.structural_equal`` / ``structural_hash`` (moved to ``tvm_ffi`` by the
    base) exist again and accept Relay nodes (Python objects, see
    :mod:`tvm.relay.expr`), delegating to :mod:`tvm.relay.structural`.
thread_pool_size
    The base runtime sizes its thread pool as half the logical CPUs on x86 (it
    assumes two hyper-threads per core), so a machine without SMT runs every
    kernel on half its cores: one thread on a 2-core VM. Unless the user set
    ``TVM_NUM_THREADS`` or ``OMP_NUM_THREADS``, ``TVM_NUM_THREADS`` is set to
    the number of physical cores this process may run on
    (:func:`physical_cores`), before the pool starts; child processes
    (measurement workers) inherit it.
"""
import functools
import os
import sys
import types

_INSTALLED = False

#: CPU name the base's LLVM reports for this machine, computed once.
_HOST_CPU = None


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
    left exactly as written, so cross compilation is never changed.

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


def nd_namespace():
    """Provide ``tvm.nd`` as a thin alias of the base runtime tensor API."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import runtime  # pylint: disable=import-outside-toplevel

    if not hasattr(runtime.Tensor, "asnumpy"):
        runtime.Tensor.asnumpy = runtime.Tensor.numpy
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


def tir_namespace():
    """Provide ``tvm.tir`` as an alias of the base's ``tvm.tirx``."""
    import tvm  # pylint: disable=import-outside-toplevel

    if "tvm.tir" in sys.modules or not hasattr(tvm, "tirx"):
        return
    sys.modules["tvm.tir"] = tvm.tirx
    for name, module in list(sys.modules.items()):
        if name.startswith("tvm.tirx."):
            sys.modules.setdefault("tvm.tir." + name[len("tvm.tirx."):], module)
    tvm.tir = tvm.tirx


def irmodule_from_relay():
    """``tvm.IRModule.from_expr`` accepts a Relay expression."""
    import tvm  # pylint: disable=import-outside-toplevel

    base_from_expr = tvm.IRModule.from_expr
    if getattr(base_from_expr, "_tvmfork_patched", False):
        return

    def from_expr(expr, functions=None, type_defs=None):
        from tvm.relay import expr as _relay_expr  # pylint: disable=import-outside-toplevel
        from tvm.relay import module as _relay_module  # pylint: disable=import-outside-toplevel

        if isinstance(expr, _relay_expr.RelayExpr):
            return _relay_module.IRModule.from_expr(expr, functions, type_defs)
        if type_defs is not None:
            raise TypeError("the base IRModule.from_expr takes no type definitions")
        if functions is None:
            return base_from_expr(expr)
        return base_from_expr(expr, functions)

    from_expr._tvmfork_patched = True
    from_expr.__doc__ = base_from_expr.__doc__
    tvm.IRModule.from_expr = staticmethod(from_expr)


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


#: Every patch, in the order :func:`install` applies them.
PATCHES = (
    thread_pool_size,
    legacy_target_strings,
    nd_namespace,
    tir_namespace,
    irmodule_from_relay,
    structural_relay,
)


def install():
    """Apply every patch of :data:`PATCHES` once."""
    global _INSTALLED  # pylint: disable=global-statement
    if _INSTALLED:
        return
    _INSTALLED = True
    for patch in PATCHES:
        patch()
