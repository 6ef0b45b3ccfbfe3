"""``tvm.parser`` reads the Relay text that the printer writes."""
import numpy as np
import pytest

import tvm
import tvm.parser
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay import testing

NETWORKS = [
    ("mlp", lambda: testing.mlp.get_workload(batch_size=1)),
    ("resnet", lambda: testing.resnet.get_workload(num_layers=18)),
    ("resnet_3d", lambda: testing.resnet_3d.get_workload(num_layers=18)),
    ("mobilenet", testing.mobilenet.get_workload),
    ("dcgan", lambda: testing.dcgan.get_workload(batch_size=1)),
    ("squeezenet", testing.squeezenet.get_workload),
    ("inception_v3", testing.inception_v3.get_workload),
    ("vgg", lambda: testing.vgg.get_workload(batch_size=1)),
    ("densenet", testing.densenet.get_workload),
    ("dqn", lambda: testing.dqn.get_workload(batch_size=1)),
    ("lstm", lambda: testing.lstm.get_workload(iterations=2, num_hidden=4)),
    ("synthetic", testing.synthetic.get_workload),
]


@pytest.mark.parametrize("name,make", NETWORKS, ids=[n for n, _ in NETWORKS])
def test_round_trip_every_testing_network(name, make):  # pylint: disable=unused-argument
    mod, _ = make()
    text = mod.astext(show_meta_data=True)
    assert text.startswith('#[version = "0.0.5"]')
    parsed = tvm.parser.parse(text)
    assert tvm.ir.structural_equal(mod, parsed)
    # and the printed text of the parsed module is the same text
    assert relay.transform.InferType()(parsed).astext(show_meta_data=True) == text


def _run(mod, inputs):
    lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for key, value in inputs.items():
        module.set_input(key, value)
    module.run()
    return module.get_output(0).numpy()


def test_hand_written_text_with_omitted_attributes_compiles():
    text = """
    #[version = "0.0.5"]
    def @main(%x: Tensor[(1, 2, 5, 5), float32], %w: Tensor[(3, 2, 3, 3), float32]) {
      %0 = nn.conv2d(%x, %w, padding=[1, 1, 1, 1], channels=3, kernel_size=[3, 3]);
      %1 = nn.relu(%0);   // line comment
      %2 = (%1, %x);
      %3 = %2.0;
      sum(%3, axis=[1], keepdims=True) /* ty=ignored */
    }
    """
    mod = tvm.parser.fromtext(text)
    call = mod["main"].body
    assert call.op.name == "sum" and tuple(call.attrs.axis) == (1,) and call.attrs.keepdims
    conv = call.args[0].tuple_value.fields[0].args[0]
    assert conv.attrs.strides == (1, 1) and conv.attrs.data_layout == "NCHW"  # defaults
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 5, 5)).astype("float32")
    w = rng.standard_normal((3, 2, 3, 3)).astype("float32")
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros((1, 3, 5, 5), "float32")
    for i in range(5):
        for j in range(5):
            ref[0, :, i, j] = np.tensordot(w, padded[0, :, i:i + 3, j:j + 3], axes=3)
    ref = np.maximum(ref, 0).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(_run(mod, {"x": x, "w": w}), ref, rtol=1e-4, atol=1e-4)


def test_scalars_let_if_globals_and_function_attrs():
    text = """
    #[version = "0.0.5"]
    def @double(%a: Tensor[(3,), float32]) -> Tensor[(3,), float32] {
      multiply(%a, 2f)
    }
    def @main(%x: Tensor[(3,), float32], %flag: bool) {
      let %y: Tensor[(3,), float32] = @double(%x);
      %0 = fn (%p: Tensor[(3,), float32], Primitive=1) { add(%p, 0.5f) };
      if (%flag) { %0(%y) } else { subtract(%y, -1.25f) }
    }
    """
    mod = relay.transform.InferType()(tvm.parser.parse(text))
    assert mod["main"].checked_type.ret_type == relay.TensorType((3,), "float32")
    let = mod["main"].body
    assert isinstance(let, relay.Let) and let.var.type_annotation == relay.TensorType((3,), "float32")
    fn = let.body.true_branch.op
    assert isinstance(fn, relay.Function) and fn.attrs["Primitive"] == 1
    run = relay.create_executor("debug", mod=mod).evaluate()
    x = np.array([1.0, 2.0, 3.0], "float32")
    np.testing.assert_allclose(run(x, np.array(True)).numpy(), x * 2 + 0.5)
    np.testing.assert_allclose(run(x, np.array(False)).numpy(), x * 2 + 1.25)
    expr = tvm.parser.parse_expr("free_var %z: Tensor[(2,), int64]; add(%z, 3i64)")
    assert expr.args[1].numpy().dtype == np.int64 and int(expr.args[1].numpy()) == 3
    assert expr.args[0].name_hint == "z"


def test_scalar_constants_keep_their_exact_value():
    for value, dtype in ((0.1, "float32"), (1e-7, "float32"), (1 / 3, "float64"), (0.3, "float16")):
        c = relay.const(np.array(value, dtype))
        x = relay.var("x", shape=(), dtype=dtype)
        mod = tvm.IRModule.from_expr(relay.Function([x], relay.add(x, c)))
        parsed = tvm.parser.parse(mod.astext())
        got = parsed["main"].body.args[1].numpy()
        assert got.dtype == np.dtype(dtype) and got == np.array(value, dtype)


def test_errors_name_the_culprit():
    with pytest.raises(tvm.parser.ParseError, match="line"):
        tvm.parser.parse("def @main(%x: Tensor[(2,), float32]) { add(%x, }")
    with pytest.raises(tvm.parser.ParseError, match="no_such_op"):
        tvm.parser.parse("def @main(%x: Tensor[(2,), float32]) { no_such_op(%x) }")
    with pytest.raises(tvm.parser.ParseError, match="undefined variable %y"):
        tvm.parser.parse("def @main(%x: Tensor[(2,), float32]) { add(%x, %y) }")
    with pytest.raises(tvm.error.DiagnosticError, match="undefined variable %x"):
        tvm.parser.parse_expr("if (True) { let %x = (); () } else { %x }")  # out of its scope
    with pytest.raises(tvm.parser.ParseError, match="defined twice"):
        tvm.parser.parse("def @f() { () }\ndef @f() { () }")
    with pytest.raises(tvm.parser.ParseError, match=r"meta\[relay.Constant\]\[0\]"):
        tvm.parser.parse("def @main(%x: Tensor[(2,), float32]) { add(%x, meta[relay.Constant][0]) }")


def test_infix_operators_negation_and_sequences():
    expr = tvm.parser.parse_expr("let %x = 2f; %y = 1f + %x * 3f - -4f; (%y / 2f, %y >= 10f)")
    assert isinstance(expr, relay.Let)
    out = relay.create_executor("debug", mod=tvm.IRModule.from_expr(relay.Function([], expr))).evaluate()()
    assert float(out[0].numpy()) == pytest.approx(5.5)
    assert bool(out[1].numpy()) is True
    assert int(tvm.parser.parse_expr("--10").numpy()) == 10
    assert tvm.parser.parse_expr("2147483648").numpy().dtype == np.int64
    seq = tvm.parser.parse_expr("(); (1, 2)")
    assert isinstance(seq, relay.Let) and isinstance(seq.body, relay.Tuple)


def test_printer_leaves_out_default_attributes_and_the_parser_restores_them():
    x = relay.var("x", shape=(1, 3, 8, 8))
    w = relay.var("w", shape=(4, 3, 3, 3))
    conv = relay.nn.conv2d(x, w, padding=(1, 1), channels=4, kernel_size=(3, 3))
    expr = relay.nn.softmax(relay.nn.max_pool2d(conv, pool_size=(2, 2)))
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x, w], expr)))
    text = mod.astext()
    assert "nn.softmax(%" in text and "axis=" not in text  # 0.8 prints no default axis
    assert "strides=" not in text and "data_layout=" not in text
    assert "padding=[1, 1, 1, 1]" in text and "channels=4" in text
    assert tvm.ir.structural_equal(tvm.parser.parse(text), mod)


def test_expression_text_declares_its_free_variables():
    x = relay.var("x", shape=(2, 3))
    y = relay.var("y", shape=(3,), dtype="float32")
    expr = relay.add(relay.exp(x), y)
    text = expr.astext()
    # after the format's version line, as 0.8's astext
    assert text.startswith('#[version = "0.0.5"]\nfree_var %x: Tensor[(2, 3), float32];\n'
                           "free_var %y: Tensor[(3,), float32];")
    parsed = tvm.parser.parse_expr(text)
    assert tvm.ir.structural_equal(parsed, expr, map_free_vars=True)
    # constants from an outside metadata table
    c = relay.const(np.arange(6, dtype="float32").reshape(2, 3))
    mod = tvm.parser.parse("def @main(%a: Tensor[(2, 3), float32]) { add(%a, meta[relay.Constant][0]) }",
                           init_meta_table={"relay.Constant": [c]})
    assert mod["main"].body.args[1] is c


def test_long_chains_and_slashes_in_names():
    x = relay.var("block/x", shape=(2,))
    y = x
    for _ in range(12000):  # deeper than one Python frame per op allows
        y = relay.add(y, relay.const(1.0))
    text = relay.Function([x], y).astext()
    assert "%block/x" in text
    parsed = tvm.parser.parse_expr(text)
    assert parsed.params[0].name_hint == "block/x"
    run = relay.create_executor("debug", mod=tvm.IRModule.from_expr(parsed)).evaluate()
    np.testing.assert_allclose(run(np.zeros(2, "float32")).numpy(), [12000.0, 12000.0])


def test_scoped_let_and_recursive_let():
    expr = tvm.parser.parse_expr("(let %a = 1; %a + 3) + 2")
    assert isinstance(expr, relay.Call) and isinstance(expr.args[0], relay.Let)
    out = relay.create_executor("debug", mod=tvm.IRModule.from_expr(relay.Function([], expr))).evaluate()()
    assert int(out.numpy()) == 6
    rec = tvm.parser.parse_expr(
        "let %f = fn (%n: int32) -> int32 { if (%n == 0) { 0 } else { %f(%n - 1) + 1 } }; %f")
    assert rec.value.body.false_branch.args[0].op is rec.var  # the let variable inside its value


def test_span_check_reports_and_keeps_the_module(caplog):
    import logging

    from tvm.parser import SpanCheck

    x = relay.var("x", shape=(2,))
    spanned = relay.Call(relay.op.get("exp"), [x], span=tvm.ir.Span(tvm.ir.SourceName("a"), 1, 1, 1, 4))
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.add(spanned, x)))
    with caplog.at_level(logging.WARNING, logger="tvm.parser"):
        out = SpanCheck()(mod)
    assert tvm.ir.structural_equal(out, mod)
    assert "2 expressions of @main have no span" in caplog.text  # the add and %x
