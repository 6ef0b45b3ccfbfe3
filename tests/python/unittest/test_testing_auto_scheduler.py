"""tvm.testing.auto_scheduler: 0.8's test workloads compute what their names say."""
import numpy as np

import tvm
from tvm import auto_scheduler, te
from tvm.testing import auto_scheduler as workloads
from tvm.topi.nn.winograd_util import winograd_transform_matrices


def _run(tensors, inputs):
    func = tvm.compile(tvm.IRModule({"main": te.create_prim_func(tensors)}), target="llvm")
    out = [tvm.runtime.tensor(v) for v in inputs]
    out += [tvm.runtime.empty([int(d) for d in t.shape], t.dtype) for t in tensors[len(inputs):]]
    func["main"](*out)
    return [t.numpy() for t in out[len(inputs):]]


def test_matmul_workloads_against_numpy():
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal((16, 16)).astype("float32") for _ in range(3))
    (out,) = _run(workloads.double_matmul_auto_scheduler_test(16), [a, b, c])
    np.testing.assert_allclose(out, (a @ b) @ c, rtol=1e-4, atol=1e-4)
    d, e = _run(workloads.parallel_matmul_auto_scheduler_test(16), [a, b, c])
    np.testing.assert_allclose(d, a @ b, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(e, a @ c, rtol=1e-4, atol=1e-4)
    # registered under the other name: a task can be made from that name
    task = auto_scheduler.SearchTask(func="matmul_auto_scheduler_test_rename_1", args=(8, 8, 8), target="llvm")
    (out,) = _run(list(task.compute_dag.tensors), [a[:8, :8], b[:8, :8]])
    np.testing.assert_allclose(out, a[:8, :8] @ b[:8, :8], rtol=1e-4, atol=1e-4)


def test_winograd_workload_equals_direct_convolution():
    rng = np.random.default_rng(1)
    n, h, w, ci, co = 1, 8, 8, 4, 3  # output a whole number of 4x4 tiles
    data = rng.standard_normal((n, h, w, ci)).astype("float32")
    kernel = rng.standard_normal((3, 3, ci, co)).astype("float32")
    (g,) = _run([winograd_transform_matrices(4, 3, "float32")[2]], [])  # the kernel transform G
    packed = np.einsum("ak,klio,bl->abio", g, kernel, g).astype("float32")  # G g G^T per (ci, co)
    (out,) = _run(workloads.conv2d_winograd_nhwc_auto_scheduler_test(n, h, w, ci, co, padding=1), [data, packed])
    padded = np.pad(data, ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = np.zeros((n, h, w, co), "float32")
    for y in range(3):
        for x in range(3):
            expected += np.einsum("nhwi,io->nhwo", padded[:, y:y + h, x:x + w, :], kernel[y, x])
    np.testing.assert_allclose(out, expected, rtol=1e-3, atol=1e-3)


def test_tiled_matmul_state_replays_and_computes_the_product():
    dag, state = workloads.get_tiled_matmul()
    sch, args = dag.apply_steps_from_state(state)
    loops = sch.get_loops(sch.get_sblock("C"))
    assert [int(sch.get(l).extent) for l in loops] == [2, 4, 4, 8, 8, 4, 8, 4, 512]
    func = tvm.compile(sch.mod, target="llvm")
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal((512, 512)).astype("float32") for _ in range(2))
    out = tvm.runtime.empty((512, 512), "float32")
    func["main"](tvm.runtime.tensor(a), tvm.runtime.tensor(b), out)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-3, atol=1e-2)
    assert [t.op.name for t in args] == ["A", "B", "C"]
