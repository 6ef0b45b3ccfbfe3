"""Workload registry: map a workload key to the TE tensors of its compute DAG.

A *workload key* is a JSON string. Two kinds exist, as upstream:

* function workloads, registered with :func:`register_workload`: the key is
  ``json.dumps([func_name, *args])`` and the tensors are ``func(*args)``;
* tensor workloads, registered with :func:`register_workload_tensors` (the Relay
  bridge does this for every fused function): the key is
  ``ComputeDAG.workload_key()``, i.e. ``'["<hash>", [shape], ...]'``.

Worker processes do not rely on inherited globals: a tensor workload is
serialised with :func:`serialize_workload_registry_entry` (the TE tensors go
through ``tvm.ir.save_json``) and re-registered with
:func:`deserialize_workload_registry_entry`; a function workload is recreated
from its key when the module that registers the function is importable there.
"""
import json
import logging

import tvm
from tvm import te

logger = logging.getLogger("auto_scheduler")

#: workload name (function workloads) or workload key (tensor workloads) ->
#: function or list of te.Tensor.
WORKLOAD_FUNC_REGISTRY = {}


def register_workload(func_name, f=None, override=False):
    """Register a function that returns the input and output tensors of a workload.

    Parameters
    ----------
    func_name : Union[Callable, str]
        The function, or the name it is registered under (then ``f`` or the
        decorated function is the function).
    f : Optional[Callable]
        The function when ``func_name`` is a string.
    override : bool
        Whether to replace an existing registration.

    Examples
    --------
    .. code-block:: python

        @auto_scheduler.register_workload
        def matmul(N, M, K):
            A = te.placeholder((N, K), name="A")
            B = te.placeholder((K, M), name="B")
            k = te.reduce_axis((0, K), name="k")
            C = te.compute((N, M), lambda i, j: te.sum(A[i][k] * B[k][j], axis=[k]), name="C")
            return [A, B, C]
    """
    if callable(func_name):
        f = func_name
        func_name = f.__name__
    if not isinstance(func_name, str):
        raise TypeError("register_workload: expected a function or a name, got %r" % (func_name,))

    def register(myf):
        if func_name in WORKLOAD_FUNC_REGISTRY and not override:
            raise RuntimeError("register_workload: %s has been registered already" % func_name)
        WORKLOAD_FUNC_REGISTRY[func_name] = myf
        return myf

    if f:
        return register(f)
    return register


def register_workload_tensors(workload_key, tensors, override=True):
    """Register the tensors of a workload under its key.

    Parameters
    ----------
    workload_key : str
        The key (usually ``ComputeDAG(tensors).workload_key()``).
    tensors : List[te.Tensor]
        Input tensors, then output tensors.
    override : bool
        Whether to replace an existing registration.

    Returns
    -------
    key : str
        The workload key.
    """
    tensors = list(tensors)
    for tensor in tensors:
        if not isinstance(tensor, te.Tensor):
            raise TypeError("register_workload_tensors: expected te.Tensor, got %s" % type(tensor).__name__)
    if workload_key in WORKLOAD_FUNC_REGISTRY and not override:
        return workload_key
    WORKLOAD_FUNC_REGISTRY[workload_key] = tensors
    return workload_key


def _to_json_value(arg):
    if isinstance(arg, (bool, int, float, str)) or arg is None:
        return arg
    if isinstance(arg, (list, tuple)):
        return [_to_json_value(x) for x in arg]
    if isinstance(arg, tvm.tirx.IntImm):
        return int(arg.value)
    if isinstance(arg, tvm.tirx.FloatImm):
        return float(arg.value)
    if isinstance(arg, tvm.tirx.StringImm):
        return str(arg.value)
    raise ValueError(
        "workload argument %r of type %s cannot be part of a workload key "
        "(use int, float, str, None or lists of them)" % (arg, type(arg).__name__)
    )


def make_workload_key(func, args):
    """Make a workload key from a registered function and its arguments.

    Parameters
    ----------
    func : Union[Callable, str]
        The registered function or its name.
    args : Args
        The arguments (JSON-serialisable values).

    Returns
    -------
    key : str
        ``json.dumps([func_name, *args])``.
    """
    if callable(func):
        func_name = func.__name__
    elif isinstance(func, str):
        func_name = func
    else:
        raise TypeError("make_workload_key: expected a function or its name, got %r" % (func,))
    if func_name not in WORKLOAD_FUNC_REGISTRY:
        raise ValueError(
            "%s is not registered; register it with @auto_scheduler.register_workload" % func_name
        )
    return json.dumps([func_name] + [_to_json_value(a) for a in args])


def decode_workload_key(workload_key):
    """Split a workload key into ``(name_or_hash, args)``.

    A key is a JSON list starting with a function name or a DAG hash (a string, or
    the integer a custom ``auto_scheduler.compute_dag.hash_func`` returns); as in
    0.8, another string is a name of its own once a DAG is registered under it
    (``SearchTask(compute_dag, workload_key="test")``), with no arguments."""
    if not isinstance(workload_key, str) or not workload_key:
        raise ValueError("invalid workload key %r: expected a non-empty string" % (workload_key,))
    try:
        items = json.loads(workload_key)
    except ValueError:
        if workload_key in WORKLOAD_FUNC_REGISTRY:
            return workload_key, []
        raise ValueError("invalid workload key %r: neither a JSON list nor a name registered in "
                         "this process" % (workload_key,)) from None
    if not isinstance(items, list) or not items or isinstance(items[0], bool) \
            or not isinstance(items[0], str | int):
        raise ValueError("invalid workload key %r: expected a JSON list starting with a name "
                         "or hash" % (workload_key,))
    return items[0], items[1:]


def workload_key_to_tensors(workload_key):
    """The input and output tensors of a registered workload.

    Raises
    ------
    ValueError
        When the key is neither a registered function workload nor a registered
        tensor workload.
    """
    if workload_key in WORKLOAD_FUNC_REGISTRY:
        value = WORKLOAD_FUNC_REGISTRY[workload_key]
        if isinstance(value, list):
            return value
    name, args = decode_workload_key(workload_key)
    value = WORKLOAD_FUNC_REGISTRY.get(name)
    if value is None:
        raise ValueError(
            "workload %s is not registered in this process: register the function with "
            "register_workload or the tensors with register_workload_tensors" % workload_key
        )
    if isinstance(value, list):
        return value
    return list(value(*args))


def serialize_workload_registry_entry(workload_key):
    """Serialise the registry entry of a workload, to re-register it in another process.

    ``workload_key`` is a workload key or, as in 0.8, a registered name itself
    (a function's name, or the key a DAG's tensors were registered under).
    """
    if workload_key in WORKLOAD_FUNC_REGISTRY:
        entry = WORKLOAD_FUNC_REGISTRY[workload_key]
        if isinstance(entry, list):
            return workload_key, ("tensors", tvm.ir.save_json(list(entry)))
        return workload_key, ("function", entry)
    name, _ = decode_workload_key(workload_key)
    func = WORKLOAD_FUNC_REGISTRY.get(name)
    if func is None:
        raise ValueError("workload %s is not registered" % workload_key)
    if isinstance(func, list):
        return name, ("tensors", tvm.ir.save_json(list(func)))
    return name, ("function", func)


def deserialize_workload_registry_entry(data):
    """Inverse of :func:`serialize_workload_registry_entry`."""
    name, (kind, value) = data
    if kind == "tensors":
        WORKLOAD_FUNC_REGISTRY[name] = list(tvm.ir.load_json(value))
    elif kind == "function":
        WORKLOAD_FUNC_REGISTRY[name] = value
    else:
        raise ValueError("unknown workload registry entry kind %r" % (kind,))
