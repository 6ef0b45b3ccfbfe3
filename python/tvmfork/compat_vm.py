"""``tvm.runtime.vm`` runs Relay executables too (TVM 0.8's Relay VM API).

A patch of :mod:`tvmfork.compat` (``relay_vm_runtime``), in its own module.

The base wheel's ``tvm.runtime.vm`` is the Relax VM; 0.8 scripts and tests use
the same module names for the Relay VM::

    exe = relay.vm.compile(mod, "llvm")
    vm = tvm.runtime.vm.VirtualMachine(exe, tvm.cpu())
    exe2 = tvm.runtime.vm.Executable.load_exec(code, lib)

The patch replaces ``tvm.runtime.vm.VirtualMachine`` by a subclass of the
base's class whose constructor hands a Relay executable (an object with
``_is_relay_vm_executable``, see :mod:`tvm.relay.backend.vm_runtime`) to the
Relay VM and anything else to the base's Relax VM, unchanged. It adds
``tvm.runtime.vm.Executable`` (the base has no class of that name there),
resolved on first use so that ``import tvm`` does not import Relay. Code that
imported the base's class directly (``tvm.relax.VirtualMachine``) keeps it.
"""


def relay_vm_runtime():
    """Install the Relay-aware ``VirtualMachine`` and ``Executable`` in ``tvm.runtime.vm``."""
    import tvm.runtime.vm as rt_vm  # pylint: disable=import-outside-toplevel

    if getattr(rt_vm, "_tvmfork_relay_vm", False):
        return
    base_vm = rt_vm.VirtualMachine

    class VirtualMachine(base_vm):  # pylint: disable=too-few-public-methods
        """The base's (Relax) VM; given a Relay executable, the Relay VM
        (:class:`tvm.relay.backend.vm_runtime.VirtualMachine`)."""

        def __new__(cls, exe, *args, **kwargs):
            if getattr(exe, "_is_relay_vm_executable", False):
                from tvm.relay.backend.vm_runtime import (  # pylint: disable=import-outside-toplevel
                    VirtualMachine as RelayVirtualMachine,
                )

                return RelayVirtualMachine(exe, *args, **kwargs)
            return super().__new__(cls)

    VirtualMachine.__module__ = base_vm.__module__
    VirtualMachine.__qualname__ = base_vm.__qualname__
    base_getattr = rt_vm.__dict__.get("__getattr__")

    def __getattr__(name):  # PEP 562: module attributes resolved on first use
        if name == "Executable":
            from tvm.relay.backend.vm_runtime import Executable  # pylint: disable=import-outside-toplevel

            return Executable
        if base_getattr is not None:
            return base_getattr(name)
        raise AttributeError(f"module 'tvm.runtime.vm' has no attribute {name!r}")

    rt_vm.VirtualMachine = VirtualMachine
    rt_vm.__getattr__ = __getattr__
    rt_vm._tvmfork_relay_vm = True  # pylint: disable=protected-access
