"""The fork's start-up hook.

``tvmfork`` is the only top-level module the fork installs. The base wheel calls
:func:`_autoload` at the end of ``import tvm`` (entry point group
``tvm.backends``, declared in ``pyproject.toml``). It

1. mounts the fork's folders onto the base packages (:mod:`tvmfork.overlay`), so
   that ``from tvm import relay`` and ``from tvm.contrib import graph_executor``
   resolve to the fork while ``tvm.te`` and ``tvm.topi`` stay the base's;
2. installs the compatibility patches for TVM 0.8-era scripts
   (:mod:`tvmfork.compat`, the one module that touches base objects).

Why an entry point rather than a ``.pth`` file with a meta-path finder: the base
offers this hook for out-of-tree extensions, it works the same for editable and
wheel installs, and it runs after ``tvm`` is fully initialised. Setting
``TVM_DEVICE_BACKEND_AUTOLOAD=0`` disables the base's autoload and so the fork;
``import tvmfork`` mounts it by hand in that case.
"""
from .overlay import mount as _mount, overlay_root

__all__ = ["overlay_root", "install"]


def install():
    """Mount the overlay and apply the compatibility patches (idempotent)."""
    _mount()
    from . import compat  # pylint: disable=import-outside-toplevel

    compat.install()


def _autoload():
    """Entry point called by the base at the end of ``import tvm``."""
    install()


def _ensure_installed():
    import sys  # pylint: disable=import-outside-toplevel

    if "tvm" in sys.modules and getattr(sys.modules["tvm"], "__path__", None) is not None:
        install()


_ensure_installed()
