"""What :mod:`.convert_layout` knows about ops: the rule each op follows, the
default kernel layouts, the kernel letter conventions of the fork's convolutions
and the checking of ``desired_layouts``."""
import logging

from ..op import op as _op_registry

logger = logging.getLogger("tvm.relay.transform.convert_layout")

# Convolutions: data and kernel layouts are chosen by ``desired_layouts``.
CONV_OPS = ("nn.conv2d", "nn.conv2d_transpose", "qnn.conv2d",  # (data, kernel, qnn params)
            "nn.deformable_conv2d")  # (data, offset, kernel): the offset has the data's layout
# Region-of-interest pools (data, rois): the data layout changes only when
# named in ``desired_layouts`` (as 0.8); the output has the data's layout.
ROI_OPS = ("vision.roi_align", "vision.roi_pool")
# Ops with a ``layout`` attribute that follow their input's layout (or the
# desired one when named in ``desired_layouts``).
LAYOUT_ATTR_OPS = (
    "nn.max_pool2d",
    "nn.avg_pool2d",
    "nn.global_avg_pool2d",
    "nn.global_max_pool2d",
    "nn.adaptive_avg_pool2d",
    "nn.adaptive_max_pool2d",
    "image.resize2d",
    "nn.upsampling",
) + ROI_OPS
# Ops with a single ``axis`` attribute on their first input; other inputs are
# per-channel vectors that do not depend on the layout.
AXIS_OPS = ("nn.bias_add", "nn.prelu", "nn.batch_norm", "nn.softmax", "nn.log_softmax",
            "nn.fast_softmax", "qnn.quantize", "qnn.dequantize", "qnn.requantize")
# Quantized broadcast ops: (lhs, rhs, then scalar quantization parameters).
QNN_BINARY_OPS = ("qnn.add", "qnn.subtract", "qnn.mul")
REDUCE_OPS = ("sum", "mean", "max", "min", "prod", "all", "any", "argmax", "argmin",
              "variance")
BROADCAST_OPS = (
    "add", "subtract", "multiply", "divide", "floor_divide", "power", "atan2", "mod",
    "floor_mod", "maximum", "minimum", "right_shift", "left_shift", "logical_and",
    "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "trunc_divide",
    "trunc_mod", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "where",
)
# Element-wise ops that create a tensor from attributes rather than from inputs.
CREATION_OPS = ("full", "ones", "zeros")

# Kernel layout meant by "default" for a data layout (upstream's choices).
DEFAULT_KERNEL = {
    "nn.conv2d": {"NCHW": "OIHW", "NHWC": "HWIO", "HWNC": "HWOI"},
    "nn.conv2d_transpose": {"NCHW": "OIHW", "NHWC": "HWIO"},
    "qnn.conv2d": {"NCHW": "OIHW", "NHWC": "HWIO"},
    "nn.deformable_conv2d": {"NCHW": "OIHW", "NHWC": "HWIO"},
}


def kernel_index(call):
    """Position of the kernel among the convolution's arguments."""
    return 2 if call.op.name == "nn.deformable_conv2d" else 1


def check_permutation(original, desired, what):
    if sorted(original) != sorted(desired) or len(set(desired)) != len(desired):
        raise ValueError(
            f"ConvertLayout: {what} {desired!r} is not a permutation of the op's layout "
            f"{original!r}; only plain layouts (e.g. NCHW <-> NHWC) can be converted"
        )


def normalize_desired_layouts(desired_layouts):
    """``{op_name: [layouts...]}`` checked, with unknown op names dropped (warned)."""
    if not hasattr(desired_layouts, "items"):
        raise TypeError(
            "ConvertLayout: desired_layouts must map op names to lists of layouts, e.g. "
            f"{{'nn.conv2d': ['NHWC', 'default']}}; got {desired_layouts!r}"
        )
    settable = CONV_OPS + LAYOUT_ATTR_OPS
    result = {}
    for name, layouts in desired_layouts.items():
        name = str(name)
        if isinstance(layouts, str) or not hasattr(layouts, "__iter__"):
            raise TypeError(
                f"ConvertLayout: the layouts of {name!r} must be a list such as ['NHWC', "
                f"'default'], got {layouts!r}"
            )
        layouts = [str(layout) for layout in layouts]
        if name not in _op_registry.list_op_names():
            # upstream tvmc names qnn.conv2d even for float graphs: not an error.
            logger.warning("ConvertLayout: op %r is not registered in relay; ignored", name)
            continue
        if name not in settable:
            raise ValueError(
                f"ConvertLayout cannot set the layout of {name!r}; ops with a settable "
                f"layout: {', '.join(settable)} (the others follow their inputs)"
            )
        needed = 2 if name in CONV_OPS else 1
        if len(layouts) < needed:
            raise ValueError(
                f"ConvertLayout: {name} needs {needed} layout(s) (data, kernel), got {layouts}"
            )
        if layouts[0] == "default":
            raise ValueError(f"ConvertLayout: the data layout of {name} cannot be 'default'")
        result[name] = layouts
    return result


def default_kernel_layout(call, data_layout):
    """The kernel layout meant by ``"default"`` for ``call`` in ``data_layout`` (upstream's choices)."""
    name = call.op.name
    choice = DEFAULT_KERNEL.get(name, {}).get(data_layout)
    if choice is None:
        raise ValueError(
            f"ConvertLayout: no default kernel layout of {name} for data layout "
            f"{data_layout!r}; give one explicitly, e.g. [{data_layout!r}, 'HWIO']"
        )
    if name == "nn.conv2d" and data_layout == "NHWC" and is_depthwise_multiplier_one(call):
        # the depthwise NHWC computes take HWOI; with a channel multiplier of 1
        # the OIHW kernel [C, 1, kh, kw] permutes straight into it.
        choice = "HWOI"
    return choice


def _channels(expr, layout):
    return static_int(expr.checked_type.shape[layout.index("C")])


def is_depthwise(call):
    """A convolution with one group per input channel."""
    groups = int(call.attrs.groups)
    return groups > 1 and _channels(call.args[0], call.attrs.data_layout) == groups


def is_depthwise_multiplier_one(call):
    """A depthwise convolution with as many output channels as input channels."""
    out_layout = call.attrs.out_layout or call.attrs.data_layout
    return is_depthwise(call) and _channels(call, out_layout) == int(call.attrs.groups)


def as_tuple(value):
    """An axis attribute (an int or a sequence) as a tuple."""
    return (value,) if isinstance(value, int) else tuple(value)


def static_int(dim):
    """A dimension as an int, ``None`` when it is only known at run time."""
    try:
        return int(dim)
    except (TypeError, ValueError):
        return None
