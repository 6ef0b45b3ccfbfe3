"""The optimisation passes of 0.8 that user scripts call directly: each
rewritten graph computes what the original computes (compiled with relay.build
or run by the reference executor) and has the structure the pass promises."""
import logging

import numpy as np
import pytest
from scipy import special

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay import transform
from tvm.relay.testing.temp_op_attr import TempOpAttr
from tvm.relay.transform._utils import post_order

# relay.build may pick a layout by itself; off, so each graph runs as written.
_BUILD = {"opt_level": 3, "disabled_pass": ["ChooseLayout"]}


def _rand(rng, *shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype("float32")


def _typed(func):
    return transform.InferType()(tvm.IRModule.from_expr(func))


def _apply(mod, *passes):
    """Each pass called directly (a pass called on a module runs whatever its
    opt_level; inside a Sequential the PassContext decides)."""
    with tvm.transform.PassContext(opt_level=3):
        for p in passes:
            mod = p(mod)
    return mod


def _op_names(mod):
    return [n.op.name for n in post_order(mod["main"].body)
            if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)]


def _build_run(mod, inputs):
    """Outputs of ``mod`` compiled for the host (a list, one per output)."""
    with tvm.transform.PassContext(**_BUILD):
        lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def _reference(mod, inputs):
    """Outputs of ``mod`` from the NumPy reference executor (any dtype)."""
    params = [p.name_hint for p in mod["main"].params]
    result = relay.create_executor("debug", mod, device=tvm.cpu(), target="llvm").evaluate()(
        *[inputs[name] for name in params])
    if isinstance(result, (list, tuple)):
        return [r.numpy() for r in result]
    return [result.numpy()]


def _assert_same_outputs(before, after, inputs, rtol=1e-5, atol=1e-5):
    expected = _build_run(before, inputs)
    actual = _build_run(after, inputs)
    assert len(expected) == len(actual)
    for e, a in zip(expected, actual):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


# --- CombineParallelDense / BatchMatmul / Conv2D -------------------------------

def _three_dense(units=(8, 8, 8), with_bias=True):
    x = relay.var("x", shape=(4, 16))
    outs, params = [], [x]
    for i, n in enumerate(units):
        w = relay.var(f"w{i}", shape=(n, 16))
        y = relay.nn.dense(x, w)
        params.append(w)
        if with_bias:
            b = relay.var(f"b{i}", shape=(n,))
            params.append(b)
            y = relay.nn.relu(relay.add(y, b))
        outs.append(y)
    return relay.Function(params, relay.Tuple(outs))


def _inputs_for(mod, seed=0):
    rng = np.random.RandomState(seed)
    return {p.name_hint: _rand(rng, *[int(d) for d in p.checked_type.shape])
            for p in mod["main"].params}


def test_combine_parallel_dense_to_batch_matmul():
    mod = _typed(_three_dense())
    combined = _apply(mod, transform.CombineParallelDense(min_num_branches=3))
    names = _op_names(combined)
    assert names.count("nn.batch_matmul") == 1 and "nn.dense" not in names
    # the bias adds and relus of the three branches are merged too
    assert names.count("add") == 1 and names.count("nn.relu") == 1
    _assert_same_outputs(mod, combined, _inputs_for(mod))


def test_combine_parallel_dense_concatenating_form():
    mod = _typed(_three_dense(units=(8, 5, 3)))
    combined = _apply(mod, transform.CombineParallelDense(min_num_branches=3, to_batch=False))
    names = _op_names(combined)
    assert names.count("nn.dense") == 1 and names.count("strided_slice") == 3
    _assert_same_outputs(mod, combined, _inputs_for(mod))


def test_combine_parallel_dense_respects_min_num_branches():
    mod = _typed(_three_dense(units=(8, 8), with_bias=False))
    unchanged = _apply(mod, transform.CombineParallelDense(min_num_branches=3))
    assert _op_names(unchanged).count("nn.dense") == 2
    combined = _apply(mod, transform.CombineParallelDense(min_num_branches=2))
    assert _op_names(combined).count("nn.batch_matmul") == 1


def test_combine_parallel_batch_matmul():
    x = relay.var("x", shape=(2, 6, 16))
    ws = [relay.var(f"w{i}", shape=(2, n, 16)) for i, n in enumerate((4, 7, 5))]
    outs = [relay.nn.batch_matmul(x, w) for w in ws]
    mod = _typed(relay.Function([x] + ws, relay.Tuple(outs)))
    combined = _apply(mod, transform.CombineParallelBatchMatmul())
    names = _op_names(combined)
    assert names.count("nn.batch_matmul") == 1 and names.count("strided_slice") == 3
    _assert_same_outputs(mod, combined, _inputs_for(mod))


def test_combine_parallel_conv2d_with_scale_and_relu():
    x = relay.var("x", shape=(1, 8, 12, 12))
    params, outs = [x], []
    for i, channels in enumerate((4, 6, 4)):
        w = relay.var(f"w{i}", shape=(channels, 8, 3, 3))
        s = relay.var(f"s{i}", shape=(channels, 1, 1))
        params += [w, s]
        outs.append(relay.nn.relu(relay.multiply(
            relay.nn.conv2d(x, w, channels=channels, kernel_size=(3, 3), padding=(1, 1)), s)))
    # a convolution with another kernel size is left alone
    w_other = relay.var("w_other", shape=(4, 8, 1, 1))
    params.append(w_other)
    outs.append(relay.nn.conv2d(x, w_other, channels=4, kernel_size=(1, 1)))
    mod = _typed(relay.Function(params, relay.Tuple(outs)))
    combined = _apply(mod, transform.CombineParallelConv2D(min_num_branches=3))
    names = _op_names(combined)
    assert names.count("nn.conv2d") == 2  # the merged one and the 1x1
    assert names.count("multiply") == 1 and names.count("nn.relu") == 1
    _assert_same_outputs(mod, combined, _inputs_for(mod))


# --- FastMath ---------------------------------------------------------------------

@pytest.mark.parametrize("op,fast,reference,low,high", [
    (relay.exp, "fast_exp", np.exp, -80.0, 80.0),
    (relay.tanh, "fast_tanh", np.tanh, -9.0, 9.0),
    (relay.erf, "fast_erf", special.erf, -4.0, 4.0),
])
def test_fast_math_elementwise(op, fast, reference, low, high):
    x = relay.var("x", shape=(1, 1000))
    mod = _typed(relay.Function([x], op(x)))
    fast_mod = transform.FastMath()(mod)
    assert _op_names(fast_mod) == [fast]
    data = np.linspace(low, high, 1000, dtype="float32").reshape(1, -1)
    (out,) = _build_run(fast_mod, {"x": data})
    np.testing.assert_allclose(out, reference(data.astype("float64")), rtol=1e-5, atol=1e-5)


def test_fast_math_softmax_and_opt_level():
    x = relay.var("x", shape=(3, 20))
    mod = _typed(relay.Function([x], relay.nn.softmax(relay.exp(relay.multiply(x, relay.const(0.1))))))
    fast_mod = transform.FastMath()(mod)
    assert set(_op_names(fast_mod)) == {"multiply", "fast_exp", "nn.fast_softmax"}
    data = _rand(np.random.RandomState(1), 3, 20, low=-5, high=5)
    expected = np.exp(data * 0.1)
    expected = np.exp(expected - expected.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(_build_run(fast_mod, {"x": data})[0], expected, rtol=1e-5, atol=1e-6)
    # opt_level 4: a Sequential at opt_level 3 skips it unless required
    with tvm.transform.PassContext(opt_level=3):
        skipped = tvm.transform.Sequential([transform.FastMath()])(mod)
    assert "fast_exp" not in _op_names(skipped)
    with tvm.transform.PassContext(opt_level=3, required_pass=["FastMath"]):
        required = tvm.transform.Sequential([transform.FastMath()])(mod)
    assert "fast_exp" in _op_names(required)


# --- FoldExplicitPadding ------------------------------------------------------------

@pytest.mark.parametrize("layout,kernel_layout,pad_width,shape,wshape", [
    ("NCHW", "OIHW", ((0, 0), (0, 0), (1, 2), (0, 1)), (1, 3, 9, 9), (4, 3, 3, 3)),
    ("NHWC", "HWIO", ((0, 0), (2, 1), (1, 1), (0, 0)), (1, 9, 9, 3), (3, 3, 3, 4)),
])
def test_fold_explicit_padding_into_conv2d(layout, kernel_layout, pad_width, shape, wshape):
    x = relay.var("x", shape=shape)
    w = relay.var("w", shape=wshape)
    y = relay.nn.conv2d(relay.nn.pad(x, pad_width), w, padding=(1, 0, 0, 1),
                        data_layout=layout, kernel_layout=kernel_layout)
    mod = _typed(relay.Function([x, w], y))
    folded = transform.FoldExplicitPadding()(mod)
    assert _op_names(folded) == ["nn.conv2d"]
    spatial = [i for i, c in enumerate(layout) if c in "HW"]
    expected_padding = tuple(
        np.add((1, 0, 0, 1), [pad_width[i][side] for side in (0, 1) for i in spatial]))
    conv = folded["main"].body
    assert tuple(conv.attrs.padding) == expected_padding
    _assert_same_outputs(mod, folded, _inputs_for(mod))


def test_fold_explicit_padding_keeps_nonzero_and_channel_padding():
    x = relay.var("x", shape=(1, 3, 8, 8))
    w = relay.var("w", shape=(4, 3, 3, 3))
    w5 = relay.var("w5", shape=(4, 5, 3, 3))
    nonzero = relay.nn.conv2d(relay.nn.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), 1.0), w)
    channels = relay.nn.conv2d(relay.nn.pad(x, ((0, 0), (1, 1), (1, 1), (1, 1))), w5)
    mod = _typed(relay.Function([x, w, w5], relay.Tuple([nonzero, channels])))
    kept = transform.FoldExplicitPadding()(mod)
    assert _op_names(kept).count("nn.pad") == 2
    _assert_same_outputs(mod, kept, _inputs_for(mod))


# --- CanonicalizeOps ------------------------------------------------------------

def test_canonicalize_bias_add():
    x = relay.var("x", shape=(2, 6, 5, 5))
    b = relay.var("b", shape=(6,))
    b_last = relay.var("b_last", shape=(5,))
    y = relay.nn.bias_add(relay.nn.bias_add(x, b), b_last, axis=-1)
    mod = _typed(relay.Function([x, b, b_last], y))
    canonical = _apply(mod, transform.CanonicalizeOps())
    names = _op_names(canonical)
    assert "nn.bias_add" not in names
    assert names.count("add") == 2 and names.count("expand_dims") == 1  # none on the last axis
    _assert_same_outputs(mod, canonical, _inputs_for(mod))


# --- Legalize ---------------------------------------------------------------------

def test_legalize_replaces_calls_and_sees_types():
    seen = []

    def legalize_relu(attrs, inputs, types):
        seen.append([str(t.dtype) for t in types])
        return relay.maximum(inputs[0], relay.const(0.0))

    x = relay.var("x", shape=(3, 4))
    mod = _typed(relay.Function([x], relay.nn.relu(relay.add(x, relay.const(0.5)))))
    with TempOpAttr("nn.relu", "FTVMLegalize", legalize_relu):
        legal = _apply(mod, transform.Legalize())
    assert seen == [["float32", "float32"]]  # the argument type, then the output type
    assert "nn.relu" not in _op_names(legal) and "maximum" in _op_names(legal)
    _assert_same_outputs(mod, legal, _inputs_for(mod))


def test_register_legalize_and_custom_attr_name():
    op = relay.op.get("nn.leaky_relu")
    try:
        relay.op.register_legalize("nn.leaky_relu", lambda attrs, inputs, types: None)
        assert op.get_attr("FTVMLegalize") is not None
    finally:
        op.reset_attr("FTVMLegalize")

    def double(attrs, inputs, types):
        return relay.multiply(inputs[0], relay.const(2.0))

    x = relay.var("x", shape=(4,))
    mod = _typed(relay.Function([x], relay.negative(x)))
    with TempOpAttr("negative", "FTVMMyLegalize", double):
        default = _apply(mod, transform.Legalize())
        custom = _apply(mod, transform.Legalize("FTVMMyLegalize"))
    assert _op_names(default) == ["negative"] and _op_names(custom) == ["multiply"]


# --- ToMixedPrecision ------------------------------------------------------------

def _conv_bn_dense():
    x = relay.var("x", shape=(1, 3, 10, 10))
    w = relay.var("w", shape=(8, 3, 3, 3))
    gamma, beta = relay.var("gamma", shape=(8,)), relay.var("beta", shape=(8,))
    mean, var = relay.var("mean", shape=(8,)), relay.var("var", shape=(8,))
    dw = relay.var("dw", shape=(5, 8))
    y = relay.nn.conv2d(x, w, padding=(1, 1), channels=8, kernel_size=(3, 3))
    y = relay.nn.batch_norm(y, gamma, beta, mean, var)[0]
    y = relay.nn.relu(y)
    y = relay.nn.global_avg_pool2d(y)
    y = relay.nn.batch_flatten(y)
    y = relay.nn.dense(y, dw)
    y = relay.nn.softmax(y)
    return relay.Function([x, w, gamma, beta, mean, var, dw], y)


def _mp_inputs(mod):
    inputs = _inputs_for(mod, seed=3)
    inputs["var"] = np.abs(inputs["var"]) + 0.5
    return inputs


def test_to_mixed_precision_float16():
    mod = _typed(_conv_bn_dense())
    fp16 = transform.ToMixedPrecision("float16")(mod)
    body = fp16["main"]
    calls = {n.op.name: n for n in post_order(body.body)
             if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)}
    assert calls["nn.conv2d"].checked_type.dtype == "float16"
    assert calls["nn.conv2d"].attrs.out_dtype == "float16"
    assert calls["nn.relu"].checked_type.dtype == "float16"  # follows its float16 input
    # never-list ops stay in float32: a large summation and the softmax
    assert calls["nn.global_avg_pool2d"].checked_type.dtype == "float32"
    assert calls["nn.softmax"].checked_type.dtype == "float32"
    assert calls["nn.dense"].checked_type.dtype == "float16"
    inputs = _mp_inputs(mod)
    (expected,) = _reference(mod, inputs)
    (actual,) = _reference(fp16, inputs)
    # float16 has an 11-bit mantissa: ~1e-3 relative per operation
    np.testing.assert_allclose(actual.astype("float32"), expected, rtol=1e-2, atol=2e-3)


def test_to_mixed_precision_casts_once_and_builds():
    x = relay.var("x", shape=(4, 16))
    w1 = relay.var("w1", shape=(8, 16))
    w2 = relay.var("w2", shape=(8, 16))
    # x feeds two float16 dense layers: one cast of x serves both
    y = relay.add(relay.nn.dense(x, w1), relay.nn.dense(x, w2))
    mod = _typed(relay.Function([x, w1, w2], y))
    fp16 = transform.ToMixedPrecision()(mod)
    casts = [n for n in post_order(fp16["main"].body)
             if isinstance(n, relay.Call) and isinstance(n.op, relay.Op) and n.op.name == "cast"]
    assert len(casts) == 3  # x, w1, w2 once each
    assert fp16["main"].checked_type.ret_type.dtype == "float16"
    inputs = _inputs_for(mod)
    (expected,) = _build_run(mod, inputs)
    (actual,) = _build_run(fp16, inputs)
    assert actual.dtype == np.float16
    np.testing.assert_allclose(actual.astype("float32"), expected, rtol=1e-2, atol=1e-2)


def test_to_mixed_precision_registrations_and_missing_ops(caplog):
    x = relay.var("x", shape=(4, 8))
    w = relay.var("w", shape=(8, 8))
    y = relay.nn.relu(relay.nn.dense(x, w))
    mod = _typed(relay.Function([x, w], y))

    def never(call, mixed_precision_type):
        return [transform.mixed_precision.MIXED_PRECISION_NEVER, "float32", "float32"]

    with TempOpAttr("nn.relu", "FTVMMixedPrecisionConversionType", never):
        out = transform.ToMixedPrecision()(mod)
    assert out["main"].body.checked_type.dtype == "float32"  # relu kept in float32

    # an op with no registration: mode 0 raises, 1 warns, 2 is silent
    with TempOpAttr("nn.relu", "FTVMMixedPrecisionConversionType", None):
        relay.op.get("nn.relu").reset_attr("FTVMMixedPrecisionConversionType")
        with pytest.raises(ValueError, match="nn.relu"):
            transform.ToMixedPrecision(missing_op_mode=0)(mod)
        with caplog.at_level(logging.WARNING, logger="relay"):
            transform.ToMixedPrecision(missing_op_mode=1)(mod)
        assert any("nn.relu" in r.getMessage() for r in caplog.records)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="relay"):
            silent = transform.ToMixedPrecision(missing_op_mode=2)(mod)
        assert not any("nn.relu" in r.getMessage() for r in caplog.records)
    # unregistered ops follow their inputs
    assert silent["main"].body.checked_type.dtype == "float16"
    with pytest.raises(ValueError):
        transform.ToMixedPrecision(missing_op_mode=3)


# --- AlterOpLayout --------------------------------------------------------------

def _conv_block():
    x = relay.var("x", shape=(1, 32, 14, 14))
    w = relay.var("w", shape=(32, 32, 3, 3))
    b = relay.var("b", shape=(32,))
    y = relay.nn.conv2d(x, w, channels=32, kernel_size=(3, 3), padding=(1, 1))
    y = relay.nn.relu(relay.nn.bias_add(y, b))
    y = relay.nn.max_pool2d(y, pool_size=(2, 2), strides=(2, 2))
    y = relay.sum(y, axis=[1], keepdims=True)
    return relay.Function([x, w, b], y)


def test_alter_op_layout_packed_layout_propagates():
    targets = []

    def alter(attrs, inputs, tinfos, out_type):
        targets.append(tvm.target.Target.current(allow_none=True))
        assert [tuple(int(d) for d in t.shape) for t in tinfos] == [(1, 32, 14, 14), (32, 32, 3, 3)]
        new = dict(attrs)
        new.update(data_layout="NCHW16c", kernel_layout="OIHW16i16o", out_layout="NCHW16c")
        return relay.nn.contrib_conv2d_nchwc(inputs[0], inputs[1], **new)

    mod = _typed(_conv_block())
    with TempOpAttr("nn.conv2d", "FTVMAlterOpLayout", alter):
        with tvm.target.Target("llvm"):
            altered = _apply(mod, transform.CanonicalizeOps(), transform.AlterOpLayout())
    assert targets and targets[0] is not None and targets[0].kind.name == "llvm"
    names = _op_names(altered)
    assert "nn.contrib_conv2d_NCHWc" in names
    # x, the weight, the bias into NCHW16c; one transform back at the end
    assert names.count("layout_transform") == 4
    pool = [n for n in post_order(altered["main"].body)
            if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)
            and n.op.name == "nn.max_pool2d"][0]
    assert pool.attrs.layout == "NCHW16c"
    _assert_same_outputs(mod, altered, _inputs_for(mod), atol=1e-4)


def test_alter_op_layout_permutation_and_fallback_ops():
    def alter(attrs, inputs, tinfos, out_type):
        new = dict(attrs)
        new.update(data_layout="NHWC", kernel_layout="HWIO")
        return relay.nn.conv2d(inputs[0], inputs[1], **new)

    x = relay.var("x", shape=(1, 8, 9, 9))
    w = relay.var("w", shape=(8, 8, 3, 3))
    alpha = relay.var("alpha", shape=(8,))
    y = relay.nn.conv2d(x, w, channels=8, kernel_size=(3, 3), padding=(1, 1))
    y = relay.nn.pad(relay.nn.relu(y), ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = relay.nn.prelu(y, alpha)  # an axis in NCHW: gets NCHW back
    mod = _typed(relay.Function([x, w, alpha], y))
    with TempOpAttr("nn.conv2d", "FTVMAlterOpLayout", alter):
        altered = _apply(mod, transform.AlterOpLayout())
    body = altered["main"].body
    assert body.op.name == "nn.prelu" and body.args[0].op.name == "layout_transform"
    pad = body.args[0].args[0]
    assert pad.op.name == "nn.pad" and tuple(pad.attrs.pad_width) == ((0, 0), (1, 1), (1, 1), (0, 0))
    _assert_same_outputs(mod, altered, _inputs_for(mod), atol=1e-4)


def test_alter_op_layout_none_keeps_graph():
    called = []

    def alter(attrs, inputs, tinfos, out_type):
        called.append(True)

    mod = _typed(_conv_block())
    with TempOpAttr("nn.conv2d", "FTVMAlterOpLayout", alter):
        same = _apply(mod, transform.AlterOpLayout())
    assert called
    assert tvm.ir.structural_equal(same["main"], mod["main"])


def test_batching_ops_runs_the_three_combiners():
    mod = _typed(_three_dense())
    with tvm.transform.PassContext(opt_level=4):
        batched = transform.BatchingOps()(mod)
    assert _op_names(batched).count("nn.batch_matmul") == 1
    with tvm.transform.PassContext(opt_level=3):  # opt_level 4 passes inside a Sequential
        skipped = transform.BatchingOps()(mod)
    assert _op_names(skipped).count("nn.dense") == 3
    _assert_same_outputs(mod, batched, _inputs_for(mod))


def test_alter_op_layout_op_without_layout_rule():
    """A dense (no layout of its own) behind a packed convolution: its
    alteration is kept and it reads the convolution's result in NCHW."""

    def alter_conv(attrs, inputs, tinfos, out_type):
        new = dict(attrs)
        new.update(data_layout="NCHW8c", kernel_layout="OIHW8i8o", out_layout="NCHW8c")
        return relay.nn.contrib_conv2d_nchwc(inputs[0], inputs[1], **new)

    def alter_dense(attrs, inputs, tinfos, out_type):
        return relay.nn.matmul(inputs[0], inputs[1], transpose_b=True)

    x = relay.var("x", shape=(2, 16, 6, 6))
    w = relay.var("w", shape=(16, 16, 3, 3))
    dw = relay.var("dw", shape=(10, 16))
    y = relay.nn.conv2d(x, w, channels=16, kernel_size=(3, 3), padding=(1, 1))
    y = relay.nn.batch_flatten(relay.nn.global_avg_pool2d(relay.nn.relu(y)))
    mod = _typed(relay.Function([x, w, dw], relay.nn.dense(y, dw)))
    with TempOpAttr("nn.conv2d", "FTVMAlterOpLayout", alter_conv), \
            TempOpAttr("nn.dense", "FTVMAlterOpLayout", alter_dense):
        altered = _apply(mod, transform.AlterOpLayout())
    names = _op_names(altered)
    assert "nn.matmul" in names and "nn.dense" not in names
    assert names.count("layout_transform") == 3  # x, w in; the pooled result back
    _assert_same_outputs(mod, altered, _inputs_for(mod), atol=1e-4)


def test_to_mixed_precision_keep_orig_output_dtype():
    x = relay.var("x", shape=(4, 8))
    w = relay.var("w", shape=(6, 8))
    mod = _typed(relay.Function([x, w], relay.Tuple([relay.nn.dense(x, w), relay.nn.relu(x)])))
    with tvm.transform.PassContext(config={"relay.ToMixedPrecision.keep_orig_output_dtype": True}):
        kept = transform.ToMixedPrecision()(mod)
    assert [f.dtype for f in kept["main"].checked_type.ret_type.fields] == ["float32", "float32"]
    assert _op_names(kept).count("nn.dense") == 1
    dense = [n for n in post_order(kept["main"].body)
             if isinstance(n, relay.Call) and isinstance(n.op, relay.Op) and n.op.name == "nn.dense"]
    assert dense[0].checked_type.dtype == "float16"
    inputs = _inputs_for(mod)
    for e, a in zip(_reference(mod, inputs), _reference(kept, inputs)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, e, rtol=1e-2, atol=1e-2)
