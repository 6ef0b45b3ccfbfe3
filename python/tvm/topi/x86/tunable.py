"""AutoTVM templates of the x86 schedules.

Each template is a TOPI compute registered with
``autotvm.register_topi_compute`` (it defines the knobs on ``cfg``) and the
matching x86 schedule registered with ``autotvm.register_topi_schedule``
(it translates the chosen ``ConfigEntity`` into the schedule's knob dict).
Under a fallback config the schedule's own fallback (derived from the shape
and the target) is used unchanged.

===============================  ==============================================  ==========================
task name                        compute signature (without ``cfg``)             knobs
===============================  ==============================================  ==========================
``conv2d_nchw.x86``              ``(data, kernel, strides, padding, dilation,    tile_oc, tile_oh, tile_ow,
                                 out_dtype="float32")``                          unroll_kw, inline_pad
``conv2d_nhwc.x86``              same, NHWC data and HWIO kernel                 same
``conv3d_ncdhw.x86``             ``(data, kernel, strides, padding, dilation,    vector, tile_oc, tile_oh,
                                 out_dtype=None)``, NCDHW data, OIDHW kernel     tile_ow, unroll_kw,
                                                                                 inline_pad
``conv3d_ndhwc.x86``             same, NDHWC data and DHWIO kernel               pack_kernel, reduce_order,
                                                                                 tile_oc, tile_oh, tile_ow,
                                                                                 unroll_kw, inline_pad
``depthwise_conv2d_nchw.x86``    ``(data, kernel, strides, padding, dilation,    tile_c, tile_oh, tile_ow,
                                 out_dtype)``, NCHW data, ``(C, multiplier,      unroll_kw, inline_pad
                                 KH, KW)`` kernel or Relay's OIHW one,
                                 ``(C * multiplier, 1, KH, KW)``
``depthwise_conv2d_nhwc.x86``    same, NHWC data and HWOI kernel                 same
``conv2d_transpose_nchw.x86``    ``(data, kernel, strides, padding, out_dtype,   tile_oc, tile_ow,
                                 output_padding)``, NCHW data,                   unroll_kw, inline_pad
                                 ``(IC, OC, KH, KW)`` kernel
``dense_pack.x86``               ``(data, weight, bias=None, out_dtype=None)``   tile_y, tile_x, tile_k
``dense_nopack.x86``             same                                            tile_x, tile_k (+tile_y)
``batch_matmul.x86``             ``(tensor_a, tensor_b, out_shape=None,          plan, tile_y, tile_x,
                                 out_dtype=None, transpose_a=False,              tile_k
                                 transpose_b=True)``
===============================  ==============================================  ==========================

Schedule choices the x86 schedules do not expose as knobs (so they are not
tuned): the order of the reduction loops, the order of the outer tile loops,
which loops are parallelised/vectorised (always the fused outer tiles / the
innermost tile), and the unrolling of the inner tile loops.
"""
from tvm import autotvm, topi

from ..generic.schedule_utils import target_info
from . import conv2d as _conv2d
from . import conv2d_transpose as _conv2d_transpose
from . import conv3d as _conv3d
from . import depthwise_conv2d as _depthwise
from . import dense as _dense

__all__ = [
    "conv2d_nchw", "schedule_conv2d_nchw", "conv2d_nhwc", "schedule_conv2d_nhwc",
    "conv3d_ncdhw", "schedule_conv3d_ncdhw", "conv3d_ndhwc", "schedule_conv3d_ndhwc",
    "depthwise_conv2d_nchw", "schedule_depthwise_conv2d_nchw",
    "depthwise_conv2d_nhwc", "schedule_depthwise_conv2d_nhwc",
    "conv2d_transpose_nchw", "schedule_conv2d_transpose_nchw",
    "dense_pack", "schedule_dense_pack", "dense_nopack", "schedule_dense_nopack",
    "batch_matmul", "schedule_batch_matmul",
]


def _ints(shape):
    return [int(d) for d in shape]


def _pads(padding):
    """True when ``padding`` (an int, a list of ints or a TOPI string) pads something."""
    if isinstance(padding, str):
        return padding.upper() != "VALID"
    pads = [padding] if isinstance(padding, int) else list(padding)
    return any(int(p) for p in pads)


def _knobs(cfg, names, fixed=None):
    """The schedule's knob dict for ``cfg`` (None for a fallback config)."""
    if cfg.is_fallback:
        return None
    knobs = {name: cfg[name] for name in names if name in cfg}
    knobs.update(fixed or {})
    return knobs


# ------------------------------------------------------------------ conv2d

_CONV_KNOBS = ("tile_oc", "tile_oh", "tile_ow", "unroll_kw", "inline_pad")


def _define_register_tiles(cfg, oc, oh, ow, padding):
    """The knobs of the conv2d/conv3d register tile, in the order that fixes the
    config space's indices (logs record them): tile_oc, tile_oh, tile_ow,
    unroll_kw, inline_pad (only with padding)."""
    cfg.define_split("tile_oc", oc, num_outputs=2, filter=lambda e: e.size[-1] <= 32)
    cfg.define_split("tile_oh", oh, num_outputs=2, filter=lambda e: e.size[-1] <= 2)
    cfg.define_split("tile_ow", ow, num_outputs=2, filter=lambda e: e.size[-1] <= 32)
    cfg.define_knob("unroll_kw", [True, False])
    if _pads(padding):
        cfg.define_knob("inline_pad", [False, True])


def _define_conv_space(cfg, out, data, kernel, layout, padding):
    if layout == "NCHW":
        n, oc, oh, ow = _ints(out.shape)
        _, ic, _, _ = _ints(data.shape)
        _, _, kh, kw = _ints(kernel.shape)
    else:
        n, oh, ow, oc = _ints(out.shape)
        ic = _ints(data.shape)[3]
        kh, kw, _, _ = _ints(kernel.shape)
    _define_register_tiles(cfg, oc, oh, ow, padding)
    cfg.add_flop(2 * n * oc * oh * ow * ic * kh * kw)


@autotvm.register_topi_compute("conv2d_nchw.x86")
def conv2d_nchw(cfg, data, kernel, strides, padding, dilation, out_dtype="float32"):
    """conv2d in NCHW (OIHW kernel) with tunable register tiles."""
    out = topi.nn.conv2d_nchw(data, kernel, strides, padding, dilation, out_dtype)
    _define_conv_space(cfg, out, data, kernel, "NCHW", padding)
    return out


@autotvm.register_topi_schedule("conv2d_nchw.x86")
def schedule_conv2d_nchw(cfg, sch, outs):
    """``topi.x86.schedule_conv2d_nchw`` with the tuned tiles."""
    return _conv2d.schedule_conv2d_nchw(sch, outs, cfg=_knobs(cfg, _CONV_KNOBS))


@autotvm.register_topi_compute("conv2d_nhwc.x86")
def conv2d_nhwc(cfg, data, kernel, strides, padding, dilation, out_dtype="float32"):
    """conv2d in NHWC (HWIO kernel) with tunable register tiles."""
    out = topi.nn.conv2d_nhwc(data, kernel, strides, padding, dilation, out_dtype)
    _define_conv_space(cfg, out, data, kernel, "NHWC", padding)
    return out


@autotvm.register_topi_schedule("conv2d_nhwc.x86")
def schedule_conv2d_nhwc(cfg, sch, outs):
    """``topi.x86.schedule_conv2d_nhwc`` with the tuned tiles."""
    return _conv2d.schedule_conv2d_nhwc(sch, outs, cfg=_knobs(cfg, _CONV_KNOBS))


# ------------------------------------------------------------------ conv3d


def _define_conv3d_space(cfg, out, data, kernel, layout, padding):
    if layout == "NCDHW":
        n, oc, od, oh, ow = _ints(out.shape)
        ic = _ints(data.shape)[1]
        kd, kh, kw = _ints(kernel.shape)[2:]
        cfg.define_knob("vector", ["oc", "ow"])
    else:
        n, od, oh, ow, oc = _ints(out.shape)
        ic = _ints(data.shape)[4]
        kd, kh, kw = _ints(kernel.shape)[:3]
        cfg.define_knob("pack_kernel", [True, False])
        cfg.define_knob("reduce_order", ["dhwc", "cdhw"])
    _define_register_tiles(cfg, oc, oh, ow, padding)
    cfg.add_flop(2 * n * oc * od * oh * ow * ic * kd * kh * kw)


def _check_ranks(name, data, kernel, rank, layouts):
    """A clear error when a template is handed tensors of another rank."""
    if len(data.shape) != rank or len(kernel.shape) != rank:
        raise ValueError(f"{name}: data and kernel must be {rank}-d ({layouts}), got shapes "
                         f"{list(data.shape)} and {list(kernel.shape)}")


@autotvm.register_topi_compute("conv3d_ncdhw.x86")
def conv3d_ncdhw(cfg, data, kernel, strides, padding, dilation, out_dtype=None):
    """conv3d in NCDHW (OIDHW kernel, groups 1) with tunable register tiles."""
    _check_ranks("conv3d_ncdhw.x86", data, kernel, 5, "NCDHW data, OIDHW kernel")
    out = topi.nn.conv3d_ncdhw(data, kernel, strides, padding, dilation, 1, out_dtype)
    _define_conv3d_space(cfg, out, data, kernel, "NCDHW", padding)
    return out


@autotvm.register_topi_schedule("conv3d_ncdhw.x86")
def schedule_conv3d_ncdhw(cfg, sch, outs):
    """``topi.x86.schedule_conv3d_ncdhw`` with the tuned knobs."""
    return _conv3d.schedule_conv3d_ncdhw(sch, outs, cfg=_knobs(cfg, _conv3d.CONV3D_KNOBS))


@autotvm.register_topi_compute("conv3d_ndhwc.x86")
def conv3d_ndhwc(cfg, data, kernel, strides, padding, dilation, out_dtype=None):
    """conv3d in NDHWC (DHWIO kernel, groups 1) with tunable register tiles."""
    _check_ranks("conv3d_ndhwc.x86", data, kernel, 5, "NDHWC data, DHWIO kernel")
    out = topi.nn.conv3d_ndhwc(data, kernel, strides, padding, dilation, 1,
                               out_dtype if out_dtype is not None else data.dtype)
    _define_conv3d_space(cfg, out, data, kernel, "NDHWC", padding)
    return out


@autotvm.register_topi_schedule("conv3d_ndhwc.x86")
def schedule_conv3d_ndhwc(cfg, sch, outs):
    """``topi.x86.schedule_conv3d_ndhwc`` with the tuned knobs."""
    return _conv3d.schedule_conv3d_ndhwc(sch, outs, cfg=_knobs(cfg, _conv3d.CONV3D_KNOBS))


# ------------------------------------------------------- depthwise conv2d

_DEPTHWISE_KNOBS = ("tile_c", "tile_oh", "tile_ow", "unroll_kw", "inline_pad")


def _depthwise_kernel_nchw(data, kernel):
    """TOPI's ``(C, multiplier, KH, KW)`` kernel.

    Relay's depthwise OIHW weight is ``(C * multiplier, 1, KH, KW)``; both are
    the same array, and the same shape for a multiplier of 1. A kernel whose
    first axis is the input channels is taken as TOPI's.
    """
    in_c = _ints(data.shape)[1]
    out_c, mult, kh, kw = _ints(kernel.shape)
    if out_c != in_c and mult == 1 and out_c % in_c == 0:
        return topi.reshape(kernel, [in_c, out_c // in_c, kh, kw])
    return kernel


def _define_depthwise_space(cfg, out, kernel_hw, layout, padding):
    """Knobs of the depthwise schedules (see ``fallback_depthwise_conv2d_*_config``).

    NCHW vectorises the output columns (``tile_ow`` up to 32) and reuses each
    loaded input row for ``tile_oh`` rows of ``tile_c`` channels; NHWC
    vectorises the channels (``tile_c`` up to 64) over ``tile_ow`` columns.
    The limits keep the accumulators of a tile within the vector registers'
    reach (a few times more is spilled, not wrong).
    """
    if layout == "NCHW":
        n, c, oh, ow = _ints(out.shape)
        limits = {"tile_c": 4, "tile_oh": 4, "tile_ow": 32}
    else:
        n, oh, ow, c = _ints(out.shape)
        limits = {"tile_c": 64, "tile_oh": 2, "tile_ow": 8}
    for name, extent in (("tile_c", c), ("tile_oh", oh), ("tile_ow", ow)):
        cfg.define_split(name, extent, num_outputs=2,
                         filter=lambda e, _m=limits[name]: e.size[-1] <= _m)
    cfg.define_knob("unroll_kw", [True, False])
    if _pads(padding):
        cfg.define_knob("inline_pad", [False, True])
    cfg.add_flop(2 * n * c * oh * ow * kernel_hw[0] * kernel_hw[1])


@autotvm.register_topi_compute("depthwise_conv2d_nchw.x86")
def depthwise_conv2d_nchw(cfg, data, kernel, strides, padding, dilation, out_dtype=None):
    """Depthwise conv2d in NCHW with tunable register tiles (upstream 0.8's signature)."""
    _check_ranks("depthwise_conv2d_nchw.x86", data, kernel, 4, "NCHW data, OIHW kernel")
    kernel = _depthwise_kernel_nchw(data, kernel)
    out = topi.nn.depthwise_conv2d_nchw(data, kernel, strides, padding, dilation, out_dtype)
    _define_depthwise_space(cfg, out, _ints(kernel.shape)[2:], "NCHW", padding)
    return out


@autotvm.register_topi_schedule("depthwise_conv2d_nchw.x86")
def schedule_depthwise_conv2d_nchw(cfg, sch, outs):
    """``topi.x86.schedule_depthwise_conv2d_nchw`` with the tuned knobs."""
    return _depthwise.schedule_depthwise_conv2d_nchw(sch, outs, cfg=_knobs(cfg, _DEPTHWISE_KNOBS))


@autotvm.register_topi_compute("depthwise_conv2d_nhwc.x86")
def depthwise_conv2d_nhwc(cfg, data, kernel, strides, padding, dilation, out_dtype=None):
    """Depthwise conv2d in NHWC (HWOI kernel: ``(KH, KW, C, multiplier)``) with tunable tiles.

    Upstream 0.8 had no x86 template for this layout; the signature is the
    NCHW template's.
    """
    _check_ranks("depthwise_conv2d_nhwc.x86", data, kernel, 4, "NHWC data, HWOI kernel")
    out = topi.nn.depthwise_conv2d_nhwc(data, kernel, strides, padding, dilation, "HWOI", out_dtype)
    _define_depthwise_space(cfg, out, _ints(kernel.shape)[:2], "NHWC", padding)
    return out


@autotvm.register_topi_schedule("depthwise_conv2d_nhwc.x86")
def schedule_depthwise_conv2d_nhwc(cfg, sch, outs):
    """``topi.x86.schedule_depthwise_conv2d_nhwc`` with the tuned knobs."""
    return _depthwise.schedule_depthwise_conv2d_nhwc(sch, outs, cfg=_knobs(cfg, _DEPTHWISE_KNOBS))


# ------------------------------------------------------- conv2d_transpose

_CONV_TRANSPOSE_KNOBS = ("tile_oc", "tile_ow", "unroll_kw", "inline_pad")


@autotvm.register_topi_compute("conv2d_transpose_nchw.x86")
def conv2d_transpose_nchw(cfg, data, kernel, strides, padding, out_dtype, output_padding):
    """conv2d_transpose in NCHW (``(IC, OC, KH, KW)`` kernel) with tunable register tiles.

    The TOPI compute dilates and pads the input, then runs a stride-1
    convolution with the flipped kernel; the knobs tile that convolution.
    ``inline_pad`` (reading the dilated input through a select instead of a
    copy) is a knob only when the dilate/pad stage changes the shape. The
    FLOPs are those of the stride-1 convolution, as upstream counted them.
    """
    _check_ranks("conv2d_transpose_nchw.x86", data, kernel, 4, "NCHW data, IOHW kernel")
    out = topi.nn.conv2d_transpose_nchw(data, kernel, strides, padding, out_dtype, output_padding)
    n, oc, oh, ow = _ints(out.shape)
    ic = _ints(data.shape)[1]
    kh, kw = _ints(kernel.shape)[2:]
    cfg.define_split("tile_oc", oc, num_outputs=2, filter=lambda e: e.size[-1] <= 32)
    cfg.define_split("tile_ow", ow, num_outputs=2, filter=lambda e: e.size[-1] <= 32)
    cfg.define_knob("unroll_kw", [True, False])
    padded = out.op.input_tensors[0]
    if _ints(padded.shape) != _ints(data.shape):
        cfg.define_knob("inline_pad", [False, True])
    cfg.add_flop(2 * n * oc * oh * ow * ic * kh * kw)
    return out


@autotvm.register_topi_schedule("conv2d_transpose_nchw.x86")
def schedule_conv2d_transpose_nchw(cfg, sch, outs):
    """``topi.x86.schedule_conv2d_transpose_nchw`` with the tuned knobs."""
    return _conv2d_transpose.schedule_conv2d_transpose_nchw(
        sch, outs, cfg=_knobs(cfg, _CONV_TRANSPOSE_KNOBS))


# ------------------------------------------------------------------ dense

_DENSE_KNOBS = {"tile_y": "tile_m", "tile_x": "tile_n", "tile_k": "tile_k"}


def _dense_knobs(cfg, plan):
    if cfg.is_fallback:
        return None
    knobs = {ours: cfg[name] for name, ours in _DENSE_KNOBS.items() if name in cfg}
    knobs["plan"] = cfg["plan"].val if "plan" in cfg else plan
    return knobs


def _define_matmul_space(cfg, m, n, k, lanes, gemv):
    if gemv:
        cfg.define_split("tile_x", n, num_outputs=2, filter=lambda e: e.size[-1] <= 16)
        cfg.define_split("tile_k", k, num_outputs=2,
                         filter=lambda e: e.size[-1] % lanes == 0 and e.size[-1] <= 8 * lanes)
    else:
        cfg.define_split("tile_y", m, num_outputs=2, filter=lambda e: e.size[-1] <= 16)
        cfg.define_split("tile_x", n, num_outputs=2, filter=lambda e: e.size[-1] <= 64)
        cfg.define_split("tile_k", k, num_outputs=2, filter=lambda e: e.size[-1] <= 512)


def _dense_dims(data, weight):
    m, k = _ints(data.shape)
    n = _ints(weight.shape)[0]
    return m, n, k


@autotvm.register_topi_compute("dense_pack.x86")
def dense_pack(cfg, data, weight, bias=None, out_dtype=None):
    """dense with the weight packed into ``[N/tile_x, K, tile_x]`` blocks."""
    out = topi.nn.dense(data, weight, bias, out_dtype)
    m, n, k = _dense_dims(data, weight)
    lanes, _ = target_info()
    _define_matmul_space(cfg, m, n, k, lanes, gemv=False)
    cfg.add_flop(2 * m * n * k)
    return out


@autotvm.register_topi_schedule("dense_pack.x86")
def schedule_dense_pack(cfg, sch, outs):
    """``topi.x86.schedule_dense`` with the packed plan and the tuned tiles."""
    return _dense.schedule_dense(sch, outs, cfg=_dense_knobs(cfg, "packed"))


def _nopack_plan(k, lanes):
    return "gemv" if k % lanes == 0 else "direct"


@autotvm.register_topi_compute("dense_nopack.x86")
def dense_nopack(cfg, data, weight, bias=None, out_dtype=None):
    """dense without packing the weight.

    When ``K`` is a multiple of the vector width this is the ``gemv`` plan
    (each lane accumulates a slice of ``k``); otherwise the ``direct`` plan
    (tiles of ``tile_y x tile_x`` outputs reading the weight in place).
    """
    out = topi.nn.dense(data, weight, bias, out_dtype)
    m, n, k = _dense_dims(data, weight)
    lanes, _ = target_info()
    _define_matmul_space(cfg, m, n, k, lanes, gemv=_nopack_plan(k, lanes) == "gemv")
    cfg.add_flop(2 * m * n * k)
    return out


@autotvm.register_topi_schedule("dense_nopack.x86")
def schedule_dense_nopack(cfg, sch, outs):
    """``topi.x86.schedule_dense`` with the gemv/direct plan and the tuned tiles."""
    lanes, _ = target_info()
    k = None
    for tensor in outs:
        for op in _walk(tensor.op):
            if op.tag == "dense":
                k = int(op.reduce_axis[0].dom.extent)
    plan = _nopack_plan(k, lanes) if k is not None else "direct"
    return _dense.schedule_dense(sch, outs, cfg=_dense_knobs(cfg, plan))


def _walk(op, seen=None):
    seen = set() if seen is None else seen
    if op.__hash__() in seen:
        return
    seen.add(op.__hash__())
    yield op
    for tensor in getattr(op, "input_tensors", []):
        yield from _walk(tensor.op, seen)


# ------------------------------------------------------------ batch_matmul


@autotvm.register_topi_compute("batch_matmul.x86")
def batch_matmul(cfg, tensor_a, tensor_b, out_shape=None, out_dtype=None,
                 transpose_a=False, transpose_b=True):
    """batch_matmul with tunable register tiles and plan.

    ``plan`` is ``"packed"`` (B copied into column blocks) or ``"direct"``
    when B is read along ``k`` (``transpose_b``), ``"direct"`` only otherwise,
    and ``"gemv"`` is added for fewer than 16 rows.
    """
    out = topi.nn.batch_matmul(tensor_a, tensor_b, out_shape, out_dtype, transpose_a, transpose_b)
    _, m, n = _ints(out.shape)
    a_shape = _ints(tensor_a.shape)
    k = a_shape[1] if transpose_a else a_shape[2]
    lanes, _ = target_info()
    plans = ["packed", "direct"] if transpose_b else ["direct"]
    if transpose_b and m < _dense.GEMV_MAX_ROWS and k % lanes == 0:
        plans.append("gemv")
    cfg.define_knob("plan", plans)
    cfg.define_split("tile_y", m, num_outputs=2, filter=lambda e: e.size[-1] <= 16)
    cfg.define_split("tile_x", n, num_outputs=2, filter=lambda e: e.size[-1] <= 64)
    cfg.define_split("tile_k", k, num_outputs=2,
                     filter=lambda e: e.size[-1] <= 512)
    cfg.add_flop(2 * _ints(out.shape)[0] * m * n * k)
    return out


@autotvm.register_topi_schedule("batch_matmul.x86")
def schedule_batch_matmul(cfg, sch, outs):
    """``topi.x86.schedule_batch_matmul`` with the tuned plan and tiles."""
    knobs = _dense_knobs(cfg, "packed")
    if knobs is not None and knobs["plan"] == "gemv":
        lanes, _ = target_info()
        tile_k = knobs.get("tile_k")
        size = tile_k.size[-1] if hasattr(tile_k, "size") else tile_k
        if size % lanes:
            cfg.raise_error(f"gemv plan needs tile_k ({size}) to be a multiple of {lanes} lanes")
        knobs["tile_m"] = 1
    return _dense.schedule_batch_matmul(sch, outs, cfg=knobs)
