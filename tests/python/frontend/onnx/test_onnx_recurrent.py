"""ONNX LSTM / GRU / RNN against ONNX Runtime: directions, layouts, sequence lengths, initial
states, activations, clip, peepholes, linear_before_reset; and torch-exported layers."""
import numpy as np
import pytest
from onnx import helper

from onnx_testing import assert_same, make_model, run_ort, run_tvm, verify

SEQ, BATCH, INPUT, HIDDEN = 5, 3, 4, 6
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def _model(op_type, direction="forward", layout=0, bias=True, seq_lens=None, initial=False,
           peephole=False, outputs=("Y", "Y_h", "Y_c"), seed=7, **attrs):
    """An ``op_type`` node with random weights; the lengths and initial states are graph
    inputs (so they are not folded) when given. The same seed gives the same values in both
    layouts (transposed in layout 1)."""
    rng = np.random.default_rng(seed)

    def _rand(*shape):
        return rng.uniform(-0.8, 0.8, shape).astype("float32")

    num_dirs = 2 if direction == "bidirectional" else 1
    gates = GATES[op_type]
    feeds = {"X": _rand(SEQ, BATCH, INPUT)}
    if layout == 1:
        feeds["X"] = feeds["X"].transpose(1, 0, 2).copy()
    inits = {"W": _rand(num_dirs, gates * HIDDEN, INPUT),
             "R": _rand(num_dirs, gates * HIDDEN, HIDDEN)}
    names = ["X", "W", "R", "", "", "", "", ""]
    if bias:
        inits["B"] = _rand(num_dirs, 2 * gates * HIDDEN)
        names[3] = "B"
    if seq_lens is not None:
        feeds["seq_lens"] = np.array(seq_lens, "int32")
        names[4] = "seq_lens"
    if initial:
        for name, index in (("h0", 5), ("c0", 6))[:2 if op_type == "LSTM" else 1]:
            state = _rand(num_dirs, BATCH, HIDDEN)
            feeds[name] = state if layout == 0 else state.transpose(1, 0, 2).copy()
            names[index] = name
    if peephole:
        inits["P"] = _rand(num_dirs, 3 * HIDDEN)
        names[7] = "P"
    while names and names[-1] == "":
        names.pop()
    outputs = [o for o in outputs if op_type == "LSTM" or o != "Y_c"]
    node = helper.make_node(op_type, names, outputs, hidden_size=HIDDEN, direction=direction,
                            layout=layout, **attrs)
    return make_model([node], feeds, inits, outputs=[o for o in outputs if o], opset=14), feeds


def _verify_layout1(op_type, direction, **kwargs):
    """ONNX Runtime has no layout=1 (batch-first) kernels: the reference is the layout-0 model
    with the same values, its inputs and outputs transposed."""
    model, feeds = _model(op_type, direction, layout=1, **kwargs)
    reference, ref_feeds = _model(op_type, direction, layout=0, **kwargs)
    expected = run_ort(reference, ref_feeds)
    expected = [expected[0].transpose(2, 0, 1, 3)] + [e.transpose(1, 0, 2) for e in expected[1:]]
    assert_same(run_tvm(model, feeds), expected)


# Bidirectional layers run the forward and the reverse builder; "reverse" alone checks that the
# single direction is put in the right place.
@pytest.mark.parametrize("op_type,direction", [("LSTM", "bidirectional"), ("GRU", "bidirectional"),
                                               ("RNN", "bidirectional"), ("LSTM", "reverse"),
                                               ("RNN", "forward")])
def test_directions(op_type, direction):
    model, feeds = _model(op_type, direction)
    verify(model, feeds)


@pytest.mark.parametrize("op_type", ["LSTM", "GRU", "RNN"])
def test_layout1(op_type):
    _verify_layout1(op_type, "bidirectional", initial=True)


@pytest.mark.parametrize("op_type,direction", [("LSTM", "bidirectional"), ("GRU", "bidirectional"),
                                               ("RNN", "bidirectional"), ("GRU", "reverse")])
def test_sequence_lengths(op_type, direction):
    """Entries shorter than the sequence: zero outputs and kept states past their length."""
    model, feeds = _model(op_type, direction, seq_lens=[5, 2, 3], initial=True)
    verify(model, feeds)


def test_sequence_lengths_layout1_and_full():
    _verify_layout1("LSTM", "bidirectional", seq_lens=[1, 5, 4])
    model, feeds = _model("GRU", "reverse", seq_lens=[5, 5, 5])
    verify(model, feeds)


def test_no_bias_and_only_some_outputs():
    model, feeds = _model("LSTM", "bidirectional", bias=False, outputs=("", "Y_h"))
    verify(model, feeds)
    model, feeds = _model("GRU", "forward", bias=False, outputs=("Y",))
    verify(model, feeds)


def test_lstm_peepholes_and_input_forget():
    model, feeds = _model("LSTM", "bidirectional", peephole=True, initial=True)
    verify(model, feeds)
    model, feeds = _model("LSTM", "forward", peephole=True, input_forget=1)
    verify(model, feeds)


@pytest.mark.parametrize("op_type", ["LSTM", "GRU", "RNN"])
def test_clip(op_type):
    model, feeds = _model(op_type, "bidirectional", initial=True, clip=0.4)
    verify(model, feeds)


def test_gru_linear_before_reset():
    """PyTorch's GRU form (the default 0 is covered by the other tests)."""
    model, feeds = _model("GRU", "bidirectional", initial=True, linear_before_reset=1,
                          seq_lens=[4, 5, 1])
    verify(model, feeds)


@pytest.mark.parametrize("op_type,activations,alpha,beta", [
    ("LSTM", ["HardSigmoid", "Tanh", "Softsign"], [0.3], [0.4]),
    ("LSTM", ["Sigmoid", "LeakyRelu", "ScaledTanh"], [0.1, 0.7], [1.5]),
    ("GRU", ["Sigmoid", "Relu", "HardSigmoid", "Elu"], [0.25, 0.8], [0.6]),
    ("RNN", ["Affine", "ThresholdedRelu"], [0.6, 0.1], [0.2]),
])
def test_activations(op_type, activations, alpha, beta):
    per_direction = {"LSTM": 3, "GRU": 2, "RNN": 1}[op_type]
    direction = "bidirectional" if len(activations) == 2 * per_direction else "forward"
    attrs = {"activations": activations}
    if alpha:
        attrs["activation_alpha"] = alpha
    if beta:
        attrs["activation_beta"] = beta
    model, feeds = _model(op_type, direction, **attrs)
    verify(model, feeds)


def test_unsupported_activation_is_named():
    import tvm

    from tvm.relay.frontend import from_onnx

    model, _ = _model("RNN", activations=["Swish"])
    with pytest.raises(tvm.error.OpNotImplemented, match="Swish"):
        from_onnx(model)


# -- exported from torch ----------------------------------------------------------------


def _torch_export(module, example, names_out):
    import io

    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, example, buf, input_names=["x"], output_names=names_out,
                          opset_version=17, dynamo=False)
    import onnx

    return onnx.load_from_string(buf.getvalue())


@pytest.mark.parametrize("kind,bidirectional,batch_first,layers", [("LSTM", True, True, 2),
                                                                  ("GRU", False, False, 1)])
def test_torch_exported(kind, bidirectional, batch_first, layers):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    layer = getattr(torch.nn, kind)(INPUT, HIDDEN, num_layers=layers, batch_first=batch_first,
                                    bidirectional=bidirectional).eval()
    x = torch.randn((BATCH, SEQ, INPUT) if batch_first else (SEQ, BATCH, INPUT))
    outputs = ["y", "h"] + (["c"] if kind == "LSTM" else [])
    model = _torch_export(layer, (x,), outputs)
    feeds = {"x": x.numpy()}
    actual = verify(model, feeds)
    with torch.no_grad():
        expected = layer(x)
    want = [expected[0], *(expected[1] if kind == "LSTM" else [expected[1]])]
    for got, ref in zip(actual, want):
        np.testing.assert_allclose(got, ref.numpy(), rtol=1e-4, atol=1e-4)
