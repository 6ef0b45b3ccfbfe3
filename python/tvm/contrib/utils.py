"""``tvm.contrib.utils``: temporary directories for builds and exports (TVM 0.8 API).

``tempdir()`` gives a directory that is removed when the object is garbage
collected (or by ``remove()``), unless ``keep_for_debug`` is set. It wraps the
standard ``tempfile`` module.
"""
import os
import shutil
import tempfile


class DirectoryCreatedPastAtExit(Exception):
    """A temporary directory was asked for while the interpreter was exiting."""


class TempDirectory:
    """A temporary directory (0.8's ``tvm.contrib.utils.TempDirectory``).

    Parameters
    ----------
    custom_path : str, optional
        Use (and create) this directory instead of a new one; it is not removed.
    keep_for_debug : bool, optional
        Keep the directory after use.
    """

    def __init__(self, custom_path=None, keep_for_debug=None):
        if custom_path:
            os.makedirs(custom_path, exist_ok=True)
            self.temp_dir = os.path.abspath(custom_path)
            self._owned = False
        else:
            self.temp_dir = tempfile.mkdtemp(prefix="tvm_")
            self._owned = True
        self.keep_for_debug = bool(keep_for_debug)

    @property
    def path(self):
        """The directory."""
        return self.temp_dir

    def remove(self):
        """Remove the directory now (if this object created it)."""
        if self.temp_dir and self._owned and not self.keep_for_debug:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            self.temp_dir = None

    def __del__(self):
        try:
            self.remove()
        except Exception:  # pylint: disable=broad-except
            pass  # interpreter shutdown

    def relpath(self, name):
        """``name`` inside the directory."""
        return os.path.join(self.temp_dir, name)

    def listdir(self):
        """Names of the files in the directory."""
        return os.listdir(self.temp_dir)

    def __enter__(self):
        return self

    def __exit__(self, ptype, value, trace):
        self.remove()


def tempdir(custom_path=None, keep_for_debug=None):
    """A new :class:`TempDirectory`."""
    return TempDirectory(custom_path, keep_for_debug)


def which(exec_name):
    """The full path of an executable on ``PATH``, or None."""
    return shutil.which(exec_name)


def is_source_path(path):
    """True if ``path`` names an existing file (0.8's helper)."""
    return os.path.isfile(path)
