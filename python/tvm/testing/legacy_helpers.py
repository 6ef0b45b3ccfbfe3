"""TVM 0.8's ``tvm.testing`` helpers that the base's ``tvm.testing`` no longer has.

They are put on ``tvm.testing`` by the patch ``testing_helpers`` of
:mod:`tvmfork.compat` when ``tvm.testing`` is first imported (a name the base
defines is never replaced).

GPU and accelerator targets: this fork runs on the CPU only, so every
``requires_<gpu or accelerator>`` marker skips its test with a reason that says
so; ``requires_llvm`` and ``requires_rpc`` run (the base has both).
"""
import pytest

import tvm

# Targets the fork can compile and run (0.8's default list was wider).
_RUNNABLE_KINDS = ("llvm", "c")


def _target_kind(target):
    if isinstance(target, dict):
        return target["kind"]
    return str(target).split()[0]


def _compose(args, marks):
    """Apply ``marks`` to a function given bare (``@uses_gpu``) or return a
    decorator (``@uses_gpu()``)."""
    if len(args) == 1 and callable(args[0]):
        func = args[0]
        for mark in reversed(marks):
            func = mark(func)
        return func

    def decorator(func):
        return _compose((func,), marks)

    return decorator


def uses_gpu(*args):
    """Mark a test as one that also runs on a GPU when there is one (0.8's
    ``tvm.testing.uses_gpu``): it adds the ``gpu`` marker; the test itself
    runs on the enabled targets (here: the CPU)."""
    return _compose(args, [pytest.mark.gpu])


def _requires(name, available, reason):
    def marker(*args):
        return _compose(args, [getattr(pytest.mark, name),
                               pytest.mark.skipif(not available, reason=reason)])

    marker.__name__ = f"requires_{name}"
    marker.__doc__ = f"Skip the test unless {name} is available ({reason} otherwise)."
    return marker


requires_llvm = _requires("llvm", True, "LLVM is built into the base")
requires_rpc = _requires("rpc", True, "the base has tvm.rpc")
_NO_GPU = "this fork runs on the CPU only (no GPU or accelerator code path can run here)"
requires_gpu = _requires("gpu", False, _NO_GPU)
requires_cuda = _requires("cuda", False, _NO_GPU)
requires_cudagraph = _requires("cudagraph", False, _NO_GPU)
requires_cudnn = _requires("cudnn", False, _NO_GPU)
requires_cublas = _requires("cublas", False, _NO_GPU)
requires_nvptx = _requires("nvptx", False, _NO_GPU)
requires_opencl = _requires("opencl", False, _NO_GPU)
requires_rocm = _requires("rocm", False, _NO_GPU)
requires_vulkan = _requires("vulkan", False, _NO_GPU)
requires_metal = _requires("metal", False, _NO_GPU)
requires_tensorcore = _requires("tensorcore", False, _NO_GPU)
requires_micro = _requires("micro", False, "microTVM is not part of this fork")
requires_hexagon = _requires("hexagon", False, "Hexagon is not part of this fork")
requires_ethosn = _requires("ethosn", False, "Arm Ethos-N is not part of this fork")
requires_ethosu = _requires("ethosu", False, "Arm Ethos-U is not part of this fork")
requires_cmsisnn = _requires("cmsisnn", False, "CMSIS-NN is not part of this fork")
requires_tensorrt = _requires("tensorrt", False, "TensorRT is not part of this fork")
requires_package = None  # set below (takes package names)


def _requires_package(*packages):
    """Skip the test unless every Python package in ``packages`` imports."""
    import importlib.util  # pylint: disable=import-outside-toplevel

    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    return pytest.mark.skipif(bool(missing), reason=f"needs the packages {missing}")


requires_package = _requires_package


def runnable_targets(targets=None):
    """The targets of ``targets`` (default: 0.8's default list) this machine runs."""
    names = targets if targets is not None else [t for t, _ in tvm.testing.enabled_targets()]
    return [t for t in names if _target_kind(t) in _RUNNABLE_KINDS]


def parametrize_targets(*args):
    """Parametrize a test over targets (0.8's ``tvm.testing.parametrize_targets``).

    ``@parametrize_targets`` runs it on every enabled target,
    ``@parametrize_targets("llvm", "cuda")`` on those of the list this machine
    can run (the others appear as skipped). The test takes ``target`` and
    ``dev`` (the plugin :mod:`tvm.testing.plugin` provides ``dev``).
    """
    def decorator(func, targets=None):
        chosen = list(targets) if targets is not None else [t for t, _ in tvm.testing.enabled_targets()]
        params = [
            pytest.param(t, marks=() if _target_kind(t) in _RUNNABLE_KINDS else
                         pytest.mark.skip(reason=f"target {t!r} cannot run here: {_NO_GPU}"))
            for t in chosen
        ]
        return pytest.mark.parametrize("target", params)(func)

    if len(args) == 1 and callable(args[0]):
        return decorator(args[0])
    return lambda func: decorator(func, args)


def exclude_targets(*targets):
    """Leave ``targets`` out of a test's target parametrization."""
    return pytest.mark.tvm_exclude_targets(*targets)


def known_failing_targets(*targets):
    """Mark ``targets`` as known to fail for a test (expected failure)."""
    return pytest.mark.tvm_known_failing_targets(*targets)


def parameters(*value_sets, ids=None):
    """Several fixtures that take their values together (0.8's
    ``tvm.testing.parameters``): ``a, b = parameters((1, 2), (3, 4))`` gives
    ``a=1, b=2`` then ``a=3, b=4``."""
    value_sets = [tuple(v) for v in value_sets]
    if not value_sets:
        raise ValueError("tvm.testing.parameters needs at least one value set")
    width = len(value_sets[0])
    if any(len(v) != width for v in value_sets):
        raise ValueError("tvm.testing.parameters: every value set must have the same length")

    # ``*_cls``: the fixtures may be defined in a test class, where pytest
    # passes the instance first.
    @pytest.fixture(params=value_sets, ids=ids)
    def group(*_cls, request):
        return request.param

    # pytest finds fixtures by their attribute name in the test module or class;
    # the caller binds the returned fixtures to names, and the group is put
    # beside them (the namespace of the module or class body calling us).
    group_name = f"_tvm_parameters_{id(group)}"
    import inspect  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel

    sys._getframe(1).f_locals[group_name] = group  # pylint: disable=protected-access

    def member(index):
        def fixture(*_cls, **requested):
            return requested[group_name][index]

        # The group must be an argument pytest sees (it parametrizes statically).
        fixture.__signature__ = inspect.Signature([
            inspect.Parameter("_cls", inspect.Parameter.VAR_POSITIONAL),
            inspect.Parameter(group_name, inspect.Parameter.KEYWORD_ONLY),
        ])
        return pytest.fixture(fixture)

    return tuple(member(i) for i in range(width))


#: Names this module adds to ``tvm.testing`` (see :mod:`tvmfork.compat`).
NAMES = [
    "uses_gpu", "parametrize_targets", "exclude_targets", "known_failing_targets",
    "parameters", "requires_package", "runnable_targets",
] + [name for name in dir() if name.startswith("requires_")]
