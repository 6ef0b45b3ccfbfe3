"""Weight layout rewrite: what the Relay bridge needs to pre-transform weights.

MetaSchedule's ``RewriteLayout`` postproc (the base's) lets a schedule read a
layout-free weight (``layout_free_buffers`` of ``te.create_prim_func``) in a
blocked layout; it inserts a block, annotated
``meta_schedule.layout_rewrite_preproc``, that copies the weight into the new
layout at every call::

    W_new[f(v0, v1)] = W[v0, v1]

For ``LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED`` the function built by
``ComputeDAG.apply_steps_from_state(state, REWRITE_FOR_PRE_TRANSFORMED)`` has
that block removed and takes ``W_new`` as its parameter. This module (the
fork's own) recovers, for each such weight, the index map ``f`` and a PrimFunc
``main(W, W_new)`` that performs the copy, so that constant weights can be
transformed once at build time.
"""
import tvm
from tvm import te
from tvm.topi.generic.input_transform import InputTransform

from .compute_dag import find_preproc_blocks
from .utils import get_const_tuple


class LayoutTransform(InputTransform):
    """How one weight parameter is rewritten: a copy into another layout.

    Attributes
    ----------
    param_index : int
        Index of the weight among the function's parameters (= io tensors).
    index_map : tvm.tirx.IndexMap
        From an index of the original weight to its index in the new layout.
    old_shape, new_shape : Tuple[int]
    prim_func : tvm.tirx.PrimFunc
        ``main(W, W_new)`` writing ``W_new`` from ``W``.
    """

    def __init__(self, param_index, index_map, old_shape, new_shape, dtype):
        super().__init__(param_index, old_shape, new_shape, dtype)
        self.index_map = index_map
        self._prim_func = None

    @property
    def prim_func(self):
        if self._prim_func is None:
            old = te.placeholder(self.old_shape, dtype=self.dtype, name="W")
            inverse = self.index_map.inverse([int(x) for x in self.old_shape])
            new = te.compute(self.new_shape, lambda *idx: old[tuple(inverse.map_indices(list(idx)))],
                             name="W_rewritten")
            self._prim_func = te.create_prim_func([old, new]).with_attr("global_symbol", "main")
        return self._prim_func


def extract_layout_transforms(func, param_names=None):
    """The :class:`LayoutTransform` of each weight that ``func`` rewrites.

    Parameters
    ----------
    func : tvm.tirx.PrimFunc
        A scheduled function that still contains its layout-rewrite blocks.
    param_names : Optional[List[str]]
        Buffer names of the parameters (the io tensor names), in order.

    Returns
    -------
    transforms : Dict[int, LayoutTransform]
        Keyed by parameter index.
    """
    blocks = find_preproc_blocks(func)
    if not blocks:
        return {}
    params = list(func.params)
    if param_names is None:
        param_names = [str(p.name).replace("_handle", "") for p in params]
    param_of = {name: idx for idx, name in enumerate(param_names)}
    out = {}
    for block in blocks:
        store = block.body
        if not isinstance(store, tvm.tirx.BufferStore) or not hasattr(store.value, "indices"):
            raise ValueError("unexpected layout rewrite block %s" % block.name_hint)
        load = store.value
        iter_vars = [iv.var for iv in block.iter_vars]
        if [str(i) for i in load.indices] != [str(v) for v in iter_vars]:
            raise ValueError("layout rewrite block %s does not read its weight in order" % block.name_hint)
        index_map = tvm.tirx.IndexMap(iter_vars, list(store.indices), None)
        src = load.buffer if hasattr(load, "buffer") else load.source  # TensorLoad in the base
        # the parameters are the buffers themselves in the base: match by identity
        # first (kernel arguments may share a name), by name otherwise
        idx = next((i for i, p in enumerate(params) if src.same_as(p)), param_of.get(src.name))
        if idx is None:
            raise ValueError("layout rewrite block %s reads %s, which is not a parameter"
                             % (block.name_hint, src.name))
        out[idx] = LayoutTransform(idx, index_map, get_const_tuple(src.shape), get_const_tuple(store.buffer.shape),
                                   str(src.dtype))
    return out


def take_out_layout_rewrites(mod):
    """Split the layout-rewrite stages off a scheduled function.

    Parameters
    ----------
    mod : tvm.IRModule
        ``{"main": scheduled PrimFunc}``, possibly with blocks annotated
        ``meta_schedule.layout_rewrite_preproc`` that copy a parameter into
        another layout.

    Returns
    -------
    func : tvm.tirx.PrimFunc
        The function without those stages: it reads each such parameter in
        its new layout (``REWRITE_FOR_PRE_TRANSFORMED``).
    transforms : Dict[int, LayoutTransform]
        How to put each of those parameters in its new layout, by parameter
        index; empty (and ``func`` unchanged) when nothing is rewritten.
    """
    from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock  # pylint: disable=import-outside-toplevel

    func = mod["main"]
    transforms = extract_layout_transforms(func)
    if not transforms:
        return func, {}
    return RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)["main"], transforms
