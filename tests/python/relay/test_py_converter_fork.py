"""relay.testing.to_python / run_as_python: a Relay program run as generated Python.

Each program's value is compared with NumPy and with the debug executor's.
"""
import ast

import numpy as np

import tvm
from tvm import relay
from tvm.relay.backend.interpreter import ConstructorValue, RefValue
from tvm.relay.prelude import Prelude
from tvm.relay.testing import run_as_python, to_python


def _same(py_value, ref_value):
    if isinstance(ref_value, ConstructorValue):
        assert isinstance(py_value, ConstructorValue) and py_value.tag == ref_value.tag
        for a, b in zip(py_value.fields, ref_value.fields):
            _same(a, b)
    elif isinstance(ref_value, tuple | list):
        assert len(py_value) == len(ref_value)
        for a, b in zip(py_value, ref_value):
            _same(a, b)
    else:
        assert isinstance(py_value, tvm.nd.NDArray)
        np.testing.assert_allclose(py_value.numpy(), ref_value.numpy(), rtol=1e-6)


def test_tensor_program_with_recursion_and_tuples():
    rng = np.random.RandomState(0)
    w = rng.uniform(-1, 1, (4, 3)).astype("float32")
    data = rng.uniform(-1, 1, (2, 3)).astype("float32")
    i = relay.var("i", shape=(), dtype="int32")
    acc = relay.var("acc", shape=(2, 4), dtype="float32")
    loop = relay.Var("loop")
    # apply relu(dense(x, w) + acc) three times, counting down
    step = relay.nn.relu(relay.nn.dense(relay.const(data), relay.const(w)) + acc)
    body = relay.If(relay.equal(i, relay.const(0)), acc, loop(i - relay.const(1), step * relay.const(0.5)))
    prog = relay.Let(loop, relay.Function([i, acc], body),
                     relay.Tuple([loop(relay.const(3), relay.zeros((2, 4), "float32")),
                                  relay.split(relay.const(data), 3, axis=1).astuple()]))
    got = run_as_python(prog)
    want = np.zeros((2, 4), "float32")
    for _ in range(3):
        want = np.maximum(data @ w.T + want, 0) * 0.5
    np.testing.assert_allclose(got[0].numpy(), want, rtol=1e-5)
    for piece, ref in zip(got[1], np.split(data, 3, axis=1)):
        np.testing.assert_allclose(piece.numpy(), ref)
    _same(got, relay.create_executor("debug").evaluate(prog))
    source = ast.unparse(to_python(prog))
    assert "def loop" in source and "_py_out =" in source


def test_references_closures_and_effect_order():
    # a counter closure: each call increments the cell and returns the old value
    r = relay.Var("r")
    counter = relay.Var("counter")
    old = relay.Var("old")
    tick = relay.Function([], relay.Let(old, relay.RefRead(r), relay.Let(
        relay.Var("u"), relay.RefWrite(r, old + relay.const(1)), old)))
    a, b, c = relay.Var("a"), relay.Var("b"), relay.Var("c")
    prog = relay.Let(r, relay.RefCreate(relay.const(10)), relay.Let(counter, tick, relay.Let(
        a, counter(), relay.Let(b, counter(), relay.Let(c, counter(), relay.Tuple([a, b, c, r]))))))
    got = run_as_python(prog)
    assert [int(v.numpy()) for v in got[:3]] == [10, 11, 12]
    assert isinstance(got[3], RefValue) and int(got[3].value.numpy()) == 13


def test_prelude_list_functions():
    mod = tvm.IRModule()
    p = Prelude(mod)
    _, cons, nil = p.mod.get_type("List")
    rmap = p.mod.get_global_var("map")
    foldl = p.mod.get_global_var("foldl")
    x = relay.var("x", shape=(2,), dtype="float32")
    s = relay.var("s", shape=(2,), dtype="float32")
    values = [np.array([1.0, 2.0], "float32"), np.array([-3.0, 0.5], "float32"),
              np.array([4.0, 4.0], "float32")]
    lst = nil()
    for v in reversed(values):
        lst = cons(relay.const(v), lst)
    squares = rmap(relay.Function([x], x * x), lst)
    total = foldl(relay.Function([s, x], s + x), relay.zeros((2,), "float32"), squares)
    got = run_as_python(relay.Tuple([squares, total]), mod)
    ref = relay.create_executor("debug", mod=mod).evaluate(relay.Tuple([squares, total]))
    _same(got, ref)
    np.testing.assert_allclose(got[1].numpy(), sum(v * v for v in values))
    node, count = got[0], 0
    while node.tag == cons.tag:
        np.testing.assert_allclose(node.fields[0].numpy(), values[count] ** 2)
        node, count = node.fields[1], count + 1
    assert count == 3
