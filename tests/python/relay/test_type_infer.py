"""relay.transform.InferType: every construct, untyped parameters, errors, speed."""
import time

import pytest

import tvm
from tvm import relay
from tvm.relay import Any, FuncType, TensorType, TupleType


def run(mod):
    return relay.transform.InferType()(mod)


def v(shape, dtype="float32", name="x"):
    return relay.var(name, shape=shape, dtype=dtype)


def test_pass_metadata_and_module_result():
    pass_ = relay.transform.InferType()
    assert pass_.info.name == "InferType" and pass_.info.opt_level == 0
    x = v((2, 3))
    mod = relay.IRModule.from_expr(relay.exp(x))
    new_mod = pass_(mod)
    assert isinstance(new_mod, relay.IRModule) and new_mod is not mod
    main = new_mod["main"]
    assert main.checked_type == FuncType([TensorType((2, 3))], TensorType((2, 3)))
    assert main.body.checked_type == TensorType((2, 3))
    assert x.checked_type == TensorType((2, 3))
    with tvm.transform.PassContext(opt_level=0):
        assert run(mod)["main"].body.checked_type == TensorType((2, 3))


def test_every_node_gets_a_type():
    x = v((1, 4))
    y = relay.add(x, relay.const(1.0))
    t = relay.Tuple([y, relay.exp(y)])
    out = relay.TupleGetItem(t, 1)
    mod = run(relay.IRModule.from_expr(out))
    seen = []
    relay.analysis.post_order_visit(mod["main"], seen.append)
    for node in seen:
        if isinstance(node, relay.Op):
            continue
        assert node.checked_type is not None
    assert t.checked_type == TupleType([TensorType((1, 4)), TensorType((1, 4))])
    assert out.checked_type == TensorType((1, 4))


def test_let_and_if():
    x = v((3,))
    c = relay.var("c", shape=(), dtype="bool")
    bound = relay.var("y")
    body = relay.If(c, relay.exp(bound), relay.negative(bound))
    let = relay.Let(bound, relay.add(x, x), body)
    mod = run(relay.IRModule.from_expr(relay.Function([x, c], let)))
    assert mod["main"].checked_type.ret_type == TensorType((3,))
    assert bound.checked_type == TensorType((3,))
    assert body.checked_type == TensorType((3,))


def test_if_branches_must_agree():
    c = relay.var("c", shape=(), dtype="bool")
    ite = relay.If(c, v((3,)), v((4,), name="y"))
    with pytest.raises(ValueError, match=r"If: the branches disagree: then-branch is Tensor\[\(3,\), float32\], "
                                         r"else-branch is Tensor\[\(4,\), float32\]"):
        run(relay.IRModule.from_expr(ite))
    ite = relay.If(v((), "int32", "c"), v((3,)), v((3,), name="y"))
    with pytest.raises(ValueError, match=r"If: the condition must be a bool scalar, got Tensor\[\(\), int32\]"):
        run(relay.IRModule.from_expr(ite))
    ite = relay.If(c, v((Any(),)), v((3,), name="y"))
    assert run(relay.IRModule.from_expr(ite))["main"].body.checked_type == TensorType((Any(),))


def test_local_function_calls_and_nested_primitive_functions():
    # A fused kernel: its parameters have no annotation and take the argument types.
    p0, p1 = relay.var("p0"), relay.var("p1")
    fused = relay.Function([p0, p1], relay.nn.relu(relay.add(p0, p1))).with_attr("Primitive", 1)
    x, y = v((2, 3)), v((3,), name="y")
    call = relay.Call(fused, [x, y])
    out = relay.Call(fused, [call, y])  # the same function called twice
    mod = run(relay.IRModule.from_expr(relay.Function([x, y], out)))
    assert mod["main"].checked_type.ret_type == TensorType((2, 3))
    assert fused.checked_type == FuncType([TensorType((2, 3)), TensorType((3,))], TensorType((2, 3)))
    assert p0.checked_type == TensorType((2, 3)) and p1.checked_type == TensorType((3,))
    assert fused.body.checked_type == TensorType((2, 3))
    # let-bound local function with annotated parameters
    a = v((4,), name="a")
    f = relay.var("f")
    local = relay.Function([a], relay.exp(a))
    z = v((4,), name="z")
    let = relay.Let(f, local, relay.Call(f, [z]))
    mod = run(relay.IRModule.from_expr(relay.Function([z], let)))
    assert mod["main"].checked_type.ret_type == TensorType((4,))
    assert f.checked_type == FuncType([TensorType((4,))], TensorType((4,)))


def test_local_function_argument_mismatch():
    a = v((4,), name="a")
    local = relay.Function([a], relay.exp(a))
    z = v((5,), name="z")
    with pytest.raises(ValueError, match=r"call of a local function, argument 0: shape mismatch: expected \(4,\), got \(5,\)"):
        run(relay.IRModule.from_expr(relay.Function([z], relay.Call(local, [z]))))


def test_global_functions():
    mod = relay.IRModule()
    a = v((2, 2), name="a")
    mod["double"] = relay.Function([a], relay.add(a, a))
    x = v((2, 2))
    gv = mod.get_global_var("double")
    mod["main"] = relay.Function([x], relay.Call(gv, [relay.Call(gv, [x])]))
    typed = run(mod)
    assert typed["main"].checked_type == FuncType([TensorType((2, 2))], TensorType((2, 2)))
    assert typed["double"].checked_type == FuncType([TensorType((2, 2))], TensorType((2, 2)))
    bad = relay.IRModule()
    bad["double"] = mod["double"]
    y = v((3, 3), name="y")
    bad["main"] = relay.Function([y], relay.Call(bad.get_global_var("double"), [y]))
    with pytest.raises(ValueError, match=r"call of 'double', argument 0: shape mismatch"):
        run(bad)


def test_untyped_weights_filled_by_relations_are_visible_on_vars():
    data = v((1, 3, 32, 32), name="data")
    w = relay.var("conv_weight")
    b = relay.var("conv_bias")
    fc_w = relay.var("fc1_weight")
    y = relay.nn.bias_add(relay.nn.conv2d(data, w, channels=8, kernel_size=(3, 3), padding=(1, 1)), b)
    y = relay.nn.dense(relay.nn.batch_flatten(y), fc_w, units=10)
    func = relay.Function(relay.analysis.free_vars(y), y)
    mod = run(relay.IRModule.from_expr(func))
    params = {p.name_hint: p.checked_type for p in mod["main"].params}
    assert params == {
        "data": TensorType((1, 3, 32, 32)),
        "conv_weight": TensorType((8, 3, 3, 3)),
        "conv_bias": TensorType((8,)),
        "fc1_weight": TensorType((10, 8 * 32 * 32)),
    }
    assert mod["main"].checked_type.arg_types[1] == TensorType((8, 3, 3, 3))


def test_a_var_deduced_once_is_checked_at_its_other_uses():
    x = v((1, 8))
    w = relay.var("w")
    y = relay.add(relay.nn.dense(x, w, units=4), relay.sum(w, axis=1))
    assert run(relay.IRModule.from_expr(y))["main"].body.checked_type == TensorType((1, 4))
    x2 = v((1, 4, 2, 2))
    b = relay.var("b")
    y = relay.nn.bias_add(relay.nn.bias_add(x2, b), b, axis=3)
    with pytest.raises(ValueError, match=r"nn\.bias_add: bias .* has shape \(4,\), expected \(2,\)"):
        run(relay.IRModule.from_expr(y))


def test_untyped_variable_that_cannot_be_deduced():
    w = relay.var("w")
    with pytest.raises(ValueError, match=r"^nn\.relu: the type of argument 0 \(data\) is unknown"):
        run(relay.IRModule.from_expr(relay.nn.relu(w)))
    unused = relay.var("unused")
    with pytest.raises(ValueError, match=r"the type of variable 'unused' could not be inferred"):
        run(relay.IRModule.from_expr(relay.Function([unused], relay.const(1.0))))


def test_errors_are_diagnostic_errors_naming_op_and_shapes():
    y = relay.nn.dense(v((1, 784)), v((128, 100), name="w"))
    with pytest.raises(tvm.error.DiagnosticError) as info:
        run(relay.IRModule.from_expr(y))
    assert str(info.value) == "nn.dense: input (1, 784) and weight (128, 100) disagree on the reduction axis"
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match=r"^nn\.conv2d: dtype mismatch: data is float32 but weight is int8"):
        run(relay.IRModule.from_expr(relay.nn.conv2d(v((1, 3, 4, 4)), v((2, 3, 1, 1), "int8", "w"))))


def test_wrong_argument_count_and_tuple_index():
    call = relay.Call(relay.op.get("add"), [v((2,))])
    with pytest.raises(ValueError, match=r"^add: expects 2 arguments, got 1"):
        run(relay.IRModule.from_expr(call))
    item = relay.TupleGetItem(relay.Tuple([v((2,))]), 3)
    with pytest.raises(ValueError, match=r"TupleGetItem index 3 is out of range for a tuple of 1 fields"):
        run(relay.IRModule.from_expr(item))


def test_function_return_annotation_is_checked():
    x = v((2,))
    func = relay.Function([x], relay.exp(x), ret_type=TensorType((3,)))
    with pytest.raises(ValueError, match=r"declared return type: shape mismatch: expected \(3,\), got \(2,\)"):
        run(relay.IRModule.from_expr(func))


def test_dynamic_shapes_propagate():
    x = v((Any(), 3, Any()))
    y = relay.sum(relay.nn.relu(x), axis=2)
    s = relay.shape_of(x)
    mod = run(relay.IRModule.from_expr(relay.Tuple([y, s])))
    assert mod["main"].body.checked_type == TupleType(
        [TensorType((Any(), 3)), TensorType((3,), "int32")])


def test_infer_type_local():
    x = v((2, 5))
    assert relay.transform.InferTypeLocal(relay.nn.softmax(x)) == TensorType((2, 5))


def test_resnet50_type_checks_in_well_under_a_second():
    from tvm.relay import testing

    mod, _ = testing.resnet.get_workload(num_layers=50, batch_size=1)
    start = time.perf_counter()
    typed = run(mod)
    elapsed = time.perf_counter() - start
    assert typed["main"].checked_type.ret_type == TensorType((1, 1000))
    assert elapsed < 0.5, elapsed


def test_call_without_required_attrs_is_reported():
    call = relay.Call(relay.op.get("nn.conv2d"), [v((1, 3, 4, 4)), v((2, 3, 1, 1), name="w")])
    with pytest.raises(ValueError, match=r"^nn\.conv2d: the call has no attributes \(expected relay\.attrs\.Conv2DAttrs\)"):
        run(relay.IRModule.from_expr(call))


def test_deduced_types_become_annotations_so_rewrites_keep_them():
    x = v((1, 4, 2, 2))
    gamma, beta, mean, var = (relay.var(n) for n in ("gamma", "beta", "mean", "var"))
    bn = relay.nn.batch_norm(x, gamma, beta, mean, var)[0]
    run(relay.IRModule.from_expr(relay.Function([x, gamma, beta, mean, var], bn)))
    assert var.type_annotation == TensorType((4,))
    # what SimplifyInference does: the parameters now meet only broadcast ops
    scale = relay.divide(gamma, relay.sqrt(relay.add(var, relay.const(1e-5))))
    rewritten = relay.Function([x, gamma, beta, mean, var], relay.multiply(x, relay.expand_dims(scale, 1, 2)))
    assert run(relay.IRModule.from_expr(rewritten))["main"].checked_type.ret_type == TensorType((1, 4, 2, 2))


def test_user_op_with_dict_attrs_sees_an_empty_falsy_dict():
    # 0.8: a call of an op declared with DictAttrs but given none passes its relation empty
    # (falsy) attributes, also after a print/parse round trip (AnnotateSpans)
    from tvm.relay.op import op as _op  # pylint: disable=import-outside-toplevel

    seen = []

    def rel(arg_types, attrs):
        seen.append(bool(attrs))
        return arg_types[0]

    _op.register("test.dict_attrs_identity", "an identity for this test")
    _op.get("test.dict_attrs_identity").set_num_inputs(1)
    _op.get("test.dict_attrs_identity").set_attrs_type_key("DictAttrs")
    _op.get("test.dict_attrs_identity").add_type_rel("test.dict_attrs_identity", rel)
    x = relay.var("x", shape=(2,))
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.Call(_op.get("test.dict_attrs_identity"), [x])))
    mod = relay.transform.InferType()(relay.transform.AnnotateSpans()(mod))
    assert mod["main"].checked_type.ret_type == relay.TensorType((2,), "float32")
    assert seen and not any(seen)
