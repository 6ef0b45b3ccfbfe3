"""The lowering mode: decided once, passed down, part of the cache key, heard by the
strategies; the tuners plug in at one hook point; plain builds import no tuner."""
import json
import logging
import subprocess
import sys

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, autotvm, relay
from tvm.auto_scheduler.task_description import is_winograd
from tvm.relay.backend import compile_engine, lowering
from tvm.relay.backend.graph_runtime_codegen import GraphRuntimeCodegen
from tvm.relay.backend.lowering import LoweringKind, LoweringMode


def _optimized(func, params=None):
    mod, _ = relay.optimize(tvm.IRModule.from_expr(func), "llvm", params)
    return mod


def _dense_net():
    x = relay.var("x", shape=(2, 16))
    w = relay.var("w", shape=(8, 16))
    return relay.Function([x, w], relay.nn.relu(relay.nn.dense(x, w)))


def _nhwc_conv():
    data = relay.var("data", shape=(1, 14, 14, 16))
    weight = relay.var("weight", shape=(3, 3, 16, 16))
    out = relay.nn.conv2d(data, weight, padding=(1, 1), data_layout="NHWC", kernel_layout="HWIO")
    return relay.Function([data, weight], out)


def _primitive_funcs(mod):
    found = []

    def visit(node):
        if isinstance(node, relay.Call) and isinstance(node.op, relay.Function) and node.op.is_primitive:
            found.append(node.op)

    relay.analysis.post_order_visit(mod["main"], visit)
    return found


def test_process_wide_engine_traces_after_a_topi_codegen():
    """The probe of the straight-path issue: TOPI then TRACE on the global engine."""
    engine = compile_engine.get()
    mod = _optimized(_dense_net())
    with tvm.target.Target("llvm"):
        GraphRuntimeCodegen(None, "llvm", use_topi_schedule=True).codegen(mod["main"])
        with auto_scheduler.relay_integration.TracingEnvironment(
            auto_scheduler.TracingMode.EXTRACT_TASK
        ) as env:
            GraphRuntimeCodegen(None, "llvm", use_topi_schedule=False).codegen(mod["main"])
    assert len(env.wkl_key_to_ccache_keys) == 1
    modes = {key.mode.kind for key, _ in engine.items()}
    assert {LoweringKind.TOPI, LoweringKind.TRACE_AUTO_SCHEDULER} <= modes


def test_cache_key_holds_the_mode_and_its_context():
    func = _primitive_funcs(_optimized(_dense_net()))[0]
    topi = compile_engine.CCacheKey(func, "llvm", LoweringMode.topi())
    assert topi == compile_engine.CCacheKey(func, "llvm", True)
    ctx_a, ctx_b = auto_scheduler.ApplyHistoryBest([]), auto_scheduler.ApplyHistoryBest([])
    apply_a = compile_engine.CCacheKey(func, "llvm", LoweringMode.apply(ctx_a))
    assert apply_a != topi
    assert apply_a == compile_engine.CCacheKey(func, "llvm", LoweringMode.apply(ctx_a))
    assert apply_a != compile_engine.CCacheKey(func, "llvm", LoweringMode.apply(ctx_b))


def test_strategy_selection_follows_the_mode_not_the_context():
    conv = _primitive_funcs(_optimized(_nhwc_conv()))[0]
    # a context whose state for the Winograd variant of the convolution is the best
    tasks, _ = auto_scheduler.extract_tasks(_nhwc_conv(), None, "llvm")
    (winograd,) = [task for task in tasks if is_winograd(task)]
    context = auto_scheduler.ApplyHistoryBest([])
    context.update(winograd.target, winograd.workload_key, winograd.baseline_state)
    with context:
        topi = compile_engine.CompileEngine().lower(conv, "llvm", use_topi_schedule=True)
    assert topi.anchor_implementation == "conv2d_nhwc.x86"
    applied = compile_engine.CompileEngine().lower(conv, "llvm", use_topi_schedule=LoweringMode.apply(context))
    assert applied.anchor_implementation == "conv2d_nhwc.winograd"
    assert applied.scheduled_by == "auto_scheduler"
    # without a record of it, Winograd (an implementation chosen by cost) is not used
    empty = LoweringMode.apply(auto_scheduler.ApplyHistoryBest([]))
    assert compile_engine.CompileEngine().lower(conv, "llvm", use_topi_schedule=empty).anchor_implementation \
        == "conv2d_nhwc.x86"
    assert empty.without(["conv2d_nhwc.winograd"]) != empty
    assert "without ['conv2d_nhwc.winograd']" in repr(empty.without(["conv2d_nhwc.winograd"]))


def test_upstream_bool_is_resolved_once_at_the_entry():
    assert LoweringMode.resolve(True).kind is LoweringKind.TOPI
    with auto_scheduler.relay_integration.TracingEnvironment(auto_scheduler.TracingMode.EXTRACT_TASK) as env:
        traced = LoweringMode.resolve(False)
    assert traced.kind is LoweringKind.TRACE_AUTO_SCHEDULER and traced.source is env
    with auto_scheduler.ApplyHistoryBest([]) as ctx:
        assert LoweringMode.resolve(False) == LoweringMode.apply(ctx)
        assert LoweringMode.for_build() == LoweringMode.apply(ctx)
    assert LoweringMode.for_build().kind is LoweringKind.TOPI
    with pytest.raises(TypeError, match="use_topi_schedule"):
        LoweringMode.resolve("yes")


def test_the_tuners_are_registered_at_the_hook_point():
    assert isinstance(lowering.get_hook("autotvm"), autotvm.task.relay_integration.CompileEngineHook)
    assert isinstance(lowering.get_hook("auto_scheduler"), auto_scheduler.relay_integration.CompileEngineHook)
    with pytest.raises(ValueError, match="unknown lowering hook"):
        lowering.register_hook("nonsense", object())


_FRESH_BUILD = """
import json, sys
import numpy as np
import tvm
from tvm import relay
x = relay.var("x", shape=(1, 3, 8, 8))
w = relay.var("w", shape=(4, 3, 3, 3))
y = relay.nn.relu(relay.nn.conv2d(x, w, padding=(1, 1)))
mod = tvm.IRModule.from_expr(relay.Function([x, w], y))
with tvm.transform.PassContext(opt_level=3):
    relay.build(mod, "llvm", params={"w": np.ones((4, 3, 3, 3), "float32")})
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("tvm.autotvm", "tvm.auto_scheduler")))))
"""


def test_plain_build_imports_no_tuner():
    result = subprocess.run([sys.executable, "-c", _FRESH_BUILD], capture_output=True, text=True,
                            check=True, timeout=300)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    # one summary line instead of one warning per workload
    assert "Cannot find config" not in result.stderr
    assert result.stderr.count("fallback schedule configurations") == 1


def _conv_net():
    data = relay.var("data", shape=(1, 8, 10, 10))
    w1 = relay.var("w1", shape=(8, 8, 3, 3))
    w2 = relay.var("w2", shape=(4, 8, 1, 1))
    y = relay.nn.relu(relay.nn.conv2d(data, w1, padding=(1, 1)))
    y = relay.nn.dense(relay.nn.batch_flatten(relay.nn.conv2d(y, w2)), relay.var("w3", shape=(5, 400)))
    func = relay.Function(relay.analysis.free_vars(y), y)
    rng = np.random.default_rng(0)
    params = {"w1": rng.standard_normal((8, 8, 3, 3)).astype("float32"),
              "w2": rng.standard_normal((4, 8, 1, 1)).astype("float32"),
              "w3": rng.standard_normal((5, 400)).astype("float32")}
    return tvm.IRModule.from_expr(func), params


def test_auto_scheduler_paths_print_no_autotvm_warning(caplog):
    mod, params = _conv_net()
    with caplog.at_level(logging.WARNING):
        tasks, weights = auto_scheduler.extract_tasks(mod, params, "llvm")
        with auto_scheduler.ApplyHistoryBest([]), tvm.transform.PassContext(opt_level=3):
            relay.build(mod, "llvm", params=params)
    # the 3x3 convolution in its Winograd and direct variants, the 1x1 one, the dense
    assert len(tasks) == 4 and weights == [1, 1, 1, 1]
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "Cannot find config" in m or "fallback schedule" in m], messages


def test_plain_build_with_autotvm_imported_prints_one_summary(caplog):
    mod, params = _conv_net()
    with caplog.at_level(logging.DEBUG, logger="relay"), tvm.transform.PassContext(opt_level=3):
        relay.build(mod, "llvm", params=params)
    summary = [r.getMessage() for r in caplog.records if "fallback schedule configurations" in r.getMessage()]
    assert len(summary) == 1 and summary[0].startswith("relay.build: 3 kernels")
    listed = [r.getMessage() for r in caplog.records if r.getMessage().startswith("fallback configuration:")]
    assert len(listed) == 3
    assert not [r for r in caplog.records if "Cannot find config" in r.getMessage()]


def test_autotvm_extraction_goes_through_the_driver_and_filters_ops():
    mod, params = _conv_net()
    tasks = autotvm.task.extract_from_program(mod, params, "llvm")
    assert sorted(t.name for t in tasks) == ["conv2d_nchw.x86", "conv2d_nchw.x86", "dense_nopack.x86",
                                             "dense_pack.x86"]
    convs = autotvm.task.extract_from_program(mod, params, "llvm", ops=[relay.op.get("nn.conv2d")])
    assert [t.name for t in convs] == ["conv2d_nchw.x86"] * 2


def test_plain_implementations_equal_the_autotvm_templates_under_fallback():
    """Without AutoTVM a build uses the plain implementations; they must be the
    templates under a fallback config, kernel for kernel."""
    mod, params = _conv_net()
    hook = lowering.get_hook("autotvm")

    def kernels():
        program = relay.build_module.lower_program(mod, "llvm", params, LoweringMode.topi())
        return program.lowered_funcs, {c.func_name: c.anchor_implementation for c in program.cached_funcs}

    with_templates, impls = kernels()
    lowering.register_hook("autotvm", None)
    try:
        plain, plain_impls = kernels()
    finally:
        lowering.register_hook("autotvm", hook)
    assert impls == plain_impls
    assert sorted(impls.values()).count("conv2d_nchw.x86") == 2 and "dense_nopack.x86" in impls.values()
    for name, func in with_templates.functions_items():
        assert tvm.ir.structural_equal(func, plain[name.name_hint]), name.name_hint
