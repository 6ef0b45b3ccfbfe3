"""Per-store features of loop states, named as TVM 0.8 named them."""
import math

import numpy as np

from tvm import auto_scheduler, te


def _log(x):
    return math.log2(x + 1)


def test_features_of_a_tiled_matmul():
    n = 128
    a = te.placeholder((n, n), name="A")
    b = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    c = te.compute((n, n), lambda i, j: te.sum(a[i, k] * b[k, j], axis=[k]), name="C")
    dag = auto_scheduler.ComputeDAG([a, b, c])
    s = dag.get_init_state()
    i, j, kk = s[c].iters
    io, ii = s.split(c, i, [8])
    jo, ji = s.split(c, j, [4])
    s.reorder(c, [io, jo, kk, ji, ii])
    s.vectorize(c, ji)
    s.parallel(c, io)
    task = auto_scheduler.SearchTask(compute_dag=dag, workload_key="[\"feature_fork\"]", target="llvm")
    names = auto_scheduler.feature.get_per_store_feature_names()
    assert len(names) == 164 and names[:2] == ["float_mad", "float_addsub"]
    assert names[57] == "B0.acc_type.kRead" and names[-1] == "auto_unroll_max_step"
    feats = auto_scheduler.feature.get_per_store_features_from_states([s, dag.get_init_state()], task)
    assert len(feats) == 2
    row = dict(zip(names, feats[0][0]))
    assert feats[0].shape == (1, 164)
    # one multiply and one add per iteration of the n^3 nest
    assert abs(row["float_mul"] - _log(n ** 3)) < 1e-4
    assert abs(row["float_addsub"] - _log(n ** 3)) < 1e-4
    assert abs(row["vec_num"] - _log(1)) < 1e-4 and abs(row["vec_len"] - _log(4)) < 1e-4
    assert abs(row["parallel_num"] - _log(1)) < 1e-4 and abs(row["parallel_prod"] - _log(n // 8)) < 1e-4
    written = [f"B{i}" for i in range(3) if row[f"B{i}.acc_type.kReadWrite"] > 0.5]
    assert len(written) == 1
    # C is read and written n^3 times: 4 bytes each
    assert abs(row[written[0] + ".bytes"] - _log(n ** 3 * 4)) < 1e-4
    # the untouched state has neither vector nor parallel loops
    plain = dict(zip(names, feats[1][0]))
    assert plain["vec_num"] == 0 and plain["parallel_num"] == 0
    assert np.all(np.isfinite(feats[0]))
