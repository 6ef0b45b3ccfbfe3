"""Inputs that a kernel reads in a transformed form, computed before the call.

A kernel may read a weight in another form than the one the model holds:
blocked into another layout (the x86 weight packs, MetaSchedule's
``RewriteLayout``), or transformed (the Winograd kernel ``G g G^T``). For a
constant weight the transform runs once, when the model is built; for a weight
that arrives at run time the graph runs a transform kernel before the call.
:class:`InputTransform` is what the compile engine and the graph codegen need
to do either; it is the common base of the layout rewrites
(:class:`LayoutTransform`) and of the transforms a TOPI compute declares
(:class:`PreTransform`).

**Layout rewrites.** A schedule lets a kernel read a weight in a blocked
layout by copying it in a block annotated
``meta_schedule.layout_rewrite_preproc`` (``LAYOUT_REWRITE_PREPROC``: the x86
weight packs mark their copy so, and MetaSchedule's ``RewriteLayout`` postproc
inserts one)::

    W_new[f(v0, v1)] = W[v0, v1]

:func:`take_out_layout_rewrites` removes those blocks from the scheduled
function, which then takes ``W_new`` as its parameter (the auto-scheduler's
``REWRITE_FOR_PRE_TRANSFORMED``), and returns a :class:`LayoutTransform` per
weight (the index map ``f`` and a PrimFunc ``main(W, W_new)`` doing the copy).
Every build uses this (TOPI kernels and tuned states alike), so it lives here
with the TOPI helpers and not in a tuner.

A compute declares a transform with :func:`declare_pre_transform`: it computes
the transformed tensor from the weight as an ordinary TE stage, reads a new
placeholder in its place, and marks the op that reads it. The compile engine
then calls :func:`take_out_pre_transforms`, which puts the
placeholder among the function's inputs instead of the weight, so the
kernel, its TOPI schedule and the auto-scheduler's task all take the
transformed weight as a parameter (upstream's
``conv2d_winograd_without_weight_transform``, without a Relay rewrite).
"""
import abc
import collections

import tvm
from tvm import te

from .schedule_utils import LAYOUT_REWRITE_PREPROC, all_ops, const_int, root_block

__all__ = ["InputTransform", "PreTransform", "PRE_TRANSFORM_ATTR", "declare_pre_transform",
           "take_out_pre_transforms", "LayoutTransform", "find_layout_rewrite_blocks",
           "extract_layout_transforms", "take_out_layout_rewrites"]

#: Attribute of a compute op: ``[placeholder]``, a parameter it reads that stands
#: for a tensor computed from a function input.
PRE_TRANSFORM_ATTR = "pre_transformed_input"

# placeholder op -> the transformed tensor it stands for. ``te.create_prim_func``
# accepts only tensors of the function in op attributes, so the transform
# itself is kept here, from the compute's construction to the engine's
# take-out (the same lowering). Keys hold their op alive (no address reuse);
# the oldest entries are dropped past the bound.
_DECLARED = collections.OrderedDict()
_MAX_DECLARED = 4096


class InputTransform(abc.ABC):
    """How parameter ``param_index`` of a kernel is computed from the model's tensor.

    Subclasses provide :attr:`prim_func`: ``main(W, W_new)`` writing ``W_new``.

    Attributes
    ----------
    param_index : int
    old_shape, new_shape : Tuple[int]
    dtype : str
        Of the transformed tensor.
    """

    def __init__(self, param_index, old_shape, new_shape, dtype):
        self.param_index = param_index
        self.old_shape = tuple(old_shape)
        self.new_shape = tuple(new_shape)
        self.dtype = dtype
        self._compiled = None

    @property
    @abc.abstractmethod
    def prim_func(self):
        """``main(W, W_new)``: the transform as a PrimFunc."""

    def apply(self, value):
        """Transform a tensor held in a runtime tensor on the CPU; returns a new tensor.

        The transform is compiled for the host once per object.
        """
        if tuple(int(d) for d in value.shape) != self.old_shape:
            raise ValueError("transform of parameter %d expects shape %s, got %s"
                             % (self.param_index, self.old_shape, tuple(value.shape)))
        if self._compiled is None:
            self._compiled = tvm.compile(tvm.IRModule({"main": self.prim_func}), target="llvm")["main"]
        out = tvm.runtime.empty(self.new_shape, self.dtype, tvm.cpu(0))
        self._compiled(value, out)
        return out

    def apply_numpy(self, array):
        """Transform a NumPy array; returns a NumPy array."""
        import numpy as np  # pylint: disable=import-outside-toplevel

        return self.apply(tvm.runtime.tensor(np.ascontiguousarray(array), tvm.cpu(0))).numpy()

    def __repr__(self):
        return "%s(param %d: %s -> %s)" % (type(self).__name__, self.param_index, self.old_shape,
                                          self.new_shape)


class PreTransform(InputTransform):
    """A transform declared by a compute: ``transformed`` is a TE stage of ``source``."""

    def __init__(self, param_index, source, transformed):
        super().__init__(param_index, [const_int(d) for d in source.shape],
                         [const_int(d) for d in transformed.shape], str(transformed.dtype))
        #: the placeholder op of the model's tensor
        self.old_source = source.op
        self._prim_func = te.create_prim_func([source, transformed]).with_attr("global_symbol", "main")

    @property
    def prim_func(self):
        return self._prim_func


def declare_pre_transform(transformed, name):
    """Read ``transformed`` (a TE stage of one input) as a parameter of its own.

    Parameters
    ----------
    transformed : te.Tensor
        Computed from exactly one placeholder (the weight) and constants.
    name : str
        Name of the new parameter.

    Returns
    -------
    placeholder : te.Tensor
        To read instead of ``transformed``.
    attrs : dict
        To put on the compute op that reads ``placeholder``.
    """
    placeholder = te.placeholder(transformed.shape, transformed.dtype, name=name)
    _DECLARED[placeholder.op] = transformed
    while len(_DECLARED) > _MAX_DECLARED:
        _DECLARED.popitem(last=False)
    return placeholder, {PRE_TRANSFORM_ATTR: [placeholder]}


def _placeholders(tensors):
    return [op for op in all_ops(tensors) if isinstance(op, te.PlaceholderOp)]


def take_out_pre_transforms(inputs, outputs):
    """Replace each pre-transformed input by the placeholder its kernel reads.

    Parameters
    ----------
    inputs : List[te.Tensor]
        The function's input placeholders.
    outputs : List[te.Tensor]

    Returns
    -------
    inputs : List[te.Tensor]
        The same list, with each transformed weight replaced by the
        placeholder that stands for it.
    transforms : Dict[int, PreTransform]
        By input index; empty when no op declares a transform.
    """
    declared = [placeholder for op in all_ops(outputs)
                if getattr(op, "attrs", None) is not None and PRE_TRANSFORM_ATTR in op.attrs
                for placeholder in op.attrs[PRE_TRANSFORM_ATTR]]
    if not declared:
        return list(inputs), {}
    inputs = list(inputs)
    transforms = {}
    for placeholder in declared:
        transformed = _DECLARED.get(placeholder.op)
        if transformed is None:
            raise ValueError("the transform of %s is unknown (declared in another process?)"
                             % placeholder.op.name)
        sources = _placeholders([transformed])
        if len(sources) != 1:
            raise ValueError("a pre-transform must read one input, %s reads %s"
                             % (transformed.op.name, [s.name for s in sources]))
        index = next((i for i, t in enumerate(inputs) if t.op.same_as(sources[0])), None)
        if index is None:
            raise ValueError("pre-transform %s reads %s, which is not an input of the function"
                             % (transformed.op.name, sources[0].name))
        inputs[index] = placeholder
        transforms[index] = PreTransform(index, sources[0].output(0), transformed)
    replaced = [t.old_source for t in transforms.values()]
    for op in _placeholders(outputs):
        if any(op.same_as(source) for source in replaced):
            raise ValueError("input %s is read both directly and through a pre-transform" % op.name)
    return inputs, transforms


class LayoutTransform(InputTransform):
    """How one weight parameter is rewritten: a copy into another layout.

    Attributes
    ----------
    index_map : tvm.tirx.IndexMap
        From an index of the original weight to its index in the new layout.
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


def find_layout_rewrite_blocks(func):
    """The layout-rewrite blocks (top-level blocks of the root) of a scheduled function."""
    sch = tvm.s_tir.Schedule(func)
    blocks = [sch.get(b) for b in sch.get_child_blocks(root_block(sch))]
    return [b for b in blocks if LAYOUT_REWRITE_PREPROC in b.annotations]


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
    blocks = find_layout_rewrite_blocks(func)
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
        out[idx] = LayoutTransform(idx, index_map, [const_int(d) for d in src.shape],
                                   [const_int(d) for d in store.buffer.shape], str(src.dtype))
    return out


def take_out_layout_rewrites(mod):
    """Split the layout-rewrite stages off a scheduled function.

    Parameters
    ----------
    mod : tvm.IRModule
        ``{"main": scheduled PrimFunc}``, possibly with layout-rewrite blocks.

    Returns
    -------
    func : tvm.tirx.PrimFunc
        The function without those stages: it reads each such parameter in
        its new layout.
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
