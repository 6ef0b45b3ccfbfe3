"""x86 TensorIR schedules of the convolutions against NumPy references.

Every case builds the TE compute (plus a fused epilogue where noted), applies
the x86 schedule to ``te.create_prim_func``, compiles for the host CPU and
compares with ``tvm.topi.testing``.
"""
import numpy as np
import pytest

import tvm
from tvm import te, topi
from tvm.topi import x86
from tvm.topi import testing as ref
from tvm.topi.generic.cpu_features import cpu_features

HOST = tvm.target.Target("llvm")


def build(inputs, outs, fschedule, cfg=None, target=HOST):
    """Schedule ``outs`` with ``fschedule`` for ``target`` and compile."""
    func = te.create_prim_func(list(inputs) + list(outs))
    sch = tvm.s_tir.Schedule(tvm.IRModule({"main": func}))
    with target:
        if cfg is None:
            fschedule(sch, outs)
        else:
            fschedule(sch, outs, cfg)
    return tvm.compile(sch.mod, target), sch


def run(inputs, outs, fschedule, cfg=None, seed=0, target=HOST):
    """Compile for ``target`` and run on random inputs; return (numpy inputs, numpy output)."""
    lib, _ = build(inputs, outs, fschedule, cfg, target)
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal([int(s) for s in t.shape]).astype("float32") for t in inputs]
    out = tvm.runtime.empty([int(s) for s in outs[0].shape], "float32", tvm.cpu())
    lib["main"](*[tvm.runtime.tensor(a) for a in args], out)
    return args, out.numpy()


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(expected).max()))


def dilated(w, dilation, spatial_axes):
    if dilation == 1:
        return w
    strides = [1] * w.ndim
    for axis in spatial_axes:
        strides[axis] = dilation
    return ref.dilate_python(w, strides)


# (batch, in_ch, size, out_ch, kernel, stride, padding, dilation)
CONV2D_CASES = [
    (1, 16, 14, 32, 3, 1, 1, 1),
    (2, 3, 17, 8, 7, 2, 3, 1),       # odd size, stride 2, batch 2
    (1, 8, 13, 12, 3, 2, 1, 1),
    (1, 8, 9, 5, 1, 1, 0, 1),        # 1x1, odd channels
    (1, 4, 11, 8, 3, 1, 2, 2),       # dilation
    (1, 5, 10, 7, 5, 3, (1, 2), 1),  # stride 3, asymmetric padding
    (1, 16, 7, 24, 3, 1, 1, 1),      # 7x7 spatial
    (1, 8, 8, 16, 2, 2, 0, 1),       # even kernel, no padding
]


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_nchw(case, isa_target):
    n, c, size, k, r, s, p, d = case
    x = te.placeholder((n, c, size, size), name="x")
    w = te.placeholder((k, c, r, r), name="w")
    out = topi.nn.conv2d_nchw(x, w, s, p, d)
    (xn, wn), got = run([x, w], [out], x86.schedule_conv2d_nchw, target=isa_target)
    pad = p if isinstance(p, int) else tuple(p) * 1
    close(got, ref.conv2d_nchw_python(xn, dilated(wn, d, (2, 3)), s, pad))


@pytest.mark.parametrize("outer", ["oc", "pixel"])
@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_nhwc(case, outer, isa_target):
    n, c, size, k, r, s, p, d = case
    x = te.placeholder((n, size, size, c), name="x")
    w = te.placeholder((r, r, c, k), name="w")
    out = topi.nn.conv2d_nhwc(x, w, s, p, d)
    (xn, wn), got = run([x, w], [out], x86.schedule_conv2d_nhwc, cfg={"outer": outer},
                        target=isa_target)
    close(got, ref.conv2d_nhwc_python(xn, dilated(wn, d, (0, 1)), s, p))


def test_conv2d_nchw_fused_epilogue(isa_target):
    """conv + bias + relu + residual add: the anchor is found and the epilogue folded."""
    x = te.placeholder((1, 16, 12, 12), name="x")
    w = te.placeholder((32, 16, 3, 3), name="w")
    b = te.placeholder((32, 1, 1), name="b")
    res = te.placeholder((1, 32, 12, 12), name="res")
    conv = topi.nn.conv2d_nchw(x, w, 1, 1, 1)
    out = topi.add(topi.nn.relu(topi.add(conv, b)), res)
    (xn, wn, bn, rn), got = run([x, w, b, res], [out], x86.schedule_conv2d_nchw, target=isa_target)
    close(got, np.maximum(ref.conv2d_nchw_python(xn, wn, 1, 1) + bn, 0) + rn)
    _, sch = build([x, w, b, res], [out], x86.schedule_conv2d_nchw)
    names = [sch.get(blk).name_hint for blk in x86_blocks(sch)]
    # the elementwise stages are folded into the tile write-back
    assert not any(name.startswith("T_add") or name == "compute" for name in names), names


def x86_blocks(sch):
    from tvm.topi.generic.schedule_utils import all_blocks

    return all_blocks(sch)


@pytest.mark.parametrize("outer", ["oc", "pixel"])
def test_conv2d_nhwc_fused_epilogue(outer, isa_target):
    """conv + bias + residual add + relu, with either loop order of the tiles."""
    x = te.placeholder((2, 10, 10, 8), name="x")
    w = te.placeholder((3, 3, 8, 24), name="w")
    b = te.placeholder((24,), name="b")
    res = te.placeholder((2, 5, 5, 24), name="res")
    out = topi.nn.relu(topi.add(topi.add(topi.nn.conv2d_nhwc(x, w, 2, 1, 1), b), res))
    (xn, wn, bn, rn), got = run([x, w, b, res], [out], x86.schedule_conv2d_nhwc,
                                cfg={"outer": outer}, target=isa_target)
    close(got, np.maximum(ref.conv2d_nhwc_python(xn, wn, 2, 1) + bn + rn, 0))


def test_conv2d_nchw_tuned_config(isa_target):
    """Knob values given by a caller (AutoTVM later) replace the fallback ones."""
    x = te.placeholder((1, 8, 16, 16), name="x")
    w = te.placeholder((16, 8, 3, 3), name="w")
    out = topi.nn.conv2d_nchw(x, w, 1, 1, 1)
    cfg = x86.ScheduleConfig("conv2d_nchw", tile_oc=2, tile_ow=4, unroll_kw=False)
    (xn, wn), got = run([x, w], [out], x86.schedule_conv2d_nchw, cfg=cfg, target=isa_target)
    close(got, ref.conv2d_nchw_python(xn, wn, 1, 1))
    # a tile that does not divide its axis falls back to a divisor
    (xn, wn), got = run([x, w], [out], x86.schedule_conv2d_nchw, cfg={"tile_oc": 5, "tile_ow": 6}, target=isa_target)
    close(got, ref.conv2d_nchw_python(xn, wn, 1, 1))


@pytest.mark.parametrize("vector", ["ow", "oc"])
def test_conv2d_nchw_vector_plans(vector, isa_target):
    """Both NCHW plans (column lanes, channel lanes with a blocked kernel copy)."""
    x = te.placeholder((2, 8, 15, 15), name="x")
    w = te.placeholder((16, 8, 3, 3), name="w")
    b = te.placeholder((16, 1, 1), name="b")
    out = topi.nn.relu(topi.add(topi.nn.conv2d_nchw(x, w, 2, 1, 1), b))
    cfg = {"vector": vector, "tile_oc": 8, "tile_ow": 4}
    (xn, wn, bn), got = run([x, w, b], [out], x86.schedule_conv2d_nchw, cfg=cfg, target=isa_target)
    close(got, np.maximum(ref.conv2d_nchw_python(xn, wn, 2, 1) + bn, 0))


def _target(mcpu):
    return tvm.target.Target({"kind": "llvm", "mcpu": mcpu})


AVX2, AVX512 = cpu_features(_target("core-avx2")), cpu_features(_target("skylake-avx512"))


def test_cpu_features_from_llvm():
    """Lanes and registers come from LLVM's feature set of the CPU name."""
    assert (AVX2.isa, AVX2.lanes, AVX2.vector_registers, AVX2.accumulators) == ("avx2", 8, 16, 12)
    assert (AVX512.isa, AVX512.lanes, AVX512.vector_registers) == ("avx512", 16, 32)
    assert AVX512.accumulators == 24
    # names that a table of CPU names got wrong: Rocket Lake has AVX-512, Alder Lake has not
    assert cpu_features(_target("rocketlake")).lanes == 16
    assert cpu_features(_target("znver4")).lanes == 16
    assert cpu_features(_target("alderlake")).lanes == 8
    assert cpu_features(_target("x86-64")).lanes == 4
    plain = tvm.target.Target({"kind": "llvm", "mcpu": "core-avx2", "mattr": ["+avx512f"]})
    assert cpu_features(plain).lanes == 16


@pytest.mark.parametrize("cpu", [AVX2, AVX512], ids=["avx2", "avx512"])
def test_fallback_config_values(cpu):
    lanes = cpu.lanes

    def nchw_cfg(c, size, k, r, s=1, p=1):
        x = te.placeholder((1, c, size, size), name="x")
        w = te.placeholder((k, c, r, r), name="w")
        return x86.fallback_conv2d_nchw_config(topi.nn.conv2d_nchw(x, w, s, p, 1).op, cpu)

    cfg = nchw_cfg(64, 56, 64, 3)
    # channel lanes: whole vectors of output channels, accumulators within the registers
    assert cfg["vector"] == "oc" and cfg["tile_oc"] % lanes == 0 and 64 % cfg["tile_oc"] == 0
    assert 56 % cfg["tile_ow"] == 0
    assert cfg["tile_ow"] * (cfg["tile_oc"] // lanes) <= cpu.accumulators
    stem = nchw_cfg(3, 224, 64, 7, 2, 3)  # 3 input channels: column lanes
    assert stem["vector"] == "ow" and 112 % stem["tile_ow"] == 0 and stem["tile_ow"] % lanes == 0
    # 7x7 plane: channel lanes too (the blocked kernel is made at build time),
    # the whole row in the register tile
    small = nchw_cfg(512, 7, 512, 3)
    assert small["vector"] == "oc" and small["tile_ow"] == 7 and small["tile_oc"] % lanes == 0
    assert small["tile_oc"] // lanes * 7 <= cpu.accumulators
    with pytest.raises(KeyError, match="no knob 'tile_xyz'"):
        cfg["tile_xyz"]  # pylint: disable=pointless-statement

    def nhwc_cfg(c, size, k, r):
        x = te.placeholder((1, size, size, c), name="x")
        w = te.placeholder((r, r, c, k), name="w")
        return x86.fallback_conv2d_nhwc_config(topi.nn.conv2d_nhwc(x, w, 1, r // 2, 1).op, cpu)

    # pixel tiles outermost where the output outweighs the weights, channel tiles where
    # the weights do
    assert nhwc_cfg(64, 56, 256, 1)["outer"] == "pixel"
    assert nhwc_cfg(512, 7, 512, 3)["outer"] == "oc"


def test_register_tiles_keep_the_fma_units_busy():
    """A tile of fewer than 8 accumulators (two FMA units, 4 cycles latency) is replaced
    where a divisor tile is busier: 14 columns with AVX2 take 4 vectors x 2 columns."""
    from tvm.topi.x86.tile_choice import fma_efficiency, register_tile, register_tile_ragged

    assert fma_efficiency(1, 7) < fma_efficiency(2, 4) == fma_efficiency(4, 2) == 1.0
    # 12 accumulators, 4 weight vectors and a broadcast value do not fit in 16 registers
    assert fma_efficiency(4, 3, registers=16) < fma_efficiency(4, 3, registers=32) == 1.0
    assert register_tile(256, 14, AVX2) == (32, 2)
    assert register_tile(64, 56, AVX2) == (16, 4)   # already busy: unchanged
    assert register_tile(256, 14, AVX512) == (32, 7)
    # 7 columns: no busy divisor tile with AVX2; 2 vectors x (4 + 3) columns instead
    assert register_tile(512, 7, AVX2) == (8, 7)
    assert register_tile_ragged(512, 7, AVX2) == (16, 4, True)
    assert register_tile_ragged(512, 7, AVX512) == (32, 7, False)
    assert register_tile_ragged(256, 14, AVX2) == (32, 2, False)


@pytest.mark.parametrize("c,size,k,r,s", [(24, 7, 32, 3, 1), (16, 14, 24, 3, 2), (32, 7, 16, 1, 1),
                                          (8, 13, 16, 3, 1)])
def test_conv2d_nhwc_ragged_tiles(c, size, k, r, s, isa_target):
    """Output widths of 7 and 13 with column tiles that do not divide them, the fused
    epilogue written back from the partial tile too."""
    x = te.placeholder((1, size, size, c), name="x")
    w = te.placeholder((r, r, c, k), name="w")
    b = te.placeholder((k,), name="b")
    out = topi.nn.relu(topi.add(topi.nn.conv2d_nhwc(x, w, s, r // 2, 1), b))
    for tile_ow in (4, 5):
        cfg = {"tile_oc": 8, "tile_ow": tile_ow, "ragged_ow": True}
        (xn, wn, bn), got = run([x, w, b], [out], x86.schedule_conv2d_nhwc, cfg=cfg,
                                target=isa_target)
        close(got, np.maximum(ref.conv2d_nhwc_python(xn, wn, s, r // 2) + bn, 0))
    group = topi.nn.group_conv2d_nhwc(x, te.placeholder((r, r, c // 2, k), name="wg"), s,
                                      r // 2, 1, 2)
    wg = group.op.input_tensors[1]
    (xn, wgn), got = run([x, wg], [group], x86.schedule_group_conv2d_nhwc,
                         cfg={"tile_oc": 8, "tile_ow": 4, "ragged_ow": True}, target=isa_target)
    close(got, ref.conv2d_nhwc_python(xn, wgn, s, r // 2, groups=2))


def test_conv2d_nhwc_fallback_takes_ragged_tiles_with_avx2():
    x = te.placeholder((1, 7, 7, 512), name="x")
    w = te.placeholder((3, 3, 512, 512), name="w")
    op = topi.nn.conv2d_nhwc(x, w, 1, 1, 1).op
    avx2 = x86.fallback_conv2d_nhwc_config(op, AVX2)
    assert (avx2["tile_oc"], avx2["tile_ow"], avx2["ragged_ow"]) == (16, 4, True)
    avx512 = x86.fallback_conv2d_nhwc_config(op, AVX512)
    assert (avx512["tile_oc"], avx512["tile_ow"], avx512["ragged_ow"]) == (32, 7, False)


def test_schedule_rejects_wrong_anchor():
    x = te.placeholder((1, 4, 8, 8), name="x")
    with pytest.raises(ValueError, match="conv2d_nchw"):
        build([x], [topi.nn.relu(x)], x86.schedule_conv2d_nchw)


@pytest.mark.parametrize("groups,c,k,s", [(2, 8, 12, 1), (4, 8, 8, 2), (3, 9, 6, 1), (2, 16, 16, 1)])
def test_group_conv2d_nchw(groups, c, k, s, isa_target):
    x = te.placeholder((1, c, 11, 11), name="x")
    w = te.placeholder((k, c // groups, 3, 3), name="w")
    out = topi.nn.group_conv2d_nchw(x, w, s, 1, 1, groups)
    (xn, wn), got = run([x, w], [out], x86.schedule_group_conv2d_nchw, target=isa_target)
    close(got, ref.conv2d_nchw_python(xn, wn, s, 1, groups=groups))


def test_group_conv2d_nhwc(isa_target):
    x = te.placeholder((1, 9, 9, 8), name="x")
    w = te.placeholder((3, 3, 4, 12), name="w")
    out = topi.nn.group_conv2d_nhwc(x, w, 1, 1, 1, 2)
    (xn, wn), got = run([x, w], [out], x86.schedule_group_conv2d_nhwc, target=isa_target)
    close(got, ref.conv2d_nhwc_python(xn, wn, 1, 1, groups=2))


@pytest.mark.parametrize("n,c,size,r,s,p", [(1, 32, 28, 3, 1, 1), (2, 8, 13, 3, 2, 1),
                                             (1, 24, 7, 5, 1, 2), (1, 6, 10, 3, 2, 0)])
def test_depthwise_conv2d(n, c, size, r, s, p, isa_target):
    x = te.placeholder((n, c, size, size), name="x")
    w = te.placeholder((c, 1, r, r), name="w")
    b = te.placeholder((c, 1, 1), name="b")
    out = topi.nn.relu(topi.add(topi.nn.depthwise_conv2d_nchw(x, w, s, p, 1), b))
    (xn, wn, bn), got = run([x, w, b], [out], x86.schedule_depthwise_conv2d_nchw, target=isa_target)
    close(got, np.maximum(ref.depthwise_conv2d_python_nchw(xn, wn, s, p) + bn, 0))

    xh = te.placeholder((n, size, size, c), name="x")
    wh = te.placeholder((r, r, c, 1), name="w")
    out = topi.nn.depthwise_conv2d_nhwc(xh, wh, s, p, 1)
    (xn, wn), got = run([xh, wh], [out], x86.schedule_depthwise_conv2d_nhwc, target=isa_target)
    close(got, ref.depthwise_conv2d_python_nhwc(xn, wn, s, p))


@pytest.mark.parametrize("c,size,k,s,p", [(4, 7, 8, 1, 1), (3, 6, 5, 2, 0)])
def test_conv3d(c, size, k, s, p, isa_target):
    x = te.placeholder((1, c, 5, size, size), name="x")
    w = te.placeholder((k, c, 3, 3, 3), name="w")
    out = topi.nn.conv3d_ncdhw(x, w, s, p, 1, 1)
    (xn, wn), got = run([x, w], [out], x86.schedule_conv3d_ncdhw, target=isa_target)
    close(got, ref.conv3d_ncdhw_python(xn, wn, s, p))

    xh = te.placeholder((1, 5, size, size, c), name="x")
    wh = te.placeholder((3, 3, 3, c, k), name="w")
    out = topi.nn.conv3d_ndhwc(xh, wh, s, p, 1, 1)
    (xn, wn), got = run([xh, wh], [out], x86.schedule_conv3d_ndhwc, target=isa_target)
    close(got, ref.conv3d_ndhwc_python(xn, wn, s, p))


@pytest.mark.parametrize("c,size,k,r,s,p,op", [(8, 7, 16, 3, 2, 1, 1), (4, 9, 3, 4, 2, 1, 0),
                                                (5, 6, 6, 3, 1, 0, 0)])
def test_conv2d_transpose_nchw(c, size, k, r, s, p, op, isa_target):
    x = te.placeholder((1, c, size, size), name="x")
    w = te.placeholder((c, k, r, r), name="w")
    out = topi.nn.conv2d_transpose_nchw(x, w, (s, s), (p, p), "float32", (op, op))
    (xn, wn), got = run([x, w], [out], x86.schedule_conv2d_transpose_nchw, target=isa_target)
    close(got, ref.conv2d_transpose_nchw_python(xn, wn, (s, s), (p, p), (op, op)))


def test_vector_chunk_is_one_register():
    """Vector tiles longer than a register are vectorised a register at a time."""
    from tvm.topi.x86.tiling import vector_chunk

    assert [vector_chunk(e, 16) for e in (7, 16, 48, 28, 96, 56)] == [7, 16, 16, 4, 16, 8]
    assert [vector_chunk(e, 8) for e in (24, 8, 6, 14)] == [8, 8, 6, 14]
    assert vector_chunk(48, None) == 48


@pytest.mark.parametrize("mcpu", ["core-avx2", "skylake-avx512"])
@pytest.mark.parametrize("layout,c,size,k", [("NCHW", 96, 14, 576), ("NCHW", 16, 56, 96),
                                             ("NHWC", 96, 14, 144), ("NCHW", 144, 28, 24)])
def test_vectorised_loops_fit_one_register(mcpu, layout, c, size, k):
    """No vectorised loop of a conv schedule is longer than the target's vector.

    LLVM lowers a 24-, 28- or 48-float vector to masked or scalarised memory
    code: 1x1 convolutions with such tiles ran at 2-3 GFLOPS against 30-140.
    """
    from tvm.topi.generic.schedule_utils import all_blocks

    target = _target(mcpu)
    if layout == "NCHW":
        x, w = te.placeholder((1, c, size, size), name="x"), te.placeholder((k, c, 1, 1), name="w")
        out, fsched = topi.nn.conv2d_nchw(x, w, 1, 0, 1), x86.schedule_conv2d_nchw
    else:
        x, w = te.placeholder((1, size, size, c), name="x"), te.placeholder((1, 1, c, k), name="w")
        out, fsched = topi.nn.conv2d_nhwc(x, w, 1, 0, 1), x86.schedule_conv2d_nhwc
    func = te.create_prim_func([x, w, out])
    sch = tvm.s_tir.Schedule(tvm.IRModule({"main": func}))
    with target:
        fsched(sch, [out])
    lanes = cpu_features(target).lanes
    vectorised = [sch.get(loop) for block in all_blocks(sch) for loop in sch.get_loops(block)
                  if sch.get(loop).kind == tvm.tirx.ForKind.VECTORIZED]
    assert vectorised and all(int(loop.extent) <= lanes for loop in vectorised)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC", "NCHW-1x1-96"])
@pytest.mark.parametrize("mcpu,register,fma_regs", [("core-avx2", "ymm", 16), ("skylake-avx512", "zmm", 32)])
def test_conv2d_codegen_vector_width(layout, mcpu, register, fma_regs):
    """Compiled for each ISA (no need to run it): FMA on full-width registers, no gather/scatter.

    Runs on any host: LLVM compiles for any x86 CPU. The hot loop of an NCHW
    convolution with channel lanes once spilled its accumulators through
    AVX-512 scatter instructions; the accumulator tile must stay in registers.
    """
    target = _target(mcpu)
    if layout == "NCHW-1x1-96":  # a 96-channel tile: 3 AVX-512 vectors, 12 AVX2 ones
        x = te.placeholder((1, 96, 14, 14), name="x")
        w = te.placeholder((576, 96, 1, 1), name="w")
        out, fsched = topi.nn.conv2d_nchw(x, w, 1, 0, 1), x86.schedule_conv2d_nchw
    elif layout == "NCHW":
        x = te.placeholder((1, 64, 28, 28), name="x")
        w = te.placeholder((64, 64, 3, 3), name="w")
        out, fsched = topi.nn.conv2d_nchw(x, w, 1, 1, 1), x86.schedule_conv2d_nchw
    else:
        x = te.placeholder((1, 28, 28, 64), name="x")
        w = te.placeholder((3, 3, 64, 64), name="w")
        out, fsched = topi.nn.conv2d_nhwc(x, w, 1, 1, 1), x86.schedule_conv2d_nhwc
    from tvm.topi.generic.input_transform import take_out_layout_rewrites

    _, sch = build([x, w], [out], fsched, target=target)
    kernel, _ = take_out_layout_rewrites(sch.mod)  # the weight copy runs once, at build time
    lib = tvm.compile(tvm.IRModule({"main": kernel}), target)
    asm = lib.mod.inspect_source("asm") if hasattr(lib.mod, "inspect_source") else lib.mod.get_source("asm")
    fma_lines = [line for line in asm.splitlines() if "vfmadd" in line]
    assert fma_lines and all(register in line for line in fma_lines[:32])
    assert "scatter" not in asm and "gather" not in asm
    used = {int(r) for line in fma_lines for r in __import__("re").findall(register + r"(\d+)", line)}
    assert max(used) < fma_regs
    if register == "zmm" and layout != "NCHW-1x1-96":
        assert max(used) >= 16  # the accumulator tile uses the upper 16 registers AVX-512 adds


def test_schedule_failure_falls_back_to_generic(monkeypatch, caplog):
    """An anchor schedule that cannot handle a function degrades to the generic one."""
    from tvm.topi.x86 import conv_common

    def broken(*args, **kwargs):
        raise RuntimeError("unexpected pattern")

    monkeypatch.setattr(conv_common, "tile_reduction", broken)
    x = te.placeholder((1, 4, 9, 9), name="x")
    w = te.placeholder((8, 4, 3, 3), name="w")
    out = topi.nn.relu(topi.nn.conv2d_nchw(x, w, 1, 1, 1))
    with caplog.at_level("WARNING", logger="topi"):
        (xn, wn), got = run([x, w], [out], x86.schedule_conv2d_nchw)
    close(got, np.maximum(ref.conv2d_nchw_python(xn, wn, 1, 1), 0))
    assert "using the generic schedule" in caplog.text
    # explicit knob values are not second-guessed
    with pytest.raises(RuntimeError, match="unexpected pattern"):
        run([x, w], [out], x86.schedule_conv2d_nchw, cfg={"tile_oc": 2})


@pytest.mark.parametrize("c,k,size,r,s,p", [(16, 16, 12, 3, 1, 1), (8, 24, 9, 3, 2, 1), (6, 10, 7, 1, 1, 0)])
def test_conv2d_NCHWc(c, k, size, r, s, p, isa_target):
    """The blocked-layout compute of the base with the x86 schedule, against NCHW."""
    ic_bn, oc_bn = x86.conv2d_NCHWc_block_sizes(c, k, cpu_features(isa_target).lanes)
    assert c % ic_bn == 0 and k % oc_bn == 0
    x = te.placeholder((1, c // ic_bn, size, size, ic_bn), name="x")
    w = te.placeholder((k // oc_bn, c // ic_bn, r, r, ic_bn, oc_bn), name="w")
    with isa_target:
        out = topi.nn.relu(topi.nn.conv2d_NCHWc(x, w, (s, s), (p, p), (1, 1),
                                                f"NCHW{ic_bn}c", f"NCHW{oc_bn}c"))
    lib, _ = build([x, w], [out], x86.schedule_conv2d_NCHWc, target=isa_target)
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((1, c, size, size)).astype("float32")
    wn = rng.standard_normal((k, c, r, r)).astype("float32")
    xp = np.ascontiguousarray(xn.reshape(1, c // ic_bn, ic_bn, size, size).transpose(0, 1, 3, 4, 2))
    wp = np.ascontiguousarray(
        wn.reshape(k // oc_bn, oc_bn, c // ic_bn, ic_bn, r, r).transpose(0, 2, 4, 5, 3, 1))
    got = tvm.runtime.empty([int(d) for d in out.shape], "float32", tvm.cpu())
    lib["main"](tvm.runtime.tensor(xp), tvm.runtime.tensor(wp), got)
    osize = got.shape[2]
    got = got.numpy().transpose(0, 1, 4, 2, 3).reshape(1, k, osize, osize)
    close(got, np.maximum(ref.conv2d_nchw_python(xn, wn, s, p), 0))


@pytest.mark.parametrize("layout", ["NCHW", "NHWC", "dense"])
def test_int8_kernels_with_blocked_weights_are_exact(layout, isa_target):
    """Quantized models' int8 convolutions and dense (int32 accumulation) get the x86
    schedules too: the weight copy pads with an int8 zero, not a float one."""
    if layout == "NHWC":
        x, w = te.placeholder((1, 8, 8, 16), "int8", "x"), te.placeholder((3, 3, 16, 24), "int8", "w")
        out, fsched = topi.nn.conv2d_nhwc(x, w, 1, 1, 1, out_dtype="int32"), x86.schedule_conv2d_nhwc
    elif layout == "NCHW":
        x, w = te.placeholder((1, 16, 8, 8), "int8", "x"), te.placeholder((24, 16, 3, 3), "int8", "w")
        out, fsched = topi.nn.conv2d_nchw(x, w, 1, 1, 1, out_dtype="int32"), x86.schedule_conv2d_nchw
    else:
        x, w = te.placeholder((20, 16), "int8", "x"), te.placeholder((24, 16), "int8", "w")
        out, fsched = topi.nn.dense(x, w, out_dtype="int32"), x86.schedule_dense
    sch = tvm.s_tir.Schedule(tvm.IRModule({"main": te.create_prim_func([x, w, out])}))
    with isa_target:
        fsched.__wrapped__(sch, [out])  # no generic fallback: fail loudly
    lib = tvm.compile(sch.mod, isa_target)
    rng = np.random.default_rng(0)
    xa = rng.integers(-100, 100, [int(d) for d in x.shape]).astype("int8")
    wa = rng.integers(-100, 100, [int(d) for d in w.shape]).astype("int8")
    got = tvm.runtime.empty([int(d) for d in out.shape], "int32", tvm.cpu())
    lib["main"](tvm.runtime.tensor(xa), tvm.runtime.tensor(wa), got)
    if layout == "dense":
        expected = xa.astype("int32") @ wa.astype("int32").T
    elif layout == "NHWC":
        expected = ref.conv2d_nhwc_python(xa.astype("int32"), wa.astype("int32"), 1, 1)
    else:
        expected = ref.conv2d_nchw_python(xa.astype("int32"), wa.astype("int32"), 1, 1)
    np.testing.assert_array_equal(got.numpy(), expected)
