"""Fixtures shared by the unit tests.

``isa_target``: each x86 vector ISA the schedules derive their tiles from,
as an LLVM target (``core-avx2``: 8 float32 lanes, 16 registers;
``skylake-avx512``: 16 lanes, 32 registers). A test that runs the compiled
code skips, with the reason, where the host cannot execute that ISA; code
generation for both is checked everywhere by the assembly tests.
"""
import pytest

import tvm
from tvm.topi.generic.cpu_features import cpu_features, host_supports

ISA_TARGETS = {
    "avx2": {"kind": "llvm", "mcpu": "core-avx2"},
    "avx512": {"kind": "llvm", "mcpu": "skylake-avx512"},
}


@pytest.fixture(params=sorted(ISA_TARGETS))
def isa_target(request):
    """An x86 target per vector ISA, skipped where the host cannot run its code."""
    target = tvm.target.Target(ISA_TARGETS[request.param])
    if not host_supports(cpu_features(target)):
        pytest.skip(f"host CPU cannot run {request.param} code ({ISA_TARGETS[request.param]['mcpu']})")
    return target
