"""Reference kernels of the QNN operators for ``relay.reference`` (the interpreter and
``FoldConstant``): each evaluates the operator's canonical form (:func:`.transform.lower_call`)
on its constant arguments, so the reference and the compiled graph share one definition."""
import numpy as np

from ..expr import Call, Constant, Tuple
from ..op import get as _get_op
from ..reference.ops.registry import register_kernel
from ..transform.type_infer import infer_type
from .transform import lower_call

QNN_OPS = ("qnn.quantize", "qnn.dequantize", "qnn.requantize", "qnn.conv2d", "qnn.dense",
           "qnn.conv2d_transpose", "qnn.batch_matmul", "qnn.add", "qnn.subtract", "qnn.mul",
           "qnn.concatenate")


def _constant(value):
    if isinstance(value, tuple | list):
        return Tuple([_constant(v) for v in value])
    return Constant(np.asarray(value))


def _kernel(op_name):
    def kernel(attrs, args):
        from ..reference import eval_expr  # pylint: disable=import-outside-toplevel

        call = Call(_get_op(op_name), [_constant(a) for a in args], attrs)
        infer_type(call)
        return eval_expr(lower_call(call, list(call.args)))

    kernel.__name__ = op_name.replace(".", "_")
    return kernel


for _name in QNN_OPS:
    register_kernel(_name)(_kernel(_name))
