"""0.8's ``tvm.lower`` / ``tvm.build`` forms, and a clear error for TE schedules.

A patch of :mod:`tvmfork.compat` (``legacy_lower_build``), kept in its own
module to keep that one readable.

0.8 scripts call ``tvm.lower(sch, args, simple_mode=True)`` and
``tvm.build(sch, args, target)`` where ``sch`` came from
``auto_scheduler.SearchTask.apply_best`` or ``te.create_schedule``. On this base
the auto-scheduler's schedules are TensorIR schedules (``tvm.s_tir.Schedule``,
which carry their module), so both calls can be honoured for them. TE schedules
do not exist on this base: ``te.create_schedule`` raises an error that says so
and what to use instead.
"""
import warnings

_NO_TE_SCHEDULES = (
    "TE schedules (te.create_schedule, te.Schedule) are not available on this base "
    "(apache-tvm 0.27 removed them). Schedule with TensorIR instead: "
    "tvm.s_tir.Schedule(te.create_prim_func([inputs..., outputs...])), or let the "
    "auto-scheduler (SearchTask.apply_best) or AutoTVM produce the schedule."
)


def _as_module(inputs, name, what):
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import s_tir  # pylint: disable=import-outside-toplevel

    if isinstance(inputs, s_tir.Schedule):
        return inputs.mod
    if isinstance(inputs, tvm.tirx.PrimFunc):
        return tvm.IRModule({name: inputs})
    if isinstance(inputs, tvm.IRModule):
        return inputs
    raise TypeError(f"{what}: got a {type(inputs).__name__}; it takes a tvm.s_tir.Schedule, a "
                    f"PrimFunc or an IRModule. {_NO_TE_SCHEDULES}")


def lower(inp, args=None, name="main", binds=None, simple_mode=False):
    """0.8's ``tvm.lower``: the ``IRModule`` of a TensorIR schedule, PrimFunc or module.

    ``args`` and ``binds`` (the TE form's buffers) are carried by the schedule
    already; ``simple_mode`` only shortened 0.8's printout.
    """
    del args, binds, simple_mode
    return _as_module(inp, name, "tvm.lower")


def make_build(base_build):
    """0.8's ``tvm.build(inputs, args, target, target_host, name, binds)`` on top of
    the base's ``build(mod, target, pipeline)``, accepting both forms."""
    import tvm  # pylint: disable=import-outside-toplevel

    def build(inputs, args=None, target=None, target_host=None, name="default_function",
              binds=None, pipeline="default"):
        """Build a TensorIR schedule, PrimFunc or IRModule (0.8's and the base's forms)."""
        del binds
        if isinstance(args, (str, dict, tvm.target.Target)):
            # the base's positional form build(mod, target[, pipeline])
            args, target, pipeline = None, args, pipeline if target is None else target
        mod = _as_module(inputs, "main", "tvm.build")
        del name  # the function keeps its name in the module ("main" for schedules)
        if target_host is not None:
            target = tvm.target.Target(target, host=target_host)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the base deprecates build for compile
            return base_build(mod, target, pipeline)

    build._tvmfork_patched = True
    build.__wrapped__ = base_build
    return build


def create_schedule(ops):
    """0.8's ``te.create_schedule``: not available on this base (raises)."""
    del ops
    raise NotImplementedError(_NO_TE_SCHEDULES)


def legacy_lower_build():
    """Install ``tvm.lower``, the 0.8 forms of ``tvm.build``, ``te.create_schedule``."""
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import te  # pylint: disable=import-outside-toplevel

    if getattr(tvm.build, "_tvmfork_patched", False):
        return
    tvm.build = make_build(tvm.build)
    tvm.lower = lower
    if not hasattr(te, "create_schedule"):
        te.create_schedule = create_schedule
