"""Graph executor: run a graph JSON of compiled operators (TVM 0.8 API).

The executor itself is C++ (``src/runtime/graph_executor``, loaded by
:mod:`tvm.contrib.graph_executor_lib`); this module is the thin Python wrapper
upstream users know. All the work of a ``run()`` happens in C++: the operator
functions and their argument lists are resolved once, when the executor is
created, so a run costs one call per operator and nothing per node in Python.

Memory follows the storage plan in the graph JSON: one buffer per ``storage_id``
(sized for its largest user) and one view per data entry.

Example
-------
.. code-block:: python

    lib = relay.build(mod, target="llvm", params=params)
    m = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    m.set_input("data", data)
    m.run()
    out = m.get_output(0).numpy()
"""
import logging
import numbers

import numpy as np
import tvm_ffi

import tvm
from tvm.runtime import Tensor

from . import graph_executor_lib

logger = logging.getLogger(__name__)


# Device types of tensors in an RPC session are offset by this mask (as in TVM 0.8).
_RPC_SESS_MASK = 128


def _as_tensor(value, what):
    """A tvm.runtime.Tensor for a numpy array, a scalar or a tensor.

    A numpy array is wrapped without a copy (DLPack) when it can be: the executor
    copies it into its own buffer anyway, so a second copy here would be waste.
    """
    if isinstance(value, Tensor):
        return value
    if value is None:
        raise ValueError(f"{what}: no value given")
    try:
        array = np.asarray(value)
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
    except Exception as err:  # pylint: disable=broad-except
        raise TypeError(f"{what}: cannot convert a {type(value).__name__} to a tensor") from err
    if array.dtype == object:
        raise TypeError(f"{what}: cannot convert a {type(value).__name__} to a tensor")
    try:
        return tvm_ffi.from_dlpack(array, require_alignment=0)
    except Exception:  # pylint: disable=broad-except
        # read-only arrays and dtypes DLPack cannot describe: copy instead
        return tvm.runtime.tensor(array)


def _as_key(key):
    if isinstance(key, str):
        return key
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        return int(key)
    raise TypeError(f"an input is named by a string or an int index, not {type(key).__name__}")


def _as_devices(device):
    if isinstance(device, list | tuple):
        devices = list(device)
    else:
        devices = [device]
    if not devices:
        raise ValueError("graph_executor.create: no device given")
    for dev in devices:
        if not isinstance(dev, tvm.runtime.Device):
            raise TypeError(f"graph_executor.create: expected a tvm.runtime.Device, got {dev!r}")
    return devices


def _as_runtime_module(libmod, what):
    # tvm.compile returns an Executable; the runtime module is its .mod
    if isinstance(libmod, tvm.runtime.Executable):
        return libmod.mod
    if isinstance(libmod, tvm.runtime.Module):
        return libmod
    raise TypeError(f"{what}: expected a runtime module, got {type(libmod).__name__}")


def create(graph_json_str, libmod, device):
    """Create a graph executor.

    Parameters
    ----------
    graph_json_str : str
        The graph in the graph executor's JSON format (as ``relay.build`` writes it).
    libmod : tvm.runtime.Module or tvm.runtime.Executable
        The compiled operators; the node attribute ``func_name`` names a function of it.
    device : Device or list of Device
        Where to run. Heterogeneous execution is not supported: a list must name
        one device.

    Returns
    -------
    graph_module : GraphModule
    """
    if not isinstance(graph_json_str, str):
        raise TypeError(
            "graph_executor.create: graph_json_str must be a str, "
            f"got {type(graph_json_str).__name__}"
        )
    libmod = _as_runtime_module(libmod, "graph_executor.create")
    fcreate = graph_executor_lib.get_global_func("tvm.graph_executor.create")
    return GraphModule(fcreate(graph_json_str, libmod, *_as_devices(device)))


class GraphModule:
    """Wrapper of a graph executor runtime module.

    Parameters
    ----------
    module : tvm.runtime.Module
        The executor module, e.g. ``lib["default"](dev)`` for a factory ``lib``
        returned by ``relay.build`` or loaded by ``tvm.runtime.load_module``.

    Attributes
    ----------
    module : tvm.runtime.Module
        The wrapped executor module.
    """

    def __init__(self, module):
        if not isinstance(module, tvm.runtime.Module):
            raise TypeError(f"GraphModule expects a runtime module, got {type(module).__name__}")
        self.module = module
        try:
            self._set_input = module["set_input"]
            self._run = module["run"]
            self._get_output = module["get_output"]
            self._get_input = module["get_input"]
            self._get_num_outputs = module["get_num_outputs"]
            self._get_num_inputs = module["get_num_inputs"]
            self._get_input_index = module["get_input_index"]
            self._get_input_info = module["get_input_info"]
            self._load_params = module["load_params"]
        except AttributeError as err:
            raise TypeError(
                f"GraphModule expects a graph executor module, got a module of kind "
                f"{module.kind!r} (for a factory module, call it first: lib['default'](dev))"
            ) from err

    def set_input(self, key=None, value=None, **params):
        """Set inputs of the graph.

        Parameters
        ----------
        key : int, str or dict, optional
            The input's name or index; a dict of name to value sets all of them.
        value : numpy.ndarray or tvm.runtime.Tensor, optional
            Its value. Its shape must match the input's; a value of another
            dtype (NumPy array or CPU runtime tensor) is converted to the
            input's dtype, as 0.8 accepted it.
        params : dict of str to numpy.ndarray or tvm.runtime.Tensor
            More inputs by name, e.g. the parameters returned by ``relay.build``.
            Names the graph has no input for are skipped, as in 0.8 (scripts
            pass a whole parameter dict, some of whose entries the build bound
            as constants); a warning names them.

        Raises
        ------
        ValueError
            The value's shape differs from the input's (both are named).
        KeyError
            No input has the name given as ``key``.
        """
        if isinstance(key, dict):
            if value is not None:
                raise ValueError("set_input: a value was given with a dict of inputs")
            params = {**key, **params}
            key = None
        if key is not None:
            key = _as_key(key)
            self._feed(key, value)
        elif value is not None:
            raise ValueError("set_input: a value was given without a key")
        unknown = [name for name in params if self._get_input_index(name) < 0]
        if unknown:
            logger.warning("set_input: skipped %s: the graph has no input of that name (its inputs: %s)",
                           ", ".join(repr(n) for n in unknown), ", ".join(self._input_names()))
        for name, param in params.items():
            if name not in unknown:
                self._feed(name, param)

    def _input_names(self):
        return list(self.get_input_info()[0])

    def _feed(self, key, value):
        tensor = _as_tensor(self._in_input_dtype(key, value), f"set_input({key!r})")
        remote_input = self._remote_input(key)
        if remote_input is not None and tensor.device.device_type < _RPC_SESS_MASK:
            # A module of an RPC session only takes tensors of its session; 0.8
            # copied a local value into the input tensor, which crosses the session.
            remote_input.copyfrom(tensor)
        else:
            self._set_input(key, tensor)

    def _remote_input(self, key):
        """The input tensor ``key`` if it lives in an RPC session, else None."""
        try:
            current = self._get_input(key)
        except Exception:  # pylint: disable=broad-except
            return None  # an unknown input: _set_input names it
        return current if current.device.device_type >= _RPC_SESS_MASK else None

    def _in_input_dtype(self, key, value):
        """A value of another dtype converted to the input's dtype: 0.8's
        ``set_input`` copied any value into the input tensor (a runtime tensor of
        another dtype but the same element size was copied bit for bit, which
        scrambled its values; here the values are converted). Runtime tensors of
        the input's dtype, or not on the CPU, are passed as they are."""
        if value is None:
            return value
        if isinstance(value, Tensor):
            if value.device.device_type != tvm.cpu().device_type:
                return value
            try:
                target = self._get_input(key)
            except Exception:  # pylint: disable=broad-except
                return value
            if str(value.dtype) == str(target.dtype) or tuple(value.shape) != tuple(target.shape):
                return value  # nothing to convert, or a wrong shape the check names as given
            value = value.numpy()
        array = np.asarray(value)
        try:
            dtype = str(self._get_input(key).dtype)
        except Exception:  # pylint: disable=broad-except
            return value  # an unknown input: _set_input names it
        return array.astype(dtype) if str(array.dtype) != dtype else value

    def run(self, **input_dict):
        """Run the graph, after setting the inputs given as keyword arguments."""
        if input_dict:
            self.set_input(**input_dict)
        self._run()

    def get_num_outputs(self):
        """Number of outputs of the graph."""
        return int(self._get_num_outputs())

    def get_num_inputs(self):
        """Number of inputs of the graph (data and parameters)."""
        return int(self._get_num_inputs())

    def get_input(self, index, out=None):
        """The tensor of an input (by index or name); copied into ``out`` if given."""
        value = self._get_input(_as_key(index))
        if out is not None:
            out.copyfrom(value)
            return out
        return value

    def get_input_index(self, name):
        """Index of the input called ``name``, or -1 if the graph has none."""
        return int(self._get_input_index(name))

    def get_input_info(self):
        """Shapes and dtypes of the inputs.

        Returns
        -------
        shape_dict : dict of str to tuple of int
        dtype_dict : dict of str to str
        """
        info = self._get_input_info()
        shapes = {str(k): tuple(int(d) for d in v) for k, v in info["shape"].items()}
        dtypes = {str(k): str(v) for k, v in info["dtype"].items()}
        return shapes, dtypes

    def get_output(self, index, out=None):
        """Get an output.

        Parameters
        ----------
        index : int
            The output index.
        out : tvm.runtime.Tensor, optional
            If given, the output is copied into it (shape and dtype must match).

        Returns
        -------
        tensor : tvm.runtime.Tensor
            Without ``out``: the executor's own buffer, overwritten by the next run
            (as upstream); call ``.numpy()`` to keep a copy.
        """
        if out is not None:
            self._get_output(int(index), out)
            return out
        return self._get_output(int(index))

    def load_params(self, params_bytes):
        """Set parameters from a blob written by ``tvm.runtime.save_param_dict``.

        Names that are not inputs of the graph are skipped (as upstream).
        """
        if isinstance(params_bytes, bytearray | memoryview):
            params_bytes = bytes(params_bytes)
        if not isinstance(params_bytes, bytes):
            raise TypeError(f"load_params expects bytes, got {type(params_bytes).__name__}")
        self._load_params(params_bytes)

    def __getitem__(self, key):
        """A function of the executor module by name."""
        return self.module[key]

    def benchmark(
        self,
        device,
        func_name="run",
        repeat=5,
        number=5,
        min_repeat_ms=None,
        end_to_end=False,
        **kwargs,
    ):
        """Time the graph with the base's ``time_evaluator``.

        Parameters
        ----------
        device : Device
            The device the executor runs on.
        func_name : str
            The executor function to time (``"run"``).
        repeat : int
            Number of measurements (each the mean of ``number`` runs).
        number : int
            Runs per measurement.
        min_repeat_ms : int, optional
            If set, ``number`` grows until one measurement takes at least this long.
        end_to_end : bool
            Also time copying the inputs (``kwargs``, from the host) in and the
            outputs back to the host.
        kwargs : dict of str to numpy.ndarray or tvm.runtime.Tensor
            Inputs to set before timing (with ``end_to_end``, on every run).

        Returns
        -------
        timing : tvm.runtime.module.BenchmarkResult
            Seconds per run: ``mean``, ``median``, ``std``, ``min``, ``max``, ``results``.
        """
        min_repeat_ms = 0 if min_repeat_ms is None else int(min_repeat_ms)
        if end_to_end:
            args = []
            for name, value in kwargs.items():
                args.append(name)
                tensor = _as_tensor(value, f"benchmark({name!r})")
                if tensor.device.dlpack_device_type() != 1:  # keep the inputs on the host
                    tensor = tvm.runtime.tensor(tensor.numpy())
                args.append(tensor)
            ftimer = self.module.time_evaluator(
                "run_from_inputs", device, repeat=repeat, number=number, min_repeat_ms=min_repeat_ms
            )
            return ftimer(*args)
        if kwargs:
            self.set_input(**kwargs)
        ftimer = self.module.time_evaluator(
            func_name, device, repeat=repeat, number=number, min_repeat_ms=min_repeat_ms
        )
        return ftimer()
