"""0.8's expression-level storage plan (GraphPlanMemory of a fused function)."""
import tvm
from tvm import relay
from tvm.relay.backend.graph_plan_memory import GraphPlanMemory


def _fused(func):
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(func))
    return relay.transform.FuseOps(0)(mod)["main"]


def test_a_chain_alternates_two_storages_and_parameters_keep_their_own():
    x, y = relay.var("x", shape=(10,)), relay.var("y", shape=(1,))
    z = relay.add(x, relay.exp(y))
    for _ in range(5):
        z = relay.exp(z)
    plan = GraphPlanMemory(_fused(relay.Function([x, y], z)))
    info = plan.expr_to_storage_info
    calls = [e for e in reversed(list(info)) if isinstance(e, relay.Call)]  # execution order
    assert [info[c].storage_ids[0] for c in calls] == [2, 3, 2, 3, 2, 3, 2]
    # exp(y) has 4 bytes; the storage it held is reused (and grows) for the 40-byte tensors
    assert [info[c].storage_sizes[0] for c in calls] == [4] + [40] * 6
    params = [e for e in info if isinstance(e, relay.Var)]
    assert sorted(info[p].storage_ids[0] for p in params) == [0, 1]
    assert all(v.device_types == [1] for v in info.values())


def test_tuple_results_alias_their_fields_and_stay_live():
    x = relay.var("x", shape=(4, 4))
    a = relay.exp(x)
    b = relay.negative(a)
    c = relay.exp(b)  # a is dead after b, but a is also a result: never reused
    plan = GraphPlanMemory(_fused(relay.Function([x], relay.Tuple([a, c]))))
    info = plan.expr_to_storage_info
    (tup,) = [e for e in info if isinstance(e, relay.Tuple)]
    ids = info[tup].storage_ids
    assert len(ids) == 2 and ids[0] != ids[1]
    calls = [e for e in reversed(list(info)) if isinstance(e, relay.Call)]
    assert ids == [info[calls[0]].storage_ids[0], info[calls[2]].storage_ids[0]]
    # b's storage is released after c is allocated, so c cannot take it: 4 storages
    assert len({s for v in info.values() for s in v.storage_ids}) == 4


def test_reachable_under_0_8_ffi_module_name():
    from tvm.relay import backend

    assert backend._backend.GraphPlanMemory is GraphPlanMemory
