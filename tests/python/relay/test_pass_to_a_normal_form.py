"""ToANormalForm: every intermediate is let-bound once; values are unchanged."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.transform._utils import post_order


def _network():
    x = relay.var("x", shape=(2, 3))
    cond = relay.var("c", shape=(), dtype="bool")
    shared = relay.nn.relu(x)
    squared = shared * shared
    body = relay.If(cond, relay.exp(squared) + shared, relay.Tuple([squared, shared])[0])
    return tvm.IRModule.from_expr(relay.Function([x, cond], body + squared))


def test_every_call_is_let_bound_once():
    anf = relay.transform.ToANormalForm()(_network())
    nodes = post_order(anf["main"].body)
    lets = [n for n in nodes if isinstance(n, relay.Let)]
    # every call, tuple, projection and if is the value of a let
    bound_values = {id(l.value) for l in lets}
    for node in nodes:
        if isinstance(node, (relay.Call, relay.Tuple, relay.TupleGetItem, relay.If)):
            assert id(node) in bound_values, node
    # the shared relu and multiply of the outer scope are each computed once there
    outer = []
    node = anf["main"].body
    while isinstance(node, relay.Let):
        outer.append(node.value)
        node = node.body
    ops = [getattr(v.op, "name", None) for v in outer if isinstance(v, relay.Call)]
    assert ops.count("nn.relu") == 1 and ops.count("multiply") == 1


@pytest.mark.parametrize("cond", [True, False])
def test_values_are_unchanged_and_graph_form_round_trips(cond):
    mod = _network()
    anf = relay.transform.ToANormalForm()(mod)
    data = np.random.default_rng(8).standard_normal((2, 3)).astype("float32")
    expected = relay.create_executor("debug", mod=mod).evaluate()(data, np.array(cond)).numpy()
    out = relay.create_executor("debug", mod=anf).evaluate()(data, np.array(cond)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    relu = np.maximum(data, 0)
    reference = (np.exp(relu * relu) + relu if cond else relu * relu) + relu * relu
    np.testing.assert_allclose(out, reference, rtol=1e-5)
    back = relay.transform.InferType()(relay.transform.ToGraphNormalForm()(anf))
    tvm.ir.assert_structural_equal(back["main"].body, relay.transform.InferType()(mod)["main"].body)
