"""Jobs that AutoTVM runs in measurement worker processes.

The workers are :mod:`tvm.contrib.popen_pool`'s. Kept free of template code: a
worker receives a scheduled TensorIR module (``tvm.ir.save_json`` text), so any
template, including one defined in a user's script, can be measured without
being importable in the worker. A run job returns ``("ok", costs)`` or
``("wrong", message)``, as :func:`tvm.contrib.popen_pool.measure_error` expects.
"""
import os
import time

import numpy as np

import tvm

_INPUT_CACHE = {}


def build_job(mod_json, target, target_host, out_dir, name):
    """Compile a scheduled module and export it; returns ``(path, seconds)``."""
    start = time.time()
    mod = tvm.ir.load_json(mod_json)
    target = tvm.target.Target(target, host=target_host) if target_host else tvm.target.Target(target)
    executable = tvm.compile(mod, target=target)
    path = os.path.join(out_dir, f"{name}.so")
    executable.export_library(path)
    return path, time.time() - start


def _random_inputs(arg_info):
    key = tuple((tuple(s), d) for s, d in arg_info)
    if key not in _INPUT_CACHE:
        rng = np.random.default_rng(0)
        arrays = []
        for shape, dtype in arg_info:
            if "float" in dtype:
                arrays.append(rng.uniform(-1, 1, size=shape).astype(dtype))
            else:
                arrays.append(rng.integers(0, 8, size=shape).astype(dtype))
        _INPUT_CACHE.clear()
        _INPUT_CACHE[key] = arrays
    return _INPUT_CACHE[key]


def run_job(path, arg_info, number, repeat, min_repeat_ms, cache_flush, ref, rpc, entry="main"):
    """Time the kernel in ``path``; returns ``("ok", costs)`` or ``("wrong", message)``.

    ``ref`` is None or ``(inputs, outputs_by_index)``: the candidate is run
    once on ``inputs`` and each output argument is compared with the
    reference (``"wrong"`` on a mismatch). ``rpc`` is None (local) or the
    arguments of :func:`tvm.contrib.tracker_measure.measured_session`.
    """
    if rpc is None:
        return _check_and_time(tvm.runtime.load_module(path), tvm.cpu(0), arg_info, number, repeat,
                               min_repeat_ms, cache_flush, ref, entry)
    # one session per candidate, as upstream: holding one would keep the
    # device busy for every other client of the tracker
    from tvm.contrib.tracker_measure import measured_session  # pylint: disable=import-outside-toplevel

    with measured_session(rpc) as remote:
        remote.upload(path)
        return _check_and_time(remote.load_module(os.path.basename(path)), remote.cpu(0), arg_info, number,
                               repeat, min_repeat_ms, cache_flush, ref, entry)


def _check_and_time(lib, dev, arg_info, number, repeat, min_repeat_ms, cache_flush, ref, entry):
    arrays = ref[0] if ref is not None else _random_inputs(arg_info)
    args = [tvm.runtime.tensor(a, dev) for a in arrays]
    if ref is not None:
        lib[entry](*args)
        for idx, expected in ref[1].items():
            got = args[idx].numpy()
            if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-3, atol=1e-3):
                err = float(np.max(np.abs(got - expected))) if got.shape == expected.shape else float("nan")
                return "wrong", f"output {idx} differs from the reference (max abs error {err:.3g})"
    f_preproc = "cache_flush_cpu_non_first_arg" if cache_flush else ""
    timer = lib.time_evaluator(
        entry, dev, number=number, repeat=repeat, min_repeat_ms=min_repeat_ms, f_preproc=f_preproc
    )
    return "ok", list(timer(*args).results)
