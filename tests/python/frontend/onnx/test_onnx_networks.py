"""Whole networks built with onnx.helper (models.py): from_onnx + relay.build vs ONNX Runtime."""
import numpy as np
import pytest

from tvm.relay.frontend import from_onnx
from tvm.relay.testing import count_ops

import models
from onnx_testing import assert_same, compile_model, run_module, run_ort, verify


def _check_not_degenerate(outputs):
    # Comparisons of near-constant outputs would prove little.
    for out in outputs:
        assert np.isfinite(out).all()
        assert out.std() > 0.05, out.std()


def test_resnet_style():
    model = models.resnet_style()
    counts = count_ops(from_onnx(model)[0])
    assert counts["nn.conv2d"] == 9 and counts["nn.batch_norm"] == 9
    assert counts["nn.max_pool2d"] == 1 and counts["nn.global_avg_pool2d"] == 1
    assert counts["nn.dense"] == 1
    _check_not_degenerate(verify(model, models.sample_inputs(model)))


def test_mobilenet_v2_style():
    model = models.mobilenet_v2_style()
    mod, _ = from_onnx(model)
    counts = count_ops(mod)
    assert counts["nn.conv2d"] == 13 and counts["clip"] == 9
    # x.view(x.size(0), -1): Shape/Gather/Unsqueeze/Concat folded into one static reshape
    assert counts["shape_of"] == 0 and counts["take"] == 0 and counts["concatenate"] == 0
    assert counts["reshape"] == 1
    _check_not_degenerate(verify(model, models.sample_inputs(model)))


def test_mobilenet_v2_style_batch2_unfrozen_params():
    model = models.mobilenet_v2_style(batch=2, seed=1)
    mod, params = from_onnx(model, freeze_params=False)
    # Every float initializer (weights, BN statistics, clip bounds, dropout ratio) is a parameter.
    assert len(params) == len([i for i in model.graph.initializer if i.data_type == 1 and i.dims])
    assert [p.name_hint for p in mod["main"].params][0] == "input"
    inputs = models.sample_inputs(model, seed=3)
    _check_not_degenerate(verify(model, inputs, freeze_params=False))


def test_transformer_encoder():
    model = models.transformer_encoder()
    mod, _ = from_onnx(model)
    counts = count_ops(mod)
    # per layer: Q, K, V, output and two feed-forward projections; plus the pooler
    assert counts["nn.dense"] == 2 * 6 + 1
    assert counts["nn.batch_matmul"] == 2 * 2
    assert counts["nn.layer_norm"] == 1 + 2 * 2
    assert counts["nn.softmax"] == 2
    # shape arithmetic (Shape, Gather, Range, Expand, Concat) folds to constants
    assert counts["shape_of"] == 0 and counts["concatenate"] == 0 and counts["arange"] == 0
    outputs = verify(model, models.sample_inputs(model))
    assert [o.shape for o in outputs] == [(1, 16, 64), (1, 64)]
    _check_not_degenerate(outputs)


def test_transformer_encoder_symbolic_batch():
    model = models.transformer_encoder(batch="batch", seed=4)
    with pytest.raises(ValueError, match="input 'input_ids' has symbolic"):
        from_onnx(model)
    shape = {"input_ids": (3, 16), "attention_mask": (3, 16)}
    outputs = verify(model, models.sample_inputs(model, seed=6, batch=3), shape=shape)
    assert [o.shape for o in outputs] == [(3, 16, 64), (3, 64)]
    _check_not_degenerate(outputs)


def test_transformer_encoder_mask_matters():
    # The padded positions must change the result of the unpadded ones only through the mask.
    model = models.transformer_encoder(seed=2)
    module = compile_model(model)
    inputs = models.sample_inputs(model, seed=5)
    masked = run_module(module, inputs)
    assert_same(masked, run_ort(model, inputs))
    inputs["attention_mask"][:] = 1
    unmasked = run_module(module, inputs)
    assert_same(unmasked, run_ort(model, inputs))
    assert np.abs(masked[0] - unmasked[0]).max() > 1e-3


@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_models_save_and_load(tmp_path, name):
    import onnx

    path = tmp_path / f"{name}.onnx"
    assert models.main([name, str(path)]) == 0
    mod, params = from_onnx(str(path))
    assert params == {} and "main" in [g.name_hint for g in mod.get_global_vars()]
    assert onnx.load(str(path)).graph.name == name
