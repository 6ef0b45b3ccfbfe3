"""Jobs that the auto-scheduler runs in measurement worker processes (the fork's own).

The workers are :mod:`tvm.contrib.popen_pool`'s. Kept apart from :mod:`.measure`
and free of MetaSchedule imports so that a worker process only pays for
``import tvm``. Every job takes plain values (JSON text of IR, file names,
numbers) and returns plain values; a run job returns ``("ok", costs)`` or
``("wrong", message)``, as :func:`tvm.contrib.popen_pool.measure_error` expects.
"""
import os
import shutil
import tempfile
import time

import numpy as np

#: Per-process cache of reference data: key -> (inputs, expected outputs).
_REFERENCE = {}


def _target(target_text):
    import tvm  # pylint: disable=import-outside-toplevel

    return tvm.target.Target(target_text)


def build_job(mod_json, target_text, build_func, out_dir, strip_preproc):
    """Compile a scheduled module and export it; returns ``(library path, seconds)``.

    ``build_func`` is ``"default"`` (shared library through the base's
    ``export_library``) or a callable ``fcompile(output, objects, options=None)``
    handed to ``export_library`` as upstream's custom build functions were.
    """
    import tvm  # pylint: disable=import-outside-toplevel

    start = time.time()
    mod = tvm.ir.load_json(mod_json)
    if strip_preproc:
        from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock  # pylint: disable=import-outside-toplevel

        mod = RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)
    exe = tvm.compile(mod, target=_target(target_text))
    fd, path = tempfile.mkstemp(suffix=".so", prefix="ansor_", dir=out_dir)
    os.close(fd)
    if build_func == "default" or build_func is None:
        exe.export_library(path)
    else:
        exe.export_library(path, fcompile=build_func)
    return path, time.time() - start


def warmup_build():
    """Compile and export a tiny program once, when a build worker starts.

    Its one-time set-up would otherwise be charged to the first build's timeout.
    A failure here is left to the first real build to report.
    """
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import te  # pylint: disable=import-outside-toplevel

    out_dir = tempfile.mkdtemp(prefix="ansor_warmup_")
    try:
        A = te.placeholder((4,), name="A")
        B = te.compute((4,), lambda i: A[i] + 1.0, name="B")
        exe = tvm.compile(tvm.IRModule({"main": te.create_prim_func([A, B])}), target="llvm")
        exe.export_library(os.path.join(out_dir, "warmup.so"))
    except Exception:  # pylint: disable=broad-except
        pass
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def _random_fill(shape, dtype, rng):
    if dtype.startswith("float"):
        return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)
    if dtype.startswith("int") or dtype.startswith("uint"):
        return rng.randint(0, 8, size=shape).astype(dtype)
    if dtype == "bool":
        return rng.randint(0, 2, size=shape).astype(dtype)
    return np.zeros(shape, dtype=dtype)


def prepare_reference(key, ref_mod_json, target_text, arg_specs, n_outputs):
    """Build the unscheduled program once and record its outputs on seeded inputs."""
    if key in _REFERENCE:
        return True
    import tvm  # pylint: disable=import-outside-toplevel

    mod = tvm.ir.load_json(ref_mod_json)
    exe = tvm.compile(mod, target=_target(target_text))
    rng = np.random.RandomState(0)
    arrays = [_random_fill(shape, dtype, rng) for shape, dtype in arg_specs]
    dev = tvm.cpu()
    tensors = [tvm.runtime.tensor(a, dev) for a in arrays]
    exe.mod["main"](*tensors)
    n_in = len(arrays) - n_outputs
    _REFERENCE[key] = (arrays[:n_in], [t.numpy() for t in tensors[n_in:]], arrays[n_in:])
    return True


def _close(out, ref):
    if out.dtype.kind == "f":
        scale = float(np.max(np.abs(ref[np.isfinite(ref)]))) if np.isfinite(ref).any() else 1.0
        return np.allclose(out, ref, rtol=1e-3, atol=1e-4 * max(scale, 1.0), equal_nan=True)
    return np.array_equal(out, ref)


def run_job(path, arg_specs, ref_key, number, repeat, min_repeat_ms, cooldown_interval, cache_flush,
            layout_transforms=()):
    """Load a built library, check its outputs against the reference, time it.

    ``layout_transforms`` lists ``(param index, new shape)`` of the weights that
    ``main`` takes pre-transformed; the library's ``layout_transform_<index>``
    functions transform the reference inputs.

    Returns ``("ok", costs)`` or ``("wrong", message)``.
    """
    import tvm  # pylint: disable=import-outside-toplevel

    dev = tvm.cpu()
    lib = tvm.runtime.load_module(path)
    func_name = "main"
    if ref_key is not None and ref_key in _REFERENCE:
        inputs, expected, out_init = _REFERENCE[ref_key]
        args = [tvm.runtime.tensor(a, dev) for a in inputs]
        for idx, shape in layout_transforms:
            new = tvm.runtime.empty(shape, arg_specs[idx][1], dev)
            lib["layout_transform_%d" % idx](args[idx], new)
            args[idx] = new
        # outputs start from garbage-like values, not the reference's zeros
        outs = [tvm.runtime.tensor(np.full_like(o, 7), dev) for o in out_init]
        lib[func_name](*(args + outs))
        for idx, (out, ref) in enumerate(zip(outs, expected)):
            if not _close(out.numpy(), ref):
                return "wrong", "output %d differs from the reference of the unscheduled program" % idx
        all_args = args + outs
    else:
        specs = list(arg_specs)
        for idx, shape in layout_transforms:
            specs[idx] = (shape, specs[idx][1])
        all_args = [tvm.runtime.empty(shape, dtype, dev) for shape, dtype in specs]
    if cooldown_interval > 0:
        time.sleep(cooldown_interval)
    kwargs = {}
    if cache_flush:
        kwargs["f_preproc"] = "cache_flush_cpu_non_first_arg"
    evaluator = lib.time_evaluator(func_name, dev, number=number, repeat=repeat, min_repeat_ms=min_repeat_ms, **kwargs)
    costs = list(evaluator(*all_args).results)
    return "ok", costs


def rpc_run_job(path, arg_specs, number, repeat, min_repeat_ms, cooldown_interval, cache_flush, device_type,
                session_args):
    """Time a built library on a server of an RPC tracker.

    ``session_args`` are :func:`tvm.contrib.tracker_measure.measured_session`'s
    (the tracker, the key, the wait limit, the note naming the server, the
    session's time limit). Returns ``("ok", costs, seconds)``; seconds count
    the upload too.
    """
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm.contrib.tracker_measure import measured_session  # pylint: disable=import-outside-toplevel

    with measured_session(session_args) as remote:
        start = time.time()
        remote.upload(path)
        lib = remote.load_module(os.path.basename(path))
        dev = remote.device(device_type, 0)
        args = [tvm.runtime.empty(shape, dtype, dev) for shape, dtype in arg_specs]
        if cooldown_interval > 0:
            time.sleep(cooldown_interval)
        kwargs = {"f_preproc": "cache_flush_cpu_non_first_arg"} if cache_flush else {}
        evaluator = lib.time_evaluator("main", dev, number=number, repeat=repeat, min_repeat_ms=min_repeat_ms,
                                       **kwargs)
        costs = list(evaluator(*args).results)
        remote.remove(os.path.basename(path))
        return "ok", costs, time.time() - start
