"""``tvmc compile``: build a model with Relay into a package."""
import contextlib
import logging
import time

from . import TVMCException
from .common import convert_graph_layout, parse_target, records_kind
from .package import export_package

logger = logging.getLogger("tvmc")


def apply_records(tuning_records):
    """The dispatch context of a tuning log: auto-scheduler or AutoTVM, detected from its records."""
    if not tuning_records:
        return contextlib.nullcontext(), None
    kind = records_kind(tuning_records)
    if kind == "auto_scheduler":
        from tvm import auto_scheduler  # pylint: disable=import-outside-toplevel

        return auto_scheduler.ApplyHistoryBest(tuning_records), kind
    from tvm import autotvm  # pylint: disable=import-outside-toplevel

    return autotvm.apply_history_best(tuning_records), kind


def compile_model(tvmc_model, target="llvm", tuning_records=None, desired_layout=None,
                  package_path=None, opt_level=3, disabled_pass=None):
    """Build ``tvmc_model`` (upstream's ``tvmc.compile``).

    Parameters
    ----------
    tvmc_model : TVMCModel
    target : str or Target
    tuning_records : str, optional
        An auto-scheduler or an AutoTVM log (told apart by their records).
    desired_layout : str, optional
        ``"NCHW"`` or ``"NHWC"``: convert the convolutions (and the ops that can
        follow them) to this data layout before building, with
        ``relay.transform.ConvertLayout``; the model's inputs and outputs keep
        their layout.
    package_path : str, optional
        Where to write the package tar.

    Returns
    -------
    GraphExecutorFactoryModule
        The result of ``relay.build``.
    """
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import relay  # pylint: disable=import-outside-toplevel

    mod = convert_graph_layout(tvmc_model.mod, desired_layout)
    target = parse_target(target) if not isinstance(target, tvm.target.Target) else target
    context, kind = apply_records(tuning_records)
    start = time.perf_counter()
    with context:
        with tvm.transform.PassContext(opt_level=opt_level, disabled_pass=disabled_pass or None):
            factory = relay.build(mod, target=target, params=tvmc_model.params)
    logger.info("built in %.1f s (%s)", time.perf_counter() - start,
                f"{kind} records {tuning_records}" if kind else "untuned")
    if package_path:
        export_package(factory, package_path)
    return factory


def add_compile_parser(subparsers):
    parser = subparsers.add_parser("compile", help="compile a model into a package")
    parser.set_defaults(func=drive_compile)
    parser.add_argument("FILE", help="the model (ONNX)")
    parser.add_argument("--model-format", choices=("onnx", "pytorch", "pb", "tflite", "keras"),
                        help="the model's format (default: from the file extension)")
    parser.add_argument("--target", default="llvm",
                        help='compilation target, e.g. "llvm" or "llvm -mcpu=core-avx2" (default llvm)')
    parser.add_argument("--tuning-records", metavar="PATH",
                        help="an auto-scheduler or AutoTVM tuning log to apply (detected from its records)")
    parser.add_argument("--desired-layout", choices=("NCHW", "NHWC"),
                        help="convert the convolutions (and the ops that can follow them) to this "
                             "data layout before compiling; inputs and outputs keep their layout")
    parser.add_argument("--input-shapes", metavar="SHAPES",
                        help='input shapes, e.g. "data:[1,3,224,224] mask:[1,10]"')
    parser.add_argument("--opt-level", type=int, default=3, help="Relay optimisation level (default 3)")
    parser.add_argument("--disabled-pass", default="", help="comma-separated Relay passes to disable")
    parser.add_argument("-o", "--output", default="module.tar", help="the package to write (default module.tar)")


def drive_compile(args):
    from .common import parse_shape_string  # pylint: disable=import-outside-toplevel
    from .frontends import load_model  # pylint: disable=import-outside-toplevel

    model = load_model(args.FILE, args.model_format, parse_shape_string(args.input_shapes))
    disabled = [p.strip() for p in args.disabled_pass.split(",") if p.strip()]
    compile_model(model, args.target, args.tuning_records, args.desired_layout, args.output, args.opt_level, disabled)
    print(f"compiled {args.FILE} to {args.output}")
    return 0
