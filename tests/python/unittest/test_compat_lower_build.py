"""0.8's tvm.lower / tvm.build on TensorIR schedules; te.create_schedule says why it is unavailable."""
import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te


@auto_scheduler.register_workload
def compat_lower_matmul_add(n):
    a = te.placeholder((n, n), name="A")
    b = te.placeholder((n, n), name="B")
    c = te.placeholder((n, n), name="C")
    k = te.reduce_axis((0, n), name="k")
    mm = te.compute((n, n), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="mm")
    return [a, b, c, te.compute((n, n), lambda i, j: mm[i, j] + c[i, j], name="out")]


def _operands(n):
    rng = np.random.default_rng(5)
    return [rng.standard_normal((n, n)).astype("float32") for _ in range(3)]


def test_lower_and_build_an_auto_scheduler_schedule_in_the_0_8_form():
    n = 32
    task = auto_scheduler.SearchTask(func=compat_lower_matmul_add, args=(n,), target="llvm")
    sch, args = task.compute_dag.apply_steps_from_state(task.compute_dag.get_init_state())
    lowered = tvm.lower(sch, args, simple_mode=True)
    assert isinstance(lowered, tvm.IRModule) and "main" in [g.name_hint for g in lowered.get_global_vars()]

    func = tvm.build(sch, args, "llvm")  # 0.8's positional (schedule, args, target)
    a, b, c = _operands(n)
    dev = tvm.cpu()
    out = tvm.nd.empty((n, n), device=dev)
    func(tvm.nd.array(a, device=dev), tvm.nd.array(b, device=dev), tvm.nd.array(c, device=dev), out)
    np.testing.assert_allclose(out.numpy(), a @ b + c, rtol=1e-4, atol=1e-4)
    evaluator = func.time_evaluator(func.entry_name, dev, number=1, repeat=1)
    assert evaluator(tvm.nd.array(a), tvm.nd.array(b), tvm.nd.array(c), out).mean > 0


def test_build_keeps_the_base_form_and_takes_target_host():
    n = 16
    a_t = te.placeholder((n,), name="a")
    b_t = te.compute((n,), lambda i: a_t[i] * 3.0 + 1.0, name="b")
    prim = te.create_prim_func([a_t, b_t])
    value = np.arange(n, dtype="float32")
    for func in (tvm.build(prim, "llvm"),  # the base's (mod, target)
                 tvm.build(tvm.IRModule({"main": prim}), target="llvm", target_host="llvm")):
        out = tvm.nd.empty((n,))
        func(tvm.nd.array(value), out)
        np.testing.assert_allclose(out.numpy(), value * 3.0 + 1.0)


def test_te_schedules_raise_a_clear_error():
    a_t = te.placeholder((4,), name="a")
    b_t = te.compute((4,), lambda i: a_t[i] + 1.0, name="b")
    with pytest.raises(NotImplementedError, match="TE schedules"):
        te.create_schedule(b_t.op)
    with pytest.raises(TypeError, match="TE schedules"):
        tvm.lower([a_t, b_t])


def test_tir_options_of_0_8_reach_the_base_under_their_new_names():
    from tvm import relay
    from tvm.contrib import graph_executor

    with tvm.transform.PassContext(opt_level=3, config={"tir.disable_vectorize": True}) as ctx:
        assert bool(ctx.config["tirx.disable_vectorize"]) is True
        x = relay.var("x", shape=(2, 16))
        lib = relay.build(tvm.IRModule.from_expr(relay.Function([x], relay.exp(x) + x)), target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    value = np.linspace(-1, 1, 32, dtype="float32").reshape(2, 16)
    module.set_input("x", value)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), np.exp(value) + value, rtol=1e-5)
    with pytest.raises(AttributeError, match="tir.no_such_option"):
        tvm.transform.PassContext(config={"tir.no_such_option": 1})
    assert tvm.TVMError is tvm.error.TVMError
