"""tvm.relay.frontend.recurrent used directly, as the PyTorch frontend does: PyTorch's weights
(gate orders ifgo / rzn) through gates_from_stacked, against torch eager (rtol 1e-4)."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvm.relay.frontend import recurrent

torch = pytest.importorskip("torch")

SEQ, BATCH, INPUT, HIDDEN = 6, 2, 5, 7


def _run(outputs, x):
    data = relay.var("x", shape=x.shape)
    func = relay.Function([data], relay.Tuple(outputs(data)))
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(tvm.IRModule.from_expr(func), target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("x", x)
    module.run()
    return [module.get_output(i).numpy() for i in range(module.get_num_outputs())]


def _param(layer, name):
    return relay.const(getattr(layer, name).detach().numpy())


@pytest.mark.parametrize("proj_size", [0, 3])
def test_lstm_from_torch_weights(proj_size):
    torch.manual_seed(0)
    layer = torch.nn.LSTM(INPUT, HIDDEN, proj_size=proj_size).eval()
    x = torch.randn(SEQ, BATCH, INPUT)

    def build(data):
        gates = {name: recurrent.gates_from_stacked(_param(layer, name), "ifgo", "lstm")
                 for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")}
        return list(recurrent.lstm(
            data, gates["weight_ih_l0"], gates["weight_hh_l0"], gates["bias_ih_l0"],
            gates["bias_hh_l0"],
            proj_weight=_param(layer, "weight_hr_l0") if proj_size else None))

    got = _run(build, x.numpy())
    with torch.no_grad():
        y, (h, c) = layer(x)
    for actual, expected in zip(got, (y, h[0], c[0])):
        np.testing.assert_allclose(actual, expected.numpy(), rtol=1e-4, atol=1e-5)


def test_gru_and_rnn_from_torch_weights_reverse_with_initial_state():
    torch.manual_seed(1)
    gru = torch.nn.GRU(INPUT, HIDDEN, bidirectional=True).eval()
    rnn = torch.nn.RNN(INPUT, HIDDEN, nonlinearity="relu").eval()
    x = torch.randn(SEQ, BATCH, INPUT)
    h0 = torch.randn(2, BATCH, HIDDEN)

    def build(data):
        def gates(name):
            return recurrent.gates_from_stacked(_param(gru, name), "rzn", "gru")

        # the reverse direction of the bidirectional GRU, from its initial state
        y_rev, h_rev = recurrent.gru(
            data, gates("weight_ih_l0_reverse"), gates("weight_hh_l0_reverse"),
            gates("bias_ih_l0_reverse"), gates("bias_hh_l0_reverse"),
            init_h=relay.const(h0[1].numpy()), linear_before_reset=True, reverse=True)
        y_rnn, h_rnn = recurrent.rnn(
            data, _param(rnn, "weight_ih_l0"), _param(rnn, "weight_hh_l0"),
            _param(rnn, "bias_ih_l0"), _param(rnn, "bias_hh_l0"),
            activation_fn=recurrent.activation("Relu"))
        return [y_rev, h_rev, y_rnn, h_rnn]

    got = _run(build, x.numpy())
    with torch.no_grad():
        y_gru, h_gru = gru(x, h0)
        y_rnn, h_rnn = rnn(x)
    np.testing.assert_allclose(got[0], y_gru[:, :, HIDDEN:].numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[1], h_gru[1].numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[2], y_rnn.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[3], h_rnn[0].numpy(), rtol=1e-4, atol=1e-5)


def test_bad_gate_order_is_named():
    with pytest.raises(ValueError, match="not an order of the lstm gates"):
        recurrent.gates_from_stacked(relay.const(np.zeros((8, 2), "float32")), "ifgg", "lstm")
