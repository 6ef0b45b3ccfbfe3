"""Ops that failed to build or disagreed once compiled (found by the cross-checks):
each is built with ``relay.build(target="llvm")``, run on the graph executor and
compared with NumPy or with the reference interpreter."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor


def v(shape, dtype="float32", name="x"):
    return relay.var(name, shape=shape, dtype=dtype)


def _module(expr):
    func = relay.Function(relay.analysis.free_vars(expr), expr)
    return relay.transform.InferType()(tvm.IRModule.from_expr(func))


def build_run(expr, *args):
    """Outputs of ``expr`` compiled for llvm and run on the graph executor."""
    mod = _module(expr)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for param, arg in zip(mod["main"].params, args):
        module.set_input(param.name_hint, arg)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def interpret(expr, *args):
    """Outputs of ``expr`` by the reference interpreter (NumPy kernels)."""
    out = relay.create_executor("debug", mod=_module(expr), device=tvm.cpu(), target="llvm").evaluate()(*args)
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [o.numpy() if hasattr(o, "numpy") else np.asarray(o) for o in outs]


def assert_same(got, expected, rtol=1e-5, atol=1e-5):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, g.dtype, e.shape, e.dtype)
        if g.dtype.kind in "biu":
            np.testing.assert_array_equal(g, e)
        else:
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


RNG = np.random.default_rng(7)


def rand(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


# 1. reductions over every axis to a 0-d result (rfactor next to a 0-d stage)
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 8), (5, 7), (3, 4, 64)])
@pytest.mark.parametrize("name", ["mean", "sum", "max", "prod"])
def test_full_reduction_to_0d(shape, name):
    x = rand(*shape)
    (got,) = build_run(getattr(relay, name)(v(shape)), x)
    assert got.shape == ()
    np.testing.assert_allclose(got, getattr(np, name)(x), rtol=1e-5, atol=1e-5)


def test_full_mean_fused_with_elementwise():
    x = rand(2, 3, 8)
    expr = relay.exp(relay.mean(v((2, 3, 8)))) + relay.const(1.0)
    (got,) = build_run(expr, x)
    np.testing.assert_allclose(got, np.exp(x.mean()) + 1, rtol=1e-5)


# 2. cosh / sinh
@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-6), ("float64", 1e-13)])
def test_cosh_sinh(dtype, rtol):
    x = np.concatenate([np.linspace(-8, 8, 61), [0.0, 1e-7, -1e-4, 3e-3, 0.49, -0.51, 20.0]]).astype(dtype)
    for name in ("cosh", "sinh"):
        (got,) = build_run(getattr(relay, name)(v(x.shape, dtype)), x)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, getattr(np, name)(x), rtol=rtol, atol=0)


# 3. trunc_divide / trunc_mod
def test_trunc_divide_mod_integers():
    a = np.array([[7, -7, 7, -7, 0, 9], [100, -100, 3, -3, 1, -1]], "int32")
    b = np.array([[2, 2, -2, -2, 5, 9], [7, 7, -7, -7, 3, -3]], "int32")
    args = (v(a.shape, "int32"), v(b.shape, "int32", "y"))
    quotient, remainder = build_run(
        relay.Tuple([relay.trunc_divide(*args), relay.trunc_mod(*args)]), a, b)
    expected_q = np.trunc(a / b).astype("int32")
    np.testing.assert_array_equal(quotient, expected_q)
    np.testing.assert_array_equal(remainder, a - expected_q * b)
    assert quotient[0].tolist() == [3, -3, -3, 3, 0, 1]
    assert remainder[0].tolist() == [1, -1, 1, -1, 0, 0]


def test_trunc_divide_mod_float_broadcast():
    a, b = rand(2, 1, 5) * 10, rand(3, 1) + 3.0
    args = (v(a.shape), v(b.shape, name="y"))
    quotient, remainder = build_run(
        relay.Tuple([relay.trunc_divide(*args), relay.trunc_mod(*args)]), a, b)
    np.testing.assert_allclose(quotient, np.trunc(a / b), rtol=1e-6)
    np.testing.assert_allclose(remainder, np.fmod(a, b), rtol=1e-5, atol=1e-6)
    assert_same([quotient, remainder],
                interpret(relay.Tuple([relay.trunc_divide(*args), relay.trunc_mod(*args)]), a, b))


# 4. extern (IR builder) ops: the generic schedules leave them alone
def _unique_rows(rows, cols, high):
    return np.stack([RNG.permutation(high)[:cols] for _ in range(rows)]).astype("int32")


EXTERN_CASES = {
    "argsort": (lambda: relay.argsort(v((3, 7)), axis=1, is_ascend=False), [(3, 7)]),
    "sort": (lambda: relay.sort(v((3, 7)), axis=0), [(3, 7)]),
    "topk": (lambda: relay.topk(v((3, 7)), 3, axis=-1).astuple(), [(3, 7)]),
    "topk_values": (lambda: relay.topk(v((3, 7)), 2, axis=0, ret_type="values"), [(3, 7)]),
    "cumsum": (lambda: relay.cumsum(v((3, 7)), axis=1), [(3, 7)]),
    "cumsum_flat": (lambda: relay.cumsum(v((3, 7))), [(3, 7)]),
    "cumprod": (lambda: relay.cumprod(v((3, 7)), axis=0, exclusive=True), [(3, 7)]),
    "scatter": (lambda: relay.scatter(v((5, 4)), v((2, 4), "int32", "i"), v((2, 4), name="u"), 0),
                [(5, 4), "idx_5x4", (2, 4)]),
    "scatter_add": (lambda: relay.scatter_add(v((5, 4)), v((2, 4), "int32", "i"), v((2, 4), name="u"), 0),
                    [(5, 4), "idx_5x4", (2, 4)]),
    "scatter_nd": (lambda: relay.scatter_nd(v((5, 4)), v((1, 3), "int32", "i"), v((3, 4), name="u")),
                   [(5, 4), "idx_nd", (3, 4)]),
    "get_valid_counts": (lambda: relay.vision.get_valid_counts(v((1, 10, 6)), 0.2).astuple(), [(1, 10, 6)]),
}


def _extern_args(specs):
    args = []
    for spec in specs:
        if spec == "idx_5x4":
            args.append(_unique_rows(4, 2, 5).T.copy())  # (2, 4): distinct rows per column
        elif spec == "idx_nd":
            args.append(RNG.permutation(5)[:3].astype("int32")[None])
        else:
            args.append(rand(*spec))
    return args


@pytest.mark.parametrize("name", sorted(EXTERN_CASES))
def test_extern_ops_build_and_agree_with_interpreter(name):
    make, specs = EXTERN_CASES[name]
    args = _extern_args(specs)
    assert_same(build_run(make(), *args), interpret(make(), *args))


def test_cumsum_and_argsort_match_numpy():
    x = rand(3, 7)
    (got,) = build_run(relay.cumsum(v((3, 7)), axis=1), x)
    np.testing.assert_allclose(got, np.cumsum(x, axis=1), rtol=1e-5, atol=1e-6)
    (got,) = build_run(relay.argsort(v((3, 7)), axis=1), x)
    np.testing.assert_array_equal(got, np.argsort(x, axis=1, kind="stable"))


def test_extern_function_is_left_unscheduled():
    from tvm import te, topi  # pylint: disable=import-outside-toplevel
    from tvm.topi.generic import default_schedule, schedule_reduce  # pylint: disable=import-outside-toplevel
    from tvm.topi.generic.schedule_utils import has_extern_block  # pylint: disable=import-outside-toplevel

    data = te.placeholder((2, 5), "float32", "data")
    out = topi.cumsum(data, axis=1)
    func = te.create_prim_func([data, out])
    for schedule in (default_schedule, schedule_reduce):
        sch = tvm.s_tir.Schedule(tvm.IRModule({"main": func}))
        assert has_extern_block(sch)
        schedule(sch, [out])
        assert tvm.ir.structural_equal(sch.mod["main"], func)


# 5. nn.upsampling bicubic (alpha -0.5 as upstream 0.8)
@pytest.mark.parametrize("layout, shape", [("NCHW", (1, 2, 4, 5)), ("NHWC", (1, 4, 5, 2))])
@pytest.mark.parametrize("align_corners", [False, True])
def test_upsampling_bicubic_matches_interpreter(layout, shape, align_corners):
    x = rand(*shape)
    expr = relay.nn.upsampling(v(shape), 2, 3, layout=layout, method="bicubic",
                               align_corners=align_corners)
    assert_same(build_run(expr, x), interpret(expr, x), rtol=1e-5, atol=1e-5)


def test_upsampling_bicubic_keeps_constant_and_linear_ramps():
    # Any cubic convolution kernel reproduces constants; with alpha = -0.5
    # (Keys' kernel, the only one of third order) it also reproduces linear
    # ramps away from the borders, which alpha = -0.75 does not.
    ramp = np.tile(np.arange(8, dtype="float32"), (8, 1))[None, None]
    (got,) = build_run(relay.nn.upsampling(v(ramp.shape), 2, 2, method="bicubic"), ramp)
    interior = got[0, 0, 4:12, 4:12]
    np.testing.assert_allclose(interior, np.tile(np.arange(4, 12) / 2, (8, 1)), atol=1e-5)


# 6. where with 0-d branches and a condition of higher rank
def test_where_broadcasts_0d_branches_to_the_condition():
    expr = relay.where(v((2, 3), "bool", "c"), v((), name="x"), v((), name="y"))
    assert _module(expr)["main"].body.checked_type == relay.TensorType((2, 3), "float32")
    cond = RNG.random((2, 3)) > 0.5
    x, y = np.array(1.5, "float32"), np.array(-2.0, "float32")
    (got,) = build_run(expr, cond, x, y)
    np.testing.assert_array_equal(got, np.where(cond, x, y))
    expr0 = relay.where(v((), "bool", "c"), v((), name="x"), v((), name="y"))
    assert _module(expr0)["main"].body.checked_type == relay.TensorType((), "float32")


# 7. integer power
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64"])
def test_integer_power_matches_numpy(dtype):
    info = np.iinfo(dtype)
    base = np.array([0, 1, 2, 3, 7, 10, 2, 5, 13, info.max, 3, 2], dtype)
    exp = np.array([0, 9, 5, 4, 3, 2, info.bits - 2, 3, 13, 2, info.bits * 3, info.bits + 1], dtype)
    (got,) = build_run(relay.power(v(base.shape, dtype), v(exp.shape, dtype, "y")), base, exp)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got, np.power(base, exp))


def test_integer_power_negative_bases_and_exponents():
    base = np.array([[-2, -3, 1, -1, -1, 2, 0, 5]], "int32")
    exp = np.array([[3, 4, -5, -3, -4, -1, -2, 0]], "int32")
    expr = relay.power(v(base.shape, "int32"), v(exp.shape, "int32", "y"))
    (got,) = build_run(expr, base, exp)
    assert got.tolist() == [[-8, 81, 1, -1, 1, 0, 0, 1]]
    assert_same([got], interpret(expr, base, exp))


def test_integer_power_broadcast_and_fused():
    base = np.arange(-3, 3, dtype="int32").reshape(2, 3)
    exp = np.array([2, 3, 0], "int32")
    expr = relay.power(v((2, 3), "int32"), v((3,), "int32", "y")) + relay.const(1, "int32")
    (got,) = build_run(expr, base, exp)
    np.testing.assert_array_equal(got, np.power(base, exp) + 1)


def test_float_power_still_uses_topi():
    x, y = np.abs(rand(3, 4)) + 0.5, rand(4)
    (got,) = build_run(relay.power(v((3, 4)), v((4,), name="y")), x, y)
    np.testing.assert_allclose(got, np.power(x, y), rtol=1e-5)


def _full_mean_schedule():
    from tvm import te, topi  # pylint: disable=import-outside-toplevel

    x = te.placeholder((4, 64), "float32", "x")
    out = topi.divide(topi.sum(x), 256.0)
    sch = tvm.s_tir.Schedule(tvm.IRModule({"main": te.create_prim_func([x, out])}))
    return sch, x, out


def _compiled_mean(sch):
    lib = tvm.compile(sch.mod, target="llvm")
    data = rand(4, 64)
    result = tvm.runtime.empty((), "float32")
    lib["main"](tvm.runtime.tensor(data), result)
    np.testing.assert_allclose(result.numpy(), data.mean(), rtol=1e-5)


def test_full_mean_schedule_vectorises_partial_sums():
    from tvm.topi.generic import schedule_reduce  # pylint: disable=import-outside-toplevel

    sch, _, out = _full_mean_schedule()
    with tvm.target.Target("llvm"):
        schedule_reduce(sch, [out])
    names = _block_names(sch)
    assert any(name.endswith("_rf") for name in names), names
    assert "T.vectorized" in sch.mod.script()
    _compiled_mean(sch)


def test_failed_rfactor_leaves_a_serial_reduction(monkeypatch):
    from tvm.topi.generic import reduction, schedule_reduce  # pylint: disable=import-outside-toplevel

    # Without the unit loops the base's rfactor fails with an internal error:
    # the schedule must not be left half-rewritten.
    monkeypatch.setattr(reduction, "_give_loopless_blocks_a_loop", lambda sch: None)
    sch, _, out = _full_mean_schedule()
    with tvm.target.Target("llvm"):
        schedule_reduce(sch, [out])
    assert not any(name.endswith("_rf") for name in _block_names(sch))
    _compiled_mean(sch)



def _block_names(sch):
    from tvm.topi.generic.schedule_utils import all_blocks  # pylint: disable=import-outside-toplevel

    return [sch.get(rv).name_hint for rv in all_blocks(sch)]


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64"])
def test_integer_power_large_fused_and_reduced(dtype):
    # big enough for the parallel / vectorised paths of the generic schedules
    rng = np.random.default_rng(1)
    base = rng.integers(-9, 9, (64, 128)).astype(dtype)
    exp = rng.integers(0, 40, (128,)).astype(dtype)
    x, y = v((64, 128), dtype), v((128,), dtype, "y")
    with np.errstate(over="ignore"):
        powered = np.power(base, exp)
        (got,) = build_run(relay.power(x, y) * relay.const(3, dtype), base, exp)
        np.testing.assert_array_equal(got, powered * np.array(3, dtype))
        (got,) = build_run(relay.sum(relay.power(x, y), axis=1), base, exp)
        np.testing.assert_array_equal(got, powered.sum(1, dtype=dtype))


def test_upsampling_compute_with_a_symbolic_height():
    # the graph executor needs static shapes: compiled here as a kernel
    from tvm import te  # pylint: disable=import-outside-toplevel
    from tvm.relay.reference import ops as reference_ops  # pylint: disable=import-outside-toplevel
    from tvm.relay.op import compute_of_call  # pylint: disable=import-outside-toplevel

    expr = relay.nn.upsampling(v((1, 3, relay.Any(), 4)), 2, 1.5, method="bicubic")
    call = _module(expr)["main"].body
    with tvm.target.Target("llvm"):
        inputs, outputs = compute_of_call(call)
    lib = tvm.compile(tvm.IRModule({"main": te.create_prim_func(inputs + outputs)}), target="llvm")
    data = rand(1, 3, 5, 4)
    out = tvm.runtime.empty((1, 3, 10, 6), "float32")
    lib["main"](tvm.runtime.tensor(data), out)
    expected = reference_ops.run_op("nn.upsampling", call.attrs, [data], call)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
