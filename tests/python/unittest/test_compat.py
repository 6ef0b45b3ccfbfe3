"""Each compatibility patch of tvmfork.compat, tested on its own."""
import numpy as np
import pytest

import tvm
from tvmfork import compat


@pytest.mark.parametrize(
    "text, expected",
    [
        ("llvm -mcpu=core-avx2 -num-cores=2", {"kind": "llvm", "mcpu": "core-avx2", "num-cores": 2}),
        ("llvm -mtriple=aarch64-linux-gnu", {"kind": "llvm", "mtriple": "aarch64-linux-gnu"}),
        ("cuda -arch=sm_80", {"kind": "cuda", "arch": "sm_80"}),
        (
            "llvm -mcpu=skylake -mattr=+avx2,+fma -libs=cblas",
            {"kind": "llvm", "mcpu": "skylake", "mattr": ["+avx2", "+fma"], "libs": ["cblas"]},
        ),
        ("llvm -mcpu=x86-64 -system-lib", {"kind": "llvm", "mcpu": "x86-64", "system-lib": True}),
    ],
)
def test_parse_legacy_target_keeps_every_option(text, expected):
    assert compat.parse_legacy_target(text) == expected


@pytest.mark.parametrize(
    "text, attr, value",
    [
        ("llvm -mcpu=core-avx2 -num-cores=2", "mcpu", "core-avx2"),
        ("llvm -mcpu=core-avx2 -num-cores=2", "num-cores", 2),
        ("llvm -mtriple=aarch64-linux-gnu", "mtriple", "aarch64-linux-gnu"),
        ("cuda -arch=sm_80", "arch", "sm_80"),
    ],
)
def test_target_accepts_legacy_strings(text, attr, value):
    target = tvm.target.Target(text)
    assert target.attrs[attr] == value


def test_plain_llvm_gets_host_cpu():
    host = compat.host_cpu()
    assert host, "the base should report the host CPU"
    target = tvm.target.Target("llvm")
    assert str(target.attrs["mcpu"]) == host
    expected = {"kind": "llvm", "mcpu": host}
    if compat.host_disabled_features():
        expected["mattr"] = ["-" + f for f in compat.host_disabled_features()]
    assert compat.parse_legacy_target("llvm") == expected


def test_plain_llvm_switches_off_what_the_host_lacks(monkeypatch):
    """A VM may hide AVX-512 of a CPU whose name implies it: the target says so in mattr."""
    monkeypatch.setattr(compat, "_HOST_CPU", "znver4")
    monkeypatch.setattr(compat, "_HOST_DISABLED", None)
    monkeypatch.setattr(compat, "host_cpu_flags", lambda: {"avx", "avx2", "fma", "f16c", "sse4_2"})
    config = compat.parse_legacy_target("llvm -mattr=+popcnt")
    assert config["mcpu"] == "znver4"
    assert "-avx512f" in config["mattr"] and "-avx512vnni" in config["mattr"]
    assert "-avx2" not in config["mattr"] and config["mattr"][-1] == "+popcnt"
    target = tvm.target.Target(config)
    features = set(tvm.target.codegen.llvm_get_cpu_features(target))
    assert "avx2" in features and not any(f.startswith("avx512") for f in features)
    # a host that has everything its name implies gets no mattr
    monkeypatch.setattr(compat, "_HOST_DISABLED", None)
    monkeypatch.setattr(compat, "host_cpu_flags", lambda: {
        "avx", "avx2", "fma", "f16c", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
        "avx512ifma", "avx512vbmi", "avx512_vbmi2", "avx512_vnni", "avx512_bitalg",
        "avx512_vpopcntdq", "avx512_bf16"})
    assert "mattr" not in compat.parse_legacy_target("llvm")


def test_plain_llvm_code_runs_on_this_host():
    """The default target's code executes here (no SIGILL from features the host lacks)."""
    from tvm.topi.generic.cpu_features import cpu_features, host_supports

    assert host_supports(cpu_features(tvm.target.Target("llvm")))


def test_host_cpu_never_added_with_mcpu_or_mtriple():
    assert compat.parse_legacy_target("llvm -mcpu=core-avx2")["mcpu"] == "core-avx2"
    cross = compat.parse_legacy_target("llvm -mtriple=aarch64-linux-gnu")
    assert "mcpu" not in cross
    assert "mcpu" not in tvm.target.Target("llvm -mtriple=aarch64-linux-gnu").attrs
    # dict form is the user's explicit choice: untouched
    assert "mcpu" not in tvm.target.Target({"kind": "llvm"}).attrs


def test_bad_target_string_names_the_option():
    with pytest.raises(ValueError, match="mcpu"):
        compat.parse_legacy_target("llvm mcpu=core-avx2")


def test_nd_aliases():
    arr = np.arange(6, dtype="float32").reshape(2, 3)
    tensor = tvm.nd.array(arr)
    assert isinstance(tensor, tvm.nd.NDArray)
    np.testing.assert_array_equal(tensor.numpy(), arr)
    np.testing.assert_array_equal(tensor.asnumpy(), arr)
    empty = tvm.nd.empty((4, 5), "int32", tvm.cpu())
    assert tuple(empty.shape) == (4, 5) and str(empty.dtype) == "int32"
    import tvm.nd as nd_module  # importable as a module too

    assert nd_module.array is tvm.nd.array


def test_tir_alias():
    assert tvm.tir is tvm.tirx
    imm = tvm.tir.IntImm("int32", 3)
    assert imm.value == 3
    from tvm.tir import IntImm  # noqa: F401
    # 0.8's run-time dimension
    from tvm import relay  # pylint: disable=import-outside-toplevel

    ty = relay.TensorType((tvm.tir.Any(), 4), "float32")
    assert isinstance(ty.shape[0], tvm.tir.Any) and str(ty) == "Tensor[(?, 4), float32]"
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
        tvm.tir.NoSuchName  # pylint: disable=pointless-statement


def test_irmodule_from_relay_function():
    from tvm import relay

    x = relay.var("x", shape=(2, 2))
    func = relay.Function([x], x)
    mod = tvm.IRModule.from_expr(func)
    assert isinstance(mod, relay.IRModule)
    assert mod["main"] is func
    # base expressions still go to the base's from_expr
    from tvm import te

    a = te.placeholder((4,), name="a")
    prim = te.create_prim_func([a, te.compute((4,), lambda i: a[i] + 1, name="b")])
    assert "main" in [g.name_hint for g in tvm.IRModule.from_expr(prim).functions]
    # a non-function expression is wrapped in a function of its free vars
    mod2 = tvm.IRModule.from_expr(relay.Tuple([x, x]))
    assert list(mod2["main"].params) == [x]


def test_structural_equal_and_hash_for_relay_and_base():
    from tvm import relay

    def make(name):
        x = relay.var(name, shape=(3,))
        y = relay.var("y", shape=(3,))
        return relay.Function([x, y], relay.Tuple([x, y, relay.const(1.0)]))

    assert tvm.ir.structural_equal(make("a"), make("b"))
    assert tvm.ir.structural_hash(make("a")) == tvm.ir.structural_hash(make("b"))
    # base objects still go to the base
    assert tvm.ir.structural_equal(tvm.tir.IntImm("int32", 1), tvm.tir.IntImm("int32", 1))
    tvm.ir.assert_structural_equal(make("a"), make("c"))


def test_thread_pool_uses_every_physical_core():
    """The base sizes the pool as half the logical CPUs on x86; the patch sets
    TVM_NUM_THREADS to the physical cores unless the user chose a number."""
    import os
    import subprocess
    import sys

    assert compat.physical_cores() >= 1
    assert compat.physical_cores() <= len(os.sched_getaffinity(0))
    script = "import tvm, os; print(tvm.get_global_func('runtime.NumThreads')(), os.environ['TVM_NUM_THREADS'])"
    env = {k: v for k, v in os.environ.items() if k not in ("TVM_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(compat.physical_cores())] * 2
    env["TVM_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["1", "1"]


def test_irmodule_holds_relay_keeps_base_modules_unchanged():
    from tvm import te

    a = te.placeholder((4,), name="a")
    prim = te.create_prim_func([a, te.compute((4,), lambda i: a[i] * 2, name="b")])
    mod = tvm.IRModule({"main": prim})
    assert isinstance(mod.functions["main" if False else mod.get_global_var("main")], tvm.tir.PrimFunc)
    assert "T.prim_func" in mod.script() and str(mod) == mod.script()
    lib = tvm.compile(mod, target="llvm")
    x = tvm.nd.array(np.arange(4, dtype="float32"))
    y = tvm.nd.empty((4,), "float32")
    lib["main"](x, y)
    np.testing.assert_allclose(y.numpy(), np.arange(4) * 2)
    assert bool(tvm.IRModule()) is True  # __len__ does not make an empty module falsy


def test_error_names_and_size_var_and_device():
    from tvm import te

    assert issubclass(tvm.error.InternalError, tvm.error.TVMError)
    n = te.size_var("n")
    assert n.name == "n" and str(n.ty) == "int32"
    assert tvm.device("llvm") == tvm.cpu(0)
    assert tvm.device("llvm -mcpu=core-avx2", 0) == tvm.cpu(0)
    assert tvm.cpu().device_type == 1
    with pytest.raises(ValueError):
        tvm.device("no_such_device_kind")


def test_0_8_runtime_names_adt_te_compiler_and_register_func():
    import numpy as np
    from tvm import relay
    from tvm.runtime.container import ADT, tuple_object

    x = relay.var("x", shape=(2,))
    func = relay.Function([x], relay.Tuple([x, relay.add(x, relay.const(1.0))]))
    for kind in ("debug", "vm", "graph"):
        value = relay.create_executor(kind, mod=tvm.IRModule.from_expr(func)).evaluate()(np.ones(2, "float32"))
        assert isinstance(value, ADT) and len(value) == 2, kind
        np.testing.assert_allclose(value[1].numpy(), [2.0, 2.0])
    single = relay.create_executor("vm", mod=tvm.IRModule.from_expr(relay.Function([x], x))).evaluate()(
        np.ones(2, "float32"))
    assert not isinstance(single, ADT)
    assert len(tuple_object([1, 2])) == 2
    @tvm.register_func("tvmfork.test.add_one", override=True)
    def add_one(value):
        return value + 1

    assert tvm.get_global_func("tvmfork.test.add_one")(1) == 2
    engine = relay.backend.te_compiler.get()
    assert engine is relay.backend.compile_engine.get()
    engine.clear()


def test_pass_context_accepts_relay_options_and_fuse_ops_honours_max_depth():
    from tvm import relay

    x = relay.var("x", shape=(4,))
    body = x
    for _ in range(6):
        body = relay.exp(relay.negative(body))
    mod = tvm.IRModule.from_expr(relay.Function([x], body))

    def fused_functions(depth):
        config = {} if depth is None else {"relay.FuseOps.max_depth": depth}
        with tvm.transform.PassContext(opt_level=3, config=config):
            assert compat.pass_context_option("relay.FuseOps.max_depth") == depth
            fused = tvm.transform.Sequential([relay.transform.InferType(), relay.transform.FuseOps()])(mod)
        calls = []
        relay.analysis.post_order_visit(
            fused["main"], lambda n: calls.append(n) if isinstance(n, relay.Function) and n.is_primitive else None
        )
        return len(calls), fused

    assert fused_functions(None)[0] == 1
    count, fused = fused_functions(3)
    assert count == 4  # 12 ops, at most 3 per function
    assert compat.pass_context_option("relay.FuseOps.max_depth") is None  # context left
    data = np.linspace(-1, 1, 4).astype("float32")
    expected = data
    for _ in range(6):
        expected = np.exp(-expected)
    result = relay.create_executor("debug", mod=fused).evaluate()(data)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5)
    with tvm.transform.PassContext(config={"relay.backend.use_auto_scheduler": True}):
        pass
    configs = tvm.transform.PassContext.list_configs()
    assert "relay.FuseOps.max_depth" in configs and "tirx.UnrollLoop" in configs
    with pytest.raises(Exception, match="no.such.option"):
        tvm.transform.PassContext(config={"no.such.option": 1})


def test_testing_helpers_and_plugin():
    import tvm.testing
    import tvm.testing.plugin  # noqa: F401

    for name in ("uses_gpu", "parametrize_targets", "parameters", "requires_gpu", "requires_llvm",
                 "known_failing_targets", "exclude_targets", "assert_allclose", "enabled_targets"):
        assert hasattr(tvm.testing, name), name

    @tvm.testing.requires_gpu
    def needs_gpu():  # pylint: disable=unused-variable
        pass

    skip = [m for m in needs_gpu.pytestmark if m.name == "skipif"]
    assert skip and skip[0].args[0] is True
    def on_targets(target):
        return target

    marked = tvm.testing.parametrize_targets("llvm", "cuda")(on_targets)
    params = marked.pytestmark[0].args[1]
    assert [p.values[0] for p in params] == ["llvm", "cuda"]
    assert not params[0].marks and params[1].marks[0].name == "skip"


def test_testing_parameters_and_target_parametrization_in_a_0_8_style_suite(tmp_path):
    """A small 0.8-style test file (class with tvm.testing.parameters, target/dev
    fixtures from the plugin) collected and run by pytest."""
    import subprocess
    import sys

    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tvm.testing.plugin"]\n')
    (tmp_path / "test_style.py").write_text(
        "import tvm, tvm.testing\n"
        "class TestPairs:\n"
        "    a, b = tvm.testing.parameters((1, 2), (3, 6))\n"
        "    def test_double(self, a, b, target, dev):\n"
        "        assert 2 * a == b and target == 'llvm' and dev == tvm.cpu(0)\n"
        "@tvm.testing.parametrize_targets('llvm', 'cuda')\n"
        "def test_targets(target, dev):\n"
        "    assert dev == tvm.cpu(0)\n"
        "@tvm.testing.uses_gpu\n"
        "def test_uses_gpu():\n"
        "    assert tvm.testing.enabled_targets()[0][0] == 'llvm'\n"
    )
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, check=False)
    assert "4 passed, 1 skipped" in out.stdout, out.stdout + out.stderr


def test_module_get_source_and_legacy_build_tuple():
    from tvm import relay

    x = relay.var("x", shape=(8,))
    lib = relay.build(tvm.IRModule.from_expr(relay.Function([x], relay.exp(x))), "llvm")
    graph, module, params = lib  # 0.8's tuple form of the factory
    assert '"nodes"' in graph and params == {}
    asm = module.get_source("asm")
    assert asm == module.inspect_source("asm") and "fused_exp" in asm


def test_runtime_convert_keeps_relay_nodes():
    """0.8's ``relay.Tuple(tvm.runtime.convert([a, b]))``: Relay nodes stay themselves."""
    from tvm import relay

    x = relay.var("x", shape=(3,))
    a, b = relay.exp(x), relay.add(x, x)
    converted = tvm.runtime.convert([a, (b, relay.TensorType((3,), "float32"))])
    assert converted[0] is a and converted[1][0] is b
    assert converted[1][1] == relay.TensorType((3,), "float32")
    out = relay.create_executor("debug").evaluate(relay.Function([x], relay.Tuple(tvm.runtime.convert([a, b]))))(
        np.array([0.0, 1.0, 2.0], "float32"))
    np.testing.assert_allclose(out[0].numpy(), np.exp([0.0, 1.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(out[1].numpy(), [0.0, 2.0, 4.0])
    assert isinstance(tvm.runtime.convert([1, 2]), tvm.ir.Array)  # other values: the base's


def test_make_node_builds_relay_attrs():
    from tvm.relay.attrs import Attrs, DictAttrs

    attrs = tvm.ir.make_node("DictAttrs", Primitive=1, name="f")
    assert isinstance(attrs, DictAttrs) and attrs.Primitive == 1 and attrs["name"] == "f"
    conv = tvm.ir.make_node("relay.attrs.Conv2DAttrs", padding=(1, 1), data_layout="NCHW")
    assert isinstance(conv, Attrs) and conv.type_key == "relay.attrs.Conv2DAttrs"
    assert tuple(conv.padding) == (1, 1)
    assert tvm.ir.make_node("attrs.TestAttrs", name="x") == tvm.ir.make_node("attrs.TestAttrs", name="x")


def test_te_tensor_dtype_is_a_string():
    """0.8 scripts: ``np.random.uniform(size=...).astype(A.dtype)`` and ``A.dtype == "float32"``."""
    import pickle

    from tvm import te, topi

    a = te.placeholder((4,), "float16", name="a")
    assert a.dtype == "float16" and isinstance(a.dtype, str)
    assert np.zeros(3).astype(a.dtype).dtype == np.float16
    assert str(a.expr_ty()) == "float16" and a.dtype.is_scalar  # the base's PrimType API
    assert str(a.dtype.dtype) == "float16"
    assert pickle.loads(pickle.dumps(a.dtype)) == "float16"
    b = topi.sort(te.placeholder((4,), "float32"))  # base TOPI reads tensor.dtype.dtype
    assert b.dtype == "float32"


def test_override_instruments_with_none_removes_them():
    from tvm.ir.instrument import PassTimingInstrument

    timing = PassTimingInstrument()
    with tvm.transform.PassContext() as ctx:
        ctx.override_instruments([timing])
        assert len(ctx.instruments) == 1
        ctx.override_instruments(None)
        assert len(ctx.instruments) == 0


def test_type_errors_reach_an_overridden_diagnostic_renderer():
    """0.8's tvm.ir.diagnostics: a renderer set with override_renderer sees the type
    error (as an error diagnostic) before InferType raises it."""
    from tvm import relay
    from tvm.ir import diagnostics

    seen = []
    diagnostics.override_renderer(lambda ctx: seen.extend(d.message for d in ctx.diagnostics))
    try:
        x = relay.var("x", shape=(2, 3))
        bad = relay.Function([x], relay.add(x, relay.var("y", shape=(4,))))
        with pytest.raises(tvm.error.DiagnosticError):
            relay.transform.InferType()(tvm.IRModule.from_expr(bad))
    finally:
        diagnostics.override_renderer(None)
    assert len(seen) == 1 and "add" in seen[0]
    assert diagnostics.get_renderer().render_func is None


def test_ir_op_names_relay_and_base_operators():
    from tvm import relay  # pylint: disable=import-outside-toplevel

    x = relay.var("x", shape=(2, 3))
    call = relay.nn.relu(x)
    # a 0.8-era pass tests the class before reading the name
    assert isinstance(call.op, tvm.ir.Op) and isinstance(call.op, tvm.ir.op.Op)
    assert call.op.name == "nn.relu"
    assert not isinstance(x, tvm.ir.Op)
    assert tvm.ir.Op.get("nn.relu") == call.op
    base_op = tvm.ir.Op.get("tirx.exp")
    assert isinstance(base_op, tvm.ir.Op) and base_op.name == "tirx.exp"
    names = []
    relay.analysis.post_order_visit(relay.Function([x], call),
                                    lambda n: names.append(n.name) if isinstance(n, tvm.ir.Op) else None)
    assert names == ["nn.relu"]


def test_param_dict_round_trip_through_relay_names():
    from tvm import relay  # pylint: disable=import-outside-toplevel

    x = np.arange(6, dtype="float32").reshape(2, 3)
    shared = tvm.runtime.tensor(np.ones((4,), "int8"))
    blob = relay.save_param_dict({"x": x, "a": shared, "b": shared})
    assert isinstance(blob, bytearray) and isinstance(tvm.runtime.save_param_dict({"x": x}), bytearray)
    back = relay.load_param_dict(blob)
    assert sorted(back) == ["a", "b", "x"]
    np.testing.assert_array_equal(back["x"].numpy(), x)
    np.testing.assert_array_equal(back["b"].numpy(), np.ones((4,), "int8"))
