"""Graph executor and executor factory on hand-made graph JSONs.

The kernels are TE computes turned into PrimFuncs and compiled once with
``tvm.compile``; the graphs are written by hand in the upstream graph JSON format,
so these tests need no part of relay.build.
"""
import json
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tvm
from tvm import te, topi
from tvm.contrib import graph_executor, graph_runtime
from tvm.relay.backend.executor_factory import GraphExecutorFactoryModule

N, M = 4, 8


def _prim(name, tensors):
    return te.create_prim_func(tensors).with_attr("global_symbol", name)


@pytest.fixture(scope="module")
def lib():
    """One compiled library with every kernel the graphs below call."""
    x = te.placeholder((N, M), name="x")
    y = te.placeholder((N, M), name="y")
    v = te.placeholder((N,), name="v")
    flat = te.placeholder((N * M,), name="flat")
    funcs = {
        "k_relu": _prim("k_relu", [x, topi.nn.relu(x)]),
        "k_add": _prim("k_add", [x, y, topi.add(x, y)]),
        "k_mul": _prim("k_mul", [x, y, topi.multiply(x, y)]),
        "k_rowsum": _prim("k_rowsum", [x, topi.sum(x, axis=1)]),
        "k_relu_vec": _prim("k_relu_vec", [v, topi.nn.relu(v)]),
        "k_add_rows": _prim(
            "k_add_rows",
            [x, v, te.compute((N, M), lambda i, j: x[i, j] + v[i], name="add_rows")],
        ),
        "k_split": _prim(
            "k_split",
            [
                x,
                te.compute((N, M), lambda i, j: x[i, j] + 1.0, name="plus1"),
                te.compute((N, M), lambda i, j: x[i, j] * 2.0, name="times2"),
            ],
        ),
        "k_neg_flat": _prim("k_neg_flat", [flat, topi.negative(flat)]),
    }
    return tvm.compile(tvm.IRModule(funcs), target="llvm").mod


def _op(name, func_name, inputs, num_outputs=1, flatten_data=0):
    return {
        "op": "tvm_op",
        "name": name,
        "attrs": {
            "func_name": func_name,
            "num_inputs": str(len(inputs)),
            "num_outputs": str(num_outputs),
            "flatten_data": str(flatten_data),
        },
        "inputs": [[nid, idx, 0] for nid, idx in inputs],
    }


def _var(name):
    return {"op": "null", "name": name, "inputs": []}


def _graph(nodes, heads, shapes, storage_ids, dtypes=None):
    row = [0]
    for node in nodes:
        row.append(row[-1] + int(node.get("attrs", {}).get("num_outputs", 1)))
    assert len(shapes) == row[-1] == len(storage_ids)
    return json.dumps(
        {
            "nodes": nodes,
            "arg_nodes": [i for i, n in enumerate(nodes) if n["op"] == "null"],
            "heads": [[nid, idx, 0] for nid, idx in heads],
            "node_row_ptr": row,
            "attrs": {
                "shape": ["list_shape", [list(s) for s in shapes]],
                "dltype": ["list_str", dtypes or ["float32"] * len(shapes)],
                "storage_id": ["list_int", storage_ids],
            },
        }
    )


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# x -> relu -> out
SINGLE = _graph([_var("x"), _op("relu", "k_relu", [(0, 0)])], [(1, 0)], [(N, M)] * 2, [0, 1])

# out = x * w + b with weights w, b as params
AFFINE = _graph(
    [_var("x"), _var("w"), _op("mul", "k_mul", [(0, 0), (1, 0)]), _var("b"),
     _op("add", "k_add", [(2, 0), (3, 0)])],
    [(4, 0)],
    [(N, M)] * 5,
    [0, 1, 2, 3, 4],
)


def test_single_op(lib):
    m = graph_executor.create(SINGLE, lib, tvm.cpu())
    x = _rand(N, M)
    m.set_input("x", x)
    m.run()
    np.testing.assert_array_equal(m.get_output(0).numpy(), np.maximum(x, 0))
    assert (m.get_num_inputs(), m.get_num_outputs()) == (1, 1)
    assert m.get_input_index("x") == 0 and m.get_input_index("nope") == -1
    np.testing.assert_array_equal(m.get_input(0).numpy(), x)
    np.testing.assert_array_equal(m.get_input("x").numpy(), x)
    assert m.get_input_info() == ({"x": (N, M)}, {"x": "float32"})
    # set by index, a tvm tensor, run(**inputs), and get_output into a given tensor
    x2 = _rand(N, M, seed=1)
    m.set_input(0, tvm.runtime.tensor(x2))
    m.run()
    np.testing.assert_array_equal(m.get_output(0).numpy(), np.maximum(x2, 0))
    # numpy inputs that cannot be wrapped as they are: non-contiguous, read-only
    xt = _rand(M, N, seed=3).T
    m.run(x=xt)
    np.testing.assert_array_equal(m.get_output(0).numpy(), np.maximum(xt, 0))
    frozen = x2.copy()
    frozen.flags.writeable = False
    m.run(x=frozen)
    np.testing.assert_array_equal(m.get_output(0).numpy(), np.maximum(x2, 0))
    m.run(x=x)
    out = tvm.runtime.empty((N, M), "float32")
    assert m.get_output(0, out) is out
    np.testing.assert_array_equal(out.numpy(), np.maximum(x, 0))


def test_executable_accepted_and_runtime_alias(lib):
    assert graph_runtime.create is graph_executor.create
    assert graph_runtime.GraphModule is graph_executor.GraphModule
    x = te.placeholder((N, M), name="x")
    exe = tvm.compile(tvm.IRModule({"k_relu": _prim("k_relu", [x, topi.nn.relu(x)])}), "llvm")
    m = graph_runtime.create(SINGLE, exe, tvm.cpu())
    m.run(x=-np.ones((N, M), "float32"))
    np.testing.assert_array_equal(m.get_output(0).numpy(), np.zeros((N, M), "float32"))


def test_storage_shared_between_sizes(lib):
    # s = rowsum(x) (N,) in sid 1; r = relu(s) in sid 2; y = x + r[:, None] (N, M) reuses
    # sid 1 after s is dead: the buffer must be sized for the larger user.
    graph = _graph(
        [_var("x"), _op("sum", "k_rowsum", [(0, 0)]), _op("relu", "k_relu_vec", [(1, 0)]),
         _op("add", "k_add_rows", [(0, 0), (2, 0)])],
        [(3, 0)],
        [(N, M), (N,), (N,), (N, M)],
        [0, 1, 2, 1],
    )
    m = graph_executor.create(graph, lib, tvm.cpu())
    x = _rand(N, M)
    m.run(x=x)
    expected = x + np.maximum(x.sum(axis=1), 0)[:, None]
    np.testing.assert_allclose(m.get_output(0).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_storage_ids_are_honoured(lib):
    # Two outputs planned into the same storage id really share memory (the second
    # op overwrites the first result), while distinct ids do not alias.
    graph = _graph(
        [_var("x"), _op("relu", "k_relu", [(0, 0)]), _op("add", "k_add", [(1, 0), (1, 0)]),
         _op("mul", "k_mul", [(0, 0), (0, 0)])],
        [(1, 0), (2, 0), (3, 0)],
        [(N, M)] * 4,
        [0, 1, 2, 1],
    )
    m = graph_executor.create(graph, lib, tvm.cpu())
    x = _rand(N, M)
    m.run(x=x)
    relu_out, add_out, mul_out = (np.from_dlpack(m.get_output(i)) for i in range(3))
    assert np.shares_memory(relu_out, mul_out)
    assert not np.shares_memory(relu_out, add_out)
    np.testing.assert_array_equal(add_out, 2 * np.maximum(x, 0))
    np.testing.assert_array_equal(mul_out, x * x)
    np.testing.assert_array_equal(relu_out, x * x)


def test_tuple_outputs(lib):
    graph = _graph(
        [_var("x"), _op("split", "k_split", [(0, 0)], num_outputs=2),
         _op("add", "k_add", [(1, 0), (1, 1)])],
        [(1, 1), (2, 0), (1, 0)],
        [(N, M)] * 4,
        [0, 1, 2, 3],
    )
    m = graph_executor.create(graph, lib, tvm.cpu())
    x = _rand(N, M)
    m.run(x=x)
    assert m.get_num_outputs() == 3
    np.testing.assert_allclose(m.get_output(0).numpy(), x * 2, rtol=1e-6)
    np.testing.assert_allclose(m.get_output(1).numpy(), (x + 1) + x * 2, rtol=1e-6)
    np.testing.assert_allclose(m.get_output(2).numpy(), x + 1, rtol=1e-6)


def test_flatten_data_and_copy_nodes(lib):
    copy = {"op": "tvm_op", "name": "copy", "inputs": [[1, 0, 0]],
            "attrs": {"func_name": "__copy", "num_inputs": "1", "num_outputs": "1"}}
    graph = _graph(
        [_var("x"), _op("neg", "k_neg_flat", [(0, 0)], flatten_data=1), copy],
        [(2, 0)],
        [(N, M)] * 3,
        [0, 1, 2],
    )
    m = graph_executor.create(graph, lib, tvm.cpu())
    x = _rand(N, M)
    m.run(x=x)
    np.testing.assert_array_equal(m.get_output(0).numpy(), -x)


def test_params_set_input_and_load_params(lib):
    x, w, b = _rand(N, M), _rand(N, M, seed=1), _rand(N, M, seed=2)
    m = graph_executor.create(AFFINE, lib, tvm.cpu())
    m.set_input("x", x, w=w, b=tvm.runtime.tensor(b))
    m.run()
    np.testing.assert_allclose(m.get_output(0).numpy(), x * w + b, rtol=1e-6)
    # a parameter blob; names the graph does not use are skipped
    blob = tvm.runtime.save_param_dict({"w": 2 * w, "b": -b, "unused": np.zeros(3, "float32")})
    m.load_params(bytearray(blob))
    m.run()
    np.testing.assert_allclose(m.get_output(0).numpy(), x * 2 * w - b, rtol=1e-6)
    # a dict of inputs as the key
    m.set_input({"w": w, "b": b})
    m.run()
    np.testing.assert_allclose(m.get_output(0).numpy(), x * w + b, rtol=1e-6)


def test_factory_module(lib):
    x, w, b = _rand(N, M), _rand(N, M, seed=1), _rand(N, M, seed=2)
    factory = GraphExecutorFactoryModule(None, "llvm", AFFINE, lib, "default", {"w": w, "b": b})
    m = graph_executor.GraphModule(factory["default"](tvm.cpu()))
    m.run(x=x)
    np.testing.assert_allclose(m.get_output(0).numpy(), x * w + b, rtol=1e-6)
    assert factory.get_graph_json() == factory.get_executor_config() == AFFINE
    assert factory.get_lib() is lib
    assert sorted(factory.get_params()) == ["b", "w"]
    np.testing.assert_array_equal(factory.get_params()["w"].numpy(), w)
    graph_json, lib_again, params = factory
    assert graph_json == AFFINE and lib_again is lib and set(params) == {"b", "w"}
    named = GraphExecutorFactoryModule(None, "llvm", AFFINE, lib, "net", {"w": w, "b": b})
    m2 = graph_executor.GraphModule(named["net"](tvm.cpu()))
    m2.run(x=x)
    np.testing.assert_allclose(m2.get_output(0).numpy(), x * w + b, rtol=1e-6)


def test_benchmark(lib):
    m = graph_executor.create(AFFINE, lib, tvm.cpu())
    x = _rand(N, M)
    m.set_input(x=x, w=x, b=x)
    result = m.benchmark(tvm.cpu(), repeat=3, number=10)
    assert len(result.results) == 3
    assert 0 < result.min <= result.median <= result.max and result.std >= 0
    assert result.min <= result.mean <= result.max
    e2e = m.benchmark(tvm.cpu(), repeat=2, number=5, end_to_end=True, x=2 * x)
    assert len(e2e.results) == 2 and e2e.mean > 0
    # the end-to-end run went through the executor: its input is now 2x
    np.testing.assert_allclose(m.get_output(0).numpy(), 2 * x * x + x, rtol=1e-6)


def test_export_and_load_in_fresh_process(lib, tmp_path):
    x, w, b = _rand(N, M), _rand(N, M, seed=1), _rand(N, M, seed=2)
    factory = GraphExecutorFactoryModule(None, "llvm", AFFINE, lib, "default", {"w": w, "b": b})
    path = str(tmp_path / "model.so")
    factory.export_library(path)
    np.save(tmp_path / "x.npy", x)
    # a fresh process that never imports the fork's executor code: the artifact carries it
    script = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np
        import tvm
        loaded = tvm.runtime.load_module({path!r})
        ex = loaded["default"](tvm.cpu())
        ex["set_input"]("x", tvm.runtime.tensor(np.load({str(tmp_path / "x.npy")!r})))
        ex["run"]()
        np.save({str(tmp_path / "out.npy")!r}, ex["get_output"](0).numpy())
        params = {{k: v.numpy() for k, v in loaded["get_params"]().items()}}
        np.savez({str(tmp_path / "params.npz")!r}, **params)
        with open({str(tmp_path / "graph.json")!r}, "w") as f:
            f.write(loaded["get_graph_json"]())
        leaked = [k for k in sys.modules if k.startswith(("tvm.relay", "tvm.contrib.graph"))]
        print(json.dumps({{"kind": loaded.kind, "imports": [m.kind for m in loaded.imports],
                          "leaked": leaked}}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info == {"kind": "GraphExecutorFactory", "imports": ["library"], "leaked": []}
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), x * w + b, rtol=1e-6)
    params = np.load(tmp_path / "params.npz")
    np.testing.assert_array_equal(params["w"], w)
    np.testing.assert_array_equal(params["b"], b)
    assert (tmp_path / "graph.json").read_text() == AFFINE
    # and in this process, through the Python wrapper
    m = graph_executor.GraphModule(tvm.runtime.load_module(path)["default"](tvm.cpu()))
    m.run(x=x)
    np.testing.assert_allclose(m.get_output(0).numpy(), x * w + b, rtol=1e-6)


def test_input_errors_name_the_input(lib, caplog):
    m = graph_executor.create(SINGLE, lib, tvm.cpu())
    expects = r'input "x" expects shape \(4, 8\) float32 but got '
    with pytest.raises(ValueError, match=expects + r"\(2, 8\) float32"):
        m.set_input("x", np.zeros((2, M), "float32"))
    with pytest.raises(ValueError, match=expects + r"\(4, 2\) float64"):
        m.set_input("x", tvm.runtime.tensor(np.zeros((N, 2))))
    # a value of another dtype (NumPy array or CPU tensor) is converted to the
    # input's, as TVM 0.8 accepted it (0.8 copied a same-size tensor bit for bit)
    m.set_input("x", np.arange(N * M, dtype="float64").reshape(N, M))
    np.testing.assert_array_equal(m.get_input(0).numpy(), np.arange(N * M).reshape(N, M))
    assert m.get_input(0).numpy().dtype == np.float32
    m.set_input("x", tvm.runtime.tensor(np.arange(N * M, dtype="int32").reshape(N, M) * 2))
    np.testing.assert_array_equal(m.get_input(0).numpy(), 2 * np.arange(N * M).reshape(N, M))
    with pytest.raises(KeyError, match=r'no input named "y"; its inputs are: x'):
        m.set_input("y", np.zeros((N, M), "float32"))
    # by keyword (a whole parameter dict, in 0.8 scripts) an unknown name is skipped, as 0.8
    # did, with a warning that names it
    before = m.get_input(0).numpy()
    with caplog.at_level(logging.WARNING, logger="tvm.contrib.graph_executor"):
        m.set_input(y=np.zeros((N, M), "float32"), x=before + 1)
    assert "skipped 'y': the graph has no input of that name (its inputs: x)" in caplog.text
    np.testing.assert_array_equal(m.get_input(0).numpy(), before + 1)
    with pytest.raises(IndexError, match="input index 3 is out of range; the graph has 1 inputs"):
        m.set_input(3, np.zeros((N, M), "float32"))
    with pytest.raises(IndexError, match="output index 1 is out of range; the graph has 1 outputs"):
        m.get_output(1)
    with pytest.raises(ValueError, match=r"output 0 has shape \(4, 8\) float32 but the out "
                       r"tensor has \(8,\)"):
        m.get_output(0, tvm.runtime.empty((M,), "float32"))
    with pytest.raises(ValueError, match="without a key"):
        m.set_input(value=np.zeros((N, M), "float32"))


def test_graph_errors(lib):
    missing_func = _graph(
        [_var("x"), _op("relu", "k_nope", [(0, 0)])], [(1, 0)], [(N, M)] * 2, [0, 1]
    )
    with pytest.raises(ValueError, match='node "relu" calls function "k_nope"'):
        graph_executor.create(missing_func, lib, tvm.cpu())
    broken = json.loads(SINGLE)
    del broken["attrs"]["storage_id"]
    with pytest.raises(ValueError, match='attrs has no field "storage_id"'):
        graph_executor.create(json.dumps(broken), lib, tvm.cpu())
    broken = json.loads(SINGLE)
    broken["nodes"][1]["inputs"] = [[5, 0, 0]]
    with pytest.raises(ValueError, match="refers to node 5 output 0, but the graph has 2 nodes"):
        graph_executor.create(json.dumps(broken), lib, tvm.cpu())
    broken = json.loads(SINGLE)
    broken["attrs"]["device_index"] = ["list_int", [1, 2]]
    with pytest.raises(ValueError, match="heterogeneous graphs are not supported"):
        graph_executor.create(json.dumps(broken), lib, tvm.cpu())
    with pytest.raises(ValueError, match="heterogeneous execution is not supported"):
        graph_executor.create(SINGLE, lib, [tvm.cpu(0), tvm.cpu(1)])
    with pytest.raises(ValueError, match="does not parse"):
        graph_executor.create("{nodes", lib, tvm.cpu())
    with pytest.raises(ValueError, match="does not parse|has no field"):
        GraphExecutorFactoryModule(None, "llvm", "{}", lib, "default", {})
    factory = GraphExecutorFactoryModule(None, "llvm", SINGLE, lib, "default", {})
    with pytest.raises(TypeError, match="call it first"):
        graph_executor.GraphModule(factory.module)
    with pytest.raises(TypeError, match="graph_json_str must be a str"):
        graph_executor.create({"nodes": []}, lib, tvm.cpu())


def test_exported_model_runs_from_cpp_without_python(lib, tmp_path):
    """The exported library carries the executor: a plain C++ program runs it."""
    import shutil  # pylint: disable=import-outside-toplevel

    import tvm_ffi  # pylint: disable=import-outside-toplevel

    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    ffi_dir = os.path.dirname(tvm_ffi.__file__)
    tvm_lib = os.path.join(os.path.dirname(tvm.__file__), "lib")
    source = os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "src", "apps", "deploy_graph_executor.cc"
    )
    exe = str(tmp_path / "deploy")
    subprocess.run(
        [cxx, "-std=c++17", "-O1", source, f"-I{ffi_dir}/include", f"-L{ffi_dir}/lib",
         f"-L{tvm_lib}", "-Wl,--no-as-needed", "-ltvm_ffi", "-ltvm_runtime",
         f"-Wl,-rpath,{ffi_dir}/lib:{tvm_lib}", "-o", exe],
        check=True, timeout=300,
    )
    x, w, b = _rand(N, M), _rand(N, M, seed=1), _rand(N, M, seed=2)
    factory = GraphExecutorFactoryModule(None, "llvm", AFFINE, lib, "default", {"w": w, "b": b})
    model = str(tmp_path / "model.so")
    factory.export_library(model)
    x.tofile(tmp_path / "x.bin")
    proc = subprocess.run([exe, model, "x", str(tmp_path / "x.bin"), str(tmp_path / "out.bin")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "outputs: 1"
    out = np.fromfile(tmp_path / "out.bin", dtype="float32").reshape(N, M)
    np.testing.assert_allclose(out, x * w + b, rtol=1e-6)


def test_tar_export_and_reload_after_free(lib, tmp_path):
    """A .tar export works too, and models load one after another with frees between.

    The first library a process loads provides the executor's global functions
    (later copies defer to it); later loads go through them after it was freed.
    """
    x, w, b = _rand(N, M), _rand(N, M, seed=1), _rand(N, M, seed=2)
    factory = GraphExecutorFactoryModule(None, "llvm", AFFINE, lib, "default", {"w": w, "b": b})
    factory.export_library(str(tmp_path / "a.tar"))
    factory.export_library(str(tmp_path / "b.so"))
    np.save(tmp_path / "x.npy", x)
    script = textwrap.dedent(
        f"""
        import gc
        import numpy as np
        import tvm
        x = tvm.runtime.tensor(np.load({str(tmp_path / "x.npy")!r}))
        outs = []
        for name in ("a.tar", "b.so", "a.tar"):
            loaded = tvm.runtime.load_module({str(tmp_path)!r} + "/" + name)
            ex = loaded["default"](tvm.cpu())
            ex["set_input"]("x", x)
            ex["run"]()
            outs.append(ex["get_output"](0).numpy().copy())
            del ex, loaded
            gc.collect()
        np.save({str(tmp_path / "outs.npy")!r}, np.stack(outs))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    outs = np.load(tmp_path / "outs.npy")
    for out in outs:
        np.testing.assert_allclose(out, x * w + b, rtol=1e-6)
