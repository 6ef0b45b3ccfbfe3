"""One converter (or a small group) at a time, traced and exported, against torch eager."""
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from pytorch_testing import verify  # noqa: E402


class Lambda(nn.Module):
    """A module computing ``fn(*inputs)``, with optional submodules as attributes."""

    def __init__(self, fn, **modules):
        super().__init__()
        self.fn = fn
        for name, module in modules.items():
            setattr(self, name, module)

    def forward(self, *args):
        return self.fn(self, *args)


def _rand(*shape):
    return torch.randn(*shape)


def _seeded(builder):
    torch.manual_seed(0)
    return builder()


# (id, model builder, input builder)
CASES = [
    ("conv2d_groups_dilation", lambda: Lambda(lambda m, x: m.c(x), c=nn.Conv2d(
        4, 8, 3, stride=2, padding=2, dilation=2, groups=2)), lambda: [_rand(1, 4, 9, 9)]),
    ("conv1d", lambda: Lambda(lambda m, x: m.c(x), c=nn.Conv1d(3, 5, 3, padding=1)),
     lambda: [_rand(2, 3, 10)]),
    ("conv_transpose2d", lambda: Lambda(lambda m, x: m.c(x), c=nn.ConvTranspose2d(
        4, 3, 3, stride=2, padding=1, output_padding=1)), lambda: [_rand(1, 4, 5, 5)]),
    ("batch_norm_relu6", lambda: Lambda(lambda m, x: F.relu6(m.bn(x)), bn=nn.BatchNorm2d(3)),
     lambda: [_rand(2, 3, 4, 4)]),
    ("pools", lambda: Lambda(lambda m, x: (F.max_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 2),
                                           F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                                           F.adaptive_avg_pool2d(x, (2, 3)),
                                           F.max_pool2d(x, 2, ceil_mode=True))),
     lambda: [_rand(1, 2, 7, 7)]),
    ("activations", lambda: Lambda(lambda m, x: (F.hardswish(x), F.hardsigmoid(x), F.silu(x),
                                                 F.leaky_relu(x, 0.2), torch.sigmoid(x),
                                                 F.gelu(x), F.gelu(x, approximate="tanh"),
                                                 torch.clamp(x, -0.5, 0.5), F.softplus(x))),
     lambda: [_rand(3, 5) * 3]),
    ("softmax", lambda: Lambda(lambda m, x: (F.softmax(x, -1), F.log_softmax(x, 1))),
     lambda: [_rand(2, 3, 4)]),
    ("layer_norm_2d", lambda: Lambda(lambda m, x: m.ln(x), ln=nn.LayerNorm((3, 4))),
     lambda: [_rand(2, 3, 4)]),
    ("group_norm", lambda: Lambda(lambda m, x: m.gn(x), gn=nn.GroupNorm(2, 4)),
     lambda: [_rand(2, 4, 3, 3)]),
    ("linear_3d", lambda: Lambda(lambda m, x: m.fc(x), fc=nn.Linear(6, 4)),
     lambda: [_rand(2, 5, 6)]),
    ("matmul_broadcast", lambda: Lambda(lambda m, a, b: (torch.matmul(a, b), a @ b[0],
                                                         torch.bmm(a[0], b))),
     lambda: [_rand(2, 3, 4, 5), _rand(3, 5, 2)]),
    ("arithmetic", lambda: Lambda(lambda m, a, b: (a + 2 * b, a - b, a * b, a / (b.abs() + 1),
                                                   2 - a, a ** 2, torch.maximum(a, b),
                                                   torch.floor_divide(a, 0.7), a.exp(),
                                                   (a.abs() + 1).rsqrt(), -a)),
     lambda: [_rand(3, 4), _rand(4)]),
    ("reductions", lambda: Lambda(lambda m, x: (x.mean(), x.sum(dim=1), x.mean((0, 2), True),
                                                x.amax(-1), x.var(1), x.std(1, keepdim=True))),
     lambda: [_rand(2, 3, 4)]),
    ("reshapes", lambda: Lambda(lambda m, x: (x.view(4, -1), x.reshape(2, 2, 6).permute(2, 0, 1),
                                              x.transpose(0, 1).contiguous(), x.flatten(1),
                                              x.unsqueeze(1).squeeze(1), x.t(),
                                              x.unflatten(1, (2, 3)))),
     lambda: [_rand(4, 6)]),
    ("slicing", lambda: Lambda(lambda m, x: (x[:, 1:3], x[1], x[..., ::2], x[:, -2:],
                                             x.narrow(0, 1, 2), x[:, None, 0])),
     lambda: [_rand(3, 4, 5)]),
    ("cat_stack_split", lambda: Lambda(lambda m, a, b: (torch.cat([a, b], 1), torch.stack([a, a]),
                                                        *torch.split(b, [1, 2], 1),
                                                        *a.chunk(2, 0), *b.unbind(1))),
     lambda: [_rand(2, 3), _rand(2, 3)]),
    ("expand_repeat_flip", lambda: Lambda(lambda m, x: (x.expand(2, 3, 4), x.repeat(2, 1, 2),
                                                        x.flip(-1), x.expand_as(
                                                            torch.zeros(3, 3, 4)))),
     lambda: [_rand(1, 3, 4)]),
    ("interpolate", lambda: Lambda(lambda m, x: (
        F.interpolate(x, scale_factor=2, mode="nearest"),
        F.interpolate(x, size=(7, 9), mode="nearest"),
        F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
        F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True),
        F.interpolate(x, size=(3, 5), mode="bilinear", align_corners=False))),
     lambda: [_rand(1, 2, 4, 6)]),
    ("sdpa_mask_causal", lambda: Lambda(lambda m, q, k, v: (
        F.scaled_dot_product_attention(q, k, v, is_causal=True),
        F.scaled_dot_product_attention(
            q, k, v, attn_mask=(k.sum(-1, keepdim=True) > -9).transpose(-1, -2)),
        F.scaled_dot_product_attention(q, k, v, scale=0.3))),
     lambda: [_rand(2, 2, 5, 4), _rand(2, 2, 5, 4), _rand(2, 2, 5, 3)]),
    ("multihead_attention", lambda: Lambda(lambda m, q, kv: m.mha(q, kv, kv)[0],
                                           mha=nn.MultiheadAttention(8, 2, batch_first=True)),
     lambda: [_rand(2, 4, 8), _rand(2, 6, 8)]),
    ("multihead_attention_seq_first", lambda: Lambda(
        lambda m, x: m.mha(x, x, x, need_weights=False)[0], mha=nn.MultiheadAttention(8, 4)),
     lambda: [_rand(5, 2, 8)]),
    ("multihead_attention_masks", lambda: Lambda(
        lambda m, x, keep: (m.mha(x, x, x, key_padding_mask=keep < 0.5)[0],
                            m.mha(x, x, x, attn_mask=torch.triu(torch.ones(4, 4), 1) > 0)[0]),
        mha=nn.MultiheadAttention(8, 2, batch_first=True)),
     lambda: [_rand(2, 4, 8), torch.tensor([[1.0, 1, 1, 1], [1, 1, 0, 0]])]),
    ("encoder_layer_norm_first", lambda: Lambda(
        lambda m, x: m.layer(x), layer=nn.TransformerEncoderLayer(
            16, 2, 32, dropout=0.0, batch_first=True, norm_first=True)),
     lambda: [_rand(2, 5, 16)]),
    ("embedding_int64", lambda: Lambda(lambda m, ids: m.emb(ids) * 2, emb=nn.Embedding(10, 4)),
     lambda: [torch.tensor([[0, 3, 9], [1, 1, 2]], dtype=torch.int64)]),
    ("creation_and_casts", lambda: Lambda(lambda m, x: (
        x + torch.arange(x.shape[-1]), torch.zeros(2, 3) + x.sum(), x.to(torch.int64),
        torch.ones_like(x) * 3, torch.full((2,), 1.5) * x[0, :2], (x > 0).float())),
     lambda: [_rand(2, 4)]),
    ("where_masked_fill", lambda: Lambda(lambda m, x: (torch.where(x > 0, x, x * 0.1),
                                                       x.masked_fill(x < 0, -1.0))),
     lambda: [_rand(3, 4)]),
    ("pad", lambda: Lambda(lambda m, x: F.pad(x, (1, 2, 0, 1), value=0.5)),
     lambda: [_rand(1, 2, 3, 3)]),
    ("more_activations", lambda: Lambda(lambda m, x: (
        F.elu(x, 0.7), F.selu(x), F.celu(x, 1.3), F.logsigmoid(x), F.threshold(x, 0.1, -2.0),
        m.prelu(x), x.reciprocal(), torch.log1p(x.abs()), torch.expm1(x),
        torch.addcmul(x, x, x, value=0.5), torch.addcdiv(x, x, x.abs() + 1, value=2)),
        prelu=nn.PReLU(3)),
     lambda: [_rand(2, 3, 4)]),
    ("norms_and_indices", lambda: Lambda(lambda m, x: (
        torch.logsumexp(x, 1), torch.linalg.vector_norm(x, dim=1), x.norm(p=1, dim=(1, 2)),
        torch.norm(x, p=float("inf")), x.max(dim=1)[0], x.max(dim=1)[1], x.argmin(-1),
        torch.max(x, x.flip(0)), x.amin(0))),
     lambda: [_rand(2, 3, 4)]),
    ("gather_take_index", lambda: Lambda(lambda m, x, i: (
        torch.gather(x, 1, i.clamp(0, 2).view(1, 2, 1).expand(2, 2, 4)), torch.take(x, i),
        x[:, i], x[i[:1], i[1:]], x.index_select(2, i.clamp(0, 3)))),
     lambda: [_rand(2, 3, 4), torch.tensor([0, -1])]),
    ("sort_topk_cumsum", lambda: Lambda(lambda m, x: (
        *torch.topk(x, 2, dim=-1), *torch.sort(x, 1, descending=True), x.argsort(-1),
        x.cumsum(1), torch.roll(x, (1, -2), (1, 2)), x.repeat_interleave(2, dim=1))),
     lambda: [_rand(2, 5, 4)]),
    ("one_hot_scatter", lambda: Lambda(lambda m, i, x: (
        F.one_hot(i, 5), torch.zeros(3, 5).scatter(1, i.unsqueeze(1), x.unsqueeze(1)))),
     lambda: [torch.tensor([0, 4, 2]), _rand(3)]),
    ("grids_and_shuffles", lambda: Lambda(lambda m, x: (
        *torch.meshgrid(torch.arange(3.0), torch.arange(4.0), indexing="ij"),
        F.pixel_shuffle(x, 2), torch.linspace(0, 1, 5) + x.sum())),
     lambda: [_rand(1, 8, 2, 3)]),
    ("pads_3d_and_norms", lambda: Lambda(lambda m, x: (
        F.pad(x, (1, 2, 2, 1), mode="reflect"), F.pad(x, (1, 1, 0, 2), mode="replicate"),
        m.inorm(x), F.interpolate(x, size=(5, 7), mode="bicubic", align_corners=False),
        F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=True)),
        inorm=nn.InstanceNorm2d(2, affine=True)),
     lambda: [_rand(1, 2, 4, 5)]),
    ("conv3d_pool3d", lambda: Lambda(lambda m, x: (
        F.max_pool3d(m.conv(x), 2), F.avg_pool3d(m.up(x), 2), F.adaptive_avg_pool3d(x, 1)),
        conv=nn.Conv3d(2, 3, 3, padding=1), up=nn.ConvTranspose3d(2, 2, 2, stride=2)),
     lambda: [_rand(1, 2, 4, 4, 4)]),
    ("shape_arithmetic", lambda: Lambda(
        lambda m, x: x.reshape(x.shape[0], x.shape[1] // 2, -1) * (x.size(1) // 3)),
     lambda: [_rand(2, 6, 4)]),
    ("searchsorted_bucketize", lambda: Lambda(lambda m, s, v: (
        torch.searchsorted(s, v), torch.searchsorted(s, v, right=True, out_int32=True),
        torch.searchsorted(s[0], v), torch.bucketize(v, s[1], right=True))),
     lambda: [torch.sort(_rand(2, 6), dim=1)[0], _rand(2, 3)]),
    ("nll_loss", lambda: Lambda(lambda m, x, t: (
        F.nll_loss(x, t), F.nll_loss(x, t, weight=torch.tensor([1.0, 2.0, 3.0]), reduction="sum"),
        F.nll_loss(x, t, ignore_index=1, reduction="none"),
        F.nll_loss(x.view(2, 3, 2, 1), t.view(2, 2, 1)))),
     lambda: [F.log_softmax(_rand(4, 3), 1), torch.tensor([0, 2, 1, 2])]),
]


@pytest.mark.parametrize("path", ["trace", "export"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_op(case, path):
    _, build, inputs = case
    model = _seeded(build)
    torch.manual_seed(1)
    verify(model, inputs(), path)


def test_core_aten_decomposition():
    # after run_decompositions(): convolution, _native_batch_norm_legit_no_training, addmm,
    # native_layer_norm, _softmax, max_pool2d_with_indices, ...
    model = _seeded(lambda: Lambda(
        lambda m, x: F.softmax(m.ln(m.fc(F.max_pool2d(F.relu(m.bn(m.conv(x))), 2).flatten(1))), -1),
        conv=nn.Conv2d(3, 4, 3, padding=1), bn=nn.BatchNorm2d(4), fc=nn.Linear(16, 8),
        ln=nn.LayerNorm(8)))
    torch.manual_seed(1)
    verify(model, [_rand(2, 3, 4, 4)], "export-core")
