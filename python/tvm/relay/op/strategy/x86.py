"""Op strategies for ``cpu`` targets (x86): TOPI computes + ``tvm.topi.x86`` schedules.

conv2d (NCHW/OIHW, NHWC/HWIO), depthwise conv2d (NCHW/OIHW, NHWC/HWOI), conv3d
(NCDHW/OIDHW, NDHWC/DHWIO), conv2d_transpose (NCHW), dense and batch_matmul
declare the AutoTVM templates of ``tvm.topi.x86.tunable``
(``template_args``): when AutoTVM is plugged into the compile engine,
``autotvm.task.extract_from_program`` finds them and
``autotvm.apply_history_best`` configures them, as upstream's x86 strategies
did; otherwise (and under a fallback config) they are the plain TOPI compute
with the schedule's target-derived fallback. For every other op the compute is
its registered ``FTVMCompute`` (which picks the TOPI compute by layout and
groups) and this module picks the matching x86 schedule. Ops not listed here
use the generic strategy of their fusion pattern
(``topi.generic.schedule_injective`` / ``schedule_reduce`` / ``default_schedule``).
"""
from .. import op as _op
from .generic import registered_compute, topi_schedule
from .strategy import OpStrategy, TargetDispatch


def _const(dim):
    return int(dim.value) if hasattr(dim, "value") else (int(dim) if isinstance(dim, int) else None)


def _strategy(op_name, schedule, impl_name, plevel=10):
    strategy = OpStrategy()
    strategy.add_implementation(
        registered_compute(_op.get(op_name)), schedule, name=impl_name, plevel=plevel
    )
    return strategy


def _x86(func_name):
    return topi_schedule("x86", func_name)


def _register(op_name, cpu_strategy):
    """Register ``cpu_strategy(attrs, inputs, out_type, target)`` for ``cpu`` targets."""
    dispatch = TargetDispatch(f"{op_name}_strategy")
    dispatch.register("cpu")(cpu_strategy)
    _op.register_strategy(op_name, dispatch)
    return dispatch


def _template(topi_compute, schedule, template_args):
    """An implementation that is also the AutoTVM template of its name.

    The plain compute is ``topi.nn.<topi_compute>(*template_args(...))`` and the
    plain schedule ``topi.x86.<schedule>(sch, outs)`` with the schedule's own
    target-derived fallback: exactly the template under a fallback config. When
    AutoTVM is plugged into the compile engine it runs the template
    (``tvm.topi.x86.tunable``) with the same arguments instead, so a plain build
    never imports AutoTVM.
    """

    def fcompute(attrs, inputs, out_type):
        from tvm import topi  # pylint: disable=import-outside-toplevel

        return [getattr(topi.nn, topi_compute)(*template_args(attrs, inputs, out_type))]

    return {"compute": fcompute, "schedule": _x86(schedule), "template_args": template_args}


def _conv2d_args(attrs, inputs, out_type):
    return (inputs[0], inputs[1], attrs.strides, attrs.padding, attrs.dilation, out_type.dtype)


def _dense_args(attrs, inputs, out_type):  # pylint: disable=unused-argument
    return (inputs[0], inputs[1], None, out_type.dtype)


def _batch_matmul_args(attrs, inputs, out_type):
    return (inputs[0], inputs[1], None, out_type.dtype, attrs.transpose_a, attrs.transpose_b)


def _winograd_for_auto_scheduler(attrs, inputs, mode):
    """Offer Winograd for a float32 NHWC 3x3 stride-1 conv2d when lowering for the auto-scheduler.

    As upstream's x86 strategy did, but chosen by cost: task extraction
    records both the Winograd DAG (the kernel transform moved to build time)
    and the direct convolution, and a tuned build uses Winograd only where its
    best record (searched, or its measured TOPI schedule) beats the direct
    convolution's. Measured here, the TOPI Winograd schedule is slower than
    the direct one on most ResNet layers. Plain and AutoTVM builds (TOPI mode)
    keep direct convolution.
    """
    from tvm.topi.x86.conv2d_winograd import winograd_applicable  # pylint: disable=import-outside-toplevel

    return (mode is not None and mode.uses_auto_scheduler
            and str(inputs[0].dtype) == "float32" and str(inputs[1].dtype) == "float32"
            and winograd_applicable(inputs[0].shape, inputs[1].shape, attrs.strides, attrs.dilation,
                                    attrs.groups))


def _winograd_nhwc_compute(attrs, inputs, out_type):
    from tvm.topi.x86.conv2d_winograd import conv2d_winograd_nhwc  # pylint: disable=import-outside-toplevel

    return [conv2d_winograd_nhwc(inputs[0], inputs[1], attrs.strides, attrs.padding, attrs.dilation,
                                 out_type.dtype)]


def _winograd_nhwc_schedule(attrs, sch, outs, target):  # pylint: disable=unused-argument
    from tvm.topi.x86.conv2d_winograd import schedule_conv2d_winograd_nhwc  # pylint: disable=import-outside-toplevel

    return schedule_conv2d_winograd_nhwc(sch, outs)


def _depthwise_template(layout):
    """As :func:`_template` for ``depthwise_conv2d_<layout>.x86`` (NCHW/OIHW or NHWC/HWOI).

    The plain compute is the template's: Relay's depthwise OIHW weight
    ``(C * multiplier, 1, KH, KW)`` is viewed as TOPI's ``(C, multiplier, KH,
    KW)``, and the NHWC kernel layout is HWOI.
    """

    def fcompute(attrs, inputs, out_type):
        from tvm import topi  # pylint: disable=import-outside-toplevel

        data, kernel, strides, padding, dilation, dtype = _conv2d_args(attrs, inputs, out_type)
        if layout == "nhwc":
            return [topi.nn.depthwise_conv2d_nhwc(data, kernel, strides, padding, dilation, "HWOI", dtype)]
        in_c = _const(data.shape[1])
        out_c, mult, kh, kw = (_const(d) for d in kernel.shape)
        if out_c != in_c and mult == 1:
            kernel = topi.reshape(kernel, [in_c, out_c // in_c, kh, kw])
        return [topi.nn.depthwise_conv2d_nchw(data, kernel, strides, padding, dilation, dtype)]

    return {"compute": fcompute, "schedule": _x86(f"schedule_depthwise_conv2d_{layout}"),
            "template_args": _conv2d_args}


def _int8_dot_product(inputs, out_type, target, mode):
    """Use the u8 x s8 -> s32 dot-product convolution (``topi.x86.conv2d_int8``)?

    For uint8 or int8 data, int8 kernel and int32 output on a target with
    SSSE3 or better (``pmaddubsw``; AVX2, AVX-512 and VNNI widen it), as TVM
    0.8's x86 strategy chose its NCHWc int8 convolution. int8 data is shifted
    to uint8 inside that compute (0.8 legalized it the same way). uint8
    kernels have no such instruction and keep the plain convolution, as do
    builds for the auto-scheduler (its sketches do not tensorize).
    """
    if mode is not None and getattr(mode, "uses_auto_scheduler", False):
        return False
    from tvm.topi.x86.conv2d_int8 import conv2d_int8_applicable  # pylint: disable=import-outside-toplevel

    return conv2d_int8_applicable(inputs[0].dtype, inputs[1].dtype, out_type.dtype, target)


def _conv2d_int8_compute(data_layout):
    def fcompute(attrs, inputs, out_type):
        from tvm.topi.x86.conv2d_int8 import conv2d_int8  # pylint: disable=import-outside-toplevel
        from tvm.topi.x86.tensor_intrin import dot_intrin_lanes, select_dot_intrin  # pylint: disable=import-outside-toplevel

        lanes = dot_intrin_lanes(select_dot_intrin())
        return [conv2d_int8(inputs[0], inputs[1], attrs.strides, attrs.padding, attrs.dilation,
                            data_layout, out_type.dtype, lanes)]

    return fcompute


def _conv2d_int8_schedule(attrs, sch, outs, target):  # pylint: disable=unused-argument
    from tvm.topi.x86.conv2d_int8 import schedule_conv2d_int8  # pylint: disable=import-outside-toplevel
    from tvm.topi.x86.tensor_intrin import select_dot_intrin  # pylint: disable=import-outside-toplevel

    return schedule_conv2d_int8(sch, outs, select_dot_intrin(target))


def conv2d_strategy_cpu(attrs, inputs, out_type, target, mode=None):  # pylint: disable=unused-argument
    """conv2d: direct NCHW/NHWC (AutoTVM templates), Winograd NHWC when ``mode`` lowers for
    the auto-scheduler, depthwise and grouped convolutions."""
    data_layout = attrs.data_layout
    groups = attrs.groups
    in_channels = _const(inputs[0].shape[data_layout.index("C")]) if "C" in data_layout else None
    layout = data_layout.lower()
    standard = {"NCHW": "OIHW", "NHWC": "HWIO"}
    if (
        groups == 1
        and standard.get(data_layout) == attrs.kernel_layout
        and attrs.get("out_layout", "") in ("", data_layout)
    ):
        if _int8_dot_product(inputs, out_type, target, mode):
            strategy = OpStrategy()
            strategy.add_implementation(_conv2d_int8_compute(data_layout), _conv2d_int8_schedule,
                                        name="conv2d_int8.x86", plevel=15)
            return strategy
        strategy = OpStrategy()
        strategy.add_implementation(
            **_template(f"conv2d_{layout}", f"schedule_conv2d_{layout}", _conv2d_args),
            name=f"conv2d_{layout}.x86",
        )
        if data_layout == "NHWC" and _winograd_for_auto_scheduler(attrs, inputs, mode):
            strategy.add_implementation(_winograd_nhwc_compute, _winograd_nhwc_schedule,
                                        name="conv2d_nhwc.winograd", plevel=15, chosen_by_cost=True)
        return strategy
    if groups == 1:
        if data_layout in ("NCHW", "NHWC"):
            name = f"conv2d_{layout}"
            return _strategy("nn.conv2d", _x86(f"schedule_{name}"), f"{name}.x86")
        return _strategy("nn.conv2d", topi_schedule("generic", "default_schedule"), "conv2d.generic")
    # the depthwise computes (and schedules) take NCHW/OIHW and NHWC/HWOI kernels; a
    # depthwise NHWC/HWIO convolution is computed (and scheduled) as a grouped one
    if in_channels == groups and (data_layout, attrs.kernel_layout) in (("NCHW", "OIHW"),
                                                                       ("NHWC", "HWOI")):
        name = f"depthwise_conv2d_{layout}"
        if attrs.get("out_layout", "") in ("", data_layout):
            strategy = OpStrategy()
            strategy.add_implementation(**_depthwise_template(layout), name=f"{name}.x86")
            return strategy
        return _strategy("nn.conv2d", _x86(f"schedule_{name}"), f"{name}.x86")
    if data_layout in ("NCHW", "NHWC"):
        name = f"group_conv2d_{layout}"
        return _strategy("nn.conv2d", _x86(f"schedule_{name}"), f"{name}.x86")
    return _strategy("nn.conv2d", topi_schedule("generic", "default_schedule"), "conv2d.generic")


def _conv3d_args(attrs, inputs, out_type):
    return (inputs[0], inputs[1], attrs.strides, attrs.padding, attrs.dilation, out_type.dtype)


def _conv3d_template(layout):
    """As :func:`_template` for ``conv3d_<layout>.x86`` (the TOPI compute takes a
    ``groups`` argument that the template's signature, upstream's, does not)."""
    name = f"conv3d_{layout}"

    def fcompute(attrs, inputs, out_type):
        from tvm import topi  # pylint: disable=import-outside-toplevel

        data, kernel, strides, padding, dilation, dtype = _conv3d_args(attrs, inputs, out_type)
        return [getattr(topi.nn, name)(data, kernel, strides, padding, dilation, 1, dtype)]

    return {"compute": fcompute, "schedule": _x86(f"schedule_{name}"), "template_args": _conv3d_args}


def conv3d_strategy_cpu(attrs, inputs, out_type, target):  # pylint: disable=unused-argument
    """conv3d in NCDHW/OIDHW or NDHWC/DHWIO (AutoTVM templates ``conv3d_ncdhw.x86`` /
    ``conv3d_ndhwc.x86``), other layouts and grouped convolutions untuned."""
    layout = attrs.data_layout
    standard = {"NCDHW": "OIDHW", "NDHWC": "DHWIO"}
    if (
        attrs.groups == 1
        and standard.get(layout) == attrs.kernel_layout
        and attrs.get("out_layout", "") in ("", layout)
    ):
        strategy = OpStrategy()
        strategy.add_implementation(**_conv3d_template(layout.lower()), name=f"conv3d_{layout.lower()}.x86")
        return strategy
    if attrs.groups == 1 and layout in ("NCDHW", "NDHWC"):
        name = f"conv3d_{layout.lower()}"
        return _strategy("nn.conv3d", _x86(f"schedule_{name}"), f"{name}.x86")
    return _strategy("nn.conv3d", topi_schedule("generic", "default_schedule"), "conv3d.generic")


def _conv2d_transpose_args(attrs, inputs, out_type):
    return (inputs[0], inputs[1], attrs.strides, attrs.padding, out_type.dtype, attrs.output_padding)


def conv2d_transpose_strategy_cpu(attrs, inputs, out_type, target):  # pylint: disable=unused-argument
    """conv2d_transpose in NCHW: the AutoTVM template ``conv2d_transpose_nchw.x86`` when the
    weight is ``(IC, OC, KH, KW)`` (kernel layout IOHW, the default), groups and dilation 1
    and the output NCHW; other NCHW cases untuned."""
    if (
        attrs.data_layout == "NCHW"
        and attrs.groups == 1
        and attrs.kernel_layout == "IOHW"
        and all(_const(d) == 1 for d in attrs.dilation)
        and attrs.get("out_layout", "") in ("", "NCHW")
    ):
        strategy = OpStrategy()
        strategy.add_implementation(
            **_template("conv2d_transpose_nchw", "schedule_conv2d_transpose_nchw", _conv2d_transpose_args),
            name="conv2d_transpose_nchw.x86",
        )
        return strategy
    if attrs.data_layout == "NCHW" and attrs.groups == 1:
        return _strategy(
            "nn.conv2d_transpose", _x86("schedule_conv2d_transpose_nchw"), "conv2d_transpose_nchw.x86"
        )
    return _strategy(
        "nn.conv2d_transpose", topi_schedule("generic", "default_schedule"), "conv2d_transpose.generic"
    )


def dense_strategy_cpu(attrs, inputs, out_type, target):  # pylint: disable=unused-argument
    """dense: the nopack template (plevel 10) and the packed one (plevel 5), as
    upstream; AutoTVM picks the better tuned one. N-d data keeps the generic compute."""
    if len(inputs[0].shape) != 2:
        return _strategy("nn.dense", _x86("schedule_dense"), "dense.x86")
    strategy = OpStrategy()
    for name, plevel in (("dense_nopack", 10), ("dense_pack", 5)):
        # under a fallback config both templates are schedule_dense choosing its own plan
        strategy.add_implementation(**_template("dense", "schedule_dense", _dense_args),
                                    name=f"{name}.x86", plevel=plevel)
    return strategy


def batch_matmul_strategy_cpu(attrs, inputs, out_type, target):  # pylint: disable=unused-argument
    """batch_matmul with the AutoTVM template."""
    strategy = OpStrategy()
    strategy.add_implementation(
        **_template("batch_matmul", "schedule_batch_matmul", _batch_matmul_args), name="batch_matmul.x86"
    )
    return strategy


def _pool_strategy(op_name):
    def strategy(attrs, inputs, out_type, target):  # pylint: disable=unused-argument
        layout = attrs.get("layout", "NCHW")

        def fschedule(attrs_, sch, outs, target_):  # pylint: disable=unused-argument
            from tvm.topi import x86  # pylint: disable=import-outside-toplevel

            return x86.schedule_pool(sch, outs, layout=layout)

        return _strategy(op_name, fschedule, f"{op_name.split('.')[-1]}.x86")

    return strategy


def _simple(op_name, schedule_name):
    def strategy(attrs, inputs, out_type, target):  # pylint: disable=unused-argument
        return _strategy(op_name, _x86(schedule_name), f"{op_name.split('.')[-1]}.x86")

    return strategy


def register_cpu_strategies():
    """Register every x86 strategy (idempotent)."""
    _register("nn.conv2d", conv2d_strategy_cpu)
    _register("nn.conv3d", conv3d_strategy_cpu)
    _register("nn.conv2d_transpose", conv2d_transpose_strategy_cpu)
    _register("nn.dense", dense_strategy_cpu)
    _register("nn.matmul", _simple("nn.matmul", "schedule_dense"))
    _register("nn.batch_matmul", batch_matmul_strategy_cpu)
    for name in ("nn.max_pool1d", "nn.max_pool2d", "nn.max_pool3d",
                 "nn.avg_pool1d", "nn.avg_pool2d", "nn.avg_pool3d"):
        _register(name, _pool_strategy(name))
    for name in ("nn.global_avg_pool2d", "nn.global_max_pool2d"):
        _register(name, _simple(name, "schedule_global_pool"))
    for name in ("nn.adaptive_avg_pool2d", "nn.adaptive_max_pool2d",
                 "nn.adaptive_avg_pool3d", "nn.adaptive_max_pool3d"):
        _register(name, _simple(name, "schedule_adaptive_pool"))
    _register("nn.softmax", _simple("nn.softmax", "schedule_softmax"))
    _register("nn.log_softmax", _simple("nn.log_softmax", "schedule_log_softmax"))
    _register("nn.layer_norm", _simple("nn.layer_norm", "schedule_layer_norm"))
    _register("concatenate", _simple("concatenate", "schedule_concatenate"))
    for name in ("sum", "mean", "max", "min", "prod", "argmax", "argmin", "all", "any"):
        _register(name, _simple(name, "schedule_reduce"))


register_cpu_strategies()
