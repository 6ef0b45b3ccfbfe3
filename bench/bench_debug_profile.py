"""How closely the debug executor's per-operator profile accounts for a graph run.

``GraphModuleDebug.profile`` times each fused function on its own; their sum
should come close to one run of the whole graph by the graph executor (the
difference is the executor's own overhead and the caches the operators share
in a full run). The script builds ResNet-18 (batch 1, NCHW, untuned), times the
graph executor and the profile in alternating rounds, and prints both medians
and their ratio (about 1.0; upstream made no promise, the test suite checks
only that the report is consistent).

    python bench/bench_debug_profile.py [--rounds 5] [--target llvm]
"""
import argparse

import numpy as np

import tvm
import tvm.relay.testing as testing
from tvm import relay
from tvm.contrib import graph_executor
from tvm.contrib.debugger import debug_executor


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--target", default="llvm")
    args = parser.parse_args()

    mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target=args.target, params=params)
    data = np.random.default_rng(0).uniform(-1, 1, (1, 3, 224, 224)).astype("float32")
    graph = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    graph.set_input("data", data)
    debug = debug_executor.create(lib.get_graph_json(), lib.get_lib(), tvm.cpu())
    debug.set_input(**lib.get_params())
    debug.set_input("data", data)

    run_ms, profile_ms = [], []
    for _ in range(args.rounds):
        run_ms.append(graph.benchmark(tvm.cpu(), repeat=5, number=2).median * 1e3)
        profile_ms.append(debug.profile(number=2, repeat=3, min_repeat_ms=0).total_us / 1e3)
    run, profile = float(np.median(run_ms)), float(np.median(profile_ms))
    print(f"ResNet-18, target {args.target}: graph run {run:.2f} ms, sum of the profile {profile:.2f} ms, "
          f"ratio {profile / run:.2f}")


if __name__ == "__main__":
    main()
