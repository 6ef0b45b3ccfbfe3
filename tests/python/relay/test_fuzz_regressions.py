"""Minimal regression tests of the bugs the random graphs of ``fuzz/graph_generator.py``
found; each builds the smallest graph showing the bug with the TOPI schedules and under
``auto_scheduler.ApplyHistoryBest([])``, at opt_level 0 and 3, and compares the graph
executor with the reference interpreter and NumPy."""
import os
import sys

import numpy as np
import pytest

import tvm
from tvm import relay

sys.path.insert(0, os.path.dirname(__file__))
from fuzz.graph_generator import CONFIGS, RandomGraph, check_graph  # noqa: E402


def _graph(func, inputs, weights=()):
    return RandomGraph("regression", 0, func, inputs, set(weights))


def _check(func, inputs, weights=(), expected=None):
    graph = _graph(func, inputs, weights)
    if expected is not None:
        ref = relay.create_executor("debug", mod=graph.mod).evaluate()(
            *[inputs[p.name_hint] for p in func.params]).numpy()
        np.testing.assert_allclose(ref, expected, rtol=1e-5, atol=1e-5)
    check_graph(graph, CONFIGS)


@pytest.mark.parametrize("mult", [1, 2])
def test_depthwise_nhwc_hwio_conv_is_scheduled_as_the_grouped_conv_it_computes(mult):
    """seed=1 graph=4: a depthwise NHWC conv with an HWIO kernel (H, W, 1, C*m) is computed
    by group_conv2d_nhwc; the strategy chose the depthwise_conv2d_nhwc schedule, whose
    anchor was missing (AnchorNotFoundError at every opt level)."""
    rng = np.random.default_rng(0)
    x = relay.var("x", shape=(1, 3, 4, 3))
    w = relay.var("w", shape=(3, 3, 1, 3 * mult))
    conv = relay.nn.conv2d(x, w, padding=(1, 1), groups=3, channels=3 * mult,
                           kernel_size=(3, 3), data_layout="NHWC", kernel_layout="HWIO")
    xv = rng.uniform(-1, 1, (1, 3, 4, 3)).astype("float32")
    wv = rng.uniform(-1, 1, (3, 3, 1, 3 * mult)).astype("float32")
    # NumPy: output channel o reads input channel o // mult
    pad = np.pad(xv, ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = np.zeros((1, 3, 4, 3 * mult), "float32")
    for o in range(3 * mult):
        for dy in range(3):
            for dx in range(3):
                expected[0, :, :, o] += pad[0, dy:dy + 3, dx:dx + 4, o // mult] * wv[dy, dx, 0, o]
    _check(relay.Function([x, w], conv), {"x": xv, "w": wv}, weights=["w"], expected=expected)


def test_gather_with_indices_smaller_than_data_on_the_other_axes():
    """fuzz (gather focus, seed 7): relay's gather (ONNX GatherElements, torch.gather) takes
    indices smaller than data on the axes other than ``axis``; the output has the shape of
    indices. The reference interpreter used np.take_along_axis, which broadcasts indices
    against data: a (4, 3) result instead of (4, 1), or an IndexError."""
    x = relay.var("x", shape=(2, 3, 4))
    idx = np.array([[[-2, 1]], [[0, -1]], [[1, 0]]], "int32").transpose(1, 0, 2)  # (1, 3, 2)
    func = relay.Function([x], relay.gather(x, 1, relay.const(idx)))
    xv = np.random.default_rng(0).uniform(-1, 1, (2, 3, 4)).astype("float32")
    expected = np.empty(idx.shape, "float32")
    for i, j, k in np.ndindex(*idx.shape):
        expected[i, j, k] = xv[i, idx[i, j, k] % 3, k]
    _check(func, {"x": xv}, expected=expected)


def test_gather_rejects_indices_larger_than_data_on_another_axis():
    """Such indices made the compiled kernel read outside data on that axis."""
    x = relay.var("x", shape=(1, 3))
    func = relay.Function([x], relay.gather(x, 0, relay.const(np.zeros((4, 5), "int32"))))
    with pytest.raises(Exception, match="larger than data"):
        relay.transform.InferType()(tvm.IRModule.from_expr(func))
