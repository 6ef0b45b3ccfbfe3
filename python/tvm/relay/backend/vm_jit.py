"""Kernels with dynamic shapes for the Relay VM (``invoke_jit``).

0.8 lowered a primitive function with ``Any`` dimensions once, to a kernel with
symbolic shapes, and computed its output shapes at run time with the ops' shape
functions. The fork's compile engine lowers static shapes only (its TOPI and
auto-scheduler schedules are for static shapes), so the VM does this instead:
at the first call with given input shapes, the primitive function's parameters
are given those shapes, type inference gives the output shapes, and the
function is lowered by the compile engine and compiled; the kernel is cached
by input shapes and dtypes (per ``VirtualMachine``). It is lowered in the
lowering mode of that moment (``LoweringMode.for_build()``: TOPI schedules,
or tuned ones under a tuner's context active at the call). A function whose output shapes depend on the input
values (type inference leaves them dynamic, e.g. ``argwhere``) is evaluated by
the NumPy reference interpreter (:mod:`tvm.relay.reference`).
"""
import numpy as np

import tvm

from .. import ty as _ty
from ..expr import Var
from ..expr_functor import bind
from ..function import Function
from .vm_runtime import VMADT, _c_order


def is_static(ty):
    """True if every tensor in ``ty`` has integer dimensions only."""
    if isinstance(ty, _ty.TensorType):
        return all(_is_int_dim(d) for d in ty.shape)
    if isinstance(ty, _ty.TupleType):
        return all(is_static(f) for f in ty.fields)
    return False


def _is_int_dim(dim):
    if isinstance(dim, (int, np.integer)):
        return True
    return isinstance(dim, tvm.tirx.IntImm)


def _value_type(value):
    if isinstance(value, VMADT):
        return _ty.TupleType([_value_type(v) for v in value])
    return _ty.TensorType(tuple(int(d) for d in value.shape), str(value.dtype))


def specialize(func, values):
    """``func`` with its parameters typed by the runtime ``values``, type-inferred."""
    from ..module import IRModule  # pylint: disable=import-outside-toplevel
    from .. import transform  # pylint: disable=import-outside-toplevel

    params = [Var(p.name_hint, _value_type(v)) for p, v in zip(func.params, values)]
    body = bind(func.body, dict(zip(func.params, params)))
    new = Function(params, body, None, None, func.attrs)
    mod = transform.InferType()(IRModule.from_expr(new))
    return mod["main"]


def _tensor_types(ty):
    if isinstance(ty, _ty.TensorType):
        return [(tuple(int(d) for d in ty.shape), ty.dtype)]
    out = []
    for field in ty.fields:
        out.extend(_tensor_types(field))
    return out


def specialized_output_types(func, values):
    """``[(shape, dtype)]`` of the outputs of ``func`` for the runtime ``values``."""
    ret = specialize(func, values).checked_type.ret_type
    if not is_static(ret):
        raise ValueError(f"the output shape {ret} depends on the input values")
    return _tensor_types(ret)


def _nest(ty, flat):
    if isinstance(ty, _ty.TupleType):
        return VMADT(0, [_nest(f, flat) for f in ty.fields])
    return next(flat)


def _flatten(value, out):
    if isinstance(value, VMADT):
        for field in value:
            _flatten(field, out)
    else:
        out.append(value)
    return out


class _Compiled:
    __slots__ = ("kernel", "transforms", "ret_type", "outputs", "reference")

    def __init__(self, kernel=None, transforms=None, ret_type=None, outputs=None, reference=None):
        self.kernel = kernel
        self.transforms = transforms or {}
        self.ret_type = ret_type
        self.outputs = outputs
        self.reference = reference


def _compile(func, values, target):
    from .compile_engine import CompileEngine  # pylint: disable=import-outside-toplevel
    from .lowering import LoweringMode  # pylint: disable=import-outside-toplevel

    special = specialize(func, values)
    ret = special.checked_type.ret_type
    if not is_static(ret):
        return _Compiled(reference=special)
    target = tvm.target.Target(target)
    cached = CompileEngine().lower(special, target, use_topi_schedule=LoweringMode.for_build())
    kernel = tvm.compile(cached.funcs, target=target).mod[cached.func_name]
    return _Compiled(kernel, cached.input_transforms, ret, _tensor_types(ret))


def _run_reference(func, values, device):
    from ..reference.interpreter import Closure, Interpreter  # pylint: disable=import-outside-toplevel

    def to_numpy(value):
        if isinstance(value, VMADT):
            return tuple(to_numpy(v) for v in value)
        return value.numpy()

    def to_vm(value):
        if isinstance(value, tuple):
            return VMADT(0, [to_vm(v) for v in value])
        return tvm.runtime.tensor(_c_order(value), device)

    result = Interpreter().call_value(Closure(func, {}), [to_numpy(v) for v in values])
    return to_vm(result)


def run_dynamic(exe, prim_index, values, device, cache):
    """Run dynamic primitive function ``prim_index`` of ``exe`` on ``values``."""
    flat_inputs = []
    for value in values:
        _flatten(value, flat_inputs)
    key = (prim_index, tuple((tuple(v.shape), str(v.dtype)) for v in flat_inputs),
           tuple(isinstance(v, VMADT) for v in values))
    compiled = cache.get(key)
    if compiled is None:
        compiled = _compile(exe.dynamic_prims[prim_index], values, exe.target)
        cache[key] = compiled
    if compiled.reference is not None:
        return _run_reference(compiled.reference, values, device)
    args = list(flat_inputs)
    for index, transform in compiled.transforms.items():
        args[index] = transform.apply(args[index])
    outputs = [tvm.runtime.empty(shape, dtype, device) for shape, dtype in compiled.outputs]
    compiled.kernel(*args, *outputs)
    return _nest(compiled.ret_type, iter(outputs))
