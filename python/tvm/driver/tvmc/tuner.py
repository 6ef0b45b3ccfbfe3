"""``tvmc tune``: tune a model with the auto-scheduler or AutoTVM, writing a log."""
import logging
import os
import time

from . import TVMCException
from .common import parse_target, tracker_host_port

logger = logging.getLogger("tvmc")


def _auto_scheduler_runner(args):
    from tvm import auto_scheduler  # pylint: disable=import-outside-toplevel

    kwargs = {"number": args.number, "repeat": args.repeat, "min_repeat_ms": args.min_repeat_ms,
              "timeout": args.timeout}
    if args.rpc_tracker:
        host, port = tracker_host_port(args.rpc_tracker)
        if not args.rpc_key:
            raise TVMCException("--rpc-tracker needs --rpc-key (the device key registered at the tracker)")
        return auto_scheduler.RPCRunner(args.rpc_key, host, port, n_parallel=args.parallel, **kwargs)
    # weights flushed from the caches before each timed run: inside a network they are cold
    return auto_scheduler.LocalRunner(enable_cpu_cache_flush=True, **kwargs)


def tune_auto_scheduler(model, target, args):
    """Extract the auto-scheduler's tasks and tune them with the TaskScheduler."""
    from tvm import auto_scheduler  # pylint: disable=import-outside-toplevel

    tasks, weights = auto_scheduler.extract_tasks(model.mod, model.params, target)
    if not tasks:
        raise TVMCException("the model has no task to tune")
    print(f"extracted {len(tasks)} auto-scheduler tasks")
    resume = args.tuning_records if args.tuning_records and os.path.isfile(args.tuning_records) else None
    callbacks = [auto_scheduler.task_scheduler.PrintTableInfo()]
    if args.log_estimated_latency:
        callbacks.append(auto_scheduler.task_scheduler.LogEstimatedLatency("total_latency.tsv"))
    scheduler = auto_scheduler.TaskScheduler(tasks, weights, load_log_file=resume, callbacks=callbacks,
                                             measure_baselines=not args.no_baselines)
    options = auto_scheduler.TuningOptions(
        num_measure_trials=args.trials,
        early_stopping=args.early_stopping,
        runner=_auto_scheduler_runner(args),
        builder=auto_scheduler.LocalBuilder(timeout=args.timeout, n_parallel=args.parallel),
        measure_callbacks=[auto_scheduler.RecordToFile(args.output)],
        verbose=args.verbose,
    )
    params = None
    if args.trials < 16 * len(tasks):  # a smoke budget: the small evolutionary search
        params = {"evolutionary_search_population": 128, "evolutionary_search_num_iters": 2}
    scheduler.tune(options, search_policy_params=params)
    return scheduler


def tune_autotvm(model, target, args):
    """Extract the AutoTVM tasks and tune each with the XGBoost tuner (budget split evenly)."""
    from tvm import autotvm  # pylint: disable=import-outside-toplevel

    tasks = autotvm.task.extract_from_program(model.mod, model.params, target)
    if not tasks:
        raise TVMCException("the model has no AutoTVM template to tune")
    print(f"extracted {len(tasks)} AutoTVM tasks")
    if args.rpc_tracker:
        host, port = tracker_host_port(args.rpc_tracker)
        if not args.rpc_key:
            raise TVMCException("--rpc-tracker needs --rpc-key (the device key registered at the tracker)")
        runner = autotvm.RPCRunner(args.rpc_key, host, port, number=args.number, repeat=args.repeat,
                                   min_repeat_ms=args.min_repeat_ms, timeout=args.timeout)
    else:
        runner = autotvm.LocalRunner(number=args.number, repeat=args.repeat,
                                     min_repeat_ms=args.min_repeat_ms, timeout=args.timeout)
    option = autotvm.measure_option(builder=autotvm.LocalBuilder(timeout=args.timeout, n_parallel=args.parallel),
                                    runner=runner)
    per_task = max(1, args.trials // len(tasks))
    tuners = {"xgb": "XGBTuner", "ga": "GATuner", "random": "RandomTuner", "gridsearch": "GridSearchTuner"}
    for i, task in enumerate(tasks):
        cls = getattr(autotvm.tuner, tuners[args.tuner])
        tuner = cls(task)
        if args.tuning_records and os.path.isfile(args.tuning_records) and hasattr(tuner, "load_history"):
            tuner.load_history(autotvm.record.load_from_file(args.tuning_records))
        n_trial = min(per_task, len(task.config_space))
        callbacks = [autotvm.callback.log_to_file(args.output)]
        if args.verbose >= 1:
            callbacks.append(autotvm.callback.progress_bar(n_trial, prefix=f"[task {i + 1}/{len(tasks)}] "))
        tuner.tune(n_trial=n_trial, early_stopping=args.early_stopping, measure_option=option,
                   callbacks=callbacks)
    return tasks


def add_tune_parser(subparsers):
    parser = subparsers.add_parser("tune", help="auto-tune a model, writing a tuning log")
    parser.set_defaults(func=drive_tune)
    parser.add_argument("FILE", help="the model (ONNX)")
    parser.add_argument("--model-format", choices=("onnx", "pytorch", "pb", "tflite", "keras"))
    parser.add_argument("--target", default="llvm", help='compilation target (default "llvm")')
    parser.add_argument("-o", "--output", required=True, help="the tuning log to write (appended to)")
    parser.add_argument("--enable-autoscheduler", action="store_true",
                        help="tune with the auto-scheduler (Ansor) instead of AutoTVM")
    parser.add_argument("--trials", type=int, default=1000,
                        help="measurement trials over all tasks (default 1000); with the auto-scheduler "
                             "the TOPI baselines count too")
    parser.add_argument("--early-stopping", type=int, default=None,
                        help="stop after this many trials without improvement")
    parser.add_argument("--tuning-records", metavar="PATH", help="a previous log to resume from")
    parser.add_argument("--input-shapes", metavar="SHAPES", help='e.g. "data:[1,3,224,224]"')
    parser.add_argument("--desired-layout", choices=("NCHW", "NHWC"),
                        help="convert the convolutions (and the ops that can follow them) to this "
                             "data layout before extracting the tasks; compile with the same "
                             "--desired-layout so that the records match")
    parser.add_argument("--rpc-tracker", metavar="HOST:PORT", help="measure on devices of this RPC tracker")
    parser.add_argument("--rpc-key", help="the RPC device key (with --rpc-tracker)")
    parser.add_argument("--number", type=int, default=1, help="runs averaged per measurement (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per candidate (default 3)")
    parser.add_argument("--min-repeat-ms", type=int, default=0, help="minimum time of one measurement")
    parser.add_argument("--parallel", type=int, default=2, help="parallel builds (default 2)")
    parser.add_argument("--timeout", type=int, default=10, help="build/run timeout in seconds (default 10)")
    parser.add_argument("--tuner", default="xgb", choices=("xgb", "ga", "random", "gridsearch"),
                        help="AutoTVM tuner (default xgb)")
    parser.add_argument("--no-baselines", action="store_true",
                        help="auto-scheduler: do not measure each task's TOPI schedule first")
    parser.add_argument("--log-estimated-latency", action="store_true",
                        help="auto-scheduler: append the estimated latency to total_latency.tsv")
    parser.add_argument("--report", metavar="HTML", help="auto-scheduler: write a static HTML tuning report")
    parser.add_argument("-v", "--verbose", type=int, default=1, choices=(0, 1, 2),
                        help="0 silent, 1 progress bar and task tables (default), 2 more")


def drive_tune(args):
    from .common import parse_shape_string  # pylint: disable=import-outside-toplevel
    from .common import convert_graph_layout  # pylint: disable=import-outside-toplevel
    from .frontends import load_model  # pylint: disable=import-outside-toplevel

    if args.trials <= 0:
        raise TVMCException("--trials must be positive")
    if args.rpc_tracker and not args.rpc_key:
        raise TVMCException("--rpc-tracker needs --rpc-key (the device key registered at the tracker)")
    if args.report and not args.enable_autoscheduler:
        raise TVMCException("--report is written for auto-scheduler tuning (add --enable-autoscheduler)")
    model = load_model(args.FILE, args.model_format, parse_shape_string(args.input_shapes))
    # converted once, before task extraction: the tasks, the latency report's
    # builds and a later `tvmc compile --desired-layout` see the same graph
    model.mod = convert_graph_layout(model.mod, args.desired_layout)
    target = parse_target(args.target)
    start = time.perf_counter()
    if args.enable_autoscheduler:
        scheduler = tune_auto_scheduler(model, target, args)
        print(f"tuned {scheduler.ct} trials in {time.perf_counter() - start:.0f} s; log {args.output}")
        if args.report:
            from tvm.auto_scheduler.tuning_report import TuningReport  # pylint: disable=import-outside-toplevel

            report = TuningReport.from_scheduler(
                scheduler, title=f"Tuning report: {model.name}",
                info={"model": args.FILE, "target": str(target), "log": args.output, "trials": args.trials})
            report.latencies_ms = _measure_latencies(model, target, args.output)
            report.write(args.report)
            print(f"report written to {args.report}")
    else:
        tune_autotvm(model, target, args)
        print(f"tuned in {time.perf_counter() - start:.0f} s; log {args.output}")
    return 0


def _measure_latencies(model, target, log):
    """Untuned and tuned latency (ms, median of interleaved rounds), and ONNX Runtime's if available."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import auto_scheduler, relay  # pylint: disable=import-outside-toplevel
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel
    from tvm.contrib.interleaved_timing import interleaved_median_ms  # pylint: disable=import-outside-toplevel

    from .runner import make_inputs  # pylint: disable=import-outside-toplevel

    dtypes = {p.name_hint: p.type_annotation.dtype for p in model.mod["main"].params
              if p.type_annotation is not None}
    inputs = make_inputs(model.input_shapes, {n: dtypes.get(n, "float32") for n in model.input_shapes})

    def build(context):
        with context:
            with tvm.transform.PassContext(opt_level=3):
                lib = relay.build(model.mod, target=target, params=model.params)
        module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
        module.set_input(**inputs)
        module.run()
        return module.run

    import contextlib  # pylint: disable=import-outside-toplevel

    runs = {"untuned": build(contextlib.nullcontext()), "tuned": build(auto_scheduler.ApplyHistoryBest(log))}
    try:
        import onnxruntime as ort  # pylint: disable=import-outside-toplevel

        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        session = ort.InferenceSession(model.path, options, providers=["CPUExecutionProvider"]) \
            if getattr(model, "path", None) else None
        if session is not None:
            runs["onnxruntime"] = lambda: session.run(None, inputs)
    except ImportError:
        pass
    latencies = interleaved_median_ms(list(runs.values()), 5)
    del np
    return dict(zip(runs, latencies))
