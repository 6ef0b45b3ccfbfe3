"""Config spaces: knob enumeration, indexing, serialisation, application to TensorIR."""
import itertools

import numpy as np
import pytest

import tvm
from tvm import te
from tvm.autotvm.task import space as sp


def _ordered_factorisations(n, parts):
    return [c for c in itertools.product(range(1, n + 1), repeat=parts) if np.prod(c) == n]


@pytest.mark.parametrize("n,outputs", [(64, 2), (64, 3), (12, 3), (7, 2)])
def test_split_factors_enumerates_every_perfect_split(n, outputs):
    space = sp.ConfigSpace()
    space.define_split("s", n, num_outputs=outputs)
    sizes = sorted(tuple(e.size) for e in space.space_map["s"].entities)
    assert sizes == sorted(_ordered_factorisations(n, outputs))
    assert len(space) == len(sizes)


def test_split_power2_and_filters():
    space = sp.ConfigSpace()
    space.define_split("p", 100, policy="power2", num_outputs=2)
    inner = [e.size[1] for e in space.space_map["p"].entities]
    assert inner == [1, 2, 4, 8, 16, 32, 64]
    # non-divisors leave a tail: the outer extent is inferred (-1)
    assert [e.size[0] for e in space.space_map["p"].entities] == [100, 50, 25, -1, -1, -1, -1]
    space.define_split("f", 64, num_outputs=2, filter=lambda e: e.size[-1] <= 8, max_factor=4)
    assert [e.size for e in space.space_map["f"].entities] == [[64, 1], [32, 2], [16, 4]]
    space.define_split("c", 64, policy="candidate", candidate=[[-1, 8], [4, 16]], num_outputs=2)
    assert [e.size for e in space.space_map["c"].entities] == [[-1, 8], [4, 16]]
    with pytest.raises(ValueError, match="does not fit"):
        space.define_split("bad", 64, policy="candidate", candidate=[[3, 16]], num_outputs=2)


def test_reorder_annotate_knob_sizes_and_index_roundtrip():
    cfg = sp.ConfigSpace()
    cfg.define_split("s", 16, num_outputs=2)  # 5
    cfg.define_reorder("r", [cfg.axis(4), cfg.axis(8), cfg.axis(2)], "all")  # 6
    cfg.define_annotate("a", [cfg.axis(4), cfg.axis(8)], "try_unroll_vec")  # 9
    cfg.define_knob("k", [0, 1, 2])  # 3
    assert len(cfg) == 5 * 6 * 9 * 3
    seen = set()
    for index in range(len(cfg)):
        entity = cfg.get(index)
        key = (tuple(entity["s"].size), tuple(entity["r"].perm), tuple(entity["a"].anns), entity["k"].val)
        seen.add(key)
        assert cfg.knob2point(cfg.point2knob(index)) == index
        back = sp.ConfigEntity.from_json_dict(entity.to_json_dict())
        assert back == entity and str(back) == str(entity)
    assert len(seen) == len(cfg)  # every index is a distinct point
    with pytest.raises(IndexError):
        cfg.get(len(cfg))
    cfg.define_knob("k", [1])  # defined again (compute and schedule): the first stands
    assert len(cfg) == 5 * 6 * 9 * 3


def test_bad_policies_are_named():
    cfg = sp.ConfigSpace()
    with pytest.raises(ValueError, match="split policy"):
        cfg.define_split("s", 8, policy="nope")
    with pytest.raises(ValueError, match="annotate policy"):
        cfg.define_annotate("a", [cfg.axis(2)], "bind_gpu")
    with pytest.raises(TypeError, match="length of axis"):
        cfg.define_split("s2", "eight")


def test_fallback_entity_defaults_and_fallback_split():
    cfg = sp.FallbackConfigEntity()
    cfg.define_split("tile", 64, num_outputs=3)
    cfg.define_knob("k", [4, 5])
    assert cfg.is_fallback and cfg["k"].val == 4
    cfg.fallback_split("tile", [-1, 8, 4])
    assert cfg["tile"].size == [2, 8, 4]
    cfg["k"] = sp.OtherOptionEntity(5)
    cfg.define_knob("k", [4, 5])  # running the template again keeps the choice
    assert cfg["k"].val == 5


def test_entities_apply_to_tensorir_and_keep_results():
    n = 32
    a = te.placeholder((n, n), name="A")
    b = te.compute((n, n), lambda i, j: a[i, j] * 3.0, name="B")
    cfg = sp.ConfigSpace()
    cfg.define_split("ti", n, num_outputs=3)
    cfg.define_annotate("ann", [cfg.axis(1), cfg.axis(1)], "try_unroll_vec")
    x = np.random.rand(n, n).astype("float32")
    for index in [0, 7, len(cfg) - 1]:
        entity = cfg.get(index)
        sch = tvm.s_tir.Schedule(te.create_prim_func([a, b]))
        i, j = sch.get_loops(sch.get_sblock("B"))
        loops = entity["ti"].apply(sch, i)
        assert len(loops) == 3
        assert [int(sch.get(l).extent) for l in loops[1:]] == entity["ti"].size[1:]
        sp.ReorderEntity([1, 0]).apply(sch, [loops[2], j])
        entity["ann"].apply(sch, [loops[1], loops[2]])
        lib = tvm.compile(sch.mod, target="llvm")
        out = tvm.runtime.empty((n, n), "float32", tvm.cpu())
        lib["main"](tvm.runtime.tensor(x), out)
        np.testing.assert_allclose(out.numpy(), x * 3.0, rtol=1e-6)
