"""Dense layers, normalisation, activations and other ``nn`` ops:
type relations and TOPI computes."""
from tvm import te, tirx, topi

from ...ty import TensorType, TupleType
from .. import _math_computes
from .._util import define
from ..op import OpPattern
from ..type_relations import (
    RelationError,
    broadcast_shape,
    dim_mul,
    dims_equal,
    fill_arg,
    identity_rel,
    is_any,
    normalize_axis,
    shape_str,
    tensor_arg,
)


def _check_mm_dtypes(a, b, names):
    if a.dtype == b.dtype:
        return
    ints = ("int", "uint")
    if not (a.dtype.startswith(ints) and b.dtype.startswith(ints)):
        raise RelationError(
            f"dtype mismatch: {names[0]} is {a.dtype} but {names[1]} is {b.dtype}"
        )


# -- dense / matmul / batch_matmul ------------------------------------------------


def _dense_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(data.shape) < 1:
        raise RelationError("data must have at least one axis")
    k = data.shape[-1]
    if not isinstance(arg_types[1], TensorType):
        if attrs.units is None:
            raise RelationError(
                "the weight's type is unknown: give units, or annotate the weight variable"
            )
        arg_types[1] = TensorType((attrs.units, k), data.dtype)
    weight = arg_types[1]
    _check_mm_dtypes(data, weight, ("input", "weight"))
    if len(weight.shape) != 2:
        raise RelationError(f"weight {shape_str(weight.shape)} must be 2-d (units, in_dim)")
    if not dims_equal(weight.shape[1], k):
        raise RelationError(
            f"input {shape_str(data.shape)} and weight {shape_str(weight.shape)} disagree on "
            "the reduction axis"
        )
    units = weight.shape[0]
    if attrs.units is not None and not dims_equal(attrs.units, units):
        raise RelationError(f"units={attrs.units} disagrees with weight {shape_str(weight.shape)}")
    return TensorType(data.shape[:-1] + (units,), attrs.out_dtype or data.dtype)


def _flatten_to_2d(data):
    if len(data.shape) == 2:
        return data, None
    lead = list(data.shape[:-1])
    rows = 1
    for dim in lead:
        rows = rows * dim
    return topi.reshape(data, [rows, data.shape[-1]]), lead


def _dense_compute(attrs, inputs, out_type):
    data, lead = _flatten_to_2d(inputs[0])
    out = topi.nn.dense(data, inputs[1], None, out_type.dtype)
    if lead is not None:
        out = topi.reshape(out, lead + [out.shape[1]])
    return [out]


def _matmul_rel(arg_types, attrs):
    a = tensor_arg(arg_types, 0, "tensor_a")
    if len(a.shape) != 2:
        raise RelationError(f"tensor_a {shape_str(a.shape)} must be 2-d")
    k = a.shape[0] if attrs.transpose_a else a.shape[1]
    if not isinstance(arg_types[1], TensorType):
        if attrs.units is None:
            raise RelationError("the type of tensor_b is unknown: give units or annotate it")
        shape = (attrs.units, k) if attrs.transpose_b else (k, attrs.units)
        arg_types[1] = TensorType(shape, a.dtype)
    b = arg_types[1]
    _check_mm_dtypes(a, b, ("tensor_a", "tensor_b"))
    if len(b.shape) != 2:
        raise RelationError(f"tensor_b {shape_str(b.shape)} must be 2-d")
    kb, n = (b.shape[1], b.shape[0]) if attrs.transpose_b else (b.shape[0], b.shape[1])
    if not dims_equal(k, kb):
        raise RelationError(
            f"tensor_a {shape_str(a.shape)} and tensor_b {shape_str(b.shape)} disagree on the "
            f"reduction axis (transpose_a={attrs.transpose_a}, transpose_b={attrs.transpose_b})"
        )
    m = a.shape[1] if attrs.transpose_a else a.shape[0]
    return TensorType((m, n), attrs.out_dtype or a.dtype)


def _matmul_compute(attrs, inputs, out_type):
    return [topi.nn.matmul(inputs[0], inputs[1], None, out_type.dtype, attrs.transpose_a,
                           attrs.transpose_b)]


def _batch_matmul_rel(arg_types, attrs):
    a = tensor_arg(arg_types, 0, "tensor_a")
    b = tensor_arg(arg_types, 1, "tensor_b")
    _check_mm_dtypes(a, b, ("tensor_a", "tensor_b"))
    if len(a.shape) != 3 or len(b.shape) != 3:
        raise RelationError(
            f"tensor_a {shape_str(a.shape)} and tensor_b {shape_str(b.shape)} must both be 3-d"
        )
    m, k = (a.shape[2], a.shape[1]) if attrs.transpose_a else (a.shape[1], a.shape[2])
    n, kb = (b.shape[1], b.shape[2]) if attrs.transpose_b else (b.shape[2], b.shape[1])
    if not dims_equal(k, kb):
        raise RelationError(
            f"tensor_a {shape_str(a.shape)} and tensor_b {shape_str(b.shape)} disagree on the "
            f"reduction axis (transpose_a={attrs.transpose_a}, transpose_b={attrs.transpose_b})"
        )
    batch = broadcast_shape((a.shape[0],), (b.shape[0],))
    if batch is None:
        raise RelationError(
            f"batch sizes of tensor_a {shape_str(a.shape)} and tensor_b {shape_str(b.shape)} differ"
        )
    return TensorType((batch[0], m, n), attrs.out_dtype or a.dtype)


def _batch_matmul_compute(attrs, inputs, out_type):
    return [topi.nn.batch_matmul(inputs[0], inputs[1], None, out_type.dtype, attrs.transpose_a,
                                 attrs.transpose_b)]


def _dense_pack_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    weight = tensor_arg(arg_types, 1, "weight")
    _check_mm_dtypes(data, weight, ("input", "weight"))
    if len(weight.shape) != 3:
        raise RelationError(
            f"packed weight {shape_str(weight.shape)} must be 3-d (units // n, in_dim, "
            "n)"
        )
    if not dims_equal(weight.shape[1], data.shape[-1]):
        raise RelationError(
            f"input {shape_str(data.shape)} and weight {shape_str(weight.shape)} disagree on the "
            "reduction axis"
        )
    return TensorType(data.shape[:-1] + (dim_mul(weight.shape[0], weight.shape[2]),),
                      attrs.out_dtype or data.dtype)


_FUSABLE = OpPattern.OUT_ELEMWISE_FUSABLE
def _dense_pack_compute(attrs, inputs, out_type):
    # Written here: the base's topi.nn.dense_pack fails (a missing import).
    data, weight = inputs
    data2d, lead = _flatten_to_2d(data)
    block = weight.shape[2]
    k = te.reduce_axis((0, weight.shape[1]), name="k")
    dtype = out_type.dtype
    out = te.compute(
        (data2d.shape[0], weight.shape[0] * block),
        lambda m, n: te.sum(
            data2d[m, k].astype(dtype) * weight[tirx.floordiv(n, block), k, tirx.floormod(n, block)].astype(dtype),
            axis=k,
        ),
        name="T_dense_pack", tag="dense_pack",
    )
    if lead is not None:
        out = topi.reshape(out, lead + [out.shape[1]])
    return [out]


define("nn.contrib_dense_pack", _dense_pack_rel, _FUSABLE, _dense_pack_compute, 2,
       "relay.attrs.DensePackAttrs")
define("nn.dense", _dense_rel, _FUSABLE, _dense_compute, 2, "relay.attrs.DenseAttrs")
define("nn.matmul", _matmul_rel, _FUSABLE, _matmul_compute, 2, "relay.attrs.MatmulAttrs")
define("nn.batch_matmul", _batch_matmul_rel, _FUSABLE, _batch_matmul_compute, 2,
       "relay.attrs.BatchMatmulAttrs")


# -- per-channel parameters -------------------------------------------------------


def _channel_param_rel(n_params, names, axis_of=lambda attrs: attrs.axis, tuple_out=False):
    """Data plus ``n_params`` 1-d parameters of the size of the channel axis."""

    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        axis = normalize_axis(axis_of(attrs), len(data.shape))
        param = TensorType((data.shape[axis],), data.dtype)
        for i in range(1, n_params + 1):
            fill_arg(arg_types, i, param, f"{names[i - 1]} for data {shape_str(data.shape)} axis {axis}")
        if tuple_out:
            return TupleType([data, param, param])
        return data

    return rel


def _bias_add_compute(attrs, inputs, out_type):
    data, bias = inputs
    axis = normalize_axis(attrs.axis, len(data.shape))
    trailing = len(data.shape) - axis - 1
    if trailing:
        bias = topi.expand_dims(bias, 1, trailing)
    return [topi.add(data, bias)]


def _batch_norm_compute(attrs, inputs, out_type):
    outs = topi.nn.batch_norm(*inputs, attrs.axis, attrs.epsilon, attrs.center, attrs.scale)
    return list(outs)


def _layer_norm_compute(attrs, inputs, out_type):
    data, gamma, beta = inputs
    axis = normalize_axis(attrs.axis, len(data.shape))
    return [topi.nn.layer_norm(data, gamma if attrs.scale else None,
                               beta if attrs.center else None, [axis], attrs.epsilon)]


def _instance_norm_compute(attrs, inputs, out_type):
    data, gamma, beta = inputs
    axis = normalize_axis(attrs.axis, len(data.shape))
    reduce_axes = [i for i in range(1, len(data.shape)) if i != axis]
    return [topi.nn.instance_norm(data, gamma if attrs.scale else None,
                                  beta if attrs.center else None, axis, reduce_axes, attrs.epsilon)]


def _group_norm_rel(arg_types, attrs):
    data = _channel_param_rel(2, ("gamma", "beta"))(arg_types, attrs)
    channels = data.shape[normalize_axis(attrs.axis, len(data.shape))]
    if not is_any(channels) and channels % attrs.num_groups:
        raise RelationError(
            f"{channels} channels cannot be split into "
            f"num_groups={attrs.num_groups}"
        )
    return data


def _group_norm_compute(attrs, inputs, out_type):
    data, gamma, beta = inputs
    axis = normalize_axis(attrs.axis, len(data.shape))
    spatial = [i for i in range(1, len(data.shape)) if i != axis]
    return [topi.nn.group_norm(data, gamma if attrs.scale else None, beta if attrs.center else None,
                               attrs.num_groups, axis, spatial, attrs.epsilon)]


_OPAQUE = OpPattern.OPAQUE
define("nn.bias_add", _channel_param_rel(1, ("bias",)), OpPattern.BROADCAST, _bias_add_compute, 2,
       "relay.attrs.BiasAddAttrs")
define("nn.batch_norm",
       _channel_param_rel(4, ("gamma", "beta", "moving_mean", "moving_var"), tuple_out=True),
       _OPAQUE, _batch_norm_compute, 5, "relay.attrs.BatchNormAttrs")
define("nn.layer_norm", _channel_param_rel(2, ("gamma", "beta")), _OPAQUE, _layer_norm_compute, 3,
       "relay.attrs.LayerNormAttrs")
define("nn.instance_norm", _channel_param_rel(2, ("gamma", "beta")), _OPAQUE,
       _instance_norm_compute, 3, "relay.attrs.InstanceNormAttrs")
define("nn.group_norm", _group_norm_rel, _OPAQUE, _group_norm_compute, 3,
       "relay.attrs.GroupNormAttrs")
define("nn.prelu", _channel_param_rel(1, ("alpha",)), OpPattern.BROADCAST,
       lambda attrs, inputs, out: [topi.nn.prelu(inputs[0], inputs[1],
                                                 normalize_axis(attrs.axis, len(inputs[0].shape)))],
       2, "relay.attrs.PReluAttrs")


# -- activations ------------------------------------------------------------------

define("nn.relu", identity_rel, OpPattern.ELEMWISE,
       lambda attrs, inputs, out: [topi.nn.relu(inputs[0])], 1)
define("nn.leaky_relu", identity_rel, OpPattern.ELEMWISE,
       lambda attrs, inputs, out: [topi.nn.leaky_relu(inputs[0], attrs.alpha)], 1,
       "relay.attrs.LeakyReluAttrs")


def _softmax_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    normalize_axis(attrs.axis, len(data.shape))
    return data


define("nn.softmax", _softmax_rel, OpPattern.OUT_ELEMWISE_FUSABLE,  # as 0.8: a cast after it fuses
       lambda attrs, inputs, out: [_math_computes.softmax(inputs[0], attrs.axis)], 1,
       "relay.attrs.SoftmaxAttrs")
define("nn.fast_softmax", _softmax_rel, OpPattern.OUT_ELEMWISE_FUSABLE,
       lambda attrs, inputs, out: [topi.nn.fast_softmax(inputs[0], attrs.axis)], 1,
       "relay.attrs.SoftmaxAttrs")
define("nn.log_softmax", _softmax_rel, OpPattern.OUT_ELEMWISE_FUSABLE,
       lambda attrs, inputs, out: [topi.nn.log_softmax(inputs[0], attrs.axis)], 1,
       "relay.attrs.SoftmaxAttrs")


def _dropout_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    return TupleType([data, data])


# No compute: dropout is removed by SimplifyInference before lowering, as upstream.
define("nn.dropout", _dropout_rel, _OPAQUE, None, 1, "relay.attrs.DropoutAttrs")


# -- shape ops ----------------------------------------------------------------------


def _batch_flatten_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if not data.shape:
        raise RelationError("data must have at least one axis")
    return TensorType((data.shape[0], dim_mul(1, *data.shape[1:])), data.dtype)


define("nn.batch_flatten", _batch_flatten_rel, OpPattern.INJECTIVE,
       lambda attrs, inputs, out: [topi.nn.flatten(inputs[0])], 1)


def _pad_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    value = tensor_arg(arg_types, 1, "pad_value")
    if value.shape != ():
        raise RelationError(f"pad_value must be a scalar, got shape {shape_str(value.shape)}")
    if len(attrs.pad_width) != len(data.shape):
        raise RelationError(
            f"pad_width has {len(attrs.pad_width)} entries but data {shape_str(data.shape)} "
            f"has rank {len(data.shape)}"
        )
    if attrs.pad_mode not in ("constant", "edge", "reflect"):
        raise RelationError(f"pad_mode must be constant, edge or reflect, got {attrs.pad_mode!r}")
    out = []
    for dim, (before, after) in zip(data.shape, attrs.pad_width):
        # 0.8: a negative width in constant mode crops that many elements
        if (before < 0 or after < 0) and attrs.pad_mode != "constant":
            raise RelationError(f"pad_width {attrs.pad_width} has a negative entry; only "
                                f"pad_mode='constant' crops, not {attrs.pad_mode!r}")
        size = dim if is_any(dim) else dim + before + after
        if not is_any(size) and size < 0:
            raise RelationError(f"pad_width {attrs.pad_width} crops more than data {shape_str(data.shape)} holds")
        out.append(size)
    return TensorType(out, data.dtype)


def _pad_compute(attrs, inputs, out_type):
    data = inputs[0]
    before = [b for b, _ in attrs.pad_width]
    after = [a for _, a in attrs.pad_width]
    if attrs.pad_mode == "edge":
        return [topi.nn.replicate_pad(data, before, after)]
    if attrs.pad_mode == "reflect":
        return [topi.nn.mirror_pad(data, before, after, "REFLECT")]
    value = inputs[1]()
    if inputs[1].dtype != data.dtype:
        value = tirx.Cast(data.dtype, value)
    if any(int(b) < 0 for b in before) or any(int(a) < 0 for a in after):
        # negative widths crop (0.8): slice first, then pad with what is left
        shape = [int(d) for d in data.shape]
        begin = [max(-int(b), 0) for b in before]
        end = [dim - max(-int(a), 0) for dim, a in zip(shape, after)]
        data = topi.strided_slice(data, begin, end)
        before = [max(int(b), 0) for b in before]
        after = [max(int(a), 0) for a in after]
    return [topi.nn.pad(data, before, after, value)]


define("nn.pad", _pad_rel, OpPattern.INJECTIVE, _pad_compute, 2, "relay.attrs.PadAttrs")


def _scaled(dim, scale):
    if is_any(dim):
        return dim
    return int(round(dim * scale))


def _upsampling_rel(letters, scale_fields):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        layout = attrs.layout
        if len(layout) != len(data.shape) or any(a not in layout for a in letters):
            raise RelationError(f"layout {layout!r} does not fit data {shape_str(data.shape)}")
        shape = list(data.shape)
        for letter, field in zip(letters, scale_fields):
            pos = layout.index(letter)
            shape[pos] = _scaled(shape[pos], attrs[field])
        return TensorType(shape, data.dtype)

    return rel


# Upstream 0.8 upsampling's bicubic kernel coefficient; the base's
# topi.nn.upsampling leaves resize2d's default of -0.75 instead.
_UPSAMPLING_CUBIC_ALPHA = -0.5


def _scaled_te_dim(dim, scale):
    """Output size of an upsampled axis: as the type relation when static."""
    if isinstance(dim, (int, tirx.IntImm)):
        return _scaled(int(dim), scale)
    return te.round(dim.astype("float64") * float(scale)).astype(str(dim.ty.dtype))


def _upsampling_compute(attrs, inputs, out_type):
    data = inputs[0]
    layout = attrs.layout
    size = [_scaled_te_dim(data.shape[layout.index(axis)], attrs[field])
            for axis, field in (("H", "scale_h"), ("W", "scale_w"))]
    method = attrs.method[2:] if attrs.method.startswith("bi") else attrs.method
    mode = "align_corners" if attrs.align_corners else "asymmetric"
    return [topi.image.resize2d(data, [0.0] * 4, size, layout=layout, method=method,
                                coordinate_transformation_mode=mode,
                                bicubic_alpha=_UPSAMPLING_CUBIC_ALPHA)]


def _upsampling3d_compute(attrs, inputs, out_type):
    return [topi.nn.upsampling3d(inputs[0], attrs.scale_d, attrs.scale_h, attrs.scale_w,
                                 attrs.layout, attrs.method, attrs.coordinate_transformation_mode)]


define("nn.upsampling", _upsampling_rel("HW", ("scale_h", "scale_w")), OpPattern.INJECTIVE,
       _upsampling_compute, 1, "relay.attrs.UpSamplingAttrs")
define("nn.upsampling3d", _upsampling_rel("DHW", ("scale_d", "scale_h", "scale_w")),
       OpPattern.INJECTIVE, _upsampling3d_compute, 1, "relay.attrs.UpSampling3DAttrs")


def _mirror_pad_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    if len(attrs.pad_width) != len(data.shape):
        raise RelationError(
            f"pad_width has {len(attrs.pad_width)} entries but data {shape_str(data.shape)} "
            f"has rank {len(data.shape)}"
        )
    if attrs.mode not in ("SYMMETRIC", "REFLECT"):
        raise RelationError(f"mode must be SYMMETRIC or REFLECT, got {attrs.mode!r}")
    return TensorType(
        [d if is_any(d) else d + b + a for d, (b, a) in zip(data.shape, attrs.pad_width)], data.dtype
    )


def _mirror_pad_compute(attrs, inputs, out_type):
    before = [b for b, _ in attrs.pad_width]
    after = [a for _, a in attrs.pad_width]
    return [topi.nn.mirror_pad(inputs[0], before, after, attrs.mode)]


define("nn.mirror_pad", _mirror_pad_rel, OpPattern.INJECTIVE, _mirror_pad_compute, 1,
       "relay.attrs.MirrorPadAttrs")


def _sub_pixel_rel(to_depth):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        if len(data.shape) != 4 or attrs.layout not in ("NCHW", "NHWC"):
            raise RelationError(
                f"needs 4-d NCHW or NHWC data, got {shape_str(data.shape)} "
                f"{attrs.layout}"
            )
        block = attrs.block_size
        c, h, w = (attrs.layout.index(a) for a in "CHW")
        shape = list(data.shape)
        if to_depth:
            for axis in (h, w):
                if not is_any(shape[axis]) and shape[axis] % block:
                    raise RelationError(
                        f"axis {axis} of {shape_str(data.shape)} is not divisible by "
                        f"{block}"
                    )
                shape[axis] = shape[axis] if is_any(shape[axis]) else shape[axis] // block
            shape[c] = dim_mul(shape[c], block * block)
        else:
            if not is_any(shape[c]) and shape[c] % (block * block):
                raise RelationError(
                    f"{shape[c]} channels are not divisible by "
                    f"block_size**2={block * block}"
                )
            shape[c] = shape[c] if is_any(shape[c]) else shape[c] // (block * block)
            shape[h], shape[w] = dim_mul(shape[h], block), dim_mul(shape[w], block)
        return TensorType(shape, data.dtype)

    return rel


define("nn.depth_to_space", _sub_pixel_rel(False), OpPattern.INJECTIVE,
       lambda attrs, inputs, out: [topi.nn.depth_to_space(inputs[0], attrs.block_size, attrs.layout,
                                                          attrs.mode)],
       1, "relay.attrs.SubPixelAttrs")
define("nn.space_to_depth", _sub_pixel_rel(True), OpPattern.INJECTIVE,
       lambda attrs, inputs, out: [topi.nn.space_to_depth(inputs[0], attrs.block_size, attrs.layout)],
       1, "relay.attrs.SubPixelAttrs")


# -- normalisation without parameters ---------------------------------------------------


def _l2_normalize_compute(attrs, inputs, out_type):
    data = inputs[0]
    ndim = len(data.shape)
    axes = list(range(ndim)) if attrs.axis is None else [normalize_axis(a, ndim) for a in attrs.axis]
    total = topi.sum(topi.multiply(data, data), axes, keepdims=True)
    eps = tirx.const(attrs.eps, data.dtype)
    return [topi.divide(data, topi.sqrt(topi.maximum(total, eps)))]


def _l2_normalize_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    for axis in attrs.axis or ():
        normalize_axis(axis, len(data.shape))
    return data


def _lrn_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    normalize_axis(attrs.axis, len(data.shape))
    return data


define("nn.l2_normalize", _l2_normalize_rel, OpPattern.OUT_ELEMWISE_FUSABLE, _l2_normalize_compute,
       1, "relay.attrs.L2NormalizeAttrs")
define("nn.lrn", _lrn_rel, _OPAQUE,
       lambda attrs, inputs, out: [topi.nn.lrn(inputs[0], attrs.size, attrs.axis, attrs.alpha,
                                               attrs.beta, attrs.bias)],
       1, "relay.attrs.LRNAttrs")
