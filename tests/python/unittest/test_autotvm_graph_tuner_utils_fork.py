"""The graph tuner's node list and ancestor maps (0.8's graph_tuner.utils)."""
import tvm
from tvm import relay
from tvm.autotvm.graph_tuner._base import OPT_OUT_OP
from tvm.autotvm.graph_tuner.utils import (
    bind_inputs,
    expr2graph,
    get_in_nodes,
    get_out_nodes,
    has_multiple_inputs,
)


def _graph():
    data = relay.var("data")
    w0, w1 = relay.var("w0"), relay.var("w1")
    conv0 = relay.nn.conv2d(data, w0, channels=8, kernel_size=(1, 1))
    summed = relay.add(conv0, data)
    conv1 = relay.nn.conv2d(summed, w1, channels=8, kernel_size=(1, 1))
    net = relay.Function(relay.analysis.free_vars(conv1), conv1)
    return bind_inputs(net, {"data": (1, 8, 6, 6), "w0": (8, 8, 1, 1), "w1": (8, 8, 1, 1)})


def test_node_list_order_types_and_workloads():
    net = _graph()
    # the bound inputs are parameters again, in their order of use
    assert [p.name_hint for p in net.params] == ["data", "w0", "w1"]
    node_dict, node_list = {}, []
    conv2d = relay.op.get("nn.conv2d")
    expr2graph(net, [conv2d], node_dict, node_list, tvm.target.Target("llvm"))
    names = [n["name"] if n["op"] is None else n["op"].name for n in node_list]
    assert names == ["data", "w0", "w1", "nn.conv2d", "add", "nn.conv2d"]
    assert [list(map(int, t.shape)) for t in node_list[3]["types"]] == [[1, 8, 6, 6]]
    assert node_list[4]["inputs"] == [[3, 0, 0], [0, 0, 0]]
    for idx in (3, 5):
        assert len(node_list[idx]["workloads"]) == 1
        assert node_list[idx]["topi_op"][0].startswith("conv2d")
    assert has_multiple_inputs(node_list, 4, ["data"], OPT_OUT_OP)
    assert not has_multiple_inputs(node_list, 3, ["data"], OPT_OUT_OP)
    in_nodes = get_in_nodes(node_list, [conv2d], ["data"])
    # the add keeps only its tuned input: the graph input is a boundary (as 0.8)
    assert in_nodes == {3: [0], 4: [3], 5: [4]}
    assert get_out_nodes(in_nodes) == {0: [3], 3: [4], 4: [5], 5: []}
