"""Type relations of the transform ops (reshape, transpose, slicing, joining...)."""
import pytest

from tvm import relay
from tvm.relay import Any, TensorType, TupleType


def infer(expr):
    mod = relay.transform.InferType()(relay.IRModule.from_expr(expr))
    return mod["main"].body.checked_type


def v(shape, dtype="float32", name="x"):
    return relay.var(name, shape=shape, dtype=dtype)


@pytest.mark.parametrize(
    "shape, newshape, expected",
    [
        ((2, 3, 4), (6, 4), (6, 4)),
        ((2, 3, 4), 24, (24,)),
        ((2, 3, 4), (0, -1), (2, 12)),
        ((2, 3, 4), (-1, 0), (8, 3)),  # -1 consumes input axis 0; 0 copies axis 1
        ((2, 3, 4), (4, 0, 2), (4, 3, 2)),
        ((2, 3, 4), (-2,), (2, 3, 4)),
        ((2, 3, 4), (2, -2), (2, 3, 4)),
        ((2, 3, 4, 5), (-3, -3), (6, 20)),
        ((2, 3, 4), (-3, -2), (6, 4)),
        ((2, 12), (0, -4, 3, -1), (2, 3, 4)),
        ((2, 12), (0, -4, -1, 6), (2, 2, 6)),
        ((Any(), 3, 4), (0, -1), (Any(), 12)),
        ((Any(), 3, 4), (-1, 4), (Any(), 4)),
        ((2, Any()), (-1,), (Any(),)),
    ],
)
def test_reshape_special_values(shape, newshape, expected):
    call = relay.reshape(v(shape), newshape)
    assert call.attrs.type_key == "relay.attrs.ReshapeAttrs"
    assert infer(call) == TensorType(expected)


def test_reshape_errors():
    with pytest.raises(ValueError, match=r"^reshape: cannot reshape \(2, 3\) \(6 elements\) to newshape \(4, 2\)"):
        infer(relay.reshape(v((2, 3)), (4, 2)))
    with pytest.raises(ValueError, match=r"^reshape: .*more than one -1"):
        infer(relay.reshape(v((2, 3)), (-1, -1)))
    with pytest.raises(ValueError, match=r"^reshape: 6 elements cannot be split into parts of 4"):
        infer(relay.reshape(v((2, 3)), (4, -1)))


def test_reshape_like():
    assert infer(relay.reshape_like(v((2, 3, 4)), v((6, 4), name="y"))) == TensorType((6, 4))
    assert infer(relay.reshape_like(v((2, 3, 4)), v((6, 1), name="y"), lhs_begin=0, lhs_end=2,
                                    rhs_begin=0, rhs_end=1)) == TensorType((6, 4))


def test_transpose_squeeze_expand_dims():
    assert infer(relay.transpose(v((2, 3, 4)))) == TensorType((4, 3, 2))
    assert infer(relay.transpose(v((2, 3, 4)), (0, 2, 1))) == TensorType((2, 4, 3))
    assert infer(relay.transpose(v((2, 3, 4)), (-1, 0, 1))) == TensorType((4, 2, 3))
    with pytest.raises(ValueError, match=r"^transpose: axes \(0, 0, 1\) are not a permutation"):
        infer(relay.transpose(v((2, 3, 4)), (0, 0, 1)))
    assert infer(relay.squeeze(v((1, 3, 1, 4)))) == TensorType((3, 4))
    assert infer(relay.squeeze(v((1, 3, 1, 4)), axis=[2])) == TensorType((1, 3, 4))
    with pytest.raises(ValueError, match=r"^squeeze: axis 1 of \(1, 3\) has size 3, not 1"):
        infer(relay.squeeze(v((1, 3)), axis=[1]))
    assert infer(relay.expand_dims(v((2, 3)), 1)) == TensorType((2, 1, 3))
    assert infer(relay.expand_dims(v((2, 3)), -1, 2)) == TensorType((2, 3, 1, 1))
    assert infer(relay.expand_dims(v((2, 3)), 0)) == TensorType((1, 2, 3))


def test_concatenate_stack_split():
    out = infer(relay.concatenate([v((2, 3)), v((2, 5), name="y")], axis=1))
    assert out == TensorType((2, 8))
    assert infer(relay.concatenate([v((Any(), 3)), v((2, 3), name="y")], axis=0)).shape == (Any(), 3)
    with pytest.raises(ValueError, match=r"^concatenate: input 0 \(2, 3\) and input 1 \(4, 5\) differ on axis 0"):
        infer(relay.concatenate([v((2, 3)), v((4, 5), name="y")], axis=1))
    with pytest.raises(ValueError, match=r"^concatenate: dtype mismatch: input 0 is float32 but input 1 is int32"):
        infer(relay.concatenate([v((2, 3)), v((2, 3), "int32", "y")], axis=1))
    assert infer(relay.stack([v((2, 3)), v((2, 3), name="y")], axis=-1)) == TensorType((2, 3, 2))
    parts = relay.split(v((6, 4)), 3)
    assert isinstance(parts, relay.TupleWrapper) and len(parts) == 3
    assert infer(parts.astuple()) == TupleType([TensorType((2, 4))] * 3)
    assert infer(parts[1]) == TensorType((2, 4))
    out = infer(relay.split(v((6, 4)), (1, 4), axis=0).astuple())
    assert [f.shape for f in out.fields] == [(1, 4), (3, 4), (2, 4)]
    with pytest.raises(ValueError, match=r"^split: axis 1 of \(6, 4\) cannot be split into 3 equal sections"):
        infer(relay.split(v((6, 4)), 3, axis=1).astuple())


@pytest.mark.parametrize(
    "begin, end, strides, kwargs, expected",
    [
        ((1, 0), (9, 8), (2, 3), {}, (4, 3)),
        ((0,), (2,), None, {}, (2, 8)),
        ((-3,), (10,), None, {}, (3, 8)),
        ((0, 7), (10, 0), (1, -2), {}, (10, 4)),
        ((1, 2), (3, -1), None, dict(slice_mode="size"), (3, 6)),
        ((2,), (5,), None, dict(axes=(1,)), (10, 3)),
        ((0, 0), (100, 100), None, {}, (10, 8)),
    ],
)
def test_strided_slice(begin, end, strides, kwargs, expected):
    assert infer(relay.strided_slice(v((10, 8)), begin, end, strides, **kwargs)) == TensorType(expected)


def test_take_gather_one_hot():
    idx = v((4, 5), "int32", "i")
    assert infer(relay.take(v((7, 3)), idx, axis=0)) == TensorType((4, 5, 3))
    assert infer(relay.take(v((7, 3)), idx)) == TensorType((4, 5))
    assert infer(relay.take(v((2, 7, 3)), v((2, 4), "int32", "i"), axis=1, batch_dims=1)) == TensorType((2, 4, 3))
    with pytest.raises(ValueError, match=r"^take: indices must have an integer dtype, got float32"):
        infer(relay.take(v((7, 3)), v((4,), name="i")))
    assert infer(relay.gather(v((5, 3)), 0, v((2, 3), "int64", "i"))) == TensorType((2, 3))
    assert infer(relay.one_hot(v((4,), "int32"), 1.0, 0.0, 5, -1, "float32")) == TensorType((4, 5))
    assert infer(relay.one_hot(v((4,), "int32"), 1, 0, 5, 0, "int32")) == TensorType((5, 4), "int32")


def test_broadcast_where_tile_repeat_reverse_arange():
    assert infer(relay.broadcast_to(v((3, 1)), (2, 3, 4))) == TensorType((2, 3, 4))
    with pytest.raises(ValueError, match=r"^broadcast_to: cannot broadcast \(3, 2\) to \(2, 3, 4\)"):
        infer(relay.broadcast_to(v((3, 2)), (2, 3, 4)))
    assert infer(relay.broadcast_to_like(v((3, 1)), v((2, 3, 4), name="y"))) == TensorType((2, 3, 4))
    assert infer(relay.where(v((2, 1), "bool", "c"), v((3,)), v((1, 3), name="y"))) == TensorType((2, 3))
    with pytest.raises(ValueError, match=r"^where: dtype mismatch: x is float32 but y is int32"):
        infer(relay.where(v((2,), "bool", "c"), v((2,)), v((2,), "int32", "y")))
    assert infer(relay.tile(v((2, 3)), (2, 1, 2))) == TensorType((2, 2, 6))
    assert infer(relay.repeat(v((2, 3)), 3, -1)) == TensorType((2, 9))
    assert infer(relay.reverse(v((2, 3)), 0)) == TensorType((2, 3))
    assert infer(relay.arange(1, 10, 2)) == TensorType((5,))
    assert infer(relay.arange(4, dtype="int32")) == TensorType((4,), "int32")


@pytest.mark.parametrize(
    "shape, src, dst, expected",
    [
        ((1, 32, 7, 7), "NCHW", "NHWC", (1, 7, 7, 32)),
        ((1, 32, 7, 7), "NCHW", "NCHW8c", (1, 4, 7, 7, 8)),
        ((1, 4, 7, 7, 8), "NCHW8c", "NCHW", (1, 32, 7, 7)),
        ((1, 4, 7, 7, 8), "NCHW8c", "NCHW16c", (1, 2, 7, 7, 16)),
        ((64, 32, 3, 3), "OIHW", "OIHW4i8o", (8, 8, 3, 3, 4, 8)),
    ],
)
def test_layout_transform(shape, src, dst, expected):
    assert infer(relay.layout_transform(v(shape), src, dst)) == TensorType(expected)


def test_layout_transform_error():
    with pytest.raises(ValueError, match=r"^layout_transform: axis C of size 30 is not divisible by 8"):
        infer(relay.layout_transform(v((1, 30, 7, 7)), "NCHW", "NCHW8c"))


def test_gather_nd_slice_like_sequences_scans_sorting():
    assert infer(relay.gather_nd(v((3, 4, 5)), v((2, 6), "int32", "i"))) == TensorType((6, 5))
    assert infer(relay.gather_nd(v((2, 4, 5)), v((1, 2), "int32", "i"), batch_dims=1)) == TensorType((2, 5))
    assert infer(relay.slice_like(v((5, 6)), v((3, 4), name="y"))) == TensorType((3, 4))
    assert infer(relay.slice_like(v((5, 6)), v((3, 4), name="y"), axes=(1,))) == TensorType((5, 4))
    assert infer(relay.sequence_mask(v((5, 2, 3)), v((2,), "int32", "l"))) == TensorType((5, 2, 3))
    with pytest.raises(ValueError, match=r"^sequence_mask: valid_length \(3,\) must be 1-d of the batch size 2"):
        infer(relay.sequence_mask(v((5, 2, 3)), v((3,), "int32", "l")))
    assert infer(relay.reverse_sequence(v((2, 5, 3)), v((2,), "int32", "l"))) == TensorType((2, 5, 3))
    assert infer(relay.cumsum(v((2, 3)), axis=1)) == TensorType((2, 3))
    assert infer(relay.cumsum(v((2, 3), "int8"), dtype="int32")) == TensorType((6,), "int32")
    assert infer(relay.cumprod(v((2, 3)), axis=0, exclusive=True)) == TensorType((2, 3))
    both = relay.topk(v((2, 5)), 3)
    assert isinstance(both, relay.TupleWrapper)
    assert infer(both.astuple()) == TupleType([TensorType((2, 3)), TensorType((2, 3), "int32")])
    assert infer(relay.topk(v((2, 5)), 0, axis=1, ret_type="indices", dtype="int64")) == TensorType((2, 5), "int64")
    assert infer(relay.argsort(v((2, 5)), axis=0)) == TensorType((2, 5), "int32")
    assert infer(relay.sort(v((2, 5)))) == TensorType((2, 5))


def test_constant_shape_arguments_are_read_and_dynamic_ones_build_dyn_ops():
    import numpy as np

    x = v((2, 3, 4))
    assert infer(relay.reshape(x, relay.const(np.array([6, -1], "int64")))) == TensorType((6, 4))
    assert infer(relay.strided_slice(x, relay.const([0, 1]), relay.const([2, 3]))) == TensorType((2, 2, 4))
    assert infer(relay.broadcast_to(v((3, 1)), relay.const([2, 3, 5]))) == TensorType((2, 3, 5))
    assert infer(relay.zeros(relay.const([4]), "int32")) == TensorType((4,), "int32")
    # a shape computed at run time builds the dynamic operator (Any dimensions), as 0.8
    dynamic = relay.reshape(x, relay.shape_of(x))
    assert dynamic.op.name == "dyn.reshape"


def test_scatter_and_einsum_types():
    idx = v((1, 4), "int32", "i")
    assert infer(relay.scatter(v((3, 4)), idx, v((1, 4), name="u"), 0)) == TensorType((3, 4))
    assert infer(relay.scatter_add(v((3, 4)), idx, v((1, 4), name="u"), 1)) == TensorType((3, 4))
    with pytest.raises(ValueError, match=r"^scatter: dtype mismatch: data is float32 but updates is int32"):
        infer(relay.scatter(v((3, 4)), idx, v((1, 4), "int32", "u"), 0))
    assert infer(relay.scatter_nd(v((3, 4)), v((1, 2), "int32", "i"), v((2, 4), name="u"))) == TensorType((3, 4))
    with pytest.raises(ValueError, match=r"^scatter_nd: updates \(3, 4\) should be \(2, 4\)"):
        infer(relay.scatter_nd(v((3, 4)), v((1, 2), "int32", "i"), v((3, 4), name="u")))
    a, b = v((2, 3, 4), name="a"), v((2, 4, 5), name="b")
    assert infer(relay.einsum([a, b], "bij,bjk->bik")) == TensorType((2, 3, 5))
    assert infer(relay.einsum([v((3, 4), name="a"), v((4, 5), name="b")], "ij,jk")) == TensorType((3, 5))
    assert infer(relay.einsum([v((3, 3), name="a")], "ii->i")) == TensorType((3,))
    with pytest.raises(ValueError, match=r"^einsum: index 'j' has sizes 4 and 6"):
        infer(relay.einsum([v((3, 4), name="a"), v((6, 5), name="b")], "ij,jk->ik"))


def test_reverse_reshape_collapse_sum_unravel_index():
    assert infer(relay.reverse_reshape(v((10, 5, 4)), (-1, 0))) == TensorType((50, 4))
    assert infer(relay.reshape(v((10, 5, 4)), (-1, 0))) == TensorType((40, 5))
    assert infer(relay.collapse_sum_like(v((2, 3, 4)), v((3, 1), name="t"))) == TensorType((3, 1))
    with pytest.raises(ValueError, match=r"^collapse_sum_like: \(5,\) does not broadcast to data \(2, 3, 4\)"):
        infer(relay.collapse_sum_like(v((2, 3, 4)), v((5,), name="t")))
    assert infer(relay.unravel_index(v((3,), "int32", "i"), v((2,), "int32", "s"))) == TensorType((2, 3), "int32")
