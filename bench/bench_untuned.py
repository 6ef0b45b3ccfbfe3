"""Untuned latency of ResNet-18 and MobileNet: this fork vs ONNX Runtime vs the base's Relax.

For each network (``relay.testing`` workloads, batch 1, random weights) and
layout (NCHW, NHWC) the script prints, in one run, the median latency of

* ``fork``: this fork's untuned ``relay.build`` (TOPI x86 fallback schedules)
  run by the graph executor;
* ``ort``: ONNX Runtime (2 intra-op threads) on the same network exported to
  ONNX here (NCHW, the exact same weights: NHWC kernels are the NCHW ones
  transposed);
* ``relax``: the base wheel's own pipeline, ``tvm.relax.frontend.onnx`` on the
  same ONNX model plus the default ``tvm.compile`` (untuned);

with the ratios to ONNX Runtime, and checks that the fork's output matches
ONNX Runtime's. The fork builds and ONNX Runtime are timed in interleaved
rounds so that a shared machine's background load hits them alike; the Relax
build (seconds per run) is timed in a few rounds interleaved with ONNX
Runtime and scaled to the ONNX Runtime median of the main rounds.

    python bench/bench_untuned.py [--networks resnet-18 mobilenet] [--target "llvm -mcpu=core-avx2"]
                                  [--layouts NCHW NHWC] [--repeat 20] [--no-relax]
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.contrib.interleaved_timing import interleaved_median_ms
from tvm.relay import testing


# --------------------------------------------------------------------------- export
class OnnxExporter:
    """Export the inference-time Relay ops of the reference networks to ONNX (NCHW)."""

    def __init__(self, func, params):
        self.func = func
        self.params = {k: (v.numpy() if hasattr(v, "numpy") else np.asarray(v)) for k, v in params.items()}
        self.nodes, self.inits, self.names, self.counter = [], [], {}, 0

    def fresh(self, hint):
        self.counter += 1
        return f"{hint}_{self.counter}"

    def const(self, array, hint):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype="float32"), name))
        return name

    def node(self, op_type, inputs, hint, **attrs):
        out = self.fresh(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    @staticmethod
    def _pads(padding):
        padding = [int(p) for p in padding]
        if len(padding) == 1:
            padding = padding * 4
        elif len(padding) == 2:
            padding = padding * 2
        return padding  # top, left, bottom, right == ONNX begin/begin/end/end

    def visit(self, expr):
        key = id(expr)
        if key in self.names:
            return self.names[key]
        if isinstance(expr, relay.Var):
            name = expr.name_hint
            if name in self.params:
                self.inits.append(numpy_helper.from_array(self.params[name].astype("float32"), name))
            self.names[key] = name
            return name
        if isinstance(expr, relay.TupleGetItem):
            name = self.visit(expr.tuple_value)
            if expr.index != 0:
                raise ValueError("export: only item 0 of a tuple (batch_norm) is supported")
            self.names[key] = name
            return name
        if not isinstance(expr, relay.Call):
            raise ValueError(f"export: unsupported expression {type(expr).__name__}")
        args = [self.visit(a) for a in expr.args]
        self.names[key] = self.call(expr, args)
        return self.names[key]

    def call(self, call, args):
        op, attrs = call.op.name, call.attrs
        if op == "nn.conv2d":
            if attrs.data_layout != "NCHW" or attrs.kernel_layout != "OIHW":
                raise ValueError("export: conv2d must be NCHW/OIHW")
            return self.node("Conv", args, "conv", strides=[int(s) for s in attrs.strides],
                             pads=self._pads(attrs.padding), dilations=[int(d) for d in attrs.dilation],
                             group=int(attrs.groups))
        if op == "nn.batch_norm":
            if int(attrs.axis) != 1:
                raise ValueError("export: batch_norm must normalise axis 1")
            data, gamma, beta, mean, var = args
            channels = self.params[mean].shape
            if not bool(getattr(attrs, "scale", True)):  # gamma is ignored
                gamma = self.const(np.ones(channels), "gamma")
            if not bool(getattr(attrs, "center", True)):  # beta is ignored
                beta = self.const(np.zeros(channels), "beta")
            return self.node("BatchNormalization", [data, gamma, beta, mean, var], "bn",
                             epsilon=float(attrs.epsilon))
        if op == "nn.relu":
            return self.node("Relu", args, "relu")
        if op == "add":
            return self.node("Add", args, "add")
        if op == "nn.bias_add":
            ndim = len(call.args[0].checked_type.shape)
            axis = int(attrs.axis) % ndim
            bias = args[1]
            if axis != ndim - 1:
                bias = self.const(self.params[bias].reshape([-1] + [1] * (ndim - axis - 1)), "bias")
            return self.node("Add", [args[0], bias], "bias_add")
        if op == "nn.max_pool2d":
            return self.node("MaxPool", args, "maxpool", kernel_shape=[int(k) for k in attrs.pool_size],
                             strides=[int(s) for s in attrs.strides], pads=self._pads(attrs.padding),
                             ceil_mode=int(bool(attrs.ceil_mode)))
        if op == "nn.global_avg_pool2d":
            return self.node("GlobalAveragePool", args, "gap")
        if op == "nn.batch_flatten":
            return self.node("Flatten", args, "flatten", axis=1)
        if op == "nn.dense":
            return self.node("Gemm", args, "dense", transB=1)
        if op == "nn.softmax":
            return self.node("Softmax", args, "softmax", axis=int(attrs.axis))
        raise ValueError(f"export: unsupported op {op}")

    def export(self, input_shape):
        out = self.visit(self.func.body)
        graph = helper.make_graph(
            self.nodes, "net",
            [helper.make_tensor_value_info(self.func.params[0].name_hint, TensorProto.FLOAT, input_shape)],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT,
                                           [int(d) for d in self.func.body.checked_type.shape])],
            initializer=self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


# --------------------------------------------------------------------------- networks
def workload(network, layout):
    shape = (3, 224, 224) if layout == "NCHW" else (224, 224, 3)
    if network == "resnet-18":
        return testing.resnet.get_workload(num_layers=18, batch_size=1, layout=layout, image_shape=shape)
    if network == "mobilenet":
        return testing.mobilenet.get_workload(batch_size=1, layout=layout, image_shape=shape)
    raise ValueError(f"unknown network {network!r} (resnet-18, mobilenet)")


def nhwc_params(mod_nhwc, params_nchw):
    """The NCHW weights laid out for the NHWC network (kernels follow each conv's kernel_layout)."""
    layouts = {}

    def visit(expr):
        if isinstance(expr, relay.Call) and expr.op.name == "nn.conv2d":
            weight = expr.args[1]
            if isinstance(weight, relay.Var):
                layouts[weight.name_hint] = expr.attrs.kernel_layout

    relay.analysis.post_order_visit(mod_nhwc["main"], visit)
    result = {}
    for name, value in params_nchw.items():
        array = value.numpy()
        if name in layouts:
            array = np.ascontiguousarray(array.transpose(["OIHW".index(c) for c in layouts[name]]))
        result[name] = tvm.runtime.tensor(array)
    return result


# --------------------------------------------------------------------------- runners


def run_fork(mod, params, data, target="llvm"):
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target=target, params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("data", data)
    module.run()
    out = module.get_output(0).numpy()
    return module.run, out


def run_ort(model, data, threads=2):
    import onnxruntime as ort  # pylint: disable=import-outside-toplevel

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # no warnings about initializers the model does not use
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: data}
    out = sess.run(None, feed)[0]
    return (lambda: sess.run(None, feed)), out


def run_relax(model, data):
    from tvm import relax  # pylint: disable=import-outside-toplevel
    from tvm.relax.frontend.onnx import from_onnx  # pylint: disable=import-outside-toplevel

    mod = from_onnx(model, shape_dict={"data": list(data.shape)})
    exe = tvm.compile(mod, target=tvm.target.Target("llvm"))
    vm = relax.VirtualMachine(exe, tvm.cpu())
    arg = tvm.runtime.tensor(data)
    out = vm["main"](arg)
    out = out.numpy() if hasattr(out, "numpy") else out[0].numpy()
    return (lambda: vm["main"](arg)), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", default=["resnet-18", "mobilenet"])
    parser.add_argument("--layouts", nargs="+", default=["NCHW", "NHWC"])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--relax-repeat", type=int, default=3)
    parser.add_argument("--no-relax", action="store_true", help="skip the (slow) base Relax build")
    parser.add_argument("--target", default="llvm",
                        help='the fork\'s target, e.g. "llvm -mcpu=core-avx2" (default: llvm, the host CPU)')
    args = parser.parse_args()

    rows = []
    for network in args.networks:
        mod_nchw, params_nchw = workload(network, "NCHW")
        params_nchw = testing.randomize_params(params_nchw)
        mod_nchw = relay.transform.InferType()(mod_nchw)
        model = OnnxExporter(mod_nchw["main"], params_nchw).export([1, 3, 224, 224])
        data_nchw = np.random.default_rng(0).uniform(-1, 1, (1, 3, 224, 224)).astype("float32")
        ort_run, ort_out = run_ort(model, data_nchw)
        forks = []
        for layout in args.layouts:
            if layout == "NCHW":
                mod, params, data = mod_nchw, params_nchw, data_nchw
            else:
                mod, _ = workload(network, layout)
                params = nhwc_params(mod, params_nchw)
                data = np.ascontiguousarray(data_nchw.transpose(0, 2, 3, 1))
            fork_run, fork_out = run_fork(mod, params, data, args.target)
            err = float(np.abs(fork_out - ort_out).max() / np.abs(ort_out).max())
            forks.append((layout, fork_run, err))
        # fork builds and ONNX Runtime in the same interleaved rounds
        times = interleaved_median_ms([ort_run] + [f[1] for f in forks], args.repeat)
        ort_ms = times[0]
        relax_ms = None
        if not args.no_relax:
            relax_run, relax_out = run_relax(model, data_nchw)
            np.testing.assert_allclose(relax_out, ort_out, rtol=1e-3, atol=1e-4)
            relax_ms, ort_again = interleaved_median_ms([relax_run, ort_run], args.relax_repeat, 1)
            relax_ms *= ort_ms / ort_again  # ratio measured next to ONNX Runtime
        for (layout, _, err), fork_ms in zip(forks, times[1:]):
            rows.append((network, layout, fork_ms, ort_ms, relax_ms, err))
            print_row(*rows[-1])
    print()
    print_table(rows)


def print_row(network, layout, fork_ms, ort_ms, relax_ms, err):
    relax = f"{relax_ms:9.1f}" if relax_ms is not None else "        -"
    print(f"{network}/{layout}: fork {fork_ms:.1f} ms, ort {ort_ms:.1f} ms, relax {relax.strip()} ms, "
          f"max |fork - ort| / max |ort| = {err:.1e}", flush=True)


def print_table(rows):
    head = f"{'network':12s} {'layout':6s} {'fork ms':>9s} {'ort ms':>9s} {'relax ms':>9s} " \
           f"{'fork/ort':>9s} {'relax/ort':>9s}"
    print(head)
    print("-" * len(head))
    for network, layout, fork_ms, ort_ms, relax_ms, _ in rows:
        relax = f"{relax_ms:9.1f}" if relax_ms is not None else f"{'-':>9s}"
        relax_ratio = f"{relax_ms / ort_ms:9.2f}" if relax_ms is not None else f"{'-':>9s}"
        print(f"{network:12s} {layout:6s} {fork_ms:9.1f} {ort_ms:9.1f} {relax} "
              f"{fork_ms / ort_ms:9.2f} {relax_ratio}")


if __name__ == "__main__":
    main()
