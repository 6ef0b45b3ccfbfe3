"""create_executor("vm"): 0.8 code asking for the VM gets its results from the Relay VM,
static and dynamic programs and control flow alike."""
import numpy as np

import tvm
from tvm import relay


def test_static_program_runs_compiled():
    x = relay.var("x", shape=(2, 3))
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.nn.relu(relay.add(x, relay.const(1.0)))))
    data = np.array([[-3.0, -1.0, 0.5], [1.0, -0.5, 2.0]], "float32")
    result = relay.create_executor("vm", mod=mod, target="llvm").evaluate()(data)
    np.testing.assert_allclose(result.numpy(), np.maximum(data + 1, 0))


def test_control_flow_runs_on_the_vm():
    x = relay.var("x", shape=(3,))
    cond = relay.var("c", shape=(), dtype="bool")
    body = relay.If(cond, relay.multiply(x, relay.const(2.0)), relay.negative(x))
    mod = tvm.IRModule.from_expr(relay.Function([cond, x], body))
    data = np.array([1.0, -2.0, 3.0], "float32")
    run = relay.create_executor("vm", mod=mod, target="llvm").evaluate()
    np.testing.assert_allclose(run(np.array(True), data).numpy(), data * 2)
    np.testing.assert_allclose(run(np.array(False), data).numpy(), -data)


def test_dynamic_shape_runs_on_the_interpreter():
    x = relay.var("x", shape=(relay.Any(), 4))
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.sum(relay.exp(x), axis=1)))
    data = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    result = relay.create_executor("vm", mod=mod, target="llvm").evaluate()(data)
    np.testing.assert_allclose(result.numpy(), np.exp(data).sum(1), rtol=1e-5)


def test_vm_runs_adt_programs_on_the_interpreter():
    """create_executor("vm") on a program with ADTs (the prelude's list) or references
    runs it on the reference interpreter, as the graph executor is first-order."""
    from tvm.relay.prelude import Prelude

    p = Prelude(tvm.IRModule())
    items = p.cons(relay.const(np.float32(1.5)), p.cons(relay.const(np.float32(2.0)), p.nil()))
    assert int(relay.create_executor("vm", mod=p.mod).evaluate(p.length(items)).numpy()) == 2
    cell = relay.var("cell")
    x = relay.var("x", shape=(2,))
    body = relay.Let(cell, relay.RefCreate(x), relay.RefRead(cell))
    out = relay.create_executor("vm").evaluate(relay.Function([x], body))(np.array([3, 4], "float32"))
    np.testing.assert_array_equal(out.numpy(), [3, 4])
