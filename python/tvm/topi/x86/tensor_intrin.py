"""Tensor intrinsics of the u8 x s8 -> s32 dot product of 4-element groups on x86.

One intrinsic computes ``C[i] += sum_k A[k] * B[i, k]`` for ``k < 4`` and
``i < lanes``: ``A`` is 4 ``uint8`` values (one 32-bit word, broadcast to every
lane), ``B`` a ``lanes x 4`` block of ``int8`` values, ``C`` ``lanes`` ``int32``
accumulators. It is the inner step of an int8 convolution whose kernel is
blocked as ``[..., lanes output channels, 4 input channels]``.

Four intrinsics, registered on first use under the fork's names (the base
wheel's ``tvm.s_tir.tensor_intrin.x86`` is not imported: importing it imports
every intrinsic package of the base, CUDA's included, which took about a
minute; and its ``dot_16x4_vnni`` passes ``vpdpbusd`` 32-bit vectors, the
signature of LLVM < 20, which LLVM 20 and later reject):

* ``x86_dot_u8i8i32_16x4_vnni``: AVX-512 VNNI's ``vpdpbusd`` (16 lanes);
* ``x86_dot_u8i8i32_16x4_avx512``: AVX-512BW's ``vpmaddubsw`` + ``vpmaddwd``;
* ``x86_dot_u8i8i32_8x4_avx2``: 8 lanes, ``pmaddubsw`` + ``pmaddwd`` on 256-bit registers;
* ``x86_dot_u8i8i32_4x4_ssse3``: 4 lanes, SSSE3's ``pmaddubsw`` + SSE2's ``pmaddwd``.

:func:`select_dot_intrin` picks the widest intrinsic a target has.
"""
from tvm.script import tirx as T
from tvm.s_tir import TensorIntrin

from ..generic.cpu_features import _llvm_features

__all__ = [
    "AVX2_DOT_8x4_INTRIN",
    "SSSE3_DOT_4x4_INTRIN",
    "VNNI_DOT_16x4_INTRIN",
    "AVX512_DOT_16x4_INTRIN",
    "select_dot_intrin",
    "ensure_registered",
    "dot_intrin_lanes",
]

VNNI_DOT_16x4_INTRIN = "x86_dot_u8i8i32_16x4_vnni"
AVX512_DOT_16x4_INTRIN = "x86_dot_u8i8i32_16x4_avx512"
AVX2_DOT_8x4_INTRIN = "x86_dot_u8i8i32_8x4_avx2"
SSSE3_DOT_4x4_INTRIN = "x86_dot_u8i8i32_4x4_ssse3"


def _desc(lanes):
    @T.prim_func(s_tir=True)
    def desc(
        A: T.Buffer((4,), "uint8", offset_factor=1),
        B: T.Buffer((lanes, 4), "int8", offset_factor=1),
        C: T.Buffer((lanes,), "int32", offset_factor=1),
    ) -> None:
        with T.sblock("root"):
            T.reads(C[0:lanes], A[0:4], B[0:lanes, 0:4])
            T.writes(C[0:lanes])
            for i in T.serial(0, lanes):
                for k in T.serial(0, 4):
                    with T.sblock("update"):
                        vi, vk = T.axis.remap("SR", [i, k])
                        C[vi] = C[vi] + T.cast(A[vk], "int32") * T.cast(B[vi, vk], "int32")

    return desc


def _pmadd_impl(lanes, pmaddubsw, pmaddwd):
    """``C += pmaddwd(pmaddubsw(A, B_hi), 1) + pmaddwd(pmaddubsw(A, B_lo), 1)`` on
    ``lanes`` int32 lanes, with ``B_hi = B >> 1`` and ``B_lo = B - B_hi``.

    ``pmaddubsw`` adds two u8 x s8 products into a saturating int16: with
    weights of the full int8 range (``255 * -128 * 2`` is far below -32768)
    the sum saturates and the result is wrong (TVM 0.8's x86 int8 kernels had
    that limit). Split in two halves of magnitude at most 64, each pair sum is
    at most ``255 * 64 * 2 = 32640`` and exact; the int32 sums of both halves
    give the exact dot product for every uint8 x int8 input, at twice the
    multiply-adds (still about 3x the plain int32 path on AVX2).
    """
    nbytes = lanes * 4
    u8 = f"uint8x{nbytes}"
    i8 = f"int8x{nbytes}"
    i16 = f"int16x{lanes * 2}"
    i32 = f"int32x{lanes}"

    @T.prim_func(s_tir=True)
    def impl(
        A: T.Buffer((4,), "uint8", offset_factor=1),
        B: T.Buffer((lanes, 4), "int8", offset_factor=1),
        C: T.Buffer((lanes,), "int32", offset_factor=1),
    ) -> None:
        with T.sblock("root"):
            T.reads(C[0:lanes], A[0:4], B[0:lanes, 0:4])
            T.writes(C[0:lanes])
            a_word = T.reinterpret(A.vload([0], "uint8x4"), dtype="int32")
            a_bytes = T.reinterpret(T.broadcast(a_word, lanes), dtype=u8)
            b_all = B.vload([0, 0], dtype=i8)
            b_hi = T.shift_right(b_all, T.broadcast(T.int8(1), nbytes))
            b_lo = b_all - b_hi
            ones = T.broadcast(T.int16(1), lanes * 2)
            C[T.ramp(T.int32(0), 1, lanes)] += T.call_llvm_pure_intrin(
                T.llvm_lookup_intrinsic_id(pmaddwd),
                T.call_llvm_pure_intrin(T.llvm_lookup_intrinsic_id(pmaddubsw), a_bytes, b_hi,
                                        dtype=i16),
                ones, dtype=i32) + T.call_llvm_pure_intrin(
                T.llvm_lookup_intrinsic_id(pmaddwd),
                T.call_llvm_pure_intrin(T.llvm_lookup_intrinsic_id(pmaddubsw), a_bytes, b_lo,
                                        dtype=i16),
                ones, dtype=i32)

    return impl


def _vnni_impl(byte_operands):
    """``C = vpdpbusd(C, broadcast(A), B)``: with byte-vector operands (LLVM >= 20)
    or with 32-bit vector operands (LLVM < 20's signature)."""

    def operands(a_word, b_ref):
        if byte_operands:
            return (T.reinterpret(T.broadcast(a_word, 16), dtype="uint8x64"),
                    b_ref.vload([0, 0], dtype="int8x64"))
        return (T.broadcast(a_word, 16),
                T.reinterpret(b_ref.vload([0, 0], dtype="int8x64"), dtype="int32x16"))

    @T.prim_func(s_tir=True)
    def impl(
        A: T.Buffer((4,), "uint8", offset_factor=1),
        B: T.Buffer((16, 4), "int8", offset_factor=1),
        C: T.Buffer((16,), "int32", offset_factor=1),
    ) -> None:
        with T.sblock("root"):
            T.reads(C[0:16], A[0:4], B[0:16, 0:4])
            T.writes(C[0:16])
            a_word = T.reinterpret(A.vload([0], "uint8x4"), dtype="int32")
            C[T.ramp(T.int32(0), 1, 16)] = T.call_llvm_pure_intrin(
                T.llvm_lookup_intrinsic_id("llvm.x86.avx512.vpdpbusd.512"),
                C.vload([0], dtype="int32x16"), *operands(a_word, B), dtype="int32x16")

    return impl


def _make(name):
    import tvm  # pylint: disable=import-outside-toplevel

    if name == VNNI_DOT_16x4_INTRIN:
        old_llvm = tvm.target.codegen.llvm_version_major() < 20
        return _desc(16), _vnni_impl(byte_operands=not old_llvm)
    if name == AVX512_DOT_16x4_INTRIN:
        return _desc(16), _pmadd_impl(16, "llvm.x86.avx512.pmaddubs.w.512",
                                      "llvm.x86.avx512.pmaddw.d.512")
    if name == AVX2_DOT_8x4_INTRIN:
        return _desc(8), _pmadd_impl(8, "llvm.x86.avx2.pmadd.ub.sw", "llvm.x86.avx2.pmadd.wd")
    return _desc(4), _pmadd_impl(4, "llvm.x86.ssse3.pmadd.ub.sw.128", "llvm.x86.sse2.pmadd.wd")


def ensure_registered(name):
    """Register the intrinsic ``name`` (one of this module's four) if not yet done."""
    if TensorIntrin.get(name, allow_missing=True) is None:
        TensorIntrin.register(name, *_make(name))
    return name


_LANES = {VNNI_DOT_16x4_INTRIN: 16, AVX512_DOT_16x4_INTRIN: 16, AVX2_DOT_8x4_INTRIN: 8,
          SSSE3_DOT_4x4_INTRIN: 4}


def select_dot_intrin(target=None):
    """The u8 x s8 -> s32 dot-product intrinsic for ``target``, or None.

    VNNI > AVX-512BW > AVX2 > SSSE3 > none, from LLVM's feature set of the
    target's ``mcpu``/``mattr`` (see :mod:`tvm.topi.generic.cpu_features`).

    Parameters
    ----------
    target : tvm.target.Target, optional
        Default: the current target, else the host (``llvm``).

    Returns
    -------
    name : str or None
        A registered :class:`tvm.s_tir.TensorIntrin` name.
    """
    import tvm  # pylint: disable=import-outside-toplevel

    if target is None:
        target = tvm.target.Target.current(allow_none=True) or tvm.target.Target("llvm")
    if target.kind.name != "llvm":
        return None
    features = _llvm_features(target)
    if "avx512vnni" in features and "avx512f" in features:
        return ensure_registered(VNNI_DOT_16x4_INTRIN)
    if "avx512bw" in features:
        return ensure_registered(AVX512_DOT_16x4_INTRIN)
    if "avx2" in features:
        return ensure_registered(AVX2_DOT_8x4_INTRIN)
    if "ssse3" in features:
        return ensure_registered(SSSE3_DOT_4x4_INTRIN)
    return None


def dot_intrin_lanes(intrin):
    """The int32 lanes (output channels per step) of a dot-product intrinsic."""
    return _LANES[intrin]
