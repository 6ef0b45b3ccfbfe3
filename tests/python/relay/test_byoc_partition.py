"""Graph partitioning for external code generators (BYOC) and the ``ccompiler`` C codegen.

The passes (AnnotateTarget, MergeCompilerRegions, PartitionGraph) are checked
against hand-written expected IR; partitioned programs built for the graph
executor, where the ``ccompiler`` regions run as generated C, are checked
against NumPy, and an exported library is run in a fresh process.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay import transform
from tvm.relay.backend import contrib_codegen
from tvm.relay.backend.graph_runtime_codegen import GraphRuntimeCodegen
from tvm.relay.op.annotation import compiler_begin, compiler_end
from tvm.relay.op.contrib import get_pattern_table
from tvm.relay.testing import TempOpAttr


def _always(expr):  # pylint: disable=unused-argument
    return True


def _typed(mod):
    return transform.InferType()(mod)


def _external(func, compiler, name):
    return func.with_attr({"Primitive": 1, "Inline": 1, "Compiler": compiler,
                           "global_symbol": name})


# -- AnnotateTarget ------------------------------------------------------------------------


def test_annotate_target_wraps_each_edge_of_supported_ops():
    x = relay.var("x", shape=(4, 4))
    r = relay.nn.relu(x)
    out = relay.add(relay.abs(r), r)
    mod = tvm.IRModule.from_expr(relay.Function([x], out))
    with TempOpAttr("nn.relu", "target.byoc_t1", _always), TempOpAttr("add", "target.byoc_t1", _always):
        got = transform.AnnotateTarget("byoc_t1")(mod)

    # expected: relu and add in "byoc_t1" regions, abs in a "default" one; every use of
    # a value has its own end annotation
    x = relay.var("x", shape=(4, 4))
    r = relay.nn.relu(compiler_begin(x, "byoc_t1"))
    a = relay.abs(compiler_begin(compiler_end(r, "byoc_t1"), "default"))
    out = relay.add(compiler_begin(compiler_end(a, "default"), "byoc_t1"),
                    compiler_begin(compiler_end(r, "byoc_t1"), "byoc_t1"))
    expected = _typed(tvm.IRModule.from_expr(relay.Function([x], compiler_end(out, "byoc_t1"))))
    tvm.ir.assert_structural_equal(got, expected)


def test_annotate_target_predicate_sees_types_and_can_refuse():
    x = relay.var("x", shape=(4,), dtype="int32")
    y = relay.var("y", shape=(4,))
    mod = tvm.IRModule.from_expr(relay.Function([x, y], relay.Tuple([relay.nn.relu(x), relay.nn.relu(y)])))

    def float_only(expr):
        return expr.args[0].checked_type.dtype == "float32"

    with TempOpAttr("nn.relu", "target.byoc_t2", float_only):
        got = transform.AnnotateTarget("byoc_t2", include_non_call_ops=False)(mod)
    body = got["main"].body
    targets = [field.attrs.compiler for field in body.fields]
    assert targets == ["default", "byoc_t2"]


def test_annotate_target_composite_goes_to_its_prefix():
    a, b = relay.var("a", shape=(3,)), relay.var("b", shape=(3,))
    i1, i2 = relay.var("i1", shape=(3,)), relay.var("i2", shape=(3,))
    comp = relay.Function([i1, i2], relay.nn.relu(relay.add(i1, i2))).with_attr(
        "Composite", "byoc_t3.add_relu")
    mod = tvm.IRModule.from_expr(relay.Function([a, b], relay.Call(comp, [a, b])))
    got = transform.AnnotateTarget(["other", "byoc_t3"])(mod)
    call = got["main"].body.args[0]
    assert got["main"].body.attrs.compiler == "byoc_t3"
    assert [arg.attrs.compiler for arg in call.args] == ["byoc_t3", "byoc_t3"]
    tvm.ir.assert_structural_equal(call.op, comp)  # the composite function is not entered


# -- MergeCompilerRegions ------------------------------------------------------------------


def test_merge_compiler_regions_keeps_diamond_acyclic():
    data = relay.var("data", shape=(10, 10))
    o1 = relay.abs(compiler_begin(data, "t"))
    o2 = relay.nn.relu(compiler_begin(compiler_end(o1, "t"), "t"))
    x = relay.tanh(compiler_begin(compiler_end(o1, "t"), "default"))
    o3 = relay.add(compiler_begin(compiler_end(o2, "t"), "t"),
                   compiler_begin(compiler_end(x, "default"), "t"))
    mod = tvm.IRModule.from_expr(relay.Function([data], compiler_end(o3, "t")))
    got = transform.MergeCompilerRegions()(mod)

    # abs and relu merge; add cannot join them (it depends on tanh, which depends on abs)
    data = relay.var("data", shape=(10, 10))
    o1 = relay.abs(compiler_begin(data, "t"))
    o2 = relay.nn.relu(o1)
    x = relay.tanh(compiler_begin(compiler_end(o1, "t"), "default"))
    o3 = relay.add(compiler_begin(compiler_end(o2, "t"), "t"),
                   compiler_begin(compiler_end(x, "default"), "t"))
    expected = _typed(tvm.IRModule.from_expr(relay.Function([data], compiler_end(o3, "t"))))
    tvm.ir.assert_structural_equal(got, expected)


# -- PartitionGraph ------------------------------------------------------------------------


def test_partition_graph_lifts_regions_with_tuple_outputs():
    data = relay.var("data", shape=(10, 10))
    o1 = relay.abs(compiler_begin(data, "t"))
    o2 = relay.nn.relu(o1)
    x = relay.tanh(compiler_end(o1, "t"))
    o3 = relay.add(compiler_begin(compiler_end(o2, "t"), "t"), compiler_begin(x, "t"))
    mod = _typed(tvm.IRModule.from_expr(relay.Function([data], compiler_end(o3, "t"))))
    got = transform.PartitionGraph()(mod)

    expected = tvm.IRModule()
    i0 = relay.var("i0", shape=(10, 10))
    a0 = relay.abs(i0)
    f0 = relay.Function([i0], relay.Tuple([relay.nn.relu(a0), a0]))
    g0 = relay.GlobalVar("tvmgen_default_t_main_0")
    expected[g0] = _external(f0, "t", g0.name_hint)
    j0, j1 = relay.var("j0", shape=(10, 10)), relay.var("j1", shape=(10, 10))
    g1 = relay.GlobalVar("tvmgen_default_t_main_1")
    expected[g1] = _external(relay.Function([j0, j1], relay.add(j0, j1)), "t", g1.name_hint)
    data = relay.var("data", shape=(10, 10))
    out = g0(data)
    expected["main"] = relay.Function(
        [data], g1(relay.TupleGetItem(out, 0), relay.tanh(relay.TupleGetItem(out, 1))))
    tvm.ir.assert_structural_equal(got, _typed(expected), map_free_vars=True)


def test_partition_graph_binds_constants_and_runs_target_optimizer():
    calls = []

    def optimize(mod):
        calls.append(mod["main"])
        return transform.FoldConstant()(mod)

    tvm.register_func("relay.ext.byoc_t4.optimize", optimize, override=True)
    x = relay.var("x", shape=(2, 2))
    ones = relay.const(np.ones((2, 2), "float32"))
    inner = relay.add(compiler_begin(ones, "byoc_t4"), compiler_begin(ones, "byoc_t4"))
    func = relay.Function([x], relay.multiply(compiler_end(inner, "byoc_t4"), x))
    got = transform.PartitionGraph(mod_name="mymod")(tvm.IRModule.from_expr(func))
    lifted = got["tvmgen_mymod_byoc_t4_main_0"]
    assert len(calls) == 1 and len(lifted.params) == 0  # the constant was bound, not passed
    np.testing.assert_allclose(lifted.body.data.numpy(), np.full((2, 2), 2.0))
    assert str(lifted.attrs["Compiler"]) == "byoc_t4"


def test_partition_graph_sanitizes_names():
    x = relay.var("x", shape=(3,))
    func = relay.Function([x], compiler_end(relay.abs(compiler_begin(x, "a-b+")), "a-b+"))
    got = transform.PartitionGraph()(tvm.IRModule.from_expr(func))
    names = sorted(g.name_hint for g in got.get_global_vars())
    assert names == ["main", "tvmgen_default_a_b__main_0"]


def test_dnnl_patterns_merge_and_partition():
    table = get_pattern_table("dnnl")
    assert [name for name, *_ in table] == ["dnnl.conv2d_bias_relu", "dnnl.conv2d_relu"]
    data = relay.var("data", shape=(1, 3, 8, 8))
    w1, w2 = relay.var("w1", shape=(4, 3, 3, 3)), relay.var("w2", shape=(4, 4, 3, 3))
    b = relay.var("b", shape=(4, 1, 1))
    y = relay.nn.relu(relay.add(relay.nn.conv2d(data, w1, padding=(1, 1)), b))
    y = relay.nn.relu(relay.nn.conv2d(y, w2, padding=(1, 1)))
    y = relay.sigmoid(y)
    mod = tvm.IRModule.from_expr(relay.Function([data, w1, w2, b], y))
    mod = tvm.transform.Sequential([transform.MergeComposite(table), transform.AnnotateTarget("dnnl"),
                                    transform.MergeCompilerRegions(), transform.PartitionGraph()])(mod)
    lifted = [g.name_hint for g in mod.get_global_vars() if g.name_hint != "main"]
    assert lifted == ["tvmgen_default_dnnl_main_0"]
    body = mod[lifted[0]].body
    assert str(body.op.attrs["Composite"]) == "dnnl.conv2d_relu"
    assert str(body.args[0].op.attrs["Composite"]) == "dnnl.conv2d_bias_relu"
    assert mod["main"].body.op.name == "sigmoid"


# -- the ccompiler code generator ------------------------------------------------------------


def _ccompiler_model():
    """(y*y - (x+x)) and its negation offloaded, exp and log left to TVM; a scalar constant."""
    x = relay.var("x", shape=(3, 5))
    y = relay.var("y", shape=(3, 5))
    diff = relay.subtract(relay.multiply(y, y), relay.add(x, x))
    scaled = relay.multiply(diff, relay.const(0.5))
    out = relay.Tuple([relay.exp(scaled), relay.log(relay.abs(diff) + relay.const(1.0))])
    return tvm.IRModule.from_expr(relay.Function([x, y], out))


def _partition_for_ccompiler(mod):
    return tvm.transform.Sequential([transform.AnnotateTarget("ccompiler"),
                                     transform.MergeCompilerRegions(),
                                     transform.PartitionGraph()])(mod)


def _reference(xd, yd):
    diff = yd * yd - (xd + xd)
    return [np.exp(diff * 0.5), np.log(np.abs(diff) + 1.0)]


def test_ccompiler_partition_builds_and_runs_on_graph_executor():
    mod = _partition_for_ccompiler(_ccompiler_model())
    lifted = [mod[g] for g in mod.get_global_vars() if g.name_hint != "main"]
    # one region for y*y - (x+x) and its scaling, one for abs(.) + 1 (abs stays with TVM)
    assert sorted(str(f.attrs["Compiler"]) for f in lifted) == ["ccompiler", "ccompiler"]
    assert sorted(len(f.params) for f in lifted) == [1, 2]  # the constant 1.0 is bound inside
    # the build inlines the partitioned functions ("Inline" attribute) after FuseOps, as 0.8
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm")
    rt = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    xd = np.random.uniform(0.1, 1, (3, 5)).astype("float32")
    yd = np.random.uniform(0.1, 1, (3, 5)).astype("float32")
    rt.set_input("x", xd)
    rt.set_input("y", yd)
    rt.run()
    for i, ref in enumerate(_reference(xd, yd)):
        np.testing.assert_allclose(rt.get_output(i).numpy(), ref, rtol=1e-5, atol=1e-6)


def test_ccompiler_source_is_elementwise_c():
    mod = _partition_for_ccompiler(_ccompiler_model())
    func = mod["tvmgen_default_ccompiler_main_0"]
    source, symbol, num_outputs = contrib_codegen.ccompiler_source(func, "f")
    assert symbol.startswith("f_impl_") and symbol in source
    assert num_outputs == (len(func.body.fields) if isinstance(func.body, relay.Tuple) else 1)
    assert "for (int64_t i = 0; i < 15; ++i)" in source
    # the same function gives the same symbol; other code another one
    assert contrib_codegen.ccompiler_source(func, "f")[1] == symbol
    other = relay.Function(func.params, relay.add(func.params[0], func.params[0]))
    other = _typed(tvm.IRModule.from_expr(other))["main"]
    assert contrib_codegen.ccompiler_source(other, "f")[1] != symbol


_RUN_EXPORTED = r"""
import sys, numpy as np, tvm
lib = tvm.runtime.load_module(sys.argv[1])
a = np.arange(6, dtype="float32").reshape(2, 3)
b = np.full((2, 3), 3.0, "float32")
ins = [tvm.runtime.tensor(a), tvm.runtime.tensor(b)]
out = tvm.runtime.empty((2, 3), "float32")
lib[sys.argv[2]](*ins, out)
np.testing.assert_allclose(out.numpy(), (a + b) * b - a, rtol=1e-6)
print("ok")
"""


def test_ccompiler_exported_library_runs_in_fresh_process(tmp_path):
    a, b = relay.var("a", shape=(2, 3)), relay.var("b", shape=(2, 3))
    body = relay.subtract(relay.multiply(relay.add(a, b), b), a)
    mod = tvm.IRModule.from_expr(relay.Function([a, b], body))
    mod = _partition_for_ccompiler(mod)
    # the graph codegen resolves calls of the module's external functions
    _, lowered, _ = GraphRuntimeCodegen(None, "llvm").codegen(mod)
    lib = tvm.compile(lowered, target="llvm").mod
    contrib_codegen.import_external_modules(lib, lowered)
    assert [m.kind for m in lib.imports] == ["c"]
    path = str(tmp_path / "byoc.so")
    lib.export_library(path)
    script = tmp_path / "run.py"
    script.write_text(_RUN_EXPORTED)
    result = subprocess.run([sys.executable, str(script), path, "tvmgen_default_ccompiler_main_0"],
                            capture_output=True, text=True, timeout=120, env=dict(os.environ),
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_external_codegen_errors_name_the_culprit():
    x = relay.var("x", shape=(2,))
    p = relay.var("p", shape=(2,))
    for compiler, body, message in [("dnnl", relay.add(p, p), "'dnnl'"),
                                    ("ccompiler", relay.log(p), "log")]:
        ext = _external(relay.Function([p], body), compiler, "tvmgen_default_ext_0")
        main = relay.Function([x], relay.Call(ext, [x]))
        mod = _typed(tvm.IRModule.from_expr(main))
        with pytest.raises((tvm.error.OpNotImplemented, ValueError), match=message):
            relay.build(mod, target="llvm")


def test_annotated_region_set_groups_nodes_between_annotations():
    data = relay.var("data", shape=(4,))
    cb1 = compiler_begin(data, "t")
    o1 = relay.abs(cb1)
    ce1 = compiler_end(o1, "t")
    cbd = compiler_begin(ce1, "default")
    x = relay.tanh(cbd)
    ced = compiler_end(x, "default")
    func = relay.Function([data], ced)
    regions = relay.analysis.AnnotatedRegionSet(
        func, relay.op.get("annotation.compiler_begin"), relay.op.get("annotation.compiler_end"))
    assert len(regions) == 2
    first, second = regions.get_region(o1), regions.get_region(x)
    assert (first.target, first.id, second.target, second.id) == ("t", 0, "default", 1)
    assert [id(n) for n in first.args] == [id(cb1)] and [id(n) for n in first.rets] == [id(ce1)]
    assert {id(n) for n in first.nodes} == {id(cb1), id(o1), id(ce1)}
    assert regions.get_region(data) is None
