"""Find and load the fork's C++ graph executor (``libtvmfork_runtime.so``).

The graph executor and the ``GraphExecutorFactory`` runtime module are C++ (see
``src/runtime/graph_executor``), built by ``CMakeLists.txt`` when the fork is
installed. Loading the library runs its static initialisers, which register the
global functions ``tvm.graph_executor.create``,
``tvm.graph_executor_factory.create`` and the module loader
``ffi.Module.load_from_bytes.GraphExecutorFactory``. Nothing of the base is
patched: registering global functions is how the base runtime expects
extensions to plug in.

Exported models do not depend on this module: ``export_library`` links the same
code into the exported library (:func:`embed_object_path`), so
``tvm.runtime.load_module(path)`` works in any process that has the base runtime.

Where the files are looked for, in order:

1. the folder named by the environment variable ``TVMFORK_LIBRARY_PATH``;
2. ``tvmfork/lib`` inside the installed package (regular wheel);
3. ``build/cpp/lib`` of the source checkout (``pip install -e .`` or
   ``cmake -S . -B build/cpp && cmake --build build/cpp``).
"""
import ctypes
import os

RUNTIME_LIB_NAME = "libtvmfork_runtime.so"
EMBED_OBJECT_NAME = "tvmfork_graph_executor_embed.o"

_LOADED = {}


def candidate_dirs():
    """The folders searched for the fork's C++ build outputs, in order.

    Returns
    -------
    dirs : list of str
    """
    dirs = []
    env = os.environ.get("TVMFORK_LIBRARY_PATH")
    if env:
        dirs.append(env)
    try:
        import tvmfork  # pylint: disable=import-outside-toplevel

        package_dir = os.path.dirname(os.path.abspath(tvmfork.__file__))
        dirs.append(os.path.join(package_dir, "lib"))
        # python/tvmfork -> repository root
        repo = os.path.dirname(os.path.dirname(package_dir))
        dirs.append(os.path.join(repo, "build", "cpp", "lib"))
    except ImportError:
        pass
    # python/tvm/contrib -> repository root (source checkout without tvmfork on the path)
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    dirs.append(os.path.join(repo, "build", "cpp", "lib"))
    unique = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def _find(file_name):
    dirs = candidate_dirs()
    for folder in dirs:
        path = os.path.join(folder, file_name)
        if os.path.isfile(path):
            return path
    raise RuntimeError(
        f"tvmfork: cannot find {file_name} (the fork's C++ graph executor); looked in "
        + ", ".join(dirs)
        + ". Reinstall the fork (`pip install -e .` builds it with CMake) or build it by hand: "
        "`cmake -S . -B build/cpp && cmake --build build/cpp` in the repository, or set "
        "TVMFORK_LIBRARY_PATH to the folder that holds it."
    )


def runtime_lib_path():
    """Path of ``libtvmfork_runtime.so``; raises RuntimeError if it is not built."""
    return _find(RUNTIME_LIB_NAME)


def embed_object_path():
    """Path of the relocatable object that ``export_library`` links into a model."""
    return _find(EMBED_OBJECT_NAME)


def load():
    """Load the C++ graph executor once per process and return its ``ctypes`` handle.

    Returns
    -------
    lib : ctypes.CDLL
    """
    if "lib" not in _LOADED:
        import tvm  # pylint: disable=import-outside-toplevel,unused-import

        # the base runtime (and so libtvm_ffi) is loaded RTLD_GLOBAL by `import tvm`
        _LOADED["lib"] = ctypes.CDLL(runtime_lib_path(), mode=ctypes.RTLD_LOCAL)
    return _LOADED["lib"]


def get_global_func(name):
    """A global function registered by the C++ graph executor (loading it first)."""
    import tvm_ffi  # pylint: disable=import-outside-toplevel

    load()
    func = tvm_ffi.get_global_func(name, allow_missing=True)
    if func is None:
        raise RuntimeError(f"tvmfork: {runtime_lib_path()} did not register {name}")
    return func
