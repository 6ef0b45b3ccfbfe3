"""Whole networks written with ``torch.nn`` for the PyTorch frontend tests (no torchvision).

* :class:`ResNet` / :func:`resnet50` -- torchvision's ResNet-50 structure: 7x7 stem,
  max pool, bottleneck blocks ``[3, 4, 6, 3]`` with projection shortcuts, adaptive
  average pool, flatten, linear.
* :class:`MobileNetV2` -- torchvision's MobileNetV2 structure: inverted residual blocks
  with depthwise convolutions, ReLU6, dropout + linear classifier.
* :class:`BertLike` -- token + position embeddings (int64 ids), ``nn.TransformerEncoder``
  (``nn.MultiheadAttention``, ``nn.LayerNorm``, exact GELU), pooled ``tanh`` head.
* :class:`UNetLike` -- an encoder/decoder with ``ConvTranspose2d``, skip ``cat`` and
  ``F.interpolate`` (nearest, bilinear with and without ``align_corners``).
* :class:`ViTLike` -- patch convolution, class token ``cat``, positional add, blocks
  with ``F.scaled_dot_product_attention`` and tanh-GELU, hardswish in the head.
* :class:`RecurrentModel` -- ``nn.LSTM`` or ``nn.GRU`` (layers, bidirectional,
  batch_first) followed by a linear layer on every step.

Every constructor seeds torch's generator, so weights are reproducible; batch norm
statistics are randomised so that inference-mode normalisation is not an identity.
"""

import torch
from torch import nn
from torch.nn import functional as F


def _torchvision_init(model):
    """torchvision's initialisation of its CNNs: He-normal convolutions (fan_out), small linear
    weights. torch's default initialisation shrinks activations layer after layer, and through 50
    layers they reach denormal floats, which makes every engine's timing meaningless."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0, 0.01)
            nn.init.zeros_(module.bias)
    return model


def _randomise_batch_norms(model, seed):
    gen = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            module.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
    return model


# -- ResNet-50 ---------------------------------------------------------------------------


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), num_classes=1000, width=64):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(width * 2, layers[1], 2)
        self.layer3 = self._make_layer(width * 4, layers[2], 2)
        self.layer4 = self._make_layer(width * 8, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * 4, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * 4:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes * 4, 1, stride, bias=False),
                                       nn.BatchNorm2d(planes * 4))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * 4
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def resnet50(seed=0, num_classes=1000):
    """torchvision's ResNet-50 (25.6 M parameters), random weights, eval mode."""
    torch.manual_seed(seed)
    model = _randomise_batch_norms(_torchvision_init(ResNet((3, 4, 6, 3), num_classes)), seed)
    # small last-BN scales in each block (torchvision's zero_init_residual, not quite zero) keep
    # the residual stream, and so the logits, of order one
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, Bottleneck):
                module.bn3.weight.mul_(0.2)
    return model.eval()


# -- MobileNetV2 -------------------------------------------------------------------------


class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, kernel=3, stride=1, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups,
                            bias=False), nn.BatchNorm2d(cout)]
        if act:
            layers.append(nn.ReLU6(inplace=True))
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        layers = [] if expand == 1 else [ConvBNAct(cin, hidden, 1)]
        layers += [ConvBNAct(hidden, hidden, 3, stride, groups=hidden),
                   ConvBNAct(hidden, cout, 1, act=False)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1))

    def __init__(self, num_classes=1000):
        super().__init__()
        features = [ConvBNAct(3, 32, stride=2)]
        cin = 32
        for expand, cout, repeats, stride in self.SETTINGS:
            for i in range(repeats):
                features.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        features.append(ConvBNAct(cin, 1280, 1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


def mobilenet_v2(seed=0, num_classes=1000):
    torch.manual_seed(seed)
    return _randomise_batch_norms(_torchvision_init(MobileNetV2(num_classes)), seed).eval()


# -- BERT-like encoder ---------------------------------------------------------------------


class BertLike(nn.Module):
    def __init__(self, vocab=1000, hidden=256, heads=4, layers=4, ffn=1024, max_len=128):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_len, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        layer = nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.1, activation="gelu",
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.norm(self.word(input_ids) + self.position(positions))
        x = self.encoder(x)
        return x, torch.tanh(self.pooler(x[:, 0]))


def bert_like(seed=0, **kwargs):
    torch.manual_seed(seed)
    return BertLike(**kwargs).eval()


# -- UNet-like ------------------------------------------------------------------------------


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


class UNetLike(nn.Module):
    def __init__(self, cin=3, classes=2, base=8):
        super().__init__()
        self.enc1 = DoubleConv(cin, base)
        self.enc2 = DoubleConv(base, base * 2)
        self.enc3 = DoubleConv(base * 2, base * 4)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = DoubleConv(base * 4, base * 2)
        self.dec1 = DoubleConv(base * 2 + base, base)
        self.head = nn.Conv2d(base, classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(e3), e2], dim=1))
        up1 = F.interpolate(d2, scale_factor=2, mode="bilinear", align_corners=False)
        d1 = self.dec1(torch.cat([up1, e1], dim=1))
        side = F.interpolate(e3, size=e1.shape[-2:], mode="bilinear", align_corners=True)
        near = F.interpolate(d2, scale_factor=2, mode="nearest")
        return self.head(d1), side.mean(dim=1, keepdim=True) + near.sum(dim=1, keepdim=True)


def unet_like(seed=0, **kwargs):
    torch.manual_seed(seed)
    return _randomise_batch_norms(UNetLike(**kwargs), seed).eval()


# -- ViT-like -------------------------------------------------------------------------------


class ViTBlock(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        attn = F.scaled_dot_product_attention(q, k, v)
        x = x + self.proj(attn.transpose(1, 2).reshape(b, n, c))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x)), approximate="tanh"))


class ViTLike(nn.Module):
    def __init__(self, image=32, patch=8, dim=64, heads=4, depth=2, mlp=128, classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, patch)
        tokens = (image // patch) ** 2 + 1
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        self.blocks = nn.ModuleList([ViTBlock(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Sequential(nn.Linear(dim, dim), nn.Hardswish(), nn.Linear(dim, classes))

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


def vit_like(seed=0, **kwargs):
    torch.manual_seed(seed)
    return ViTLike(**kwargs).eval()


# -- recurrent ------------------------------------------------------------------------------


class RecurrentModel(nn.Module):
    def __init__(self, kind="lstm", features=16, hidden=32, layers=2, bidirectional=True,
                 batch_first=True, outputs=8):
        super().__init__()
        cls = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
        self.rnn = cls(features, hidden, num_layers=layers, bidirectional=bidirectional,
                       batch_first=batch_first)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), outputs)

    def forward(self, x):
        out, state = self.rnn(x)
        last = state[0] if isinstance(state, tuple) else state
        return self.fc(out), last


def recurrent(kind, seed=0, **kwargs):
    torch.manual_seed(seed)
    return RecurrentModel(kind, **kwargs).eval()


