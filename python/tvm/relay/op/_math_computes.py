"""TE computes of elementwise ops that the base's TOPI lacks or cannot lower.

* ``cosh`` / ``sinh``: the base's ``topi.cosh`` / ``topi.sinh`` emit the
  ``tirx.cosh`` / ``tirx.sinh`` intrinsics, which its LLVM codegen does not
  know ("unknown intrinsic"). Here they are written with ``exp``.
* ``trunc_divide`` / ``trunc_mod``: no TOPI compute in the base. Integers
  divide with truncation toward zero (C semantics); floats give
  ``trunc(a / b)`` and ``fmod(a, b)``, as upstream TVM. An integer division by
  zero is undefined, as in C.
* ``exp``, ``erf``, ``tanh``, ``sigmoid`` and ``softmax`` on float32: the
  base lowers ``tirx.exp``/``erf``/``tanh`` to one libm call per element
  (LLVM has no vector form without a vector math library), so a GELU over a
  197x768 activation took 5.1 ms where the polynomial forms of TOPI
  (``topi.fast_exp``, ``fast_erf``, ``fast_tanh``), which vectorise, take
  0.18 ms. Their error is a few float32 ulp (measured against float64 on
  [-10, 10] and N(0, 3): relative 9e-8 for exp, 3.7e-7 for erf, 2.6e-7 for
  tanh), so they serve as the float32 kernels at every opt_level (upstream
  switched to them only with the opt_level 4 ``FastMath`` pass). float64
  keeps the libm intrinsics, and so does a function applied to another
  polynomial (``tanh(tanh(x))``): each polynomial reads its input about ten
  times, and nested ones inlined into one kernel grow exponentially.
* ``power`` on integers: the base's ``topi.power`` accepts floats only
  ("power only applies to float"). Integer powers are computed exactly by
  binary exponentiation over the exponent's bits, wrapping around on
  overflow like NumPy.
"""
import tvm
from tvm import te, topi
from tvm.tirx import IntImm

__all__ = ["cosh", "sinh", "trunc_divide", "trunc_mod", "power", "exp", "erf", "tanh", "sigmoid",
           "softmax"]

# Below this magnitude sinh uses its Taylor series: (e - 1/e) / 2 cancels
# catastrophically near 0 (relative error ~ eps / |x|).
_SINH_SERIES_BOUND = 0.5
# Odd Taylor terms of sinh up to x**13: at |x| < 0.5 the first dropped term is
# below 1e-17 of the result, enough for float64.
_SINH_SERIES_TERMS = 7


def _is_one(dim):
    return isinstance(dim, IntImm) and dim.value == 1 or (isinstance(dim, int) and dim == 1)


def _is_static(dim):
    return isinstance(dim, (int, IntImm))


def _broadcast_dims(lhs, rhs):
    """NumPy broadcasting of two TE shapes (a symbolic size is assumed to match)."""
    ndim = max(len(lhs), len(rhs))
    lhs = [None] * (ndim - len(lhs)) + list(lhs)
    rhs = [None] * (ndim - len(rhs)) + list(rhs)
    out = []
    for a, b in zip(lhs, rhs):
        if a is None or _is_one(a):
            out.append(b if b is not None else a)
        elif b is None or _is_one(b):
            out.append(a)
        elif _is_static(a) or not _is_static(b):
            out.append(a)
        else:
            out.append(b)
    return out


def _read(tensor, index):
    """``tensor`` at the broadcast output ``index`` (size-1 axes read index 0)."""
    offset = len(index) - len(tensor.shape)
    return tensor(*[0 if _is_one(dim) else index[offset + k] for k, dim in enumerate(tensor.shape)])


def broadcast_binary(lhs, rhs, fexpr, name, tag="broadcast"):
    """``te.compute`` of ``fexpr(a, b)`` over the broadcast shape of two tensors."""
    shape = _broadcast_dims(lhs.shape, rhs.shape)
    return te.compute(
        shape, lambda *i: fexpr(_read(lhs, i), _read(rhs, i)), name=name, tag=tag
    )


def _is_int(dtype):
    return str(dtype).startswith(("int", "uint"))


# ----------------------------------------------------------------- cosh / sinh
def cosh(x):
    """Hyperbolic cosine ``(e**x + e**-x) / 2`` (one ``exp`` per element)."""

    def fexpr(*i):
        e = te.exp(x(*i))
        half = tvm.tirx.const(0.5, x.dtype)
        return half * (e + tvm.tirx.const(1, x.dtype) / e)

    return te.compute(x.shape, fexpr, name="T_cosh", tag="elemwise")


def _sinh_series(v, dtype):
    """``sinh(v)`` by its Taylor series, Horner form (for small ``|v|``)."""
    sq = v * v
    acc = tvm.tirx.const(1, dtype)
    # sinh(v) = v * (1 + v^2/(2*3) * (1 + v^2/(4*5) * (1 + ...)))
    for k in range(_SINH_SERIES_TERMS - 1, 0, -1):
        acc = tvm.tirx.const(1, dtype) + sq * tvm.tirx.const(1.0 / ((2 * k) * (2 * k + 1)), dtype) * acc
    return v * acc


def sinh(x):
    """Hyperbolic sine: ``(e**x - e**-x) / 2``, its Taylor series near 0."""

    def fexpr(*i):
        v = tvm.tirx.Var("v", x.dtype)
        e = te.exp(v)
        half = tvm.tirx.const(0.5, x.dtype)
        direct = half * (e - tvm.tirx.const(1, x.dtype) / e)
        small = te.abs(v) < tvm.tirx.const(_SINH_SERIES_BOUND, x.dtype)
        return tvm.tirx.Let(v, x(*i), tvm.tirx.Select(small, _sinh_series(v, x.dtype), direct))

    return te.compute(x.shape, fexpr, name="T_sinh", tag="elemwise")


# -------------------------------------------------------- trunc_divide / _mod
def trunc_divide(lhs, rhs):
    """``a / b`` rounded toward zero (integers: C division; floats: ``trunc(a / b)``)."""
    if _is_int(lhs.dtype):
        return broadcast_binary(lhs, rhs, tvm.tirx.truncdiv, "T_trunc_divide")
    return broadcast_binary(lhs, rhs, lambda a, b: tvm.tirx.trunc(a / b), "T_trunc_divide")


def trunc_mod(lhs, rhs):
    """Remainder of :func:`trunc_divide`, with the sign of ``a`` (C's ``%`` / ``fmod``)."""
    # TIR's Mod node: C's % on integers, LLVM's frem (exact fmod) on floats
    # (the ``tirx.fmod`` intrinsic has no LLVM lowering in the base).
    return broadcast_binary(lhs, rhs, tvm.tirx.truncmod, "T_trunc_mod")


# ----------------------------------------------------------------------- power
def _square_and_multiply():
    """The reducer of left-to-right binary exponentiation: ``acc * acc * factor``.

    Used over the exponent's bits, most significant first, with factor ``a``
    where the bit is set and 1 elsewhere, it gives ``a ** e`` in as many
    steps as the type has bits. It is not commutative: the bit loop must run
    in order, which every schedule here keeps (``rfactor`` refuses a reducer
    it does not recognise).

    Why a reduction and not an unrolled expression: the squares are shared
    subexpressions, and TIR's simplifier inlines ``Let`` bindings, so an
    unrolled form grows as ``2 ** bits`` (int32 exhausted memory).
    """
    return te.comm_reducer(
        lambda acc, factor: acc * acc * factor,
        lambda dtype: tvm.tirx.const(1, dtype),
        name="square_and_multiply",
    )


def _int_power(lhs, rhs):
    """``lhs ** rhs`` for integer tensors, exact modulo ``2 ** bits`` (as NumPy).

    A negative exponent (signed types) gives the truncated value of
    ``1 / a ** -e``: 1 for ``a == 1``, +-1 for ``a == -1``, 0 otherwise (also
    for ``a == 0``, where it is undefined).
    """
    dtype = str(lhs.dtype)
    signed = dtype.startswith("int")
    nbits = tvm.DataType(dtype).bits - (1 if signed else 0)
    one = tvm.tirx.const(1, dtype)
    zero = tvm.tirx.const(0, dtype)
    reducer = _square_and_multiply()
    shape = _broadcast_dims(lhs.shape, rhs.shape)
    bit = te.reduce_axis((0, nbits), name="bit")

    def positive(*i):
        a, e = _read(lhs, i), _read(rhs, i)
        shift = (tvm.tirx.const(nbits - 1, "int32") - bit.var).astype(dtype)
        is_set = tvm.tirx.bitwise_and(tvm.tirx.shift_right(e, shift), one) != zero
        return reducer(tvm.tirx.Select(is_set, a, one), axis=bit)

    pos = te.compute(shape, positive, name="T_power_bits", tag="broadcast")
    if not signed:
        return pos

    def fexpr(*i):
        a, e = _read(lhs, i), _read(rhs, i)
        minus_one = tvm.tirx.const(-1, dtype)
        odd = tvm.tirx.bitwise_and(e, one) != zero
        inverse = tvm.tirx.Select(
            a == one, one,
            tvm.tirx.Select(a == minus_one, tvm.tirx.Select(odd, minus_one, one), zero))
        return tvm.tirx.Select(e < zero, inverse, pos(*i))

    return te.compute(shape, fexpr, name="T_power", tag="broadcast")


def power(lhs, rhs):
    """``lhs ** rhs`` with broadcasting: floats by ``topi.power``, integers exactly."""
    if not _is_int(lhs.dtype):
        return topi.power(lhs, rhs)
    if str(lhs.dtype) != str(rhs.dtype):
        raise TypeError(f"power: dtype mismatch: lhs is {lhs.dtype} but rhs is {rhs.dtype}")
    return _int_power(lhs, rhs)


_POLYNOMIAL_STAGES = ("T_fast_exp", "T_fast_erf", "T_fast_tanh", "sigmoid")


def _polynomials_inlined_into(x):
    """How many polynomial stages the schedule would inline into a reader of ``x``.

    A polynomial reads its input about ten times; the injective schedules
    inline every elementwise stage, so polynomials nested through elementwise
    stages grow exponentially (measured: three nested tanh took 1.6 s to
    build, four several minutes). The walk stops at inputs and reductions,
    which are read from memory.
    """
    count, stack, seen = 0, [x.op], set()
    while stack:
        op = stack.pop()
        if op in seen or not isinstance(op, te.ComputeOp) or op.reduce_axis:
            continue
        seen.add(op)
        count += op.name in _POLYNOMIAL_STAGES
        stack.extend(t.op for t in op.input_tensors)
    return count


def _float32_polynomial(exact, polynomial):
    def compute(x):
        if str(x.dtype) == "float32" and not _polynomials_inlined_into(x):
            return polynomial(x)
        return exact(x)  # float64, or a polynomial already below: one level of nesting only

    compute.__name__ = exact.__name__
    return compute


exp = _float32_polynomial(topi.exp, topi.fast_exp)
erf = _float32_polynomial(topi.erf, topi.fast_erf)
tanh = _float32_polynomial(topi.tanh, topi.fast_tanh)


def sigmoid(x):
    """``1 / (1 + exp(-x))`` with the vectorising exp on float32."""
    if str(x.dtype) != "float32" or _polynomials_inlined_into(x):
        return topi.sigmoid(x)
    one = tvm.tirx.const(1.0, "float32")
    denominator = topi.fast_exp(topi.negative(x))
    return te.compute(x.shape, lambda *i: one / (one + denominator(*i)), name="sigmoid",
                      tag="elemwise")


def softmax(x, axis=-1):
    """Softmax along ``axis`` (``topi.nn.fast_softmax``'s vectorising exp on float32)."""
    if str(x.dtype) == "float32":
        return topi.nn.fast_softmax(x, axis)
    return topi.nn.softmax(x, axis)
