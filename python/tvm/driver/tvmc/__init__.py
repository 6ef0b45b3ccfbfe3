"""TVMC: the command-line driver of the fork (``tvmc compile | tune | run``).

A reimplementation of upstream TVM 0.8's ``tvmc`` for this fork: models come
from ONNX (:mod:`.frontends`), :mod:`.compiler` builds them with Relay into a
package (:mod:`.package`: a tar of ``mod.so``, ``mod.json``, ``mod.params``),
:mod:`.tuner` tunes them with the auto-scheduler or AutoTVM, and
:mod:`.runner` runs a package (optionally profiling each operator).
:mod:`.main` holds the command line.
"""


class TVMCException(Exception):
    """An error the command line reports as one line, without a traceback."""


class TVMCImportError(TVMCException):
    """A model cannot be loaded (format not supported, frontend missing)."""


def __getattr__(name):
    # the Python API of upstream (tvmc.load, tvmc.compile, tvmc.tune, tvmc.run), loaded lazily
    lazy = {
        "load": ("frontends", "load_model"),
        "compile": ("compiler", "compile_model"),
        "tune": ("tuner", "tune_model"),
        "run": ("runner", "run_module"),
        "TVMCModel": ("frontends", "TVMCModel"),
        "TVMCPackage": ("package", "TVMCPackage"),
        "TVMCResult": ("runner", "TVMCResult"),
    }
    if name in lazy:
        import importlib  # pylint: disable=import-outside-toplevel

        module, attr = lazy[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
