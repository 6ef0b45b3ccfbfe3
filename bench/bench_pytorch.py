"""Untuned latency of PyTorch-imported models: this fork against torch eager and ONNX Runtime.

The models are the PyTorch frontend tests' own definitions
(``tests/python/frontend/pytorch/torch_models.py``, random weights):

* ``resnet50``: torchvision's ResNet-50 structure, input ``(1, 3, 224, 224)``;
* ``bert``: a BERT-like encoder (``nn.TransformerEncoder``, 4 layers, hidden 256,
  4 heads, FFN 1024), int64 token ids ``(1, 128)``.

Engines, each in its own worker process (the TVM runtime's, torch's and ONNX
Runtime's thread pools spin after a run and slow each other down when they share
a process on a small machine):

* ``fork [trace]``: ``relay.frontend.from_pytorch`` on ``torch.jit.trace`` of the model;
  ``fork [export]``: ``relay.frontend.from_exported_program`` on ``torch.export``;
  both built with ``relay.build`` at opt_level 3, untuned, run by the graph executor;
* ``torch``: eager mode under ``torch.inference_mode()`` with ``--threads`` threads;
* ``ort``: ONNX Runtime (``--threads`` intra-op threads) on the model exported with
  ``torch.onnx.export`` (TorchScript exporter, opset 17).

The workers run in alternating rounds, so the machine's background load hits
every engine alike. Run it on a quiet machine: torch's OpenMP threads spin while
waiting, and on an oversubscribed machine that made torch eager 10-20x slower
here (ResNet-50: 2-5 s instead of ~230 ms); ``--omp-wait-policy PASSIVE`` sets
``OMP_WAIT_POLICY`` for the torch worker, which avoids it (the header prints the
load average). Printed per model: each engine's median latency, its ratio to
torch eager and to ONNX Runtime, the largest output difference relative to the
largest torch output, and the set-up time (conversion + build).

    python bench/bench_pytorch.py [--models resnet50 bert] [--paths trace export]
                                  [--rounds 5] [--runs 10] [--threads 2] [--target llvm]
"""
import argparse
import functools
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from engine_workers import EngineWorker, compare_engines, serve  # noqa: E402  pylint: disable=wrong-import-position

MODELS_DIR = os.path.join(HERE, "..", "tests", "python", "frontend", "pytorch")
MODEL_NAMES = ("resnet50", "bert")


def _model(name):
    """``(torch module in eval mode, example input tensor, input name)``."""
    import torch  # pylint: disable=import-outside-toplevel

    sys.path.insert(0, MODELS_DIR)
    import torch_models  # pylint: disable=import-outside-toplevel

    if name == "resnet50":
        model = torch_models.resnet50(seed=0)
        data = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
        return model, data, "input0"
    if name == "bert":
        model = torch_models.bert_like(vocab=1000, hidden=256, heads=4, layers=4, ffn=1024,
                                       max_len=128)
        data = torch.randint(0, 1000, (1, 128), generator=torch.Generator().manual_seed(1))
        return model, data, "input_ids"
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")


def _first(output):
    while isinstance(output, list | tuple):
        output = output[0]
    return output.detach().numpy() if hasattr(output, "detach") else np.asarray(output)


# ------------------------------------------------------------------ engines
class _TorchEngine:
    def __init__(self, model, data, name, args):
        import torch  # pylint: disable=import-outside-toplevel

        del name
        torch.set_num_threads(args.threads)
        self.torch, self.model, self.data = torch, model, data

    def run(self):
        with self.torch.inference_mode():
            return _first(self.model(self.data))


class _OrtEngine:
    def __init__(self, model, data, name, args):
        import onnxruntime as ort  # pylint: disable=import-outside-toplevel
        import torch  # pylint: disable=import-outside-toplevel

        self.tmp = tempfile.TemporaryDirectory()
        path = os.path.join(self.tmp.name, "model.onnx")
        # exported with autograd on: under no_grad, nn.TransformerEncoderLayer takes torch's
        # fused fast path (aten::_transformer_encoder_layer_fwd), which the exporter rejects
        torch.onnx.export(model, (data,), path, input_names=[name], opset_version=17,
                          dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.feed = {name: data.numpy()}

    def run(self):
        return self.session.run(None, self.feed)[0]


class _ForkEngine:
    def __init__(self, model, data, name, args):
        import torch  # pylint: disable=import-outside-toplevel
        import tvm  # pylint: disable=import-outside-toplevel
        from tvm import relay  # pylint: disable=import-outside-toplevel
        from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

        infos = [(name, tuple(data.shape))]
        if args.path == "trace":
            with torch.no_grad():
                traced = torch.jit.trace(model, (data,))
            mod, params = relay.frontend.from_pytorch(traced, infos)
        else:
            program = torch.export.export(model, (data,))
            mod, params = relay.frontend.from_exported_program(program, infos)
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target=args.target, params=params)
        self.module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
        self.module.set_input(name, data.numpy())

    def run(self):
        self.module.run()
        return self.module.get_output(0).numpy()


ENGINES = {"torch": _TorchEngine, "ort": _OrtEngine, "fork": _ForkEngine}


def worker(args):
    """Build one engine and serve the driver (see ``engine_workers.serve``)."""
    model, data, name = _model(args.model)
    serve(lambda: ENGINES[args.worker](model, data, name, args))


def _start(kind, model, args, path=None):
    command = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--model", model,
               "--threads", str(args.threads), "--target", args.target]
    if path:
        command += ["--path", path]
    env = dict(os.environ)
    if kind == "torch" and args.omp_wait_policy:
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy
    return EngineWorker(command, f"fork [{path}]" if kind == "fork" else kind, env)


def bench_model(model, args):
    """``label -> (median ms, relative error vs torch, set-up s)`` for one model."""
    starters = [functools.partial(_start, "torch", model, args),
                functools.partial(_start, "ort", model, args)]
    starters += [functools.partial(_start, "fork", model, args, path) for path in args.paths]
    return compare_engines(starters, args.rounds, args.runs, reference="torch")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODEL_NAMES), choices=MODEL_NAMES)
    parser.add_argument("--paths", nargs="+", default=["trace", "export"],
                        choices=["trace", "export"], help="PyTorch import paths of the fork")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per model")
    parser.add_argument("--runs", type=int, default=10, help="runs per engine per round")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads of torch and ONNX Runtime")
    parser.add_argument("--target", default="llvm", help="the fork's target")
    parser.add_argument("--omp-wait-policy", choices=["ACTIVE", "PASSIVE"], default=None,
                        help="OMP_WAIT_POLICY of the torch worker (default: torch's own)")
    parser.add_argument("--worker", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--path", default="trace", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    load = os.getloadavg()[0]
    print(f"host: {os.cpu_count()} cores, load average {load:.1f}; torch and ONNX Runtime with "
          f"{args.threads} threads; fork target {args.target!r}, untuned; {args.rounds} rounds x "
          f"{args.runs} runs per engine, each engine in its own process")
    if load > os.cpu_count() * 0.5 and not args.omp_wait_policy:
        print("note: the machine is busy; torch's spinning OpenMP threads may be much slower "
              "than usual (see --omp-wait-policy)")
    print(f"{'model':10s} {'engine':16s} {'median ms':>10s} {'/ torch':>8s} {'/ ORT':>7s} "
          f"{'max rel err':>12s} {'setup s':>8s}")
    for model in args.models:
        rows = bench_model(model, args)
        torch_ms, ort_ms = rows["torch"][0], rows["ort"][0]
        for label, (ms, error, setup) in rows.items():
            print(f"{model:10s} {label:16s} {ms:10.2f} {ms / torch_ms:8.2f} {ms / ort_ms:7.2f} "
                  f"{error:12.2e} {setup:8.1f}", flush=True)


if __name__ == "__main__":
    main()
