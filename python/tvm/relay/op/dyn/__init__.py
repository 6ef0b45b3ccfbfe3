"""TVM 0.8's dynamic operators (``dyn.*``): the forms of reshape, zeros, tile,
topk, strided_slice, resize2d, pad, upsampling... whose shape arguments are
tensors computed at run time.

The public builders (``relay.reshape(x, relay.shape_of(y))``...) create them
when given a non-constant expression; ``relay.transform.DynamicToStatic``
turns them back into the static operators once their shape arguments are
constants. See :mod:`._ops` for the declarations.
"""
from . import _make, _ops, image, nn  # noqa: F401
from ._ops import get_dyn_op, list_dyn_ops, output_type
from ._argwhere import argwhere
from . import _reference  # noqa: F401,E402  (the interpreter's kernels)
