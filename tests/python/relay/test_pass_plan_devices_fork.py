"""Device annotations (on_device, device_copy, function_on_device) and PlanDevices.

The fork compiles for the CPU only, so "cuda" appears here in IR only: the
planned programs are compared with hand-written expected IR; programs planned
for the CPU are run (reference interpreter, graph executor, VM) and compared
with NumPy.
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.transform.plan_devices import DeviceError, plan_devices

T = "Tensor[(4, 3), float32]"


def _parse(body, params="%x: {T}, %y: {T}, %z: {T}", attrs=""):
    params = params.format(T=T)
    if attrs:
        params += ", " + attrs
    return tvm.parser.fromtext(f'#[version = "0.0.5"]\ndef @main({params}) {{\n{body}\n}}')


def _plan(mod, device="cuda"):
    return relay.transform.InferType()(relay.transform.PlanDevices(device)(mod))


def _assert_planned(before, expected, device="cuda"):
    actual = _plan(before, device)
    expected = relay.transform.InferType()(expected)
    tvm.ir.assert_structural_equal(actual, expected, map_free_vars=True)
    # planning a planned program changes nothing
    tvm.ir.assert_structural_equal(_plan(expected, device), expected, map_free_vars=True)


def _inputs(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (4, 3)).astype("float32") for _ in range(n)]


def test_annotation_calls_carry_v08_attributes():
    x = relay.var("x", shape=(4, 3))
    ann = relay.annotation.on_device(x, tvm.cpu())
    assert ann.op.name == "on_device" and ann.attrs.type_key == "relay.attrs.OnDeviceAttrs"
    assert (ann.attrs.device_type, ann.attrs.is_fixed) == (1, False)
    fixed = relay.annotation.on_device(x, "cuda", is_fixed=True)
    assert (fixed.attrs.device_type, fixed.attrs.is_fixed) == (2, True)
    copy = relay.device_copy(x, "cpu", tvm.cuda())
    assert relay.op.device_copy is relay.device_copy
    assert copy.attrs.type_key == "relay.attrs.DeviceCopyAttrs"
    assert (copy.attrs.src_dev_type, copy.attrs.dst_dev_type) == (1, 2)
    func = relay.annotation.function_on_device(relay.Function([x], relay.negative(x)), ["cpu"], "cuda")
    assert list(func.attrs["param_device_types"]) == [1] and func.attrs["result_device_type"] == 2
    with pytest.raises(ValueError):
        relay.annotation.on_device(x, 1.5)
    with pytest.raises(ValueError, match="2 parameters"):
        relay.annotation.function_on_device(relay.Function([x, relay.var("w")], x), ["cpu"], "cpu")
    # identity types
    mod = tvm.IRModule.from_expr(relay.Function([x], relay.device_copy(relay.annotation.on_device(x, "cpu"), "cpu", "cuda")))
    assert relay.transform.InferType()(mod)["main"].ret_type == relay.TensorType((4, 3), "float32")


def test_text_format_of_the_annotations():
    mod = _parse(
        "%0 = on_device(%x, device_type=1);\n"
        "%1 = add(%0, %y);\n"
        "%2 = on_device(%1, device_type=1, is_fixed=True);\n"
        "device_copy(%2, src_dev_type=1, dst_dev_type=2)",
        params="%x: {T}, %y: {T}", attrs="param_device_types=[1, 1], result_device_type=2")
    text = mod.astext()
    # as 0.8's printer: is_fixed only when not its default
    assert "on_device(%x, device_type=1)" in text
    assert "is_fixed=True" in text and "src_dev_type=1, dst_dev_type=2" in text
    assert "param_device_types=[1, 1], result_device_type=2" in text
    tvm.ir.assert_structural_equal(tvm.parser.fromtext(text), mod)
    body = mod["main"].body
    assert body.args[0].attrs.is_fixed is True
    assert body.args[0].args[0].args[0].attrs.is_fixed is False
    # the parsed calls are the ones the Python API builds
    x, y = mod["main"].params
    built = relay.device_copy(relay.annotation.on_device(
        relay.add(relay.annotation.on_device(x, "cpu"), y), "cpu", True), "cpu", "cuda")
    built = relay.annotation.function_on_device(relay.Function([x, y], built), ["cpu", "cpu"], "cuda")
    tvm.ir.assert_structural_equal(relay.transform.InferType()(tvm.IRModule.from_expr(built))["main"],
                                   mod["main"])


def test_unannotated_program_goes_to_the_default_device():
    before = _parse("%0 = multiply(%x, %y);\nsubtract(%0, %z)")
    expected = _parse("%0 = multiply(%x, %y);\nsubtract(%0, %z)",
                      attrs="param_device_types=[2, 2, 2], result_device_type=2")
    _assert_planned(before, expected)


def test_cpu_operand_is_copied_to_the_default_device():
    before = _parse("%0 = multiply(%x, %y);\n%1 = on_device(%0, device_type=1);\nsubtract(%1, %z)")
    expected = _parse(
        "%0 = multiply(%x, %y);\n"
        "%1 = on_device(%0, device_type=1, is_fixed=True);\n"
        "%2 = device_copy(%1, src_dev_type=1, dst_dev_type=2);\n"
        "subtract(%2, %z)",
        attrs="param_device_types=[1, 1, 2], result_device_type=2")
    _assert_planned(before, expected)


def test_result_annotation_fixes_the_function_result():
    # a function body's on_device is fixed: main returns on the CPU, the GPU add is copied
    before = _parse("%0 = add(%x, %y);\n%1 = on_device(%0, device_type=2);\n"
                    "%2 = negative(%1);\non_device(%2, device_type=1)", params="%x: {T}, %y: {T}")
    expected = _parse(
        "%0 = add(%x, %y);\n"
        "%1 = on_device(%0, device_type=2, is_fixed=True);\n"
        "%2 = device_copy(%1, src_dev_type=2, dst_dev_type=1);\n"
        "negative(%2)",
        params="%x: {T}, %y: {T}", attrs="param_device_types=[2, 2], result_device_type=1")
    _assert_planned(before, expected)


def test_let_bound_value_on_another_device_is_annotated():
    before = _parse("let %a = add(%x, %y);\n%0 = on_device(%a, device_type=1);\nmultiply(%0, %z)")
    expected = _parse(
        "%0 = add(%x, %y);\n"
        "let %a = on_device(%0, device_type=1, is_fixed=True);\n"
        "%1 = device_copy(%a, src_dev_type=1, dst_dev_type=2);\n"
        "multiply(%1, %z)",
        attrs="param_device_types=[1, 1, 2], result_device_type=2")
    _assert_planned(before, expected)


def test_local_function_devices_flow_to_its_call():
    before = _parse(
        f"let %f = fn (%p: {T}, %q: {T}) {{\n"
        "  %0 = on_device(%q, device_type=1);\n"
        "  multiply(%p, %0)\n"
        "};\n"
        "%f(%x, %y)", params="%x: {T}, %y: {T}")
    expected = _parse(
        f"let %f = fn (%p: {T}, %q: {T}, param_device_types=[2, 1], result_device_type=2) {{\n"
        "  %0 = device_copy(%q, src_dev_type=1, dst_dev_type=2);\n"
        "  multiply(%p, %0)\n"
        "};\n"
        "%f(%x, %y)", params="%x: {T}, %y: {T}", attrs="param_device_types=[2, 1], result_device_type=2")
    _assert_planned(before, expected)


def test_cpu_constraint_flows_through_higher_order_functions():
    # %h's parameter is on the CPU; %h and %k meet in the if, so %k (whose exp keeps its
    # parameter and result together) is on the CPU too, and so are %apply, %x, %y, the result
    fn_t = f"fn({T}) -> {T}"
    body = (f"let %apply = fn (%g: {fn_t}, %v: {T}{{a2}}) {{{{ %g(%v) }}}};\n"
            f"let %h = fn (%p: {T}{{a1}}) {{{{ {{h}} }}}};\n"
            f"let %k = fn (%q: {T}{{a1}}) {{{{ exp(%q) }}}};\n"
            "%1 = if (%c) {{ %h }} else {{ %k }};\n%2 = %apply(%1, %x);\nadd(%2, %y)")
    params = "%x: {T}, %y: {T}, %c: bool"
    before = _parse(body.format(a1="", a2="", h="%0 = on_device(%p, device_type=1); negative(%0)"),
                    params=params)
    on_cpu = ", param_device_types=[1], result_device_type=1"
    expected = _parse(body.format(a1=on_cpu, a2=", param_device_types=[1, 1], result_device_type=1",
                                  h="negative(%p)"),
                      params=params, attrs="param_device_types=[1, 1, 1], result_device_type=1")
    _assert_planned(before, expected)
    x, y = _inputs(2)
    run = relay.create_executor("debug", mod=_plan(before, "cpu"), target="llvm").evaluate()
    np.testing.assert_allclose(run(x, y, True).numpy(), y - x, rtol=1e-6)
    np.testing.assert_allclose(run(x, y, False).numpy(), np.exp(x) + y, rtol=1e-5)


def test_copy_is_made_after_the_projection():
    before = _parse(
        "%0 = (%x, %y);\n%1 = on_device(%0, device_type=1);\n%2 = %1.1;\nadd(%2, %z)")
    expected = _parse(
        "%0 = (%x, %y);\n%1 = %0.1;\n"
        "%2 = on_device(%1, device_type=1, is_fixed=True);\n"
        "%3 = device_copy(%2, src_dev_type=1, dst_dev_type=2);\nadd(%3, %z)",
        attrs="param_device_types=[1, 1, 2], result_device_type=2")
    _assert_planned(before, expected)


def test_global_function_parameters_follow_their_annotations():
    text = f"""#[version = "0.0.5"]
def @g(%p: {T}, %q: {T}) -> {T} {{
  %0 = on_device(%p, device_type=1);
  subtract(%0, %q)
}}
def @main(%x: {T}, %y: {T}) -> {T} {{
  @g(%x, %y)
}}"""
    # %p on the CPU; the rest (subtract, %q, the results) on the default device
    expected = text.replace(
        "%q: {T}) -> {T} {{\n  %0 = on_device(%p, device_type=1);".format(T=T),
        "%q: {T}, param_device_types=[1, 2], result_device_type=2) -> {T} {{\n"
        "  %0 = device_copy(%p, src_dev_type=1, dst_dev_type=2);".format(T=T))
    expected = expected.replace(f"def @main(%x: {T}, %y: {T})",
                                f"def @main(%x: {T}, %y: {T}, param_device_types=[1, 2], result_device_type=2)")
    assert expected != text
    _assert_planned(tvm.parser.fromtext(text), tvm.parser.fromtext(expected))


def test_same_device_copy_is_removed():
    before = _parse("%0 = add(%x, %y);\n%1 = device_copy(%0, src_dev_type=1, dst_dev_type=1);\nnegative(%1)",
                    params="%x: {T}, %y: {T}")
    expected = _parse("%0 = add(%x, %y);\nnegative(%0)", params="%x: {T}, %y: {T}",
                      attrs="param_device_types=[1, 1], result_device_type=1")
    _assert_planned(before, expected, device="cpu")


def test_conflicting_devices_are_an_error():
    mod = _parse("%0 = on_device(%x, device_type=1, is_fixed=True);\n"
                 "%1 = on_device(%x, device_type=2, is_fixed=True);\nadd(%0, %1)",
                 params="%x: {T}")
    with pytest.raises(DeviceError, match="inconsistent device types 2 and 1"):
        plan_devices(mod, "cuda")
    with pytest.raises(Exception, match="inconsistent device types 2 and 1"):  # through the pass
        relay.transform.PlanDevices("cuda")(mod)


PROGRAMS = {
    # name: (body, params, reference)
    "copies": ("%0 = add(%x, %y);\n%1 = on_device(%0, device_type=1);\n"
               "%2 = device_copy(%1, src_dev_type=1, dst_dev_type=1);\nmultiply(%2, %z)",
               "%x: {T}, %y: {T}, %z: {T}", lambda x, y, z: (x + y) * z),
    "let_tuple": ("let %t = (%x, %y);\n%0 = on_device(%t, device_type=1);\n%1 = %0.0;\n%2 = %0.1;\n"
                  "%3 = subtract(%1, %2);\non_device(%3, device_type=1)",
                  "%x: {T}, %y: {T}", lambda x, y: x - y),
    "local_function": (f"let %f = fn (%p: {T}) {{\n %0 = negative(%p);\n on_device(%0, device_type=1)\n}};\n"
                       "%1 = %f(%x);\nadd(%1, %y)", "%x: {T}, %y: {T}", lambda x, y: y - x),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_cpu_programs_run_the_same_before_and_after_planning(name):
    body, params, reference = PROGRAMS[name]
    mod = _parse(body, params=params)
    planned = relay.transform.PlanDevices(tvm.cpu())(mod)
    args = _inputs(len(mod["main"].params))
    want = reference(*args)
    kinds = ["debug", "vm"] + (["graph"] if name != "local_function" else [])
    for program in (mod, planned):
        for kind in kinds:
            got = relay.create_executor(kind, mod=program, device=tvm.cpu(), target="llvm").evaluate()(*args)
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)


def test_build_accepts_cpu_annotations_and_refuses_other_devices():
    from tvm.contrib import graph_executor

    body = ("%0 = add(%x, %y);\n%1 = on_device(%0, device_type=1);\n"
            "%2 = device_copy(%1, src_dev_type=1, dst_dev_type={dst});\nnegative(%2)")
    mod = _parse(body.format(dst=1), params="%x: {T}, %y: {T}")
    x, y = _inputs(2)
    for program in (mod, relay.transform.PlanDevices("cpu")(mod)):
        lib = relay.build(program, target="llvm")
        module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
        module.set_input(0, x)
        module.set_input(1, y)
        module.run()
        np.testing.assert_allclose(module.get_output(0).numpy(), -(x + y), rtol=1e-6)
    with pytest.raises(ValueError, match="CPU only"):
        relay.build(_parse(body.format(dst=2), params="%x: {T}, %y: {T}"), target="llvm")
    # a program planned for the GPU says so in its function attributes
    with pytest.raises(ValueError, match="CPU only"):
        relay.build(relay.transform.PlanDevices("cuda")(_parse("add(%x, %y)", params="%x: {T}, %y: {T}")),
                    target="llvm")
