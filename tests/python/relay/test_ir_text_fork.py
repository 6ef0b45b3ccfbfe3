"""0.8's text format details: version line of astext, the last expression of a
body written in place, a let's single-use value in the let, call spans and
constant types as comments, attributes of function calls, nested comments.
Every text is parsed back and compared with the printed program."""
import numpy as np

import tvm
from tvm import relay

VERSION = '#[version = "0.0.5"]\n'


def _round_trip(expr):
    text = expr.astext()
    parsed = tvm.parser.parse_expr(text)
    tvm.ir.assert_structural_equal(parsed, expr, map_free_vars=True)
    return text


def test_last_expression_in_place_and_let_values():
    x, y = relay.var("x"), relay.var("y")
    prog = relay.Call(relay.Function([x], x), [relay.Call(relay.Function([y], y), [relay.const(1)])])
    assert _round_trip(prog) == VERSION + "%0 = fn (%y) {\n  %y\n};\n%1 = %0(1);\n%2 = fn (%x) {\n  %x\n};\n%2(%1)"
    tup = relay.Tuple([relay.const(0), relay.const(0)])
    assert _round_trip(relay.Let(x, tup, tup)) == VERSION + "%0 = (0, 0);\nlet %x = %0;\n%0"
    assert _round_trip(relay.Let(x, tup, x)) == VERSION + "let %x = (0, 0);\n%x"
    assert str(relay.Let(x, tup, x)) == "let %x = (0, 0);\n%x"  # str has no version line
    # a let used as an argument is a parenthesised scope, written once
    v, y = relay.var("v"), relay.var("y", shape=(2,))
    let = relay.Let(v, y, v)
    func = relay.Function([y], relay.add(let, let))
    text = _round_trip(func)
    assert text.count("let %v = %y;") == 1 and text.count("{") == 1
    data = np.array([1.5, -2.0], dtype="float32")
    parsed = tvm.parser.parse_expr(text)
    run = relay.create_executor("debug", mod=tvm.IRModule.from_expr(parsed)).evaluate()
    np.testing.assert_allclose(run(data).numpy(), data + data)


def test_types_of_typed_constants_and_spans_are_comments():
    c = relay.const(1)
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.add(c, c)))
    text = mod.astext()
    assert text.count("/* ty=int32 */") == 3
    assert "/* ty=" not in relay.add(c, c).astext()  # untyped program: no notes
    x = relay.var("x", shape=(3, 2))
    call = relay.add(x, relay.const(2.0))
    call = relay.Call(call.op, call.args, call.attrs, call.type_args,
                      relay.Span(relay.SourceName("Add0"), 0, 0, 0, 0))
    text = _round_trip(relay.Function([x], relay.multiply(call, call)))
    assert "/* Add0 */" in text
    tvm.ir.assert_structural_equal(tvm.parser.fromtext(mod.astext()), mod)
    # the parsed typed program computes what NumPy does
    out = relay.create_executor("debug", mod=tvm.parser.fromtext(text.replace("fn ", "def @main", 1)))
    data = np.arange(6, dtype="float32").reshape(3, 2)
    np.testing.assert_allclose(out.evaluate()(data).numpy(), (data + 2) ** 2)


def test_attributes_of_a_function_call_and_nested_comments():
    x = relay.var("x", shape=(2,))
    inner = relay.Function([x], relay.negative(x))
    p = relay.var("p", shape=(2,))
    attrs = tvm.ir.make_node("attrs.TestAttrs", name="call_attrs")
    func = relay.Function([p], relay.Call(inner, [p], attrs=attrs))
    text = _round_trip(func)
    assert 'name="call_attrs", attrs_type_key="attrs.TestAttrs"' in text
    parsed = tvm.parser.parse_expr(VERSION + "/* outer /* inner */ still a comment */ (1, 2)")
    tvm.ir.assert_structural_equal(parsed, relay.Tuple([relay.const(1), relay.const(2)]))
    # `_` leaves a let variable's type to inference, as no annotation does
    assert tvm.ir.structural_equal(tvm.parser.parse_expr("let %a: _ = (); %a"),
                                   tvm.parser.parse_expr("let %a = (); %a"))
