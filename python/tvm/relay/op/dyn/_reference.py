"""NumPy reference kernels of the dynamic operators, for the reference interpreter.

A dynamic call is evaluated as the static call it stands for: its shape
arguments' values (known at run time) go through the op's ``to_static`` (the
same function ``DynamicToStatic`` uses), and the static operator's reference
kernel runs on the remaining arguments. So ``dyn.reshape(x, s)`` computes
exactly ``reshape(x, newshape=s)``.

The kernels are registered in :mod:`tvm.relay.reference.ops.registry` from here
(the op library knows its dynamic ops; the interpreter's registry is open to
them).
"""
import numpy as np

from ...expr import Constant, TupleWrapper, Var
from ...reference.ops.registry import register_kernel, run_op
from ._ops import get_dyn_op, list_dyn_ops


def _run_dynamic(op_name, attrs, args):
    spec = get_dyn_op(op_name)
    placeholders = [Var(f"arg{i}") for i in range(len(args))]
    values = {i: np.asarray(args[i]) for i in spec.shape_args}
    static = spec.to_static(attrs, placeholders, values)
    if isinstance(static, TupleWrapper):
        static = static.astuple()
    static_args = []
    for arg in static.args:
        index = next((i for i, p in enumerate(placeholders) if p is arg), None)
        if index is not None:
            static_args.append(args[index])
        elif isinstance(arg, Constant):
            static_args.append(arg.numpy())
        else:
            raise TypeError(f"{op_name}: cannot evaluate the static form's argument {arg}")
    return run_op(static.op.name, static.attrs, static_args)


def _make_kernel(op_name):
    def kernel(attrs, args):
        return _run_dynamic(op_name, attrs, args)

    kernel.__name__ = "_" + op_name.replace(".", "_")
    return kernel


for _name in list_dyn_ops():
    register_kernel(_name)(_make_kernel(_name))
