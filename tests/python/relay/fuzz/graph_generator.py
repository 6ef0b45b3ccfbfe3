"""Seeded random Relay graphs, and a checker that builds them and compares with the
reference interpreter.

:class:`GraphGenerator` builds well-typed Relay functions from a ``numpy`` Generator:
a pool of tensors (with their static shapes and dtypes tracked in Python) starts with one
or two inputs; every step picks an operator that fits a tensor of the pool (reshaping it
first when needed), creates the weights and second operands the operator needs as new
parameters, and adds the result to the pool. The function returns the tensors no
operator consumed (a tuple when there are several).

Float32 graphs draw from: conv2d (NCHW/OIHW and NHWC/HWIO, plain, grouped and
depthwise incl. NHWC/HWOI, kernel 1/3/5, strides 1/2, padding, dilation), dense,
batch_matmul, unary ops, broadcasting binary ops, reductions, reshape, transpose,
concatenate, strided_slice, max/avg/global pooling in both layouts, softmax and bias_add.
Int32 graphs draw from the ops that support integers (add, subtract, multiply, maximum,
minimum, negative, abs, divide/floor_divide/mod/floor_mod/trunc_divide by constants,
sum/max/min, reshape, transpose, concatenate, strided_slice, take, cast to float32); float
graphs also get argmax/argmin (int32 results), clip, leaky_relu, log_softmax, per-channel
scale/shift constants (FoldScaleAxis) and repeated subexpressions (EliminateCommonSubexpr).

:func:`check_graph` builds a graph at opt_level 0 and 3, with the TOPI schedules and
under ``auto_scheduler.ApplyHistoryBest([])`` (the auto-scheduler lowering path with its
TOPI fallback), runs it with the graph executor and compares every output with
``relay.create_executor("debug")`` (rtol/atol 1e-4 for float32, exact for int32).
"""
import contextlib
import math

import numpy as np

import tvm
from tvm import relay

FLOAT_UNARY = ("relu", "sigmoid", "tanh", "exp", "negative", "abs")
INT_UNARY = ("negative", "abs")
FLOAT_BINARY = ("add", "multiply", "subtract", "maximum", "minimum")
INT_BINARY = ("add", "multiply", "subtract", "maximum", "minimum")
SPATIAL_MAX = 12
CHANNEL_MAX = 16


def _infer_shape(expr):
    func = relay.Function(list(relay.analysis.free_vars(expr)), expr)
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    return tuple(int(d) for d in mod["main"].body.checked_type.shape)


class Tensor:
    """A Relay expression with its static shape and dtype."""

    def __init__(self, expr, shape, dtype):
        self.expr, self.shape, self.dtype = expr, tuple(int(s) for s in shape), dtype

    @property
    def size(self):
        return int(np.prod(self.shape)) if self.shape else 1


class RandomGraph:
    """A generated function, its inputs (name -> array) and which inputs are weights."""

    def __init__(self, seed, index, func, inputs, weights):
        self.seed, self.index, self.func, self.inputs, self.weights = (seed, index, func,
                                                                       inputs, weights)

    @property
    def mod(self):
        return tvm.IRModule.from_expr(self.func)

    @property
    def name(self):
        return f"seed={self.seed} graph={self.index}"

    def text(self):
        return self.mod.astext() if hasattr(self.mod, "astext") else str(self.mod)


class GraphGenerator:
    """Random, well-typed Relay graphs from ``np.random.default_rng(seed)``."""

    def __init__(self, seed, max_ops=8, int_probability=0.25):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.max_ops = max_ops
        self.int_probability = int_probability
        self.count = 0

    # -- helpers --------------------------------------------------------------------
    def _choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def _coin(self, p=0.5):
        return bool(self.rng.random() < p)

    def _param(self, shape, dtype, weight=False, scale=1.0):
        name = f"{'w' if weight else 'x'}{len(self.values)}"
        var = relay.var(name, shape=shape, dtype=dtype)
        if dtype.startswith("int"):
            value = self.rng.integers(-4, 5, size=shape).astype(dtype)
        else:
            value = (self.rng.uniform(-1, 1, size=shape) * scale).astype(dtype)
        self.params.append(var)
        self.values[name] = value
        if weight:
            self.weights.add(name)
        return Tensor(var, shape, dtype)

    def _new_input(self, dtype):
        ndim = int(self._choice((2, 3, 4, 4, 4)))
        if ndim == 4:
            shape = (int(self.rng.integers(1, 3)), int(self.rng.integers(1, CHANNEL_MAX + 1)),
                     int(self.rng.integers(3, SPATIAL_MAX + 1)),
                     int(self.rng.integers(3, SPATIAL_MAX + 1)))
        else:
            shape = tuple(int(self.rng.integers(1, 10)) for _ in range(ndim))
        return self._param(shape, dtype)

    def _as_rank(self, t, ndim):
        """``t`` reshaped to rank ``ndim`` (or None if it is already of that rank)."""
        if len(t.shape) == ndim:
            return t
        if ndim == 2:
            shape = (t.shape[0] if t.shape else 1, t.size // (t.shape[0] if t.shape else 1))
        elif ndim == 3:
            first = t.shape[0] if t.shape else 1
            rest = t.size // first
            mid = self._divisor(rest)
            shape = (first, mid, rest // mid)
        else:
            c = self._divisor(t.size)
            rest = t.size // c
            h = self._divisor(rest)
            shape = (1, c, h, rest // h)
        return Tensor(relay.reshape(t.expr, shape), shape, t.dtype)

    def _divisor(self, n):
        divs = [d for d in range(1, n + 1) if n % d == 0]
        return int(self._choice(divs))

    # -- float operators ------------------------------------------------------------
    def _conv2d(self, t):
        if len(t.shape) != 4:
            return None
        nhwc = self._coin()
        if nhwc:
            n, h, w, c = t.shape
        else:
            n, c, h, w = t.shape
        if h < 1 or w < 1 or c > 64:
            return None
        kind = self._choice(("plain", "plain", "depthwise", "group"))
        k = int(self._choice((1, 3, 3, 5)))
        dil = 2 if k > 1 and self._coin(0.2) else 1
        eff = (k - 1) * dil + 1
        pad = int(self.rng.integers(0, k // 2 + 1)) if k > 1 else 0
        stride = int(self._choice((1, 1, 2)))
        if h + 2 * pad < eff or w + 2 * pad < eff:
            pad = eff  # keep the output non-empty
        groups, kl = 1, "HWIO" if nhwc else "OIHW"
        if kind == "depthwise":
            groups = c
            mult = int(self._choice((1, 1, 2)))
            out_c = c * mult
            if nhwc and self._coin():
                kl, wshape = "HWOI", (k, k, c, mult)
            else:
                wshape = (k, k, 1, out_c) if nhwc else (out_c, 1, k, k)
        else:
            if kind == "group":
                groups = self._divisor(c)
            out_c = groups * int(self.rng.integers(1, max(2, CHANNEL_MAX // groups + 1)))
            wshape = (k, k, c // groups, out_c) if nhwc else (out_c, c // groups, k, k)
        weight = self._param(wshape, "float32", weight=True,
                             scale=1.0 / math.sqrt(k * k * max(1, c // groups)))
        padding = (pad, pad)
        if k > 1 and self._coin(0.25):  # asymmetric (top, left, bottom, right)
            padding = tuple(int(p) for p in self.rng.integers(0, k, size=4))
            if h + padding[0] + padding[2] < eff or w + padding[1] + padding[3] < eff:
                padding = (pad, pad)
        expr = relay.nn.conv2d(t.expr, weight.expr, strides=(stride, stride), padding=padding,
                               dilation=(dil, dil), groups=groups, channels=out_c,
                               kernel_size=(k, k), data_layout="NHWC" if nhwc else "NCHW",
                               kernel_layout=kl)
        pt, pl, pb, pr = padding * 2 if len(padding) == 2 else padding
        oh = (h + pt + pb - eff) // stride + 1
        ow = (w + pl + pr - eff) // stride + 1
        shape = (n, oh, ow, out_c) if nhwc else (n, out_c, oh, ow)
        out = Tensor(expr, shape, "float32")
        if self._coin(0.4):
            bias = self._param((out_c,), "float32", weight=True)
            out = Tensor(relay.nn.bias_add(out.expr, bias.expr, axis=3 if nhwc else 1), shape,
                         "float32")
        return out

    def _dense(self, t):
        t = self._as_rank(t, 2)
        m, k = t.shape
        units = int(self.rng.integers(1, 17))
        weight = self._param((units, k), "float32", weight=True, scale=1.0 / math.sqrt(k))
        return Tensor(relay.nn.dense(t.expr, weight.expr), (m, units), "float32")

    def _batch_matmul(self, t):
        t = self._as_rank(t, 3)
        b, m, k = t.shape
        n = int(self.rng.integers(1, 10))
        trans_b = self._coin()
        ob = 1 if self._coin(0.25) else b  # a batch of 1 broadcasts
        other = self._param((ob, n, k) if trans_b else (ob, k, n), "float32",
                            scale=1.0 / math.sqrt(k))
        expr = relay.nn.batch_matmul(t.expr, other.expr, transpose_b=trans_b)
        return Tensor(expr, (b, m, n), "float32")

    def _pool(self, t):
        if len(t.shape) != 4:
            return None
        nhwc = self._coin()
        layout = "NHWC" if nhwc else "NCHW"
        if nhwc:
            n, h, w, c = t.shape
        else:
            n, c, h, w = t.shape
        op = self._choice(("max", "avg", "global_max", "global_avg"))
        if op.startswith("global"):
            fn = relay.nn.global_max_pool2d if op == "global_max" else relay.nn.global_avg_pool2d
            shape = (n, 1, 1, c) if nhwc else (n, c, 1, 1)
            return Tensor(fn(t.expr, layout=layout), shape, t.dtype)
        k = int(self._choice((1, 2, 3)))
        stride = int(self._choice((1, 2, 3)))
        pad = int(self.rng.integers(0, k // 2 + 1)) if k > 1 else 0
        if h + 2 * pad < k or w + 2 * pad < k:
            return None
        ceil = self._coin(0.3)
        kwargs = dict(pool_size=(k, k), strides=(stride, stride), padding=(pad, pad),
                      layout=layout, ceil_mode=ceil)
        if k > 1 and self._coin(0.3):
            # asymmetric (top, left, bottom, right) padding: the shape from type inference
            kwargs["padding"] = tuple(int(p) for p in self.rng.integers(0, k // 2 + 1, size=4))
            pt, pl, pb, pr = kwargs["padding"]
            if h + pt + pb < k or w + pl + pr < k:
                return None
            if op == "avg":
                kwargs["count_include_pad"] = self._coin()
            fn = relay.nn.avg_pool2d if op == "avg" else relay.nn.max_pool2d
            expr = fn(t.expr, **kwargs)
            return Tensor(expr, _infer_shape(expr), t.dtype)
        if op == "avg":
            kwargs["count_include_pad"] = self._coin()
            expr = relay.nn.avg_pool2d(t.expr, **kwargs)
        else:
            expr = relay.nn.max_pool2d(t.expr, **kwargs)

        def out_dim(d):
            span = d + 2 * pad - k
            o = (-(-span // stride) if ceil else span // stride) + 1
            if ceil and (o - 1) * stride >= d + pad:
                o -= 1
            return o

        oh, ow = out_dim(h), out_dim(w)
        shape = (n, oh, ow, c) if nhwc else (n, c, oh, ow)
        return Tensor(expr, shape, t.dtype)

    def _softmax(self, t):
        if not t.shape:
            return None
        axis = int(self.rng.integers(-len(t.shape), len(t.shape)))
        return Tensor(relay.nn.softmax(t.expr, axis=axis), t.shape, t.dtype)

    # -- dtype-generic operators ------------------------------------------------------
    def _unary(self, t):
        name = self._choice(INT_UNARY if t.dtype == "int32" else FLOAT_UNARY)
        fn = getattr(relay.nn, name) if name == "relu" else getattr(relay, name)
        return Tensor(fn(t.expr), t.shape, t.dtype)

    def _binary(self, t):
        name = self._choice(INT_BINARY if t.dtype == "int32" else FLOAT_BINARY)
        others = [o for o in self.pool if o is not t and o.shape == t.shape and o.dtype == t.dtype]
        r = self.rng.random()
        if others and r < 0.4:
            other = self._choice(others)
        else:
            # a broadcasting operand: some axes (leading ones dropped) of size 1
            shape = [1 if self._coin(0.5) else d for d in t.shape]
            drop = int(self.rng.integers(0, len(shape) + 1))
            shape = tuple(shape[drop:])
            if self._coin(0.3):  # a constant: FoldConstant, FoldScaleAxis, SimplifyExpr
                value = (self.rng.integers(-4, 5, size=shape) if t.dtype == "int32"
                         else self.rng.uniform(-1, 1, size=shape)).astype(t.dtype)
                other = Tensor(relay.const(value), shape, t.dtype)
            else:
                other = self._param(shape, t.dtype, weight=self._coin(0.5))
        lhs, rhs = (t, other) if self._coin() else (other, t)
        out_shape = np.broadcast_shapes(lhs.shape, rhs.shape)
        return Tensor(getattr(relay, name)(lhs.expr, rhs.expr), out_shape, t.dtype)

    def _reduce(self, t):
        if not t.shape:
            return None
        names = ("sum", "max", "min") if t.dtype == "int32" else ("sum", "mean", "max", "min")
        name = self._choice(names)
        ndim = len(t.shape)
        naxes = int(self.rng.integers(1, ndim + 1))
        axes = sorted(int(a) for a in self.rng.choice(ndim, naxes, replace=False))
        keep = self._coin()
        axis = None if naxes == ndim and self._coin() else [
            a - ndim if self._coin(0.3) else a for a in axes]
        expr = getattr(relay, name)(t.expr, axis=axis, keepdims=keep)
        if axis is None:
            axes = list(range(ndim))
        shape = tuple(1 if i in axes else d for i, d in enumerate(t.shape) if keep or i not in axes)
        return Tensor(expr, shape, t.dtype)

    def _reshape(self, t):
        size = t.size
        ndim = int(self.rng.integers(1, 5))
        shape = []
        rest = size
        for _ in range(ndim - 1):
            d = self._divisor(rest)
            shape.append(d)
            rest //= d
        shape.append(rest)
        self.rng.shuffle(shape)
        spec = list(shape)
        if self._coin(0.3):
            spec[int(self.rng.integers(len(spec)))] = -1
        return Tensor(relay.reshape(t.expr, spec), shape, t.dtype)

    def _transpose(self, t):
        if len(t.shape) < 2:
            return None
        perm = [int(a) for a in self.rng.permutation(len(t.shape))]
        return Tensor(relay.transpose(t.expr, perm), [t.shape[a] for a in perm], t.dtype)

    def _concatenate(self, t):
        if not t.shape:
            return None
        ndim = len(t.shape)
        axis = int(self.rng.integers(ndim))
        parts = [t]
        for _ in range(int(self.rng.integers(1, 3))):
            same = [o for o in self.pool if o.dtype == t.dtype and len(o.shape) == ndim and all(
                a == b for i, (a, b) in enumerate(zip(o.shape, t.shape)) if i != axis)]
            if same and self._coin(0.5):
                parts.append(self._choice(same))
            else:
                shape = list(t.shape)
                shape[axis] = int(self.rng.integers(1, 5))
                parts.append(self._param(tuple(shape), t.dtype))
        shape = list(t.shape)
        shape[axis] = sum(p.shape[axis] for p in parts)
        caxis = axis - ndim if self._coin(0.3) else axis
        return Tensor(relay.concatenate([p.expr for p in parts], caxis), shape, t.dtype)

    def _strided_slice(self, t):
        if not t.shape:
            return None
        begin, end, strides, shape = [], [], [], []
        for d in t.shape:
            s = int(self._choice((1, 1, 2, 3, -1, -2)))
            if self._coin(0.3):
                # NumPy's conventions: negative bounds count from the end, others clamp
                b, e = (int(v) for v in self.rng.integers(-d - 2, d + 3, size=2))
            elif s > 0:
                b = int(self.rng.integers(0, d))
                e = int(self.rng.integers(b + 1, d + 1))
            else:
                b = int(self.rng.integers(0, d))
                e = int(self.rng.integers(-1, b)) if b > 0 else -1
                if e == -1:
                    e = -d - 1  # past the start: to the first element
            begin.append(b)
            end.append(e)
            strides.append(s)
            shape.append(len(range(*slice(b, e, s).indices(d))))
        if any(s == 0 for s in shape):
            return None
        if all(s == 1 for s in strides) and self._coin(0.2):
            expr = relay.strided_slice(t.expr, begin, end)  # default strides
        else:
            expr = relay.strided_slice(t.expr, begin, end, strides)
        return Tensor(expr, shape, t.dtype)

    def _take(self, t):
        if not t.shape:
            return None
        axis = int(self.rng.integers(len(t.shape)))
        d = t.shape[axis]
        ishape = tuple(int(self.rng.integers(1, 4)) for _ in range(int(self.rng.integers(1, 3))))
        mode = self._choice(("clip", "wrap", "fast"))
        # clip and wrap define every index; fast takes [-d, d) (others raise)
        low, high = (-d, d) if mode == "fast" else (-2 * d, 2 * d)
        idx = self.rng.integers(low, high, size=ishape).astype("int32")
        expr = relay.take(t.expr, relay.const(idx), axis=axis, mode=mode)
        shape = t.shape[:axis] + ishape + t.shape[axis + 1:]
        return Tensor(expr, shape, t.dtype)

    def _channel_affine(self, t):
        """x * scale (+ shift) per channel with constants, then maybe relu: what
        FoldScaleAxis folds into a neighbouring conv2d."""
        if len(t.shape) != 4 or t.dtype != "float32":
            return None
        nhwc = self._coin()
        c = t.shape[3] if nhwc else t.shape[1]
        cshape = (c,) if nhwc else (c, 1, 1)
        scale = self.rng.uniform(0.2, 1.5, size=cshape)
        if self._coin(0.2):
            scale = -scale
        expr = relay.multiply(t.expr, relay.const(scale.astype("float32")))
        if self._coin():
            expr = relay.add(expr, relay.const(self.rng.uniform(-1, 1, size=cshape).astype("float32")))
        if self._coin():
            expr = relay.nn.relu(expr)
        return Tensor(expr, t.shape, t.dtype)

    def _int_division(self, t):
        """divide / floor_divide / mod / floor_mod of int32 by a non-zero constant (the
        sign conventions of truncating and flooring division)."""
        if t.dtype != "int32":
            return None
        name = self._choice(("divide", "floor_divide", "mod", "floor_mod", "trunc_divide"))
        shape = tuple(1 if self._coin() else d for d in t.shape)
        divisor = self.rng.integers(1, 5, size=shape) * self.rng.choice([-1, 1], size=shape)
        expr = getattr(relay, name)(t.expr, relay.const(divisor.astype("int32")))
        return Tensor(expr, t.shape, t.dtype)

    def _arg_reduce(self, t):
        """argmax / argmin (ties after relu: the first index wins)."""
        if not t.shape:
            return None
        ndim = len(t.shape)
        axis = int(self.rng.integers(-ndim, ndim))
        keep = self._coin()
        src = relay.nn.relu(t.expr) if t.dtype == "float32" and self._coin() else t.expr
        expr = getattr(relay, self._choice(("argmax", "argmin")))(src, axis=axis, keepdims=keep)
        a = axis % ndim
        shape = tuple(1 if i == a else d for i, d in enumerate(t.shape) if keep or i != a)
        return Tensor(expr, shape, "int32")

    def _misc_float(self, t):
        """clip, leaky_relu, log_softmax, division by a constant away from zero."""
        if t.dtype != "float32":
            return None
        kind = self._choice(("clip", "leaky_relu", "log_softmax", "divide"))
        if kind == "clip":
            lo = float(self.rng.uniform(-1, 0))
            expr = relay.clip(t.expr, lo, lo + float(self.rng.uniform(0.1, 2)))
        elif kind == "leaky_relu":
            expr = relay.nn.leaky_relu(t.expr, alpha=float(self.rng.uniform(0.01, 0.5)))
        elif kind == "log_softmax":
            if not t.shape:
                return None
            expr = relay.nn.log_softmax(t.expr, axis=int(self.rng.integers(len(t.shape))))
        else:
            d = self.rng.uniform(0.5, 2.0) * self.rng.choice([-1, 1])
            expr = relay.divide(t.expr, relay.const(np.float32(d)))
        return Tensor(expr, t.shape, t.dtype)

    def _cast(self, t):
        # int32 -> float32 only: float -> int would round values that differ in the last bit
        if t.dtype != "int32":
            return None
        return Tensor(relay.cast(t.expr, "float32"), t.shape, "float32")

    def _twice(self, t):
        """The same subexpression built twice (EliminateCommonSubexpr), combined."""
        name = self._choice(INT_UNARY if t.dtype == "int32" else FLOAT_UNARY)
        fn = getattr(relay.nn, name) if name == "relu" else getattr(relay, name)
        return Tensor(relay.add(fn(t.expr), fn(t.expr)), t.shape, t.dtype)

    def _gather(self, t):
        """gather / gather_nd with constant indices in [-d, d) (negative: from the end)."""
        if not t.shape:
            return None
        ndim = len(t.shape)
        if self._coin():
            axis = int(self.rng.integers(ndim))
            ishape = tuple(int(self.rng.integers(1, d + 1)) for d in t.shape)
            ishape = ishape[:axis] + (int(self.rng.integers(1, 5)),) + ishape[axis + 1:]
            d = t.shape[axis]
            idx = self.rng.integers(-d, d, size=ishape).astype("int32")
            return Tensor(relay.gather(t.expr, axis, relay.const(idx)), ishape, t.dtype)
        depth = int(self.rng.integers(1, ndim + 1))
        rest = tuple(int(self.rng.integers(1, 4)) for _ in range(int(self.rng.integers(1, 3))))
        idx = np.stack([self.rng.integers(-d, d, size=rest) for d in t.shape[:depth]]).astype(
            "int32")
        return Tensor(relay.gather_nd(t.expr, relay.const(idx)), rest + t.shape[depth:], t.dtype)

    # -- graphs ------------------------------------------------------------------------
    def _step(self, dtype):  # pylint: disable=unused-argument
        int_ops = [(self._unary, 1), (self._binary, 3), (self._reduce, 1), (self._reshape, 1),
                   (self._transpose, 1), (self._concatenate, 1), (self._strided_slice, 1),
                   (self._take, 1), (self._cast, 0.7), (self._twice, 0.3),
                   (self._int_division, 1.5), (self._gather, 0.5)]
        float_ops = [(self._conv2d, 5), (self._dense, 1), (self._batch_matmul, 1),
                     (self._unary, 3), (self._binary, 3), (self._reduce, 1), (self._reshape, 1),
                     (self._transpose, 1), (self._concatenate, 1), (self._strided_slice, 1),
                     (self._pool, 2), (self._softmax, 1), (self._take, 0.5),
                     (self._channel_affine, 1.5), (self._twice, 0.5), (self._arg_reduce, 0.5),
                     (self._misc_float, 1), (self._gather, 0.5)]
        for _ in range(10):
            # prefer the newest tensors: chains fuse
            t = self.pool[-1] if self._coin(0.6) else self._choice(self.pool)
            ops = int_ops if t.dtype == "int32" else float_ops
            weights = np.array([w for _, w in ops], dtype=float)
            op = ops[int(self.rng.choice(len(ops), p=weights / weights.sum()))][0]
            if t.size > 4096:
                continue
            out = op(t)
            if out is not None and out.size > 0 and out.size <= 8192:
                self.consumed.add(id(t))
                self.pool.append(out)
                return op.__name__.lstrip("_")
        return None

    def generate(self):
        """The next random graph."""
        index = self.count
        self.count += 1
        dtype = "int32" if self._coin(self.int_probability) else "float32"
        self.params, self.values, self.weights = [], {}, set()
        self.pool, self.consumed = [], set()
        self.pool.append(self._new_input(dtype))
        if self._coin(0.3):
            self.pool.append(self._new_input(dtype))
        for _ in range(int(self.rng.integers(1, self.max_ops + 1))):
            self._step(dtype)
        leaves = [t for t in self.pool[1:] if id(t) not in self.consumed] or [self.pool[-1]]
        body = leaves[0].expr if len(leaves) == 1 else relay.Tuple([t.expr for t in leaves])
        used = relay.analysis.free_vars(body) if hasattr(relay, "analysis") else self.params
        func = relay.Function(list(used), body)
        names = {v.name_hint for v in func.params}
        inputs = {k: v for k, v in self.values.items() if k in names}
        return RandomGraph(self.seed, index, func, inputs, self.weights & names)


# -- checking -------------------------------------------------------------------------

CONFIGS = [(0, False), (3, False), (0, True), (3, True)]


class GraphMismatch(AssertionError):
    """A generated graph whose build or result differs from the reference."""


def _reference(graph):
    result = relay.create_executor("debug", mod=graph.mod).evaluate()(
        *[graph.inputs[p.name_hint] for p in graph.func.params])
    if isinstance(result, (list, tuple)):
        return [r.numpy() for r in result]
    return [result.numpy()]


def _build_and_run(graph, opt_level, auto_scheduler_path, bind_weights):
    from tvm import auto_scheduler  # pylint: disable=import-outside-toplevel
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

    params = {k: v for k, v in graph.inputs.items() if k in graph.weights} if bind_weights else {}
    ctx = auto_scheduler.ApplyHistoryBest([]) if auto_scheduler_path else contextlib.nullcontext()
    with ctx:
        with tvm.transform.PassContext(opt_level=opt_level):
            lib = relay.build(graph.mod, target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in graph.inputs.items():
        if name not in params:
            module.set_input(name, value)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def compare(actual, expected, dtype_hint=None):
    """Raise AssertionError unless the outputs match (1e-4 for floats, exact for ints)."""
    assert len(actual) == len(expected), f"{len(actual)} outputs, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"output {i}: shape {a.shape}, expected {e.shape}"
        assert a.dtype == e.dtype, f"output {i}: dtype {a.dtype}, expected {e.dtype}"
        if np.issubdtype(e.dtype, np.floating):
            np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-4, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(a, e, err_msg=f"output {i}")


def check_graph(graph, configs=CONFIGS):
    """Build ``graph`` for each (opt_level, auto_scheduler_path) of ``configs`` and compare
    with the reference interpreter; raise :class:`GraphMismatch` naming the seed, the graph,
    the configuration and the graph's text."""
    try:
        expected = _reference(graph)
    except Exception as err:  # pylint: disable=broad-except
        raise GraphMismatch(f"{graph.name}: reference interpreter failed: "
                            f"{type(err).__name__}: {err}\n{graph.text()}") from err
    for opt_level, auto_sched in configs:
        bind = opt_level == 3  # bound weights at O3: FoldConstant, kernel pre-transforms
        what = (f"{graph.name} opt_level={opt_level} "
                f"{'auto_scheduler ApplyHistoryBest([])' if auto_sched else 'TOPI'}"
                f"{' weights bound' if bind else ''}")
        try:
            actual = _build_and_run(graph, opt_level, auto_sched, bind)
            compare(actual, expected)
        except Exception as err:  # pylint: disable=broad-except
            raise GraphMismatch(f"{what}: {type(err).__name__}: {err}\n{graph.text()}") from err
