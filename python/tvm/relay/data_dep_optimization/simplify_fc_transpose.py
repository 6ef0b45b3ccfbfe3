"""Pre-transpose the weights of ``nn.dense(x, transpose(w, [1, 0]))``.

Models exported from frameworks that store fully-connected weights as
``(in, out)`` compute ``dense(x, transpose(w))``; when ``w`` is a parameter
the transpose can be done once on the value instead of at every run.
"""
import numpy as np

import tvm

from .. import transform
from ..analysis.fc_transpose import search_fc_transpose


def convert(func, params):
    """Rewrite ``dense(x, transpose(w, [1, 0]))`` into ``dense(x, w.T)`` (0.8's API).

    Parameters
    ----------
    func : relay.Function
        The function to rewrite.
    params : dict of str to NDArray
        Its parameters; each transposed weight ``w`` is replaced by ``w.T``
        (the dictionary is changed in place, as in 0.8).

    Returns
    -------
    new_func : relay.Function
    params : dict of str to NDArray
    """
    names = search_fc_transpose(func)
    for name in names:
        value = params[name]
        value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
        params[name + ".T"] = tvm.runtime.tensor(np.ascontiguousarray(value.T))
        del params[name]
    mod = tvm.IRModule.from_expr(func)
    mod = transform.SimplifyFCTranspose(names)(mod)
    return mod["main"], params
