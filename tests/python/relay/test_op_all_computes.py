"""Every op of the library: one example call whose FTVMCompute gives TE tensors of
exactly the inferred shapes and dtypes (numerics are checked in test_op_compute.py)."""
import pytest

import tvm
from tvm import relay
from tvm.relay import Any
from tvm.relay.op import compute_of_call
from tvm.relay.op.tensor import _BINARY, _UNARY


def v(shape, dtype="float32", name="x"):
    return relay.var(name, shape=shape, dtype=dtype)


def i32(shape, name="i"):
    return v(shape, "int32", name)


_BOOL_UNARY = {"logical_not"}
_INT_BINARY = {"right_shift", "left_shift", "bitwise_and", "bitwise_or", "bitwise_xor"}
_BOOL_BINARY = {"logical_and", "logical_or", "logical_xor"}


def _elementwise_examples():
    examples = {}
    for name in _UNARY:
        dtype = "bool" if name in _BOOL_UNARY else "int32" if name == "bitwise_not" else "float32"
        examples[name] = lambda name=name, dtype=dtype: getattr(relay, name)(v((2, 4, 3), dtype))
    for name in _BINARY:
        dtype = "int32" if name in _INT_BINARY else "bool" if name in _BOOL_BINARY else "float32"
        examples[name] = lambda name=name, dtype=dtype: getattr(relay, name)(v((2, 1, 4), dtype), v((3, 1), dtype, "y"))
    return examples


EXAMPLES = {
    **_elementwise_examples(),
    "zeros": lambda: relay.zeros((2, 3), "float32"),
    "ones": lambda: relay.ones((2, 3), "int8"),
    "zeros_like": lambda: relay.zeros_like(v((2, 3))),
    "ones_like": lambda: relay.ones_like(v((2, 3))),
    "clip": lambda: relay.clip(v((2, 3)), 0, 1),
    "copy": lambda: relay.copy(v((2, 3))),
    "shape_of": lambda: relay.shape_of(v((2, Any()))),
    "ndarray_size": lambda: relay.ndarray_size(v((2, 3))),
    "concatenate": lambda: relay.concatenate([v((2, 3)), v((2, 5), name="y")], 1),
    "stack": lambda: relay.stack([v((2, 3)), v((2, 3), name="y")], 0),
    "cast": lambda: relay.cast(v((2, 3)), "int32"),
    "cast_like": lambda: relay.cast_like(v((2, 3)), v((1,), "int8", "y")),
    "reinterpret": lambda: relay.reinterpret(v((2, 3)), "int32"),
    "reshape": lambda: relay.reshape(v((Any(), 3, 4)), (0, -1)),
    "reshape_like": lambda: relay.reshape_like(v((2, 3, 4)), v((6, 4), name="y")),
    "transpose": lambda: relay.transpose(v((2, 3, 4)), (2, 0, 1)),
    "squeeze": lambda: relay.squeeze(v((1, 3, 1))),
    "expand_dims": lambda: relay.expand_dims(v((2, 3)), 1, 2),
    "take": lambda: relay.take(v((5, 3)), i32((4,)), axis=0),
    "gather": lambda: relay.gather(v((5, 3)), 0, i32((2, 3))),
    "gather_nd": lambda: relay.gather_nd(v((3, 4, 5)), i32((2, 6))),
    "one_hot": lambda: relay.one_hot(i32((4,)), 1.0, 0.0, 5, -1, "float32"),
    "full": lambda: relay.full(1.5, (2, 3), "float32"),
    "full_like": lambda: relay.full_like(v((2, 3)), relay.const(2.0)),
    "arange": lambda: relay.arange(1, 10, 2, "float32"),
    "repeat": lambda: relay.repeat(v((2, 3)), 2, 1),
    "tile": lambda: relay.tile(v((2, 3)), (2, 1, 2)),
    "reverse": lambda: relay.reverse(v((2, 3)), 1),
    "where": lambda: relay.where(v((2, 3), "bool", "c"), v((2, 3)), v((3,), name="y")),
    "broadcast_to": lambda: relay.broadcast_to(v((3, 1)), (2, 3, 4)),
    "broadcast_to_like": lambda: relay.broadcast_to_like(v((3, 1)), v((2, 3, 4), name="y")),
    "split": lambda: relay.split(v((6, 4)), (1, 4), 0).astuple(),
    "strided_slice": lambda: relay.strided_slice(v((10, 8)), (1, 0), (9, 8), (2, 3)),
    "slice_like": lambda: relay.slice_like(v((5, 6)), v((3, 4), name="y")),
    "layout_transform": lambda: relay.layout_transform(v((1, 32, 4, 4)), "NCHW", "NCHW8c"),
    "sequence_mask": lambda: relay.sequence_mask(v((5, 2, 3)), i32((2,))),
    "reverse_sequence": lambda: relay.reverse_sequence(v((2, 5, 3)), i32((2,))),
    "cumsum": lambda: relay.cumsum(v((2, 3))),
    "cumprod": lambda: relay.cumprod(v((2, 3)), axis=0),
    "scatter": lambda: relay.scatter(v((3, 4)), i32((1, 4)), v((1, 4), name="u"), 0),
    "scatter_add": lambda: relay.scatter_add(v((3, 4)), i32((1, 4)), v((1, 4), name="u"), 0),
    "scatter_nd": lambda: relay.scatter_nd(v((3, 4)), i32((1, 2)), v((2, 4), name="u")),
    "einsum": lambda: relay.einsum([v((3, 4)), v((4, 5), name="y")], "ij,jk->ik"),
    "collapse_sum_like": lambda: relay.collapse_sum_like(v((2, 3, 4)), v((3, 1), name="t")),
    "contrib_reverse_reshape": lambda: relay.reverse_reshape(v((10, 5, 4)), (-1, 0)),
    "unravel_index": lambda: relay.unravel_index(i32((3,)), i32((2,), "s")),
    "topk": lambda: relay.topk(v((2, 5)), 3).astuple(),
    "argsort": lambda: relay.argsort(v((2, 5))),
    "sort": lambda: relay.sort(v((2, 5))),
    "sum": lambda: relay.sum(v((Any(), 3, 4)), axis=1, keepdims=True),
    "mean": lambda: relay.mean(v((2, 3, 4)), axis=(0, 2)),
    "max": lambda: relay.max(v((2, 3, 4)), axis=1, exclude=True),
    "min": lambda: relay.min(v((2, 3, 4))),
    "prod": lambda: relay.prod(v((2, 3, 4)), axis=2),
    "all": lambda: relay.all(v((2, 3), "bool"), axis=0),
    "any": lambda: relay.any(v((2, 3), "bool"), axis=1),
    "argmax": lambda: relay.argmax(v((2, 3, 4)), axis=1),
    "argmin": lambda: relay.argmin(v((2, 3, 4))),
    "variance": lambda: relay.variance(v((2, 3, 4)), axis=1),
    "nn.conv1d": lambda: relay.nn.conv1d(v((1, 3, 9)), v((4, 3, 3), name="w"), strides=2, padding=1),
    "nn.conv2d": lambda: relay.nn.conv2d(v((1, 8, 9, 9)), v((8, 2, 3, 3), name="w"), padding=1, groups=4),
    "nn.conv3d": lambda: relay.nn.conv3d(v((1, 5, 9, 9, 3)), v((3, 3, 3, 3, 8), name="w"), padding=1,
                                         data_layout="NDHWC", kernel_layout="DHWIO"),
    "nn.conv2d_transpose": lambda: relay.nn.conv2d_transpose(v((1, 4, 5, 5)), v((4, 8, 4, 4), name="w"),
                                                             strides=2, padding=1),
    "nn.conv1d_transpose": lambda: relay.nn.conv1d_transpose(v((1, 4, 5)), relay.var("w"), strides=2,
                                                             channels=3, kernel_size=3, output_padding=1),
    "nn.conv3d_transpose": lambda: relay.nn.conv3d_transpose(v((1, 4, 2, 3, 3)), v((4, 2, 2, 2, 2), name="w"),
                                                             strides=2),
    "nn.contrib_conv2d_NCHWc": lambda: relay.nn.contrib_conv2d_nchwc(
        v((1, 2, 6, 6, 8)), v((2, 2, 3, 3, 8, 8), name="w"), padding=1, kernel_layout="OIHW8i8o"),
    "nn.contrib_depthwise_conv2d_NCHWc": lambda: relay.nn.contrib_depthwise_conv2d_nchwc(
        v((1, 2, 6, 6, 8)), v((2, 1, 3, 3, 1, 8), name="w"), groups=16, padding=1, kernel_layout="OIHW1i8o"),
    "nn.dense": lambda: relay.nn.dense(v((2, 3, 8)), v((5, 8), name="w")),
    "nn.contrib_dense_pack": lambda: relay.nn.contrib_dense_pack(v((2, 8)), v((2, 8, 4), name="w"), "NC4n"),
    "nn.matmul": lambda: relay.nn.matmul(v((8, 2)), v((5, 8), name="w"), transpose_a=True, transpose_b=True),
    "nn.batch_matmul": lambda: relay.nn.batch_matmul(v((2, 3, 8)), v((2, 5, 8), name="w")),
    "nn.bias_add": lambda: relay.nn.bias_add(v((2, 4, 4, 3)), v((3,), name="b"), axis=-1),
    "nn.batch_norm": lambda: relay.nn.batch_norm(v((2, 3, 4, 4)), *[v((3,), name=n) for n in "gbmv"]).astuple(),
    "nn.layer_norm": lambda: relay.nn.layer_norm(v((2, 3, 4)), v((4,), name="g"), v((4,), name="b")),
    "nn.instance_norm": lambda: relay.nn.instance_norm(v((2, 3, 4, 4)), v((3,), name="g"), v((3,), name="b")),
    "nn.group_norm": lambda: relay.nn.group_norm(v((2, 4, 4, 4)), v((4,), name="g"), v((4,), name="b"), 2),
    "nn.l2_normalize": lambda: relay.nn.l2_normalize(v((2, 3)), 1e-5, axis=[1]),
    "nn.lrn": lambda: relay.nn.lrn(v((1, 8, 4, 4))),
    "nn.relu": lambda: relay.nn.relu(v((2, Any()))),
    "nn.leaky_relu": lambda: relay.nn.leaky_relu(v((2, 3)), 0.1),
    "nn.prelu": lambda: relay.nn.prelu(v((2, 3, 4)), v((3,), name="a")),
    "nn.softmax": lambda: relay.nn.softmax(v((2, 3))),
    "nn.fast_softmax": lambda: relay.nn.fast_softmax(v((2, 3))),
    "nn.log_softmax": lambda: relay.nn.log_softmax(v((2, 3)), axis=0),
    "nn.batch_flatten": lambda: relay.nn.batch_flatten(v((2, 3, 4, 5))),
    "nn.pad": lambda: relay.nn.pad(v((2, 3)), ((1, 2), (0, 3)), 1.0),
    "nn.mirror_pad": lambda: relay.nn.mirror_pad(v((1, 3, 4, 4)), ((0, 0), (0, 0), (1, 1), (2, 2))),
    "nn.upsampling": lambda: relay.nn.upsampling(v((1, 4, 4, 3)), 2, 3, layout="NHWC", method="bilinear"),
    "nn.upsampling3d": lambda: relay.nn.upsampling3d(v((1, 3, 2, 4, 4)), 2, 2, 2),
    "nn.depth_to_space": lambda: relay.nn.depth_to_space(v((1, 8, 4, 4)), 2),
    "nn.space_to_depth": lambda: relay.nn.space_to_depth(v((1, 2, 4, 4)), 2),
    "nn.space_to_batch_nd": lambda: relay.nn.space_to_batch_nd(v((2, 3, 4, 2)), [2, 2],
                                                               [[1, 0], [0, 2]]),
    "nn.batch_to_space_nd": lambda: relay.nn.batch_to_space_nd(v((8, 2, 3, 2)), [2, 2],
                                                               [[1, 0], [0, 2]]),
    "nn.max_pool1d": lambda: relay.nn.max_pool1d(v((1, 3, 9)), 3, 2, padding=1),
    "nn.avg_pool1d": lambda: relay.nn.avg_pool1d(v((1, 3, 9)), 3, 2, padding=1),
    "nn.max_pool2d": lambda: relay.nn.max_pool2d(v((1, 3, 10, 10)), (3, 3), (2, 2), ceil_mode=True),
    "nn.avg_pool2d": lambda: relay.nn.avg_pool2d(v((1, 9, 9, 3)), (3, 3), (2, 2), padding=(1, 1), layout="NHWC"),
    "nn.max_pool3d": lambda: relay.nn.max_pool3d(v((1, 3, 5, 9, 9)), (3, 3, 3), (2, 2, 2), padding=(1, 1, 1)),
    "nn.avg_pool3d": lambda: relay.nn.avg_pool3d(v((1, 5, 9, 9, 3)), (3, 3, 3), (2, 2, 2), layout="NDHWC"),
    "nn.global_avg_pool2d": lambda: relay.nn.global_avg_pool2d(v((1, 3, 9, 9))),
    "nn.global_max_pool2d": lambda: relay.nn.global_max_pool2d(v((1, 9, 9, 3)), layout="NHWC"),
    "nn.adaptive_avg_pool1d": lambda: relay.nn.adaptive_avg_pool1d(v((1, 3, 9)), 3),
    "nn.adaptive_max_pool1d": lambda: relay.nn.global_max_pool1d(v((1, 3, 9))),
    "nn.adaptive_avg_pool2d": lambda: relay.nn.adaptive_avg_pool2d(v((1, 3, 9, 9)), (3, 2)),
    "nn.adaptive_max_pool2d": lambda: relay.nn.adaptive_max_pool2d(v((1, 9, 9, 3)), 3, layout="NHWC"),
    "nn.adaptive_avg_pool3d": lambda: relay.nn.global_avg_pool3d(v((1, 3, 5, 9, 9))),
    "nn.adaptive_max_pool3d": lambda: relay.nn.adaptive_max_pool3d(v((1, 3, 5, 9, 9)), (1, 2, 3)),
    "image.resize1d": lambda: relay.image.resize1d(v((1, 3, 4)), 8),
    "image.resize2d": lambda: relay.image.resize2d(v((1, 4, 4, 3)), (8, 6), layout="NHWC", method="nearest_neighbor"),
    "image.resize3d": lambda: relay.image.resize3d(v((1, 3, 2, 4, 4)), (4, 8, 8)),
    "image.affine_grid": lambda: relay.image.affine_grid(v((2, 2, 3)), (4, 5)),
    "image.grid_sample": lambda: relay.image.grid_sample(v((1, 3, 4, 4)), v((1, 2, 5, 6), name="g")),
    "vision.multibox_prior": lambda: relay.vision.multibox_prior(v((1, 3, 4, 5)), (0.3, 0.5), (1.0, 2.0)),
    "vision.multibox_transform_loc": lambda: relay.vision.multibox_transform_loc(
        v((1, 3, 10)), v((1, 40), name="l"), v((1, 10, 4), name="a")).astuple(),
    "vision.get_valid_counts": lambda: relay.vision.get_valid_counts(v((1, 10, 6)), 0.1).astuple(),
    "vision.non_max_suppression": lambda: relay.vision.non_max_suppression(
        v((1, 10, 6)), i32((1,), "c"), i32((1, 10))).astuple(),
    "vision.all_class_non_max_suppression": lambda: relay.vision.all_class_non_max_suppression(
        v((2, 10, 4)), v((2, 3, 10), name="s"), 4, 0.5, 0.1).astuple(),
    # TVM 0.8 ops added for issue 16
    "collapse_sum_to": lambda: relay.collapse_sum_to(v((3, 4, 5)), (4, 1)),
    "matrix_set_diag": lambda: relay.matrix_set_diag(v((2, 4, 5)), v((2, 3, 4), name="d"), (-1, 1)),
    "strided_set": lambda: relay.strided_set(v((4, 6)), v((2, 2), name="s"), [1, 0], [4, 6], [2, 3]),
    "nn.nll_loss": lambda: relay.nn.nll_loss(v((3, 4, 2)), i32((3, 2), "t"), v((4,), name="w")),
    "nn.cross_entropy": lambda: relay.nn.cross_entropy(v((3, 4)), v((3, 4), name="y")),
    "nn.cross_entropy_with_logits": lambda: relay.nn.cross_entropy_with_logits(
        v((3, 4)), v((3, 4), name="y")),
    "nn.bitpack": lambda: relay.nn.bitpack(v((2, 16, 3), "int16"), bits=2, pack_axis=1,
                                           bit_axis=2, pack_type="uint8"),
    "nn.bitserial_conv2d": lambda: relay.nn.bitserial_conv2d(
        v((1, 32, 5, 5), "int16"), v((4, 32, 3, 3), "int16", "w"), kernel_size=(3, 3),
        channels=4, padding=(1, 1)),
    "nn.bitserial_dense": lambda: relay.nn.bitserial_dense(
        v((2, 32), "int16"), v((4, 32), "int16", "w"), units=4, data_bits=2),
    "fixed_point_multiply": lambda: relay.fixed_point_multiply(i32((2, 3)), 1518500250, 2),
    "nn.deformable_conv2d": lambda: relay.nn.deformable_conv2d(
        v((1, 4, 5, 5)), v((1, 18, 5, 5), name="o"), v((3, 4, 3, 3), name="w"), padding=(1, 1)),
    "image.crop_and_resize": lambda: relay.image.crop_and_resize(
        v((2, 3, 6, 6)), relay.const([[0.1, 0.2, 0.9, 0.8], [0.0, 0.0, 1.0, 1.0]]), i32((2,), "i"),
        (3, 4), "NCHW"),
    "image.dilation2d": lambda: relay.image.dilation2d(v((1, 3, 6, 6)), v((3, 2, 2), name="w"),
                                                       padding=(1, 1, 0, 0)),
    "vision.roi_align": lambda: relay.vision.roi_align(
        v((2, 3, 8, 8)), relay.const([[0, 1.0, 1.0, 6.0, 5.0], [1, 0.0, 2.0, 7.0, 7.0]]), (2, 2), 1.0, 2),
    "vision.roi_pool": lambda: relay.vision.roi_pool(
        v((2, 3, 8, 8)), relay.const([[0, 1.0, 1.0, 6.0, 5.0], [1, 0.0, 2.0, 7.0, 7.0]]), (2, 2), 1.0),
    "vision.yolo_reorg": lambda: relay.vision.yolo_reorg(v((1, 8, 4, 6)), 2),
    "vision.proposal": lambda: relay.vision.proposal(
        v((2, 4, 3, 5)), v((2, 8, 3, 5), name="y"), v((2, 3), name="z"), (1.0,), (0.5, 1.0), 16,
        0.7, 20, 6, 4, False),
    "unique": lambda: relay.unique(i32((6,)), False, True).astuple(),
    "searchsorted": lambda: relay.searchsorted(
        relay.const([[0.0, 1.0, 2.5], [-1.0, 0.0, 0.5]], "float32"), v((2, 4)), True, "int64"),
    "sparse_to_dense": lambda: relay.sparse_to_dense(i32((2, 2)), (3, 3), v((2,), name="s"), relay.const(0.5)),
    "sparse_reshape": lambda: relay.sparse_reshape(i32((3, 2)), relay.const([2, 3]), relay.const([3, -1])).astuple(),
    "segment_sum": lambda: relay.segment_sum(v((4, 3)), i32((4,), "s"), 3),
    "adv_index": lambda: relay.adv_index([v((3, 4, 5)), i32((2, 1)), i32((1, 3), "j")]),
    "nn.correlation": lambda: relay.nn.correlation(v((1, 3, 8, 8)), v((1, 3, 8, 8), name="y"), 3, 2, 1, 1, 2,
                                                   True, "NCHW"),
    "annotation.checkpoint": lambda: relay.annotation.checkpoint(v((2, 3))),
    "annotation.stop_fusion": lambda: relay.annotation.stop_fusion(v((2, 3))),
    # relay.quantize's annotation ops
    "relay.op.annotation.simulated_quantize": lambda: relay.quantize._ops.simulated_quantize(
        v((2, 3)), relay.const(0.05), relay.const(-127.0), relay.const(127.0), kind=1),
    "annotation.cast_hint": lambda: relay.quantize._ops.cast_hint(v((2, 3)), "int8"),
    # device placement, BYOC region markers and the interpreter's debug hook: identities
    "on_device": lambda: relay.annotation.on_device(v((2, 3)), "cpu"),
    "device_copy": lambda: relay.device_copy(v((2, 3)), "cpu", "cpu"),
    "annotation.compiler_begin": lambda: relay.annotation.compiler_begin(v((2, 3)), "ccompiler"),
    "annotation.compiler_end": lambda: relay.annotation.compiler_end(v((2, 3)), "ccompiler"),
    "debug": lambda: relay.op.debug(v((2, 3))),
    "nn.dilate": lambda: relay.nn.dilate(v((2, 3, 4)), (1, 2, 3), 0.5),
}

# Ops registered without a compute, on purpose.
# (output sizes known only at run time: the dynamic ops run on the VM's interpreter
# kernels, or become static ops by DynamicToStatic)
NO_COMPUTE = {"nn.dropout", "sparse_fill_empty_rows", "argwhere"} | {
    name for name in relay.op.list_op_names() if name.startswith("dyn.")}


def _library_ops():
    names = []
    for name in relay.op.list_op_names():
        rel = relay.op.get(name).get_attr("FInferType")
        if rel is not None and rel.__module__.startswith("tvm.relay.op"):
            names.append(name)
    return names


def test_every_library_op_has_an_example():
    missing = [n for n in _library_ops() if n not in EXAMPLES and n not in NO_COMPUTE]
    assert not missing, f"ops without an example call: {missing}"


def _static_dims(tensor):
    return tuple(int(d) if isinstance(d, tvm.tirx.IntImm) else None for d in tensor.shape)


@pytest.mark.parametrize("name", sorted(set(EXAMPLES) - NO_COMPUTE))
def test_compute_matches_inferred_type(name):
    expr = EXAMPLES[name]()
    mod = relay.transform.InferType()(relay.IRModule.from_expr(expr))
    call = mod["main"].body
    assert call.op.name == name
    with tvm.target.Target("llvm"):
        inputs, outputs = compute_of_call(call)
    ty = call.checked_type
    fields = ty.fields if isinstance(ty, relay.TupleType) else [ty]
    assert len(outputs) == len(fields)
    for out, field in zip(outputs, fields):
        assert out.dtype == field.dtype
        dims = _static_dims(out)
        assert len(dims) == len(field.shape)
        for dim, expected in zip(dims, field.shape):
            if isinstance(expected, Any):
                assert dim is None  # a symbolic size
            else:
                assert dim == expected


def test_ops_without_compute_are_the_documented_ones():
    for name in NO_COMPUTE:
        assert relay.op.get(name).get_attr("FTVMCompute") is None


_POSITIVE_INPUT = {"log", "log2", "log10", "sqrt", "rsqrt", "acosh"}
_UNIT_INPUT = {"acos", "asin", "atanh"}


def _random_value(name, ty, rng):
    if ty.dtype == "bool":
        return rng.random(ty.shape) > 0.5
    if ty.dtype.startswith(("int", "uint")):
        return rng.integers(0, 2, ty.shape).astype(ty.dtype)  # valid as an index everywhere
    if name in _POSITIVE_INPUT:
        return (rng.random(ty.shape) + 1.1).astype(ty.dtype)
    if name in _UNIT_INPUT:
        return (rng.random(ty.shape) * 1.8 - 0.9).astype(ty.dtype)
    return rng.standard_normal(ty.shape).astype(ty.dtype)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(EXAMPLES) - NO_COMPUTE))
def test_compute_agrees_with_the_reference_kernel(name):
    """Two independent implementations: the compiled TOPI/TE compute and the
    interpreter's NumPy kernel give the same values on random inputs."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    from tvm import te  # pylint: disable=import-outside-toplevel
    from tvm.relay.reference import ops as reference_ops  # pylint: disable=import-outside-toplevel

    mod = relay.transform.InferType()(relay.IRModule.from_expr(EXAMPLES[name]()))
    call = mod["main"].body
    if call.checked_type.is_dynamic() or any(a.checked_type.is_dynamic() for a in call.args):
        pytest.skip("dynamic example: compiled here only for shapes")
    rng = np.random.default_rng(0)
    values = []
    for arg in call.args:
        leaves = list(arg.fields) if isinstance(arg, relay.Tuple) else [arg]
        leaf_values = [
            np.array(leaf.numpy()) if isinstance(leaf, relay.Constant)
            else _random_value(name, leaf.checked_type, rng)
            for leaf in leaves
        ]
        values.append(tuple(leaf_values) if isinstance(arg, relay.Tuple) else leaf_values[0])
    if name == "unravel_index":
        values = [np.array([5, 7, 11], "int32"), np.array([3, 4], "int32")]
    with tvm.target.Target("llvm"):
        inputs, outputs = compute_of_call(call)
    lib = tvm.compile(tvm.IRModule({"main": te.create_prim_func(inputs + outputs)}), target="llvm")
    flat = [x for v in values for x in (v if isinstance(v, tuple) else [v])]
    bufs = [tvm.runtime.empty(tuple(int(d) for d in o.shape), o.dtype) for o in outputs]
    lib["main"](*[tvm.runtime.tensor(np.array(x)) for x in flat], *bufs)
    expected = reference_ops.run_op(name, call.attrs, values, call)
    expected = list(expected) if isinstance(expected, tuple) else [expected]
    for got, ref in zip([b.numpy() for b in bufs], expected):
        if got.dtype.kind in "biu":
            np.testing.assert_array_equal(got, ref)
        else:
            np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(EXAMPLES) - NO_COMPUTE))
def test_relay_build_agrees_with_the_interpreter(name):
    """The whole pipeline on every op: ``relay.build`` (strategy, TOPI schedule,
    LLVM) run on the graph executor against the reference interpreter."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

    expr = EXAMPLES[name]()
    mod = relay.transform.InferType()(
        relay.IRModule.from_expr(relay.Function(relay.analysis.free_vars(expr), expr)))
    main = mod["main"]
    if main.body.checked_type.is_dynamic() or any(p.checked_type.is_dynamic() for p in main.params):
        pytest.skip("dynamic example: the graph executor needs static shapes")
    rng = np.random.default_rng(0)
    args = [_random_value(name, p.checked_type, rng) for p in main.params]
    if name == "unravel_index":
        args = [np.array([5, 7, 11], "int32"), np.array([3, 4], "int32")]
    expected = relay.create_executor("debug", mod=mod, device=tvm.cpu(), target="llvm").evaluate()(*args)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    expected = [e.numpy() if hasattr(e, "numpy") else np.asarray(e) for e in expected]
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for param, arg in zip(main.params, args):
        module.set_input(param.name_hint, arg)
    module.run()
    assert module.get_num_outputs() == len(expected)
    for i, ref in enumerate(expected):
        got = module.get_output(i).numpy()
        assert (got.shape, got.dtype) == (ref.shape, ref.dtype)
        if got.dtype.kind in "biu":
            np.testing.assert_array_equal(got, ref)
        else:
            np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-3)
