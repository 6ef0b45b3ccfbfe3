"""Converters: ``aten::lstm``, ``aten::gru``, ``aten::rnn_tanh`` and ``aten::rnn_relu``.

The layers themselves are built by the framework-neutral builders of
:mod:`tvm.relay.frontend.recurrent` (shared with the ONNX frontend), which unroll
one direction of one layer over a static sequence length. This module reads
torch's flat parameter list and stacks layers and directions the way
``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` do:

* per layer, the forward direction's tensors then the reverse direction's;
  per direction ``w_ih, w_hh`` then, with biases, ``b_ih, b_hh``, then for an
  LSTM with ``proj_size``, ``w_hr``;
* gates stacked ``i, f, g, o`` (LSTM) and ``r, z, n`` (GRU, whose reset gate is
  applied after the recurrent product: ``linear_before_reset``);
* a layer's input is the previous layer's output, both directions concatenated;
* initial and final states are ``(layers * directions, batch, hidden)``.

Packed sequences (``aten::lstm.data``) and dropout between layers in training
mode are not supported.
"""
from ... import op as _op_registry  # noqa: F401
from ...op import tensor as _tensor
from ...op import transform as _transform
from .. import recurrent as _recurrent
from ._helpers import is_expr
from ._registry import register

__all__ = []


def _per_direction(ctx, params, layers, directions, has_biases, kind):
    """Split the flat parameter list into ``[layer][direction] -> dict``."""
    count = len(params) // (layers * directions)
    if count * layers * directions != len(params):
        raise ValueError(f"{ctx.op_name}: {len(params)} parameters do not divide into "
                         f"{layers} layers x {directions} directions")
    expected = 2 + (2 if has_biases else 0)
    projected = kind == "lstm" and count == expected + 1
    if count != expected and not projected:
        raise ValueError(f"{ctx.op_name}: {count} parameters per layer and direction, expected "
                         f"{expected}")
    table = []
    for layer in range(layers):
        row = []
        for direction in range(directions):
            start = (layer * directions + direction) * count
            chunk = params[start:start + count]
            entry = {"w_ih": chunk[0], "w_hh": chunk[1]}
            if has_biases:
                entry["b_ih"], entry["b_hh"] = chunk[2], chunk[3]
            if projected:
                entry["w_hr"] = chunk[-1]
            row.append(entry)
        table.append(row)
    return table


def _state(state, index):
    if state is None:
        return None
    return _transform.squeeze(_transform.strided_slice(state, [index], [index + 1], axes=[0]),
                              [0])


def _check_mode(ctx, train, dropout, layers):
    if train and dropout and layers > 1:
        raise ctx.unsupported("dropout between layers in training mode; call model.eval()")


def _run(ctx, data, batch_first, layers, directions, layer_fn):
    """Stack layers and directions around ``layer_fn(x, layer, direction) -> (out, *states)``."""
    if not is_expr(data):
        raise ctx.unsupported("packed sequences")
    if batch_first:
        data = _transform.transpose(data, (1, 0, 2))
    finals = []
    x = data
    for layer in range(layers):
        outs = []
        for direction in range(directions):
            out, *states = layer_fn(x, layer, direction)
            outs.append(out)
            finals.append(states)
        x = outs[0] if directions == 1 else _tensor.concatenate(outs, 2)
    if batch_first:
        x = _transform.transpose(x, (1, 0, 2))
    stacked = [_tensor.stack([f[i] for f in finals], 0) for i in range(len(finals[0]))]
    return x, stacked


@register("aten::lstm")
def _lstm(ctx, inputs):
    if not isinstance(inputs[1], list | tuple) or len(inputs) != 9:
        raise ctx.unsupported("packed sequences (aten::lstm.data)")
    data, hx, params, has_biases, layers, dropout, train, bidirectional, batch_first = inputs
    _check_mode(ctx, train, dropout, layers)
    directions = 2 if bidirectional else 1
    table = _per_direction(ctx, list(params), layers, directions, has_biases, "lstm")
    h0, c0 = (hx[0], hx[1]) if hx else (None, None)

    def layer_fn(x, layer, direction):
        entry = table[layer][direction]
        index = layer * directions + direction
        gates = lambda t: _recurrent.gates_from_stacked(t, "ifgo", "lstm")  # noqa: E731
        return _recurrent.lstm(
            x, gates(entry["w_ih"]), gates(entry["w_hh"]),
            gates(entry["b_ih"]) if has_biases else None,
            gates(entry["b_hh"]) if has_biases else None,
            init_h=_state(h0, index), init_c=_state(c0, index), reverse=direction == 1,
            proj_weight=entry.get("w_hr"))

    out, (h_n, c_n) = _run(ctx, data, batch_first, layers, directions, layer_fn)
    return out, h_n, c_n


@register("aten::gru")
def _gru(ctx, inputs):
    if not is_expr(inputs[1]) and inputs[1] is not None or len(inputs) != 9:
        raise ctx.unsupported("packed sequences (aten::gru.data)")
    data, h0, params, has_biases, layers, dropout, train, bidirectional, batch_first = inputs
    _check_mode(ctx, train, dropout, layers)
    directions = 2 if bidirectional else 1
    table = _per_direction(ctx, list(params), layers, directions, has_biases, "gru")

    def layer_fn(x, layer, direction):
        entry = table[layer][direction]
        gates = lambda t: _recurrent.gates_from_stacked(t, "rzn", "gru")  # noqa: E731
        return _recurrent.gru(
            x, gates(entry["w_ih"]), gates(entry["w_hh"]),
            gates(entry["b_ih"]) if has_biases else None,
            gates(entry["b_hh"]) if has_biases else None,
            init_h=_state(h0, layer * directions + direction), linear_before_reset=True,
            reverse=direction == 1)

    out, (h_n,) = _run(ctx, data, batch_first, layers, directions, layer_fn)
    return out, h_n


@register("aten::rnn_tanh", "aten::rnn_relu")
def _rnn(ctx, inputs):
    if not is_expr(inputs[1]) and inputs[1] is not None or len(inputs) != 9:
        raise ctx.unsupported("packed sequences")
    data, h0, params, has_biases, layers, dropout, train, bidirectional, batch_first = inputs
    _check_mode(ctx, train, dropout, layers)
    directions = 2 if bidirectional else 1
    table = _per_direction(ctx, list(params), layers, directions, has_biases, "rnn")
    act = _recurrent.activation("Tanh" if ctx.op_name.endswith("tanh") else "Relu")

    def layer_fn(x, layer, direction):
        entry = table[layer][direction]
        return _recurrent.rnn(
            x, entry["w_ih"], entry["w_hh"], entry.get("b_ih"), entry.get("b_hh"),
            init_h=_state(h0, layer * directions + direction), activation_fn=act,
            reverse=direction == 1)

    out, (h_n,) = _run(ctx, data, batch_first, layers, directions, layer_fn)
    return out, h_n



# -- single steps (nn.LSTMCell, nn.GRUCell, nn.RNNCell): a one-step sequence ----------------

def _one_step(x):
    return _transform.expand_dims(x, 0)


@register("aten::lstm_cell")
def _lstm_cell(ctx, inputs):
    x, hx, w_ih, w_hh = inputs[:4]
    b_ih, b_hh = (inputs[4], inputs[5]) if len(inputs) > 5 else (None, None)
    gates = lambda t: None if t is None else _recurrent.gates_from_stacked(t, "ifgo", "lstm")  # noqa: E731
    _, h, c = _recurrent.lstm(_one_step(x), gates(w_ih), gates(w_hh), gates(b_ih), gates(b_hh),
                              init_h=hx[0], init_c=hx[1])
    return h, c


@register("aten::gru_cell")
def _gru_cell(ctx, inputs):
    x, h0, w_ih, w_hh = inputs[:4]
    b_ih, b_hh = (inputs[4], inputs[5]) if len(inputs) > 5 else (None, None)
    gates = lambda t: None if t is None else _recurrent.gates_from_stacked(t, "rzn", "gru")  # noqa: E731
    _, h = _recurrent.gru(_one_step(x), gates(w_ih), gates(w_hh), gates(b_ih), gates(b_hh),
                          init_h=h0, linear_before_reset=True)
    return h


@register("aten::rnn_tanh_cell", "aten::rnn_relu_cell")
def _rnn_cell(ctx, inputs):
    x, h0, w_ih, w_hh = inputs[:4]
    b_ih, b_hh = (inputs[4], inputs[5]) if len(inputs) > 5 else (None, None)
    act = _recurrent.activation("Tanh" if "tanh" in ctx.op_name else "Relu")
    _, h = _recurrent.rnn(_one_step(x), w_ih, w_hh, b_ih, b_hh, init_h=h0, activation_fn=act)
    return h
