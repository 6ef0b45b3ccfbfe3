"""Dynamic operators (dyn.*) and DynamicToStatic.

A shape argument given as a run-time expression builds the dynamic form of the
op: its type has Any dimensions where the argument decides them, and it computes
what NumPy computes with the argument's run-time value. DynamicToStatic turns a
dynamic call whose shape arguments fold to constants back into the static op,
with the exact static type.
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.transform._utils import post_order


def _typed(func):
    return relay.transform.InferType()(tvm.IRModule.from_expr(func))


def _run(func, args, kind="debug"):
    mod = tvm.IRModule.from_expr(func)
    out = relay.create_executor(kind, mod=mod, device=tvm.cpu(), target="llvm").evaluate()(*args)
    if isinstance(out, (list, tuple)) or hasattr(out, "__len__") and not hasattr(out, "numpy"):
        return [o.numpy() for o in out]
    return out.numpy()


def _ops(mod):
    return sorted({n.op.name for n in post_order(mod["main"].body)
                   if isinstance(n, relay.Call) and isinstance(n.op, relay.Op)})


def _to_static(func, params=None):
    mod = tvm.IRModule.from_expr(func)
    if params:
        mod["main"] = relay.build_module.bind_params_by_name(mod["main"], params)
    mod = relay.transform.DynamicToStatic()(mod)
    return relay.transform.InferType()(mod)


def _rank_any(ty, rank):
    return len(ty.shape) == rank and all(isinstance(d, relay.Any) for d in ty.shape)


# ------------------------------------------------------------- dynamic forms, evaluated


def test_reshape_tile_broadcast_by_tensor():
    x = relay.var("x", shape=(2, 3, 4), dtype="float32")
    s = relay.var("s", shape=(2,), dtype="int64")
    func = relay.Function([x, s], relay.reshape(x, s))
    mod = _typed(func)
    assert _ops(mod) == ["dyn.reshape"]
    assert _rank_any(mod["main"].body.checked_type, 2)
    xd = np.arange(24, dtype="float32").reshape(2, 3, 4)
    for newshape, expect in (((6, 4), (6, 4)), ((0, -1), (2, 12)), ((-1, 3), (8, 3))):
        out = _run(mod["main"], [xd, np.array(newshape, "int64")])
        np.testing.assert_array_equal(out, xd.reshape(expect))

    reps = relay.var("reps", shape=(3,), dtype="int32")
    tile = _typed(relay.Function([x, reps], relay.tile(x, reps)))
    assert _rank_any(tile["main"].body.checked_type, 3)
    np.testing.assert_array_equal(_run(tile["main"], [xd, np.array([2, 1, 3], "int32")]),
                                  np.tile(xd, (2, 1, 3)))

    y = relay.var("y", shape=(3, 1), dtype="float32")
    shape = relay.var("shape", shape=(3,), dtype="int64")
    bcast = _typed(relay.Function([y, shape], relay.broadcast_to(y, shape)))
    yd = np.array([[1.0], [2.0], [3.0]], "float32")
    np.testing.assert_array_equal(_run(bcast["main"], [yd, np.array([2, 3, 5], "int64")]),
                                  np.broadcast_to(yd, (2, 3, 5)))


def test_init_ops_and_arange_from_runtime_shape():
    x = relay.var("x", shape=(relay.Any(), relay.Any()), dtype="float32")
    shape = relay.shape_of(x)
    fill = relay.var("fill", shape=(), dtype="float32")
    body = relay.Tuple([relay.zeros(shape, "int32"), relay.ones(shape, "float32"),
                        relay.full(fill, shape, "float32"),
                        relay.arange(relay.take(shape, relay.const(0)), dtype="int32")])
    mod = _typed(relay.Function([x, fill], body))
    assert _ops(mod) == ["dyn.arange", "dyn.full", "dyn.ones", "dyn.zeros", "shape_of", "take"]
    xd = np.zeros((3, 5), "float32")
    zeros, ones, full, ar = _run(mod["main"], [xd, np.array(2.5, "float32")])
    np.testing.assert_array_equal(zeros, np.zeros((3, 5), "int32"))
    assert zeros.dtype == np.int32
    np.testing.assert_array_equal(ones, np.ones((3, 5), "float32"))
    np.testing.assert_array_equal(full, np.full((3, 5), 2.5, "float32"))
    np.testing.assert_array_equal(ar, np.arange(3, dtype="int32"))


def test_strided_slice_squeeze_expand_dims_by_tensor():
    x = relay.var("x", shape=(4, 6, 5), dtype="float32")
    begin = relay.var("begin", shape=(2,), dtype="int64")
    end = relay.var("end", shape=(2,), dtype="int64")
    strides = relay.var("strides", shape=(2,), dtype="int64")
    mod = _typed(relay.Function([x, begin, end, strides],
                                relay.strided_slice(x, begin, end, strides)))
    ty = mod["main"].body.checked_type
    assert isinstance(ty.shape[0], relay.Any) and isinstance(ty.shape[1], relay.Any)
    assert int(ty.shape[2]) == 5
    xd = np.random.RandomState(0).uniform(size=(4, 6, 5)).astype("float32")
    for b, e, s in (([1, 0], [4, 6], [2, 1]), ([3, -1], [0, 0], [-1, -2]), ([0, 2], [9, 4], [1, 1])):
        out = _run(mod["main"], [xd, np.array(b), np.array(e), np.array(s)])
        np.testing.assert_array_equal(out, xd[b[0]:e[0]:s[0], b[1]:e[1]:s[1]])

    y = relay.var("y", shape=(1, 3, 1), dtype="float32")
    axis = relay.var("axis", shape=(1,), dtype="int32")
    sq = _typed(relay.Function([y, axis], relay.squeeze(y, axis)))
    assert _rank_any(sq["main"].body.checked_type, 2)
    yd = np.ones((1, 3, 1), "float32")
    assert _run(sq["main"], [yd, np.array([2], "int32")]).shape == (1, 3)

    ax = relay.var("ax", shape=(), dtype="int32")
    ex = _typed(relay.Function([y, ax], relay.expand_dims(y, ax, 2)))
    assert _rank_any(ex["main"].body.checked_type, 5)
    assert _run(ex["main"], [yd, np.array(1, "int32")]).shape == (1, 1, 1, 3, 1)


def test_topk_one_hot_sparse_to_dense_by_tensor():
    data = np.random.RandomState(1).uniform(size=(3, 7)).astype("float32")
    x = relay.var("x", shape=(3, 7), dtype="float32")
    k = relay.var("k", shape=(), dtype="int32")
    out = relay.topk(x, k, axis=1, ret_type="both", dtype="int64")
    mod = _typed(relay.Function([x, k], out.astuple()))
    values_ty = mod["main"].body.checked_type.fields[0]
    assert int(values_ty.shape[0]) == 3 and isinstance(values_ty.shape[1], relay.Any)
    values, indices = _run(mod["main"], [data, np.array(3, "int32")])
    order = np.argsort(-data, axis=1)[:, :3]
    np.testing.assert_array_equal(indices, order)
    np.testing.assert_allclose(values, np.take_along_axis(data, order, axis=1))

    idx = relay.var("idx", shape=(4,), dtype="int32")
    depth = relay.var("depth", shape=(), dtype="int32")
    oh = _typed(relay.Function([idx, depth], relay.one_hot(idx, 1.0, 0.0, depth, 0, "float32")))
    ty = oh["main"].body.checked_type
    assert isinstance(ty.shape[0], relay.Any) and int(ty.shape[1]) == 4
    got = _run(oh["main"], [np.array([0, 2, 1, 4], "int32"), np.array(5, "int32")])
    np.testing.assert_array_equal(got, np.eye(5, dtype="float32")[[0, 2, 1, 4]].T)

    ind = relay.var("ind", shape=(2, 2), dtype="int32")
    vals = relay.var("vals", shape=(2,), dtype="float32")
    oshape = relay.var("oshape", shape=(2,), dtype="int32")
    sd = _typed(relay.Function([ind, vals, oshape],
                               relay.sparse_to_dense(ind, oshape, vals, relay.const(-1.0))))
    assert _rank_any(sd["main"].body.checked_type, 2)
    got = _run(sd["main"], [np.array([[0, 1], [2, 0]], "int32"), np.array([5.0, 7.0], "float32"),
                            np.array([3, 2], "int32")])
    np.testing.assert_array_equal(got, [[-1, 5], [-1, -1], [7, -1]])


def test_pad_resize_upsampling_by_tensor():
    xd = np.random.RandomState(2).uniform(size=(1, 2, 3, 4)).astype("float32")
    x = relay.var("x", shape=(1, 2, 3, 4), dtype="float32")
    width = relay.var("width", shape=(4, 2), dtype="int64")
    pad = _typed(relay.Function([x, width], relay.nn.pad(x, width, 0.5)))
    assert _ops(pad) == ["dyn.nn.pad"] and _rank_any(pad["main"].body.checked_type, 4)
    pw = [[0, 0], [1, 0], [0, 2], [1, 1]]
    np.testing.assert_array_equal(_run(pad["main"], [xd, np.array(pw, "int64")]),
                                  np.pad(xd, pw, constant_values=0.5))

    size = relay.var("size", shape=(2,), dtype="int64")
    rs = _typed(relay.Function([x, size], relay.image.resize2d(
        x, size, None, "NCHW", "nearest_neighbor", coordinate_transformation_mode="asymmetric")))
    ty = rs["main"].body.checked_type
    assert [int(d) for d in ty.shape[:2]] == [1, 2] and isinstance(ty.shape[2], relay.Any)
    got = _run(rs["main"], [xd, np.array([6, 8], "int64")])
    np.testing.assert_array_equal(got, xd.repeat(2, axis=2).repeat(2, axis=3))

    sh = relay.var("sh", shape=(), dtype="float32")
    sw = relay.var("sw", shape=(), dtype="float32")
    up = _typed(relay.Function([x, sh, sw], relay.nn.upsampling(x, sh, sw)))
    got = _run(up["main"], [xd, np.array(3.0, "float32"), np.array(2.0, "float32")])
    np.testing.assert_array_equal(got, xd.repeat(3, axis=2).repeat(2, axis=3))

    x5 = relay.var("x5", shape=(1, 1, 2, 2, 2), dtype="float32")
    up3 = _typed(relay.Function([x5], relay.nn.upsampling3d(
        x5, sh, 2.0, 1.0, coordinate_transformation_mode="asymmetric")))
    assert _ops(up3) == ["dyn.nn.upsampling3d"]
    d5 = np.arange(8, dtype="float32").reshape(1, 1, 2, 2, 2)
    func = relay.Function([x5, sh], up3["main"].body)
    np.testing.assert_array_equal(_run(func, [d5, np.array(2.0, "float32")]),
                                  d5.repeat(2, axis=2).repeat(2, axis=3))


def test_vm_executor_runs_dynamic_program():
    x = relay.var("x", shape=(2, 6), dtype="float32")
    s = relay.var("s", shape=(3,), dtype="int64")
    func = relay.Function([x, s], relay.reshape(x, s) * relay.const(2.0))
    xd = np.arange(12, dtype="float32").reshape(2, 6)
    out = _run(func, [xd, np.array([3, 2, 2], "int64")], kind="vm")
    np.testing.assert_array_equal(out, xd.reshape(3, 2, 2) * 2)


def test_constant_shape_arguments_build_static_ops():
    x = relay.var("x", shape=(2, 6), dtype="float32")
    assert relay.reshape(x, relay.const([3, 4])).op.name == "reshape"
    assert relay.tile(x, relay.const([1, 2])).op.name == "tile"
    assert relay.zeros(relay.const([2, 2]), "float32").op.name == "zeros"
    assert relay.topk(x, relay.const(2), ret_type="values").op.name == "topk"
    assert relay.nn.pad(x, relay.const([[1, 1], [0, 0]])).op.name == "nn.pad"


# ------------------------------------------------------------------ DynamicToStatic


@pytest.mark.parametrize("build", [
    lambda x, y: relay.reshape(x, relay.shape_of(y)),
    lambda x, y: relay.broadcast_to(relay.sum(x, axis=[0, 1], keepdims=True), relay.shape_of(y)),
    lambda x, y: relay.zeros(relay.shape_of(y), "float32") + relay.reshape(x, relay.shape_of(y)),
])
def test_dynamic_to_static_from_shape_of(build):
    x = relay.var("x", shape=(4, 6), dtype="float32")
    y = relay.var("y", shape=(3, 8), dtype="float32")
    func = relay.Function([x, y], build(x, y))
    before = _typed(func)
    assert before["main"].body.checked_type.is_dynamic()
    after = _to_static(func)
    assert not any(name.startswith("dyn.") for name in _ops(after))
    assert after["main"].body.checked_type == relay.TensorType((3, 8), "float32")
    xd = np.random.RandomState(3).uniform(size=(4, 6)).astype("float32")
    yd = np.zeros((3, 8), "float32")
    ref = _run(before["main"], [xd, yd])
    for kind in ("debug", "graph"):
        np.testing.assert_allclose(_run(after["main"], [xd, yd], kind), ref, rtol=1e-6)


def test_dynamic_to_static_chain_and_params():
    x = relay.var("x", shape=(2, 3, 4), dtype="float32")
    y = relay.var("y", shape=(6, 4), dtype="float32")
    z1 = relay.reshape(x, relay.shape_of(y))
    z2 = relay.reshape(z1, relay.shape_of(x))
    z3 = relay.reshape(z2, relay.shape_of(z1))
    after = _to_static(relay.Function([x, y], z3))
    assert _ops(after) == ["reshape"]
    assert after["main"].body.checked_type == relay.TensorType((6, 4), "float32")
    assert tuple(after["main"].body.attrs.newshape) == (6, 4)

    # shape arguments bound as parameters: k of topk, begin/end/strides, pad widths
    k = relay.var("k", shape=(), dtype="int32")
    begin = relay.var("begin", shape=(2,), dtype="int64")
    width = relay.var("width", shape=(3, 2), dtype="int64")
    data = relay.var("data", shape=(5, 6, 2), dtype="float32")
    body = relay.Tuple([relay.topk(data, k, axis=1, ret_type="values"),
                        relay.strided_slice(data, begin, [4, 6], [1, 2]),
                        relay.nn.pad(data, width, 1.0)])
    func = relay.Function([data, k, begin, width], body)
    params = {"k": np.array(2, "int32"), "begin": np.array([1, 1], "int64"),
              "width": np.array([[0, 1], [2, 0], [0, 0]], "int64")}
    after = _to_static(func, params)
    assert _ops(after) == ["nn.pad", "strided_slice", "topk"]
    fields = after["main"].body.checked_type.fields
    assert [tuple(int(d) for d in f.shape) for f in fields] == [(5, 2, 2), (3, 3, 2), (6, 8, 2)]
    dd = np.random.RandomState(4).uniform(size=(5, 6, 2)).astype("float32")
    top, sl, padded = _run(after["main"], [dd], kind="graph")
    np.testing.assert_allclose(top, -np.sort(-dd, axis=1)[:, :2], rtol=1e-6)
    np.testing.assert_array_equal(sl, dd[1:4, 1:6:2])
    np.testing.assert_array_equal(padded, np.pad(dd, params["width"], constant_values=1.0))


def test_dynamic_to_static_keeps_runtime_shapes_and_folds_if():
    x = relay.var("x", shape=(relay.Any(), 4), dtype="float32")
    y = relay.var("y", shape=(relay.Any(),), dtype="float32")
    after = _to_static(relay.Function([x, y], relay.reshape(x, relay.shape_of(y))))
    assert _ops(after) == ["dyn.reshape", "shape_of"]

    a = relay.var("a", shape=(2, 2), dtype="float32")
    ite = relay.If(relay.const(True), relay.reshape(a, [1, 4]), relay.reshape(a, [4, 1]))
    after = _to_static(relay.Function([a], ite))
    assert isinstance(after["main"].body, relay.Call)
    assert after["main"].body.checked_type == relay.TensorType((1, 4), "float32")


def test_dynamic_calls_print_and_parse_back():
    x = relay.var("x", shape=(2, 3), dtype="float32")
    s = relay.var("s", shape=(2,), dtype="int64")
    k = relay.var("k", shape=(), dtype="int32")
    body = relay.Tuple([relay.reshape(x, s), relay.topk(x, k, ret_type="values"),
                        relay.strided_slice(x, s, [2, 3]),
                        relay.nn.pad(x, relay.reshape(relay.concatenate([s, s], 0), [2, 2]))])
    mod = _typed(relay.Function([x, s, k], body))
    text = mod.astext()
    assert "dyn.reshape(%x, %s)" in text and "dyn.nn.pad" in text
    assert tvm.ir.structural_equal(tvm.parser.parse(text)["main"], mod["main"])
    xd = np.arange(6, dtype="float32").reshape(2, 3)
    out = _run(mod["main"], [xd, np.array([3, 2], "int64"), np.array(1, "int32")])
    np.testing.assert_array_equal(out[0], xd.reshape(3, 2))
    np.testing.assert_array_equal(out[1], xd[:, 2:])
    np.testing.assert_array_equal(out[2], xd[3:2, 2:3])
    np.testing.assert_array_equal(out[3], np.pad(xd, [[3, 2], [3, 2]]))


@pytest.mark.parametrize("shape,dtype", [((7,), "bool"), ((3, 4), "int32"), ((2, 3, 2), "float32")])
def test_argwhere_value_dependent_shape(shape, dtype):
    x = relay.var("x", shape=tuple(relay.Any() for _ in shape), dtype=dtype)
    mod = _typed(relay.Function([x], relay.argwhere(x)))
    ty = mod["main"].body.checked_type
    assert isinstance(ty.shape[0], relay.Any) and int(ty.shape[1]) == len(shape)
    assert ty.dtype == "int32"
    data = np.random.RandomState(5).choice([0, 0, 1, 3], size=shape).astype(dtype)
    for kind in ("debug", "vm"):
        out = _run(mod["main"], [data], kind)
        np.testing.assert_array_equal(out, np.argwhere(data))
        assert out.dtype == np.int32


def test_output_type_from_shape_argument_values():
    from tvm.relay.op import dyn

    x = relay.var("x", shape=(8, 16), dtype="float32")
    s = relay.var("s", shape=(3,), dtype="int32")
    call = _typed(relay.Function([x, s], relay.reshape(x, s)))["main"].body
    ty = dyn.output_type("dyn.reshape", call.attrs, [a.checked_type for a in call.args],
                         {1: np.array([8, 2, -1])})
    assert ty == relay.TensorType((8, 2, 8), "float32")
    k = relay.var("k", shape=(), dtype="int32")
    call = _typed(relay.Function([x, k], relay.topk(x, k, axis=0).astuple()))["main"].body
    ty = dyn.output_type("dyn.topk", call.attrs, [a.checked_type for a in call.args],
                         {1: np.array(3)})
    assert ty == relay.TupleType([relay.TensorType((3, 16), "float32"),
                                  relay.TensorType((3, 16), "int32")])
