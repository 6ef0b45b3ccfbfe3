"""tvm.ir.save_json / load_json of Relay values (tvmfork.relay_json): the loaded
value is structurally equal to the saved one, keeps its sharing, types and
constants, and computes the same results."""
import json

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.prelude import Prelude


def _roundtrip(value):
    text = tvm.ir.save_json(value)
    assert json.loads(text)["tvmfork_relay_json"] == 1
    return tvm.ir.load_json(text)


def _run(func, *args):
    mod = tvm.IRModule.from_expr(func)
    return relay.create_executor("debug", mod=mod).evaluate()(*args).numpy()


def test_function_with_constants_and_attrs_computes_the_same():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3, 3, 3)).astype("float32")
    b = rng.standard_normal((4,)).astype("float32")
    x = relay.var("x", shape=(1, 3, 6, 6))
    y = relay.nn.conv2d(x, relay.const(w), padding=(1, 1), channels=4, kernel_size=(3, 3))
    y = relay.nn.relu(relay.nn.bias_add(y, relay.const(b)))
    func = relay.Function([x], y)
    back = _roundtrip(func)
    assert tvm.ir.structural_equal(back, func, map_free_vars=True)
    assert back.body.args[0].args[0].attrs.padding == (1, 1, 1, 1)
    np.testing.assert_array_equal(back.body.args[0].args[1].data.numpy(), b)
    data = rng.standard_normal((1, 3, 6, 6)).astype("float32")
    np.testing.assert_allclose(_run(back, data), _run(func, data), rtol=1e-6, atol=1e-6)
    # the reference: a direct NumPy convolution of the padded input
    padded = np.pad(data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    expected = np.maximum(np.einsum("nchwij,ocij->nohw", windows, w) + b[None, :, None, None], 0)
    np.testing.assert_allclose(_run(back, data), expected, rtol=1e-4, atol=1e-4)


def test_sharing_variables_and_inferred_types_survive():
    x = relay.var("x", shape=(2, 3))
    shared = relay.add(x, x)
    expr = relay.Tuple([relay.multiply(shared, shared), shared])
    typed = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], expr)))["main"]
    back = _roundtrip(typed)
    product, again = back.body.fields
    assert product.args[0] is product.args[1] is again  # one node, as saved
    assert again.args[0] is again.args[1] is back.params[0]  # one variable
    assert back.checked_type == typed.checked_type
    assert back.body.fields[0].checked_type == relay.TensorType((2, 3), "float32")
    assert back.params[0].type_annotation.shape[0].value == 2


def test_types_ops_and_lists():
    a = relay.TypeVar("a")
    poly = relay.FuncType([a, relay.TupleType([a, relay.TensorType((3, relay.Any()), "int8")])], a, [a])
    back = _roundtrip(poly)
    assert back == poly and back.type_params[0] is not a
    assert back.arg_types[1].fields[1].shape[1] == relay.Any()
    assert _roundtrip(relay.op.get("nn.conv2d")) is relay.op.get("nn.conv2d")
    one, two = _roundtrip([relay.const(1.5), relay.TensorType((4,), "float16")])
    assert one.numpy() == np.float32(1.5) and two == relay.TensorType((4,), "float16")


def test_module_with_adts_round_trips_and_runs():
    mod = tvm.IRModule()
    prelude = Prelude(mod)
    cons, nil = prelude.mod.get_type("List")[1:3]
    x = relay.var("x", shape=(), dtype="float32")
    lst = cons(x, cons(relay.add(x, relay.const(1.0)), nil()))
    mod["main"] = relay.Function([x], prelude.mod.get_global_var("length")(lst))
    mod = relay.transform.InferType()(mod)
    back = _roundtrip(mod)
    assert isinstance(back, tvm.IRModule)
    tvm.ir.assert_structural_equal(back["main"], mod["main"])
    assert sorted(t.name_hint for t in back.get_global_type_vars()) == sorted(
        t.name_hint for t in mod.get_global_type_vars()
    )
    result = relay.create_executor("debug", mod=back).evaluate()(np.float32(2.0))
    assert int(np.asarray(result.numpy() if hasattr(result, "numpy") else result)) == 2


def test_deep_let_chain_without_recursion():
    size = 3000  # deeper than Python's default recursion limit allows for a recursive walk
    xs = [relay.var(f"v{i}", shape=(2,)) for i in range(size)]
    body = xs[-1]
    for i in range(size - 1, 0, -1):
        body = relay.Let(xs[i], relay.add(xs[i - 1], relay.const(1.0)), body)
    func = relay.Function([xs[0]], body)
    back = _roundtrip(func)
    assert tvm.ir.structural_equal(back, func, map_free_vars=True)
    assert tvm.ir.structural_hash(back, map_free_vars=True) == tvm.ir.structural_hash(func, map_free_vars=True)


def test_base_objects_still_use_the_base_format():
    value = tvm.tirx.IntImm("int32", 7)
    text = tvm.ir.save_json(value)
    assert "tvmfork_relay_json" not in text
    assert int(tvm.ir.load_json(text)) == 7
    with pytest.raises(TypeError, match="cannot serialise"):
        tvm.ir.save_json(relay.Function([], relay.Tuple([]), None).with_attr("f", object()))


def test_long_call_chain_round_trips_and_compares_without_recursion():
    x = relay.var("x", shape=(2,))
    y = x
    for _ in range(30000):  # one Python frame per op would exceed the recursion limit
        y = relay.add(y, relay.const(1.0))
    func = relay.Function([x], y)
    back = _roundtrip(func)
    assert tvm.ir.structural_equal(back, func, map_free_vars=True)
    assert tvm.ir.structural_hash(back, map_free_vars=True) == tvm.ir.structural_hash(func, map_free_vars=True)
    changed = relay.Function([x], relay.add(y.args[0], relay.const(2.0)))
    assert not tvm.ir.structural_equal(changed, func, map_free_vars=True)
