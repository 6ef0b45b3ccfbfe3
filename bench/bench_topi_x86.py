"""Microbenchmarks of the x86 TOPI schedules against NumPy's float32 matmul.

Prints, for the 3x3 convolutions of ResNet-50 (NCHW and NHWC; ``--layers
resnet18`` for ResNet-18's conv layers) and a few dense shapes, the median
latency and GFLOPS of the scheduled TensorIR function, on each target, and
the GFLOPS of a NumPy float32 matmul (2048^3: OpenBLAS at the machine's
practical peak) measured in the same run, before and after each layer, so
that a busy machine shows up in both columns. NumPy runs in its own process
(OpenBLAS's threads spin after a call, like the TVM runtime's) and, for an
AVX2 target, with ``OPENBLAS_CORETYPE=Haswell``: OpenBLAS's AVX2 kernels, the
fair peer of AVX2 code on an AVX-512 host. As in a ``relay.build`` with
constant weights, a weight that the schedule reads blocked is blocked before
timing (the compile engine takes the copy stage out of the kernel, see
``tvm.topi.x86.weight_pack``).

    python bench/bench_topi_x86.py [--quick] [--repeat N] [--layers resnet50-3x3|resnet18]
                                   [--targets llvm "llvm -mcpu=core-avx2"]
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

import tvm
from tvm import te, topi
from tvm.topi import x86


def numpy_gflops(size=2048, repeat=3):
    """Median GFLOPS of a NumPy float32 matmul of ``size``^3 (in this process)."""
    a = np.random.rand(size, size).astype("float32")
    b = np.random.rand(size, size).astype("float32")
    a @ b
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * size**3 / np.median(times) / 1e9


def numpy_peer_gflops(isa):
    """:func:`numpy_gflops` in a fresh process, with OpenBLAS's kernels for ``isa``."""
    env = dict(os.environ)
    if isa != "avx512":
        env["OPENBLAS_CORETYPE"] = "Haswell"  # OpenBLAS's AVX2 + FMA kernels
    code = "import bench_topi_x86 as b; print(b.numpy_gflops())"
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                         text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    return float(out.stdout.strip().splitlines()[-1])


def build(inputs, outs, fschedule, target):
    """Schedule and compile; ``(lib, input_transforms)`` as the compile engine makes them."""
    from tvm.topi.generic.input_transform import take_out_layout_rewrites  # pylint: disable=import-outside-toplevel

    func = te.create_prim_func(inputs + outs)
    sch = tvm.s_tir.Schedule(tvm.IRModule({"main": func}))
    with target:
        fschedule(sch, outs)
    func, transforms = take_out_layout_rewrites(sch.mod)
    return tvm.compile(tvm.IRModule({"main": func}), target), transforms


def measure(built, inputs, outs, repeat):
    lib, transforms = built
    dev = tvm.cpu()
    args = [tvm.runtime.tensor(np.random.randn(*[int(s) for s in t.shape]).astype("float32"))
            for t in inputs]
    for index, transform in transforms.items():
        args[index] = transform.apply(args[index])
    args += [tvm.runtime.empty([int(s) for s in o.shape], "float32", dev) for o in outs]
    timer = lib.mod.time_evaluator("main", dev, number=5, repeat=repeat, min_repeat_ms=50)
    return float(np.median(timer(*args).results))


def conv_case(layout, c, size, k, r, s, p):
    if layout == "NCHW":
        x = te.placeholder((1, c, size, size), name="x")
        w = te.placeholder((k, c, r, r), name="w")
        out = topi.nn.relu(topi.nn.conv2d_nchw(x, w, s, p, 1))
        fsched = x86.schedule_conv2d_nchw
        osize = int(out.shape[2])
    else:
        x = te.placeholder((1, size, size, c), name="x")
        w = te.placeholder((r, r, c, k), name="w")
        out = topi.nn.relu(topi.nn.conv2d_nhwc(x, w, s, p, 1))
        fsched = x86.schedule_conv2d_nhwc
        osize = int(out.shape[1])
    flops = 2 * k * osize * osize * c * r * r
    return [x, w], [out], fsched, flops


def dense_case(m, n, k):
    x = te.placeholder((m, k), name="x")
    w = te.placeholder((n, k), name="w")
    return [x, w], [topi.nn.dense(x, w)], x86.schedule_dense, 2 * m * n * k


RESNET50_3X3 = [  # (in_ch, size, out_ch, kernel, stride, pad): torchvision's v1.5 blocks
    (64, 56, 64, 3, 1, 1),
    (128, 56, 128, 3, 2, 1),
    (128, 28, 128, 3, 1, 1),
    (256, 28, 256, 3, 2, 1),
    (256, 14, 256, 3, 1, 1),
    (512, 14, 512, 3, 2, 1),
    (512, 7, 512, 3, 1, 1),
]

RESNET_LAYERS = [  # (in_ch, size, out_ch, kernel, stride, pad)
    (64, 56, 64, 3, 1, 1),
    (3, 224, 64, 7, 2, 3),
    (64, 56, 128, 3, 2, 1),
    (64, 56, 128, 1, 2, 0),
    (128, 28, 128, 3, 1, 1),
    (256, 14, 256, 3, 1, 1),
    (512, 7, 512, 3, 1, 1),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 3x3 64->64 56x56 layer")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--layers", choices=["resnet50-3x3", "resnet18"], default="resnet50-3x3")
    parser.add_argument("--targets", nargs="+", default=["llvm", "llvm -mcpu=core-avx2"],
                        help="targets to compile for (default: the host default and core-avx2)")
    args = parser.parse_args()
    from tvm.topi.generic.cpu_features import cpu_features, host_supports  # pylint: disable=import-outside-toplevel

    layers = RESNET50_3X3 if args.layers == "resnet50-3x3" else RESNET_LAYERS
    layers = layers[:1] if args.quick else layers
    cases = []
    for layout in ("NCHW", "NHWC"):
        for layer in layers:
            name = f"conv2d {layout} {layer[0]}->{layer[2]} {layer[1]}x{layer[1]} k{layer[3]} s{layer[4]}"
            cases.append((name, conv_case(layout, *layer)))
    if not args.quick:
        for shape in [(1, 1000, 512), (128, 768, 768), (512, 512, 512), (197, 768, 192)]:
            cases.append((f"dense {shape[0]}x{shape[1]}x{shape[2]}", dense_case(*shape)))
    for target_text in args.targets:
        target = tvm.target.Target(target_text)
        cpu = cpu_features(target)
        if not host_supports(cpu):
            print(f"target {target}: skipped, this CPU cannot run {cpu.isa} code")
            continue
        print(f"\ntarget: {target} ({cpu.isa}, {cpu.lanes} float32 lanes); "
              f"numpy peer: OpenBLAS {'host kernels' if cpu.isa == 'avx512' else 'AVX2 kernels'}")
        print(f"{'case':48s} {'ms':>8s} {'GFLOPS':>8s} {'numpy GFLOPS':>13s} {'ratio':>6s}")
        ratios = []
        for name, (inputs, outs, fsched, flops) in cases:
            lib = build(inputs, outs, fsched, target)
            peak_before = numpy_peer_gflops(cpu.isa)
            seconds = measure(lib, inputs, outs, args.repeat)
            peak = (peak_before + numpy_peer_gflops(cpu.isa)) / 2
            gflops = flops / seconds / 1e9
            if name.startswith("conv2d"):
                ratios.append(gflops / peak)
            print(f"{name:48s} {seconds * 1e3:8.3f} {gflops:8.1f} {peak:13.1f} {gflops / peak:6.2f}",
                  flush=True)
        print(f"convolutions: worst ratio {min(ratios):.2f}, median {float(np.median(ratios)):.2f}")


if __name__ == "__main__":
    main()
