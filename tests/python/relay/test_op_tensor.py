"""Type relations of the elementwise, broadcast, comparison, init and reduce ops."""
import pytest

from tvm import relay
from tvm.relay import Any, TensorType


def infer(expr):
    mod = relay.transform.InferType()(relay.IRModule.from_expr(expr))
    return mod["main"].body.checked_type


def v(shape, dtype="float32", name="x"):
    return relay.var(name, shape=shape, dtype=dtype)


UNARY = ["exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "erf", "negative", "abs", "floor",
         "ceil", "round", "sin", "cos"]
BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "floor_divide",
          "mod"]
COMPARE = ["equal", "not_equal", "less", "greater", "less_equal", "greater_equal"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_keeps_type(name):
    call = getattr(relay, name)(v((2, Any(), 4), "float16"))
    assert call.op.name == name
    assert infer(call) == TensorType((2, Any(), 4), "float16")


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasts(name):
    assert infer(getattr(relay, name)(v((2, 1, 4)), v((3, 1), name="y"))) == TensorType((2, 3, 4))


@pytest.mark.parametrize("name", COMPARE)
def test_comparisons_give_bool(name):
    assert infer(getattr(relay, name)(v((4,), "int32"), v((3, 1), "int32", "y"))) == TensorType((3, 4), "bool")


@pytest.mark.parametrize(
    "lhs, rhs, expected",
    [
        ((5, 1, 3), (4, 1), (5, 4, 3)),
        ((), (2, 3), (2, 3)),
        ((Any(), 3), (1, 3), (Any(), 3)),
        ((Any(), 3), (4, 3), (4, 3)),
        ((Any(), 1), (Any(), 3), (Any(), 3)),
    ],
)
def test_broadcast_rules(lhs, rhs, expected):
    assert infer(relay.add(v(lhs), v(rhs, name="y"))).shape == expected


def test_broadcast_errors_name_op_shapes_and_dtypes():
    with pytest.raises(ValueError, match=r"^add: shapes \(2, 3\) and \(4,\) cannot be broadcast together"):
        infer(relay.add(v((2, 3)), v((4,), name="y")))
    with pytest.raises(ValueError, match=r"^multiply: dtype mismatch: lhs is float32 but rhs is int32"):
        infer(relay.multiply(v((2, 3)), v((2, 3), "int32", "y")))


def test_python_scalars_become_constants_of_the_other_dtype():
    x = v((2,), "float16")
    expr = relay.add(x, 1.0)
    assert isinstance(expr.args[1], relay.Constant)
    assert infer(expr) == TensorType((2,), "float16")


def test_predicates_logical_and_clip():
    assert infer(relay.isnan(v((2, 3)))) == TensorType((2, 3), "bool")
    assert infer(relay.logical_not(v((2,), "bool"))) == TensorType((2,), "bool")
    assert infer(relay.logical_and(v((2,), "bool"), v((2,), "bool", "y"))).dtype == "bool"
    call = relay.clip(v((2, 3)), -1, 1)
    assert call.attrs.type_key == "relay.attrs.ClipAttrs" and call.attrs.a_min == -1.0
    assert infer(call) == TensorType((2, 3))


def test_init_ops():
    assert infer(relay.zeros((2, 3), "float32")) == TensorType((2, 3))
    assert infer(relay.ones((4,), "int8")) == TensorType((4,), "int8")
    assert infer(relay.zeros_like(v((2, 3), "int32"))) == TensorType((2, 3), "int32")
    assert infer(relay.ones_like(v((2, Any())))) == TensorType((2, Any()))
    assert infer(relay.full(relay.const(1.0), (2, 2))) == TensorType((2, 2))
    assert infer(relay.full(3, (2,), "int64")) == TensorType((2,), "int64")
    assert infer(relay.full_like(v((3,)), relay.const(2.0))) == TensorType((3,))
    with pytest.raises(ValueError, match=r"^full: fill_value must be a scalar"):
        infer(relay.full(v((2,)), (2, 2)))


def test_shape_of_is_static_for_dynamic_input():
    assert infer(relay.shape_of(v((Any(), 3, Any())))) == TensorType((3,), "int32")
    assert infer(relay.shape_of(v((2, 3)), "int64")) == TensorType((2,), "int64")
    assert infer(relay.ndarray_size(v((2, 3)))) == TensorType((), "int32")


def test_cast_and_copy():
    assert infer(relay.cast(v((2, 3)), "int8")) == TensorType((2, 3), "int8")
    assert infer(v((2,)).astype("float16")) == TensorType((2,), "float16")
    assert infer(relay.cast_like(v((2, 3)), v((1,), "int64", "y"))) == TensorType((2, 3), "int64")
    assert infer(relay.copy(v((2, 3)))) == TensorType((2, 3))


def test_expr_operators_build_ops():
    x, y = v((2, 3)), v((2, 3), name="y")
    assert (x + y).op.name == "add" and (x - y).op.name == "subtract"
    assert (x * y).op.name == "multiply" and (x / y).op.name == "divide"
    assert infer(x < y).dtype == "bool"
    assert infer(-x) == TensorType((2, 3))


# -- reductions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(), ()),
        (dict(axis=1), (2, 4)),
        (dict(axis=-1, keepdims=True), (2, 3, 1)),
        (dict(axis=(0, 2)), (3,)),
        (dict(axis=1, exclude=True), (3,)),
        (dict(axis=(0,), exclude=True, keepdims=True), (2, 1, 1)),
        (dict(keepdims=True), (1, 1, 1)),
    ],
)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod"])
def test_reduce_shapes(name, kwargs, expected):
    call = getattr(relay, name)(v((2, 3, 4)), **kwargs)
    assert call.attrs.type_key == "relay.attrs.ReduceAttrs"
    assert infer(call) == TensorType(expected)


def test_arg_reduce_and_bool_reduce():
    call = relay.argmax(v((2, 3, 4)), axis=1)
    assert call.attrs.type_key == "relay.attrs.ArgReduceAttrs" and call.attrs.select_last_index is False
    assert infer(call) == TensorType((2, 4), "int32")
    assert infer(relay.argmin(v((2, 3)), axis=0, keepdims=True)) == TensorType((1, 3), "int32")
    assert infer(relay.all(v((2, 3), "bool"), axis=1)) == TensorType((2,), "bool")
    with pytest.raises(ValueError, match=r"^any: needs a bool tensor, got float32"):
        infer(relay.any(v((2, 3))))


def test_reduce_over_dynamic_input():
    assert infer(relay.sum(v((Any(), 3)), axis=0)) == TensorType((3,))
    assert infer(relay.mean(v((Any(), 3)), axis=1, keepdims=True)) == TensorType((Any(), 1))


def test_reduce_errors():
    with pytest.raises(ValueError, match=r"^sum: axis 3 is out of range for a tensor of rank 3"):
        infer(relay.sum(v((2, 3, 4)), axis=3))


def test_logsumexp_is_composed_of_registered_ops():
    assert infer(relay.logsumexp(v((2, 3)), axis=1)) == TensorType((2,))
    assert infer(relay.logsumexp(v((2, 3)), axis=1, keepdims=True)) == TensorType((2, 1))


def test_variance_std_and_fast_math():
    call = relay.variance(v((2, 3, 4)), axis=1, unbiased=True)
    assert call.op.name == "variance" and call.attrs.type_key == "relay.attrs.VarianceAttrs"
    assert infer(call) == TensorType((2, 4))
    assert infer(relay.std(v((2, 3, 4)), axis=(0, 2), keepdims=True)) == TensorType((1, 3, 1))
    assert infer(relay.mean_variance(v((2, 3)), axis=0)) == relay.TupleType([TensorType((3,))] * 2)
    for name in ("fast_exp", "fast_tanh", "fast_erf"):
        assert infer(getattr(relay, name)(v((2, 3)))) == TensorType((2, 3))
    assert infer(relay.atan2(v((2, 3)), v((3,), name="y"))) == TensorType((2, 3))
