"""Shared checks of the PyTorch frontend tests: convert, build, run, compare with torch eager."""
import numpy as np
import torch

import tvm
from tvm import relay
from tvm.contrib import graph_executor

RTOL = 1e-4
ATOL = 1e-5


def eager(model, args):
    """torch's outputs as a flat list of arrays."""
    with torch.no_grad():
        out = model(*args)
    flat = []

    def visit(value):
        if isinstance(value, list | tuple):
            for item in value:
                visit(item)
        else:
            flat.append(value.detach().numpy())

    visit(out)
    return flat


def input_infos(args, names=None):
    names = names or [f"input{i}" for i in range(len(args))]
    return [(name, tuple(arg.shape)) for name, arg in zip(names, args)], names


def convert(model, args, path, names=None, **kwargs):
    """``(mod, params, input names)`` through ``"trace"`` or ``"script"`` (from_pytorch),
    or ``"export"`` / ``"export-core"`` (from_exported_program)."""
    infos, names = input_infos(args, names)
    if path == "trace":
        with torch.no_grad():
            traced = torch.jit.trace(model, tuple(args))
        mod, params = relay.frontend.from_pytorch(traced, infos, **kwargs)
    elif path == "script":
        mod, params = relay.frontend.from_pytorch(torch.jit.script(model), infos, **kwargs)
    elif path == "export":
        program = torch.export.export(model, tuple(args))
        mod, params = relay.frontend.from_exported_program(program, infos, **kwargs)
    elif path == "export-core":
        program = torch.export.export(model, tuple(args)).run_decompositions()
        mod, params = relay.frontend.from_exported_program(program, infos, **kwargs)
    else:
        raise ValueError(path)
    return mod, params, names


def build_and_run(mod, params, feeds):
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for name, value in feeds.items():
        module.set_input(name, value)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def verify(model, args, path, names=None, rtol=RTOL, atol=ATOL, min_std=None):
    """Convert ``model`` by ``path``, build for llvm at opt_level 3, compare with eager.

    ``min_std``: require every float reference output to spread at least this much, so
    that a network whose outputs collapsed to near-constants cannot pass vacuously.
    """
    model = model.eval()
    expected = eager(model, args)
    if min_std is not None:
        for index, want in enumerate(expected):
            assert want.std() > min_std, f"output {index} is degenerate (std {want.std()})"
    mod, params, names = convert(model, args, path, names)
    actual = build_and_run(mod, params, {n: a.numpy() for n, a in zip(names, args)})
    assert len(actual) == len(expected), (len(actual), len(expected))
    for index, (got, want) in enumerate(zip(actual, expected)):
        assert got.shape == want.shape, (index, got.shape, want.shape)
        assert got.dtype == want.dtype, (index, got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                   err_msg=f"output {index} ({path})")
    return mod, params
