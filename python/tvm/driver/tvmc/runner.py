"""``tvmc run``: run a package on random or given inputs, time it, profile it."""
import numpy as np

from . import TVMCException
from .package import TVMCPackage


class TVMCResult:
    """Outputs (``{"output_0": array, ...}``) and timing (seconds per run) of a run."""

    def __init__(self, outputs, times, profile=None):
        self.outputs = outputs
        self.times = times
        self.profile = profile

    def format_times(self):
        """Upstream's summary: mean, median, max, min, std in ms."""
        if not self.times:
            return ""
        ms = np.array(self.times) * 1e3
        head = f"{'mean (ms)':>10} {'median (ms)':>12} {'max (ms)':>10} {'min (ms)':>10} {'std (ms)':>10}"
        row = (f"{ms.mean():>10.2f} {np.median(ms):>12.2f} {ms.max():>10.2f} {ms.min():>10.2f} "
               f"{ms.std():>10.2f}")
        return "Execution time summary:\n" + head + "\n" + row

    def save(self, path):
        np.savez(path, **self.outputs)


def make_inputs(shapes, dtypes, given=None, fill_mode="random"):
    """The input arrays: those ``given`` (an npz's), the others filled by ``fill_mode``."""
    rng = np.random.default_rng(0)
    inputs = {}
    for name, shape in shapes.items():
        dtype = dtypes[name]
        if given is not None and name in given:
            value = np.asarray(given[name])
            if tuple(value.shape) != tuple(shape):
                raise TVMCException(f"--inputs: {name} has shape {tuple(value.shape)}, the model expects "
                                    f"{tuple(shape)}")
            inputs[name] = value.astype(dtype)
        elif fill_mode == "zeros":
            inputs[name] = np.zeros(shape, dtype)
        elif fill_mode == "ones":
            inputs[name] = np.ones(shape, dtype)
        elif np.issubdtype(np.dtype(dtype), np.integer):
            inputs[name] = rng.integers(0, 8, shape).astype(dtype)
        else:
            inputs[name] = rng.uniform(-1, 1, shape).astype(dtype)
    return inputs


def run_module(package_path, device="cpu", inputs_file=None, fill_mode="random", repeat=10, number=1,
               profile=False, rpc_key=None, hostname=None, port=9090):
    """Run a package (upstream's ``tvmc.run``).

    Returns
    -------
    TVMCResult
    """
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

    if rpc_key or hostname:
        raise TVMCException("tvmc run: running on a remote device (--rpc-key/--rpc-tracker) is not "
                            "supported yet; copy the package there and run it locally")
    if device != "cpu":
        raise TVMCException(f"--device {device}: only cpu is supported")
    package = TVMCPackage(package_path)
    dev = tvm.cpu(0)
    lib = tvm.runtime.load_module(package.lib_path)
    if profile:
        from tvm.contrib.debugger import debug_executor  # pylint: disable=import-outside-toplevel

        module = debug_executor.create(package.graph, lib, dev)
    else:
        module = graph_executor.create(package.graph, lib, dev)
    module.load_params(package.params)
    shapes, dtypes = module.get_input_info()
    params_names = set(tvm.runtime.load_param_dict(package.params))
    data_inputs = {n: s for n, s in shapes.items() if n not in params_names}
    given = None
    if inputs_file:
        try:
            given = dict(np.load(inputs_file))
        except Exception as err:  # pylint: disable=broad-except
            raise TVMCException(f"--inputs: cannot read {inputs_file} as an .npz file: {err}") from err
        unknown = sorted(set(given) - set(data_inputs))
        if unknown:
            raise TVMCException(f"--inputs: {inputs_file} has {', '.join(unknown)}, which the model does not take; "
                                f"its inputs are {', '.join(data_inputs)}")
    inputs = make_inputs(data_inputs, dtypes, given, fill_mode)
    module.set_input(**inputs)
    module.run()
    report = module.profile() if profile else None
    times = []
    if repeat > 0:
        timing = module.benchmark(dev, repeat=repeat, number=number)
        times = list(timing.results)
    outputs = {f"output_{i}": module.get_output(i).numpy() for i in range(module.get_num_outputs())}
    package.cleanup()
    return TVMCResult(outputs, times, report)


def add_run_parser(subparsers):
    parser = subparsers.add_parser("run", help="run a compiled package")
    parser.set_defaults(func=drive_run)
    parser.add_argument("FILE", help="the package (.tar written by tvmc compile)")
    parser.add_argument("--device", default="cpu", choices=("cpu",), help="where to run (cpu)")
    parser.add_argument("--fill-mode", default="random", choices=("zeros", "ones", "random"),
                        help="how to fill inputs not given by --inputs (default random)")
    parser.add_argument("-i", "--inputs", metavar="NPZ", help="input values, an .npz file keyed by input name")
    parser.add_argument("-o", "--outputs", metavar="NPZ", help="save the outputs (output_0, ...) to this .npz")
    parser.add_argument("--print-time", action="store_true", help="print the execution time summary")
    parser.add_argument("--print-top", type=int, metavar="N", help="print the top N values of output 0")
    parser.add_argument("--profile", action="store_true",
                        help="print a per-operator profile (debug executor: time and share of each fused function)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs (default 1)")
    parser.add_argument("--number", type=int, default=1, help="runs averaged per timed run (default 1)")
    parser.add_argument("--rpc-key", help="run remotely (not supported yet)")
    parser.add_argument("--rpc-tracker", help="HOST:PORT of the RPC tracker (not supported yet)")


def drive_run(args):
    from .common import tracker_host_port  # pylint: disable=import-outside-toplevel

    host, port = tracker_host_port(args.rpc_tracker)
    result = run_module(args.FILE, args.device, args.inputs, args.fill_mode,
                        repeat=args.repeat if (args.print_time or args.repeat > 1) else 0,
                        number=args.number, profile=args.profile, rpc_key=args.rpc_key,
                        hostname=host, port=port)
    if args.profile:
        print(result.profile.table())
    if args.outputs:
        result.save(args.outputs)
        print(f"outputs saved to {args.outputs}")
    if args.print_top:
        first = result.outputs["output_0"].ravel()
        top = np.argsort(-first)[:args.print_top]
        print("The output top-%d indices: %s" % (args.print_top, list(map(int, top))))
        print("The output top-%d values: %s" % (args.print_top, [float(first[i]) for i in top]))
    if args.print_time:
        print(result.format_times())
    if not (args.outputs or args.print_top or args.print_time or args.profile):
        print(f"ran {args.FILE}; outputs: " + ", ".join(
            f"{k} {tuple(v.shape)}" for k, v in result.outputs.items()))
    return 0
