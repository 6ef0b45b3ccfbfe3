"""Auto-schedule a whole network for x86 CPU, end to end.

The fork's counterpart of upstream's "Auto-scheduling a Neural Network for x86
CPU" tutorial:

1. take a network from ``relay.testing`` built in ``--layout`` (or an ONNX
   file, converted to ``--layout`` by ``relay.transform.ConvertLayout`` right
   after import when the option is given, so that task extraction and both
   builds see the same graph),
2. extract the auto-scheduler's tasks (``auto_scheduler.extract_tasks``),
3. tune them with the ``TaskScheduler`` (resuming from ``--log-file`` if it
   exists: measured states are not measured again); it first measures each
   task's TOPI schedule (``measure_baselines``), so a task whose search has
   not beaten it keeps its TOPI kernel,
4. build under ``auto_scheduler.ApplyHistoryBest(log)`` (``relay.build`` turns
   ``use_topi_schedule`` off by itself) and, for comparison, without it,
5. check the tuned output against the untuned build and print both latencies.

The budget is ``--minutes`` (default 3) and/or ``--trials`` (every
measurement, the TOPI schedules' included); tuning stops at the first of both.
The defaults (resnet-18, NHWC, batch 1, 3 minutes) finish in under 5 minutes on
a 2-core machine: the TOPI schedules of the 36 tasks are measured first (in
parallel batches), then the search rounds that fit. Each 3x3 stride-1
convolution has a Winograd and a direct variant; the tuned build uses the
faster (see README "Where the trials go"). ``--seed-log`` starts from the
records of other models (README "Reusing records across models").
Upstream's tutorial used ~900 trials per task (``--trials 20000`` for
resnet-18).
"""
import argparse
import logging
import os
import sys
import time

import numpy as np

import tvm
from tvm import auto_scheduler, relay
from tvm.contrib import graph_executor
from tvm.auto_scheduler.task_description import describe_tasks
from tvm.auto_scheduler.tuning_report import TuningReport
from tvm.contrib.interleaved_timing import interleaved_median_ms
from tvm.contrib.target_check import check_target
import tvm.relay.testing as testing

#: Time budget of the main job's tuning when neither --trials nor --minutes is given.
DEFAULT_MINUTES = 3

NETWORKS = ("resnet-18", "resnet-50", "mobilenet", "mlp", "dcgan", "resnet3d-18")


def get_network(name, batch_size, layout):
    """``(mod, params, {input_name: shape}, output_shape)`` of a relay.testing network."""
    if layout not in ("NHWC", "NCHW"):
        raise ValueError(f"--layout must be NHWC or NCHW, got {layout}")
    image = (224, 224, 3) if layout == "NHWC" else (3, 224, 224)
    if name.startswith("resnet-"):
        layers = int(name.split("-")[1])
        mod, params = testing.resnet.get_workload(
            num_layers=layers, batch_size=batch_size, layout=layout, image_shape=image
        )
        shape = (batch_size,) + image
    elif name == "resnet3d-18":
        layout3d = "NDHWC" if layout == "NHWC" else "NCDHW"
        image3d = (16, 112, 112, 3) if layout == "NHWC" else (3, 16, 112, 112)
        mod, params = testing.resnet_3d.get_workload(
            num_layers=18, batch_size=batch_size, layout=layout3d, image_shape=image3d
        )
        shape = (batch_size,) + image3d
    elif name == "mobilenet":
        mod, params = testing.mobilenet.get_workload(
            batch_size=batch_size, layout=layout, image_shape=image
        )
        shape = (batch_size,) + image
    elif name == "mlp":
        mod, params = testing.mlp.get_workload(batch_size=batch_size)
        shape = (batch_size, 1, 28, 28)
    elif name == "dcgan":
        mod, params = testing.dcgan.get_workload(batch_size=batch_size, layout=layout)
        shape = (batch_size, 100)
    else:
        raise ValueError(f"unknown network {name!r}; choose from {', '.join(NETWORKS)}")
    return mod, params, {"data": shape}


def get_onnx_network(path, batch_size):
    """``(mod, params, input_shapes)`` of an ONNX model (symbolic dims -> batch size)."""
    from tvm.relay.frontend.onnx import load_onnx_model  # pylint: disable=import-outside-toplevel

    model = load_onnx_model(path)
    initializers = {init.name for init in model.graph.initializer}
    shapes = {}
    for inp in model.graph.input:
        if inp.name in initializers:
            continue
        dims = inp.type.tensor_type.shape.dim
        shapes[inp.name] = tuple(d.dim_value if d.dim_value > 0 else batch_size for d in dims)
    mod, params = relay.frontend.from_onnx(model, shape=shapes)
    return mod, params, shapes


def convert_layout(mod, layout):
    """``mod`` with its 2-d convolutions (and the ops that can follow them) in
    ``layout``, as ``tvmc --desired-layout`` does; inputs and outputs keep theirs."""
    desired = {"nn.conv2d": [layout, "default"], "nn.conv2d_transpose": [layout, "default"]}
    with tvm.transform.PassContext(opt_level=3):
        return relay.transform.ConvertLayout(desired)(mod)


def onnxruntime_reference(path, inputs):
    """ONNX Runtime (2 intra-op threads): its outputs and a function running it once."""
    import onnxruntime as ort  # pylint: disable=import-outside-toplevel

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    outputs = session.run(None, inputs)
    return outputs, lambda: session.run(None, inputs)


def random_inputs(mod, input_shapes, seed=0):
    rng = np.random.default_rng(seed)
    types = {p.name_hint: p for p in mod["main"].params}
    inputs = {}
    for name, shape in input_shapes.items():
        dtype = "float32"
        param = types.get(name)
        if param is not None and param.type_annotation is not None:
            dtype = param.type_annotation.dtype
        if dtype.startswith("int"):
            inputs[name] = rng.integers(0, 8, shape).astype(dtype)
        else:
            inputs[name] = rng.uniform(-1, 1, shape).astype(dtype)
    return inputs


#: Seconds of tuning per task from which the search uses the larger population.
LARGE_SEARCH_SECONDS_PER_TASK = 120


def search_params(seconds_per_task):
    """SketchPolicy parameters for a budget of ``seconds_per_task``.

    Each round of the evolutionary search costs the same whatever the number
    of candidates it measures, and on 2 cores it is what limits the trials per
    minute. Measured here on ResNet-50's largest convolution, one round cost
    25-50 s with the policy's default population (512 programs, 4
    generations), 15-25 s with 256 and 3, 3-5 s with 128 and 2, while
    building and timing 64 candidates takes about 30 s. A budget of a few
    minutes per task gets the small search; larger budgets 256 programs.
    """
    if seconds_per_task >= LARGE_SEARCH_SECONDS_PER_TASK:
        return {"evolutionary_search_population": 256, "evolutionary_search_num_iters": 3}
    return {"evolutionary_search_population": 128, "evolutionary_search_num_iters": 2}


def tune(tasks, task_weights, log_file, runner, trials=None, minutes=None, seed_logs=(), verbose=1):
    """Tune ``tasks`` into ``log_file`` (resumed when it exists); returns the TaskScheduler.

    ``trials`` (None: no limit) counts every measurement, the TOPI baselines
    included; ``minutes`` (None: no limit) is the time budget; tuning stops at
    the first of both. ``seed_logs`` are logs of other models or batch sizes
    (see ``TaskScheduler(seed_logs=...)``).
    """
    resume = log_file if os.path.exists(log_file) else None
    if resume:
        print(f"resuming from {log_file} ({sum(1 for _ in open(log_file))} records)")
    # measure_baselines: each task's TOPI schedule is measured first (unless
    # the log has it), so ApplyHistoryBest never picks a searched schedule
    # slower than the untuned kernel; a task whose search stays behind it gets
    # no more rounds, and Winograd tasks keep it.
    tuner = auto_scheduler.TaskScheduler(tasks, task_weights, load_log_file=resume, measure_baselines=True,
                                         seed_logs=list(seed_logs),
                                         callbacks=[auto_scheduler.task_scheduler.PrintTableInfo()])
    options = auto_scheduler.TuningOptions(
        num_measure_trials=trials if trials is not None else auto_scheduler.task_scheduler.UNLIMITED_TRIALS,
        runner=runner,
        measure_callbacks=[auto_scheduler.RecordToFile(log_file)],
        verbose=verbose,
        time_budget=minutes * 60 if minutes else None,
    )
    if minutes:
        seconds_per_task = minutes * 60 / max(1, len(tasks))
    else:  # about 0.7 s per measured trial on 2 cores
        seconds_per_task = 0.7 * trials / max(1, len(tasks))
    start = time.perf_counter()
    tuner.tune(options, search_policy_params=search_params(seconds_per_task))
    elapsed = time.perf_counter() - start
    print(f"tuned {tuner.ct} trials in {elapsed:.0f} s ({tuner.ct / max(elapsed, 1e-9) * 60:.0f} trials/min)")
    return tuner


def local_runner():
    """The runner of network tuning: each kernel timed alone with its weights out of the caches.

    Each timed run starts with the kernel's weights flushed from the caches and
    is timed alone (number=1): inside a network the weights of a layer are
    never in cache (ResNet-18's 47 MB do not fit in a CPU's L3), and a
    schedule that re-reads its weights looks fast only when they are warm.
    Measured here: a log tuned on warm weights summed to 29 ms of kernels and
    ran the network in 37 ms, no faster than the TOPI schedules.
    """
    return auto_scheduler.LocalRunner(**RUNNER_TIMING)


#: Timing of every candidate (see :func:`local_runner`).
RUNNER_TIMING = dict(number=1, repeat=10, min_repeat_ms=0, enable_cpu_cache_flush=True)


def build_and_run(mod, params, target, inputs):
    """Build and run once; ``(outputs, run, build_s)`` where ``run()`` runs the graph again."""
    start = time.perf_counter()
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target=target, params=params)
    build_s = time.perf_counter() - start
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    outputs = [module.get_output(i).numpy() for i in range(module.get_num_outputs())]
    return outputs, module.run, build_s


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--network", default="resnet-18", choices=NETWORKS)
    source.add_argument("--onnx", metavar="FILE", help="an ONNX model instead of a built-in network")
    parser.add_argument("--layout", default=None, choices=("NHWC", "NCHW"),
                        help="data layout of the convolutions. --network: the relay.testing "
                             "network is built in it (default NHWC). --onnx: the imported "
                             "model is converted to it with relay.transform.ConvertLayout "
                             "before task extraction and building (default: keep the "
                             "model's layout, NCHW for ONNX); inputs and outputs keep the "
                             "model's layout")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--trials", type=int, default=None,
                        help="total measurement trials over all tasks, the measurements of their TOPI "
                             "schedules included (0: only build with the log; default: no limit)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="time budget of the tuning (default: 3 when --trials is not given either; "
                             "tuning stops at the first of --trials and --minutes)")
    parser.add_argument("--seed-log", nargs="+", default=[], metavar="LOG",
                        help="logs of other models or batch sizes: identical layers start from their "
                             "records (copied into --log-file), similar ones from their best states")
    parser.add_argument("--log-file", default=None,
                        help="tuning log (resumed if it exists); default <network>-<layout>-B<batch>.json")
    parser.add_argument("--target", default="llvm",
                        help='target, e.g. "llvm" (host CPU) or "llvm -mcpu=core-avx2 -num-cores=2"')
    parser.add_argument("--repeat", type=int, default=10,
                        help="timing rounds (each times every build 3 times, interleaved)")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                        help="0: silent tuning; 1: progress bar and the task table at start and end; "
                             "2: also the table every round and the search's own output")
    parser.add_argument("--report", metavar="HTML", default=None,
                        help="write a static HTML tuning report (plots need matplotlib)")
    parser.add_argument("--rpc-tracker", metavar="HOST:PORT", default=None,
                        help="measure on the RPC servers registered at this tracker (python -m "
                             "tvm.exec.rpc_tracker) through auto_scheduler.RPCRunner, instead of "
                             "this machine's CPU; needs --rpc-key")
    parser.add_argument("--rpc-key", default=None,
                        help="device key the servers registered with (python -m tvm.exec.rpc_server "
                             "--tracker HOST:PORT --key KEY)")
    parser.add_argument("--rpc-parallel", type=int, default=None, metavar="N",
                        help="candidates measured at once, each on its own server (default: the "
                             "servers of --rpc-key free at start, or 1)")
    args = parser.parse_args(argv)
    if args.trials is None and args.minutes is None:
        args.minutes = DEFAULT_MINUTES
    for log in args.seed_log:
        if not os.path.isfile(log):
            parser.error(f"--seed-log {log}: no such file")
    if bool(args.rpc_tracker) != bool(args.rpc_key):
        parser.error("--rpc-tracker and --rpc-key go together")
    if args.rpc_tracker:
        from tvm.contrib.tracker_measure import parse_tracker

        try:
            parse_tracker(args.rpc_tracker)
        except ValueError as err:
            parser.error(str(err))
    if args.rpc_parallel is not None and args.rpc_parallel < 1:
        parser.error(f"--rpc-parallel must be at least 1, got {args.rpc_parallel}")

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:  # a bad target or model file is one line, before anything is measured or logged
        target = check_target(args.target, what="--target")
        if args.onnx:
            mod, params, input_shapes = get_onnx_network(args.onnx, args.batch_size)
    except (ValueError, FileNotFoundError) as err:
        parser.error(str(err))
    if args.onnx:
        name = os.path.splitext(os.path.basename(args.onnx))[0]
        if args.layout:
            # converted here, once: extract_tasks and both builds below use this mod
            mod = convert_layout(mod, args.layout)
            name = f"{name}-{args.layout}"
    else:
        layout = args.layout or "NHWC"
        mod, params, input_shapes = get_network(args.network, args.batch_size, layout)
        name = f"{args.network}-{layout}"
    log_file = args.log_file or f"{name}-B{args.batch_size}.json"
    print(f"network {name}, batch {args.batch_size}, target {target}, log {log_file}")

    start = time.perf_counter()
    tasks, task_weights = auto_scheduler.extract_tasks(mod["main"], params, target)
    print(f"extracted {len(tasks)} tasks in {time.perf_counter() - start:.1f} s")
    if args.verbose >= 2 or (args.trials == 0 and args.verbose >= 1):
        for idx, (desc, task, weight) in enumerate(zip(describe_tasks(tasks), tasks, task_weights)):
            print(f"  task {idx:2d}  weight {weight}  {task.compute_dag.flop_ct / 1e6:9.1f} MFLOP  {desc}")

    tuner = None
    if (args.trials is None or args.trials > 0) and tasks:
        runner = rpc_runner(args, RUNNER_TIMING) if args.rpc_tracker else local_runner()
        tuner = tune(tasks, task_weights, log_file, runner, args.trials, args.minutes, args.seed_log, args.verbose)

    inputs = random_inputs(mod, input_shapes)
    untuned, untuned_run, untuned_build = build_and_run(mod, params, target, inputs)
    if not os.path.exists(log_file):
        print(f"no log {log_file}: nothing tuned to apply")
        (untuned_ms,) = interleaved_median_ms([untuned_run], args.repeat)
        print(f"untuned: {untuned_ms:.2f} ms")
        write_report(args, tuner, name, target, log_file, {"untuned": untuned_ms})
        return 0
    with auto_scheduler.ApplyHistoryBest(log_file):
        tuned, tuned_run, tuned_build = build_and_run(mod, params, target, inputs)
    for expected, actual in zip(untuned, tuned):
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
    print("tuned output equals the untuned build's (rtol 1e-4, atol 1e-4)")
    runners = [untuned_run, tuned_run]
    if args.onnx:
        reference, ort_run = onnxruntime_reference(args.onnx, inputs)
        for expected, actual in zip(reference, tuned):
            np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
        print("tuned output equals ONNX Runtime's (rtol 1e-4, atol 1e-4)")
        runners.append(ort_run)
    latencies = interleaved_median_ms(runners, args.repeat)
    untuned_ms, tuned_ms = latencies[:2]
    rows = [("untuned", untuned_ms, untuned_build), ("tuned", tuned_ms, tuned_build)]
    if args.onnx:
        rows.append(("onnxruntime", latencies[2], float("nan")))
    print(f"{'build':<12}{'latency (ms)':>14}{'build (s)':>12}")
    for label, latency, build_s in rows:
        print(f"{label:<12}{latency:>14.2f}{build_s:>12.1f}")
    print(f"speed-up of tuning {untuned_ms / tuned_ms:.2f}x")
    write_report(args, tuner, name, target, log_file, {label: lat for label, lat, _ in rows})
    return 0


def rpc_runner(args, timing):
    """``auto_scheduler.RPCRunner`` on the servers of ``--rpc-key`` at ``--rpc-tracker``."""
    from tvm.contrib.tracker_measure import key_status, parse_tracker

    host, port = parse_tracker(args.rpc_tracker)
    registered, free = key_status(host, port, args.rpc_key)
    n_parallel = args.rpc_parallel or max(free, 1)
    print(f"measuring on key {args.rpc_key!r} at {host}:{port}: {registered} servers, {free} free, "
          f"{n_parallel} at once")
    return auto_scheduler.RPCRunner(args.rpc_key, host, port, n_parallel=n_parallel, **timing)


def write_report(args, tuner, name, target, log_file, latencies_ms):
    """Write ``--report`` (when asked) from the task scheduler and the measured latencies."""
    if not args.report:
        return
    info = {"network": name, "batch size": args.batch_size, "target": str(target), "log": log_file,
            "trials": args.trials}
    if tuner is not None:
        report = TuningReport.from_scheduler(tuner, title=f"Tuning report: {name}", info=info)
    else:
        report = TuningReport(title=f"Tuning report: {name}", info=info)
    report.latencies_ms = latencies_ms
    report.write(args.report)
    print(f"report written to {args.report}")


if __name__ == "__main__":
    sys.exit(main())
