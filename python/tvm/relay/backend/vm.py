"""The Relay virtual machine (TVM 0.8's ``relay.vm`` / ``relay.backend.vm``).

::

    exe = relay.vm.compile(mod, target="llvm", params=params)
    vm = tvm.runtime.vm.VirtualMachine(exe, tvm.cpu())
    out = vm.run(x)                     # or vm.invoke("main", x)
    code, lib = exe.save()              # bytes + kernel library
    exe2 = tvm.runtime.vm.Executable.load_exec(code, lib)

The VM runs what the graph executor cannot: control flow, recursion, global
function calls, closures, algebraic data types (``match``), references and
dynamic shapes. ``compile`` optimises the module with the pipeline of
``relay.build`` (under the same lowering mode: AutoTVM or auto-scheduler
records apply), generates bytecode (:mod:`.vm_codegen`) and compiles every
kernel into one library; :mod:`.vm_runtime` runs the bytecode. How dynamic
shapes are handled (kernels lowered for the shapes met at run time, where 0.8
used shape functions) is explained in :mod:`.vm_jit`.
"""
import warnings

import numpy as np

import tvm

from ..expr import Constant, GlobalVar, RelayExpr
from ..function import Function
from ..module import IRModule
from .vm_runtime import Executable, VirtualMachine, VMADT, VMClosure, VMRef

__all__ = ["compile", "VMCompiler", "VMExecutor", "Executable", "VirtualMachine"]


def compile(mod, target=None, target_host=None, params=None):  # pylint: disable=redefined-builtin
    """Compile a Relay module to a VM :class:`Executable`.

    Parameters
    ----------
    mod : IRModule
        The module (``main`` and the functions it calls; every global function
        is compiled and can be invoked by name).
    target : str, dict or tvm.target.Target, optional
        The target of the kernels (the current target by default).
    target_host : str or tvm.target.Target, optional
        Deprecated as in 0.8 (give ``Target(target, host=...)``).
    params : dict of str to array, optional
        Values bound to the parameters of ``main`` with those names (constants).

    Returns
    -------
    Executable
    """
    if target_host is not None:
        warnings.warn(
            "target_host parameter is going to be deprecated. "
            "Please pass in tvm.target.Target(target, host=target_host) instead."
        )
    compiler = VMCompiler()
    if params:
        compiler.set_params(params)
    compiler.lower(mod, target, target_host)
    compiler.codegen()
    return compiler.get_exec()


class VMCompiler:
    """Compile a Relay module to VM bytecode and kernels (0.8's ``VMCompiler``):
    ``set_params``, then ``lower`` (optimise, generate bytecode, lower kernels),
    ``codegen`` (compile the kernels) and ``get_exec``; ``optimize`` returns the
    optimised module only."""

    def __init__(self):
        self._params = {}
        self._codegen = None
        self._target = None
        self._lib = None
        self._engine = None

    def set_params(self, params):
        """Constant values of ``main``'s parameters, by name."""
        for name, value in params.items():
            self._params[name] = value.numpy() if hasattr(value, "numpy") else np.asarray(value)

    def get_params(self):
        """The parameters set (as runtime tensors)."""
        return {name: tvm.runtime.tensor(value) for name, value in self._params.items()}

    @staticmethod
    def _resolve_target(target, target_host=None):
        from ..build_module import _normalize_target  # pylint: disable=import-outside-toplevel

        target = _normalize_target(target)
        if target_host:
            host = target_host if isinstance(target_host, tvm.target.Target) else tvm.target.Target(target_host)
            target = tvm.target.Target(target, host=host)
        return target

    def optimize(self, mod, target=None, target_host=None, params=None):
        """Optimise ``mod`` as ``lower`` does; returns ``(optimised module, params)``."""
        if params:
            self.set_params(params)
        target = self._resolve_target(target, target_host)
        mod, _ = self._optimize(_as_module(mod), target)
        return mod, self.get_params()

    def _optimize(self, mod, target):
        from ..build_module import optimize  # pylint: disable=import-outside-toplevel
        from .lowering import LoweringMode  # pylint: disable=import-outside-toplevel

        mode = LoweringMode.for_build()
        params = self._params if self._params and "main" in mod else None
        # AutoTVM's records name their workload's layout: under AutoTVM the model keeps its own
        with _without_dce_for_references(mod):
            opt_mod, _ = optimize(mod, target, params, choose_layout=not mode.uses_autotvm)
        return opt_mod, mode

    def lower(self, mod, target=None, target_host=None):
        """Optimise ``mod``, generate its bytecode and lower its kernels."""
        from .compile_engine import CompileEngine  # pylint: disable=import-outside-toplevel
        from .vm_codegen import VMCodegen  # pylint: disable=import-outside-toplevel

        target = self._resolve_target(target, target_host)
        opt_mod, mode = self._optimize(_as_module(mod), target)
        self._engine = CompileEngine()
        with target:
            self._codegen = VMCodegen(opt_mod, target, mode, self._engine).codegen()
        self._target = target
        self._lib = None

    def codegen(self):
        """Compile every kernel into one library."""
        from .vm_codegen import compile_kernels  # pylint: disable=import-outside-toplevel

        if self._codegen is None:
            raise RuntimeError("VMCompiler.codegen: call lower(mod, target) first")
        self._lib = compile_kernels(self._codegen.lowered, self._target)

    def get_exec(self):
        """The :class:`Executable` (bytecode, constants and kernel library)."""
        if self._lib is None:
            self.codegen()
        cg = self._codegen
        return Executable(cg.functions, cg.global_names, cg.packed_names, cg.constants, self._lib,
                          cg.dynamic_prims, str(self._target))


def _without_dce_for_references(mod):
    """The current PassContext, with ``DeadCodeElimination`` disabled when ``mod``
    uses references: the fork's pass drops a let-bound ``RefCreate`` that is still
    read and the ``RefWrite`` s through it (measured; a pure-program assumption),
    which would leave the VM a free variable."""
    from ..analysis import Feature, detect_feature  # pylint: disable=import-outside-toplevel

    features = set()
    for _, func in mod.functions_items():
        if isinstance(func, Function):
            features |= set(detect_feature(func))
    if not {Feature.fRefCreate, Feature.fRefWrite} & features:
        return _NullContext()
    current = tvm.transform.PassContext.current()
    return tvm.transform.PassContext(
        opt_level=current.opt_level,
        required_pass=list(current.required_pass),
        disabled_pass=list(current.disabled_pass) + ["DeadCodeElimination"],
        config=dict(current.config),
    )


class _NullContext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _as_module(mod):
    if isinstance(mod, IRModule):
        return mod
    if isinstance(mod, RelayExpr):
        return IRModule.from_expr(mod)
    raise TypeError(f"relay.vm.compile expects a relay IRModule, got {type(mod).__name__}")


class VMExecutor:
    """``relay.create_executor("vm")``: compile with :func:`compile`, run on the VM.

    ``evaluate()`` gives a callable of ``main`` (inputs by position or by
    parameter name); ``evaluate(func)`` of a function, ``evaluate(global_var)``
    of that global; any other expression is evaluated at once (as 0.8). The
    module given is not modified (0.8 replaced its ``main``).
    """

    def __init__(self, mod, device, target):
        if mod is None:
            raise RuntimeError("Must provide module to get VM executor.")
        self.mod = mod
        self.device = device
        self.target = target
        self.executable = None
        self.vm = None

    def evaluate(self, expr=None, binds=None):
        """See the class docstring."""
        from ..expr_functor import bind  # pylint: disable=import-outside-toplevel

        if binds:
            expr = bind(expr, dict(binds))
        if isinstance(expr, Constant):
            return expr.data
        if hasattr(expr, "astuple") and not isinstance(expr, RelayExpr):
            expr = expr.astuple()
        if expr is None or isinstance(expr, (Function, GlobalVar)):
            return self._make_executor(expr)
        return self._make_executor(Function([], expr))()

    def _make_executor(self, expr=None):
        mod = self.mod
        func_name = "main"
        if isinstance(expr, GlobalVar):
            func_name = expr.name_hint
        elif expr is not None:
            mod = mod.copy()
            mod["main"] = expr
        self.executable = compile(mod, self.target)
        self.vm = VirtualMachine(self.executable, self.device)
        params = self.executable.get_function_params(func_name)

        def _vm_wrapper(*args, **kwargs):
            if kwargs:
                values = list(args) + [None] * (len(params) - len(args))
                for name, value in kwargs.items():
                    if name not in params:
                        raise TypeError(f"unknown input {name!r}; the inputs are {params}")
                    values[params.index(name)] = value
                args = values
            return self.vm.invoke(func_name, *args)

        return _vm_wrapper


__all__ += ["VMADT", "VMClosure", "VMRef"]
