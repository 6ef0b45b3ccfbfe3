"""The Relay virtual machine's runtime: executables, values and the interpreter loop.

TVM 0.8 ran Relay VM bytecode in C++ (``tvm.runtime.vm``); the base wheel's
``tvm.runtime.vm`` is the Relax VM. The fork runs the same kind of bytecode in
Python: the work of a program is in its compiled kernels (``Executable.lib``, one
runtime module made by ``tvm.compile``), and the loop below only moves values
between registers, allocates tensors and calls kernels, so the interpretation
costs microseconds per instruction, not per element.
:mod:`tvmfork.compat_vm` makes ``tvm.runtime.vm.VirtualMachine(exe, dev)`` and
``tvm.runtime.vm.Executable`` reach the classes of this module for Relay
executables while the Relax VM keeps working.

Instructions (0.8's names; the last four are the fork's)::

    move dst src                     ret src                    fatal
    load_const dst index             load_consti dst value
    alloc_storage dst size alignment dtype
    alloc_tensor dst storage offset shape dtype
    invoke_packed index arity output_size args...   (inputs then outputs)
    reshape_tensor dst src shape     (a view: no data moves)
    alloc_adt dst tag fields...      get_field dst obj index    get_tag dst obj
    alloc_closure dst func captured...                invoke dst func args...
    invoke_closure dst closure args...
    if test target true_offset false_offset            goto offset
    invoke_jit dst prim args...      a kernel with dynamic (Any) shapes
    alloc_ref dst value   ref_read dst ref   ref_write dst ref value

Dynamic shapes: 0.8 compiled a kernel with symbolic shapes once and computed
output shapes with shape functions. Here a kernel whose types have ``Any``
dimensions is lowered, when it is first met, for the concrete input shapes of
that call (type inference gives the output shapes), compiled and cached by
shape (``invoke_jit``); a kernel whose output shape depends on the input
*values* (e.g. ``argwhere``) is evaluated by the NumPy reference interpreter.

Values in registers: ``tvm.runtime.Tensor`` for tensors, :class:`VMADT` for
tuples and constructor values (a ``list`` with a ``tag``, so 0.8's
``isinstance(v, tvm.runtime.container.ADT)``, ``len(v)`` and ``v[i]`` hold),
:class:`VMClosure`, :class:`VMRef`.
"""
import json
import struct
import time

import numpy as np

import tvm

__all__ = ["Executable", "VirtualMachine", "VMADT", "VMClosure", "VMRef", "VMFunction"]

_MAGIC = b"TVMFORK-RELAY-VM-1\n"


def _c_order(array):
    """``array`` in C order, keeping its rank (``np.ascontiguousarray`` makes 0-d arrays 1-d)."""
    array = np.asarray(array)
    return array if array.flags.c_contiguous else np.array(array, order="C")


class VMADT(list):
    """A tuple (tag 0) or a value of an algebraic data type: its fields, and ``tag``
    (the constructor's index in its type definition)."""

    __slots__ = ("tag",)

    def __init__(self, tag, fields):
        super().__init__(fields)
        self.tag = int(tag)

    @property
    def fields(self):
        """The field values (0.8's ``ADT`` was indexed directly; kept for the interpreter's name)."""
        return list(self)

    def __repr__(self):
        return f"ADT(tag={self.tag}, {list.__repr__(self)})"


class VMClosure:
    """A function value: the index of its VM function and the captured values
    (passed as the function's first parameters)."""

    __slots__ = ("func_index", "captured")

    def __init__(self, func_index, captured):
        self.func_index = func_index
        self.captured = list(captured)


class VMRef:
    """A reference cell (``RefCreate``); 0.8's VM had none, the fork's runs them."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class VMFunction:
    """One function of the bytecode.

    Attributes
    ----------
    name : str
    params : list of str
        Parameter names (captured variables first for a lifted closure).
    instructions : list of tuple
        ``(opcode, operands...)``; see the module docstring.
    register_file_size : int
    """

    def __init__(self, name, params, instructions, register_file_size):
        self.name = name
        self.params = list(params)
        self.instructions = list(instructions)
        self.register_file_size = int(register_file_size)

    def to_json(self):
        return {"name": self.name, "params": self.params, "regs": self.register_file_size,
                "code": [list(i) for i in self.instructions]}

    @staticmethod
    def from_json(data):
        code = [tuple(_untuple(x) for x in inst) for inst in data["code"]]
        return VMFunction(data["name"], data["params"], code, data["regs"])


def _untuple(value):
    return tuple(value) if isinstance(value, list) else value


def _fmt(inst):
    """0.8-like text of one instruction."""
    op, ops = inst[0], inst[1:]

    def regs(values):
        return ", ".join(f"${r}" for r in values)

    if op == "move":
        return f"move ${ops[0]} ${ops[1]}"
    if op == "ret":
        return f"ret ${ops[0]}"
    if op == "fatal":
        return "fatal"
    if op == "load_const":
        return f"load_const ${ops[0]} Const[{ops[1]}]"
    if op == "load_consti":
        return f"load_consti ${ops[0]} {ops[1]}"
    if op == "alloc_storage":
        return f"alloc_storage ${ops[0]} {ops[1]} {ops[2]} {ops[3]}"
    if op == "alloc_tensor":
        return f"alloc_tensor ${ops[0]} ${ops[1]} {ops[2]} {list(ops[3])} {ops[4]}"
    if op == "invoke_packed":
        index, arity, nout, args = ops[0], ops[1], ops[2], ops[3]
        return (f"invoke_packed PackedFunc[{index}] (in: {regs(args[:arity - nout])}, "
                f"out: {regs(args[arity - nout:])})")
    if op == "reshape_tensor":
        shape = f"${ops[2]}" if ops[2] is not None else f"shape_of(PrimFunc[{ops[3]}])"
        return f"reshape_tensor ${ops[0]} ${ops[1]} {shape}"
    if op == "alloc_adt":
        return f"alloc_data ${ops[0]} tag({ops[1]}) [{regs(ops[2])}]"
    if op == "get_field":
        return f"get_field ${ops[0]} ${ops[1]}[{ops[2]}]"
    if op == "get_tag":
        return f"get_tag ${ops[0]} ${ops[1]}"
    if op == "alloc_closure":
        return f"alloc_closure ${ops[0]} VMFunc[{ops[1]}]({regs(ops[2])})"
    if op == "invoke":
        return f"invoke ${ops[0]} VMFunc[{ops[1]}]({regs(ops[2])})"
    if op == "invoke_closure":
        return f"invoke_closure ${ops[0]} ${ops[1]}({regs(ops[2])})"
    if op == "if":
        return f"if ${ops[0]} ${ops[1]} {ops[2]} {ops[3]}"
    if op == "goto":
        return f"goto {ops[0]}"
    if op == "invoke_jit":
        return f"invoke_jit ${ops[0]} PrimFunc[{ops[1]}]({regs(ops[2])})"
    if op == "alloc_ref":
        return f"alloc_ref ${ops[0]} ${ops[1]}"
    if op == "ref_read":
        return f"ref_read ${ops[0]} ${ops[1]}"
    if op == "ref_write":
        return f"ref_write ${ops[0]} ${ops[1]} ${ops[2]}"
    return " ".join(str(x) for x in inst)


class Executable:
    """A compiled Relay program (0.8's ``tvm.runtime.vm.Executable``).

    Made by ``relay.vm.compile``; :meth:`save` / :meth:`load_exec` round-trip it
    through bytes plus the kernel library.

    Attributes
    ----------
    functions : list of VMFunction
        The bytecode; the module's globals first, then lifted closures.
    global_names : list of str
        Names of the module's global functions (``globals``).
    packed_names : list of str
        Kernel symbols in ``lib``, by ``invoke_packed`` index.
    constants_list : list of numpy.ndarray
    dynamic_prims : list of relay.Function
        Primitive functions with dynamic shapes (``invoke_jit``), lowered at run time.
    target : str
        The target of the kernels (the one ``invoke_jit`` lowers for).
    """

    _is_relay_vm_executable = True

    def __init__(self, functions, global_names, packed_names, constants, lib,
                 dynamic_prims=(), target="llvm"):
        self.functions = list(functions)
        self.global_names = list(global_names)
        self.packed_names = list(packed_names)
        self.constants_list = list(constants)
        self._lib = lib
        self.dynamic_prims = list(dynamic_prims)
        self.target = str(target)
        self._function_params = {}

    # -- 0.8's accessors --------------------------------------------------------
    @property
    def lib(self):
        """The runtime module holding every kernel."""
        return self._lib

    @property
    def mod(self):
        """0.8's raw executable module. Here the kernel library: the bytecode is
        not part of a runtime module (``save`` gives it), so a VM cannot be made
        from this module alone (e.g. over RPC)."""
        return self._lib

    module = mod

    @property
    def globals(self):
        """Names of the global functions."""
        return list(self.global_names)

    @property
    def primitive_ops(self):
        """Names of the kernels (``invoke_packed`` targets)."""
        return list(self.packed_names)

    @property
    def bytecode(self):
        """The bytecode as text: per function ``VM Function[i]: name(params)``, the
        register file size, the instruction count and one instruction a line."""
        lines = []
        for index, func in enumerate(self.functions):
            lines.append(f"VM Function[{index}]: {func.name}({', '.join(func.params)})")
            lines.append(f"# reg file size = {func.register_file_size}")
            lines.append(f"# instruction count = {len(func.instructions)}")
            lines.append("opcode, fields # inst(text):")
            for pc, inst in enumerate(func.instructions):
                lines.append(f" {pc}: {_fmt(inst)}")
            lines.append("")
        return "\n".join(lines)

    @property
    def constants(self):
        """One line per constant: its index, shape and dtype."""
        return "\n".join(
            f"Const[{i}]: shape={tuple(c.shape)} dtype={c.dtype}" for i, c in enumerate(self.constants_list)
        )

    @property
    def stats(self):
        """Counts and sizes of the executable's parts."""
        const_bytes = sum(c.nbytes for c in self.constants_list)
        lines = [
            "Relay VM executable statistics:",
            f"  Constant shapes (#{len(self.constants_list)}, {const_bytes} bytes): "
            + str([tuple(c.shape) for c in self.constants_list]),
            f"  Globals (#{len(self.global_names)}): {self.global_names}",
            f"  Primitive ops (#{len(self.packed_names)}): {self.packed_names}",
            f"  Dynamic-shape kernels (#{len(self.dynamic_prims)})",
            f"  VM functions (#{len(self.functions)}), instructions: "
            + str(sum(len(f.instructions) for f in self.functions)),
        ]
        return "\n".join(lines)

    def get_function_params(self, func_name):
        """Parameter names of a global function."""
        if func_name not in self._function_params:
            self._function_params[func_name] = list(self.functions[self.function_index(func_name)].params)
        return self._function_params[func_name]

    def function_index(self, func_name):
        """Index of the global function ``func_name``."""
        for index, func in enumerate(self.functions):
            if func.name == func_name and index < len(self.global_names):
                return index
        raise ValueError(f"the executable has no function {func_name!r} (globals: {self.global_names})")

    # -- serialisation ------------------------------------------------------------
    def save(self):
        """``(bytecode, lib)``: the bytecode, constants and dynamic-shape functions as
        one ``bytearray``, and the kernel library (``lib.export_library(path)``).

        Format: a magic line, a 4-byte length, a JSON header (functions, names,
        constant shapes and dtypes, the dynamic-shape functions in the Relay text
        format), then the constants' bytes (C order) one after the other.
        """
        blobs = [_c_order(c) for c in self.constants_list]
        dynamic_text = None
        if self.dynamic_prims:
            from tvm.relay.module import IRModule  # pylint: disable=import-outside-toplevel
            from tvm.relay.expr import GlobalVar  # pylint: disable=import-outside-toplevel

            mod = IRModule({GlobalVar(f"dyn{i}"): f for i, f in enumerate(self.dynamic_prims)})
            dynamic_text = mod.astext()
        header = {
            "functions": [f.to_json() for f in self.functions],
            "globals": self.global_names,
            "packed": self.packed_names,
            "constants": [[list(b.shape), str(b.dtype)] for b in blobs],
            "dynamic": dynamic_text,
            "num_dynamic": len(self.dynamic_prims),
            "target": self.target,
        }
        head = json.dumps(header).encode()
        out = bytearray(_MAGIC)
        out += struct.pack("<Q", len(head))
        out += head
        for blob in blobs:
            out += blob.tobytes()
        return out, self._lib

    @staticmethod
    def load_exec(bytecode, lib):
        """An executable from what :meth:`save` returned (``lib`` may have gone through
        ``export_library`` / ``tvm.runtime.load_module``)."""
        if isinstance(bytecode, str):
            bytecode = bytecode.encode("latin-1")
        if not isinstance(bytecode, (bytes, bytearray, memoryview)):
            raise TypeError(f"bytecode is expected to be a bytearray, but received {type(bytecode)}")
        if lib is not None and not isinstance(lib, tvm.runtime.Module):
            raise TypeError(f"lib is expected to be a tvm.runtime.Module, but received {type(lib)}")
        data = bytes(bytecode)
        if not data.startswith(_MAGIC):
            raise ValueError("not a Relay VM executable saved by this version of the fork")
        pos = len(_MAGIC)
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        pos += 8
        header = json.loads(data[pos:pos + length].decode())
        pos += length
        constants = []
        for shape, dtype in header["constants"]:
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            nbytes = count * np.dtype(dtype).itemsize
            constants.append(np.frombuffer(data[pos:pos + nbytes], dtype=dtype).reshape(shape).copy())
            pos += nbytes
        dynamic = []
        if header.get("dynamic"):
            from tvm import parser  # pylint: disable=import-outside-toplevel

            mod = parser.parse(header["dynamic"])
            dynamic = [mod[f"dyn{i}"] for i in range(header["num_dynamic"])]
        functions = [VMFunction.from_json(f) for f in header["functions"]]
        return Executable(functions, header["globals"], header["packed"], constants, lib, dynamic,
                          header.get("target", "llvm"))


# ---------------------------------------------------------------------- inputs
def _convert(arg, device):
    """An input as a VM value (0.8's ``convert``): NumPy arrays and scalars become
    tensors (Python ``int``/``bool`` int32, ``float`` float32), lists and tuples
    become tuples."""
    if isinstance(arg, (VMADT, VMClosure, VMRef)):
        return arg
    if isinstance(arg, tvm.runtime.Tensor):
        return arg
    if isinstance(arg, np.ndarray):
        return tvm.runtime.tensor(_c_order(arg), device)
    if isinstance(arg, np.generic):
        return tvm.runtime.tensor(np.asarray(arg), device)
    if isinstance(arg, (bool, int)):
        return tvm.runtime.tensor(np.array(arg, dtype="int32"), device)
    if isinstance(arg, float):
        return tvm.runtime.tensor(np.array(arg, dtype="float32"), device)
    if isinstance(arg, (list, tuple)):
        return VMADT(0, [_convert(a, device) for a in arg])
    if hasattr(arg, "numpy") and callable(arg.numpy):
        return tvm.runtime.tensor(np.asarray(arg.numpy()), device)
    if hasattr(arg, "tag") and hasattr(arg, "fields"):  # the interpreter's ConstructorValue
        return VMADT(arg.tag, [_convert(a, device) for a in arg.fields])
    raise TypeError(f"Unsupported type: {type(arg)}")


def _flatten_tensors(value, out):
    if isinstance(value, VMADT):
        for field in value:
            _flatten_tensors(field, out)
    else:
        out.append(value)
    return out


class _Storage:
    """``alloc_storage``'s result: a size and dtype. Each ``alloc_tensor`` allocates
    its own tensor (the naive allocator; 0.8's pooled allocator and storage
    sharing are not reproduced)."""

    __slots__ = ("size", "dtype")

    def __init__(self, size, dtype):
        self.size = size
        self.dtype = dtype


class _Timer:
    """What ``VirtualMachine.module`` offers of 0.8's VM module: ``time_evaluator``
    of its ``invoke`` functions, timed in Python with ``time.perf_counter``
    (after one warm-up call), returning a ``BenchmarkResult`` like the base's."""

    def __init__(self, vm):
        self._vm = vm

    def time_evaluator(self, func_name, dev, number=10, repeat=1, min_repeat_ms=0, **_):
        del dev
        functions = {
            "invoke": lambda name: self._vm.invoke(name),
            "invoke_return_to_device": lambda name, _t, _i, *args: self._vm.invoke(name, *args),
        }
        if func_name not in functions:
            raise AttributeError(f"the Relay VM has no function {func_name!r}")
        call = functions[func_name]

        def evaluator(*args):
            call(*args)
            results = []
            for _ in range(repeat):
                runs = max(1, number)
                while True:
                    start = time.perf_counter()
                    for _ in range(runs):
                        call(*args)
                    elapsed = time.perf_counter() - start
                    if elapsed * 1000 >= (min_repeat_ms or 0):
                        break
                    runs *= 2
                results.append(elapsed / runs)
            return tvm.runtime.module.BenchmarkResult(results)

        return evaluator


class VirtualMachine:
    """Run a Relay :class:`Executable` (0.8's ``tvm.runtime.vm.VirtualMachine``).

    Parameters
    ----------
    exe : Executable
    device : tvm.runtime.Device or list of Device
        Tensors are allocated on the first device (kernels are compiled for the
        executable's target; the CPU here).
    memory_cfg : str or dict, optional
        Accepted for 0.8's signature (``"naive"`` / ``"pooled"``); tensors are
        allocated one by one (naive) either way.
    """

    NAIVE_ALLOCATOR = 1
    POOLED_ALLOCATOR = 2

    def __init__(self, exe, device, memory_cfg=None):
        if not getattr(exe, "_is_relay_vm_executable", False):
            raise TypeError(
                f"exe is expected to be a Relay VM Executable, but received {type(exe)}; a "
                "runtime module alone does not carry the bytecode here (use Executable.save / "
                "load_exec)"
            )
        if isinstance(memory_cfg, str) and memory_cfg not in ("naive", "pooled"):
            raise ValueError(f"memory_cfg must be 'naive' or 'pooled', got {memory_cfg!r}")
        devices = list(device) if isinstance(device, (list, tuple)) else [device]
        if not devices or not isinstance(devices[0], tvm.runtime.Device):
            raise TypeError("dev is expected to be Device or List[Device]")
        self._exec = exe
        self.device = devices[0]
        self.module = _Timer(self)
        self._constants = [tvm.runtime.tensor(c, self.device) for c in exe.constants_list]
        lib = exe.lib
        self._packed = [lib[name] for name in exe.packed_names] if exe.packed_names else []
        self._inputs = {}
        self._outputs = None
        self._jit_cache = {}
        self._reshape_cache = {}

    # -- 0.8's API -------------------------------------------------------------------
    def set_input(self, func_name, *args, **kwargs):
        """Set the inputs of ``func_name`` (positional, or by parameter name)."""
        params = self._exec.get_function_params(func_name)
        if kwargs:
            values = [None] * len(params)
            given = 0
            for name, value in kwargs.items():
                if name in params:
                    values[params.index(name)] = value
                    given += 1
            if len(args) + given != len(params):
                raise TypeError(f"{func_name} takes {len(params)} inputs ({params}), got "
                                f"{len(args)} positional and {given} named")
            pending = iter(args)
            values = [next(pending) if v is None else v for v in values]
            args = values
        if len(args) != len(params):
            raise TypeError(f"{func_name} takes {len(params)} inputs ({params}), got {len(args)}")
        self._inputs[func_name] = [_convert(a, self.device) for a in args]

    def invoke(self, func_name, *args, **kwargs):
        """Run ``func_name`` on ``args`` (or on the inputs set before); returns its value."""
        if args or kwargs:
            self.set_input(func_name, *args, **kwargs)
        inputs = self._inputs.get(func_name)
        if inputs is None:
            if self._exec.get_function_params(func_name):
                raise ValueError(f"no inputs given for {func_name}")
            inputs = []
        return self._run(self._exec.function_index(func_name), list(inputs))

    def run(self, *args, **kwargs):
        """Run ``main``."""
        return self.invoke("main", *args, **kwargs)

    def invoke_stateful(self, func_name, *args, **kwargs):
        """Run ``func_name`` and keep its result for :meth:`get_outputs`."""
        self._outputs = self.invoke(func_name, *args, **kwargs)

    def get_outputs(self):
        """The outputs of the last :meth:`invoke_stateful`: a tuple's fields, or the one tensor."""
        if self._outputs is None:
            return []
        if isinstance(self._outputs, VMADT):
            return list(self._outputs)
        return [self._outputs]

    def get_input_index(self, input_name, func_name="main"):
        """Index of input ``input_name`` of ``func_name``, -1 if there is none."""
        params = self._exec.get_function_params(func_name)
        return params.index(input_name) if input_name in params else -1

    def benchmark(self, device, *args, func_name="main", repeat=5, number=5, min_repeat_ms=None,
                  end_to_end=False, **kwargs):
        """Time ``func_name`` (0.8's ``benchmark``): ``repeat`` results, each the mean
        of ``number`` runs; returns a ``tvm.runtime.module.BenchmarkResult``.

        The inputs are set once before timing; ``end_to_end=True`` passes them
        with every run (their conversion is then timed too).
        """
        min_repeat_ms = 0 if min_repeat_ms is None else min_repeat_ms
        if end_to_end:
            packed = list(args)
            for name, value in kwargs.items():
                index = self.get_input_index(name, func_name)
                if index < 0:
                    raise TypeError(f"{func_name}() got an unexpected keyword argument '{name}'")
                while index >= len(packed):
                    packed.append(None)
                packed[index] = value
            return self.module.time_evaluator(
                "invoke_return_to_device", device, repeat=repeat, number=number,
                min_repeat_ms=min_repeat_ms,
            )(func_name, device.device_type, device.index, *packed)
        if args or kwargs:
            self.set_input(func_name, *args, **kwargs)
        return self.module.time_evaluator(
            "invoke", device, repeat=repeat, number=number, min_repeat_ms=min_repeat_ms
        )(func_name)

    # -- the interpreter loop ------------------------------------------------------------
    def _run(self, func_index, args):
        """Run VM function ``func_index`` on ``args``.

        Calls (``invoke``, ``invoke_closure``) push a frame on an explicit stack
        rather than recursing in Python, so recursive Relay programs may go as
        deep as memory allows (0.8's VM kept its frames the same way).
        """
        exe = self._exec
        functions = exe.functions
        dev = self.device
        constants = self._constants
        packed = self._packed
        stack = []  # caller frames: (func, code, regs, pc of the call, destination register)
        func = code = regs = None
        pc = 0

        def enter(index, call_args):
            callee = functions[index]
            if len(call_args) != len(callee.params):
                raise TypeError(f"{callee.name} takes {len(callee.params)} arguments, got {len(call_args)}")
            frame = [None] * max(callee.register_file_size, len(call_args))
            frame[:len(call_args)] = call_args
            return callee, callee.instructions, frame

        func, code, regs = enter(func_index, list(args))
        while True:
            inst = code[pc]
            op = inst[0]
            if op == "invoke_packed":
                flat = []
                for r in inst[4]:
                    _flatten_tensors(regs[r], flat)
                packed[inst[1]](*flat)
            elif op == "alloc_tensor":
                regs[inst[1]] = tvm.runtime.empty(tuple(inst[4]), inst[5], dev)
            elif op == "alloc_storage":
                regs[inst[1]] = _Storage(inst[2], inst[4])
            elif op == "move":
                regs[inst[1]] = regs[inst[2]]
            elif op == "load_const":
                regs[inst[1]] = constants[inst[2]]
            elif op == "ret":
                value = regs[inst[1]]
                if not stack:
                    return value
                func, code, regs, pc, dst = stack.pop()
                regs[dst] = value
            elif op == "alloc_adt":
                regs[inst[1]] = VMADT(inst[2], [regs[r] for r in inst[3]])
            elif op == "get_field":
                regs[inst[1]] = regs[inst[2]][inst[3]]
            elif op == "get_tag":
                regs[inst[1]] = regs[inst[2]].tag
            elif op == "load_consti":
                regs[inst[1]] = inst[2]
            elif op == "if":
                pc += inst[3] if _scalar(regs[inst[1]]) == _scalar(regs[inst[2]]) else inst[4]
                continue
            elif op == "goto":
                pc += inst[1]
                continue
            elif op in ("invoke", "invoke_closure"):
                if op == "invoke":
                    index, call_args = inst[2], [regs[r] for r in inst[3]]
                else:
                    clo = regs[inst[2]]
                    if not isinstance(clo, VMClosure):
                        raise TypeError(f"invoke_closure of a {type(clo).__name__}")
                    index, call_args = clo.func_index, clo.captured + [regs[r] for r in inst[3]]
                stack.append((func, code, regs, pc, inst[1]))  # ``ret`` resumes after the call
                func, code, regs = enter(index, call_args)
                pc = 0
                continue
            elif op == "alloc_closure":
                regs[inst[1]] = VMClosure(inst[2], [regs[r] for r in inst[3]])
            elif op == "reshape_tensor":
                regs[inst[1]] = self._reshape(regs[inst[2]], inst[3], inst[4], regs)
            elif op == "invoke_jit":
                regs[inst[1]] = self._invoke_jit(inst[2], [regs[r] for r in inst[3]])
            elif op == "alloc_ref":
                regs[inst[1]] = VMRef(regs[inst[2]])
            elif op == "ref_read":
                regs[inst[1]] = regs[inst[2]].value
            elif op == "ref_write":
                regs[inst[2]].value = regs[inst[3]]
                regs[inst[1]] = VMADT(0, [])
            elif op == "fatal":
                raise tvm.error.TVMError(f"{func.name}: reached a fatal instruction "
                                         "(no clause of a match applies)")
            else:
                raise ValueError(f"unknown VM instruction {op!r}")
            pc += 1

    def _reshape(self, tensor, shape_reg, prim_index, regs):
        if shape_reg is not None:
            shape = tuple(int(v) for v in regs[shape_reg].numpy().reshape(-1))
        else:
            key = (prim_index, tuple(tensor.shape), str(tensor.dtype))
            shape = self._reshape_cache.get(key)
            if shape is None:
                from .vm_jit import specialized_output_types  # pylint: disable=import-outside-toplevel

                ((shape, _),) = specialized_output_types(self._exec.dynamic_prims[prim_index], [tensor])
                self._reshape_cache[key] = shape
        try:
            return tensor._create_view(shape)  # pylint: disable=protected-access
        except Exception:  # pylint: disable=broad-except
            return tvm.runtime.tensor(tensor.numpy().reshape(shape), self.device)

    def _invoke_jit(self, prim_index, args):
        from .vm_jit import run_dynamic  # pylint: disable=import-outside-toplevel

        return run_dynamic(self._exec, prim_index, args, self.device, self._jit_cache)


def _scalar(value):
    if isinstance(value, tvm.runtime.Tensor):
        return value.numpy().reshape(-1)[0].item()
    return value
