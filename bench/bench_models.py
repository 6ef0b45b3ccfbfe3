"""Untuned latency of five real models: this fork against ONNX Runtime, on two x86 targets.

The models (see ``real_models.py``): ResNet-50, MobileNetV2, a BERT-like
encoder, a UNet-like and a ViT-like model, each an ONNX file (NCHW, as torch
exports it) with random weights, imported with ``relay.frontend.from_onnx``
and built with ``relay.build`` at opt_level 3, no tuning, for

* the host default target (``llvm``, which the fork resolves to the host CPU),
* ``llvm -mcpu=core-avx2`` (what a generic AVX2 server gets),

against ONNX Runtime with 2 intra-op threads.

Each engine runs in its own worker process: ONNX Runtime's and the TVM
runtime's thread pools spin after a run and, on a 2-core machine, slow each
other down when they share a process (measured: a BERT-like model at 8.5 ms
alone and 55 ms interleaved). The workers run in alternating rounds, so the
machine's background load hits every engine alike. The script prints, per
model, each engine's median latency, the ratio fork/ONNX Runtime and the
largest difference of the outputs relative to the largest ONNX Runtime output
value, then the geometric mean of the ratios per target.

    python bench/bench_models.py [--models resnet50 bert] [--rounds 7] [--runs 10]
                                 [--targets llvm "llvm -mcpu=core-avx2"]
                                 [--cache-dir ~/.cache/tvmfork-bench]

The ONNX files are written on first use (needs torch: ``pip install torch==2.13.0``).
"""
import argparse
import functools
import logging
import math
import os
import sys


HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import real_models  # noqa: E402  pylint: disable=wrong-import-position
from engine_workers import EngineWorker, compare_engines, serve  # noqa: E402  pylint: disable=wrong-import-position

DEFAULT_TARGETS = ("llvm", "llvm -mcpu=core-avx2")


# ------------------------------------------------------------------ workers
class _OrtEngine:
    def __init__(self, path, input_name, data, target, threads):
        del target
        import onnxruntime as ort  # pylint: disable=import-outside-toplevel

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.feed = {input_name: data}

    def run(self):
        return self.session.run(None, self.feed)[0]


class _ForkEngine:
    """The fork's build of the model; tuned when ``log`` (an auto-scheduler log) is given."""

    def __init__(self, path, input_name, data, target, threads, log=None):
        del threads  # the TVM runtime uses every core of the machine (2 here)
        import contextlib  # pylint: disable=import-outside-toplevel

        import onnx  # pylint: disable=import-outside-toplevel
        import tvm  # pylint: disable=import-outside-toplevel
        from tvm import auto_scheduler, relay  # pylint: disable=import-outside-toplevel
        from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

        logging.getLogger("relay").setLevel(logging.ERROR)  # untuned on purpose: no fallback notice
        model = onnx.load(path)
        mod, params = relay.frontend.from_onnx(model, {input_name: data.shape},
                                               dtype={input_name: str(data.dtype)})
        tuned = auto_scheduler.ApplyHistoryBest(log) if log else contextlib.nullcontext()
        with tuned, tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target=target, params=params)
        self.module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
        self.module.set_input(input_name, data)

    def run(self):
        self.module.run()
        return self.module.get_output(0).numpy()


def worker(args):
    """Build one engine and serve the driver (see ``engine_workers.serve``)."""
    path, input_name, shape, dtype = real_models.onnx_model_path(args.model, args.cache_dir)
    data = real_models.model_input(args.model, shape, dtype)
    if args.worker == "ort":
        serve(lambda: _OrtEngine(path, input_name, data, args.target, args.threads))
    else:
        serve(lambda: _ForkEngine(path, input_name, data, args.target, args.threads, args.log))


def start_worker(kind, model, target, args, log=None, label=None):
    """Start the worker process of one engine (``kind`` "ort" or "fork"; ``log``: tuned fork)."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--model", model,
               "--cache-dir", args.cache_dir, "--threads", str(args.threads)]
    if target:
        command += ["--target", target]
    if log:
        command += ["--log", log]
    return EngineWorker(command, label or ("ort" if kind == "ort" else f"fork [{target}]"))


# ------------------------------------------------------------------ driver
def bench_model(model, args):
    """``label -> (median ms, relative error vs ONNX Runtime, set-up s)`` for one model."""
    real_models.onnx_model_path(model, args.cache_dir)  # written once, before the workers start
    starters = [functools.partial(start_worker, "ort", model, None, args)]
    starters += [functools.partial(start_worker, "fork", model, target, args) for target in args.targets]
    return compare_engines(starters, args.rounds, args.runs, reference="ort")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(real_models.MODEL_NAMES),
                        choices=real_models.MODEL_NAMES)
    parser.add_argument("--targets", nargs="+", default=list(DEFAULT_TARGETS),
                        help="fork targets (default: the host default and core-avx2)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per model")
    parser.add_argument("--runs", type=int, default=10, help="runs per engine per round")
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")
    parser.add_argument("--cache-dir", default=os.path.expanduser("~/.cache/tvmfork-bench"),
                        help="where the ONNX files are written and reused")
    parser.add_argument("--worker", choices=["ort", "fork"], help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--target", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--log", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    from tvm.topi.generic.cpu_features import host_cpu_flags  # pylint: disable=import-outside-toplevel

    flags = host_cpu_flags()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    print(f"host: {os.cpu_count()} cores, {isa}; ONNX Runtime with {args.threads} threads; "
          f"{args.rounds} rounds x {args.runs} runs per engine, each in its own process")
    ratios = {target: [] for target in args.targets}
    header = f"{'model':12s} {'engine':32s} {'median ms':>10s} {'/ ORT':>7s} {'max rel err':>12s} {'build s':>8s}"
    print(header)
    for model in args.models:
        rows = bench_model(model, args)
        ort_ms = rows["ort"][0]
        for label, (ms, error, build_s) in rows.items():
            ratio = ms / ort_ms
            print(f"{model:12s} {label:32s} {ms:10.2f} {ratio:7.2f} {error:12.2e} {build_s:8.1f}",
                  flush=True)
            if label != "ort":
                ratios[label[len("fork ["):-1]].append(ratio)
    print()
    for target, values in ratios.items():
        geomean = math.exp(sum(math.log(v) for v in values) / len(values))
        print(f"geometric mean fork/ORT [{target}]: {geomean:.2f}   (worst {max(values):.2f})")


if __name__ == "__main__":
    main()
