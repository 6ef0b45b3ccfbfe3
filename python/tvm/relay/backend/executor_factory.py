"""What ``relay.build`` returns: the executor factory module (TVM 0.8 API).

A :class:`GraphExecutorFactoryModule` bundles the graph JSON, the compiled
operator library and the parameters. Behind it is a C++ runtime module of kind
``"GraphExecutorFactory"`` (``src/runtime/graph_executor``) that imports the
operator library:

* ``factory["default"](dev)`` (or ``factory[mod_name](dev)``) creates a graph
  executor with the parameters set; wrap it in
  :class:`tvm.contrib.graph_executor.GraphModule`;
* ``factory.export_library(path)`` writes **one** shared library holding the
  compiled operators, the graph JSON, the parameters and the executor itself;
  ``tvm.runtime.load_module(path)["default"](dev)`` gives it back, in any
  process that has the base runtime (the fork need not be installed there).

Old scripts may unpack the factory: ``graph_json, lib, params = factory``.
"""
import numpy as np

import tvm
from tvm.runtime import Tensor

from ...contrib import graph_executor_lib


def _as_params(params):
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of name to tensor, got {type(params).__name__}")
    converted = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"parameter names must be str, got {name!r}")
        if isinstance(value, Tensor):
            converted[name] = value
        elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            converted[name] = tvm.runtime.tensor(np.ascontiguousarray(value.numpy()))
        else:
            converted[name] = tvm.runtime.tensor(np.ascontiguousarray(value))
    return converted


class ExecutorFactoryModule:
    """Common interface of executor factories (only the graph executor exists here)."""

    def get_executor_config(self):
        """The executor's configuration (for the graph executor: its graph JSON)."""
        raise NotImplementedError

    def get_params(self):
        """The parameters, a dict of name to tvm.runtime.Tensor."""
        raise NotImplementedError

    def get_lib(self):
        """The compiled operator library (a tvm.runtime.Module)."""
        raise NotImplementedError

    def export_library(self, file_name, fcompile=None, addons=None, **kwargs):
        """Write a deployable shared library."""
        raise NotImplementedError


class GraphExecutorFactoryModule(ExecutorFactoryModule):
    """The graph executor factory that ``relay.build`` returns.

    Parameters
    ----------
    ir_mod : IRModule
        The Relay module that was built (kept for inspection).
    target : tvm.target.Target or str or dict
        The target it was built for.
    graph_json_str : str
        The graph in the graph executor's JSON format.
    libmod : tvm.runtime.Module or tvm.runtime.Executable
        The compiled operators (``tvm.compile(...).mod``).
    libmod_name : str
        The model's name in the factory: ``factory[libmod_name](dev)``.
    params : dict of str to tvm.runtime.Tensor or numpy.ndarray
        The parameters, set on every executor the factory creates.
    function_metadata : dict, optional
        Per-function information from the code generator, kept as given.
    """

    def __init__(
        self,
        ir_mod,
        target,
        graph_json_str,
        libmod,
        libmod_name,
        params,
        function_metadata=None,
    ):
        if not isinstance(graph_json_str, str):
            raise TypeError(
                f"graph_json_str must be a str, got {type(graph_json_str).__name__}"
            )
        if not isinstance(libmod_name, str) or not libmod_name:
            raise ValueError(f"libmod_name must be a non-empty str, got {libmod_name!r}")
        if isinstance(libmod, tvm.runtime.Executable):
            libmod = libmod.mod
        if not isinstance(libmod, tvm.runtime.Module):
            raise TypeError(f"libmod must be a runtime module, got {type(libmod).__name__}")
        self.ir_mod = ir_mod
        self.target = target
        self.graph_json = graph_json_str
        self.lib = libmod
        self.libmod_name = libmod_name
        self.params = _as_params(params)
        self.function_metadata = function_metadata
        fcreate = graph_executor_lib.get_global_func("tvm.graph_executor_factory.create")
        self.module = fcreate(graph_json_str, libmod, libmod_name, self.params)

    def export_library(self, file_name, fcompile=None, addons=None, **kwargs):
        """Write the model as one shared library (or a tar of objects).

        The compiled operators, the graph JSON, the parameters and the C++
        executor are all inside; load it with ``tvm.runtime.load_module(path)``
        and create an executor with ``loaded["default"](dev)``.

        Parameters
        ----------
        file_name : str
            Output path; ``.so`` (default compiler) or ``.tar``.
        fcompile : callable, optional
            The base's linker function (``tvm.support.cc.create_shared`` by default).
        addons : list of str, optional
            Extra object files to link in.
        kwargs : dict
            Passed to ``fcompile`` (e.g. ``options``, ``cc``).
        """
        # the executor and its module loader are linked into the model as one object
        addons = list(addons or []) + [graph_executor_lib.embed_object_path()]
        return self.module.export_library(
            str(file_name), fcompile=fcompile, addons=addons, **kwargs
        )

    # pylint: disable=invalid-name
    def get_graph_json(self):
        """The graph JSON string."""
        return self.graph_json

    def get_executor_config(self):
        """The graph JSON string (the graph executor's configuration)."""
        return self.graph_json

    def get_lib(self):
        """The compiled operator library."""
        return self.lib

    def get_params(self):
        """The parameters, a dict of name to tvm.runtime.Tensor."""
        return self.params

    def __getitem__(self, item):
        """A function of the factory module, e.g. ``factory["default"]``."""
        return self.module[item]

    def __iter__(self):
        """Unpack as ``graph_json, lib, params`` (the pre-0.7 return of relay.build)."""
        return iter((self.graph_json, self.lib, self.params))
