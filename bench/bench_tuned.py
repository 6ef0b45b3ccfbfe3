"""Tuned vs untuned vs ONNX Runtime: latency of one network in one run.

Builds the network three ways from the same random weights and times them in
interleaved rounds (see ``tvm.contrib.interleaved_timing``):

* this fork, untuned (TOPI fallback schedules),
* this fork under ``auto_scheduler.ApplyHistoryBest(--log)`` (tuned),
* ONNX Runtime with 2 intra-op threads, on the same network exported to ONNX.

The tuning log comes from ``apps/tune_network.py`` (same network, layout and
batch size). Prints the medians and the ratios to ONNX Runtime, and checks the
tuned output against ONNX Runtime's.
"""
import argparse
import os
import sys

import numpy as np

from tvm import auto_scheduler, relay
from tvm.contrib.interleaved_timing import interleaved_median_ms
from tvm.relay import testing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_untuned import (  # noqa: E402  pylint: disable=wrong-import-position
    OnnxExporter,
    nhwc_params,
    run_fork,
    run_ort,
    workload,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="resnet-18", choices=("resnet-18", "mobilenet"))
    parser.add_argument("--layout", default="NHWC", choices=("NCHW", "NHWC"))
    parser.add_argument("--log", required=True, help="auto-scheduler log of this network")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    mod_nchw, params_nchw = workload(args.network, "NCHW")
    params_nchw = testing.randomize_params(params_nchw)
    mod_nchw = relay.transform.InferType()(mod_nchw)
    model = OnnxExporter(mod_nchw["main"], params_nchw).export([1, 3, 224, 224])
    data_nchw = np.random.default_rng(0).uniform(-1, 1, (1, 3, 224, 224)).astype("float32")
    if args.layout == "NCHW":
        mod, params, data = mod_nchw, params_nchw, data_nchw
    else:
        mod, _ = workload(args.network, args.layout)
        params = nhwc_params(mod, params_nchw)
        data = np.ascontiguousarray(data_nchw.transpose(0, 2, 3, 1))

    ort_run, ort_out = run_ort(model, data_nchw)
    untuned_run, untuned_out = run_fork(mod, params, data)
    with auto_scheduler.ApplyHistoryBest(args.log):
        tuned_run, tuned_out = run_fork(mod, params, data)
    np.testing.assert_allclose(tuned_out, untuned_out, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tuned_out, ort_out, rtol=1e-4, atol=1e-4)
    print("tuned output equals the untuned build's and ONNX Runtime's (rtol 1e-4, atol 1e-4)")

    ort_ms, untuned_ms, tuned_ms = interleaved_median_ms([ort_run, untuned_run, tuned_run], args.repeat)
    print(f"{args.network} {args.layout}, batch 1, log {args.log}")
    print(f"{'build':<14}{'median ms':>10}{'/ ort':>8}")
    for label, value in (("onnxruntime", ort_ms), ("untuned", untuned_ms), ("tuned", tuned_ms)):
        print(f"{label:<14}{value:>10.2f}{value / ort_ms:>8.2f}")
    print(f"tuned / untuned {tuned_ms / untuned_ms:.2f}")


if __name__ == "__main__":
    main()
