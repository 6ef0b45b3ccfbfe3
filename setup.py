"""Packaging of the fork.

The fork installs one top-level module of its own, ``tvmfork``, and never a
``tvm`` package: the base wheel owns ``tvm``. ``tvmfork`` declares an entry point
in the base's ``tvm.backends`` group; the base calls it at the end of
``import tvm``, and it mounts the fork's ``python/tvm`` folders (relay, autotvm,
auto_scheduler, topi/x86, contrib/graph_executor, ...) onto ``tvm.__path__`` and
the ``__path__`` of the base's subpackages (see ``tvmfork/overlay.py``).

* ``pip install -e .``: ``tvmfork`` is mapped to ``python/tvmfork`` and finds the
  overlay beside it in ``python/tvm``.
* a regular wheel: ``build_py`` copies ``python/tvm`` into the wheel as package
  data ``tvmfork/overlay/tvm``.

C++ (the graph executor, ``src/``): ``build_py`` also runs CMake on
``CMakeLists.txt`` (CMake and apache-tvm-ffi come from the build requirements in
``pyproject.toml``). The outputs stay in ``build/cpp/lib`` for an editable
install and are copied to ``tvmfork/lib`` in a wheel; ``tvm.contrib.graph_executor_lib``
looks in both. Set ``TVMFORK_SKIP_CPP=1`` to skip the C++ build (the graph executor
is then unavailable until it is built by hand).
"""
import os
import shutil
import subprocess
import sys

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
CPP_OUTPUTS = ("libtvmfork_runtime.so", "tvmfork_graph_executor_embed.o")


def _find_cmake():
    """CMake >= 3.26 from the ``cmake`` PyPI package if present, else from PATH."""
    try:
        import cmake  # pylint: disable=import-outside-toplevel

        candidate = os.path.join(cmake.CMAKE_BIN_DIR, "cmake")
        if os.path.isfile(candidate):
            return candidate
    except ImportError:
        pass
    found = shutil.which("cmake")
    if found is None:
        raise RuntimeError("building the fork's C++ needs CMake >= 3.26: pip install cmake")
    return found


def _tvm_ffi_cmake_dir():
    out = subprocess.run(
        [sys.executable, "-m", "tvm_ffi.config", "--cmakedir"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def build_cpp():
    """Configure and build the C++ runtime; return the folder holding its outputs."""
    build_dir = os.path.join(HERE, "build", "cpp")
    cmake = _find_cmake()
    # Python and tvm-ffi paths are passed every time: an isolated build environment
    # lives in a new temporary folder on each build, so cached paths go stale.
    subprocess.check_call(
        [
            cmake,
            "-S",
            HERE,
            "-B",
            build_dir,
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-Dtvm_ffi_DIR={_tvm_ffi_cmake_dir()}",
        ]
    )
    subprocess.check_call([cmake, "--build", build_dir, "-j", str(os.cpu_count() or 1)])
    return os.path.join(build_dir, "lib")


class SdistWithSources(sdist):
    """Put the overlay folder and the C++ sources in the sdist (they are no package)."""

    def make_release_tree(self, base_dir, files):
        extra = ["CMakeLists.txt"]
        for top in ("src", os.path.join("python", "tvm")):
            for folder, _, names in os.walk(os.path.join(HERE, top)):
                if "__pycache__" in folder:
                    continue
                extra += [
                    os.path.relpath(os.path.join(folder, name), HERE)
                    for name in names
                    if not name.endswith(".pyc")
                ]
        super().make_release_tree(base_dir, sorted(set(files) | set(extra)))


class BinaryDistribution(Distribution):
    """The wheel carries a shared library: tag it for the platform, not ``any``."""

    def has_ext_modules(self):
        return True


class BuildPyWithOverlay(build_py):
    """Copy the overlay folders into the wheel as data of ``tvmfork``."""

    def run(self):
        super().run()
        lib_dir = None
        if os.environ.get("TVMFORK_SKIP_CPP", "0") in ("", "0"):
            lib_dir = build_cpp()
        if getattr(self, "editable_mode", False):
            return
        if lib_dir is not None:
            dst_lib = os.path.join(self.build_lib, "tvmfork", "lib")
            os.makedirs(dst_lib, exist_ok=True)
            for name in CPP_OUTPUTS:
                shutil.copy2(os.path.join(lib_dir, name), os.path.join(dst_lib, name))
        src = os.path.join(HERE, "python", "tvm")
        dst = os.path.join(self.build_lib, "tvmfork", "overlay", "tvm")
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(
    cmdclass={"build_py": BuildPyWithOverlay, "sdist": SdistWithSources},
    distclass=BinaryDistribution,
)
