"""``argwhere``: the indices of the non-zero elements of a tensor (0.8's
``relay.argwhere``), an operator whose output shape depends on its input's values.

Its type is ``Tensor[(?, ndim), int32]`` whatever the input's shape; only an
executor that allocates at run time can run it (the reference interpreter, and
``create_executor("vm")`` through it). It sits with the dynamic operators for that
reason; unlike them it has no static form.
"""
import numpy as np

from ...ty import Any, TensorType
from ...reference.ops.registry import register_kernel
from .._util import define, make_call
from ..op import OpPattern, register_stateful
from ..type_relations import tensor_arg


def _argwhere_rel(arg_types, attrs):
    del attrs
    data = tensor_arg(arg_types, 0, "condition")
    return TensorType((Any(), len(data.shape)), "int32")


define("argwhere", _argwhere_rel, OpPattern.OPAQUE, None, 1, "",
       "the indices of the non-zero elements of a tensor")
register_stateful("argwhere", False)


@register_kernel("argwhere")
def _argwhere_kernel(_attrs, args):
    return np.argwhere(np.asarray(args[0])).astype("int32").reshape(-1, np.ndim(args[0]))


def argwhere(condition):
    """The indices of the non-zero elements of ``condition``.

    Parameters
    ----------
    condition : relay.Expr
        A tensor of any rank and dtype.

    Returns
    -------
    result : relay.Expr
        ``(number of non-zero elements, rank)`` int32 indices, in row-major order
        (``argwhere([[True, False], [False, True]]) = [[0, 0], [1, 1]]``).
    """
    return make_call("argwhere", [condition])
