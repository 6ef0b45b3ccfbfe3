"""Mount the fork's ``tvm`` folders onto the base's packages.

The base wheel owns ``tvm/__init__.py`` and its subpackages; the fork must not
overwrite any of their files. Python resolves ``tvm.relay`` by scanning
``tvm.__path__``, so appending the fork's folder to it (and to the ``__path__``
of ``tvm.topi`` and ``tvm.contrib``, where the fork adds ``topi/x86`` or
``contrib/graph_executor``) makes the fork's modules importable under the base's
names. Appending, never prepending: a base module always wins over a fork module
of the same name, so the fork can only add.
"""
import importlib
import os
import sys

# Base packages that receive fork subfolders of the same relative path (tvm.driver:
# the fork adds driver/tvmc).
MOUNTED_PACKAGES = ("tvm", "tvm.topi", "tvm.contrib", "tvm.driver")


def overlay_root():
    """The folder that plays the role of ``tvm`` for the fork.

    ``python/tvm`` beside this package for a source checkout or an editable
    install; ``tvmfork/overlay/tvm`` (package data) for a wheel.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (
        os.path.join(here, "overlay", "tvm"),
        os.path.join(os.path.dirname(here), "tvm"),
    ):
        if os.path.isfile(os.path.join(candidate, "relay", "__init__.py")):
            return candidate
    raise ImportError(
        f"tvmfork: cannot find the fork's tvm folder next to {here}; "
        "reinstall the fork (pip install -e . or the wheel)"
    )


def mount():
    """Append the fork's folders to the ``__path__`` of the mounted packages."""
    root = overlay_root()
    for package in MOUNTED_PACKAGES:
        relative = package.split(".")[1:]
        folder = os.path.join(root, *relative)
        if not os.path.isdir(folder):
            continue
        module = sys.modules.get(package) or importlib.import_module(package)
        path = module.__path__
        if folder not in list(path):
            path.append(folder)
