"""Combine parallel convolutions, dense layers and batch matmuls (0.8's
``CombineParallelConv2D``, ``CombineParallelDense``, ``CombineParallelBatchMatmul``).

Contract (upstream 0.8)
-----------------------
A *branch* starts at a call of the combined op (``nn.conv2d``, ``nn.dense``,
``nn.batch_matmul``) and goes on through the element-wise and broadcast calls
that are the single user of the previous node. Branches whose first call
shares its first argument (the data) and whose ops are compatible form a
*group*; a group of at least ``min_num_branches`` branches becomes one call:

* ``nn.conv2d`` (``groups == 1``): the kernels are concatenated along ``O``
  and ``channels`` is the sum; following ops are concatenated along the
  channel axis; each branch's result is a ``strided_slice`` (``"size"`` mode)
  of the channels it owned;
* ``nn.dense`` with ``to_batch=True``: data and weights are ``stack``-ed into
  one ``nn.batch_matmul``; following ops' other operands are stacked too (a
  1-d bias gets an ``expand_dims`` first); each branch is
  ``squeeze(split(y, n)[i], [0])``. With ``to_batch=False`` the weights are
  concatenated into one wider ``nn.dense`` and the outputs sliced (a
  size-1 last dimension of a broadcast operand is ``repeat``-ed);
* ``nn.batch_matmul`` (``transpose_a=False, transpose_b=True`` only, as
  upstream): weights concatenated along axis 1, outputs sliced.

Following ops are merged level by level while every branch has, at that
depth, the same op with equal attributes, fed by the previous node of its
branch at the same argument position, and compatible other operands.

Why one module: the three passes share the branch finder and the
level-by-level merge; each op brings only its compatibility test and its way
of building the merged call and slicing the result.
"""
from ..expr import Call, TupleGetItem, Tuple
from ..op.op import Op, OpPattern
from ..ty import TensorType
from ._utils import TypedFunctionPass, children, post_order
from ..expr_functor import ExprMutator


def _shape(expr):
    ty = expr.checked_type
    if not isinstance(ty, TensorType):
        return None
    return tuple(ty.shape)


def _dtype(expr):
    return expr.checked_type.dtype


def _same_dims(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        try:
            if int(x) != int(y):
                return False
        except TypeError:  # symbolic dimensions: the same variable
            if not (x.same_as(y) if hasattr(x, "same_as") else x == y):
                return False
    return True


def _int(dim):
    return int(dim)


def _ops():
    # imported lazily: the op library imports the passes' package
    from ..op import tensor as _tensor  # pylint: disable=import-outside-toplevel
    from ..op import transform as _transform  # pylint: disable=import-outside-toplevel
    from ..op import nn as _nn  # pylint: disable=import-outside-toplevel

    return _tensor, _transform, _nn


class _Substitute(ExprMutator):
    """Replace nodes (by identity) with new expressions, rewriting their
    replacements' inputs too (a merged call reads nodes that may themselves
    be replaced by another group)."""

    def __init__(self, mapping):
        super().__init__()
        self.mapping = mapping

    def visit(self, expr):
        replacement = self.mapping.get(id(expr))
        if replacement is not None:
            key = id(expr)
            found = self.memo_map.get(key)
            if found is not None:
                return found[1]
            result = super().visit(replacement)
            self.memo_map[key] = (expr, result)
            return result
        return super().visit(expr)


class ParallelOpCombiner:
    """Find groups of parallel branches of ``op_name`` and merge each group of
    at least ``min_num_branches`` branches (subclasses give the op rules)."""

    op_name = None

    def __init__(self, min_num_branches):
        self.min_num_branches = int(min_num_branches)

    # --- op rules -------------------------------------------------------
    def is_supported(self, call):  # pylint: disable=unused-argument
        return True

    def compatible(self, a, b):
        raise NotImplementedError()

    def arg_compatible(self, a, b, index):  # pylint: disable=unused-argument
        return True

    def make_combined(self, branches):
        raise NotImplementedError()

    def combine_following(self, data, branches, depth, parent_index):
        raise NotImplementedError()

    def outputs(self, data, branches, depth):
        """One replacement expression per branch for its node at ``depth``."""
        raise NotImplementedError()

    # --- branch search --------------------------------------------------
    def _groups(self, func):
        order = post_order(func)
        users = {}
        roots = []
        root_seen = set()
        for node in order:
            if not isinstance(node, Call):
                continue
            if self._is_root_call(node):
                data = node.args[0]
                users.setdefault(id(data), []).append(node)
                if id(data) not in root_seen:
                    root_seen.add(id(data))
                    roots.append(data)
            else:
                for arg in node.args:
                    users.setdefault(id(arg), []).append(node)
        # uses outside calls (tuples, functions...) end a branch
        for node in order:
            if isinstance(node, Call):
                continue
            for child in children(node):
                users.setdefault(id(child), []).append(node)
        groups = []
        for root in roots:
            first = len(groups)
            for call in users[id(root)]:
                if not isinstance(call, Call) or not self._is_root_call(call):
                    continue
                branch = self._branch(call, users)
                for group in groups[first:]:
                    if self.compatible(call, group[0][0]):
                        group.append(branch)
                        break
                else:
                    groups.append([branch])
        return groups

    def _is_root_call(self, node):
        return isinstance(node.op, Op) and node.op.name == self.op_name and self.is_supported(node)

    @staticmethod
    def _branch(call, users):
        branch = [call]
        while True:
            next_users = users.get(id(branch[-1]), [])
            if len(next_users) != 1:
                break
            user = next_users[0]
            if not isinstance(user, Call) or not isinstance(user.op, Op):
                break
            pattern = user.op.get_attr("TOpPattern")
            if pattern is None or pattern > OpPattern.BROADCAST:
                break
            branch.append(user)
        return branch

    # --- merging --------------------------------------------------------
    def _check_level(self, branches, depth, parent_index):
        call = branches[0][depth]
        for branch in branches[1:]:
            other = branch[depth]
            if other.op is not call.op or len(other.args) != len(call.args):
                return False
            if not _attrs_equal(other.attrs, call.attrs):
                return False
            if other.args[parent_index] is not branch[depth - 1]:
                return False
            for i in range(len(call.args)):
                if i != parent_index and not self.arg_compatible(call, other, i):
                    return False
        return True

    def _combine_group(self, branches, mapping):
        combined = self.make_combined(branches)
        depth = min(len(b) for b in branches)
        i = 1
        while i < depth:
            prev = branches[0][i - 1]
            parent_index = next(
                (k for k, arg in enumerate(branches[0][i].args) if arg is prev), None
            )
            if parent_index is None or not self._check_level(branches, i, parent_index):
                break
            combined = self.combine_following(combined, branches, i, parent_index)
            i += 1
        for branch, out in zip(branches, self.outputs(combined, branches, i - 1)):
            mapping[id(branch[i - 1])] = out

    def combine(self, func):
        """``func`` with its parallel branches merged."""
        mapping = {}
        for group in self._groups(func):
            if len(group) >= self.min_num_branches:
                self._combine_group(group, mapping)
        if not mapping:
            return func
        return _Substitute(mapping).visit(func)


def _attrs_equal(a, b):
    if a is None or b is None:
        return a is b
    return a.type_key == b.type_key and dict(a.items()) == dict(b.items())


def _out_dtype(call):
    return call.attrs.get("out_dtype", "") if call.attrs is not None else ""


class _Conv2DCombiner(ParallelOpCombiner):
    op_name = "nn.conv2d"

    def __init__(self, min_num_branches):
        super().__init__(min_num_branches)
        self.channel_pos = None

    def is_supported(self, call):
        return int(call.attrs.groups) == 1

    @staticmethod
    def _kernel_hw(call):
        layout = call.attrs.kernel_layout
        shape = _shape(call.args[1])
        return shape[layout.index("H")], shape[layout.index("W")]

    def compatible(self, a, b):
        keys = ("strides", "padding", "dilation", "groups", "data_layout", "kernel_layout",
                "out_dtype", "out_layout")
        if any(a.attrs.get(k) != b.attrs.get(k) for k in keys):
            return False
        return _same_dims(self._kernel_hw(a), self._kernel_hw(b))

    @staticmethod
    def _channels(call):
        layout = call.attrs.kernel_layout
        return _int(_shape(call.args[1])[layout.index("O")])

    def _layout(self, call):
        return call.attrs.out_layout or call.attrs.data_layout

    def make_combined(self, branches):
        _tensor, _, _ = _ops()
        root = branches[0][0]
        weights = [b[0].args[1] for b in branches]
        channels = sum(self._channels(b[0]) for b in branches)
        axis = root.attrs.kernel_layout.index("O")
        self.channel_pos = self._layout(root).index("C")
        weight = _tensor.concatenate(Tuple(weights), axis)
        return Call(root.op, [root.args[0], weight], root.attrs.with_fields(channels=channels))

    def _arg_channel_pos(self, call, index):
        out_ndim = len(_shape(call))
        return self.channel_pos - out_ndim + len(_shape(call.args[index]))

    def arg_compatible(self, a, b, index):
        ta, tb = a.args[index].checked_type, b.args[index].checked_type
        if not isinstance(ta, TensorType) or not isinstance(tb, TensorType):
            return False
        if ta.dtype != tb.dtype or len(ta.shape) != len(tb.shape):
            return False
        pos = self._arg_channel_pos(a, index)
        if pos < 0:
            return False
        if not _same_dims([ta.shape[pos]], [_shape(a)[self.channel_pos]]) or \
                not _same_dims([tb.shape[pos]], [_shape(b)[self.channel_pos]]):
            return False
        return all(_same_dims([ta.shape[i]], [tb.shape[i]])
                   for i in range(len(ta.shape)) if i != pos)

    def combine_following(self, data, branches, depth, parent_index):
        _tensor, _, _ = _ops()
        call = branches[0][depth]
        args = []
        for i, arg in enumerate(call.args):
            if i == parent_index:
                args.append(data)
                continue
            pos = self._arg_channel_pos(call, i)
            args.append(_tensor.concatenate(Tuple([b[depth].args[i] for b in branches]), pos))
        return Call(call.op, args, call.attrs)

    def outputs(self, data, branches, depth):
        _, _transform, _ = _ops()
        index = 0
        result = []
        for branch in branches:
            channels = self._channels(branch[0])
            begin = [0] * self.channel_pos + [index]
            end = [-1] * self.channel_pos + [channels]
            index += channels
            result.append(_transform.strided_slice(data, begin, end, [1] * len(begin),
                                                   slice_mode="size"))
        return result


class _BatchCombiner(ParallelOpCombiner):
    """Stack the branches' arguments into one batched op (0.8's
    ``ParallelOpBatchCombiner``)."""

    def __init__(self, op_name, batch_op_name, min_num_branches):
        super().__init__(min_num_branches)
        self.op_name = op_name
        self.batch_op_name = batch_op_name

    def compatible(self, a, b):
        if len(a.args) != len(b.args):
            return False
        for x, y in zip(a.args, b.args):
            tx, ty = x.checked_type, y.checked_type
            if tx.dtype != ty.dtype or not _same_dims(tx.shape, ty.shape):
                return False
        return True

    def make_combined(self, branches):
        _tensor, _, _ = _ops()
        args = [_tensor.stack(Tuple([b[0].args[i] for b in branches]), 0)
                for i in range(len(branches[0][0].args))]
        from ..op.op import get  # pylint: disable=import-outside-toplevel

        return Call(get(self.batch_op_name), args, None)

    def arg_compatible(self, a, b, index):
        ta, tb = a.args[index].checked_type, b.args[index].checked_type
        return ta.dtype == tb.dtype and _same_dims(ta.shape, tb.shape)

    def combine_following(self, data, branches, depth, parent_index):
        _tensor, _transform, _ = _ops()
        call = branches[0][depth]
        args = []
        for i in range(len(call.args)):
            if i == parent_index:
                args.append(data)
                continue
            fields = []
            for branch in branches:
                arg = branch[depth].args[i]
                if len(_shape(arg)) == 1:
                    arg = _transform.expand_dims(arg, 0, 1)
                fields.append(arg)
            args.append(_tensor.stack(Tuple(fields), 0))
        return Call(call.op, args, call.attrs)

    def outputs(self, data, branches, depth):
        _, _transform, _ = _ops()
        parts = _transform.split(data, len(branches), 0)
        parts = getattr(parts, "tuple_value", parts)
        return [_transform.squeeze(TupleGetItem(parts, i), [0]) for i in range(len(branches))]


class _DenseToBatchCombiner(_BatchCombiner):
    def __init__(self, min_num_branches):
        super().__init__("nn.dense", "nn.batch_matmul", min_num_branches)

    def compatible(self, a, b):
        wa, wb = _shape(a.args[1]), _shape(b.args[1])
        return _out_dtype(a) == _out_dtype(b) and _same_dims(wa, wb) and \
            super().compatible(a, b)

    def make_combined(self, branches):
        _tensor, _, _nn = _ops()
        args = [_tensor.stack(Tuple([b[0].args[i] for b in branches]), 0) for i in range(2)]
        return _nn.batch_matmul(args[0], args[1], _out_dtype(branches[0][0]), False, True)


class _DenseToDenseCombiner(ParallelOpCombiner):
    op_name = "nn.dense"

    def compatible(self, a, b):
        wa, wb = _shape(a.args[1]), _shape(b.args[1])
        return _out_dtype(a) == _out_dtype(b) and _same_dims(wa[1:], wb[1:])

    def make_combined(self, branches):
        _tensor, _, _nn = _ops()
        weights = [b[0].args[1] for b in branches]
        units = sum(_int(_shape(w)[0]) for w in weights)
        weight = _tensor.concatenate(Tuple(weights), 0)
        return _nn.dense(branches[0][0].args[0], weight, units, _out_dtype(branches[0][0]))

    def arg_compatible(self, a, b, index):
        ta, tb = a.args[index].checked_type, b.args[index].checked_type
        if ta.dtype != tb.dtype or len(ta.shape) != len(tb.shape):
            return False
        if len(_shape(a)) < len(ta.shape) or len(_shape(b)) < len(tb.shape):
            return False
        return _same_dims(ta.shape[:-1], tb.shape[:-1])

    def combine_following(self, data, branches, depth, parent_index):
        _tensor, _transform, _ = _ops()
        call = branches[0][depth]
        args = []
        for i in range(len(call.args)):
            if i == parent_index:
                args.append(data)
                continue
            ndim = len(_shape(call.args[i]))
            axis = max(ndim - 1, 0)
            fields = []
            for branch in branches:
                out_dim = _int(_shape(branch[depth].args[parent_index])[-1])
                arg = branch[depth].args[i]
                repeat = False
                if ndim == 0:
                    repeat = True
                    arg = _transform.expand_dims(arg, -1, 1)
                elif out_dim > 1 and _int(_shape(arg)[-1]) == 1:
                    repeat = True
                if repeat:
                    arg = _transform.repeat(arg, out_dim, axis)
                fields.append(arg)
            args.append(_tensor.concatenate(Tuple(fields), axis))
        return Call(call.op, args, call.attrs)

    def outputs(self, data, branches, depth):
        _, _transform, _ = _ops()
        index = 0
        result = []
        for branch in branches:
            shape = _shape(branch[depth])
            width = _int(shape[-1])
            begin = [0] * (len(shape) - 1) + [index]
            end = [-1] * (len(shape) - 1) + [width]
            index += width
            result.append(_transform.strided_slice(data, begin, end, [1] * len(begin),
                                                   slice_mode="size"))
        return result


class _BatchMatmulCombiner(ParallelOpCombiner):
    op_name = "nn.batch_matmul"

    def compatible(self, a, b):
        for call in (a, b):
            if call.attrs.get("transpose_a", False) or not call.attrs.get("transpose_b", True):
                # 0.8 only merges the (NT) form
                return False
        ra, rb = a.args[1].checked_type, b.args[1].checked_type
        return ra.dtype == rb.dtype and _dtype(a) == _dtype(b) and len(ra.shape) == 3 and \
            len(rb.shape) == 3 and _same_dims(ra.shape[:1], rb.shape[:1]) and \
            _out_dtype(a) == _out_dtype(b)

    def make_combined(self, branches):
        _tensor, _, _nn = _ops()
        root = branches[0][0]
        weight = _tensor.concatenate(Tuple([b[0].args[1] for b in branches]), 1)
        return _nn.batch_matmul(root.args[0], weight, _out_dtype(root),
                                root.attrs.get("transpose_a", False),
                                root.attrs.get("transpose_b", True))

    def combine_following(self, data, branches, depth, parent_index):
        _tensor, _, _ = _ops()
        call = branches[0][depth]
        args = []
        for i in range(len(call.args)):
            if i == parent_index:
                args.append(data)
            else:
                args.append(_tensor.concatenate(Tuple([b[depth].args[i] for b in branches]), -1))
        return Call(call.op, args, call.attrs)

    def outputs(self, data, branches, depth):
        _, _transform, _ = _ops()
        index = 0
        result = []
        for branch in branches:
            features = _int(_shape(branch[0].args[1])[1])
            result.append(_transform.strided_slice(data, [0, 0, index], [-1, -1, features],
                                                   [1, 1, 1], slice_mode="size"))
            index += features
        return result


def _pass(name, make_combiner):
    return TypedFunctionPass(4, name, lambda func, _mod, _ctx: make_combiner().combine(func))


def CombineParallelConv2D(min_num_branches=3):  # pylint: disable=invalid-name
    """Merge parallel ``nn.conv2d`` calls on one input into a single convolution
    (0.8 contract, ``opt_level`` 4; see the module docstring).

    Parameters
    ----------
    min_num_branches : int
        The fewest branches a group needs to be merged.

    Returns
    -------
    Pass
    """
    return _pass("CombineParallelConv2d", lambda: _Conv2DCombiner(min_num_branches))


def CombineParallelDense(min_num_branches=3, to_batch=True):  # pylint: disable=invalid-name
    """Merge parallel ``nn.dense`` calls on one input (0.8 contract, ``opt_level`` 4).

    Parameters
    ----------
    min_num_branches : int
        The fewest branches a group needs to be merged.
    to_batch : bool
        ``True``: one ``nn.batch_matmul`` over the stacked weights (the weights
        must have one shape); ``False``: one ``nn.dense`` over the concatenated
        weights (they may differ in ``units``).

    Returns
    -------
    Pass
    """
    if to_batch:
        return _pass("CombineParallelDense", lambda: _DenseToBatchCombiner(min_num_branches))
    return _pass("CombineParallelDense", lambda: _DenseToDenseCombiner(min_num_branches))


def CombineParallelBatchMatmul(min_num_branches=3):  # pylint: disable=invalid-name
    """Merge parallel ``nn.batch_matmul`` calls sharing their first input
    (0.8 contract, ``opt_level`` 4; only ``transpose_a=False, transpose_b=True``).

    Parameters
    ----------
    min_num_branches : int
        The fewest branches a group needs to be merged.

    Returns
    -------
    Pass
    """
    return _pass("CombineParallelBatchMatmul", lambda: _BatchMatmulCombiner(min_num_branches))


def CombineParallelOpBatch(op_name, batch_op_name, min_num_branches=3):  # pylint: disable=invalid-name
    """Stack parallel calls of ``op_name`` with equal input shapes into one
    ``batch_op_name`` call (0.8's ``CombineParallelOpBatch``, ``opt_level`` 4).

    Returns
    -------
    Pass
    """
    return _pass("CombineParallelOpBatch",
                 lambda: _BatchCombiner(op_name, batch_op_name, min_num_branches))


def BatchingOps():  # pylint: disable=invalid-name
    """The three combiners in one ``Sequential`` (conv2d, dense, batch_matmul),
    as 0.8's ``BatchingOps``; inside a ``Sequential`` each runs only at
    ``opt_level`` 4 or when required.

    Returns
    -------
    tvm.transform.Pass
    """
    import tvm  # pylint: disable=import-outside-toplevel

    return tvm.transform.Sequential(
        [CombineParallelConv2D(), CombineParallelDense(), CombineParallelBatchMatmul()]
    )


__all__ = [
    "BatchingOps",
    "CombineParallelConv2D",
    "CombineParallelDense",
    "CombineParallelBatchMatmul",
    "CombineParallelOpBatch",
]
