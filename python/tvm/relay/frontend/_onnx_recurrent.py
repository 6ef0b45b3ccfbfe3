"""ONNX converters: LSTM, GRU and RNN, through the builders of :mod:`.recurrent`.

The layers are unrolled over the sequence, whose length must be static.
ONNX stacks the gates of a direction in one tensor (LSTM ``iofc``, GRU
``zrh``) and the directions along the first axis; the converters cut them
into per-gate tensors (constant weights fold at build time) and run one
builder call per direction.
"""
from ..op import tensor as _tensor
from ..op import transform as _transform
from . import recurrent
from ._onnx_common import register

# op_type -> (number of gates, number of activations per direction, default activations)
_KINDS = {
    "LSTM": (4, 3, ("Sigmoid", "Tanh", "Tanh")),
    "GRU": (3, 2, ("Sigmoid", "Tanh")),
    "RNN": (1, 1, ("Tanh",)),
}


def _activations(node, num_dirs):
    """Per direction, the tuple of activation callables (ONNX's alpha/beta consumed in order)."""
    _, per_dir, defaults = _KINDS[node.op_type]
    names = list(node.attr("activations", ()) or ())
    if not names:
        names = list(defaults) * num_dirs
    elif len(names) == per_dir and num_dirs == 2:
        names = names * 2
    if len(names) != per_dir * num_dirs:
        raise node.error(f"activations {names} must have {per_dir} names per direction "
                         f"({num_dirs} direction(s))")
    alphas = list(node.attr("activation_alpha", ()) or ())
    betas = list(node.attr("activation_beta", ()) or ())
    funcs = []
    for name in names:
        uses_alpha, uses_beta = recurrent.activation_uses(name)
        alpha = alphas.pop(0) if uses_alpha and alphas else None
        beta = betas.pop(0) if uses_beta and betas else None
        try:
            funcs.append(recurrent.activation(name, alpha, beta))
        except Exception as err:  # the builder's OpNotImplemented, with the node named
            raise node.error(str(err), type(err)) from None
    return [tuple(funcs[d * per_dir:(d + 1) * per_dir]) for d in range(num_dirs)]


def _direction_slice(expr, direction, axis=0):
    """Entry ``direction`` of the directions axis (removed)."""
    if expr is None:
        return None
    part = _transform.strided_slice(expr, [direction], [direction + 1], axes=[axis])
    return _transform.squeeze(part, axis=[axis])


def _gates(expr, kind, order, count):
    if count == 1:
        return expr
    return recurrent.gates_from_stacked(expr, order, kind)


def _common(node, graph):
    """What every recurrent converter reads: data, weights, lengths, directions, layout."""
    gates, _, _ = _KINDS[node.op_type]
    data = node.require(0, "X")
    weight = node.require(1, "W")
    hidden_weight = node.require(2, "R")
    shape = graph.static_shape(data, node, "X")
    if len(shape) != 3:
        raise node.error(f"X must be 3-d, got shape {shape}")
    layout = node.attr("layout", 0)
    if layout not in (0, 1):
        raise node.error(f"layout must be 0 or 1, got {layout}")
    if layout == 1:  # (batch, seq, input) -> (seq, batch, input)
        data = _transform.transpose(data, (1, 0, 2))
    direction = node.attr("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        raise node.error(f"unknown direction {direction!r}")
    num_dirs = 2 if direction == "bidirectional" else 1
    wshape = graph.static_shape(weight, node, "W")
    hidden = node.attr("hidden_size", wshape[1] // gates)
    if wshape[0] != num_dirs or wshape[1] != gates * hidden:
        raise node.error(f"W has shape {wshape}; direction {direction!r} and hidden_size "
                         f"{hidden} need ({num_dirs}, {gates * hidden}, input_size)")
    seq_lens = node.input(4)
    if seq_lens is not None:
        known = graph.value(seq_lens)
        seq_len = shape[layout]  # X is (seq, batch, input), or (batch, seq, input) in layout 1
        if known is not None and known.size and (known.min() < 0 or known.max() > seq_len):
            raise node.error(f"sequence_lens {known.tolist()} exceed the sequence length")
    reverse_flags = {"forward": [False], "reverse": [True], "bidirectional": [False, True]}
    return data, weight, hidden_weight, seq_lens, reverse_flags[direction], layout


def _initial_state(node, index, layout):
    """Initial state input ``index``, as (num_dirs, batch, hidden) whatever the layout."""
    state = node.input(index)
    if state is not None and layout == 1:
        state = _transform.transpose(state, (1, 0, 2))
    return state


def _finish(node, per_dir_outputs, per_dir_states, layout):
    """Y and the final states in ONNX's layout from per-direction results."""
    # per direction: Y (seq, batch, hidden) -> (seq, num_dirs, batch, hidden)
    y = _tensor.stack(per_dir_outputs, axis=1)
    if layout == 1:
        y = _transform.transpose(y, (2, 0, 1, 3))
    outputs = [y]
    for states in per_dir_states:
        state = _tensor.stack(states, axis=0)
        if layout == 1:
            state = _transform.transpose(state, (1, 0, 2))
        outputs.append(state)
    return outputs


def _clip(node):
    clip = node.attr("clip")
    if clip is not None and clip <= 0:
        raise node.error(f"clip must be positive, got {clip}")
    return clip


def _biases(bias_dir, kind, order, count):
    """The input and hidden biases (``Wb``, ``Rb``) of one direction's ``B``."""
    if bias_dir is None:
        return None, None
    halves = _transform.split(bias_dir, 2, axis=0)
    return _gates(halves[0], kind, order, count), _gates(halves[1], kind, order, count)


@register("LSTM")
def _lstm(node, graph):
    data, weight, hidden_weight, seq_lens, reverses, layout = _common(node, graph)
    activations = _activations(node, len(reverses))
    init_h, init_c = _initial_state(node, 5, layout), _initial_state(node, 6, layout)
    peephole = node.input(7)
    ys, hs, cs = [], [], []
    for d, reverse in enumerate(reverses):
        input_bias, hidden_bias = _biases(_direction_slice(node.input(3), d), "lstm", "iofc", 4)
        peep = None
        if peephole is not None:
            parts = _transform.split(_direction_slice(peephole, d), 3, axis=0)
            peep = recurrent.LSTMGates(input=parts[0], output=parts[1], forget=parts[2],
                                       cell=None)
        y, h, c = recurrent.lstm(
            data, _gates(_direction_slice(weight, d), "lstm", "iofc", 4),
            _gates(_direction_slice(hidden_weight, d), "lstm", "iofc", 4),
            input_bias, hidden_bias, _direction_slice(init_h, d), _direction_slice(init_c, d),
            peep, activations[d], _clip(node), bool(node.attr("input_forget", 0)), reverse,
            seq_lens)
        ys.append(y)
        hs.append(h)
        cs.append(c)
    return _finish(node, ys, [hs, cs], layout)


@register("GRU")
def _gru(node, graph):
    data, weight, hidden_weight, seq_lens, reverses, layout = _common(node, graph)
    activations = _activations(node, len(reverses))
    init_h = _initial_state(node, 5, layout)
    ys, hs = [], []
    for d, reverse in enumerate(reverses):
        input_bias, hidden_bias = _biases(_direction_slice(node.input(3), d), "gru", "zrh", 3)
        y, h = recurrent.gru(
            data, _gates(_direction_slice(weight, d), "gru", "zrh", 3),
            _gates(_direction_slice(hidden_weight, d), "gru", "zrh", 3),
            input_bias, hidden_bias, _direction_slice(init_h, d), activations[d], _clip(node),
            bool(node.attr("linear_before_reset", 0)), reverse, seq_lens)
        ys.append(y)
        hs.append(h)
    return _finish(node, ys, [hs], layout)


@register("RNN")
def _rnn(node, graph):
    data, weight, hidden_weight, seq_lens, reverses, layout = _common(node, graph)
    activations = _activations(node, len(reverses))
    init_h = _initial_state(node, 5, layout)
    ys, hs = [], []
    for d, reverse in enumerate(reverses):
        input_bias, hidden_bias = _biases(_direction_slice(node.input(3), d), None, None, 1)
        y, h = recurrent.rnn(
            data, _direction_slice(weight, d), _direction_slice(hidden_weight, d), input_bias,
            hidden_bias, _direction_slice(init_h, d), activations[d][0], _clip(node), reverse,
            seq_lens)
        ys.append(y)
        hs.append(h)
    return _finish(node, ys, [hs], layout)
