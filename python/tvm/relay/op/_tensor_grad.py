"""Gradients of the op library (``"FPrimalGradient"``), used by ``relay.transform.gradient``.

Each gradient is ``fgrad(orig, grad) -> [adjoint per argument]`` where ``orig``
is the type-checked call and ``grad`` the adjoint of its output (see
:func:`tvm.relay.op.register_gradient`). They are written with Relay operators
only, so a gradient program runs on every executor. Conventions:

* binary broadcast ops sum the adjoint back to each operand's shape with
  ``collapse_sum_like``;
* gather-like ops (``take``, ``strided_slice``, ``gather_nd``, ``repeat``,
  ``tile``, ``reverse``, ...) share one rule: the op applied to the element
  positions of its input (a constant ``arange``) says where each output
  element came from, and ``scatter_add`` sends the adjoint back there
  (duplicates add up);
* pooling gradients are transposed convolutions with a constant kernel
  (average pools) or with one one-hot kernel per window position fed by the
  positions that hold the window's maximum (max pools), so no extra operator
  is needed;
* non-differentiable arguments (indices, conditions, shapes, integer data)
  get zeros.
Layouts: convolution and pooling gradients support the NCHW / OIHW layouts.
"""
import numpy as np

from ..expr import Call, Tuple, TupleGetItem, const
from ..ty import TupleType
from .op import list_op_names, register_gradient as _register_gradient
from . import tensor as _t
from . import transform as _tr
from . import reduce as _r
from .nn import nn as _nn

# ----------------------------------------------------------------- helpers

_KNOWN = set(list_op_names())


def register_gradient(op_name, fgradient=None, level=10):
    """:func:`~tvm.relay.op.register_gradient` for the ops this fork declares (others skipped)."""
    if op_name not in _KNOWN:
        return fgradient if fgradient is not None else (lambda func: func)
    return _register_gradient(op_name, fgradient, level)


def _shape(expr):
    return [int(d) for d in expr.checked_type.shape]


def _dtype(expr):
    return expr.checked_type.dtype


def _scalar(value, like):
    return const(np.array(value, dtype=_dtype(like)))


def _slice(data, begin, end, axes=None, strides=None):
    """strided_slice with the strides always spelled out (one per sliced axis)."""
    count = len(axes) if axes is not None else len(begin)
    strides = list(strides) if strides is not None else [1] * count
    return _tr.strided_slice(data, list(begin), list(end), strides, axes=axes)


def _zeros(orig):
    """Zero adjoints for every argument of ``orig`` (tuples of zeros for tuple arguments)."""
    out = []
    for arg in orig.args:
        ty = arg.checked_type
        if isinstance(ty, TupleType):
            out.append(Tuple([_t.zeros_like(TupleGetItem(arg, i)) for i in range(len(ty.fields))]))
        else:
            out.append(_t.zeros_like(arg))
    return out


def _with_zeros(orig, first):
    """``first`` for the leading arguments, zeros for the remaining ones."""
    rest = _zeros(orig)[len(first):]
    return list(first) + rest


def _reduced_axes(attrs, ndim):
    axis = attrs.get("axis") if hasattr(attrs, "get") else attrs.axis
    exclude = bool(attrs.get("exclude", False)) if hasattr(attrs, "get") else False
    if axis is None:
        axes = list(range(ndim))
    else:
        axes = [int(a) % ndim if ndim else 0 for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
        if not axes:
            axes = list(range(ndim))
    if exclude:
        axes = [i for i in range(ndim) if i not in axes]
    return sorted(set(axes))


def _unreduce(grad, orig, data):
    """The adjoint of a reduction's output reshaped with kept axes and broadcast to ``data``."""
    shape = _shape(data)
    axes = _reduced_axes(orig.attrs, len(shape))
    kept = [1 if i in axes else d for i, d in enumerate(shape)]
    return _tr.broadcast_to_like(_tr.reshape(grad, kept), data), axes


def _unreduce_value(orig, data):
    shape = _shape(data)
    axes = _reduced_axes(orig.attrs, len(shape))
    kept = [1 if i in axes else d for i, d in enumerate(shape)]
    return _tr.broadcast_to_like(_tr.reshape(orig, kept), data)


def _count(shape, axes):
    return int(np.prod([shape[a] for a in axes])) if axes else 1


def _index_grad(orig, grad, data_pos=0):
    """Gradient of a gather-like op w.r.t. argument ``data_pos`` (see the module docstring)."""
    data = orig.args[data_pos]
    shape = _shape(data)
    size = int(np.prod(shape)) if shape else 1
    positions = const(np.arange(size, dtype="int64" if size >= 2**31 else "int32").reshape(shape))
    args = list(orig.args)
    args[data_pos] = positions
    where_from = _tr.reshape(Call(orig.op, args, orig.attrs), [-1])
    flat_grad = _tr.reshape(grad, [-1])
    zeros = _t.zeros((size,), _dtype(data))
    scattered = _tr.scatter_add(zeros, where_from, flat_grad, 0)
    out = _zeros(orig)
    out[data_pos] = _tr.reshape(scattered, shape)
    return out


# ----------------------------------------------------------------- elementwise


def _unary(name, deriv):
    """Register ``grad * deriv(x, orig)``."""

    def fgrad(orig, grad):
        return [_t.multiply(grad, deriv(orig.args[0], orig))]

    register_gradient(name, fgrad)


def _one(x):
    return _t.ones_like(x)


def _square(x):
    return _t.multiply(x, x)


_unary("log", lambda x, y: _t.divide(_one(x), x))
_unary("log2", lambda x, y: _t.divide(_one(x), _t.multiply(x, _scalar(np.log(2.0), x))))
_unary("log10", lambda x, y: _t.divide(_one(x), _t.multiply(x, _scalar(np.log(10.0), x))))
_unary("tan", lambda x, y: _t.divide(_one(x), _square(_t.cos(x))))
_unary("cos", lambda x, y: _t.negative(_t.sin(x)))
_unary("cosh", lambda x, y: _t.sinh(x))
_unary("sin", lambda x, y: _t.cos(x))
_unary("sinh", lambda x, y: _t.cosh(x))
_unary("acos", lambda x, y: _t.negative(_t.rsqrt(_t.subtract(_one(x), _square(x)))))
_unary("acosh", lambda x, y: _t.rsqrt(_t.subtract(_square(x), _one(x))))
_unary("asin", lambda x, y: _t.rsqrt(_t.subtract(_one(x), _square(x))))
_unary("asinh", lambda x, y: _t.rsqrt(_t.add(_square(x), _one(x))))
_unary("atan", lambda x, y: _t.divide(_one(x), _t.add(_one(x), _square(x))))
_unary("atanh", lambda x, y: _t.divide(_one(x), _t.subtract(_one(x), _square(x))))
_unary("exp", lambda x, y: y)
_unary("sqrt", lambda x, y: _t.divide(_scalar(0.5, x), y))
_unary("rsqrt", lambda x, y: _t.multiply(_scalar(-0.5, x), _t.divide(y, x)))
_unary("sigmoid", lambda x, y: _t.multiply(y, _t.subtract(_one(y), y)))
_unary("tanh", lambda x, y: _t.subtract(_one(y), _square(y)))
_unary("abs", lambda x, y: _t.sign(x))
_unary("erf", lambda x, y: _t.multiply(_scalar(2.0 / np.sqrt(np.pi), x), _t.exp(_t.negative(_square(x)))))
_unary("nn.relu", lambda x, y: _tr.cast_like(_t.greater(x, _t.zeros_like(x)), x))


@register_gradient("negative")
def _negative_grad(orig, grad):
    return [_t.negative(grad)]


@register_gradient("copy")
def _copy_grad(orig, grad):
    return [grad]


# identity annotations: the adjoint passes through (checkpointing only changes what a
# compiler keeps in memory, not values)
for _name in ("annotation.checkpoint", "annotation.stop_fusion", "on_device"):
    register_gradient(_name, lambda orig, grad: [grad])


@register_gradient("nn.leaky_relu")
def _leaky_relu_grad(orig, grad):
    x = orig.args[0]
    alpha = _scalar(float(orig.attrs.alpha), x)
    return [_tr.where(_t.greater(x, _t.zeros_like(x)), grad, _t.multiply(grad, alpha))]


for _name in ("sign", "floor", "ceil", "round", "trunc", "zeros_like", "ones_like", "shape_of",
              "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
              "argmax", "argmin", "isnan", "isfinite", "isinf", "logical_not", "logical_and",
              "logical_or", "ndarray_size", "zeros", "ones", "dyn.zeros", "dyn.ones"):
    register_gradient(_name, lambda orig, grad: _zeros(orig))


@register_gradient("dyn.arange")
def _dyn_arange_grad(orig, grad):
    """out[i] = start + i * step (0.8's ``arange`` gradient): d/dstart = sum(grad),
    d/dstop = 0, d/dstep = sum(i * grad[i])."""
    start, stop, step = orig.args
    length = _tr.cast_like(_tr.take(_t.shape_of(orig), const(0), axis=0), grad)
    positions = _tr.arange(_t.zeros_like(length), length, _t.ones_like(length),
                           dtype=_dtype(orig))
    return [_tr.cast_like(_r.sum(grad), start), _t.zeros_like(stop),
            _tr.cast_like(_r.sum(_t.multiply(positions, grad)), step)]


@register_gradient("clip")
def _clip_grad(orig, grad):
    x = orig.args[0]
    low = _t.greater_equal(x, _scalar(float(orig.attrs.a_min), x))
    high = _t.less_equal(x, _scalar(float(orig.attrs.a_max), x))
    return [_tr.where(_t.logical_and(low, high), grad, _t.zeros_like(grad))]


@register_gradient("cast")
def _cast_grad(orig, grad):
    return [_tr.cast_like(grad, orig.args[0])]


@register_gradient("cast_like")
def _cast_like_grad(orig, grad):
    return [_tr.cast_like(grad, orig.args[0]), _t.zeros_like(orig.args[1])]


# ----------------------------------------------------------------- broadcast arithmetic


def _collapse(grad, like):
    return _tr.collapse_sum_like(grad, like)


@register_gradient("add")
def _add_grad(orig, grad):
    x, y = orig.args
    return [_collapse(grad, x), _collapse(grad, y)]


@register_gradient("subtract")
def _subtract_grad(orig, grad):
    x, y = orig.args
    return [_collapse(grad, x), _collapse(_t.negative(grad), y)]


@register_gradient("multiply")
def _multiply_grad(orig, grad):
    x, y = orig.args
    return [_collapse(_t.multiply(grad, y), x), _collapse(_t.multiply(grad, x), y)]


@register_gradient("divide")
def _divide_grad(orig, grad):
    x, y = orig.args
    return [_collapse(_t.divide(grad, y), x),
            _collapse(_t.negative(_t.divide(_t.multiply(grad, orig), y)), y)]


@register_gradient("power")
def _power_grad(orig, grad):
    x, y = orig.args
    dx = _t.multiply(grad, _t.multiply(y, _t.power(x, _t.subtract(y, _t.ones_like(y)))))
    dy = _t.multiply(grad, _t.multiply(orig, _t.log(x)))
    return [_collapse(dx, x), _collapse(dy, y)]


def _select_grad(pick_lhs):
    def fgrad(orig, grad):
        x, y = orig.args
        mask = pick_lhs(x, y)
        zeros = _t.zeros_like(grad)
        return [_collapse(_tr.where(mask, grad, zeros), x), _collapse(_tr.where(mask, zeros, grad), y)]

    return fgrad


register_gradient("maximum", _select_grad(_t.greater_equal))
register_gradient("minimum", _select_grad(_t.less_equal))


@register_gradient("where")
def _where_grad(orig, grad):
    cond, x, y = orig.args
    zeros = _t.zeros_like(grad)
    return [_t.zeros_like(cond), _collapse(_tr.where(cond, grad, zeros), x),
            _collapse(_tr.where(cond, zeros, grad), y)]


@register_gradient("collapse_sum_like")
def _collapse_sum_like_grad(orig, grad):
    return _with_zeros(orig, [_tr.broadcast_to_like(grad, orig.args[0])])


@register_gradient("collapse_sum_to")
def _collapse_sum_to_grad(orig, grad):
    return _with_zeros(orig, [_tr.broadcast_to_like(grad, orig.args[0])])


@register_gradient("broadcast_to")
def _broadcast_to_grad(orig, grad):
    return _with_zeros(orig, [_collapse(grad, orig.args[0])])


@register_gradient("broadcast_to_like")
def _broadcast_to_like_grad(orig, grad):
    return _with_zeros(orig, [_collapse(grad, orig.args[0])])


@register_gradient("full")
def _full_grad(orig, grad):
    return [_tr.cast_like(_r.sum(grad), orig.args[0])]


@register_gradient("full_like")
def _full_like_grad(orig, grad):
    return [_t.zeros_like(orig.args[0]), _tr.cast_like(_r.sum(grad), orig.args[1])]


# ----------------------------------------------------------------- shapes and layouts


def _reshape_back(orig, grad):
    return _with_zeros(orig, [_tr.reshape_like(grad, orig.args[0])])


for _name in ("reshape", "reshape_like", "contrib_reverse_reshape", "expand_dims", "squeeze",
              "nn.batch_flatten"):
    register_gradient(_name, _reshape_back)


@register_gradient("transpose")
def _transpose_grad(orig, grad):
    ndim = len(_shape(orig.args[0]))
    axes = orig.attrs.axes
    axes = list(range(ndim))[::-1] if not axes else [int(a) % ndim for a in axes]
    inverse = [0] * ndim
    for i, a in enumerate(axes):
        inverse[a] = i
    return [_tr.transpose(grad, inverse)]


@register_gradient("layout_transform")
def _layout_transform_grad(orig, grad):
    return [_tr.layout_transform(grad, orig.attrs.dst_layout, orig.attrs.src_layout)]


@register_gradient("concatenate")
def _concatenate_grad(orig, grad):
    fields = orig.args[0].checked_type.fields
    ndim = len(fields[0].shape)
    axis = int(orig.attrs.axis) % ndim
    pieces, start = [], 0
    for ty in fields:
        size = int(ty.shape[axis])
        pieces.append(_slice(grad, [start], [start + size], axes=[axis]))
        start += size
    return [Tuple(pieces)]


@register_gradient("stack")
def _stack_grad(orig, grad):
    count = len(orig.args[0].checked_type.fields)
    ndim = len(orig.checked_type.shape)
    axis = int(orig.attrs.axis) % ndim
    pieces = [_tr.squeeze(_slice(grad, [i], [i + 1], axes=[axis]), axis=[axis])
              for i in range(count)]
    return [Tuple(pieces)]


@register_gradient("split")
def _split_grad(orig, grad):
    ndim = len(_shape(orig.args[0]))
    axis = int(orig.attrs.axis) % ndim
    fields = grad.fields if isinstance(grad, Tuple) else [
        TupleGetItem(grad, i) for i in range(len(orig.checked_type.fields))]
    return [_t.concatenate(list(fields), axis)]


for _name in ("take", "strided_slice", "gather_nd", "gather", "repeat", "tile", "reverse",
              "adv_index", "reverse_sequence"):
    register_gradient(_name, _index_grad)


@register_gradient("nn.pad")
def _pad_grad(orig, grad):
    if str(orig.attrs.get("pad_mode", "constant")) != "constant":
        raise NotImplementedError(f"gradient of nn.pad: pad_mode {orig.attrs.pad_mode!r} (only 'constant')")
    shape = _shape(orig.args[0])
    begin = [int(p[0]) for p in orig.attrs.pad_width]
    end = [b + d for b, d in zip(begin, shape)]
    inner = _slice(grad, begin, end)
    out = [inner]
    if len(orig.args) > 1:  # the pad value: every padded element
        total = _t.subtract(_r.sum(grad), _r.sum(inner))
        out.append(_tr.cast_like(total, orig.args[1]))
    return out


# arange's bounds are attributes in this fork (the dynamic form is not provided): no arguments
register_gradient("arange", lambda orig, grad: _zeros(orig))


@register_gradient("one_hot")
def _one_hot_grad(orig, grad):
    indices, on_value, off_value = orig.args
    mask = Call(orig.op, [indices, const(np.array(1, dtype=_dtype(orig))),
                          const(np.array(0, dtype=_dtype(orig)))], orig.attrs)
    on_grad = _r.sum(_t.multiply(grad, mask))
    off_grad = _r.sum(_t.multiply(grad, _t.subtract(_t.ones_like(mask), mask)))
    return [_t.zeros_like(indices), _tr.cast_like(on_grad, on_value), _tr.cast_like(off_grad, off_value)]


# ----------------------------------------------------------------- reductions


@register_gradient("sum")
def _sum_grad(orig, grad):
    return [_unreduce(grad, orig, orig.args[0])[0]]


@register_gradient("mean")
def _mean_grad(orig, grad):
    data = orig.args[0]
    back, axes = _unreduce(grad, orig, data)
    return [_t.divide(back, _scalar(float(_count(_shape(data), axes)), data))]


def _extremum_grad(orig, grad):
    data = orig.args[0]
    back, axes = _unreduce(grad, orig, data)
    mask = _tr.cast_like(_t.equal(data, _unreduce_value(orig, data)), data)
    ties = _r.sum(mask, axis=axes, keepdims=True)  # ties share the adjoint
    return [_t.divide(_t.multiply(back, mask), ties)]


register_gradient("max", _extremum_grad)
register_gradient("min", _extremum_grad)


@register_gradient("prod")
def _prod_grad(orig, grad):
    """d prod / d x_i = prod / x_i (inputs must be non-zero)."""
    data = orig.args[0]
    back, _ = _unreduce(grad, orig, data)
    return [_t.multiply(back, _t.divide(_unreduce_value(orig, data), data))]


def _moment_parts(orig):
    data = orig.args[0]
    shape = _shape(data)
    axes = _reduced_axes(orig.attrs, len(shape))
    count = _count(shape, axes) - (1 if orig.attrs.get("unbiased", False) else 0)
    mean = orig.args[1] if len(orig.args) > 1 else _r.mean(data, axis=axes, keepdims=True)
    centred = _t.subtract(data, mean)
    return data, centred, _scalar(2.0 / count, data)


@register_gradient("variance")
def _variance_grad(orig, grad):
    data, centred, scale = _moment_parts(orig)
    back, _ = _unreduce(grad, orig, data)
    ddata = _t.multiply(back, _t.multiply(scale, centred))
    out = [ddata]
    if len(orig.args) > 1:
        out.append(_collapse(_t.negative(ddata), orig.args[1]))
    return out


@register_gradient("std")
def _std_grad(orig, grad):
    data, centred, scale = _moment_parts(orig)
    back, _ = _unreduce(_t.divide(grad, _t.multiply(_scalar(2.0, orig), orig)), orig, data)
    ddata = _t.multiply(back, _t.multiply(scale, centred))
    out = [ddata]
    if len(orig.args) > 1:
        out.append(_collapse(_t.negative(ddata), orig.args[1]))
    return out


# ----------------------------------------------------------------- nn


@register_gradient("nn.softmax")
def _softmax_grad(orig, grad):
    axis = int(orig.attrs.axis)
    inner = _r.sum(_t.multiply(grad, orig), axis=axis, keepdims=True)
    return [_t.multiply(orig, _t.subtract(grad, inner))]


@register_gradient("nn.log_softmax")
def _log_softmax_grad(orig, grad):
    axis = int(orig.attrs.axis)
    total = _r.sum(grad, axis=axis, keepdims=True)
    return [_t.subtract(grad, _t.multiply(_t.exp(orig), total))]


@register_gradient("nn.bias_add")
def _bias_add_grad(orig, grad):
    ndim = len(_shape(orig.args[0]))
    axis = int(orig.attrs.axis) % ndim
    others = [i for i in range(ndim) if i != axis]
    return [grad, _r.sum(grad, axis=others) if others else grad]


def _as_matrix(expr, shape):
    return _tr.reshape(expr, [-1, shape[-1]]) if len(shape) != 2 else expr


@register_gradient("nn.dense")
def _dense_grad(orig, grad):
    data, weight = orig.args
    dshape = _shape(data)
    g2 = _as_matrix(grad, _shape(orig))
    x2 = _as_matrix(data, dshape)
    ddata = _nn.dense(g2, _tr.transpose(weight, [1, 0]))
    dweight = _nn.dense(_tr.transpose(g2, [1, 0]), _tr.transpose(x2, [1, 0]))
    return [_tr.reshape_like(ddata, data), dweight]


@register_gradient("nn.matmul")
def _matmul_grad(orig, grad):
    a, b = orig.args
    ta, tb = bool(orig.attrs.transpose_a), bool(orig.attrs.transpose_b)
    mat_a = _tr.transpose(a, [1, 0]) if ta else a
    mat_b = _tr.transpose(b, [1, 0]) if tb else b
    da = _nn.matmul(grad, mat_b, transpose_b=True)  # dA = G B^T
    db = _nn.matmul(mat_a, grad, transpose_a=True)  # dB = A^T G
    return [_tr.transpose(da, [1, 0]) if ta else da, _tr.transpose(db, [1, 0]) if tb else db]


@register_gradient("nn.batch_matmul")
def _batch_matmul_grad(orig, grad):
    x, y = orig.args
    ta, tb = bool(orig.attrs.transpose_a), bool(orig.attrs.transpose_b)
    # out = X @ Y with X = x^T if ta, Y = y^T if tb: dX = G Y^T, dY = X^T G
    dmat_x = _nn.batch_matmul(grad, y, transpose_a=False, transpose_b=not tb)
    dmat_y = _nn.batch_matmul(x, grad, transpose_a=not ta, transpose_b=False)
    dx = _tr.transpose(dmat_x, [0, 2, 1]) if ta else dmat_x
    dy = _tr.transpose(dmat_y, [0, 2, 1]) if tb else dmat_y
    return [_collapse(dx, x), _collapse(dy, y)]


def _check_nchw(orig, what):
    layout = str(orig.attrs.get("data_layout", orig.attrs.get("layout", "NCHW")))
    kernel = str(orig.attrs.get("kernel_layout", "OIHW"))
    if layout != "NCHW" or kernel != "OIHW" or str(orig.attrs.get("out_layout", "") or layout) != layout:
        raise NotImplementedError(f"gradient of {what}: only the NCHW/OIHW layouts are supported "
                                  f"(got {layout}/{kernel})")


def _crop_to(expr, full, begin, size):
    """``expr[..., begin:begin+size]`` on the two spatial axes, zero-padded at the end if short."""
    pads = [(0, 0), (0, 0)]
    need = False
    for i in range(2):
        short = begin[i] + size[i] - full[i]
        pads.append((0, max(short, 0)))
        need = need or short > 0
    if need:
        expr = _nn.pad(expr, pads)
    return _slice(expr, [begin[0], begin[1]], [begin[0] + size[0], begin[1] + size[1]], axes=[2, 3])


def _spread(windows, kernel, stride, padding, in_hw, out_hw, dilation):
    """Sum of the window contributions ``windows`` (N*C, K, oh, ow) at the input positions.

    ``kernel`` is the constant (K, 1, kh, kw) transposed-convolution kernel; the
    result is (N*C, 1, H, W) for an input of spatial size ``in_hw``.
    """
    spread = _nn.conv2d_transpose(windows, kernel, strides=stride, dilation=dilation,
                                  channels=1, kernel_size=kernel.data.shape[2:])
    full = [(out_hw[i] - 1) * stride[i] + dilation[i] * (kernel.data.shape[2 + i] - 1) + 1
            for i in range(2)]
    return _crop_to(spread, full, [padding[0], padding[1]], in_hw)


def _pool_setup(orig):
    _check_nchw(orig, orig.op.name)
    attrs = orig.attrs
    data = orig.args[0]
    n, c, h, w = _shape(data)
    oh, ow = _shape(orig)[2:]
    pool = [int(v) for v in attrs.pool_size]
    stride = [int(v) for v in attrs.strides]
    dilation = [int(v) for v in attrs.get("dilation", (1, 1))]
    pad = [int(v) for v in attrs.padding]
    pad = pad * 2 if len(pad) == 2 else (pad * 4 if len(pad) == 1 else pad)
    return data, (n, c, h, w), (oh, ow), pool, stride, dilation, pad


@register_gradient("nn.avg_pool2d")
def _avg_pool2d_grad(orig, grad):
    data, (n, c, h, w), (oh, ow), pool, stride, dilation, pad = _pool_setup(orig)
    # the divisor of each window: its size, or the number of its elements inside the input
    if orig.attrs.get("count_include_pad", False):
        counts = np.full((oh, ow), float(pool[0] * pool[1]))
    else:
        counts = np.zeros((oh, ow))
        for i in range(oh):
            for j in range(ow):
                rows = [i * stride[0] + a * dilation[0] - pad[0] for a in range(pool[0])]
                cols = [j * stride[1] + b * dilation[1] - pad[1] for b in range(pool[1])]
                counts[i, j] = sum(0 <= r < h for r in rows) * sum(0 <= q < w for q in cols)
        counts = np.maximum(counts, 1.0)
    scaled = _t.divide(_tr.reshape(grad, [n * c, 1, oh, ow]), const(counts.astype(_dtype(data))))
    kernel = const(np.ones((1, 1, pool[0], pool[1]), dtype=_dtype(data)))
    back = _spread(scaled, kernel, stride, pad, (h, w), (oh, ow), dilation)
    return [_tr.reshape(back, [n, c, h, w])]


@register_gradient("nn.max_pool2d")
def _max_pool2d_grad(orig, grad):
    data, (n, c, h, w), (oh, ow), pool, stride, dilation, pad = _pool_setup(orig)
    dtype = _dtype(data)
    lowest = float(np.finfo(dtype).min) if np.issubdtype(np.dtype(dtype), np.floating) else -2**31
    extra = [max(0, (oh - 1) * stride[0] + dilation[0] * (pool[0] - 1) + 1 - h - pad[0]),
             max(0, (ow - 1) * stride[1] + dilation[1] * (pool[1] - 1) + 1 - w - pad[1])]
    padded = _nn.pad(data, [(0, 0), (0, 0), (pad[0], extra[0]), (pad[1], extra[1])], lowest)
    taken = None  # a window's adjoint goes to its first maximum (row-major), as TOPI's pool_grad
    parts = []
    for a in range(pool[0]):
        for b in range(pool[1]):
            r0, c0 = a * dilation[0], b * dilation[1]
            cand = _slice(padded, [r0, c0],
                          [r0 + (oh - 1) * stride[0] + 1, c0 + (ow - 1) * stride[1] + 1],
                          axes=[2, 3], strides=stride)
            hit = _t.equal(cand, orig)
            if taken is not None:
                hit = _t.logical_and(hit, _t.logical_not(taken))
                taken = _t.logical_or(taken, hit)
            else:
                taken = hit
            parts.append(_tr.where(hit, grad, _t.zeros_like(grad)))
    k = pool[0] * pool[1]
    windows = _tr.reshape(_t.stack(parts, axis=2), [n * c, k, oh, ow])
    onehot = np.zeros((k, 1, pool[0], pool[1]), dtype=dtype)
    for idx in range(k):
        onehot[idx, 0, idx // pool[1], idx % pool[1]] = 1
    back = _spread(windows, const(onehot), stride, pad, (h, w), (oh, ow), dilation)
    return [_tr.reshape(back, [n, c, h, w])]


@register_gradient("nn.global_avg_pool2d")
def _global_avg_pool2d_grad(orig, grad):
    _check_nchw(orig, "nn.global_avg_pool2d")
    data = orig.args[0]
    h, w = _shape(data)[2:]
    return [_t.divide(_tr.broadcast_to_like(grad, data), _scalar(float(h * w), data))]


@register_gradient("nn.global_max_pool2d")
def _global_max_pool2d_grad(orig, grad):
    _check_nchw(orig, "nn.global_max_pool2d")
    data = orig.args[0]
    mask = _tr.cast_like(_t.equal(data, _tr.broadcast_to_like(orig, data)), data)
    ties = _r.sum(mask, axis=[2, 3], keepdims=True)
    return [_t.divide(_t.multiply(_tr.broadcast_to_like(grad, data), mask), ties)]


def _conv2d_weight_grad(data, grad, wshape, stride, dilation, pad):
    """dW[o, c, i, j] = sum_{n,y,x} G[n,o,y,x] Xpad[n, c, y*s + i*d, x*s + j*d] for one group.

    A convolution of X (channels as batch) by G (batch as channels) with the
    stride and dilation swapped computes it; the extra rows/columns it may
    produce are cut off.
    """
    xt = _tr.transpose(data, [1, 0, 2, 3])  # (C, N, H, W)
    gt = _tr.transpose(grad, [1, 0, 2, 3])  # (O, N, oh, ow)
    corr = _nn.conv2d(xt, gt, strides=dilation, padding=pad, dilation=stride)  # (C, O, kh', kw')
    corr = _slice(corr, [0, 0], [wshape[2], wshape[3]], axes=[2, 3])
    return _tr.transpose(corr, [1, 0, 2, 3])


@register_gradient("nn.conv2d")
def _conv2d_grad(orig, grad):
    _check_nchw(orig, "nn.conv2d")
    data, weight = orig.args
    attrs = orig.attrs
    dshape, wshape, oshape = _shape(data), _shape(weight), _shape(orig)
    stride = [int(v) for v in attrs.strides]
    dilation = [int(v) for v in attrs.dilation]
    pad = [int(v) for v in attrs.padding]
    pad = pad * 2 if len(pad) == 2 else (pad * 4 if len(pad) == 1 else pad)
    groups = int(attrs.groups)
    # data: the transposed convolution of the adjoint (the same kernel), cropped to the input
    back = _nn.conv2d_transpose(grad, weight, strides=stride, dilation=dilation, groups=groups,
                                channels=dshape[1], kernel_size=wshape[2:])
    full = [(oshape[2 + i] - 1) * stride[i] + dilation[i] * (wshape[2 + i] - 1) + 1 for i in range(2)]
    ddata = _crop_to(back, full, [pad[0], pad[1]], dshape[2:])
    # weight: one correlation per group
    cin, cout = wshape[1], wshape[0] // groups
    parts = []
    for gi in range(groups):
        x_g = data if groups == 1 else _slice(data, [gi * cin], [(gi + 1) * cin], axes=[1])
        g_g = grad if groups == 1 else _slice(grad, [gi * cout], [(gi + 1) * cout], axes=[1])
        parts.append(_conv2d_weight_grad(x_g, g_g, wshape, stride, dilation, pad))
    dweight = parts[0] if groups == 1 else _t.concatenate(parts, 0)
    return [ddata, _tr.cast_like(dweight, weight)]


def _batch_mean_adjoint(orig, grad):
    """The output adjoint divided by the batch size (the cross entropies average over it)."""
    data = orig.args[0]
    return _t.divide(grad, _scalar(_shape(data)[0], data))


@register_gradient("nn.cross_entropy")
def _cross_entropy_grad(orig, grad):
    """loss = -sum(log(x) * y) / batch."""
    x, y = orig.args
    grad = _batch_mean_adjoint(orig, grad)
    return [_t.divide(_t.multiply(_t.negative(grad), y), x),
            _t.multiply(_t.negative(grad), _t.log(x))]


@register_gradient("nn.cross_entropy_with_logits")
def _cross_entropy_with_logits_grad(orig, grad):
    """loss = -sum(x * y) / batch."""
    x, y = orig.args
    grad = _batch_mean_adjoint(orig, grad)
    return [_t.multiply(_t.negative(grad), y), _t.multiply(_t.negative(grad), x)]


@register_gradient("nn.nll_loss")
def _nll_loss_grad(orig, grad):
    """loss_i = -w[t_i] p[i, t_i] (0 when t_i is ignore_index); summed, averaged by
    sum_i w[t_i] ('mean'), or kept per sample ('none')."""
    predictions, targets, weights = orig.args
    classes = _shape(predictions)[1]
    attrs = orig.attrs
    pdtype = _dtype(predictions)
    valid = _tr.cast_like(_t.not_equal(targets, const(np.array(int(attrs.ignore_index), _dtype(targets)))),
                          weights)
    safe_targets = _t.clip(targets, 0, classes - 1)
    wt = _t.multiply(_tr.take(weights, safe_targets, axis=0), valid)  # w[t_i], 0 if ignored
    onehot = _tr.one_hot(safe_targets, const(np.array(1, pdtype)), const(np.array(0, pdtype)),
                         classes, 1, pdtype)  # (N, C, ...)
    picked = _r.sum(_t.multiply(onehot, predictions), axis=1)  # p[i, t_i]
    reduction = str(attrs.reduction)
    if reduction == "mean":
        total = _r.sum(wt)
        per_sample = _t.divide(grad, total)
        # d(S / W)/dw_k = sum_{i: t_i = k} (-p[i, t_i] - loss) / W
        dw_items = _t.multiply(_t.multiply(_t.subtract(_t.negative(picked), orig), valid), per_sample)
    else:
        per_sample = grad
        dw_items = _t.multiply(_t.multiply(_t.negative(picked), valid), per_sample)
    dpred = _t.negative(_t.multiply(onehot, _tr.expand_dims(_t.multiply(per_sample, wt), 1)))
    dweights = _tr.scatter_add(_t.zeros_like(weights), _tr.reshape(safe_targets, [-1]),
                               _tr.reshape(_tr.broadcast_to_like(dw_items, targets), [-1]), 0)
    return [dpred, _t.zeros_like(targets), dweights]
