"""SimplifyExpr: local algebraic rewrites that remove whole kernels.

Rules (each keeps the value and the type of the expression):

* a chain of reshape-like ops (``reshape``, ``squeeze``, ``expand_dims``,
  ``nn.batch_flatten``) with static shapes becomes one ``reshape``, or nothing
  when the final shape is the input's;
* ``transpose(transpose(x, a), b)`` becomes one transpose with the composed
  axes, or ``x`` when the composition is the identity; a chain that mixes
  transposes and ``layout_transform`` s becomes one ``layout_transform`` from
  the layout of its source to the layout of its end, a transpose when both are
  plain layouts, or nothing when they are equal (0.8's SimplifyTranspose);
* ``x + 0``, ``0 + x``, ``x - 0``, ``x * 1``, ``1 * x``, ``x / 1`` with a
  constant of zeros / ones become ``x`` when that does not change the shape or
  dtype (the constant must not broadcast ``x`` to a bigger shape);
* ``cast(x, dtype)`` to ``x``'s own dtype becomes ``x``;
* ``*_like`` ops with static types become their static forms, and ``zeros`` /
  ``ones`` / ``full`` operands of elementwise arithmetic become scalars, so the
  identity rules above apply to them (see :mod:`.simplify_full`).

Frontends emit such chains when translating layouts and shapes; each left in
place would be a kernel of its own after FuseOps when it cannot fuse.
"""
import re

import numpy as np

from ..expr import Call, Constant
from ._utils import TypedFunctionPass, TypeKeepingMutator, op_name
from .simplify_full import _LIKE_OPS, concretize_like, scalarize_full_operands

_RESHAPE_LIKE = ("reshape", "squeeze", "expand_dims", "nn.batch_flatten",
                 "contrib_reverse_reshape")
_PERMUTING = ("transpose", "layout_transform")


def _layout_axes(layout):
    """``"NCHW4c"`` -> ``["N", "C", "H", "W", "4c"]`` (one entry per tensor axis)."""
    return re.findall(r"\d*[A-Za-z]", layout)


def _chain_layouts(chain):
    """The layouts (as axis lists) at the source and at the end of a chain of
    transposes and layout transforms (``chain`` from the source outwards), or
    ``None`` when no layout transform anchors the chain or they do not agree."""
    first = next((i for i, c in enumerate(chain) if op_name(c) == "layout_transform"), None)
    if first is None:
        return None
    current = _layout_axes(chain[first].attrs.src_layout)
    for call in reversed(chain[:first]):  # back to the source through the transposes
        axes = _transpose_axes(call, len(current))
        before = [None] * len(current)
        for i, axis in enumerate(axes):
            before[axis] = current[i]
        current = before
    source = current
    for call in chain:
        if op_name(call) == "transpose":
            current = [current[a] for a in _transpose_axes(call, len(current))]
        elif _layout_axes(call.attrs.src_layout) != current:
            return None
        else:
            current = _layout_axes(call.attrs.dst_layout)
    return source, current


def _static_tensor(ty):
    if ty is None or not hasattr(ty, "shape") or ty.is_dynamic():
        return None
    return ty


def _transpose_axes(call, ndim):
    axes = call.attrs.get("axes") if call.attrs is not None else None
    if axes is None or len(axes) == 0:
        return list(reversed(range(ndim)))
    return [int(a) % ndim for a in axes]


class ExprSimplifier(TypeKeepingMutator):
    """The rewriting behind :func:`SimplifyExpr` (rewritten nodes keep their types)."""

    def visit_call(self, call):
        new = super().visit_call(call)
        if not isinstance(new, Call):
            return new
        name = op_name(new)
        if name in _LIKE_OPS:
            new = concretize_like(new, call)
            if not isinstance(new, Call):
                return new
            name = op_name(new)
        if name in ("add", "subtract", "multiply", "divide"):
            new = scalarize_full_operands(new, call)
        if name in _RESHAPE_LIKE:
            return self._reshape(new, call)
        if name in _PERMUTING:
            return self._permutation_chain(new, call)
        if name in ("add", "subtract", "multiply", "divide"):
            return self._identity_arith(new, call, name)
        if name == "cast":
            src = call.args[0]._checked_type_
            # ``new`` may be a cast made from a cast_like: its attributes hold the dtype
            if src is not None and getattr(src, "dtype", None) == new.attrs.get("dtype"):
                return new.args[0]
        return new

    def _reshape(self, new, call):
        out = _static_tensor(call._checked_type_)
        if out is None:
            return new
        source = new.args[0]
        while op_name(source) in _RESHAPE_LIKE:
            source = source.args[0]
        src = _static_tensor(source._checked_type_)
        if src is None:
            return new
        if tuple(src.shape) == tuple(out.shape):
            return source
        if source is new.args[0]:
            return new  # a single op: nothing to merge
        from ..op import transform as _otransform  # pylint: disable=import-outside-toplevel

        result = _otransform.reshape(source, list(out.shape))
        result._checked_type_ = out
        return result

    def _permutation_chain(self, new, call):
        chain = [new]
        while op_name(chain[0].args[0]) in _PERMUTING:
            chain.insert(0, chain[0].args[0])
        if all(op_name(c) == "transpose" for c in chain):
            return self._transpose(new, call)
        out = _static_tensor(call._checked_type_)
        layouts = _chain_layouts(chain) if len(chain) > 1 else None
        if out is None or layouts is None:
            return new
        source, target = layouts
        data = chain[0].args[0]
        from ..op import transform as _otransform  # pylint: disable=import-outside-toplevel

        if source == target:
            return data
        if all(len(a) == 1 for a in source + target) and sorted(source) == sorted(target):
            result = _otransform.transpose(data, [source.index(a) for a in target])
        else:
            result = _otransform.layout_transform(data, "".join(source), "".join(target))
        result._checked_type_ = out
        return result

    def _transpose(self, new, call):
        out = _static_tensor(call._checked_type_)
        if out is None:
            return new
        ndim = len(out.shape)
        axes = _transpose_axes(new, ndim)
        source = new.args[0]
        while op_name(source) == "transpose":
            inner = _transpose_axes(source, ndim)
            axes = [inner[a] for a in axes]
            source = source.args[0]
        if axes == list(range(ndim)):
            return source
        if source is new.args[0]:
            return new
        from ..op import transform as _otransform  # pylint: disable=import-outside-toplevel

        result = _otransform.transpose(source, axes)
        result._checked_type_ = out
        return result

    def _identity_arith(self, new, call, name):
        neutral = 0 if name in ("add", "subtract") else 1
        commutative = name in ("add", "multiply")
        out_type = call._checked_type_
        for const_index in (1, 0) if commutative else (1,):
            const = new.args[const_index]
            other_index = 1 - const_index
            if not isinstance(const, Constant):
                continue
            value = const.numpy()
            if value.size == 0 or not np.all(value == neutral):
                continue
            if out_type is not None and call.args[other_index]._checked_type_ == out_type:
                return new.args[other_index]
        return new


def simplify_expr(expr):
    """``expr`` with the rewrites of :func:`SimplifyExpr` applied (needs types)."""
    return ExprSimplifier().visit(expr)


def SimplifyExpr():  # pylint: disable=invalid-name
    """Remove redundant reshapes, transposes, casts and identity arithmetic
    (upstream ``relay.transform.SimplifyExpr``, ``opt_level`` 0).

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(0, "SimplifyExpr", lambda func, _mod, _ctx: simplify_expr(func))


__all__ = ["SimplifyExpr", "simplify_expr", "ExprSimplifier"]
