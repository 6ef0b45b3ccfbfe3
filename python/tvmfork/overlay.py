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
import importlib.abc
import os
import sys

# Base packages that receive fork subfolders of the same relative path (tvm.driver:
# the fork adds driver/tvmc).
MOUNTED_PACKAGES = ("tvm", "tvm.topi", "tvm.contrib", "tvm.driver")

# Base packages mounted when they are first imported rather than at ``import tvm``
# (``tvm.testing`` imports pytest; a plain ``import tvm`` should not pay for it).
# The fork adds ``testing/plugin.py`` (0.8's pytest plugin) and the 0.8 helpers.
# ``tvm.topi.testing`` (NumPy references) gets 0.8's references fixed for NumPy 2
# by a callback (:mod:`tvm.topi.testing_v08`); it has no fork folder.
LAZY_MOUNTED_PACKAGES = ("tvm.testing", "tvm.topi.testing")

# ``{package: [callback(module)]}`` run once the lazily mounted package is imported.
_ON_IMPORT = {}


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


def _append_folder(module, package):
    folder = os.path.join(overlay_root(), *package.split(".")[1:])
    if os.path.isdir(folder) and folder not in list(module.__path__):
        module.__path__.append(folder)


def _finish_lazy_mount(module):
    _append_folder(module, module.__name__)
    for callback in _ON_IMPORT.get(module.__name__, []):
        callback(module)


class _MountOnImport(importlib.abc.MetaPathFinder):
    """Finds a lazily mounted package with the other finders, and mounts the
    fork's folder (and runs the registered callbacks) right after the base's
    ``__init__`` has run."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in LAZY_MOUNTED_PACKAGES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                base_exec = spec.loader.exec_module

                def exec_module(module, _base_exec=base_exec):
                    _base_exec(module)
                    _finish_lazy_mount(module)

                spec.loader.exec_module = exec_module
                return spec
        return None


def on_import(package, callback):
    """Run ``callback(module)`` once the lazily mounted ``package`` is imported
    (now, if it already is)."""
    _ON_IMPORT.setdefault(package, []).append(callback)
    if package in sys.modules:
        callback(sys.modules[package])


def mount():
    """Append the fork's folders to the ``__path__`` of the mounted packages."""
    for package in MOUNTED_PACKAGES:
        module = sys.modules.get(package) or importlib.import_module(package)
        _append_folder(module, package)
    for package in LAZY_MOUNTED_PACKAGES:
        if package in sys.modules:
            _append_folder(sys.modules[package], package)
    if not any(isinstance(f, _MountOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _MountOnImport())
