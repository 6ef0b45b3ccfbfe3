"""The 0.8 loop-state API (State, stages, split, compute_at, ...) on TensorIR.

Every state built here is replayed from its TensorIR trace, compiled, and its
result compared with NumPy; iterator extents are checked against the loop
structure 0.8 produced for the same steps.
"""
import json

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te, topi


def matmul(n, m, k, name="C"):
    a = te.placeholder((n, k), name="A")
    b = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="k")
    c = te.compute((n, m), lambda i, j: te.sum(a[i, r] * b[r, j], axis=[r]), name=name)
    return a, b, c


def run(dag, state, inputs):
    """Replay ``state`` from its trace alone, compile it and run it."""
    sch, args = dag.apply_steps_from_state(state.trace)
    lib = tvm.compile(sch.mod, target="llvm")
    tensors = [tvm.runtime.tensor(x) for x in inputs]
    out_shape = [int(x) for x in args[-1].shape]
    out = tvm.runtime.empty(out_shape, args[-1].dtype, tvm.cpu())
    lib["main"](*(tensors + [out]))
    return out.numpy()


def rand(*shape):
    return np.random.RandomState(sum(shape)).uniform(-1, 1, size=shape).astype("float32")


def test_split_reorder_fuse_annotate_matmul():
    a, b, c = matmul(64, 48, 32)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    s = dag.get_init_state()
    i, j, k = s[c].iters
    assert [it.range.extent for it in s[c].iters] == [64, 48, 32]
    io, ii = s.split(c, i, [16])
    jo, ji = s.split(c, j, [8])
    assert (io.range.extent, ii.range.extent, jo.range.extent, ji.range.extent) == (4, 16, 6, 8)
    s.reorder(c, [io, jo, k, ii, ji])
    fused = s.fuse(c, [io, jo])
    assert fused.range.extent == 24
    assert s.parallel(c, fused).annotation == auto_scheduler.loop_state.State.ANNOTATION_TRANS_TABLE["parallel"]
    assert s.vectorize(c, ji).annotation == auto_scheduler.loop_state.State.ANNOTATION_TRANS_TABLE["vectorize"]
    assert s.unroll(c, ii).annotation == auto_scheduler.loop_state.State.ANNOTATION_TRANS_TABLE["unroll"]
    assert [it.range.extent for it in s[c].iters] == [24, 32, 16, 8]
    assert len(s.transform_steps) == 7
    x, y = rand(64, 32), rand(32, 48)
    np.testing.assert_allclose(run(dag, s, [x, y]), x @ y, rtol=1e-4, atol=1e-4)
    text = str(s)
    assert "parallel" in text and "vectorize" in text and text.startswith("Placeholder: A, B")


def test_split_outer_lengths_and_follow_split():
    a, b, c = matmul(64, 64, 16)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    s = dag.get_init_state()
    parts = s.split(c, s[c].iters[1], [4, 2], inner_to_outer=False)
    assert [p.range.extent for p in parts] == [4, 2, 8]
    c_global = s.cache_write(c, "global")
    s.split(c, s[c].iters[0], [2, 8, 2])
    step = len(s.transform_steps) - 1
    for level in (1, 2, 3):
        tmp = s.copy()
        tmp.follow_split(c_global, tmp[c_global].iters[0], step, level)
        for pos in range(level):
            assert tmp[c].iters[pos].range.extent == tmp[c_global].iters[pos].range.extent
    # the copy did not change the original
    assert [it.range.extent for it in s[c_global].iters] == [64, 4, 2, 8, 16]
    x, y = rand(64, 16), rand(16, 64)
    np.testing.assert_allclose(run(dag, s, [x, y]), x @ y, rtol=1e-4, atol=1e-4)


def test_inline_compute_at_conv_relu():
    data = te.placeholder((1, 4, 10, 10), name="Data")
    kernel = te.placeholder((8, 4, 3, 3), name="Kernel")
    bias = te.placeholder((8, 1, 1), name="Bias")
    conv = topi.nn.conv2d_nchw(data, kernel, 1, 1, dilation=1)
    biased = te.compute(conv.shape, lambda n, f, y, x: conv[n, f, y, x] + bias[f, 0, 0], name="Bias_add")
    relu = topi.nn.relu(biased)
    dag = auto_scheduler.ComputeDAG([data, kernel, bias, relu])
    s = dag.get_init_state()
    names = [op.name for op in s.stage_ops]
    # 0.8's order: depth-first from the output
    assert names[:3] == ["Data", "pad_temp", "Kernel"]
    s.compute_inline(biased)
    assert s[biased].compute_at == auto_scheduler.loop_state.Stage.COMPUTE_AT_INLINED
    s.compute_at(conv, relu, s[relu].iters[2])
    assert s[conv].compute_at == auto_scheduler.loop_state.Stage.COMPUTE_AT_ITER
    # one iterator per axis, as 0.8: the outer three are unit loops now
    assert [it.range.extent for it in s[conv].iters] == [1, 1, 1, 10, 4, 3, 3]
    s.compute_inline(s.stage_ops[1])  # pad_temp
    x, w, bb = rand(1, 4, 10, 10), rand(8, 4, 3, 3), rand(8, 1, 1)
    out = run(dag, s, [x, w, bb])
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros((1, 8, 10, 10), "float32")
    for ry in range(3):
        for rx in range(3):
            ref += np.einsum("cyx,fc->fyx", padded[0, :, ry:ry + 10, rx:rx + 10], w[:, :, ry, rx])[None]
    np.testing.assert_allclose(out, np.maximum(ref + bb[None], 0), rtol=1e-4, atol=1e-4)


def test_cache_read_write_rfactor():
    a, b, c = matmul(8, 8, 512)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    s = dag.get_init_state()
    ko, ki = s.split(c, s[c].iters[2], [16])
    s1 = s.copy()
    c_rf = s1.rfactor(c, ki, 2)
    assert [it.range.extent for it in s1[c_rf].iters] == [8, 8, 16, 32]
    assert [it.range.extent for it in s1[c].iters] == [8, 8, 16]
    x, y = rand(8, 512), rand(512, 8)
    np.testing.assert_allclose(run(dag, s1, [x, y]), x @ y, rtol=1e-4, atol=1e-4)

    s2 = s.copy()
    c_local = s2.cache_write(c, "global")
    # the new stage computes (it has the reduction), the original one copies
    assert [it.range.extent for it in s2[c_local].iters] == [8, 8, 32, 16]
    assert [it.range.extent for it in s2[c].iters] == [8, 8]
    b_global = s2.cache_read(b, "global", [c_local])
    assert [op.name for op in s2.stage_ops].index(b_global.name) == [op.name for op in s2.stage_ops].index("B") + 1
    s2.compute_at(b_global, c_local, s2[c_local].iters[2])
    np.testing.assert_allclose(run(dag, s2, [x, y]), x @ y, rtol=1e-4, atol=1e-4)


def test_state_record_round_trip():
    a, b, c = matmul(32, 32, 32)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    s = dag.get_init_state()
    s.split(c, s[c].iters[0], [8])
    s.parallel(c, s[c].iters[0])
    task = auto_scheduler.SearchTask(compute_dag=dag, workload_key=json.dumps(["loop_state_fork"]),
                                     target="llvm")
    inp = auto_scheduler.MeasureInput(task, s)
    res = auto_scheduler.MeasureResult([0.1], 0, "", 0.2, 1)
    line = auto_scheduler.measure_record.dump_record_to_string(inp, res)
    r_inp, _ = auto_scheduler.measure_record.load_record_from_string(line)
    loaded = dag.infer_bound_from_state(r_inp.state)
    assert loaded == dag.infer_bound_from_state(s)
    assert not loaded == dag.get_init_state()
    assert [it.range.extent for it in loaded[c].iters] == [4, 8, 32, 32]


def test_steps_without_tensorir_equivalent_are_named():
    a, b, c = matmul(16, 16, 16)
    d = topi.nn.relu(c)
    dag = auto_scheduler.ComputeDAG([a, b, d])
    s = dag.get_init_state()
    s.compute_at(c, d, s[d].iters[0])
    s.split(c, s[c].iters[1], [4])
    # moving the stage back to the root would drop the loop the split used
    with pytest.raises(ValueError, match="compute_root"):
        s.compute_root(c)
    assert s[c].compute_at == auto_scheduler.loop_state.Stage.COMPUTE_AT_ITER
    before = s.schedule.mod
    # a reduction iterator indexes no dimension of the buffer: a no-op, as in 0.8
    s.storage_align(c, s[c].iters[-1], 8, 1)
    assert tvm.ir.structural_equal(before, s.schedule.mod)
    s.storage_align(c, s[c].iters[1], 8, 1)
    assert not tvm.ir.structural_equal(before, s.schedule.mod)
    x, y = rand(16, 16), rand(16, 16)
    np.testing.assert_allclose(run(dag, s, [x, y]), np.maximum(x @ y, 0), rtol=1e-4, atol=1e-4)


def test_sketches_are_states_that_compute_the_matmul():
    from tvm.auto_scheduler import _ffi_api  # pylint: disable=import-outside-toplevel

    a, b, c = matmul(64, 64, 64)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    task = auto_scheduler.SearchTask(compute_dag=dag, workload_key=json.dumps(["sketch_fork"]), target="llvm",
                                     hardware_params=auto_scheduler.HardwareParams(num_cores=4, target="llvm"))
    policy = auto_scheduler.SketchPolicy(task, verbose=0)
    sketches = policy.generate_sketches()
    assert len(sketches) == 3
    assert _ffi_api.SearchPolicyUtilsIsTiled(sketches[0].stages[2])
    assert not _ffi_api.SearchPolicyUtilsHasCacheWriteStage(sketches[0], 2)
    for sketch in sketches[1:]:
        assert _ffi_api.SearchPolicyUtilsHasCacheWriteStage(sketch, 2)
        assert sketch.stages[2].compute_at == auto_scheduler.loop_state.Stage.COMPUTE_AT_TRANS_TABLE["iter"]
    x, y = rand(64, 64), rand(64, 64)
    for sketch in sketches:
        np.testing.assert_allclose(run(dag, sketch, [x, y]), x @ y, rtol=1e-4, atol=1e-4)
