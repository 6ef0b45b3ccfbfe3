"""Converters: elementwise arithmetic, reductions, matrix products, Python scalars.

In-place variants (``aten::add_``, ``aten::relu_``) convert like their
functional forms: a traced graph already refers to the in-place op's result
wherever the updated tensor is read again.

Binary arithmetic on two Python numbers (shape arithmetic of a traced graph,
``x.size(1) // heads``) is computed at conversion time.
"""
import math
import operator

import numpy as np

from ... import op as _op_registry  # noqa: F401
from .. import common
from ...op import nn as _nn
from ...op import reduce as _reduce
from ...op import tensor as _tensor
from ...op import transform as _transform
from ._helpers import dtype_of, is_expr, normalize_axis, promote, shape_of, to_expr
from ._registry import register

__all__ = []


def _inplace(*names):
    return tuple(names) + tuple(n + "_" for n in names)


# -- binary arithmetic --------------------------------------------------------------------

def _python_floordiv(a, b):
    return a // b


_PY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "floordiv": _python_floordiv, "floor_divide": _python_floordiv, "remainder": operator.mod,
    "pow": operator.pow,
}


def _binary(relay_fn, py_name):
    def convert(ctx, inputs):
        lhs, rhs = inputs[0], inputs[1]
        if not is_expr(lhs) and not is_expr(rhs):
            return _PY[py_name](lhs, rhs)
        lhs, rhs = promote(lhs, rhs, ctx.default_dtype)
        return relay_fn(lhs, rhs)

    return convert


def _add_sub(relay_fn, py_name):
    def convert(ctx, inputs):
        lhs, rhs = inputs[0], inputs[1]
        alpha = inputs[2] if len(inputs) > 2 and not isinstance(inputs[2], str) else 1
        if not is_expr(lhs) and not is_expr(rhs):
            return _PY[py_name](lhs, rhs * alpha)
        if alpha != 1:
            rhs = rhs * alpha if not is_expr(rhs) else _binary(_tensor.multiply, "mul")(
                ctx, [rhs, alpha])
        lhs, rhs = promote(lhs, rhs, ctx.default_dtype)
        return relay_fn(lhs, rhs)

    return convert


register(*_inplace("aten::add"))(_add_sub(_tensor.add, "add"))
register(*_inplace("aten::sub"))(_add_sub(_tensor.subtract, "sub"))
register(*_inplace("aten::mul"))(_binary(_tensor.multiply, "mul"))
register(*_inplace("aten::floor_divide"), "aten::floordiv")(
    _binary(_tensor.floor_divide, "floor_divide"))
register(*_inplace("aten::remainder"))(_binary(_tensor.floor_mod, "remainder"))
register(*_inplace("aten::pow"))(_binary(_tensor.power, "pow"))
register("aten::maximum")(_binary(_tensor.maximum, "maximum"))
register("aten::minimum")(_binary(_tensor.minimum, "minimum"))


@register("aten::rsub")
def _rsub(ctx, inputs):
    alpha = inputs[2] if len(inputs) > 2 else 1
    return _add_sub(_tensor.subtract, "sub")(ctx, [inputs[1], inputs[0], alpha])


@register(*_inplace("aten::div"))
def _div(ctx, inputs):
    lhs, rhs = inputs[0], inputs[1]
    mode = inputs[2] if len(inputs) > 2 else None
    if not is_expr(lhs) and not is_expr(rhs):
        value = lhs / rhs
        return math.floor(value) if mode == "floor" else (math.trunc(value) if mode else value)
    # true division of integers gives floats in torch
    if mode is None:
        if dtype_of(lhs) not in ("float16", "float32", "float64", "bfloat16") and \
                (not is_expr(rhs) or dtype_of(rhs) not in ("float16", "float32", "float64")):
            lhs = _transform.cast(to_expr(lhs), ctx.default_dtype)
        lhs, rhs = promote(lhs, rhs, ctx.default_dtype)
        return _tensor.divide(lhs, rhs)
    lhs, rhs = promote(lhs, rhs, ctx.default_dtype)
    if mode == "floor":
        return _tensor.floor_divide(lhs, rhs)
    if mode == "trunc":
        return _tensor.trunc_divide(lhs, rhs)
    raise ctx.unsupported(f"rounding_mode={mode!r}")


_COMPARE = {"aten::eq": _tensor.equal, "aten::ne": _tensor.not_equal, "aten::lt": _tensor.less,
            "aten::le": _tensor.less_equal, "aten::gt": _tensor.greater,
            "aten::ge": _tensor.greater_equal}
_PY_COMPARE = {"aten::eq": operator.eq, "aten::ne": operator.ne, "aten::lt": operator.lt,
               "aten::le": operator.le, "aten::gt": operator.gt, "aten::ge": operator.ge}


@register(*_COMPARE)
def _compare(ctx, inputs):
    lhs, rhs = inputs[0], inputs[1]
    if not is_expr(lhs) and not is_expr(rhs):
        return _PY_COMPARE[ctx.op_name](lhs, rhs)
    return _COMPARE[ctx.op_name](*promote(lhs, rhs, ctx.default_dtype))


@register("aten::logical_not")
def _logical_not(ctx, inputs):
    data = inputs[0]
    if dtype_of(data) != "bool":
        data = _transform.cast(data, "bool")
    return _tensor.logical_not(data)


@register("aten::logical_and", "aten::logical_or", "aten::logical_xor")
def _logical(ctx, inputs):
    fn = {"aten::logical_and": _tensor.logical_and, "aten::logical_or": _tensor.logical_or,
          "aten::logical_xor": _tensor.logical_xor}[ctx.op_name]
    return fn(*(_transform.cast(to_expr(v), "bool") for v in inputs[:2]))


def _nonzero(data):
    """``(n, ndim)`` int64 indices of the nonzero elements: their number is known
    only at run time (``argwhere``'s first dimension is ``Any``; the module runs on
    the VM, ``relay.create_executor("vm")``, as in 0.8)."""
    from ...op.dyn import argwhere  # pylint: disable=import-outside-toplevel

    return _transform.cast(argwhere(data), "int64")


@register("aten::nonzero")
def _nonzero_op(ctx, inputs):
    return _nonzero(inputs[0])


@register("aten::nonzero_numpy")
def _nonzero_numpy(ctx, inputs):
    indices = _nonzero(inputs[0])
    return [_transform.squeeze(_transform.strided_slice(indices, [axis], [axis + 1], axes=[1]), [1])
            for axis in range(len(shape_of(inputs[0])))]


@register("aten::where")
def _where(ctx, inputs):
    if len(inputs) == 1:  # where(condition): nonzero(condition, as_tuple=True)
        return _nonzero_numpy(ctx, inputs)
    cond, lhs, rhs = inputs[0], inputs[1], inputs[2]
    lhs, rhs = promote(lhs, rhs, ctx.default_dtype)
    return _transform.where(cond, lhs, rhs)


@register(*_inplace("aten::masked_fill"))
def _masked_fill(ctx, inputs):
    data, mask, value = inputs
    return _transform.where(mask, to_expr(value, dtype_of(data)), data)


# -- unary ------------------------------------------------------------------------------

_UNARY = {
    "aten::exp": _tensor.exp, "aten::log": _tensor.log, "aten::sqrt": _tensor.sqrt,
    "aten::rsqrt": _tensor.rsqrt, "aten::sin": _tensor.sin, "aten::cos": _tensor.cos,
    "aten::tanh": _tensor.tanh, "aten::sigmoid": _tensor.sigmoid, "aten::erf": _tensor.erf,
    "aten::abs": _tensor.abs, "aten::neg": _tensor.negative, "aten::floor": _tensor.floor,
    "aten::ceil": _tensor.ceil, "aten::round": _tensor.round, "aten::relu": _nn.relu,
    "aten::sign": _tensor.sign, "aten::tan": _tensor.tan, "aten::sinh": _tensor.sinh,
    "aten::cosh": _tensor.cosh, "aten::asin": _tensor.asin, "aten::acos": _tensor.acos,
    "aten::atan": _tensor.atan, "aten::log2": _tensor.log2, "aten::log10": _tensor.log10,
    "aten::trunc": _tensor.trunc, "aten::bitwise_not": _tensor.bitwise_not,
    "aten::isnan": _tensor.isnan, "aten::isinf": _tensor.isinf,
    "aten::isfinite": _tensor.isfinite,
}


def _log1p(data):
    return _tensor.log(_tensor.add(data, to_expr(1.0, dtype_of(data))))


def _expm1(data):
    return _tensor.subtract(_tensor.exp(data), to_expr(1.0, dtype_of(data)))


_UNARY["aten::log1p"] = _log1p
_UNARY["aten::expm1"] = _expm1


def _unary(ctx, inputs):
    name = ctx.op_name.rstrip("_")
    if name == "aten::bitwise_not" and dtype_of(inputs[0]) == "bool":
        return _tensor.logical_not(inputs[0])
    return _UNARY[name](inputs[0])


register(*_inplace(*_UNARY))(_unary)


@register(*_inplace("aten::reciprocal"))
def _reciprocal(ctx, inputs):
    data = inputs[0]
    if not dtype_of(data).startswith("float"):
        data = _transform.cast(data, ctx.default_dtype)
    return _tensor.divide(to_expr(1.0, dtype_of(data)), data)


@register(*_inplace("aten::addcmul", "aten::addcdiv"))
def _addc(ctx, inputs):
    data, first, second, value = inputs[:4]
    fn = _tensor.multiply if ctx.op_name.startswith("aten::addcmul") else _tensor.divide
    product = fn(first, second)
    if value != 1:
        product = _tensor.multiply(product, to_expr(value, dtype_of(product)))
    return _tensor.add(data, product)


@register("aten::bitwise_and", "aten::bitwise_or", "aten::bitwise_xor", "aten::__and__",
          "aten::__or__", "aten::__xor__")
def _bitwise(ctx, inputs):
    lhs, rhs = inputs[0], inputs[1]
    kind = ctx.op_name.replace("aten::", "").strip("_").replace("bitwise_", "")
    if not is_expr(lhs) and not is_expr(rhs):
        return {"and": operator.and_, "or": operator.or_, "xor": operator.xor}[kind](lhs, rhs)
    lhs, rhs = promote(lhs, rhs, ctx.default_dtype)
    if dtype_of(lhs) == "bool":
        fn = {"and": _tensor.logical_and, "or": _tensor.logical_or,
              "xor": _tensor.logical_xor}[kind]
    else:
        fn = {"and": _tensor.bitwise_and, "or": _tensor.bitwise_or,
              "xor": _tensor.bitwise_xor}[kind]
    return fn(lhs, rhs)


# -- reductions -------------------------------------------------------------------------

def _reduce_axes(dims, ndim):
    if dims is None or dims == []:
        return None
    dims = [dims] if isinstance(dims, int) else dims
    return [normalize_axis(d, ndim) for d in dims]


@register("aten::mean", "aten::sum", "aten::amax", "aten::amin", "aten::prod")
def _reduction(ctx, inputs):
    data = inputs[0]
    fn = {"aten::mean": _reduce.mean, "aten::sum": _reduce.sum, "aten::amax": _reduce.max,
          "aten::amin": _reduce.min, "aten::prod": _reduce.prod}[ctx.op_name]
    ndim = len(shape_of(data))
    if len(inputs) <= 2:  # mean(x, dtype) / sum(x, dtype): every axis
        axes, keepdims, dtype = None, False, inputs[1] if len(inputs) > 1 else None
    else:
        axes, keepdims = _reduce_axes(inputs[1], ndim), bool(inputs[2])
        dtype = inputs[3] if len(inputs) > 3 else None
    if dtype is not None:
        from ._helpers import relay_dtype  # pylint: disable=import-outside-toplevel

        data = _transform.cast(data, relay_dtype(dtype))
    elif ctx.op_name == "aten::sum" and dtype_of(data) in ("bool", "int8", "int16", "int32",
                                                            "uint8"):
        data = _transform.cast(data, "int64")  # torch sums small integers as int64
    return fn(data, axes, keepdims)


@register("aten::logsumexp")
def _logsumexp(ctx, inputs):
    data = inputs[0]
    return _reduce.logsumexp(data, _reduce_axes(inputs[1], len(shape_of(data))), bool(inputs[2]))


@register("aten::linalg_vector_norm", "aten::norm")
def _vector_norm(ctx, inputs):
    data, order = inputs[0], inputs[1]
    dims = inputs[2] if len(inputs) > 2 else None
    keepdim = bool(inputs[3]) if len(inputs) > 3 else False
    order = 2.0 if order is None else float(order)
    axes = _reduce_axes(dims, len(shape_of(data)))
    magnitude = _tensor.abs(data)
    if order == float("inf"):
        return _reduce.max(magnitude, axes, keepdim)
    if order == float("-inf"):
        return _reduce.min(magnitude, axes, keepdim)
    if order == 1.0:
        return _reduce.sum(magnitude, axes, keepdim)
    if order == 2.0:
        return _tensor.sqrt(_reduce.sum(_tensor.multiply(data, data), axes, keepdim))
    dtype = dtype_of(data)
    total = _reduce.sum(_tensor.power(magnitude, to_expr(order, dtype)), axes, keepdim)
    return _tensor.power(total, to_expr(1.0 / order, dtype))


@register("aten::max", "aten::min")
def _max_min(ctx, inputs):
    # overloads: max(self), max.other(self, other), max.dim(self, dim, keepdim) -> (values, indices)
    data = inputs[0]
    is_max = ctx.op_name == "aten::max"
    if len(inputs) == 1:
        return (_reduce.max if is_max else _reduce.min)(data)
    if len(inputs) == 2:
        return (_tensor.maximum if is_max else _tensor.minimum)(
            *promote(data, inputs[1], ctx.default_dtype))
    axis = normalize_axis(inputs[1], len(shape_of(data)))
    keepdim = bool(inputs[2])
    values = (_reduce.max if is_max else _reduce.min)(data, [axis], keepdim)
    indices = (_reduce.argmax if is_max else _reduce.argmin)(data, [axis], keepdim)
    return values, _transform.cast(indices, "int64")


@register("aten::argmax", "aten::argmin")
def _argmax(ctx, inputs):
    data, dim, keepdim = inputs[0], inputs[1], bool(inputs[2])
    fn = _reduce.argmax if ctx.op_name == "aten::argmax" else _reduce.argmin
    if dim is None:
        out = fn(_transform.reshape(data, (-1,)), [0], False)
        if keepdim:
            out = _transform.reshape(out, (1,) * len(shape_of(data)))
    else:
        out = fn(data, [normalize_axis(dim, len(shape_of(data)))], keepdim)
    return _transform.cast(out, "int64")


@register("aten::any", "aten::all")
def _any_all(ctx, inputs):
    data = inputs[0]
    if dtype_of(data) != "bool":
        data = _transform.cast(data, "bool")
    fn = _reduce.any if ctx.op_name == "aten::any" else _reduce.all
    if len(inputs) == 1:
        return fn(data)
    return fn(data, _reduce_axes(inputs[1], len(shape_of(data))), bool(inputs[2]))


@register("aten::var", "aten::std")
def _var_std(ctx, inputs):
    # overloads: (self, unbiased), (self, dim, unbiased, keepdim), (self, dim, correction, keepdim)
    data = inputs[0]
    if len(inputs) == 2:
        dims, correction, keepdim = None, inputs[1], False
    else:
        dims, correction, keepdim = inputs[1], inputs[2], bool(inputs[3])
    correction = 1 if correction is None else int(correction)
    if correction not in (0, 1):
        raise ctx.unsupported(f"correction={correction}")
    axes = _reduce_axes(dims, len(shape_of(data)))
    fn = _reduce.variance if ctx.op_name == "aten::var" else _reduce.std
    return fn(data, axes, keepdim, unbiased=bool(correction))


# -- matrix products --------------------------------------------------------------------

@register("aten::linear")
def _linear(ctx, inputs):
    data, weight, bias = inputs[0], inputs[1], inputs[2]
    if len(shape_of(weight)) == 1:  # a vector weight: x @ w
        out = _matmul(ctx, [data, weight])
    else:
        shape = shape_of(data)
        flat = data if len(shape) == 2 else _transform.reshape(data, (-1, shape[-1]))
        out = _nn.dense(flat, weight)
        if bias is not None and len(shape_of(bias)) == 1:
            out = _nn.bias_add(out, bias, axis=-1)
            bias = None
        if len(shape) != 2:
            out = _transform.reshape(out, tuple(shape[:-1]) + (shape_of(weight)[0],))
    if bias is not None:  # any other broadcastable bias
        out = _tensor.add(out, bias)
    return out


@register("aten::addmm")
def _addmm(ctx, inputs):
    bias, lhs, rhs = inputs[0], inputs[1], inputs[2]
    beta, alpha = (inputs[3], inputs[4]) if len(inputs) > 4 else (1, 1)
    out = _nn.dense(lhs, _transform.transpose(rhs, (1, 0)))
    if alpha != 1:
        out = _tensor.multiply(out, to_expr(alpha, dtype_of(out)))
    if beta != 0:
        bias = bias if beta == 1 else _tensor.multiply(bias, to_expr(beta, dtype_of(bias)))
        out = _tensor.add(out, bias)
    return out


@register("aten::mm")
def _mm(ctx, inputs):
    return _nn.dense(inputs[0], _transform.transpose(inputs[1], (1, 0)))


@register("aten::bmm")
def _bmm(ctx, inputs):
    return _nn.batch_matmul(inputs[0], inputs[1], transpose_b=False)


def batched_matmul(lhs, rhs):
    """``torch.matmul`` for operands of rank >= 2 with broadcast batch dimensions."""
    lshape, rshape = shape_of(lhs), shape_of(rhs)
    if len(rshape) == 2:
        flat = _transform.reshape(lhs, (-1, lshape[-1]))
        out = _nn.dense(flat, _transform.transpose(rhs, (1, 0)))
        return _transform.reshape(out, tuple(lshape[:-1]) + (rshape[-1],))
    batch = tuple(np.broadcast_shapes(tuple(lshape[:-2]), tuple(rshape[:-2])))
    count = int(np.prod(batch)) if batch else 1
    if tuple(lshape[:-2]) != batch:
        lhs = _transform.broadcast_to(lhs, batch + tuple(lshape[-2:]))
    if tuple(rshape[:-2]) != batch:
        rhs = _transform.broadcast_to(rhs, batch + tuple(rshape[-2:]))
    lhs3 = _transform.reshape(lhs, (count,) + tuple(lshape[-2:]))
    rhs3 = _transform.reshape(rhs, (count,) + tuple(rshape[-2:]))
    out = _nn.batch_matmul(lhs3, rhs3, transpose_b=False)
    return _transform.reshape(out, batch + (lshape[-2], rshape[-1]))


@register("aten::matmul")
def _matmul(ctx, inputs):
    lhs, rhs = inputs[0], inputs[1]
    lrank, rrank = len(shape_of(lhs)), len(shape_of(rhs))
    if lrank == 1 and rrank == 1:
        return _reduce.sum(_tensor.multiply(lhs, rhs))
    if lrank == 1:
        return _transform.squeeze(batched_matmul(_transform.expand_dims(lhs, 0), rhs), [-2])
    if lrank == 2 and rrank > 2:
        # (M, K) @ (..., K, N): one dense against all the batch's right-hand matrices
        rshape = shape_of(rhs)
        batch = tuple(rshape[:-2])
        flat = _transform.reshape(_transform.transpose(
            rhs, list(range(rrank - 2)) + [rrank - 1, rrank - 2]), (-1, rshape[-2]))
        out = _transform.reshape(_nn.dense(lhs, flat), (shape_of(lhs)[0],) + batch + (rshape[-1],))
        return _transform.transpose(out, list(range(1, rrank - 1)) + [0, rrank - 1])
    if rrank == 1:
        return _transform.squeeze(batched_matmul(lhs, _transform.expand_dims(rhs, 1)), [-1])
    return batched_matmul(lhs, rhs)


@register("aten::baddbmm")
def _baddbmm(ctx, inputs):
    bias, lhs, rhs = inputs[0], inputs[1], inputs[2]
    beta, alpha = (inputs[3], inputs[4]) if len(inputs) > 4 else (1, 1)
    out = _nn.batch_matmul(lhs, rhs, transpose_b=False)
    if alpha != 1:
        out = _tensor.multiply(out, to_expr(alpha, dtype_of(out)))
    if beta == 0:  # torch ignores the input (even NaN) when beta is 0
        return out
    if beta != 1:
        bias = _tensor.multiply(bias, to_expr(beta, dtype_of(bias)))
    return _tensor.add(out, bias)


# -- Python scalars ----------------------------------------------------------------------

@register("aten::Int", "aten::ScalarImplicit", "aten::Float", "aten::Bool", "aten::item")
def _scalar(ctx, inputs):
    """A tensor as a Python scalar: it must be known at conversion time.

    A condition computed from the model's inputs (``aten::Bool``) stays a Relay
    value, so that the ``prim::If`` reading it reports data-dependent control flow.
    """
    value = inputs[0]
    if is_expr(value):
        try:
            array = np.asarray(common.infer_value(value, {}))
        except ValueError as err:
            if ctx.op_name == "aten::Bool":
                return value
            raise ctx.unsupported("a scalar that is not known at conversion time") from err
        value = array.reshape(-1)[0].item()
    if ctx.op_name == "aten::Int":
        return int(value)
    if ctx.op_name == "aten::Bool":
        return bool(value)
    return float(value) if ctx.op_name == "aten::Float" else value
