"""External code generators of partitioned functions (BYOC), and the fork's ``ccompiler``.

``relay.transform.PartitionGraph`` lifts the regions of an external code
generator into functions with a ``Compiler`` attribute. When the graph codegen
meets a call of such a function it asks :func:`lower_external` instead of the
compile engine. The fork has one external code generator, ``ccompiler`` (0.8's
example C code generator): element-wise ``add``, ``subtract`` and ``multiply``
of float32 tensors of one static shape (scalars broadcast), constants included,
one or several outputs.

How a function runs
-------------------
The function becomes C source: one loop over the elements computing every
node of the function (``<symbol>_impl_<hash>(const float*, ..., float*)``).
The source is compiled with ``tvm.support.cc`` (the base's ``tvm.contrib.cc``)
into a shared library, loaded into the process with global symbol visibility,
and the graph node calls a packed function of the kernel library named after
the function's ``global_symbol``: a TIR stub (``te.extern``) that passes its
buffers' data pointers to the C function. The hash of the source is part of the
C symbol, so two builds with functions of one name but different code in one
process never call each other's code.

For a deployable library the C source must also be inside the exported
library: the graph codegen returns the kernels' IRModule with each function's C
source module (kind ``"c"``, as 0.8's ``CSourceModule``) in its
``"external_mods"`` attribute (:func:`attach_external_modules`), and
:func:`import_external_modules` imports them into the built kernel library, so
``export_library`` compiles and links them in. 0.8 reached a code generator
through the global function ``relay.ext.<compiler>`` (a Relay function in, a
runtime module out); the fork's Relay functions are Python objects that do not
cross the FFI, so the code generators are looked up in :data:`SUPPORTED_CODEGENS`.

Where ``relay.build`` meets these functions: 0.8 inlined the partitioned
functions into ``main`` (their ``Inline`` attribute) before code generation; the
graph codegen accepts both that form (a call of a function literal with a
``Compiler`` attribute) and a call of the global function when it is given the
module.

A ``Compiler`` naming a code generator the fork does not have (``dnnl``,
``tensorrt``, ``arm_compute_lib``, ...) is an error that names it; 0.8 tests
that ask ``tvm.get_global_func("relay.ext.dnnl", True)`` see none and skip.
"""
import ctypes
import hashlib
import os
import tempfile

import numpy as np

import tvm

from .. import ty as _ty
from ..expr import Call, Constant, Tuple, TupleGetItem, Var
from ..function import Function
from ..op.op import Op

__all__ = ["is_external", "lower_external", "ExternalFunction", "attach_external_modules",
           "import_external_modules",
           "CCompilerUnsupported", "SUPPORTED_CODEGENS"]

_C_OPS = {"add": "+", "subtract": "-", "multiply": "*"}


class CCompilerUnsupported(ValueError):
    """A partitioned function holds something the ``ccompiler`` code generator cannot compile."""


def is_external(func):
    """True for a function handed to an external code generator (``Compiler`` attribute)."""
    return isinstance(func, Function) and func.get_attr("Compiler") is not None


class ExternalFunction:
    """One compiled external function.

    Attributes
    ----------
    name : str
        The packed function the graph node calls (the ``global_symbol``).
    stub : tvm.tirx.PrimFunc
        The kernel-library function ``name`` (calls the C code).
    c_source : str
        The generated C code.
    source_module : tvm.runtime.Module
        The C source as a ``"c"`` module (exported with the library).
    library_path : str
        The shared library compiled from ``c_source`` (loaded in this process).
    num_outputs : int
    """

    def __init__(self, name, stub, c_source, source_module, library_path, num_outputs):
        self.name = name
        self.stub = stub
        self.c_source = c_source
        self.source_module = source_module
        self.library_path = library_path
        self.num_outputs = num_outputs


def _tensor_type(ty, what):
    if not isinstance(ty, _ty.TensorType) or ty.is_dynamic():
        raise CCompilerUnsupported(f"ccompiler: {what} must be a tensor of static shape, got {ty}")
    if ty.dtype != "float32":
        raise CCompilerUnsupported(f"ccompiler: {what} has dtype {ty.dtype}; only float32 is supported")
    return tuple(int(d) for d in ty.shape)


def _c_float(value):
    """A C literal of a float32 value (``repr`` of its exact double value rounds
    back to the same float32)."""
    value = float(value)
    if np.isnan(value):
        return "NAN"
    if np.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    return repr(value) + "f"


class _CSource:
    """The C of one function: every node computed per element in one loop."""

    def __init__(self, func, name):
        self.func = func
        self.name = name
        self.size = None
        self.decls = []  # constant arrays
        self.lines = []  # loop body
        self.values = {}  # id(node) -> C expression of element i
        self.keep = []

    def _check_shape(self, shape, what):
        size = int(np.prod(shape)) if shape else 1
        if size == 1:
            return True
        if self.size is None:
            self.size = size
        elif self.size != size:
            raise CCompilerUnsupported(
                f"ccompiler: {what} has {size} elements, another operand {self.size}; only "
                "element-wise operations on one shape (or scalars) are supported")
        return False

    def value(self, expr):
        found = self.values.get(id(expr))
        if found is not None:
            return found
        if isinstance(expr, Var):
            raise CCompilerUnsupported(f"ccompiler: {expr.name_hint} is not a parameter")
        if isinstance(expr, Constant):
            array = expr.numpy()
            if array.dtype != np.float32:
                raise CCompilerUnsupported(f"ccompiler: a constant of dtype {array.dtype}")
            scalar = self._check_shape(array.shape, "a constant")
            cname = f"const_{len(self.decls)}"
            body = ", ".join(_c_float(v) for v in array.reshape(-1))
            self.decls.append(f"static const float {cname}[{max(array.size, 1)}] = {{{body}}};")
            text = f"{cname}[0]" if scalar else f"{cname}[i]"
        elif isinstance(expr, Call) and isinstance(expr.op, Op) and expr.op.name in _C_OPS:
            if len(expr.args) != 2:
                raise CCompilerUnsupported(f"ccompiler: {expr.op.name} with {len(expr.args)} operands")
            self._check_shape(_tensor_type(expr.checked_type, expr.op.name), expr.op.name)
            lhs, rhs = (self.value(a) for a in expr.args)
            text = f"t{len(self.lines)}"
            self.lines.append(f"    const float {text} = {lhs} {_C_OPS[expr.op.name]} {rhs};")
        else:
            what = expr.op.name if isinstance(expr, Call) and isinstance(expr.op, Op) else type(expr).__name__
            raise CCompilerUnsupported(
                f"ccompiler: cannot compile {what} (it compiles element-wise add, subtract "
                "and multiply of float32 tensors)")
        self.values[id(expr)] = text
        self.keep.append(expr)
        return text

    def generate(self):
        params = []
        for index, param in enumerate(self.func.params):
            scalar = self._check_shape(_tensor_type(param.checked_type, param.name_hint),
                                       param.name_hint)
            params.append(f"const float* in{index}")
            self.values[id(param)] = f"in{index}[0]" if scalar else f"in{index}[i]"
            self.keep.append(param)
        body = self.func.body
        outputs = list(body.fields) if isinstance(body, Tuple) else [body]
        stores = []
        for index, out in enumerate(outputs):
            if isinstance(out, TupleGetItem | Tuple):
                raise CCompilerUnsupported("ccompiler: nested tuple outputs are not supported")
            shape = _tensor_type(out.checked_type, f"output {index}")
            self._check_shape(shape, f"output {index}")
            params.append(f"float* out{index}")
            stores.append((index, self.value(out), int(np.prod(shape)) if shape else 1))
        size = self.size or 1
        for index, value, out_size in stores:
            if out_size == 1 and size != 1:
                # a scalar output computed from scalars only: written once
                self.lines.append(f"    if (i == 0) out{index}[0] = {value};")
            else:
                self.lines.append(f"    out{index}[i] = {value};")
        source = "\n".join([
            "/* generated by tvm.relay.backend.contrib_codegen (ccompiler) */",
            "#include <math.h>",
            "#include <stdint.h>",
            "#ifdef __cplusplus",
            'extern "C" {',
            "#endif",
            *self.decls,
            f"int32_t {self.name}({', '.join(params)}) {{",
            f"  for (int64_t i = 0; i < {size}; ++i) {{",
            *self.lines,
            "  }",
            "  return 0;",
            "}",
            "#ifdef __cplusplus",
            "}",
            "#endif",
            "",
        ])
        return source, len(outputs)


def ccompiler_source(func, symbol):
    """``(c_source, c_symbol, num_outputs)`` of a partitioned ``ccompiler`` function.

    The C symbol is ``<symbol>_impl_<hash of the code>``."""
    placeholder = "__TVM_CCOMPILER_FN__"
    source, num_outputs = _CSource(func, placeholder).generate()
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    c_symbol = f"{symbol}_impl_{digest}"
    return source.replace(placeholder, c_symbol), c_symbol, num_outputs


_LOADED = {}  # c_symbol -> (library path, ctypes handle): one load per code


def _compile_and_load(source, c_symbol):
    """Compile ``source`` into a shared library and load it with global symbols,
    so the kernel library's stub resolves ``c_symbol`` in this process."""
    if c_symbol in _LOADED:
        return _LOADED[c_symbol][0]
    from tvm.support import cc  # pylint: disable=import-outside-toplevel

    work = tempfile.mkdtemp(prefix="tvm_ccompiler_")
    c_path = os.path.join(work, f"{c_symbol}.c")
    so_path = os.path.join(work, f"{c_symbol}.so")
    with open(c_path, "w", encoding="utf-8") as handle:
        handle.write(source)
    try:
        cc.create_shared(so_path, [c_path], options=["-O2"], cc="gcc")
    except RuntimeError as err:
        raise RuntimeError(f"ccompiler: compiling the C code of {c_symbol} failed: {err}") from err
    handle = ctypes.CDLL(so_path, mode=ctypes.RTLD_GLOBAL)
    _LOADED[c_symbol] = (so_path, handle)
    return so_path


def _stub(func, name, c_symbol, num_outputs):
    """The kernel-library function ``name``: hands its buffers to ``c_symbol``."""
    from tvm import te, tir  # pylint: disable=import-outside-toplevel

    inputs = [te.placeholder([int(d) for d in p.checked_type.shape], "float32", f"in{i}")
              for i, p in enumerate(func.params)]
    out_types = func.body.checked_type
    out_types = list(out_types.fields) if isinstance(out_types, _ty.TupleType) else [out_types]
    shapes = [[int(d) for d in t.shape] for t in out_types]

    def call(ins, outs):
        return tir.call_extern("int32", c_symbol, *[b.data for b in ins], *[b.data for b in outs])

    outs = te.extern(shapes, inputs, call, name=f"{name}_ext", dtype=["float32"] * num_outputs)
    outs = outs if isinstance(outs, list) else [outs]
    return te.create_prim_func(inputs + outs).with_attr("global_symbol", name)


def _codegen_ccompiler(func, name):
    source, c_symbol, num_outputs = ccompiler_source(func, name)
    library = _compile_and_load(source, c_symbol)
    module = tvm.get_global_func("runtime.CSourceModuleCreate")(source, "c", [c_symbol], [])
    return ExternalFunction(name, _stub(func, name, c_symbol, num_outputs), source, module,
                            library, num_outputs)


#: external code generators the fork compiles: name -> codegen(func, symbol)
SUPPORTED_CODEGENS = {"ccompiler": _codegen_ccompiler}


def lower_external(func, name=None):
    """Compile the partitioned function ``func`` with the code generator named by
    its ``Compiler`` attribute.

    Parameters
    ----------
    func : tvm.relay.Function
        Type-checked, with ``Compiler`` (and normally ``global_symbol``) attributes.
    name : str, optional
        The packed function's name (defaults to the ``global_symbol``).

    Returns
    -------
    ExternalFunction
    """
    compiler = str(func.get_attr("Compiler"))
    name = name or func.get_attr("global_symbol")
    if not name:
        raise ValueError(f"a function for the external code generator {compiler!r} needs a "
                         "global_symbol (PartitionGraph gives one)")
    codegen = SUPPORTED_CODEGENS.get(compiler)
    if codegen is None:
        raise tvm.error.OpNotImplemented(
            f"function {name} is partitioned for the external code generator {compiler!r}, which "
            f"this fork does not provide (it has: {', '.join(sorted(SUPPORTED_CODEGENS))}); "
            "annotate for one of those, or build without partitioning for it")
    return codegen(func, str(name))


def attach_external_modules(lowered, externals):
    """``lowered`` (the kernels' IRModule) carrying the C source modules of the
    external functions as its ``"external_mods"`` attribute (the base's name for
    modules to import into the built library)."""
    if not externals:
        return lowered
    return lowered.with_attr("external_mods", [e.source_module for e in externals.values()])


def import_external_modules(runtime_module, lowered):
    """Import the external functions' C source modules carried by ``lowered``
    (see :func:`attach_external_modules`) into the built kernel library, so
    ``export_library`` compiles them into the deployable library (``tvm.compile``
    does not read that attribute)."""
    attrs = lowered.attrs
    for module in (attrs["external_mods"] if attrs is not None and "external_mods" in attrs else []):
        runtime_module.import_module(module)
    return runtime_module
