"""x86/generic TensorIR schedules of dense, batch_matmul, pooling, softmax,
layer_norm, reductions and injective functions against NumPy references."""
import numpy as np
import pytest

import tvm
from tvm import te, topi
from tvm.topi import generic, x86
from tvm.topi import testing as ref

HOST = tvm.target.Target("llvm")


def run(inputs, outs, fschedule, cfg=None, seed=0, dtypes=None, target=HOST):
    """Schedule, compile for ``target`` (default: the host) and run on random inputs."""
    func = te.create_prim_func(list(inputs) + list(outs))
    sch = tvm.s_tir.Schedule(tvm.IRModule({"main": func}))
    with target:
        if cfg is None:
            fschedule(sch, outs)
        else:
            fschedule(sch, outs, cfg)
    lib = tvm.compile(sch.mod, target)
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal([int(s) for s in t.shape]).astype("float32") for t in inputs]
    results = [tvm.runtime.empty([int(s) for s in o.shape], str(o.dtype), tvm.cpu()) for o in outs]
    lib["main"](*[tvm.runtime.tensor(a) for a in args], *results)
    return args, results[-1].numpy()


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(expected).max()))


# (M, N, K): gemv rows, packed, odd shapes that fall back to other plans
@pytest.mark.parametrize("m,n,k", [(1, 1000, 512), (4, 33, 40), (3, 7, 5), (64, 128, 256),
                                   (33, 17, 9), (20, 24, 24), (1, 10, 7),
                                   (197, 192, 64), (197, 197, 40), (131, 67, 16)])  # padded tiles
def test_dense_bias_relu(m, n, k, isa_target):
    x = te.placeholder((m, k), name="x")
    w = te.placeholder((n, k), name="w")
    b = te.placeholder((n,), name="b")
    out = topi.nn.relu(topi.add(topi.nn.dense(x, w), b))
    (xn, wn, bn), got = run([x, w, b], [out], x86.schedule_dense, target=isa_target)
    close(got, np.maximum(xn @ wn.T + bn, 0))


@pytest.mark.parametrize("plan", ["gemv", "packed"])
def test_dense_plans_forced(plan, isa_target):
    x = te.placeholder((24, 32), name="x")
    w = te.placeholder((40, 32), name="w")
    out = topi.nn.dense(x, w)
    cfg = {"plan": plan, "tile_k": 8, "tile_n": 8, "tile_m": 4}
    (xn, wn), got = run([x, w], [out], x86.schedule_dense, cfg=cfg, target=isa_target)
    close(got, xn @ wn.T)


def test_dense_bad_plan():
    x = te.placeholder((4, 8), name="x")
    w = te.placeholder((8, 8), name="w")
    with pytest.raises(ValueError, match="unknown plan"):
        run([x, w], [topi.nn.dense(x, w)], x86.schedule_dense, cfg={"plan": "magic"})


@pytest.mark.parametrize("b,m,n,k,ta,tb", [(2, 5, 6, 7, False, True), (4, 32, 32, 16, False, True),
                                           (3, 197, 197, 64, False, True), (2, 197, 64, 197, False, False),
                                           (3, 24, 16, 20, False, False), (3, 9, 10, 11, True, False),
                                           (2, 9, 10, 16, True, True)])
def test_batch_matmul(b, m, n, k, ta, tb, isa_target):
    x = te.placeholder((b, k, m) if ta else (b, m, k), name="x")
    y = te.placeholder((b, n, k) if tb else (b, k, n), name="y")
    out = topi.nn.batch_matmul(x, y, transpose_a=ta, transpose_b=tb)
    (xn, yn), got = run([x, y], [out], x86.schedule_batch_matmul, target=isa_target)
    close(got, ref.batch_matmul(xn, yn, trans_x=ta, trans_y=tb))


POOL_CASES = [((3, 3), (2, 2), (1, 1, 1, 1)), ((2, 2), (2, 2), (0, 0, 0, 0)),
              ((3, 3), (1, 1), (1, 0, 2, 1)), ((3, 2), (3, 1), (0, 1, 0, 0))]


@pytest.mark.parametrize("pool_type", ["max", "avg"])
@pytest.mark.parametrize("kernel,stride,pad", POOL_CASES)
def test_pool2d(pool_type, kernel, stride, pad, isa_target):
    x = te.placeholder((2, 16, 13, 13), name="x")
    out = topi.nn.relu(topi.nn.pool2d(x, kernel, stride, (1, 1), pad, pool_type, count_include_pad=False))
    (xn,), got = run([x], [out], x86.schedule_pool, target=isa_target)
    expect = ref.poolnd_python(xn, kernel, stride, (1, 1), pad[:2], pad[2:], pool_type,
                               count_include_pad=False, layout="NCHW")
    close(got, np.maximum(expect, 0))

    xh = te.placeholder((1, 9, 9, 12), name="x")
    out = topi.nn.pool2d(xh, kernel, stride, (1, 1), pad, pool_type, layout="NHWC",
                         count_include_pad=True)
    (xn,), got = run([xh], [out], x86.schedule_pool, target=isa_target)
    expect = ref.poolnd_python(xn.transpose(0, 3, 1, 2), kernel, stride, (1, 1), pad[:2], pad[2:],
                               pool_type, count_include_pad=True, layout="NCHW")
    if pool_type == "max":  # the reference pads max pooling with zeros when counting the padding
        expect = ref.poolnd_python(xn.transpose(0, 3, 1, 2), kernel, stride, (1, 1), pad[:2],
                                   pad[2:], pool_type, count_include_pad=False, layout="NCHW")
    close(got, expect.transpose(0, 2, 3, 1))


def test_global_and_adaptive_pool():
    x = te.placeholder((2, 16, 13, 13), name="x")
    (xn,), got = run([x], [topi.nn.global_pool(x, "avg")], x86.schedule_adaptive_pool)
    close(got, xn.mean(axis=(2, 3), keepdims=True))
    xh = te.placeholder((2, 7, 7, 24), name="x")
    (xn,), got = run([xh], [topi.nn.global_pool(xh, "max", layout="NHWC")], x86.schedule_adaptive_pool)
    close(got, xn.max(axis=(1, 2), keepdims=True))
    out = topi.nn.adaptive_pool(x, (3, 4), "avg")
    (xn,), got = run([x], [out], x86.schedule_adaptive_pool)
    close(got, ref.adaptive_pool(xn, (3, 4), "avg", "NCHW"))


def _softmax(a, axis):
    e = np.exp(a - a.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


@pytest.mark.parametrize("shape", [(4, 33), (8, 1000), (2, 3, 64), (1, 1)])
def test_softmax_log_softmax(shape):
    y = te.placeholder(shape, name="y")
    (yn,), got = run([y], [topi.nn.softmax(y)], x86.schedule_softmax)
    close(got, _softmax(yn, -1))
    (yn,), got = run([y], [topi.nn.log_softmax(y)], x86.schedule_log_softmax)
    close(got, np.log(_softmax(yn.astype("float64"), -1)))


def test_softmax_inner_axis():
    y = te.placeholder((2, 5, 7), name="y")
    (yn,), got = run([y], [topi.nn.softmax(y, axis=1)], x86.schedule_softmax)
    close(got, _softmax(yn, 1))


@pytest.mark.parametrize("shape,axis", [((4, 33), (1,)), ((2, 3, 64), (2,)), ((2, 6, 8), (1, 2))])
def test_layer_norm(shape, axis):
    y = te.placeholder(shape, name="y")
    g = te.placeholder([shape[a] for a in axis], name="g")
    b = te.placeholder([shape[a] for a in axis], name="b")
    out = topi.nn.layer_norm(y, g, b, list(axis))
    (yn, gn, bn), got = run([y, g, b], [out], x86.schedule_layer_norm)
    close(got, ref.layer_norm_python(yn, gn, bn, axis))


# rows whose length is a multiple of the vector width: the max/sum run as vector partial reductions
@pytest.mark.parametrize("shape", [(3, 256), (2, 4, 7, 128), (5, 48), (2, 32)])
def test_rowwise_vector_partial_reductions(shape, isa_target):
    y = te.placeholder(shape, name="y")
    g = te.placeholder(shape[-1:], name="g")
    b = te.placeholder(shape[-1:], name="b")
    for out, fschedule, expect in [
        (topi.nn.softmax(y), x86.schedule_softmax, lambda yn: _softmax(yn, -1)),
        (topi.nn.fast_softmax(y), x86.schedule_softmax, lambda yn: _softmax(yn, -1)),
        (topi.nn.layer_norm(y, g, b, [len(shape) - 1]), x86.schedule_layer_norm, None),
    ]:
        inputs = [y] if expect else [y, g, b]
        args, got = run(inputs, [out], fschedule, target=isa_target)
        close(got, expect(args[0]) if expect else ref.layer_norm_python(*args, (len(shape) - 1,)))
    out = topi.nn.softmax(y)
    sch = tvm.s_tir.Schedule(te.create_prim_func([y, out]))
    with isa_target:
        x86.schedule_softmax(sch, [out])
    script = sch.mod.script()
    assert "T_softmax_maxelem_rf" in script and "T_softmax_expsum_rf" in script


@pytest.mark.parametrize("shape,axis,keepdims", [((64, 128), 1, False), ((64, 128), 0, False),
                                                 ((2, 16, 9, 9), (2, 3), True), ((5, 7, 3), None, False),
                                                 ((6, 40), 1, True)])
def test_reductions(shape, axis, keepdims):
    x = te.placeholder(shape, name="x")
    for topi_fn, np_fn in [(topi.sum, np.sum), (topi.max, np.max), (topi.min, np.min)]:
        (xn,), got = run([x], [topi_fn(x, axis=axis, keepdims=keepdims)], generic.schedule_reduce)
        close(got, np_fn(xn, axis=axis, keepdims=keepdims))
    out = topi.divide(topi.sum(x, axis=axis, keepdims=keepdims), 3.0)
    (xn,), got = run([x], [out], x86.schedule_reduce)
    close(got, np.sum(xn, axis=axis, keepdims=keepdims) / 3.0)


def test_argmax():
    x = te.placeholder((6, 37), name="x")
    (xn,), got = run([x], [topi.argmax(x, axis=1)], generic.schedule_reduce)
    np.testing.assert_array_equal(got, xn.argmax(axis=1))


@pytest.mark.parametrize("shape", [(2, 16, 9, 33), (4, 64), (3,), (2, 3, 8, 8)])
def test_injective_chain(shape):
    x = te.placeholder(shape, name="x")
    y = te.placeholder(shape[-1:], name="y")
    perm = tuple(reversed(range(len(shape))))
    out = topi.transpose(topi.nn.relu(topi.add(x, y)), perm)
    (xn, yn), got = run([x, y], [out], generic.schedule_injective)
    close(got, np.maximum(xn + yn, 0).transpose(perm))
    out = topi.reshape(topi.exp(x), (int(np.prod(shape)),))
    (xn,), got = run([x], [out], x86.schedule_injective)
    close(got, np.exp(xn).reshape(-1))


def test_default_schedule_mixed():
    """default_schedule handles a function with a reduction and injective stages."""
    x = te.placeholder((8, 24), name="x")
    out = topi.subtract(x, topi.sum(x, axis=1, keepdims=True))
    (xn,), got = run([x], [out], generic.default_schedule)
    close(got, xn - xn.sum(axis=1, keepdims=True))


def test_concatenate():
    a = te.placeholder((2, 3, 8), name="a")
    b = te.placeholder((2, 5, 8), name="b")
    (an, bn), got = run([a, b], [topi.concatenate([a, b], axis=1)], x86.schedule_concatenate)
    close(got, np.concatenate([an, bn], axis=1))


@pytest.mark.parametrize("fschedule", [x86.schedule_dense_pack, x86.schedule_dense_nopack])
@pytest.mark.parametrize("m,n,k", [(16, 24, 32), (5, 9, 13)])
def test_dense_pack_nopack(fschedule, m, n, k, isa_target):
    x = te.placeholder((m, k), name="x")
    w = te.placeholder((n, k), name="w")
    (xn, wn), got = run([x, w], [topi.nn.dense(x, w)], fschedule, target=isa_target)
    close(got, xn @ wn.T)


@pytest.mark.parametrize("pool_type", ["max", "avg"])
def test_pool1d_pool3d(pool_type):
    x = te.placeholder((2, 8, 19), name="x")
    out = topi.nn.pool1d(x, (3,), (2,), (1,), (1, 1), pool_type, count_include_pad=True)
    (xn,), got = run([x], [out], x86.schedule_pool)
    expect = ref.poolnd_python(xn, (3,), (2,), (1,), (1,), (1,), pool_type,
                               count_include_pad=pool_type == "avg", layout="NCW")
    close(got, expect)
    x = te.placeholder((1, 4, 6, 7, 9), name="x")
    out = topi.nn.pool3d(x, (2, 2, 3), (2, 2, 2), (1, 1, 1), (0, 1, 0, 0, 1, 1), pool_type,
                         count_include_pad=True)
    (xn,), got = run([x], [out], x86.schedule_pool)
    expect = ref.poolnd_python(xn, (2, 2, 3), (2, 2, 2), (1, 1, 1), (0, 1, 0), (0, 1, 1), pool_type,
                               count_include_pad=pool_type == "avg", layout="NCDHW")
    close(got, expect)
