"""relay.testing: the reference workloads, their parameters and initialisers.

Expected names, shapes and counts are derived by hand from the topologies
(upstream TVM 0.8's relay.testing), not read back from the implementation.
"""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay import testing
from tvm.relay.testing import init, layers


def _ret_type(mod):
    ret = mod["main"].checked_type.ret_type
    return tuple(int(d) for d in ret.shape), ret.dtype


def _param_shapes(params):
    return {name: tuple(value.shape) for name, value in params.items()}


def _main_param_types(mod):
    return {p.name_hint: p.checked_type for p in mod["main"].params}


def _check_params_match_main(mod, params):
    """Every main parameter except data has a value of the inferred type, and nothing else."""
    types = _main_param_types(mod)
    assert set(params) == set(types) - {"data"}
    for name, value in params.items():
        assert isinstance(value, tvm.runtime.Tensor)
        assert tuple(value.shape) == tuple(int(d) for d in types[name].shape), name
        assert str(value.dtype) == types[name].dtype, name


# Parameters of one batch norm made by layers.batch_norm_infer.
_BN = 4


def _resnet_param_count(units, bottle_neck):
    # bn_data + conv0 + bn0, the units (+ one projection per stage), bn1 + fc1.
    per_unit = (3 * _BN + 3) if bottle_neck else (2 * _BN + 2)
    return (_BN + 1 + _BN) + per_unit * sum(units) + len(units) + (_BN + 2)


def test_resnet18_nhwc():
    mod, params = testing.resnet.get_workload(
        num_layers=18, batch_size=1, layout="NHWC", image_shape=(224, 224, 3)
    )
    assert _ret_type(mod) == ((1, 1000), "float32")
    assert str(mod["main"].checked_type.ret_type) == "Tensor[(1, 1000), float32]"
    types = _main_param_types(mod)
    assert tuple(types["data"].shape) == (1, 224, 224, 3)
    shapes = _param_shapes(params)
    assert shapes["conv0_weight"] == (7, 7, 3, 64)  # HWIO
    assert shapes["bn_data_gamma"] == (3,)
    assert shapes["bn0_moving_var"] == (64,)
    assert shapes["stage1_unit1_bn1_gamma"] == (64,)
    assert shapes["stage1_unit1_conv1_weight"] == (3, 3, 64, 64)
    assert shapes["stage2_unit1_conv1_weight"] == (3, 3, 64, 128)
    assert shapes["stage2_unit1_sc_weight"] == (1, 1, 64, 128)
    assert shapes["stage4_unit2_conv2_weight"] == (3, 3, 512, 512)
    assert shapes["bn1_beta"] == (512,)
    assert shapes["fc1_weight"] == (1000, 512)
    assert shapes["fc1_bias"] == (1000,)
    assert "stage1_unit2_sc_weight" not in params  # identity shortcut
    assert len(params) == _resnet_param_count([2, 2, 2, 2], False) == 99
    _check_params_match_main(mod, params)


def test_resnet18_nchw_ops():
    mod, params = testing.resnet.get_workload(num_layers=18, batch_size=1)
    assert _ret_type(mod) == ((1, 1000), "float32")
    assert _param_shapes(params)["conv0_weight"] == (64, 3, 7, 7)  # OIHW
    assert len(params) == 99
    counts = testing.count_ops(mod["main"])
    # conv0 + 2 convs per basic unit + one projection per stage.
    assert counts["nn.conv2d"] == 1 + 2 * 8 + 4
    assert counts["nn.batch_norm"] == 2 + 2 * 8 + 1
    assert counts["nn.relu"] == 1 + 2 * 8 + 1
    assert counts["add"] == 8
    assert counts["nn.max_pool2d"] == 1
    assert counts["nn.global_avg_pool2d"] == 1
    assert counts["nn.dense"] == 1
    assert counts["nn.softmax"] == 1


def test_resnet50():
    mod, params = testing.resnet.get_workload(num_layers=50, batch_size=1)
    assert _ret_type(mod) == ((1, 1000), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv0_weight"] == (64, 3, 7, 7)
    assert shapes["stage1_unit1_bn1_gamma"] == (64,)
    assert shapes["stage1_unit1_conv1_weight"] == (64, 64, 1, 1)
    assert shapes["stage1_unit1_conv2_weight"] == (64, 64, 3, 3)
    assert shapes["stage1_unit1_conv3_weight"] == (256, 64, 1, 1)
    assert shapes["stage1_unit1_sc_weight"] == (256, 64, 1, 1)
    assert shapes["stage2_unit1_bn1_gamma"] == (256,)
    assert shapes["stage3_unit6_conv3_weight"] == (1024, 256, 1, 1)
    assert shapes["stage4_unit3_conv3_weight"] == (2048, 512, 1, 1)
    assert shapes["fc1_weight"] == (1000, 2048)
    assert shapes["fc1_bias"] == (1000,)
    assert len(params) == _resnet_param_count([3, 4, 6, 3], True) == 259
    _check_params_match_main(mod, params)


@pytest.mark.parametrize(
    "num_layers,units,bottle_neck",
    [(34, [3, 4, 6, 3], False), (101, [3, 4, 23, 3], True), (152, [3, 8, 36, 3], True)],
)
def test_resnet_depths(num_layers, units, bottle_neck):
    mod, params = testing.resnet.get_workload(num_layers=num_layers, batch_size=2)
    assert _ret_type(mod) == ((2, 1000), "float32")
    assert len(params) == _resnet_param_count(units, bottle_neck)
    last = f"stage4_unit{units[3]}_conv{3 if bottle_neck else 2}_weight"
    assert _param_shapes(params)[last] == ((2048, 512, 1, 1) if bottle_neck else (512, 512, 3, 3))


def test_resnet_cifar():
    # Height <= 28: three stages of 6n+2 basic units, 3x3 conv0, no pooling.
    mod, params = testing.resnet.get_workload(
        batch_size=4, num_classes=10, num_layers=20, image_shape=(3, 28, 28)
    )
    assert _ret_type(mod) == ((4, 10), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv0_weight"] == (16, 3, 3, 3)
    assert shapes["stage3_unit3_conv2_weight"] == (64, 64, 3, 3)
    assert "bn0_gamma" not in params
    assert len(params) == (_BN + 1) + (2 * _BN + 2) * 9 + 3 + (_BN + 2)


def test_mobilenet():
    mod, params = testing.mobilenet.get_workload(batch_size=1)
    assert _ret_type(mod) == ((1, 1000), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv_block_1_conv_weight"] == (32, 3, 3, 3)
    assert shapes["conv_block_1_bn_gamma"] == (32,)
    assert shapes["separable_conv_block_1_weight"] == (32, 1, 3, 3)  # depthwise
    assert shapes["separable_conv_block_1_conv2_weight"] == (64, 32, 1, 1)
    assert shapes["separable_conv_block_13_weight"] == (1024, 1, 3, 3)
    assert shapes["separable_conv_block_13_bn2_moving_mean"] == (1024,)
    assert shapes["fc_weight"] == (1000, 1024)
    assert shapes["fc_bias"] == (1000,)
    # conv block (conv + bn), 13 separable blocks (2 convs + 2 bns), fc.
    assert len(params) == (1 + _BN) + 13 * (2 + 2 * _BN) + 2 == 137
    _check_params_match_main(mod, params)
    counts = testing.count_ops(mod["main"])
    assert counts["nn.conv2d"] == 1 + 2 * 13


def test_mobilenet_nhwc():
    mod, params = testing.mobilenet.get_workload(
        batch_size=1, image_shape=(224, 224, 3), layout="NHWC"
    )
    assert _ret_type(mod) == ((1, 1000), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv_block_1_conv_weight"] == (3, 3, 3, 32)  # HWIO
    assert shapes["separable_conv_block_1_weight"] == (3, 3, 32, 1)  # HWOI
    assert shapes["separable_conv_block_1_conv2_weight"] == (1, 1, 32, 64)
    assert shapes["conv_block_1_bn_gamma"] == (32,)
    assert len(params) == 137


def test_resnet3d_18():
    mod, params = testing.resnet_3d.get_workload(num_layers=18, batch_size=1)
    assert _ret_type(mod) == ((1, 1000), "float32")
    assert tuple(_main_param_types(mod)["data"].shape) == (1, 3, 16, 112, 112)
    shapes = _param_shapes(params)
    assert shapes["conv0_weight"] == (64, 3, 3, 7, 7)  # OIDHW
    assert shapes["stage1_unit1_bn1_gamma"] == (64,)
    assert shapes["stage1_unit1_conv1_weight"] == (64, 64, 3, 3, 3)
    assert shapes["stage2_unit1_sc_weight"] == (128, 64, 1, 1, 1)
    assert shapes["fc1_weight"] == (1000, 512)
    assert shapes["fc1_bias"] == (1000,)
    assert len(params) == 99
    _check_params_match_main(mod, params)
    assert testing.count_ops(mod["main"])["nn.conv3d"] == 21


def test_resnet3d_18_ndhwc():
    mod, params = testing.resnet_3d.get_workload(
        num_layers=18, batch_size=1, image_shape=(16, 112, 112, 3), layout="NDHWC"
    )
    assert _ret_type(mod) == ((1, 1000), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv0_weight"] == (3, 7, 7, 3, 64)  # DHWIO
    assert shapes["stage1_unit1_bn1_gamma"] == (64,)
    assert shapes["stage3_unit1_bn1_gamma"] == (128,)
    assert len(params) == 99


def test_dcgan():
    mod, params = testing.dcgan.get_workload(batch_size=1)
    assert _ret_type(mod) == ((1, 3, 64, 64), "float32")
    assert tuple(_main_param_types(mod)["data"].shape) == (1, 100)
    shapes = _param_shapes(params)
    assert shapes["dense_weight"] == (4 * 4 * 128 * 8, 100)
    # conv2d_transpose kernels are IOHW: (in channels, out channels, kh, kw).
    assert shapes["g2_deconv_weight"] == (1024, 512, 4, 4)
    assert shapes["g3_deconv_weight"] == (512, 256, 4, 4)
    assert shapes["g4_deconv_weight"] == (256, 128, 4, 4)
    assert shapes["g5_deconv_weight"] == (128, 3, 4, 4)
    assert shapes["g2_batch_norm_moving_var"] == (512,)
    assert len(params) == 1 + 3 * (1 + _BN) + 1 == 17
    _check_params_match_main(mod, params)


def test_dcgan_small():
    mod, params = testing.dcgan.get_workload(batch_size=2, ngf=16, random_len=20, oshape=(1, 64, 64))
    assert _ret_type(mod) == ((2, 1, 64, 64), "float32")
    assert _param_shapes(params)["dense_weight"] == (4 * 4 * 16 * 8, 20)
    with pytest.raises(ValueError, match="64x64"):
        testing.dcgan.get_workload(batch_size=1, oshape=(3, 32, 32))


def test_mlp():
    mod, params = testing.mlp.get_workload(batch_size=1)
    assert _ret_type(mod) == ((1, 10), "float32")
    assert _param_shapes(params) == {
        "fc1_weight": (128, 784),
        "fc1_bias": (128,),
        "fc2_weight": (64, 128),
        "fc2_bias": (64,),
        "fc3_weight": (10, 64),
        "fc3_bias": (10,),
    }
    _check_params_match_main(mod, params)


def test_dtype_propagates():
    mod, params = testing.mlp.get_workload(batch_size=3, num_classes=5, dtype="float64")
    assert _ret_type(mod) == ((3, 5), "float64")
    assert all(str(v.dtype) == "float64" for v in params.values())


def test_initial_values():
    _, params = testing.mlp.get_workload(batch_size=1)
    for name in ("fc1_bias", "fc2_bias", "fc3_bias"):
        np.testing.assert_array_equal(params[name].numpy(), 0.0)
    w1 = params["fc1_weight"].numpy()
    # Xavier, uniform, avg factor, magnitude 3: bound sqrt(3 / ((784 + 128) / 2)).
    bound = np.sqrt(3.0 / ((784 + 128) / 2.0))
    assert np.abs(w1).max() <= bound
    assert np.abs(w1).max() > 0.95 * bound  # 100k draws reach the edge
    assert abs(float(w1.mean())) < 0.01 * bound
    # uniform on [-b, b] has variance b^2 / 3
    np.testing.assert_allclose(w1.var(), bound**2 / 3, rtol=0.02)

    _, params = testing.resnet.get_workload(num_layers=18, batch_size=1)
    np.testing.assert_array_equal(params["bn0_gamma"].numpy(), 1.0)
    np.testing.assert_array_equal(params["bn0_beta"].numpy(), 0.0)
    np.testing.assert_array_equal(params["bn0_moving_mean"].numpy(), 0.0)
    np.testing.assert_array_equal(params["bn0_moving_var"].numpy(), 1.0)
    w0 = params["conv0_weight"].numpy()  # (64, 3, 7, 7)
    bound = np.sqrt(3.0 / ((3 * 49 + 64 * 49) / 2.0))
    assert w0.shape == (64, 3, 7, 7)
    assert bound * 0.95 < np.abs(w0).max() <= bound


def test_deterministic_seed():
    net = testing.mlp.get_net(batch_size=1)
    _, first = init.create_workload(net, seed=3)
    _, again = init.create_workload(testing.mlp.get_net(batch_size=1), seed=3)
    _, other = init.create_workload(net, seed=4)
    for name in first:
        np.testing.assert_array_equal(first[name].numpy(), again[name].numpy())
    assert not np.array_equal(first["fc1_weight"].numpy(), other["fc1_weight"].numpy())
    # The stream is consumed parameter by parameter in main's order: fc1_weight
    # is the first random parameter, so it equals the first draws of the seed.
    np.random.seed(3)
    bound = np.sqrt(3.0 / ((784 + 128) / 2.0))
    expected = np.random.uniform(-bound, bound, size=(128, 784)).astype("float32")
    np.testing.assert_array_equal(first["fc1_weight"].numpy(), expected)


def test_constant_initializer():
    _, params = init.create_workload(testing.mlp.get_net(batch_size=1), initializer=init.Constant())
    np.testing.assert_allclose(params["fc1_weight"].numpy(), 1.0 / (128 * 784))
    np.testing.assert_allclose(params["fc2_weight"].numpy().sum(), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(params["fc2_bias"].numpy(), 0.0)


def test_initializer_rules():
    xavier = init.Xavier(factor_type="in", magnitude=2)
    arr = np.zeros((8, 4, 3, 3), "float32")
    np.random.seed(0)
    xavier("conv_weight", arr)
    assert np.abs(arr).max() <= np.sqrt(2.0 / (4 * 9))
    # A "depthwise" name uses the kernel size alone as the factor:
    # bound sqrt(3 / 9) instead of sqrt(3 / ((9 + 72) / 2)).
    depthwise = np.zeros((8, 1, 3, 3), "float32")
    init.Xavier()("block_depthwise_weight", depthwise)
    assert np.sqrt(3.0 / 9) * 0.8 < np.abs(depthwise).max() <= np.sqrt(3.0 / 9)
    with pytest.raises(ValueError, match="at least 2"):
        xavier("fc_weight", np.zeros((4,), "float32"))
    with pytest.raises(ValueError, match="unknown_thing"):
        init.Xavier()("unknown_thing", np.zeros((2,), "float32"))
    with pytest.raises(ValueError, match="factor_type"):
        init.Xavier(factor_type="sideways")
    with pytest.raises(NotImplementedError):
        init.Initializer()("w_weight", np.zeros((2, 2), "float32"))
    var = np.zeros((3,), "float32")
    init.Initializer()("bn_moving_var", var)
    np.testing.assert_array_equal(var, 1.0)


def test_layers_helpers():
    data = relay.var("data", shape=(2, 8), dtype="float32")
    out = layers.dense_add_bias(data, units=5, name="fc")
    func = testing.run_infer_type(relay.Function(relay.analysis.free_vars(out), out))
    assert [p.name_hint for p in func.params] == ["data", "fc_weight", "fc_bias"]
    assert tuple(func.params[1].checked_type.shape) == (5, 8)
    assert tuple(func.params[2].checked_type.shape) == (5,)
    assert tuple(func.checked_type.ret_type.shape) == (2, 5)

    x = relay.var("data", shape=(1, 6, 6, 4))
    y = layers.batch_norm_infer(x, axis=3, name="bn")
    y = layers.conv2d(y, channels=3, kernel_size=(3, 3), data_layout="NHWC", kernel_layout="HWIO", name="c")
    func = testing.run_infer_type(relay.Function(relay.analysis.free_vars(y), y))
    names = [p.name_hint for p in func.params]
    assert names == ["data", "bn_gamma", "bn_beta", "bn_moving_mean", "bn_moving_var", "c_weight"]
    assert tuple(func.params[1].checked_type.shape) == (4,)
    assert tuple(func.params[5].checked_type.shape) == (3, 3, 4, 3)
    assert tuple(func.checked_type.ret_type.shape) == (1, 4, 4, 3)

    assert layers.conv_kernel_layout("NCHW") == "OIHW"
    assert layers.conv_kernel_layout("NHWC") == "HWIO"
    assert layers.conv_kernel_layout("NHWC", is_depthwise=True) == "HWOI"
    with pytest.raises(ValueError, match="NCDHW"):
        layers.conv_kernel_layout("NCDHW")
    with pytest.raises(ValueError, match="name"):
        layers.conv2d(x, channels=3, kernel_size=(3, 3))


def test_run_infer_type_expr_and_rand():
    x = relay.var("x", shape=(3, 4), dtype="float32")
    body = testing.run_infer_type(relay.nn.relu(x))
    assert str(body.checked_type) == "Tensor[(3, 4), float32]"
    value = testing.rand("float32", 3, 4)
    assert isinstance(value, tvm.runtime.Tensor)
    arr = value.numpy()
    assert arr.shape == (3, 4) and arr.dtype == np.float32
    assert ((arr >= 0) & (arr < 1)).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_layers=19"):
        testing.resnet.get_workload(num_layers=19)
    with pytest.raises(ValueError, match="layout"):
        testing.resnet.get_workload(layout="CHWN")
    with pytest.raises(ValueError, match="layout"):
        testing.resnet_3d.get_workload(layout="NCHW")
    with pytest.raises(ValueError, match="layout"):
        testing.mobilenet.get_workload(layout="HWCN")
    with pytest.raises(TypeError, match="relay Function"):
        init.create_workload("not a net")


def test_temp_op_attr():
    op = relay.op.get("nn.relu")
    before = op.get_attr("TOpPattern")
    with testing.TempOpAttr("nn.relu", "TOpPattern", 8):
        assert op.get_attr("TOpPattern") == 8
    assert op.get_attr("TOpPattern") == before


def test_dqn():
    mod, params = testing.dqn.get_workload(batch_size=2)
    assert _ret_type(mod) == ((2, 18), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv1_weight"] == (32, 4, 8, 8)
    assert shapes["conv3_bias"] == (64,)
    # 84 -> 20 -> 9 -> 7 spatially, 64 channels
    assert shapes["dense1_weight"] == (512, 64 * 7 * 7)
    assert shapes["dense2_weight"] == (18, 512)
    assert len(params) == 3 * 2 + 2 * 2
    _check_params_match_main(mod, params)


def test_vgg_small_image():
    # A 64x64 image keeps fc6 small: 512 channels x 2 x 2 after five pools.
    mod, params = testing.vgg.get_workload(batch_size=1, image_shape=(3, 64, 64), num_classes=10)
    assert _ret_type(mod) == ((1, 10), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv1_1_weight"] == (64, 3, 3, 3)
    assert shapes["conv3_2_weight"] == (256, 256, 3, 3)
    assert shapes["conv5_2_bias"] == (512,)
    assert shapes["fc6_weight"] == (4096, 512 * 2 * 2)
    assert shapes["fc8_weight"] == (10, 4096)
    assert len(params) == 8 * 2 + 3 * 2
    _, params = testing.vgg.get_workload(
        batch_size=1, image_shape=(3, 32, 32), num_layers=16, batch_norm=True
    )
    assert len(params) == 13 * (2 + _BN) + 3 * 2
    assert _param_shapes(params)["bn5_3_moving_var"] == (512,)


def test_squeezenet():
    for version, conv1 in (("1.0", (96, 3, 7, 7)), ("1.1", (64, 3, 3, 3))):
        mod, params = testing.squeezenet.get_workload(batch_size=1, version=version)
        assert _ret_type(mod) == ((1, 1000), "float32")
        shapes = _param_shapes(params)
        assert shapes["conv1_weight"] == conv1
        assert shapes["fire1_input_conv_weight"] == (16, conv1[0], 1, 1)
        assert shapes["fire8_right_conv_weight"] == (256, 64, 3, 3)
        assert shapes["conv_final_weight"] == (1000, 512, 1, 1)
        assert len(params) == 2 + 8 * 3 * 2 + 2
    with pytest.raises(ValueError, match="version"):
        testing.squeezenet.get_workload(version="2.0")


def test_densenet121():
    mod, params = testing.densenet.get_workload(batch_size=1)
    assert _ret_type(mod) == ((1, 1000), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv1_weight"] == (64, 3, 7, 7)
    assert shapes["conv2d_1_0_0_weight"] == (128, 64, 1, 1)
    assert shapes["conv2d_2_0_0_weight"] == (32, 128, 3, 3)
    # block 0 concatenates 6 layers of 32 channels; transition to (64 + 192) // 2
    assert shapes["conv_t_0_weight"] == (128, 192, 1, 1)
    assert shapes["batch_1_1_0_gamma"] == (128,)
    assert shapes["conv_t_1_weight"] == (256, 384, 1, 1)
    assert shapes["dense_weight"] == (1000, 16 * 32)
    layers_total = 6 + 12 + 24 + 16
    assert len(params) == (1 + _BN) + layers_total * (2 + 2 * _BN) + 3 * (1 + _BN) + _BN + 2


def test_inception_v3():
    mod, params = testing.inception_v3.get_workload(batch_size=1)
    assert _ret_type(mod) == ((1, 1000), "float32")
    shapes = _param_shapes(params)
    assert shapes["conv_conv1_weight"] == (32, 3, 3, 3)
    assert shapes["conv_bn_beta"] == (32,)
    assert shapes["mixed_tower_conv_1_conv1_weight"] == (64, 48, 5, 5)
    assert shapes["mixed_4_tower_1_conv_4_conv1_weight"] == (192, 128, 1, 7)
    assert shapes["mixed_10_tower_1_mixed_conv_1_conv1_weight"] == (384, 384, 3, 1)
    assert shapes["fc1_weight"] == (1000, 320 + 4 * 384 + 192)
    assert shapes["fc2_bias"] == (1000,)
    # 94 convolutions, each with a batch norm: stem 5, 3 x 7A (7), 7B (4),
    # 4 x 7C (10), 7D (6), 2 x 7E (9).
    convs = 5 + 3 * 7 + 4 + 4 * 10 + 6 + 2 * 9
    assert convs == 94
    assert len(params) == convs * (1 + _BN) + 2


def test_synthetic():
    mod, params = testing.synthetic.get_workload()
    assert _ret_type(mod) == ((1, 3, 24, 12), "float32")
    shapes = _param_shapes(params)
    assert shapes == {
        "dense_weight": (12, 12),
        "conv_weight": (3, 3, 3, 3),
        "bias": (3,),
        "batch_norm_gamma": (3,),
        "batch_norm_beta": (3,),
        "batch_norm_moving_mean": (3,),
        "batch_norm_moving_var": (3,),
        "dense2_weight": (12, 12),
        "conv2_weight": (3, 3, 3, 3),
    }
    # Constant initialiser: every weight sums to one, biases are zero.
    np.testing.assert_allclose(params["conv_weight"].numpy(), 1.0 / 81)
    np.testing.assert_allclose(params["dense2_weight"].numpy(), 1.0 / 144)
    np.testing.assert_array_equal(params["bias"].numpy(), 0.0)
    mod16, params16 = testing.synthetic.get_workload(dtype="float16")
    assert _ret_type(mod16) == ((1, 3, 24, 12), "float16")
    assert str(params16["conv_weight"].dtype) == "float16"


# ---------------------------------------------------------------------------
# Numbers: run small workloads through the reference interpreter and compare
# with NumPy implementations of the documented topologies.


def _np_conv2d_nchw(x, w, stride, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    kh, kw = w.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]  # n, c, oh, ow, kh, kw
    return np.einsum("nchwij,ocij->nohw", win, w, optimize=True)


def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _randomise_bn(params, rng):
    """Batch-norm statistics away from identity, so the test sees their use."""
    out = {}
    for name, value in params.items():
        arr = value.numpy()
        if name.endswith(("_gamma", "_beta", "_moving_mean")):
            arr = rng.uniform(-1, 1, arr.shape).astype(arr.dtype)
        elif name.endswith("_moving_var"):
            arr = rng.uniform(0.5, 2, arr.shape).astype(arr.dtype)
        out[name] = arr
    return out


def _run_debug(mod, params, data):
    executor = relay.create_executor("debug", mod=mod, device=tvm.cpu(0), target="llvm")
    inputs = {k: tvm.runtime.tensor(v, tvm.cpu(0)) for k, v in params.items()}
    return executor.evaluate()(tvm.runtime.tensor(data, tvm.cpu(0)), **inputs).numpy()


def test_mlp_numbers():
    mod, params = testing.mlp.get_workload(batch_size=2)
    p = {k: v.numpy().astype("float64") for k, v in params.items()}
    data = np.random.RandomState(1).uniform(-1, 1, (2, 1, 28, 28)).astype("float32")
    out = _run_debug(mod, params, data)
    h = data.reshape(2, -1).astype("float64")
    h = np.maximum(h @ p["fc1_weight"].T + p["fc1_bias"], 0)
    h = np.maximum(h @ p["fc2_weight"].T + p["fc2_bias"], 0)
    expected = _np_softmax(h @ p["fc3_weight"].T + p["fc3_bias"])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-6)


def test_small_resnet_numbers():
    # CIFAR-style ResNet-8: three stages of one basic unit, each with a projection.
    mod, params = testing.resnet.get_workload(
        batch_size=2, num_classes=10, num_layers=8, image_shape=(3, 16, 16)
    )
    assert len(params) == (_BN + 1) + 3 * (2 * _BN + 2 + 1) + (_BN + 2)
    rng = np.random.RandomState(7)
    p = _randomise_bn(params, rng)
    data = rng.uniform(-1, 1, (2, 3, 16, 16)).astype("float32")
    out = _run_debug(mod, p, data)

    p = {k: v.astype("float64") for k, v in p.items()}

    def bn(x, name, scale=True):
        shape = (1, -1, 1, 1)
        y = (x - p[name + "_moving_mean"].reshape(shape)) / np.sqrt(
            p[name + "_moving_var"].reshape(shape) + 2e-5
        )
        if scale:
            y = y * p[name + "_gamma"].reshape(shape)
        return y + p[name + "_beta"].reshape(shape)

    def relu(x):
        return np.maximum(x, 0)

    x = bn(data.astype("float64"), "bn_data", scale=False)
    x = _np_conv2d_nchw(x, p["conv0_weight"], 1, 1)
    for stage, stride in ((1, 1), (2, 2), (3, 2)):
        name = f"stage{stage}_unit1"
        act1 = relu(bn(x, name + "_bn1"))
        body = _np_conv2d_nchw(act1, p[name + "_conv1_weight"], stride, 1)
        body = _np_conv2d_nchw(relu(bn(body, name + "_bn2")), p[name + "_conv2_weight"], 1, 1)
        x = body + _np_conv2d_nchw(act1, p[name + "_sc_weight"], stride, 0)
    assert x.shape == (2, 64, 4, 4)
    x = relu(bn(x, "bn1")).mean(axis=(2, 3))
    expected = _np_softmax(x @ p["fc1_weight"].T + p["fc1_bias"])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-6)


def test_synthetic_numbers():
    mod, params = testing.synthetic.get_workload(input_shape=(1, 2, 6, 4))
    rng = np.random.RandomState(3)
    p = _randomise_bn(params, rng)
    for name in ("dense_weight", "conv_weight", "bias", "dense2_weight", "conv2_weight"):
        p[name] = rng.uniform(-1, 1, p[name].shape).astype("float32")
    data = rng.uniform(-1, 1, (1, 2, 6, 4)).astype("float32")
    out = _run_debug(mod, p, data)

    p = {k: v.astype("float64") for k, v in p.items()}

    def round_(x, dense, conv):
        d = np.maximum(x.reshape(-1, 4) @ p[dense].T, 0).reshape(x.shape)
        c = _np_softmax(_np_conv2d_nchw(x, p[conv], 1, 1), axis=-1)
        return d + c

    shape = (1, -1, 1, 1)
    x = round_(data.astype("float64"), "dense_weight", "conv_weight")
    x = x + p["bias"].reshape(shape)
    x = (x - p["batch_norm_moving_mean"].reshape(shape)) / np.sqrt(
        p["batch_norm_moving_var"].reshape(shape) + 1e-5
    ) * p["batch_norm_gamma"].reshape(shape) + p["batch_norm_beta"].reshape(shape)
    expected = round_(x, "dense2_weight", "conv2_weight")
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def _to_channels_last(params, kernel_perm, depthwise_perm=None):
    """Weights of a channels-first network rearranged for its channels-last twin."""
    out = {}
    for name, arr in params.items():
        if arr.ndim >= 4 and depthwise_perm is not None and arr.shape[1] == 1:
            arr = arr.transpose(depthwise_perm)
        elif arr.ndim >= 4:
            arr = arr.transpose(kernel_perm)
        out[name] = np.ascontiguousarray(arr)
    return out


@pytest.mark.parametrize(
    "net,kwargs,first,last,kernel_perm,depthwise_perm",
    [
        (
            "resnet",
            {"num_layers": 18, "num_classes": 7},
            ("NCHW", (3, 36, 36)),
            ("NHWC", (36, 36, 3)),
            (2, 3, 1, 0),  # OIHW -> HWIO
            None,
        ),
        (
            "mobilenet",
            {"num_classes": 7},
            ("NCHW", (3, 32, 32)),
            ("NHWC", (32, 32, 3)),
            (2, 3, 1, 0),
            (2, 3, 0, 1),  # depthwise OIHW (C, 1, kh, kw) -> HWOI
        ),
        (
            "resnet_3d",  # the small CIFAR-style variant keeps the 3-D convolutions cheap
            {"num_layers": 8, "num_classes": 7},
            ("NCDHW", (3, 4, 16, 16)),
            ("NDHWC", (4, 16, 16, 3)),
            (2, 3, 4, 1, 0),  # OIDHW -> DHWIO
            None,
        ),
    ],
)
def test_channels_last_matches_channels_first(net, kwargs, first, last, kernel_perm, depthwise_perm):
    """The two layouts build the same network: same numbers with rearranged weights."""
    module = getattr(testing, net)
    mod_cf, params_cf = module.get_workload(batch_size=1, layout=first[0], image_shape=first[1], **kwargs)
    mod_cl, params_cl = module.get_workload(batch_size=1, layout=last[0], image_shape=last[1], **kwargs)
    assert sorted(params_cf) == sorted(params_cl)
    rng = np.random.RandomState(11)
    p_cf = _randomise_bn(params_cf, rng)
    p_cl = _to_channels_last(p_cf, kernel_perm, depthwise_perm)
    for name, value in params_cl.items():
        assert p_cl[name].shape == tuple(value.shape), name
    data = rng.uniform(-1, 1, (1,) + first[1]).astype("float32")
    data_cl = np.ascontiguousarray(np.moveaxis(data, 1, -1))
    out_cf = _run_debug(mod_cf, p_cf, data)
    out_cl = _run_debug(mod_cl, p_cl, data_cl)
    assert out_cf.shape == (1, 7)
    assert out_cf.std() > 1e-3  # not a degenerate, constant output
    np.testing.assert_allclose(out_cl, out_cf, rtol=1e-4, atol=1e-6)


def test_lstm_numbers():
    iterations, hidden, batch = 3, 8, 2
    mod, params = testing.lstm.get_workload(iterations, hidden, batch_size=batch)
    assert _ret_type(mod) == ((batch, hidden), "float32")
    main = mod["main"]
    # One "data" input per step (as upstream), four parameters per step.
    assert [p.name_hint for p in main.params].count("data") == iterations
    assert len(params) == 4 * iterations
    assert _param_shapes(params)["i2h_2_weight"] == (4 * hidden, hidden)
    assert _param_shapes(params)["h2h_0_bias"] == (4 * hidden,)

    rng = np.random.RandomState(5)
    values = {k: v.numpy() for k, v in params.items()}
    for name in values:
        if name.endswith("_bias"):  # biases start at zero; make them count
            values[name] = rng.uniform(-1, 1, values[name].shape).astype("float32")
    steps = [rng.uniform(-1, 1, (batch, hidden)).astype("float32") for _ in range(iterations)]
    args, step = [], iter(steps)
    for param in main.params:
        args.append(next(step) if param.name_hint == "data" else values[param.name_hint])
    executor = relay.create_executor("debug", mod=mod, device=tvm.cpu(0), target="llvm")
    out = executor.evaluate()(*[tvm.runtime.tensor(a, tvm.cpu(0)) for a in args]).numpy()

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    h = np.zeros((batch, hidden))
    c = np.zeros((batch, hidden))
    for i, x in enumerate(steps):
        gates = (
            x @ values[f"i2h_{i}_weight"].T
            + values[f"i2h_{i}_bias"]
            + h @ values[f"h2h_{i}_weight"].T
            + values[f"h2h_{i}_bias"]
        )
        g_in, g_forget, g_transform, g_out = np.split(gates, 4, axis=1)
        c = sigmoid(g_forget) * c + sigmoid(g_in) * np.tanh(g_transform)
        h = sigmoid(g_out) * np.tanh(c)
    np.testing.assert_allclose(out, h, rtol=1e-4, atol=1e-6)


def _np_conv2d_transpose_nchw(x, w, stride, pad):
    """Transposed convolution with an IOHW kernel (output padding 0)."""
    n, _, height, width = x.shape
    _, out_c, kh, kw = w.shape
    full = np.zeros((n, out_c, (height - 1) * stride + kh, (width - 1) * stride + kw))
    for i in range(height):
        for j in range(width):
            patch = np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
            full[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw] += patch
    return full[:, :, pad : full.shape[2] - pad, pad : full.shape[3] - pad]


def test_dcgan_numbers():
    ngf, random_len = 2, 5
    mod, params = testing.dcgan.get_workload(batch_size=1, ngf=ngf, random_len=random_len)
    rng = np.random.RandomState(9)
    p = _randomise_bn(params, rng)
    code = rng.uniform(-1, 1, (1, random_len)).astype("float32")
    out = _run_debug(mod, p, code)
    assert out.shape == (1, 3, 64, 64)

    p = {k: v.astype("float64") for k, v in p.items()}
    x = np.maximum(code.astype("float64") @ p["dense_weight"].T, 0).reshape(1, 8 * ngf, 4, 4)
    for block in ("g2", "g3", "g4"):
        x = _np_conv2d_transpose_nchw(x, p[f"{block}_deconv_weight"], 2, 1)
        shape = (1, -1, 1, 1)
        x = (x - p[f"{block}_batch_norm_moving_mean"].reshape(shape)) / np.sqrt(
            p[f"{block}_batch_norm_moving_var"].reshape(shape) + 1e-5 + 1e-12
        ) + p[f"{block}_batch_norm_beta"].reshape(shape)  # no scale
        x = np.maximum(x, 0)
    expected = np.tanh(_np_conv2d_transpose_nchw(x, p["g5_deconv_weight"], 2, 1))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_params_feed_relay_build():
    """The parameter dictionary is what relay.build takes: compiled numbers match NumPy."""
    from tvm.contrib import graph_executor  # pylint: disable=import-outside-toplevel

    mod, params = testing.mlp.get_workload(batch_size=1, num_classes=4, image_shape=(1, 6, 6))
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm", params=params)
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    data = np.random.RandomState(2).uniform(-1, 1, (1, 1, 6, 6)).astype("float32")
    module.set_input("data", data)
    module.run()
    p = {k: v.numpy().astype("float64") for k, v in params.items()}
    h = np.maximum(data.reshape(1, -1) @ p["fc1_weight"].T + p["fc1_bias"], 0)
    h = np.maximum(h @ p["fc2_weight"].T + p["fc2_bias"], 0)
    expected = _np_softmax(h @ p["fc3_weight"].T + p["fc3_bias"])
    np.testing.assert_allclose(module.get_output(0).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_run_opt_pass_and_count_ops():
    x = relay.var("data", shape=(1, 4, 3, 3))
    y = relay.nn.relu(layers.batch_norm_infer(x, name="bn"))
    func = relay.Function(relay.analysis.free_vars(y), y)
    assert testing.count_ops(func) == {"nn.batch_norm": 1, "nn.relu": 1}
    simplified = testing.run_opt_pass(func, relay.transform.SimplifyInference())
    counts = testing.count_ops(simplified)
    assert "nn.batch_norm" not in counts and counts["nn.relu"] == 1
    assert isinstance(simplified, relay.Function)
    assert [p.name_hint for p in simplified.params] == [p.name_hint for p in func.params]
    body = testing.run_opt_pass(y, relay.transform.SimplifyInference())
    assert not isinstance(body, relay.Function)  # an expression gives back an expression
    assert testing.count_ops(body) == counts
    with pytest.raises(TypeError, match="needs a pass"):
        testing.run_opt_pass(func, "SimplifyInference")
    # a Sequential is a pass too; import_prelude adds the prelude's types to the module
    seq = tvm.transform.Sequential([relay.transform.SimplifyInference(), relay.transform.FoldConstant()])
    assert testing.count_ops(testing.run_opt_pass(func, seq)) == counts
    from tvm.relay.prelude import Prelude  # pylint: disable=import-outside-toplevel

    lst = Prelude(tvm.IRModule()).mod.get_type("List")[0]
    xs = relay.var("xs", lst(relay.TensorType((), "float32")))
    typed = testing.run_opt_pass(relay.Function([xs], xs), relay.transform.InferType(), import_prelude=True)
    assert typed.checked_type.ret_type == lst(relay.TensorType((), "float32"))
    mod, _ = testing.mlp.get_workload(batch_size=1)
    expected = {"nn.batch_flatten": 1, "nn.dense": 3, "nn.bias_add": 3, "nn.relu": 2, "nn.softmax": 1}
    assert testing.count_ops(mod) == expected
