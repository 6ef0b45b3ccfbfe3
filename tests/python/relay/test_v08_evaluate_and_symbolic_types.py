"""0.8 semantics: evaluate() of an expression returns its value; symbolic sizes in types."""
import numpy as np
import pytest

import tvm
from tvm import relay, te


@pytest.mark.parametrize("kind", ["debug", "graph"])
def test_evaluate_of_an_expression_returns_its_value(kind):
    data = np.arange(12, dtype="float32").reshape(3, 4)
    x = relay.var("x", shape=(3, 4))
    executor = relay.create_executor(kind, target="llvm")
    if kind == "debug":
        value = executor.evaluate(relay.exp(x) * relay.const(2.0), {x: relay.const(data)})
    else:
        value = executor.evaluate(relay.exp(relay.const(data)) * relay.const(2.0))
    np.testing.assert_allclose(value.numpy(), np.exp(data) * 2.0, rtol=1e-5)
    zeros = executor.evaluate(relay.zeros(shape=(2, 5), dtype="float64"))
    np.testing.assert_array_equal(zeros.numpy(), np.zeros((2, 5)))
    # a function still gives a callable
    run = executor.evaluate(relay.Function([x], relay.abs(x)))
    np.testing.assert_array_equal(run(-data).numpy(), data)


def test_symbolic_sizes_become_any_and_keep_static_ones():
    n = te.var("n")
    ttype = relay.TensorType((2, n // 4, n, tvm.tir.IntImm("int32", 3)), "float32")
    assert ttype.shape == (2, relay.Any(), relay.Any(), 3)
    x = relay.var("x", ttype)
    inferred = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], relay.nn.relu(x))))
    assert inferred["main"].ret_type == ttype
    with pytest.raises(TypeError, match="tensor dimension"):
        relay.TensorType((2, te.var("f", "float32") * 2.0), "float32")


def test_dynamic_to_static_keeps_the_static_program():
    from tvm.contrib import graph_executor

    x = relay.var("x", shape=(2, 6))
    body = relay.reshape(relay.nn.relu(x), newshape=(3, 4)) * relay.const(2.0)
    mod = tvm.IRModule.from_expr(relay.Function([x], body))
    converted = relay.transform.DynamicToStatic()(mod)
    assert isinstance(relay.transform.DynamicToStatic(), tvm.transform.Pass)
    tvm.ir.assert_structural_equal(converted["main"], relay.transform.InferType()(mod)["main"])
    assert converted["main"].ret_type == relay.TensorType((3, 4), "float32")
    data = np.linspace(-1, 1, 12, dtype="float32").reshape(2, 6)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(converted, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("x", data)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), np.maximum(data, 0).reshape(3, 4) * 2.0)
    assert tvm.runtime.NDArray is tvm.runtime.Tensor


@pytest.mark.parametrize("lengths, indexing", [([3, 5], "ij"), ([4, 2], "xy"), ([3, 1, 5], "xy"),
                                               ([3, 5, 0], "ij")])
@pytest.mark.parametrize("kind", ["debug", "graph"])
def test_meshgrid_matches_numpy(lengths, indexing, kind):
    inputs = [relay.var(f"x{i}", relay.TensorType((n,) if n else (), "float32")) for i, n in enumerate(lengths)]
    values = [np.linspace(-1, 1, n).astype("float32") if n else np.array(2.5, "float32") for n in lengths]
    func = relay.Function(inputs, relay.meshgrid(inputs, indexing=indexing).astuple())
    outputs = relay.create_executor(kind, target="llvm").evaluate(func)(*values)
    expected = np.meshgrid(*values, indexing=indexing)
    assert len(outputs) == len(expected)
    for out, ref in zip(outputs, expected):
        np.testing.assert_array_equal(out.numpy(), ref)
    with pytest.raises(ValueError, match="indexing"):
        relay.meshgrid(inputs, indexing="ji")


def test_printer_always_writes_pool_size_and_round_trips():
    x = relay.var("x", shape=(1, 4, 6, 6))
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], relay.nn.max_pool2d(x))))
    text = mod.astext()
    assert "pool_size=[1, 1]" in text  # 0.8 always printed it (no default in its attrs)
    parsed = relay.transform.InferType()(tvm.parser.parse(text))
    tvm.ir.assert_structural_equal(parsed["main"], mod["main"])
    data = np.arange(144, dtype="float32").reshape(1, 4, 6, 6)
    out = relay.create_executor("debug", mod=parsed).evaluate()(data)
    np.testing.assert_array_equal(out.numpy(), data)  # a 1x1 max pool is the identity


@pytest.mark.parametrize("kind", ["debug", "graph"])
def test_negative_pad_widths_crop(kind):
    data = np.random.default_rng(4).uniform(-10, 10, (4, 6, 3, 5)).astype("float32")
    width = ((-1, -1), (2, -2), (0, -2), (4, 4))
    x = relay.var("x", shape=data.shape)
    value = relay.var("v", shape=(), dtype="float32")
    func = relay.Function([x, value], relay.nn.pad(x, width, pad_value=value))
    out = relay.create_executor(kind, target="llvm").evaluate(func)(data, np.float32(2.0)).numpy()
    cropped = data[1:3, :4, :1, :]
    expected = np.pad(cropped, ((0, 0), (2, 0), (0, 0), (4, 4)), constant_values=2.0)
    assert out.shape == (2, 6, 1, 13)
    np.testing.assert_array_equal(out, expected)
    # every mode crops negative widths first, as 0.8 (edge: the cropped border repeats)
    edge = relay.create_executor(kind, target="llvm").evaluate(
        relay.Function([x], relay.nn.pad(x, width, pad_mode="edge")))(data).numpy()
    np.testing.assert_array_equal(edge, np.pad(cropped, ((0, 0), (2, 0), (0, 0), (4, 4)), mode="edge"))


@pytest.mark.parametrize("kind", ["debug", "graph"])
def test_sequence_mask_takes_float_lengths(kind):
    data = np.random.default_rng(6).standard_normal((5, 3, 2)).astype("float32")
    lengths = np.array([1.5, 3.0, 0.0], "float32")
    x = relay.var("x", shape=data.shape)
    valid = relay.var("v", shape=(3,), dtype="float32")
    func = relay.Function([x, valid], relay.sequence_mask(x, valid, mask_value=-1.0, axis=0))
    out = relay.create_executor(kind, target="llvm").evaluate(func)(data, lengths).numpy()
    expected = np.where(np.arange(5)[:, None, None] < lengths[None, :, None], data, -1.0)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("kind", ["debug", "graph"])
def test_strided_slice_with_a_shorter_end_slices_to_the_axis_end(kind):
    data = np.arange(36, dtype="float32").reshape(3, 4, 3)
    x = relay.var("x", shape=data.shape)
    func = relay.Function([x], relay.strided_slice(x, begin=[1, 1, 0], end=[4, 4]))
    out = relay.create_executor(kind, target="llvm").evaluate(func)(data).numpy()
    np.testing.assert_array_equal(out, data[1:4, 1:4, 0:])
    assert out.shape == (2, 3, 3)


@pytest.mark.parametrize("kind", ["debug", "graph"])
def test_inputs_sharing_a_name_are_passed_by_position(kind):
    inputs = [relay.var("input", shape=(2, 3)) for _ in range(3)]
    func = relay.Function(inputs, relay.stack(relay.Tuple(inputs), axis=1))
    values = [np.full((2, 3), float(i + 1), "float32") for i in range(3)]
    out = relay.create_executor(kind, target="llvm").evaluate(func)(*values).numpy()
    np.testing.assert_array_equal(out, np.stack(values, axis=1))
