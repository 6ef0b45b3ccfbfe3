"""Whole networks through from_pytorch (traced) and from_exported_program, against torch eager.

Every model is built in ``torch_models`` with seeded random weights, compiled with
``relay.build`` (opt_level 3, llvm) and run with the graph executor; outputs must match
torch within rtol 1e-4, atol 1e-5.
"""
import pytest

torch = pytest.importorskip("torch")

import torch_models as tm  # noqa: E402
from pytorch_testing import verify  # noqa: E402

# "export-core": torch.export then run_decompositions() (core ATen: convolution, addmm,
# native_layer_norm, _softmax...)
PATHS = ["trace", "export"]
# the reference outputs spread far more than atol (1e-5): the comparison means something
MIN_STD = 1e-2


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS)
def test_resnet50(path):
    # torchvision's ResNet-50 structure (bottleneck blocks [3, 4, 6, 3], 25.6 M parameters)
    # at 224x224: about 11 s to build and 2 s to run here, per path
    torch.manual_seed(1)
    verify(tm.resnet50(), [torch.randn(1, 3, 224, 224)], path, min_std=MIN_STD)


@pytest.mark.parametrize("path", PATHS)
def test_mobilenet_v2(path):
    torch.manual_seed(2)
    verify(tm.mobilenet_v2(num_classes=100), [torch.randn(1, 3, 64, 64)], path, min_std=MIN_STD)


@pytest.mark.parametrize("path", PATHS)
def test_bert_like_encoder(path):
    # 4 layers, hidden 256, 4 heads, sequence 128, int64 token ids
    model = tm.bert_like(vocab=1000, hidden=256, heads=4, layers=4, ffn=1024, max_len=128)
    ids = torch.randint(0, 1000, (1, 128), generator=torch.Generator().manual_seed(3))
    verify(model, [ids], path, names=["input_ids"], min_std=MIN_STD)


class MaskedEncoder(torch.nn.Module):
    """The BERT-like model with a padding mask (``src_key_padding_mask``)."""

    def __init__(self):
        super().__init__()
        self.bert = tm.bert_like(vocab=100, hidden=32, heads=4, layers=2, ffn=64, max_len=16)

    def forward(self, ids, mask):
        bert = self.bert
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = bert.norm(bert.word(ids) + bert.position(positions))
        return bert.encoder(x, src_key_padding_mask=mask == 0)


@pytest.mark.parametrize("path", PATHS)
def test_encoder_with_padding_mask(path):
    # traced under no_grad this goes through torch's fused fast path with a float mask
    ids = torch.randint(0, 100, (2, 16), generator=torch.Generator().manual_seed(3))
    mask = torch.ones(2, 16, dtype=torch.int64)
    mask[1, 10:] = 0
    verify(MaskedEncoder().eval(), [ids, mask], path, names=["input_ids", "attention_mask"],
           min_std=MIN_STD)


@pytest.mark.parametrize("path", PATHS + ["export-core"])
def test_unet_like(path):
    torch.manual_seed(4)
    verify(tm.unet_like(), [torch.randn(1, 3, 32, 32)], path, min_std=MIN_STD)


@pytest.mark.parametrize("path", PATHS + ["export-core"])
def test_vit_like(path):
    torch.manual_seed(5)
    verify(tm.vit_like(), [torch.randn(2, 3, 32, 32)], path, min_std=MIN_STD)
