"""Appending records to a tuning log without ever losing one.

Both tuners write their logs through :func:`append_lines`: one JSON record a
line, appended. Each append

* takes an exclusive lock on the file (``fcntl.flock``), so that processes
  appending to one log at the same time interleave whole lines only;
* first ends a partial last line (left by a run killed while writing) with a
  newline, so that the first new record is not glued onto it (the partial line
  is then skipped by the readers, with a warning naming its line);
* writes all its lines with one ``write`` call on a file opened in append mode.

This module imports neither tuner.
"""
import os

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system
    fcntl = None

__all__ = ["append_lines"]


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def append_lines(target, lines):
    """Append text lines (given without their newline) to a log.

    Parameters
    ----------
    target : Union[str, os.PathLike, file object]
        A path (created when missing, never truncated), or an open text file
        (then only locked, when it has a file descriptor, and written once).
    lines : Iterable[str]
        The lines; none may contain a newline.
    """
    text = "".join(line + "\n" for line in lines)
    if not text:
        return
    if not isinstance(target, (str, os.PathLike)):
        _append_to_file_object(target, text)
        return
    data = text.encode("utf-8")
    fd = os.open(os.fspath(target), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data
            _write_all(fd, data)
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _append_to_file_object(fout, text):
    try:
        fd = fout.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is not None and fcntl is not None:
        fout.flush()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            fout.write(text)
            fout.flush()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        fout.write(text)
        fout.flush()
