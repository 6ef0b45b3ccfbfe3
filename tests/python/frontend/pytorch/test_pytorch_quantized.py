"""A model quantized with torch.ao.quantization (eager mode), traced, through Relay's QNN ops."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tvm  # noqa: E402
from torch import nn  # noqa: E402
from torch.ao import quantization as tq  # noqa: E402
from tvm import relay  # noqa: E402

from pytorch_testing import build_and_run  # noqa: E402


class SmallQuantizable(nn.Module):
    """conv+bn+relu (fused), a grouped conv, a quantized add, pooling, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.add = torch.ao.nn.quantized.FloatFunctional()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8, 4)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        y = self.relu(self.bn(self.conv(self.quant(x))))
        y = self.add.add(y, self.conv2(y))
        y = nn.functional.adaptive_avg_pool2d(self.pool(y), 1).flatten(1)
        return self.dequant(self.fc(y))


def _quantized_model():
    torch.manual_seed(0)
    model = SmallQuantizable().eval()
    model.qconfig = tq.get_default_qconfig("fbgemm")  # per-channel int8 weights
    tq.fuse_modules(model, [["conv", "bn", "relu"]], inplace=True)
    tq.prepare(model, inplace=True)
    generator = torch.Generator().manual_seed(1)
    for _ in range(8):
        model(torch.randn(2, 3, 8, 8, generator=generator))
    tq.convert(model, inplace=True)
    return model


@pytest.mark.filterwarnings("ignore")
def test_eager_quantized_model():
    model = _quantized_model()
    x = torch.randn(16, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = model(x).numpy()
        traced = torch.jit.trace(model, x)
    mod, params = relay.frontend.from_pytorch(traced, [("x", (16, 3, 8, 8))])
    ops = set()
    relay.analysis.post_order_visit(
        mod["main"].body, lambda n: ops.add(n.name) if hasattr(n, "name") and
        isinstance(getattr(n, "name", None), str) and n.name.startswith("qnn.") else None)
    assert {"qnn.quantize", "qnn.conv2d", "qnn.requantize", "qnn.add", "qnn.dense",
            "qnn.dequantize"} <= ops
    actual = build_and_run(mod, params, {"x": x.numpy()})[0]
    # torch's kernels and Relay's QNN lowering round differently: qnn.add (0.8's integer
    # arithmetic) requantizes both operands to the output scale before adding, torch adds
    # in float then rounds once; a one-step difference in an intermediate tensor then goes
    # through the next layers. Most outputs agree to one quantization step, all to four.
    step = model.fc.scale
    assert np.abs(expected).max() > 10 * step
    error = np.abs(actual - expected) / step
    print("output error in quantization steps: max", error.max(), "mean", error.mean())
    assert error.max() <= 4.01
    assert (error <= 1.01).mean() >= 0.8


def test_op_on_quantized_tensor_without_converter_is_named():
    class Sigmoid(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant = tq.QuantStub()

        def forward(self, x):
            return torch.sigmoid(self.quant(x))

    model = Sigmoid().eval()
    model.qconfig = tq.get_default_qconfig("fbgemm")
    tq.prepare(model, inplace=True)
    model(torch.randn(4))
    tq.convert(model, inplace=True)
    traced = torch.jit.trace(model, torch.randn(4))
    with pytest.raises(tvm.error.OpNotImplemented, match="aten::sigmoid on a quantized tensor"):
        relay.frontend.from_pytorch(traced, [("x", (4,))])
