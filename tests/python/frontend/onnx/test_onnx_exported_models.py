"""Models exported by real tools, from the test data the ``onnx`` package ships.

* ``pytorch-converted`` / ``pytorch-operator`` / ``simple``: small PyTorch (and
  hand-made) exports. Compared with ONNX Runtime; the opset-6 ones, which ONNX
  Runtime no longer runs, are compared with the outputs stored next to them
  (computed by PyTorch).
* ``light``: real architectures (ResNet-50, DenseNet-121, Inception v1/v2,
  ShuffleNet, SqueezeNet, VGG-19, AlexNet, ZFNet-512) whose weights are
  ``ConstantOfShape`` placeholders; the placeholders are replaced by random
  weights here so that the comparison with ONNX Runtime means something.
"""
import glob
import os

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from onnx_testing import assert_same, run_ort, run_tvm

DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")

# Models outside the frontend's scope: runtime sequences, strings, dynamic
# Expand shapes, training-only gradients.
_OUT_OF_SCOPE = ("test_sequence_model", "test_strnorm_", "test_expand_shape_model",
                 "test_gradient_of_")
_LIGHT_IN_SUITE = ("light_squeezenet", "light_shufflenet")


def _load_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as file:
        tensor.ParseFromString(file.read())
    return numpy_helper.to_array(tensor)


def _small_models():
    dirs = []
    for kind in ("pytorch-converted", "pytorch-operator", "simple"):
        for path in sorted(glob.glob(os.path.join(DATA, kind, "test_*"))):
            name = os.path.basename(path)
            if name.startswith(_OUT_OF_SCOPE) or not os.path.exists(f"{path}/model.onnx"):
                continue
            if os.path.exists(os.path.join(DATA, "light", f"light_{name[5:]}.onnx")):
                continue  # the full-size networks: too slow here, see the light tests
            dirs.append(pytest.param(path, id=f"{kind}/{name}"))
    return dirs


@pytest.mark.slow
@pytest.mark.parametrize("path", _small_models())
def test_exported_model(path):
    model = onnx.load(f"{path}/model.onnx")
    inits = {i.name for i in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in inits]
    inputs = {n: _load_tensor(f) for n, f in
              zip(names, sorted(glob.glob(f"{path}/test_data_set_0/input_*.pb")))}
    actual = run_tvm(model, inputs)
    if model.opset_import[0].version >= 7:
        assert_same(actual, run_ort(model, inputs))
    else:
        expected = [_load_tensor(f) for f in
                    sorted(glob.glob(f"{path}/test_data_set_0/output_*.pb"))]
        assert_same(actual, expected, rtol=1e-3)


def _randomize_weights(model, seed=0):
    """Replace the ConstantOfShape weight placeholders by random initializers."""
    rng = np.random.default_rng(seed)
    consumers = {}
    for node in model.graph.node:
        for index, name in enumerate(node.input):
            consumers.setdefault(name, (node.op_type, index))
    kept = []
    for node in model.graph.node:
        if node.op_type != "ConstantOfShape":
            kept.append(node)
            continue
        shape = tuple(int(d) for d in _shape_of(model, node.input[0]))
        op_type, index = consumers.get(node.output[0], ("", 0))
        if op_type in ("BatchNormalization", "SpatialBN") and index in (1, 4):
            array = rng.uniform(0.5, 1.5, shape)  # scale, variance
        elif len(shape) >= 2:  # conv / fully connected weights
            array = rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[1:]))
        else:
            array = rng.standard_normal(shape) * 0.1
        model.graph.initializer.append(
            numpy_helper.from_array(array.astype("float32"), node.output[0]))
    del model.graph.node[:]
    model.graph.node.extend(kept)
    return model


def _shape_of(model, name):
    for init in model.graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init).ravel()
    for node in model.graph.node:
        if node.op_type == "Constant" and node.output[0] == name:
            return numpy_helper.to_array(node.attribute[0].t).ravel()
    raise KeyError(name)


def _light_models():
    params = []
    for path in sorted(glob.glob(os.path.join(DATA, "light", "light_*.onnx"))):
        name = os.path.basename(path)[:-5]
        marks = () if name in _LIGHT_IN_SUITE or os.environ.get("TVM_TEST_ONNX_ALL_LIGHT") else (
            pytest.mark.skip(reason="8-45 s each; set TVM_TEST_ONNX_ALL_LIGHT=1 to run"),)
        params.append(pytest.param(path, id=name, marks=marks))
    return params


@pytest.mark.slow
@pytest.mark.parametrize("path", _light_models())
def test_light_architecture(path):
    model = _randomize_weights(onnx.load(path))
    inits = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(1)
    inputs = {}
    for value_info in model.graph.input:
        if value_info.name not in inits:
            shape = [d.dim_value for d in value_info.type.tensor_type.shape.dim]
            inputs[value_info.name] = rng.standard_normal(shape).astype("float32")
    expected = run_ort(model, inputs)
    actual = run_tvm(model, inputs)
    assert_same(actual, expected)
    # random weights: the class scores differ (a constant-weight net gives a flat softmax)
    assert expected[0].std() > 1e-4
