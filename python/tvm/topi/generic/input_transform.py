"""Inputs that a kernel reads in a transformed form, computed before the call.

A kernel may read a weight in another form than the one the model holds:
blocked into another layout (the x86 weight packs, MetaSchedule's
``RewriteLayout``), or transformed (the Winograd kernel ``G g G^T``). For a
constant weight the transform runs once, when the model is built; for a weight
that arrives at run time the graph runs a transform kernel before the call.
:class:`InputTransform` is what the compile engine and the graph codegen need
to do either; it is the common base of the layout rewrites
(``auto_scheduler.layout_rewrite.LayoutTransform``) and of the transforms a
TOPI compute declares (:class:`PreTransform`).

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

from .schedule_utils import all_ops, const_int

__all__ = ["InputTransform", "PreTransform", "PRE_TRANSFORM_ATTR", "declare_pre_transform",
           "take_out_pre_transforms"]

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
