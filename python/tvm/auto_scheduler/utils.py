"""Small helpers shared by the auto-scheduler modules."""
import tvm


def as_target(target, argname="target"):
    """Convert a target given as a string (legacy form included), dict or Target.

    The legacy command-line form (``"llvm -mcpu=core-avx2"``) is converted by the
    fork's compat patch of :class:`tvm.target.Target` (see ``tvmfork.compat``).
    """
    if target is None:
        return None
    if isinstance(target, tvm.target.Target):
        return target
    if isinstance(target, (str, dict)):
        try:
            return tvm.target.Target(target)
        except Exception as err:  # pylint: disable=broad-except
            raise ValueError("%s: cannot parse target %r: %s" % (argname, target, err)) from err
    raise TypeError("%s must be a str, dict or tvm.target.Target, got %s" % (argname, type(target).__name__))


def target_to_str(target):
    """Canonical string of a target; ``tvm.target.Target(text)`` parses it back."""
    return str(as_target(target))


def get_const_tuple(shape):
    """Shape of a tensor as a tuple of Python ints (symbolic dims stay as they are)."""
    out = []
    for dim in shape:
        if isinstance(dim, int):
            out.append(dim)
        elif hasattr(dim, "value"):
            out.append(int(dim.value))
        else:
            out.append(dim)
    return tuple(out)


def cpu_count():
    """Number of CPUs this process may use."""
    import os  # pylint: disable=import-outside-toplevel

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
