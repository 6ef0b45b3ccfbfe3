"""nn.LSTM / nn.GRU / nn.RNN through both paths, against torch eager."""
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

import torch_models as tm  # noqa: E402
from pytorch_testing import verify  # noqa: E402

PATHS = ["trace", "export"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_recurrent(kind, path):
    # two layers, bidirectional, batch_first; outputs: every step through a linear layer, and
    # the final hidden state of every layer and direction
    torch.manual_seed(6)
    verify(tm.recurrent(kind, features=16, hidden=32, layers=2), [torch.randn(3, 7, 16)], path,
           min_std=1e-2)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_recurrent_sequence_first(kind):
    torch.manual_seed(7)
    model = tm.recurrent(kind, features=8, hidden=12, layers=1, bidirectional=False,
                         batch_first=False)
    verify(model, [torch.randn(5, 2, 8)], "trace")


class WithState(nn.Module):
    """A layer called with explicit initial states; returns every output."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, *state):
        out, final = self.layer(x, state if len(state) > 1 else state[0])
        return out, final


@pytest.mark.parametrize("path", PATHS)
def test_lstm_initial_state_and_projection(path):
    torch.manual_seed(8)
    layer = nn.LSTM(6, 10, num_layers=2, bidirectional=True, proj_size=4)
    x = torch.randn(5, 3, 6)
    h0, c0 = torch.randn(4, 3, 4), torch.randn(4, 3, 10)
    verify(WithState(layer), [x, h0, c0], path)


@pytest.mark.parametrize("path", PATHS)
def test_gru_initial_state_no_bias(path):
    torch.manual_seed(9)
    layer = nn.GRU(6, 10, num_layers=1, bidirectional=True, bias=False, batch_first=True)
    verify(WithState(layer), [torch.randn(3, 5, 6), torch.randn(2, 3, 10)], path)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn(nonlinearity):
    torch.manual_seed(10)
    layer = nn.RNN(6, 8, num_layers=2, nonlinearity=nonlinearity, batch_first=True)
    verify(WithState(layer), [torch.randn(2, 4, 6), torch.randn(2, 2, 8)], "trace")


class Cells(nn.Module):
    """nn.LSTMCell, nn.GRUCell and nn.RNNCell stepped twice over a short sequence."""

    def __init__(self, bias):
        super().__init__()
        self.lstm = nn.LSTMCell(5, 6, bias=bias)
        self.gru = nn.GRUCell(6, 7, bias=bias)
        self.rnn = nn.RNNCell(7, 4, bias=bias, nonlinearity="relu")

    def forward(self, x, h, c):
        outs = []
        for t in range(x.shape[0]):
            h, c = self.lstm(x[t], (h, c))
            g = self.gru(h)
            outs.append(self.rnn(g))
        return torch.stack(outs), h, c


@pytest.mark.parametrize("path", ["trace", "script", "export"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells(bias, path):
    # traced: aten::lstm_cell is decomposed into linear layers and unsafe_chunk; scripted and
    # exported it stays one aten::lstm_cell / gru_cell / rnn_relu_cell
    torch.manual_seed(11)
    verify(Cells(bias), [torch.randn(2, 3, 5), torch.randn(3, 6), torch.randn(3, 6)], path)
