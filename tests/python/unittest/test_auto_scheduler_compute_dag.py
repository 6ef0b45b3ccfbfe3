"""ComputeDAG, workload registry and states of the auto-scheduler."""
import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te, topi


def matmul_relu(n, m, k):
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="k")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    D = te.compute((n, m), lambda i, j: te.max(C[i, j], 0.0), name="D")
    return [A, B, D]


if "dag_test_matmul_relu" not in auto_scheduler.workload_registry.WORKLOAD_FUNC_REGISTRY:
    auto_scheduler.register_workload("dag_test_matmul_relu", matmul_relu)

KEY_SCRIPT = """
import sys
sys.path.insert(0, %r)
from tvm import auto_scheduler
from test_auto_scheduler_compute_dag import matmul_relu
print(auto_scheduler.ComputeDAG(matmul_relu(32, 16, 8)).workload_key())
"""


def _run(dag, state):
    sch, args = dag.apply_steps_from_state(state)
    lib = tvm.compile(sch.mod, target="llvm")
    rng = np.random.RandomState(1)
    a = rng.uniform(-1, 1, size=[int(x) for x in args[0].shape]).astype("float32")
    b = rng.uniform(-1, 1, size=[int(x) for x in args[1].shape]).astype("float32")
    out = tvm.runtime.empty([int(x) for x in args[2].shape], "float32", tvm.cpu())
    lib["main"](tvm.runtime.tensor(a), tvm.runtime.tensor(b), out)
    return out.numpy(), np.maximum(a @ b, 0)


def test_dag_text_key_and_flops():
    dag = auto_scheduler.ComputeDAG(matmul_relu(32, 16, 8))
    text = str(dag)
    assert "A = PLACEHOLDER [32, 8] float32" in text
    assert "B = PLACEHOLDER [8, 16] float32" in text
    assert "C[v_i, v_j] = C[v_i, v_j] + A[v_i, v_k] * B[v_k, v_j]" in text
    key = json.loads(dag.workload_key())
    assert key[0] == dag.hash_key() and len(key[0]) == 32
    assert key[1:] == [[32, 8], [8, 16], [32, 16]]
    # multiply-add of the matmul plus the max of the relu
    assert dag.flop_ct == 2 * 32 * 16 * 8 + 32 * 16
    # same computation, same key; other shapes, other key
    assert auto_scheduler.ComputeDAG(matmul_relu(32, 16, 8)).workload_key() == dag.workload_key()
    assert auto_scheduler.ComputeDAG(matmul_relu(32, 16, 4)).hash_key() != dag.hash_key()


def test_workload_key_deterministic_across_processes():
    here = __file__.rsplit("/", 1)[0]
    out = subprocess.run([sys.executable, "-c", KEY_SCRIPT % here], capture_output=True, text=True, check=True)
    key = out.stdout.strip().splitlines()[-1]
    assert key == auto_scheduler.ComputeDAG(matmul_relu(32, 16, 8)).workload_key()


def test_function_workload_registry():
    key = auto_scheduler.make_workload_key("dag_test_matmul_relu", (8, 8, 4))
    assert json.loads(key) == ["dag_test_matmul_relu", 8, 8, 4]
    dag = auto_scheduler.ComputeDAG(key)
    assert [int(x) for x in dag.tensors[2].shape] == [8, 8]
    with pytest.raises(ValueError, match="not registered"):
        auto_scheduler.make_workload_key("no_such_workload", (1,))
    with pytest.raises(ValueError, match="not registered"):
        auto_scheduler.ComputeDAG('["no_such_workload", 1]')
    with pytest.raises(RuntimeError, match="registered already"):
        auto_scheduler.register_workload("dag_test_matmul_relu", matmul_relu)


def test_register_workload_tensors_and_task_pickle():
    tensors = matmul_relu(16, 8, 4)
    dag = auto_scheduler.ComputeDAG(tensors)
    key = auto_scheduler.workload_registry.register_workload_tensors(dag.workload_key(), tensors)
    task = auto_scheduler.SearchTask(workload_key=key, target="llvm -num-cores=2")
    assert task.compute_dag.workload_key() == key
    # a task travels to another process as data: DAG and registry entry are serialised
    data = pickle.dumps(task)
    auto_scheduler.workload_registry.WORKLOAD_FUNC_REGISTRY.pop(key)
    clone = pickle.loads(data)
    assert clone.workload_key == key
    assert clone.compute_dag.workload_key() == key
    assert auto_scheduler.ComputeDAG(key).workload_key() == key
    assert clone.target.kind.name == "llvm" and int(clone.target.attrs["num-cores"]) == 2


def test_init_state_and_trace_roundtrip():
    dag = auto_scheduler.ComputeDAG(matmul_relu(32, 16, 8))
    out, ref = _run(dag, dag.init_state)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    # a hand-written schedule as a state: replay from the trace and its JSON text
    sch = tvm.s_tir.Schedule(dag.mod)
    i, j, k = sch.get_loops(sch.get_sblock("C"))
    io, ii = sch.split(i, [None, 8])
    sch.reorder(io, j, ii, k)
    sch.parallel(io)
    state_json = auto_scheduler.compute_dag.state_to_json(sch.trace)
    replay, _ = dag.apply_steps_from_state(state_json)
    assert tvm.ir.structural_equal(replay.mod, sch.mod)
    out, ref = _run(dag, state_json)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    code = dag.print_python_code_from_state(state_json)
    assert "sch.split" in code and "sch.parallel" in code
    with pytest.raises(TypeError, match="state"):
        dag.apply_steps_from_state(42)


def test_layout_free_weights_of_topi_dense():
    A = te.placeholder((16, 32), name="A")
    W = te.placeholder((8, 32), name="W")
    dag = auto_scheduler.ComputeDAG([A, W, topi.nn.dense(A, W)])
    assert "layout_free_buffers: [1]" in str(dag)
    assert auto_scheduler.LayoutRewriteOption.get_target_default("llvm") == \
        auto_scheduler.LayoutRewriteOption.INSERT_TRANSFORM_STAGE
    assert auto_scheduler.LayoutRewriteOption.get_target_default("llvm", True) == \
        auto_scheduler.LayoutRewriteOption.REWRITE_FOR_PRE_TRANSFORMED


def test_bad_inputs():
    with pytest.raises(TypeError, match="te.Tensor"):
        auto_scheduler.ComputeDAG([1, 2])
    with pytest.raises(ValueError, match="target"):
        auto_scheduler.SearchTask(compute_dag=auto_scheduler.ComputeDAG(matmul_relu(4, 4, 4)))
