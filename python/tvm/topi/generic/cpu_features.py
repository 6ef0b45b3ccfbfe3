"""What a CPU target offers the schedules: vector lanes, registers, FMA, cores.

The schedules' tile sizes derive from one :class:`CPUFeatures` value made from
the target. Its features come from LLVM itself
(``tvm.target.codegen.llvm_get_cpu_features``: the feature set LLVM will
compile for, given ``mcpu`` and ``mattr``), so every CPU name LLVM knows is
classified the same way as the code it gets: ``-mcpu=rocketlake`` and
``znver4`` have AVX-512, ``alderlake`` and ``znver3`` AVX2 only, plain
``x86-64`` SSE2. A table of CPU names would go stale with each new CPU.

``host_cpu_flags()`` answers the other question, what the machine running the
code can execute (tests that run AVX-512 code skip on hosts without it).
"""
import functools
import os
from dataclasses import dataclass

import tvm

__all__ = ["CPUFeatures", "cpu_features", "host_cpu_flags", "host_supports"]


@dataclass(frozen=True)
class CPUFeatures:
    """The vector ISA of a CPU target, as the schedules use it.

    Attributes
    ----------
    isa : str
        ``"avx512"``, ``"avx2"``, ``"avx"`` or ``"sse"``.
    lanes : int
        float32 lanes of one vector register (16, 8 or 4).
    vector_registers : int
        Architectural vector registers (32 with AVX-512, else 16).
    fma : bool
        Fused multiply-add available.
    num_cores : int
        Threads the kernels run on (the target's ``num-cores``, else the host's).
    """

    isa: str
    lanes: int
    vector_registers: int
    fma: bool
    num_cores: int

    @property
    def accumulators(self):
        """Vector registers a register tile of accumulators may use.

        Three quarters of them; the rest hold the broadcast operands and the
        loaded vectors. Measured: 12 of AVX2's 16 was best for the direct
        convolutions; with AVX-512, 24 of 32 beat 12 on the ResNet 3x3 layers
        (NHWC 64->64 at 56x56: 295 against 270 GFLOPS on a Sapphire Rapids
        core pair).
        """
        return self.vector_registers * 3 // 4


def _llvm_features(target):
    attrs = target.attrs
    mcpu = str(attrs.get("mcpu", "") or "")
    mattr = tuple(str(a) for a in (attrs.get("mattr", None) or []))
    triple = str(attrs.get("mtriple", "") or "")
    return _llvm_features_of(mcpu, mattr, triple)


@functools.lru_cache(maxsize=None)
def _llvm_features_of(mcpu, mattr, triple):
    """LLVM's feature set for one (mcpu, mattr, mtriple); asked once per process."""
    config = {"kind": "llvm"}
    if mcpu:
        config["mcpu"] = mcpu
    if mattr:
        config["mattr"] = list(mattr)
    if triple:
        config["mtriple"] = triple
    try:
        return frozenset(tvm.target.codegen.llvm_get_cpu_features(tvm.target.Target(config)))
    except Exception:  # pylint: disable=broad-except
        return frozenset()  # not a CPU LLVM can describe: the SSE baseline


def cpu_features(target=None):
    """:class:`CPUFeatures` of ``target`` (default: the current target, else the host).

    Parameters
    ----------
    target : tvm.target.Target, optional
        An ``llvm`` target. Without one (no target in scope), the host CPU is
        assumed: its LLVM name, as the fork's default target resolves it.
    """
    if target is None:
        target = tvm.target.Target.current(allow_none=True)
    if target is None:
        target = tvm.target.Target("llvm")
    num_cores = os.cpu_count() or 1
    attrs = target.attrs
    cores = attrs.get("num-cores", None) if hasattr(attrs, "get") else None
    if cores is not None and int(cores) > 0:
        num_cores = int(cores)
    features = _llvm_features(target) if target.kind.name == "llvm" else set()
    if "avx512f" in features:
        isa, lanes, registers = "avx512", 16, 32
    elif "avx2" in features:
        isa, lanes, registers = "avx2", 8, 16
    elif "avx" in features:
        isa, lanes, registers = "avx", 8, 16
    else:
        isa, lanes, registers = "sse", 4, 16
    return CPUFeatures(isa=isa, lanes=lanes, vector_registers=registers,
                       fma="fma" in features, num_cores=num_cores)


def host_cpu_flags():
    """The instruction-set flags of the machine running this process (a set of str).

    Read from ``/proc/cpuinfo`` (Linux: exactly what the kernel lets processes
    use; :func:`tvmfork.compat.host_cpu_flags`); elsewhere from LLVM's
    description of the host CPU.
    """
    from tvmfork.compat import host_cpu_flags as proc_flags  # pylint: disable=import-outside-toplevel

    flags = proc_flags()
    if flags is not None:
        return flags
    host = tvm.target.Target({"kind": "llvm", "mcpu": tvm.target.codegen.llvm_get_system_cpu()})
    return {f.replace("-", "_") for f in _llvm_features(host)}


def host_supports(features):
    """True when the host can run code compiled for ``features`` (a :class:`CPUFeatures`)."""
    flags = host_cpu_flags()
    needed = {"avx512": {"avx512f", "avx512vl", "avx512bw", "avx512dq"}, "avx2": {"avx2"},
              "avx": {"avx"}, "sse": set()}[features.isa]
    if features.fma:
        needed = needed | {"fma"}
    return needed <= flags
