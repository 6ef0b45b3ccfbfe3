"""``relay.vm``: 0.8's name of the Relay virtual machine module
(:mod:`tvm.relay.backend.vm`), re-exported."""
from .backend.vm import VMCompiler, VMExecutor, Executable, VirtualMachine, compile  # pylint: disable=redefined-builtin

__all__ = ["compile", "VMCompiler", "VMExecutor", "Executable", "VirtualMachine"]
