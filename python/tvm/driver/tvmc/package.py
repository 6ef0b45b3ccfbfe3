"""The compiled package: a tar of ``mod.so``, ``mod.json`` and ``mod.params``.

The layout of upstream tvmc's packages:

* ``mod.so``: the shared library written by ``export_library`` of the
  executor factory. It holds the compiled operators and also the graph, the
  parameters and the C++ graph executor, so it runs by itself:
  ``tvm.runtime.load_module("mod.so")["default"](dev)`` or the C++ deploy app
  (``src/apps/deploy_graph_executor.cc``), without the fork installed.
* ``mod.json``: the graph JSON (``graph_executor.create(json, lib, dev)``).
* ``mod.params``: the parameters (``tvm.runtime.save_param_dict``), for
  ``GraphModule.load_params``.
"""
import os
import shutil
import tarfile
import tempfile

from . import TVMCException

LIB_NAME, GRAPH_NAME, PARAMS_NAME = "mod.so", "mod.json", "mod.params"


def export_package(factory, package_path):
    """Write the executor factory ``factory`` (``relay.build``'s result) as a package tar."""
    import tvm  # pylint: disable=import-outside-toplevel

    tmp = tempfile.mkdtemp(prefix="tvmc-")
    try:
        factory.export_library(os.path.join(tmp, LIB_NAME))
        with open(os.path.join(tmp, GRAPH_NAME), "w", encoding="utf-8") as fout:
            fout.write(factory.get_graph_json())
        with open(os.path.join(tmp, PARAMS_NAME), "wb") as fout:
            fout.write(tvm.runtime.save_param_dict(factory.get_params()))
        os.makedirs(os.path.dirname(os.path.abspath(package_path)), exist_ok=True)
        with tarfile.open(package_path, "w") as tar:
            for name in (LIB_NAME, GRAPH_NAME, PARAMS_NAME):
                tar.add(os.path.join(tmp, name), arcname=name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return package_path


class TVMCPackage:
    """A package unpacked into a temporary folder.

    Attributes
    ----------
    package_path : str
    lib_path, graph, params : str, str, bytes
        The library's path, the graph JSON text and the parameter blob.
    """

    def __init__(self, package_path, project_dir=None):
        self._tmp = None
        if not os.path.isfile(package_path):
            raise TVMCException(f"no package {package_path}")
        self.package_path = package_path
        self._tmp = None
        if project_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="tvmc-run-")
            project_dir = self._tmp
        try:
            with tarfile.open(package_path) as tar:
                names = set(tar.getnames())
                missing = [n for n in (LIB_NAME, GRAPH_NAME, PARAMS_NAME) if n not in names]
                if missing:
                    raise TVMCException(f"{package_path} is not a tvmc package: {', '.join(missing)} missing")
                for name in (LIB_NAME, GRAPH_NAME, PARAMS_NAME):
                    tar.extract(name, project_dir)
        except tarfile.TarError as err:
            raise TVMCException(f"{package_path} is not a tar package: {err}") from err
        self.lib_path = os.path.join(project_dir, LIB_NAME)
        with open(os.path.join(project_dir, GRAPH_NAME), encoding="utf-8") as fin:
            self.graph = fin.read()
        with open(os.path.join(project_dir, PARAMS_NAME), "rb") as fin:
            self.params = fin.read()

    def cleanup(self):
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __del__(self):
        self.cleanup()
