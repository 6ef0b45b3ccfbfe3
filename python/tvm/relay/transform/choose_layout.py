"""ChooseLayout: the data layout ``relay.build`` gives convolutions on a target.

Upstream's x86 build rewrote convolutions into the blocked NCHWc layout with
AlterOpLayout at opt_level 3. The fork picks what measures fastest with its
own schedules instead: on x86 CPUs, NCHW 2-D convolutions are converted to
NHWC with :func:`~tvm.relay.transform.ConvertLayout` (activations converted
once at the model's boundary, kernels transformed at build time by
``FoldConstant``). Measured on a 2-core Sapphire Rapids (AVX-512), untuned,
NCHW against NHWC in one run: ResNet-50 338 / 265 ms, MobileNetV2 75 / 50 ms
(depthwise convolutions vectorise along contiguous channels), a UNet-like
model 114 / 106 ms, a ViT-like model equal (its one patch convolution). Only
``nn.conv2d`` is converted: ``conv2d_transpose`` in NHWC has no x86 schedule
here and made the UNet-like model 2x slower.

``auto_scheduler.extract_tasks`` and ``relay.build`` run the same pipeline
(:func:`tvm.relay.build_module.lower_program`), so tasks and builds see the same
converted graph and workload keys match by construction; Winograd and the layout
rewrite of the auto-scheduler then apply to NCHW models as to NHWC ones. Under
AutoTVM (``autotvm.task.extract_from_program`` and builds under
``autotvm.apply_history_best``) the model keeps its layout: AutoTVM's records
name their workload's layout (``conv2d_nchw.x86``), and records tuned for the
model as written keep applying. Disable it like any pass:
``PassContext(opt_level=3, disabled_pass=["ChooseLayout"])``.
"""
from tvm.ir.transform import PassInfo

from ..expr import Call
from .convert_layout import ConvertLayout
from .pass_infra import Pass
from ._utils import ensure_typed, op_name, post_order

__all__ = ["ChooseLayout", "preferred_conv2d_layout"]


def preferred_conv2d_layout(target):
    """The data layout the fork's schedules prefer for 2-D convolutions on ``target``
    (``"NHWC"`` on x86 CPUs), or None to keep the model's."""
    if target is None or target.kind.name != "llvm":
        return None
    keys = [str(k) for k in target.keys]
    mtriple = str(target.attrs.get("mtriple", "") or "")
    if "cpu" not in keys or (mtriple and not mtriple.startswith(("x86_64", "i686", "i386"))):
        return None
    return "NHWC"


def _has_conv2d_in(mod, layout):
    for _, func in mod.functions_items():
        if getattr(func, "is_primitive", False) or not hasattr(func, "body"):
            continue
        for node in post_order(func.body):
            if (isinstance(node, Call) and op_name(node) == "nn.conv2d"
                    and str(node.attrs.data_layout) != layout
                    and str(node.attrs.data_layout) in ("NCHW", "NHWC")):
                return True
    return False


def ChooseLayout(target):  # pylint: disable=invalid-name
    """Convert 2-D convolutions to the layout the schedules of ``target`` prefer.

    Parameters
    ----------
    target : tvm.target.Target or None
        The build's target (decided by ``relay.build`` and passed here); None
        or a non-x86 target leaves the module as it is.

    Returns
    -------
    tvm.transform.Pass
        A module pass at opt_level 3 named ``ChooseLayout``.
    """
    layout = preferred_conv2d_layout(target)

    def transform(mod, ctx):
        if layout is None:
            return mod
        mod = ensure_typed(mod)
        if not _has_conv2d_in(mod, layout):
            return mod
        return ConvertLayout({"nn.conv2d": [layout, "default"]})(mod)

    return Pass(PassInfo(3, "ChooseLayout", []), transform)
