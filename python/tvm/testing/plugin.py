"""The pytest plugin of TVM 0.8's test suites (``pytest_plugins = ["tvm.testing.plugin"]``).

It registers the markers the 0.8 helpers use, gives every test that takes a
``target`` argument the enabled targets (unless it is parametrized already),
and provides the ``dev`` fixture: the device of ``target``.
"""
import pytest

import tvm
import tvm.testing

MARKERS = {
    "gpu": "runs on a GPU when there is one",
    "llvm": "needs LLVM",
    "rpc": "needs tvm.rpc",
    "tvm_exclude_targets": "targets left out of the target parametrization",
    "tvm_known_failing_targets": "targets on which the test is known to fail",
}


def pytest_configure(config):
    """Register the markers (so ``--strict-markers`` accepts them)."""
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    for name in ("cuda", "cudagraph", "cudnn", "cublas", "nvptx", "opencl", "rocm", "vulkan",
                 "metal", "tensorcore", "micro", "hexagon", "ethosn", "ethosu", "cmsisnn",
                 "tensorrt"):
        config.addinivalue_line("markers", f"{name}: needs {name} (skipped on this fork)")


def _marker_args(metafunc, name):
    values = []
    for mark in metafunc.definition.iter_markers(name):
        values.extend(mark.args)
    return values


def pytest_generate_tests(metafunc):
    """Parametrize ``target`` over the enabled targets when the test has not."""
    if "target" not in metafunc.fixturenames:
        return
    if any(m.args and m.args[0] in ("target", "target,dev") for m in
           metafunc.definition.iter_markers("parametrize")):
        return
    excluded = set(_marker_args(metafunc, "tvm_exclude_targets"))
    failing = set(_marker_args(metafunc, "tvm_known_failing_targets"))
    params = []
    for target, _ in tvm.testing.enabled_targets():
        if target in excluded:
            continue
        marks = [pytest.mark.xfail(reason="known failing target")] if target in failing else []
        params.append(pytest.param(target, marks=marks))
    metafunc.parametrize("target", params)


@pytest.fixture
def dev(target):
    """The device of ``target`` (``tvm.cpu(0)`` for ``llvm``)."""
    return tvm.device_from_target(target) if hasattr(tvm, "device_from_target") else tvm.cpu(0)
