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
    parse_layout,
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


def _static_dim(dim):
    """``dim`` as an int, or None when it is symbolic or ``Any``."""
    if isinstance(dim, int):
        return dim
    if isinstance(dim, tirx.IntImm):
        return int(dim.value)
    return None


def _dims_may_match(a, b):
    """0.8's ``reporter->AssertEQ`` on two dimensions: only two known, different
    sizes are an error; a symbolic one (``te.var``) is taken to match."""
    sa, sb = _static_dim(a), _static_dim(b)
    return sa is None or sb is None or sa == sb


def _matmul_rel(arg_types, attrs):
    """0.8's ``MatmulRel``: ``tensor_a`` has any rank >= 1 (its leading axes are
    kept, ``transpose_a`` swaps its last two), ``tensor_b`` is 2-d; the output
    is ``tensor_a``'s shape with the last axis ``units`` (or ``tensor_b``'s
    other axis)."""
    a = tensor_arg(arg_types, 0, "tensor_a")
    rank = len(a.shape)
    if rank < (2 if attrs.transpose_a else 1):
        raise RelationError(f"tensor_a {shape_str(a.shape)} needs at least "
                            f"{2 if attrs.transpose_a else 1} axes")
    out = list(a.shape)
    if attrs.transpose_a:
        k = a.shape[-2]
        out[-2] = a.shape[-1]
    else:
        k = a.shape[-1]
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
    if not is_any(k) and not _dims_may_match(k, kb):
        raise RelationError(
            f"tensor_a {shape_str(a.shape)} and tensor_b {shape_str(b.shape)} disagree on the "
            f"reduction axis (transpose_a={attrs.transpose_a}, transpose_b={attrs.transpose_b})"
        )
    out[-1] = attrs.units if attrs.units is not None else n
    return TensorType(tuple(out), attrs.out_dtype or a.dtype)


def _matmul_compute(attrs, inputs, out_type):
    a, b = inputs
    if len(a.shape) == 2:
        return [topi.nn.matmul(a, b, None, out_type.dtype, attrs.transpose_a, attrs.transpose_b)]
    if len(a.shape) == 1:
        row = topi.reshape(a, [1, a.shape[0]])
        out = topi.nn.matmul(row, b, None, out_type.dtype, False, attrs.transpose_b)
        return [topi.reshape(out, [out.shape[1]])]
    # N-d tensor_a: its leading axes are batch axes of a matrix product on the last two
    k = te.reduce_axis((0, a.shape[-2] if attrs.transpose_a else a.shape[-1]), name="k")
    lead = len(a.shape) - 2
    dtype = out_type.dtype
    rows = a.shape[-1] if attrs.transpose_a else a.shape[-2]
    cols = b.shape[0] if attrs.transpose_b else b.shape[1]

    def element(*idx):
        batch, i, j = idx[:lead], idx[lead], idx[lead + 1]
        lhs = a[batch + (k, i)] if attrs.transpose_a else a[batch + (i, k)]
        rhs = b[j, k] if attrs.transpose_b else b[k, j]
        return te.sum(lhs.astype(dtype) * rhs.astype(dtype), axis=k)

    return [te.compute(tuple(a.shape[:-2]) + (rows, cols), element, name="T_matmul",
                       tag="matmul")]


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
        # 0.8: a negative width crops that many elements (any mode; the compute crops
        # first, then pads with the positive widths)
        size = dim if is_any(dim) else dim + before + after
        if not is_any(size) and size < 0:
            raise RelationError(f"pad_width {attrs.pad_width} crops more than data {shape_str(data.shape)} holds")
        out.append(size)
    return TensorType(out, data.dtype)


def _pad_compute(attrs, inputs, out_type):
    data = inputs[0]
    before = [b for b, _ in attrs.pad_width]
    after = [a for _, a in attrs.pad_width]
    if any(int(b) < 0 for b in before) or any(int(a) < 0 for a in after):
        # negative widths crop (0.8): slice first, then pad with what is left
        shape = [int(d) for d in data.shape]
        begin = [max(-int(b), 0) for b in before]
        end = [dim - max(-int(a), 0) for dim, a in zip(shape, after)]
        data = topi.strided_slice(data, begin, end)
        before = [max(int(b), 0) for b in before]
        after = [max(int(a), 0) for a in after]
    if attrs.pad_mode == "edge":
        return [topi.nn.replicate_pad(data, before, after)]
    if attrs.pad_mode == "reflect":
        return [topi.nn.mirror_pad(data, before, after, "REFLECT")]
    value = inputs[1]()
    if inputs[1].dtype != data.dtype:
        value = tirx.Cast(data.dtype, value)
    return [topi.nn.pad(data, before, after, value)]


define("nn.pad", _pad_rel, OpPattern.INJECTIVE, _pad_compute, 2, "relay.attrs.PadAttrs")


def _scaled(dim, scale):
    if is_any(dim):
        return dim
    return int(round(dim * scale))


def _upsampling_rel(letters, scale_fields):
    def rel(arg_types, attrs):
        data = tensor_arg(arg_types, 0, "data")
        # Axis letters of the (possibly packed, e.g. NCHW16c) layout; only the
        # primal spatial axes are scaled, as 0.8 (which had no split H or W).
        axes = [letter for letter, _ in parse_layout(attrs.layout)]
        if len(axes) != len(data.shape) or any(a not in axes for a in letters):
            raise RelationError(f"layout {attrs.layout!r} does not fit data "
                                f"{shape_str(data.shape)}")
        shape = list(data.shape)
        for letter, field in zip(letters, scale_fields):
            pos = axes.index(letter)
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
    axes = [letter for letter, _ in parse_layout(layout)]
    size = [_scaled_te_dim(data.shape[axes.index(axis)], attrs[field])
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


def _dilate_rel(arg_types, attrs):
    """0.8's ``DilateRel``: each axis ``d`` becomes ``(d - 1) * stride + 1``."""
    data = tensor_arg(arg_types, 0, "data")
    if len(attrs.strides) != len(data.shape):
        raise RelationError(f"strides {tuple(attrs.strides)} need one entry per axis of data "
                            f"{shape_str(data.shape)}")
    return TensorType([d if is_any(d) else (d - 1) * s + 1 for d, s in zip(data.shape, attrs.strides)],
                      data.dtype)


define("nn.dilate", _dilate_rel, OpPattern.INJECTIVE,
       lambda attrs, inputs, out: [topi.nn.dilate(inputs[0], list(attrs.strides), attrs.dilation_value)],
       1, "relay.attrs.DilateAttrs")


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


def _space_to_batch_nd_rel(arg_types, attrs):
    """0.8's ``SpaceToBatchNDRel``: ``(batch * prod(block), (spatial_i + pads_i) /
    block_i ..., remaining...)``."""
    data = tensor_arg(arg_types, 0, "data")
    block = list(attrs.block_shape)
    if len(data.shape) < 1 + len(block) or len(attrs.paddings) != len(block):
        raise RelationError(f"data {shape_str(data.shape)} needs {len(block)} spatial axes after "
                            f"the batch axis and one (before, after) padding per block")
    out = list(data.shape)
    out[0] = dim_mul(out[0], *block)
    for i, (b, (before, after)) in enumerate(zip(block, attrs.paddings)):
        size = data.shape[1 + i]
        if is_any(size):
            continue
        padded = size + before + after
        if padded % b:
            raise RelationError(f"padded axis {1 + i} of size {padded} is not divisible by "
                                f"block {b}")
        out[1 + i] = padded // b
    return TensorType(out, data.dtype)


def _batch_to_space_nd_rel(arg_types, attrs):
    """0.8's ``BatchToSpaceNDRel``: ``(batch / prod(block), spatial_i * block_i -
    crops_i ..., remaining...)``."""
    data = tensor_arg(arg_types, 0, "data")
    block = list(attrs.block_shape)
    if len(data.shape) < 1 + len(block) or len(attrs.crops) != len(block):
        raise RelationError(f"data {shape_str(data.shape)} needs {len(block)} spatial axes after "
                            f"the batch axis and one (begin, end) crop per block")
    out = list(data.shape)
    total = 1
    for b in block:
        total *= b
    if not is_any(out[0]):
        if out[0] % total:
            raise RelationError(f"batch {out[0]} is not divisible by prod(block_shape)={total}")
        out[0] //= total
    for i, (b, (begin, end)) in enumerate(zip(block, attrs.crops)):
        size = data.shape[1 + i]
        out[1 + i] = size if is_any(size) else size * b - begin - end
    return TensorType(out, data.dtype)


def _space_to_batch_nd_compute(attrs, inputs, out_type):
    """Each output element read directly from the input (written here: the
    base's ``topi.nn.space_to_batch_nd`` mixes int32 and int64 indices when a
    padding is non-zero, and its batch_to_space_nd crashes). Output batch index = block offset (row-major over
    the blocks) * batch + input batch index."""
    data = inputs[0]
    block = [int(b) for b in attrs.block_shape]
    before = [int(p[0]) for p in attrs.paddings]
    batch = data.shape[0]
    m = len(block)
    pad_value = tirx.const(float(attrs.pad_value), data.dtype)

    def element(*idx):
        offset = tirx.floordiv(idx[0], batch)
        n = tirx.floormod(idx[0], batch)
        src, inside = [n], []
        for i in reversed(range(m)):
            off_i = tirx.floormod(offset, block[i])
            offset = tirx.floordiv(offset, block[i])
            pos = idx[1 + i] * block[i] + off_i - before[i]
            inside.append(tirx.all(pos >= 0, pos < data.shape[1 + i]))
            src.insert(1, tirx.max(tirx.min(pos, data.shape[1 + i] - 1), 0))
        src += list(idx[1 + m:])
        return tirx.Select(tirx.all(*inside), data[tuple(src)], pad_value)

    return [te.compute(tuple(out_type.shape), element, name="space_to_batch_nd",
                       tag="injective")]


define("nn.space_to_batch_nd", _space_to_batch_nd_rel, OpPattern.INJECTIVE,
       _space_to_batch_nd_compute, 1, "relay.attrs.SpaceToBatchNDAttrs")
def _batch_to_space_nd_compute(attrs, inputs, out_type):
    """The inverse gather of :func:`_space_to_batch_nd_compute` (written here: the
    base's ``topi.nn.batch_to_space_nd`` crashes in its FFI call). Output
    position ``i`` of a spatial axis is ``i + crop_begin`` in the uncropped
    result, i.e. row ``(i + crop_begin) // block`` of input batch block
    ``(i + crop_begin) % block``."""
    data = inputs[0]
    block = [int(b) for b in attrs.block_shape]
    begin = [int(c[0]) for c in attrs.crops]
    m = len(block)
    total = 1
    for b in block:
        total *= b
    batch = data.shape[0] // total

    def element(*idx):
        offset, src = 0, []
        for i in range(m):
            full = idx[1 + i] + begin[i]
            offset = offset * block[i] + tirx.floormod(full, block[i])
            src.append(tirx.floordiv(full, block[i]))
        return data[tuple([offset * batch + idx[0]] + src + list(idx[1 + m:]))]

    return [te.compute(tuple(out_type.shape), element, name="batch_to_space_nd",
                       tag="injective")]


define("nn.batch_to_space_nd", _batch_to_space_nd_rel, OpPattern.INJECTIVE,
       _batch_to_space_nd_compute, 1, "relay.attrs.BatchToSpaceNDAttrs")


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
