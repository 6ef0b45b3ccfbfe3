"""TVM 0.8's ``tvm.contrib.nvcc``: CUDA compute-capability queries.

The capability predicates (``have_fp16``, ``have_int8``, ``have_tensorcore``,
``have_cudagraph``) are pure functions of a compute version, as in 0.8. This fork
compiles for the CPU only: compiling CUDA (``compile_cuda``) raises an error that
says so.
"""


def parse_compute_version(compute_version):
    """``"7.5"`` -> ``(7, 5)``."""
    try:
        major, minor = str(compute_version).split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        raise ValueError(f"compute version {compute_version!r} is not of the form 'major.minor'") from None


def have_fp16(compute_version):
    """Whether a GPU of ``compute_version`` has fast float16 (5.3, 6.0 and newer)."""
    major, minor = parse_compute_version(compute_version)
    return (major == 5 and minor == 3) or major >= 6


def have_int8(compute_version):
    """Whether a GPU of ``compute_version`` has int8 dot products (6.1 and newer)."""
    major, minor = parse_compute_version(compute_version)
    return (major == 6 and minor == 1) or major >= 7


def have_tensorcore(compute_version=None, target=None):
    """Whether a GPU of ``compute_version`` has tensor cores (7.0 and newer)."""
    if compute_version is None:
        if target is None or "arch" not in str(target):
            return False
        compute_version = str(target).split("sm_")[-1][:2]
        compute_version = f"{compute_version[0]}.{compute_version[1]}"
    major, _ = parse_compute_version(compute_version)
    return major >= 7


def have_cudagraph():
    """CUDA graphs need a CUDA runtime: never available in this fork."""
    return False


def compile_cuda(code, target_format="ptx", arch=None, options=None, path_target=None):
    """Not available: this fork compiles for the CPU only."""
    del code, target_format, arch, options, path_target
    raise RuntimeError("tvm.contrib.nvcc.compile_cuda: this fork compiles for the CPU only "
                       "(no CUDA code path can run here)")
