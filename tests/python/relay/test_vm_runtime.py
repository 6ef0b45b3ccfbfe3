"""The Relay virtual machine (relay.vm.compile + tvm.runtime.vm.VirtualMachine): results
checked against NumPy or plain Python for static kernels, control flow, recursion,
closures, ADTs, references, dynamic shapes, tuples and the save/load round trip."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.prelude import Prelude
from tvm.runtime import vm as rt_vm


def _vm(mod, **kwargs):
    exe = relay.vm.compile(mod, target="llvm", **kwargs)
    return exe, rt_vm.VirtualMachine(exe, tvm.cpu())


def test_static_kernels_with_params_match_numpy():
    rng = np.random.default_rng(0)
    x = relay.var("x", shape=(4, 16))
    w = relay.var("w", shape=(8, 16))
    b = relay.var("b", shape=(8,))
    out = relay.nn.relu(relay.nn.bias_add(relay.nn.dense(x, w), b))
    mod = tvm.IRModule.from_expr(relay.Function([x, w, b], out))
    wv = rng.standard_normal((8, 16)).astype("float32")
    bv = rng.standard_normal(8).astype("float32")
    exe, vm = _vm(mod, params={"w": wv, "b": bv})
    assert exe.primitive_ops and all(name.startswith("fused_") for name in exe.primitive_ops)
    assert "invoke_packed" in exe.bytecode and "main(x)" in exe.bytecode
    xv = rng.standard_normal((4, 16)).astype("float32")
    np.testing.assert_allclose(vm.run(xv).numpy(), np.maximum(xv @ wv.T + bv, 0), rtol=1e-5, atol=1e-5)
    # named input, set_input + invoke, invoke_stateful + get_outputs
    np.testing.assert_allclose(vm.invoke("main", x=xv).numpy(), np.maximum(xv @ wv.T + bv, 0), rtol=1e-5,
                               atol=1e-5)
    vm.invoke_stateful("main", xv)
    (only,) = vm.get_outputs()
    np.testing.assert_allclose(only.numpy(), np.maximum(xv @ wv.T + bv, 0), rtol=1e-5, atol=1e-5)
    assert vm.get_input_index("x") == 0 and vm.get_input_index("w") == -1


def test_if_and_recursive_global_sum():
    mod = tvm.IRModule()
    sum_up = relay.GlobalVar("sum_up")
    i = relay.var("i", shape=(), dtype="int32")
    acc = relay.var("acc", shape=(), dtype="int32")
    body = relay.If(
        relay.equal(i, relay.const(0, "int32")),
        acc,
        sum_up(relay.subtract(i, relay.const(1, "int32")), relay.add(acc, i)),
    )
    mod[sum_up] = relay.Function([i, acc], body)
    n = relay.var("n", shape=(), dtype="int32")
    mod["main"] = relay.Function([n], sum_up(n, relay.const(0, "int32")))
    exe, vm = _vm(mod)
    assert set(exe.globals) == {"main", "sum_up"}
    for value in (0, 1, 10, 50, 3000):  # 3000 calls deep: frames are not Python frames
        assert int(vm.run(np.array(value, "int32")).numpy()) == sum(range(value + 1))


def test_closures_and_let_bound_recursion():
    # fn(y) { fn(x) { x + y } } applied twice: a captured variable
    x = relay.var("x", shape=())
    y = relay.var("y", shape=())
    adder = relay.Function([y], relay.Function([x], x + y))
    exe, vm = _vm(tvm.IRModule.from_expr(relay.Function([], adder(relay.const(1.5))(relay.const(2.0)))))
    assert "alloc_closure" in exe.bytecode and "invoke_closure" in exe.bytecode
    assert float(vm.run().numpy()) == 3.5

    # let fact = fn(k) { if k == 0 then 1 else k * fact(k - 1) }: the closure calls itself
    k = relay.var("k", shape=(), dtype="int32")
    fact = relay.var("fact", relay.FuncType([k.type_annotation], k.type_annotation))
    fact_fn = relay.Function([k], relay.If(
        relay.equal(k, relay.const(0, "int32")),
        relay.const(1, "int32"),
        relay.multiply(k, relay.Call(fact, [relay.subtract(k, relay.const(1, "int32"))])),
    ))
    n = relay.var("n", shape=(), dtype="int32")
    main = relay.Function([n], relay.Let(fact, fact_fn, relay.Call(fact, [n])))
    _, vm = _vm(tvm.IRModule.from_expr(main))
    for value in (0, 1, 5, 7):
        assert int(vm.run(np.array(value, "int32")).numpy()) == int(np.prod(np.arange(1, value + 1)))


def _to_list(value):
    """A prelude list (Cons(head, tail) / Nil ADT values) as a Python list."""
    out = []
    while len(value) == 2:
        out.append(value[0].numpy().item())
        value = value[1]
    assert len(value) == 0
    return out


def test_prelude_lists_map_foldl_filter():
    mod = tvm.IRModule()
    p = Prelude(mod)
    values = [3.0, -1.0, 4.0, 1.5]
    items = p.nil()
    for v in reversed(values):
        items = p.cons(relay.const(np.float32(v)), items)
    x = relay.var("x", shape=())
    double = relay.Function([x], x * relay.const(2.0))
    acc = relay.var("acc", shape=())
    add = relay.Function([acc, x], acc + x)
    positive = relay.Function([x], relay.greater(x, relay.const(0.0)))
    mod["main"] = relay.Function([], relay.Tuple([
        p.map(double, items), p.foldl(add, relay.const(10.0), items), p.filter(positive, items),
        p.length(items),
    ]))
    exe, vm = _vm(mod)
    assert "get_tag" in exe.bytecode and "alloc_data" in exe.bytecode
    mapped, total, kept, length = vm.run()
    assert _to_list(mapped) == [2 * v for v in values]
    assert float(total.numpy()) == pytest.approx(10 + sum(values))
    assert _to_list(kept) == [v for v in values if v > 0]
    assert int(length.numpy()) == len(values)
    assert isinstance(mapped, tvm.runtime.container.ADT)


def test_references():
    x = relay.var("x", shape=(2,))
    cell = relay.var("cell")
    body = relay.Let(cell, relay.RefCreate(x), relay.Let(
        relay.var("_"), relay.RefWrite(cell, relay.RefRead(cell) * relay.const(3.0)),
        relay.RefRead(cell) + x,
    ))
    _, vm = _vm(tvm.IRModule.from_expr(relay.Function([x], body)))
    data = np.array([1.0, -2.0], "float32")
    np.testing.assert_allclose(vm.run(data).numpy(), data * 3 + data)


def test_dynamic_shapes_lowered_per_shape():
    x = relay.var("x", shape=(relay.Any(), 4))
    y = relay.var("y", shape=(4,))
    out = relay.sum(relay.exp(x) + y, axis=1)
    exe, vm = _vm(tvm.IRModule.from_expr(relay.Function([x, y], out)))
    assert "invoke_jit" in exe.bytecode
    rng = np.random.default_rng(1)
    yv = rng.standard_normal(4).astype("float32")
    for rows in (1, 5, 5, 3):
        xv = rng.standard_normal((rows, 4)).astype("float32")
        np.testing.assert_allclose(vm.run(xv, yv).numpy(), (np.exp(xv) + yv).sum(1), rtol=1e-5)
    assert len(vm._jit_cache) == 3  # pylint: disable=protected-access  (one kernel per shape)


def test_tuple_input_and_outputs():
    ttype = relay.TupleType([relay.TensorType((2, 3)), relay.TensorType((3,))])
    tup = relay.var("tup", type_annotation=ttype)
    a, b = relay.TupleGetItem(tup, 0), relay.TupleGetItem(tup, 1)
    mod = tvm.IRModule.from_expr(relay.Function([tup], relay.Tuple([a + b, relay.reshape(a, (3, 2))])))
    exe, vm = _vm(mod)
    assert "reshape_tensor" in exe.bytecode
    av = np.arange(6, dtype="float32").reshape(2, 3)
    bv = np.array([1.0, 2.0, 3.0], "float32")
    vm.invoke_stateful("main", (av, bv))
    first, second = vm.get_outputs()
    np.testing.assert_allclose(first.numpy(), av + bv)
    np.testing.assert_allclose(second.numpy(), av.reshape(3, 2))


def test_save_load_through_files(tmp_path):
    mod = tvm.IRModule()
    p = Prelude(mod)
    x = relay.var("x", shape=(3,))
    n = relay.var("n", shape=(), dtype="int32")
    mod["main"] = relay.Function([x, n], relay.If(
        relay.greater(n, relay.const(0, "int32")), relay.sigmoid(x) * relay.const(2.0), relay.negative(x),
    ))
    dyn = relay.var("d", shape=(relay.Any(),))
    mod["dyn"] = relay.Function([dyn], relay.tanh(dyn))
    exe = relay.vm.compile(mod, target="llvm")
    code, lib = exe.save()
    assert isinstance(code, bytearray)
    lib.export_library(str(tmp_path / "lib.so"))
    (tmp_path / "code.ro").write_bytes(code)
    loaded = rt_vm.Executable.load_exec(bytearray((tmp_path / "code.ro").read_bytes()),
                                        tvm.runtime.load_module(str(tmp_path / "lib.so")))
    assert loaded.bytecode == exe.bytecode
    vm = rt_vm.VirtualMachine(loaded, tvm.cpu())
    xv = np.array([-1.0, 0.0, 2.0], "float32")
    np.testing.assert_allclose(vm.run(xv, np.array(1, "int32")).numpy(), 2 / (1 + np.exp(-xv)), rtol=1e-5)
    np.testing.assert_allclose(vm.run(xv, np.array(0, "int32")).numpy(), -xv)
    dv = np.linspace(-2, 2, 7).astype("float32")
    np.testing.assert_allclose(vm.invoke("dyn", dv).numpy(), np.tanh(dv), rtol=1e-5, atol=1e-6)


def test_create_executor_vm_and_benchmark():
    x = relay.var("x", shape=(3,))
    cond = relay.var("c", shape=(), dtype="bool")
    mod = tvm.IRModule.from_expr(relay.Function([cond, x], relay.If(cond, x * relay.const(2.0), -x)))
    run = relay.create_executor("vm", mod=mod, target="llvm").evaluate()
    data = np.array([1.0, -2.0, 3.0], "float32")
    np.testing.assert_allclose(run(np.array(True), data).numpy(), data * 2)
    np.testing.assert_allclose(run(c=np.array(False), x=data).numpy(), -data)
    exe, vm = _vm(mod)
    result = vm.benchmark(tvm.cpu(), np.array(True), data, repeat=3, number=2)
    assert len(result.results) == 3 and result.mean > 0


def test_base_relax_vm_still_works():
    from tvm import relax

    bb = relax.BlockBuilder()
    x = relax.Var("x", relax.TensorType((3,), "float32"))
    with bb.function("main", [x]):
        out = bb.emit(relax.op.add(x, x))
        bb.emit_func_output(out)
    vm = rt_vm.VirtualMachine(tvm.compile(bb.get(), target="llvm"), tvm.cpu())
    data = np.array([1.0, 2.0, 3.0], "float32")
    np.testing.assert_allclose(vm["main"](tvm.runtime.tensor(data)).numpy(), data * 2)
