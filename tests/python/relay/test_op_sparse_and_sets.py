"""TVM 0.8's set, search, sparse, segment and correlation ops (issue 16): ``unique``,
``searchsorted``, ``sparse_to_dense``, ``sparse_reshape``, ``segment_sum``,
``adv_index`` and ``nn.correlation``.

Each op is checked against a NumPy reference written in this file, through both
``relay.create_executor`` (the reference interpreter, kind ``"debug"``) and
``relay.build`` + the graph executor (the TOPI / TensorIR kernels).
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor

RNG = np.random.default_rng(16)


def _func(expr):
    if isinstance(expr, relay.TupleWrapper):
        expr = expr.astuple()
    return relay.Function(relay.analysis.free_vars(expr), expr)


def _as_list(value):
    if isinstance(value, (list, tuple)):
        return [v.numpy() for v in value]
    return [value.numpy()]


def _interpreted(func, args):
    mod = tvm.IRModule.from_expr(func)
    return _as_list(relay.create_executor("debug", mod=mod).evaluate()(*args))


def _built(func, args):
    mod = tvm.IRModule.from_expr(func)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    for param, arg in zip(func.params, args):
        module.set_input(param.name_hint, arg)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def _check_both(expr, args, expected, rtol=1e-5, atol=1e-6, compare=None):
    """The interpreter and the compiled module give ``expected`` (a list of arrays);
    ``compare(got, expected)`` replaces the exact comparison when given."""
    func = _func(expr)
    for kind, run in (("debug", _interpreted), ("graph", _built)):
        got = run(func, args)
        assert len(got) == len(expected), kind
        for value, ref in zip(got, expected):
            if compare is not None:
                compare(value, ref)
            elif value.dtype.kind in "biu":
                assert value.dtype == ref.dtype, kind
                np.testing.assert_array_equal(value, ref, err_msg=kind)
            else:
                np.testing.assert_allclose(value, ref, rtol=rtol, atol=atol, err_msg=kind)


def _infer(expr):
    if isinstance(expr, relay.TupleWrapper):
        expr = expr.astuple()
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(_func(expr)))
    return mod["main"].body.checked_type


# -- unique -------------------------------------------------------------------------------
def _numpy_unique(data, is_sorted, return_counts):
    """(unique, first index, inverse, num_unique[, counts]), padded with zeros to len(data)."""
    values, first, inverse, counts = np.unique(data, return_index=True, return_inverse=True,
                                               return_counts=True)
    if not is_sorted:  # order of first occurrence
        order = np.argsort(first)
        rank = np.argsort(order)
        values, first, counts, inverse = values[order], first[order], counts[order], rank[inverse]
    n, num = len(data), len(values)

    def pad(array, dtype):
        out = np.zeros(n, dtype)
        out[:num] = array
        return out

    out = [pad(values, data.dtype), pad(first, "int32"), inverse.reshape(-1).astype("int32"),
           np.array([num], "int32")]
    return out + [pad(counts, "int32")] if return_counts else out


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32"])
@pytest.mark.parametrize("kind", ["random", "all_unique", "all_equal", "single"])
@pytest.mark.parametrize("is_sorted,return_counts", [(True, True), (False, True), (True, False),
                                                     (False, False)])
def test_unique(dtype, kind, is_sorted, return_counts):
    data = {
        "random": RNG.integers(0, 8, 23),
        "all_unique": RNG.permutation(17) * 3 - 20,
        "all_equal": np.full(9, 5),
        "single": np.array([-4]),
    }[kind].astype(dtype)
    x = relay.var("x", shape=data.shape, dtype=dtype)
    outs = relay.unique(x, is_sorted, return_counts)
    assert len(outs) == (5 if return_counts else 4)
    _check_both(outs, [data], _numpy_unique(data, is_sorted, return_counts))


def test_unique_types_and_errors():
    ty = _infer(relay.unique(relay.var("x", shape=(6,), dtype="int64"), return_counts=True))
    assert [(tuple(f.shape), f.dtype) for f in ty.fields] == [
        ((6,), "int64"), ((6,), "int32"), ((6,), "int32"), ((1,), "int32"), ((6,), "int32")]
    with pytest.raises(Exception, match="1-D"):
        _infer(relay.unique(relay.var("x", shape=(2, 3), dtype="int32")))


def test_unique_dynamic_length_runs_on_the_vm_stand_in():
    data = np.array([4, 5, 1, 2, 3, 3, 4, 5], "int32")
    x = relay.var("x", shape=(relay.Any(),), dtype="int32")
    mod = tvm.IRModule.from_expr(_func(relay.unique(x, False, True)))
    got = _as_list(relay.create_executor("vm", mod=mod, target="llvm").evaluate()(data))
    for value, ref in zip(got, _numpy_unique(data, False, True)):
        np.testing.assert_array_equal(value, ref)
    assert got[3][0] == 5 and list(got[0][:5]) == [4, 5, 1, 2, 3]


# -- searchsorted -------------------------------------------------------------------------
def _numpy_searchsorted(seq, values, right, dtype):
    side = "right" if right else "left"
    if seq.ndim == 1:
        return np.searchsorted(seq, values, side=side).astype(dtype)
    out = np.empty(values.shape, dtype)
    for outer in np.ndindex(*values.shape[:-1]):
        out[outer] = np.searchsorted(seq[outer], values[outer], side=side)
    return out


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("seq_shape,values_shape", [((7,), (3, 4)), ((2, 3, 6), (2, 3, 5)),
                                                    ((1,), (4,))])
def test_searchsorted(seq_shape, values_shape, right, dtype):
    # small integers as floats: many ties, where ``right`` matters
    seq = np.sort(RNG.integers(-3, 4, seq_shape), axis=-1).astype("float32")
    values = RNG.integers(-4, 5, values_shape).astype("float32")
    expr = relay.searchsorted(relay.var("s", shape=seq_shape), relay.var("v", shape=values_shape),
                              right, dtype)
    _check_both(expr, [seq, values], [_numpy_searchsorted(seq, values, right, dtype)])


def test_searchsorted_rejects_mismatched_outer_axes():
    with pytest.raises(Exception, match="outer axes"):
        _infer(relay.searchsorted(relay.var("s", shape=(2, 5)), relay.var("v", shape=(3, 4))))


# -- sparse_to_dense ----------------------------------------------------------------------
def _numpy_sparse_to_dense(indices, values, default, shape):
    out = np.full(shape, default, dtype=values.dtype)
    coords = indices.reshape(-1, len(shape) if indices.ndim == 2 else 1)
    for row, value in zip(coords, np.broadcast_to(values, (len(coords),))):
        if all(0 <= c < d for c, d in zip(row, shape)):  # outside: skipped
            out[tuple(row)] = value  # the last of repeated indices wins
    return out


@pytest.mark.parametrize("index_dtype", ["int32", "int64"])
@pytest.mark.parametrize("case", [
    ("scalar", 1, 3.0, 0.0, [5]),
    ("vector", [0, 1, 4], [3.0, 4.0, 5.0], 0.0, [5]),
    ("matrix", [[0, 0], [1, 2]], [1.0, 2.0], 0.5, [3, 4]),
    ("3d", [[0, 0, 0], [1, 2, 3]], [1.0, 2.0], 4.0, [2, 3, 4]),
    ("one_value", [[0, 1], [2, 2]], 7.0, -1.0, [3, 3]),
    ("repeated", [1, 3, 1], [1.0, 2.0, 3.0], 0.0, [4]),
    ("outside", [[0, 5], [1, 1], [-1, 0]], [1.0, 2.0, 3.0], 9.0, [2, 3]),
], ids=lambda case: case[0])
def test_sparse_to_dense(case, index_dtype):
    _, indices, values, default, shape = case
    indices = np.array(indices, index_dtype)
    values = np.array(values, "float32")
    default = np.array(default, "float32")
    expr = relay.sparse_to_dense(relay.var("i", shape=indices.shape, dtype=index_dtype), shape,
                                 relay.var("v", shape=values.shape),
                                 relay.var("d", shape=(), dtype="float32"))
    assert _infer(expr) == relay.TensorType(shape, "float32")
    _check_both(expr, [indices, values, default],
                [_numpy_sparse_to_dense(indices, values, default, shape)])


def test_sparse_to_dense_default_value_and_integer_values():
    indices = np.array([[0, 1], [1, 0]], "int64")
    values = np.array([5, 6], "int32")
    # default 0 (a python number, cast to the values' dtype)
    expr = relay.sparse_to_dense(relay.var("i", shape=(2, 2), dtype="int64"), [2, 2],
                                 relay.var("v", shape=(2,), dtype="int32"))
    _check_both(expr, [indices, values], [np.array([[0, 5], [6, 0]], "int32")])
    # a constant output_shape
    expr = relay.sparse_to_dense(relay.const(indices), relay.const(np.array([2, 3])),
                                 relay.const(values), 7)
    _check_both(expr, [], [np.array([[7, 5, 7], [6, 7, 7]], "int32")])


# -- sparse_reshape -------------------------------------------------------------------------
def _numpy_sparse_reshape(indices, prev_shape, new_shape):
    shape = new_shape.astype(np.int64)
    total = int(np.prod(prev_shape.astype(np.int64)))
    if (shape == -1).any():
        shape[shape == -1] = total // int(np.prod(shape[shape != -1]))
    if np.array_equal(shape, prev_shape):
        return [indices, shape.astype(new_shape.dtype)]
    if len(indices):
        flat = np.ravel_multi_index(tuple(indices.T.astype(np.int64)), tuple(prev_shape))
        new = np.stack(np.unravel_index(flat, tuple(shape)), axis=1)
    else:
        new = np.zeros((0, len(shape)))
    return [new.astype(indices.dtype), shape.astype(new_shape.dtype)]


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("case", [
    ("merge", [[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 2, 3]], [2, 3, 6], [9, -1]),
    ("split", [[0, 0], [0, 1], [3, 4], [4, 3], [7, 3]], [9, 5], [3, -1, 5]),
    ("flatten", [[1, 2], [0, 0], [3, 1]], [4, 3], [-1]),
    ("unflatten", [[0], [5], [10], [20], [24]], [25], [5, 5]),
    ("same", [[3, 1], [0, 2]], [4, 3], [4, 3]),
    ("same_via_minus_one", [[3, 1], [0, 2]], [4, 3], [-1, 3]),
    ("empty", np.zeros((0, 2)), [3, 6], [-1, 2]),
], ids=lambda case: case[0])
def test_sparse_reshape(case, dtype):
    _, indices, prev_shape, new_shape = case
    indices = np.array(indices, dtype).reshape(-1, len(prev_shape))
    prev_shape, new_shape = np.array(prev_shape, dtype), np.array(new_shape, dtype)
    expr = relay.sparse_reshape(relay.var("i", shape=indices.shape, dtype=dtype),
                                relay.var("p", shape=prev_shape.shape, dtype=dtype),
                                relay.var("n", shape=new_shape.shape, dtype=dtype))
    ty = _infer(expr)
    assert ty.fields[0] == relay.TensorType((indices.shape[0], len(new_shape)), dtype)
    assert ty.fields[1] == relay.TensorType((len(new_shape),), dtype)
    _check_both(expr, [indices, prev_shape, new_shape],
                _numpy_sparse_reshape(indices, prev_shape, new_shape))


# -- sparse_fill_empty_rows -------------------------------------------------------------------
def _numpy_fill_empty_rows(indices, values, dense_rows, default):
    """TensorFlow's sparse.fill_empty_rows, walking the (row-sorted) entries in order."""
    new_indices, new_values, empty = [], [], np.zeros(dense_rows, bool)
    row = 0
    for index, value in zip(indices, values):
        for missing in range(row, index[0]):
            new_indices.append([missing] + [0] * (indices.shape[1] - 1))
            new_values.append(default)
            empty[missing] = True
        new_indices.append(list(index))
        new_values.append(value)
        row = max(row, index[0] + 1)
    for missing in range(row, dense_rows):
        new_indices.append([missing] + [0] * (indices.shape[1] - 1))
        new_values.append(default)
        empty[missing] = True
    return [np.array(new_indices, indices.dtype).reshape(-1, indices.shape[1]),
            np.array(new_values, values.dtype), empty]


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("case", [
    ("gaps", [[0, 1], [0, 3], [2, 0], [3, 1]], [1.5, 2.5, 3.5, 4.5], [5, 6], 10.0),
    ("3d", [[1, 1, 1], [1, 3, 1], [2, 0, 5], [3, 1, 6]], [1, 2, 3, 4], [7, 7, 7], 5),
    ("no_gaps", [[0, 0], [1, 1], [2, 0]], [1, 2, 3], [3, 2], -1),
    ("empty", np.zeros((0, 3)), [], [4, 3, 7], 100),
], ids=lambda case: case[0])
def test_sparse_fill_empty_rows(case, dtype):
    """Output sizes known only at run time: the interpreter ("debug") and the VM
    stand-in ("vm") evaluate it; relay.build refuses it."""
    _, indices, values, dense_shape, default = case
    value_dtype = "float32" if isinstance(default, float) else dtype
    indices = np.array(indices, dtype).reshape(-1, len(dense_shape))
    values = np.array(values, value_dtype)
    dense_shape = np.array(dense_shape, dtype)
    default = np.array([default], value_dtype)
    args = [indices, values, dense_shape, default]
    params = [relay.var("i", shape=indices.shape, dtype=dtype),
              relay.var("v", shape=values.shape, dtype=value_dtype),
              relay.var("s", shape=dense_shape.shape, dtype=dtype),
              relay.var("d", shape=(1,), dtype=value_dtype)]
    expr = relay.sparse_fill_empty_rows(*params)
    ty = _infer(expr)
    assert [f.dtype for f in ty.fields] == [dtype, value_dtype, "bool"]
    assert int(ty.fields[0].shape[1]) == indices.shape[1]
    expected = _numpy_fill_empty_rows(indices, values, int(dense_shape[0]), default[0])
    func = relay.Function(params, expr)
    mod = tvm.IRModule.from_expr(func)
    for kind in ("debug", "vm"):
        got = _as_list(relay.create_executor(kind, mod=mod, target="llvm").evaluate()(*args))
        for value, ref in zip(got, expected):
            assert value.dtype == ref.dtype, kind
            np.testing.assert_array_equal(value, ref, err_msg=kind)
    with pytest.raises(Exception, match="static shapes"):
        _built(func, args)


# -- segment_sum --------------------------------------------------------------------------
def _numpy_segment_sum(data, ids, num_segments):
    if num_segments is None:
        num_segments = int(ids.max()) + 1
    out = np.zeros((num_segments,) + data.shape[1:], data.dtype)
    for row, segment in enumerate(ids):
        out[segment] += data[row]
    return out


@pytest.mark.parametrize("id_dtype", ["int32", "int64"])
@pytest.mark.parametrize("case", [
    ("vector", (6,), [0, 0, 1, 1, 0, 1], 2),
    ("matrix_unsorted", (5, 4), [2, 0, 1, 0, 2], 3),
    ("empty_segments", (4, 3, 2), [0, 4, 4, 1], 7),
    ("one_segment", (5, 2), [0, 0, 0, 0, 0], 1),
    ("fewer_ids_than_rows", (6, 3), [1, 0, 1], 2),
], ids=lambda case: case[0])
@pytest.mark.parametrize("data_dtype", ["float32", "int32"])
def test_segment_sum(case, id_dtype, data_dtype):
    _, shape, ids, num_segments = case
    data = RNG.integers(-9, 10, shape).astype(data_dtype)
    ids = np.array(ids, id_dtype)
    expr = relay.segment_sum(relay.var("x", shape=shape, dtype=data_dtype),
                             relay.var("s", shape=ids.shape, dtype=id_dtype), num_segments)
    assert _infer(expr) == relay.TensorType((num_segments,) + shape[1:], data_dtype)
    _check_both(expr, [data, ids], [_numpy_segment_sum(data, ids, num_segments)])


def test_segment_sum_without_num_segments():
    """The output size is max(segment_ids) + 1, known only at run time: the reference
    interpreter (and create_executor("vm")) evaluate it; relay.build refuses it."""
    data = RNG.standard_normal((5, 3)).astype("float32")
    ids = np.array([3, 0, 3, 1, 0], "int64")
    expr = relay.segment_sum(relay.var("x", shape=(5, 3)), relay.var("s", shape=(5,), dtype="int64"))
    assert isinstance(_infer(expr).shape[0], relay.Any)
    func = _func(expr)
    expected = _numpy_segment_sum(data, ids, None)
    np.testing.assert_allclose(_interpreted(func, [data, ids])[0], expected, rtol=1e-6)
    mod = tvm.IRModule.from_expr(func)
    got = relay.create_executor("vm", mod=mod, target="llvm").evaluate()(data, ids).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(Exception, match="static shapes|num_segments"):
        _built(func, [data, ids])


def test_segment_sum_ids_follow_scatter_add():
    """As 0.8's scatter_add composition: a negative id counts from the end, an id
    outside [-num_segments, num_segments) raises IndexError."""
    func = _func(relay.segment_sum(relay.var("x", shape=(3, 2)),
                                   relay.var("s", shape=(3,), dtype="int32"), 2))
    data = np.arange(6, dtype="float32").reshape(3, 2)
    ids = np.array([0, -1, 1], "int32")
    expected = np.array([[0, 1], [6, 8]], "float32")
    np.testing.assert_allclose(_interpreted(func, [data, ids])[0], expected)
    np.testing.assert_allclose(_built(func, [data, ids])[0], expected)
    for bad in (2, -3):
        ids = np.array([0, bad, 1], "int32")
        with pytest.raises(IndexError):
            _interpreted(func, [data, ids])
        with pytest.raises(IndexError, match="segment_sum"):
            _built(func, [data, ids])


# -- adv_index ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [
    ("two_broadcast", (10, 5), [((3, 4), "int64"), ((3, 1), "int64")]),
    ("outer_broadcast", (6, 7), [((2, 1), "int32"), ((1, 3), "int32")]),
    ("one_index", (10, 5), [((2,), "int64")]),
    ("partial", (4, 5, 6), [((1, 2, 1), "int32"), ((1, 2, 7), "int64")]),
    ("all_axes", (3, 4, 5), [((6,), "int32"), ((6,), "int32"), ((6,), "int32")]),
], ids=lambda case: case[0])
def test_adv_index(case):
    _, data_shape, index_specs = case
    data = RNG.standard_normal(data_shape).astype("float32")
    # negative indices count from the end, as NumPy
    indices = [RNG.integers(-data_shape[i], data_shape[i], shape).astype(dtype)
               for i, (shape, dtype) in enumerate(index_specs)]
    inputs = [relay.var("data", shape=data_shape)] + [
        relay.var(f"i{k}", shape=shape, dtype=dtype) for k, (shape, dtype) in enumerate(index_specs)]
    _check_both(relay.adv_index(inputs), [data] + indices, [data[tuple(indices)]])


def test_adv_index_raises_for_an_index_out_of_range():
    func = _func(relay.adv_index([relay.var("x", shape=(4, 3)),
                                  relay.var("i", shape=(2,), dtype="int64")]))
    data = np.zeros((4, 3), "float32")
    with pytest.raises(IndexError):
        _interpreted(func, [data, np.array([0, 4])])
    with pytest.raises(IndexError, match="adv_index"):
        _built(func, [data, np.array([0, 4])])


def test_adv_index_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(Exception, match="broadcast"):
        _infer(relay.adv_index([relay.var("x", shape=(4, 3)), relay.var("i", shape=(2,), dtype="int32"),
                                relay.var("j", shape=(3,), dtype="int32")]))


# -- nn.correlation ------------------------------------------------------------------------
def _numpy_correlation(a, b, kernel_size, max_displacement, stride1, stride2, padding, is_multiply):
    """FlowNet's correlation written with plain loops (independent of the op's kernels)."""
    if isinstance(padding, int):
        padding = (padding, padding)
    if len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    top, left, bottom, right = padding
    a = np.pad(a.astype("float64"), ((0, 0), (0, 0), (top, bottom), (left, right)))
    b = np.pad(b.astype("float64"), ((0, 0), (0, 0), (top, bottom), (left, right)))
    batch, channels, height, width = a.shape
    radius = max_displacement // stride2
    border = max_displacement + (kernel_size - 1) // 2
    out_h = (height - 2 * border + stride1 - 1) // stride1
    out_w = (width - 2 * border + stride1 - 1) // stride1
    size = 2 * radius + 1
    out = np.zeros((batch, size * size, out_h, out_w))
    for q in range(size * size):
        dy, dx = (q // size - radius) * stride2, (q % size - radius) * stride2
        for i in range(out_h):
            for j in range(out_w):
                y, x = i * stride1 + max_displacement, j * stride1 + max_displacement
                pa = a[:, :, y:y + kernel_size, x:x + kernel_size]
                pb = b[:, :, y + dy:y + dy + kernel_size, x + dx:x + dx + kernel_size]
                value = pa * pb if is_multiply else np.abs(pa - pb)
                out[:, q, i, j] = value.sum(axis=(1, 2, 3))
    return out / (kernel_size * kernel_size * channels)


@pytest.mark.parametrize("shape,kernel_size,max_displacement,stride1,stride2,padding,is_multiply", [
    ((1, 3, 10, 10), 1, 4, 1, 1, 4, True),
    ((2, 4, 9, 11), 3, 2, 2, 1, 3, False),
    ((1, 2, 12, 10), 3, 4, 1, 2, (4, 5), True),
    ((1, 3, 8, 9), 1, 2, 1, 1, (1, 2, 3, 2), True),
])
def test_correlation(shape, kernel_size, max_displacement, stride1, stride2, padding, is_multiply):
    a = RNG.uniform(size=shape).astype("float32")
    b = RNG.uniform(size=shape).astype("float32")
    expected = _numpy_correlation(a, b, kernel_size, max_displacement, stride1, stride2, padding,
                                  is_multiply).astype("float32")
    expr = relay.nn.correlation(relay.var("a", shape=shape), relay.var("b", shape=shape), kernel_size,
                                max_displacement, stride1, stride2, padding, is_multiply, "NCHW")
    assert _infer(expr) == relay.TensorType(expected.shape, "float32")
    _check_both(expr, [a, b], [expected], rtol=1e-5, atol=1e-5)


def test_correlation_rejects_other_layouts_and_even_kernels():
    a = relay.var("a", shape=(1, 3, 8, 8))
    b = relay.var("b", shape=(1, 3, 8, 8))
    with pytest.raises(Exception, match="layout"):
        _infer(relay.nn.correlation(a, b, 1, 2, 1, 1, 2, True, "NHWC"))
    with pytest.raises(Exception, match="odd"):
        _infer(relay.nn.correlation(a, b, 2, 2, 1, 1, 2, True, "NCHW"))


# -- the text format and constant folding -------------------------------------------------
def test_text_round_trip_and_constant_folding():
    x = relay.var("x", shape=(8,), dtype="int32")
    s = relay.var("s", shape=(6,), dtype="int64")
    data = relay.var("d", shape=(6, 2))
    u = relay.unique(x, False, True)
    body = relay.Tuple([
        u[0], u[3],
        relay.searchsorted(relay.cast(x, "float32"), relay.var("v", shape=(3,)), True, "int64"),
        relay.segment_sum(data, s, 4),
        relay.adv_index([data, s]),
        relay.sparse_to_dense(relay.var("si", shape=(2, 2), dtype="int32"), [3, 3],
                              relay.var("sv", shape=(2,)), relay.const(1.5)),
        relay.sparse_reshape(relay.var("ri", shape=(2, 2), dtype="int64"),
                             relay.var("rp", shape=(2,), dtype="int64"),
                             relay.var("rn", shape=(1,), dtype="int64")).astuple(),
        relay.nn.correlation(relay.var("a", shape=(1, 2, 6, 6)), relay.var("b", shape=(1, 2, 6, 6)),
                             1, 1, 1, 1, 1, False, "NCHW"),
    ])
    mod = relay.transform.InferType()(tvm.IRModule.from_expr(_func(body)))
    text = mod.astext()
    assert "sorted=False" in text and "num_segments=4" in text and "is_multiply=False" in text
    parsed = relay.transform.InferType()(tvm.parser.parse(text))
    tvm.ir.assert_structural_equal(parsed["main"], mod["main"])

    # FoldConstant evaluates the new ops on constants (with the reference kernels)
    ids = np.array([3, 1, 3, 0], "int32")
    folded = relay.segment_sum(relay.const(np.arange(8, dtype="float32").reshape(4, 2)),
                               relay.const(ids), 5)
    seq = relay.unique(relay.const(np.array([7, 7, 2, 9], "int64")))
    mod = tvm.IRModule.from_expr(relay.Function([], relay.Tuple([folded, seq[0], seq[3]])))
    mod = relay.transform.FoldConstant()(relay.transform.InferType()(mod))
    fields = mod["main"].body.fields
    assert all(isinstance(f, relay.Constant) for f in fields)
    np.testing.assert_allclose(fields[0].data.numpy(),
                               _numpy_segment_sum(np.arange(8, dtype="float32").reshape(4, 2), ids, 5))
    np.testing.assert_array_equal(fields[1].data.numpy(), [2, 7, 9, 0])
    np.testing.assert_array_equal(fields[2].data.numpy(), [3])
