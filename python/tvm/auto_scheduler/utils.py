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


def decode_workload_key(workload_key):
    """Split a workload key into its name (or DAG hash) and its flattened arguments.

    TVM 0.8's form, used to compare workloads argument by argument
    (:func:`calc_workload_dis_factor`): nested lists of the key (shapes) are
    flattened into one tuple; a key that is not a JSON list gives
    ``(workload_key, None)``. ``workload_registry.decode_workload_key`` is the
    strict form the registry uses (unflattened, raises on a bad key).
    """
    import json  # pylint: disable=import-outside-toplevel

    def flat(items):
        out = []
        for item in items:
            if isinstance(item, list):
                out.extend(flat(item))
            else:
                out.append(item)
        return out

    try:
        items = json.loads(workload_key)
    except (TypeError, ValueError):
        return workload_key, None
    if isinstance(items, list) and items:
        return items[0], tuple(flat(items[1:]))
    return workload_key, None


def calc_workload_dis_factor(target_workload_pair, workload_pair):
    """How far a candidate workload is from a target workload (TVM 0.8's rule).

    Both arguments are ``(name_or_hash, flattened_args)`` pairs as returned by
    :func:`decode_workload_key`. Different names or argument counts give
    ``inf``. Otherwise the factor is the product of ``target / candidate`` over
    the non-zero integer arguments, each of which must divide evenly; every
    other argument (zeros, strings, floats) must be equal, or the factor is
    ``inf``. Identical workloads give 1.
    """
    target_key, target_args = target_workload_pair
    key, args = workload_pair
    target_args = list(target_args) if target_args is not None else []
    args = list(args) if args is not None else []
    if key != target_key or len(target_args) != len(args):
        return float("inf")
    factor = 1
    for want, have in zip(target_args, args):
        is_int = isinstance(want, int) and not isinstance(want, bool)
        if is_int and want != 0 and isinstance(have, int) and have != 0:
            if want % have != 0:
                return float("inf")
            factor *= want / have
        elif want != have:
            return float("inf")
    return factor


def get_func_name(func):
    """The name :func:`register_workload` registers a function under.

    The fork's registry uses ``__name__`` (0.8 used ``__qualname__``; they are
    the same for module-level functions).
    """
    return func.func_name if hasattr(func, "func_name") else func.__name__
