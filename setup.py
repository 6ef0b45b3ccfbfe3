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
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithOverlay(build_py):
    """Copy the overlay folders into the wheel as data of ``tvmfork``."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        src = os.path.join(HERE, "python", "tvm")
        dst = os.path.join(self.build_lib, "tvmfork", "overlay", "tvm")
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(
    cmdclass={"build_py": BuildPyWithOverlay},
)
