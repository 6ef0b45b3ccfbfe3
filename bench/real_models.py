"""The five real-model architectures of the benchmarks, as ONNX files with random weights.

Each model is written in PyTorch (the published architecture, random weights
from a fixed seed) and exported to ONNX with opset 17, NCHW as exported, the
way a user meets it. torch is needed only to write the files (it is not a
dependency of the package: ``pip install torch==2.13.0``); the files are kept
in a cache folder and reused.

* ``resnet50``: torchvision's ResNet-50 (bottleneck blocks 3-4-6-3), 224x224.
* ``mobilenetv2``: MobileNetV2 (inverted residuals, ReLU6, width 1.0), 224x224.
* ``bert``: a BERT-like encoder: token + position embeddings (int64 token ids),
  4 layers, hidden 256, 4 heads, feed-forward 1024 with exact GELU, LayerNorm;
  batch 1, sequence 128.
* ``unet``: a UNet-like model: 4 levels (32-256 channels), max-pool down,
  ConvTranspose2d up, concatenated skips, one nearest and one bilinear Resize;
  128x128.
* ``vit``: a ViT-like model: 16x16 patch convolution, class token, learned
  positions, 4 pre-norm blocks of dim 192 with 3 heads, MLP 768; 224x224.
"""
import math
import os

import numpy as np

MODEL_NAMES = ("resnet50", "mobilenetv2", "bert", "unet", "vit")


def _torch():
    try:
        import torch  # pylint: disable=import-outside-toplevel
    except ImportError as err:
        raise ImportError("writing the benchmark's ONNX models needs PyTorch: "
                          "pip install torch==2.13.0 (the CPU build)") from err
    return torch


def _resnet50(nn):
    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            cout = width * 4
            self.body = nn.Sequential(
                nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            skip = x if self.down is None else self.down(x)
            return self.relu(self.body(x) + skip)

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
              nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for index in range(blocks):
            layers.append(Bottleneck(cin, width, stride if index == 0 else 1))
            cin = width * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000)]
    return nn.Sequential(*layers), "float32", (1, 3, 224, 224)


def _mobilenetv2(nn):
    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, stride, expand):
            super().__init__()
            hidden = cin * expand
            layers = []
            if expand != 1:
                layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
            layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
                       nn.BatchNorm2d(hidden), nn.ReLU6(),
                       nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
            self.body = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            return x + self.body(x) if self.residual else self.body(x)

    layers = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()]
    cin = 32
    for expand, cout, repeats, stride in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                                          (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for index in range(repeats):
            layers.append(InvertedResidual(cin, cout, stride if index == 0 else 1, expand))
            cin = cout
    layers += [nn.Conv2d(cin, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6(),
               nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1000)]
    return nn.Sequential(*layers), "float32", (1, 3, 224, 224)


def _attention_block(nn, torch, dim, heads, mlp, pre_norm):
    class Block(nn.Module):
        """Multi-head self-attention + MLP, written out (no fused torch kernels in the export)."""

        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)
            self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

        def attention(self, x):
            batch, seq, _ = x.shape
            qkv = self.qkv(x).reshape(batch, seq, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(dim // heads)
            out = torch.matmul(torch.softmax(scores, dim=-1), v)
            return self.proj(out.transpose(1, 2).reshape(batch, seq, dim))

        def forward(self, x):
            if pre_norm:
                x = x + self.attention(self.norm1(x))
                return x + self.mlp(self.norm2(x))
            x = self.norm1(x + self.attention(x))
            return self.norm2(x + self.mlp(x))

    return Block()


def _bert(nn):
    torch = _torch()
    dim, seq, vocab = 256, 128, 30522

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(vocab, dim)
            self.positions = nn.Parameter(torch.randn(1, seq, dim) * 0.02)
            self.norm = nn.LayerNorm(dim)
            self.blocks = nn.Sequential(*[_attention_block(nn, torch, dim, 4, 4 * dim, False)
                                          for _ in range(4)])

        def forward(self, ids):
            return self.blocks(self.norm(self.tokens(ids) + self.positions))

    return Encoder(), "int64", (1, seq)


def _unet(nn):
    torch = _torch()

    def double_conv(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                             nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            widths = (32, 64, 128, 256)
            self.down = nn.ModuleList([double_conv(3, 32)] + [double_conv(a, b) for a, b in
                                                               zip(widths, widths[1:])])
            self.up = nn.ModuleList([nn.ConvTranspose2d(b, a, 2, 2) for a, b in
                                     zip(widths[1:-1], widths[2:])])
            self.merge = nn.ModuleList([double_conv(2 * a, a) for a in widths[1:-1]])
            self.reduce = nn.Conv2d(64, 32, 1)
            self.head = nn.Conv2d(64, 2, 1)

        def forward(self, x):
            skips = []
            for index, block in enumerate(self.down):
                x = block(x if index == 0 else nn.functional.max_pool2d(x, 2))
                skips.append(x)
            x = skips.pop()
            for up, merge in zip(reversed(self.up), reversed(self.merge)):
                x = merge(torch.cat([up(x), skips.pop()], dim=1))
            # the last two levels go up by Resize instead: nearest, then bilinear
            x = nn.functional.interpolate(self.reduce(x), scale_factor=2, mode="nearest")
            x = torch.cat([x, skips.pop()], dim=1)
            return nn.functional.interpolate(self.head(x), scale_factor=2, mode="bilinear",
                                             align_corners=False)

    return UNet(), "float32", (1, 3, 128, 128)


def _vit(nn):
    torch = _torch()
    dim, patches = 192, (224 // 16) ** 2

    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch = nn.Conv2d(3, dim, 16, 16)
            self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
            self.positions = nn.Parameter(torch.randn(1, patches + 1, dim) * 0.02)
            self.blocks = nn.Sequential(*[_attention_block(nn, torch, dim, 3, 4 * dim, True)
                                          for _ in range(4)])
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, 1000)

        def forward(self, x):
            x = self.patch(x).flatten(2).transpose(1, 2)
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.positions
            return self.head(self.norm(self.blocks(x))[:, 0])

    return ViT(), "float32", (1, 3, 224, 224)


_BUILDERS = {"resnet50": _resnet50, "mobilenetv2": _mobilenetv2, "bert": _bert, "unet": _unet,
             "vit": _vit}


def model_input(name, shape, dtype, seed=0):
    """The fixed input the benchmarks feed ``name`` (token ids below the vocabulary for bert)."""
    rng = np.random.default_rng(seed)
    if dtype == "int64":
        return rng.integers(0, 30522, size=shape, dtype="int64")
    return rng.standard_normal(shape).astype(dtype)


def onnx_model_path(name, cache_dir):
    """Path of ``name``'s ONNX file in ``cache_dir``, written on first use.

    Returns
    -------
    path : str
    input_name, shape, dtype : the model's single input
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    path = os.path.join(cache_dir, f"{name}.onnx")
    if not os.path.exists(path):
        torch = _torch()
        torch.manual_seed(0)
        module, dtype, shape = _BUILDERS[name](torch.nn)
        module.eval()
        for param in module.parameters():  # BatchNorm statistics away from the identity
            param.requires_grad_(False)
        for buf_name, buf in module.named_buffers():
            if buf_name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
            elif buf_name.endswith("running_mean"):
                buf.uniform_(-0.1, 0.1)
        example = torch.from_numpy(model_input(name, shape, dtype))
        os.makedirs(cache_dir, exist_ok=True)
        tmp = path + ".tmp"
        torch.onnx.export(module, (example,), tmp, input_names=["input"], output_names=["output"],
                          opset_version=17, dynamo=False)
        os.replace(tmp, path)
    import onnx  # pylint: disable=import-outside-toplevel

    graph = onnx.load(path, load_external_data=False).graph
    initializers = {init.name for init in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    tensor_type = inputs[0].type.tensor_type
    shape = tuple(d.dim_value for d in tensor_type.shape.dim)
    dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type).name
    return path, inputs[0].name, shape, dtype
