"""Out-of-range indices of the index ops: the compiled kernels agree with the reference
interpreter, and no index outside an axis reads or writes outside a tensor.

Semantics (see ``relay/op/_index.py``), for an index ``i`` of an axis of size ``d``:

* ``take(mode="clip")`` (default): ``i`` clamped to ``[0, d - 1]`` (negatives give row 0);
* ``take(mode="wrap")``: ``i mod d`` (Python's modulo: -1 is the last row);
* ``take(mode="fast")``, ``gather``, ``gather_nd``, ``scatter``, ``scatter_add``,
  ``scatter_nd``: ``-d <= i < 0`` counts from the end, anything else raises IndexError
  (the compiled kernel through the graph executor, and the reference interpreter).
"""
import contextlib

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, relay
from tvm.contrib import graph_executor

DATA = np.arange(20, dtype="float32").reshape(5, 4)
PATHS = [pytest.param(False, id="topi"), pytest.param(True, id="auto_scheduler")]


def _build(func, auto_sched=False, opt_level=3):
    ctx = auto_scheduler.ApplyHistoryBest([]) if auto_sched else contextlib.nullcontext()
    with ctx, tvm.transform.PassContext(opt_level=opt_level):
        lib = relay.build(tvm.IRModule.from_expr(func), target="llvm")
    return graph_executor.GraphModule(lib["default"](tvm.cpu()))


def _run(module, **inputs):
    for name, value in inputs.items():
        module.set_input(name, value)
    module.run()
    return module.get_output(0).numpy()


def _reference(func, *args):
    return relay.create_executor("debug", mod=tvm.IRModule.from_expr(func)).evaluate()(
        *args).numpy()


def _take_func(mode, axis=0, shape=(7,)):
    x = relay.var("x", shape=DATA.shape)
    i = relay.var("i", shape=shape, dtype="int32")
    # an elementwise op on each side: take is fused with its neighbours
    return relay.Function([x, i], relay.exp(relay.take(relay.negative(x), i, axis=axis,
                                                       mode=mode)) * relay.const(2.0))


IDX = np.array([-11, -5, -1, 0, 4, 5, 13], "int32")


@pytest.mark.parametrize("auto_sched", PATHS)
@pytest.mark.parametrize("mode,expected_rows", [
    ("clip", [0, 0, 0, 0, 4, 4, 4]),
    ("wrap", [4, 0, 4, 0, 4, 0, 3]),
])
def test_take_clip_and_wrap_define_every_index(mode, expected_rows, auto_sched):
    func = _take_func(mode)
    expected = np.exp(-DATA[expected_rows]) * 2
    np.testing.assert_allclose(_reference(func, DATA, IDX), expected, rtol=1e-6)
    for opt_level in (0, 3):
        np.testing.assert_allclose(_run(_build(func, auto_sched, opt_level), x=DATA, i=IDX),
                                   expected, rtol=1e-5)


@pytest.mark.parametrize("auto_sched", PATHS)
def test_take_fast_counts_negative_indices_from_the_end(auto_sched):
    func = _take_func("fast", shape=(5,))
    idx = np.array([-5, -1, 0, 3, 4], "int32")
    expected = np.exp(-DATA[[0, 4, 0, 3, 4]]) * 2
    np.testing.assert_allclose(_reference(func, DATA, idx), expected, rtol=1e-6)
    np.testing.assert_allclose(_run(_build(func, auto_sched), x=DATA, i=idx), expected,
                               rtol=1e-5)


@pytest.mark.parametrize("auto_sched", PATHS)
@pytest.mark.parametrize("bad", [5, -6, 1000, -(2**31)])
def test_take_fast_raises_for_an_index_out_of_range(bad, auto_sched):
    func = _take_func("fast", shape=(3,))
    idx = np.array([0, bad, 1], "int32")
    with pytest.raises(IndexError):
        _reference(func, DATA, idx)
    module = _build(func, auto_sched)
    with pytest.raises(IndexError, match=r"take: an index is out of range for an axis of size 5"):
        _run(module, x=DATA, i=idx)
    # the module still works for valid indices afterwards
    np.testing.assert_allclose(_run(module, x=DATA, i=np.array([0, -1, 1], "int32")),
                               np.exp(-DATA[[0, 4, 1]]) * 2, rtol=1e-5)


def test_take_fast_flattened_and_on_another_axis():
    x = relay.var("x", shape=DATA.shape)
    i = relay.var("i", shape=(2, 2), dtype="int32")
    flat = relay.Function([x, i], relay.take(x, i, mode="fast"))
    idx = np.array([[-20, -1], [0, 19]], "int32")
    np.testing.assert_array_equal(_run(_build(flat), x=DATA, i=idx), DATA.ravel()[idx])
    with pytest.raises(IndexError, match="axis of size 20"):
        _run(_build(flat), x=DATA, i=np.array([[20, 0], [0, 0]], "int32"))
    cols = relay.Function([x, i], relay.take(x, i, axis=1, mode="fast"))
    idx = np.array([[-4, -1], [0, 3]], "int32")
    np.testing.assert_array_equal(_run(_build(cols), x=DATA, i=idx), np.take(DATA, idx, axis=1))
    with pytest.raises(IndexError, match="axis of size 4"):
        _run(_build(cols), x=DATA, i=np.array([[4, 0], [0, 0]], "int32"))


def _gather_cases():
    x = relay.var("x", shape=DATA.shape)
    i2 = relay.var("i", shape=(2, 4), dtype="int32")
    i1 = relay.var("i", shape=(1, 3), dtype="int32")
    upd = relay.const(np.ones((2, 4), "float32"))
    upd_nd = relay.const(np.ones((3, 4), "float32"))
    good2 = np.array([[-5, -1, 0, 4], [1, 2, 3, -2]], "int32")
    bad2 = np.array([[0, 0, 5, 0], [0, 0, 0, 0]], "int32")
    good1, bad1 = np.array([[-5, -1, 2]], "int32"), np.array([[0, -6, 1]], "int32")
    gather_expected = np.take_along_axis(DATA, good2 % 5, axis=0)
    gnd_good = np.array([[-1, 0, 2], [1, -4, 3]], "int32")
    gnd_bad = np.array([[0, 0, 0], [0, 4, 0]], "int32")
    scattered = DATA.copy()
    for pos in np.ndindex(2, 4):
        scattered[good2[pos] % 5, pos[1]] = 1.0
    scattered_add = DATA.copy()
    for pos in np.ndindex(2, 4):
        scattered_add[good2[pos] % 5, pos[1]] += 1.0
    scattered_nd = DATA.copy()
    scattered_nd[[0, 4, 2]] = 1.0
    return [
        ("gather", relay.gather(x, 0, i2), i2, good2, bad2, gather_expected),
        ("gather_nd", relay.gather_nd(x, relay.var("i", shape=(2, 3), dtype="int32")), None,
         gnd_good, gnd_bad, DATA[gnd_good[0] % 5, gnd_good[1] % 4]),
        ("scatter", relay.scatter(x, i2, upd, 0), i2, good2, bad2, scattered),
        ("scatter_add", relay.scatter_add(x, i2, upd, 0), i2, good2, bad2, scattered_add),
        ("scatter_nd", relay.scatter_nd(x, i1, upd_nd), i1, good1, bad1, scattered_nd),
    ]


@pytest.mark.parametrize("auto_sched", PATHS)
@pytest.mark.parametrize("case", _gather_cases(), ids=lambda c: c[0])
def test_gathers_and_scatters_take_negative_indices_and_raise_out_of_range(case, auto_sched):
    name, body, _, good, bad, expected = case
    func = relay.Function(relay.analysis.free_vars(body), body)
    np.testing.assert_allclose(_reference(func, DATA, good), expected)
    module = _build(func, auto_sched)
    np.testing.assert_allclose(_run(module, x=DATA, i=good), expected)
    with pytest.raises(IndexError):
        _reference(func, DATA, bad)
    with pytest.raises(IndexError, match=f"{name}: an index is out of range"):
        _run(module, x=DATA, i=bad)


@pytest.mark.parametrize("dtype", ["uint8", "int64"])
def test_take_fast_with_other_index_dtypes(dtype):
    x = relay.var("x", shape=DATA.shape)
    i = relay.var("i", shape=(3,), dtype=dtype)
    func = relay.Function([x, i], relay.take(x, i, axis=0, mode="fast"))
    module = _build(func)
    idx = np.array([4, 0, 2], dtype)
    np.testing.assert_array_equal(_run(module, x=DATA, i=idx), DATA[[4, 0, 2]])
    np.testing.assert_array_equal(_reference(func, DATA, idx), DATA[[4, 0, 2]])
    with pytest.raises(IndexError, match="axis of size 5"):
        _run(module, x=DATA, i=np.array([0, 5, 200], dtype))


def test_scatter_takes_indices_smaller_than_data_and_rejects_larger_ones():
    x = relay.var("x", shape=DATA.shape)
    idx = np.array([[-1, 2], [0, 3]], "int32")  # (2, 2) into (5, 4) along axis 0
    upd = np.array([[10, 20], [30, 40]], "float32")
    func = relay.Function([x], relay.scatter(x, relay.const(idx), relay.const(upd), 0))
    expected = DATA.copy()
    expected[4, 0], expected[2, 1], expected[0, 0], expected[3, 1] = 10, 20, 30, 40
    np.testing.assert_array_equal(_reference(func, DATA), expected)
    np.testing.assert_array_equal(_run(_build(func), x=DATA), expected)
    big = np.zeros((1, 6), "int32")  # 6 > 4 columns: it wrote outside data
    func = relay.Function([x], relay.scatter(x, relay.const(big), relay.const(big.astype("float32")), 0))
    with pytest.raises(Exception, match="larger than data"):
        relay.transform.InferType()(tvm.IRModule.from_expr(func))
