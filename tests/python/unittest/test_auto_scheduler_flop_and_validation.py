"""ComputeDAG's FLOP count (TVM 0.8's rules, the ``FLOP`` attribute) and its
rejection of computes it cannot handle; with the small 0.8 helpers next to them
(``MeasureResult.costs[i].value``, workload distance factors, recovered inputs).

Every expected FLOP number is counted by hand in the comment beside it.
"""
import json
import os
import tempfile

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te, tirx, topi
from tvm.auto_scheduler.compute_dag import InvalidComputeError


def _matmul(n, m, k, attrs=None):
    a = te.placeholder((n, k), name="A")
    b = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="k")
    c = te.compute((n, m), lambda i, j: te.sum(a[i, r] * b[r, j], axis=r), name="C", attrs=attrs)
    return a, b, c


def _flop(tensors):
    return auto_scheduler.ComputeDAG(tensors).flop_ct


def test_matmul_flop():
    a, b, c = _matmul(32, 8, 16)
    # 32*8 outputs, each 16 iterations of one multiply and one add
    assert _flop([a, b, c]) == 32 * 8 * 16 * 2 == 8192


def test_matmul_relu_and_bias_flop():
    a, b, c = _matmul(32, 8, 16)
    bias = te.placeholder((8,), name="bias")
    d = te.compute((32, 8), lambda i, j: te.max(c[i, j] + bias[j], 0.0), name="D")
    # matmul 8192; then per element one add and one max
    assert _flop([a, b, bias, d]) == 8192 + 32 * 8 * 2


def test_conv2d_flop():
    data = te.placeholder((1, 3, 8, 8), name="data")
    kernel = te.placeholder((4, 3, 3, 3), name="kernel")
    conv = topi.nn.conv2d_nchw(data, kernel, stride=1, padding=1, dilation=1)
    # the padding stage only compares indices (not counted); the convolution has
    # 1*4*8*8 = 256 outputs, each 3*3*3 = 27 multiply-adds
    assert _flop([data, kernel, conv]) == 256 * 27 * 2 == 13824
    relu = topi.nn.relu(conv)
    assert _flop([data, kernel, relu]) == 13824 + 256


def test_flop_attribute_replaces_estimate():
    a, b, c = _matmul(32, 8, 16, attrs={"FLOP": 7})
    assert _flop([a, b, c]) == 7
    a, b, c = _matmul(32, 8, 16)
    padded = topi.nn.pad(c, [1, 1])  # 34 x 10
    f = te.compute((34, 10), lambda i, j: padded[i, j] * 3.0 + 1.0, name="F", attrs={"FLOP": 1234})
    # the matmul is estimated (8192), the pad counts 0, F counts its attribute
    assert _flop([a, b, f]) == 8192 + 1234
    g = te.compute((34, 10), lambda i, j: padded[i, j] * 3.0 + 1.0, name="G")
    assert _flop([a, b, g]) == 8192 + 34 * 10 * 2


def test_flop_attribute_keeps_the_computation():
    """The attribute only changes the count: the DAG still builds and computes the same."""
    a, b, c = _matmul(16, 8, 4, attrs={"FLOP": 99})
    dag = auto_scheduler.ComputeDAG([a, b, c])
    sch, _ = dag.apply_steps_from_state(dag.get_init_state())
    lib = tvm.compile(sch.mod, target="llvm")
    rng = np.random.RandomState(0)
    a_np = rng.uniform(-1, 1, (16, 4)).astype("float32")
    b_np = rng.uniform(-1, 1, (4, 8)).astype("float32")
    out = tvm.runtime.tensor(np.zeros((16, 8), "float32"))
    lib(tvm.runtime.tensor(a_np), tvm.runtime.tensor(b_np), out)
    np.testing.assert_allclose(out.numpy(), a_np @ b_np, rtol=1e-5, atol=1e-5)


def test_select_and_if_then_else_flop():
    n = 64
    a = te.placeholder((n,), name="A")
    s = te.compute((n,), lambda i: tirx.Select(a[i] > 0.0, a[i] * 2.0, a[i]), name="S")
    # one comparison + the larger branch (one multiply)
    assert _flop([a, s]) == n * 2
    t = te.compute((n,), lambda i: te.if_then_else(a[i] > 0.0, a[i] * a[i] + 1.0, 0.0), name="T")
    # one comparison + the larger branch (multiply and add)
    assert _flop([a, t]) == n * 3
    # 0.8's own example: comparison only, both branches free
    u = te.compute((n, n), lambda i, j: te.if_then_else(a[i] > 0, a[j], 0), name="U")
    assert _flop([a, u]) == n * n


def test_max_min_cast_and_index_arithmetic():
    n = 40
    a = te.placeholder((n,), name="A")
    relu6 = te.compute((n,), lambda i: te.max(te.min(a[i], 6.0), 0.0), name="R6")
    assert _flop([a, relu6]) == n * 2
    # index arithmetic of a float compute is not counted
    shifted = te.compute((n,), lambda i: a[(i * 3 + 1) % n], name="Sh")
    assert _flop([a, shifted]) == 0
    # a cast counts its operand's operations only
    half = te.compute((n,), lambda i: (a[i] * 2.0).astype("float16"), name="H")
    assert _flop([a, half]) == n
    # an integer compute counts its integer arithmetic
    ai = te.placeholder((n,), name="Ai", dtype="int32")
    inc = te.compute((n,), lambda i: ai[i] * 3 + 1, name="Inc")
    assert _flop([ai, inc]) == n * 2


def test_reduction_extent_depending_on_output_axes():
    """Global average pooling written as adaptive pooling: the window extent
    is an expression of the output index that simplifies to 7."""
    data = te.placeholder((1, 8, 7, 7), name="data")
    pooled = topi.nn.adaptive_pool(data, (1, 1), "avg")
    flop = _flop([data, pooled])
    # sum: 8 outputs x 49 adds; then per output a divide and the product of
    # the two window sizes (both computed in float): 2
    assert flop == 8 * 49 + 8 * 2


def test_unknown_gives_minus_one():
    n = te.var("n")
    a = te.placeholder((n,), name="A")
    b = te.compute((n,), lambda i: a[i] + 1.0, name="B")
    # the number of elements is not a constant
    assert _flop([a, b]) == -1


def test_relay_style_task_flop_matches_hand_count():
    dense = topi.nn.dense(te.placeholder((4, 32), name="x"), te.placeholder((16, 32), name="w"))
    x, w = dense.op.input_tensors
    assert _flop([x, w, dense]) == 4 * 16 * 32 * 2


def test_invalid_compute_duplicated_iterator_names():
    a = te.placeholder((10, 10), name="A")
    r1 = te.reduce_axis((0, 2), name="r1")
    r2 = te.reduce_axis((0, 2), name="r1")
    b = te.compute((10,), lambda i: te.sum(a[i][r1 + r2], axis=[r1, r2]), name="B")
    with pytest.raises(InvalidComputeError, match=r"duplicated iterator name 'r1' in the compute 'B'"):
        auto_scheduler.ComputeDAG([a, b])
    # 0.8 raised a TVMError; callers catching that still do
    with pytest.raises(tvm.TVMError):
        auto_scheduler.ComputeDAG([a, b])
    # a spatial axis clashing with a reduction axis is caught too
    k = te.reduce_axis((0, 10), name="i")
    c = te.compute((10,), lambda i: te.sum(a[i, k], axis=k), name="C")
    with pytest.raises(InvalidComputeError, match=r"'i' in the compute 'C'"):
        auto_scheduler.ComputeDAG([a, c])


def test_invalid_compute_from_testing_helper():
    from tvm.testing.auto_scheduler import invalid_compute_definition

    with pytest.raises(tvm.TVMError, match="duplicated iterator name"):
        auto_scheduler.ComputeDAG(invalid_compute_definition())


def test_invalid_compute_extern_op():
    a = te.placeholder((8,), name="A")
    ext = te.extern(
        (8,), [a], lambda ins, outs: tirx.call_packed("my_copy", ins[0], outs[0]), name="my_extern"
    )
    out = te.compute((8,), lambda i: ext[i] * 2.0, name="Out")
    with pytest.raises(InvalidComputeError, match=r"unsupported operation 'my_extern'"):
        auto_scheduler.ComputeDAG([a, out])


def test_valid_compute_still_accepted():
    a, b, c = _matmul(8, 8, 8)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    assert dag.flop_ct == 8 * 8 * 8 * 2


def test_measure_costs_have_value():
    res = auto_scheduler.MeasureResult([0.25, 0.75], 0, "", 0.1, 0)
    assert [c.value for c in res.costs] == [0.25, 0.75]
    assert abs(np.mean([c.value for c in res.costs]) - res.mean_cost()) < 1e-12


def test_workload_dis_factor():
    calc = auto_scheduler.utils.calc_workload_dis_factor
    decode = auto_scheduler.utils.decode_workload_key
    key = json.dumps(["f", [8, 3, 224, 224], [0, 0], "float32"])
    assert decode(key) == ("f", (8, 3, 224, 224, 0, 0, "float32"))
    assert calc(decode(key), decode(key)) == 1
    # 8/2 * 224/112 * 224/56 = 32
    assert calc(decode(key), decode(json.dumps(["f", [2, 3, 112, 56], [0, 0], "float32"]))) == 32
    assert calc(decode(key), decode(json.dumps(["f", [8, 3, 224, 223], [0, 0], "float32"]))) == float("inf")
    assert calc(decode(key), decode(json.dumps(["f", [8, 3, 224, 224], [1, 0], "float32"]))) == float("inf")
    assert calc(decode(key), decode(json.dumps(["g", [8, 3, 224, 224], [0, 0], "float32"]))) == float("inf")
    assert decode("not json") == ("not json", None)


def test_recover_measure_input_keeps_target_host():
    a, b, c = _matmul(16, 16, 16)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    key = dag.workload_key()
    auto_scheduler.workload_registry.register_workload_tensors(key, [a, b, c])
    target = tvm.target.Target("llvm", "llvm")
    task = auto_scheduler.SearchTask(compute_dag=dag, workload_key=key, target=target)
    inp = auto_scheduler.MeasureInput(task, dag.get_init_state())
    res = auto_scheduler.MeasureResult([0.1], 0, "", 0.2, 1)
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "log.json")
        auto_scheduler.save_records(log, [inp], [res])
        (raw,), _ = auto_scheduler.RecordReader(log).read_lines()
    new = auto_scheduler.measure.recover_measure_input(raw, rebuild_state=True)
    assert str(new.task.compute_dag) == str(dag)
    assert str(new.task.target.host) == str(target.host)
    assert str(new.state) == str(dag.get_init_state())
    assert new.task.compute_dag.flop_ct == 16 * 16 * 16 * 2


def test_python_based_measure_callback():
    seen = []

    class Collect(auto_scheduler.measure.PythonBasedMeasureCallback):
        def callback(self, policy, inputs, results):
            seen.extend(r.mean_cost() for r in results)

    assert issubclass(auto_scheduler.RecordToFile, auto_scheduler.measure.MeasureCallback)
    a, b, c = _matmul(8, 8, 8)
    dag = auto_scheduler.ComputeDAG([a, b, c])
    key = dag.workload_key()
    auto_scheduler.workload_registry.register_workload_tensors(key, [a, b, c])
    task = auto_scheduler.SearchTask(compute_dag=dag, workload_key=key, target="llvm")
    inp = auto_scheduler.MeasureInput(task, dag.get_init_state())
    res = auto_scheduler.MeasureResult([0.5, 0.25], 0, "", 0.1, 0)
    Collect().callback(None, [inp], [res])
    assert seen == [0.375]
